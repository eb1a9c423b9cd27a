//! The `sim` rig: the kernel core on a model of the STM32U585 board.
//!
//! A [`SimDevice`] is one freshly booted device: the same `mv-kernel` code
//! that runs in the secure image, on [`board::SimBoard`], with the agent's
//! primitives executed in-process. It is deterministic: the clock is virtual
//! and the handle RNG is seeded, so a run replays exactly.
#![forbid(unsafe_code)]

pub mod agent;
pub mod board;
pub mod flash;
pub mod memory_map;

use mv_kernel::Kernel;
use mv_proto::{Hello, Primitive, Region, Reply, PROTOCOL_VERSION};

use agent::Allocator;
use board::SimBoard;
use memory_map::{
    MV_SRAM3_BASE, MV_SRAM3_SIZE, NS_FLASH_BASE, NS_FLASH_SIZE, NS_RAM_BASE, NS_RAM_SIZE,
    SECURE_FLASH_BASE, SECURE_FLASH_SIZE, SECURE_RAM_BASE, SECURE_RAM_SIZE,
};

/// What makes one simulated device differ from another.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// Seeds the handle RNG.
    pub seed: u64,
    /// The device SID (`UV` + 32 hex digits).
    pub device_id: [u8; 34],
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            seed: 0x5EED,
            device_id: *b"UV00000000000000000000000000000000",
        }
    }
}

/// One simulated device: kernel, board and agent.
pub struct SimDevice {
    kernel: Kernel<SimBoard>,
    allocator: Allocator,
}

impl SimDevice {
    /// Power on: a fresh kernel with no app objects, memory as after reset.
    pub fn boot(config: &SimConfig) -> Self {
        SimDevice {
            kernel: Kernel::new(SimBoard::new(config.seed, config.device_id)),
            allocator: Allocator::default(),
        }
    }

    /// The agent's hello on this board.
    pub fn hello(&self) -> Hello {
        let region = |name: &str, base, size, secure, app_writable| Region {
            name: name.into(),
            base,
            size,
            secure,
            app_writable,
        };
        Hello {
            protocol_version: PROTOCOL_VERSION,
            board: "stm32u585 (sim)".into(),
            nsc_table_base: mv_abi::STM32U585_NSC_TABLE_BASE,
            regions: vec![
                region("ns-flash", NS_FLASH_BASE, NS_FLASH_SIZE, false, false),
                region("ns-ram", NS_RAM_BASE, NS_RAM_SIZE, false, true),
                region("mv-sram3", MV_SRAM3_BASE, MV_SRAM3_SIZE, true, false),
                region(
                    "secure-flash",
                    SECURE_FLASH_BASE,
                    SECURE_FLASH_SIZE,
                    true,
                    false,
                ),
                region("secure-ram", SECURE_RAM_BASE, SECURE_RAM_SIZE, true, false),
            ],
        }
    }

    /// Run one primitive (a batch runs entirely on the device).
    pub fn execute(&mut self, primitive: &Primitive) -> Reply {
        agent::execute(&mut self.kernel, &mut self.allocator, primitive)
    }

    /// The cloud set the wall clock.
    pub fn sync_wall_time(&mut self, wall_us: u64) {
        self.kernel.set_wall_time(wall_us);
    }

    /// The cloud link went up or down; queued log messages flush when up.
    pub fn set_link_online(&mut self, online: bool) {
        self.kernel.board_mut().set_online(online);
        self.kernel.poll();
    }

    /// The server turned application logging off or on.
    pub fn set_logging_disabled(&mut self, disabled: bool) {
        self.kernel.board_mut().set_logging_disabled(disabled);
    }

    /// Application log messages the cloud received since the last call.
    pub fn take_server_log(&mut self) -> Vec<Vec<u8>> {
        self.kernel.board_mut().take_delivered_logs()
    }

    pub fn kernel(&self) -> &Kernel<SimBoard> {
        &self.kernel
    }

    pub fn kernel_mut(&mut self) -> &mut Kernel<SimBoard> {
        &mut self.kernel
    }
}
