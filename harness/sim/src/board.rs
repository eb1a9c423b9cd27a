//! `SimBoard`: the STM32U585 model behind the kernel's board traits.
//!
//! Memory comes from [`crate::memory_map`]; the clock is virtual (it moves
//! only when the agent does something, so runs are deterministic); the NVIC
//! keeps pending and enabled bits for the app's IRQs; the RCC is modelled as
//! the few registers Microvisor shares with the app; the cloud link delivers
//! application log messages into a list the harness drains.

use mv_kernel::board::{
    Access, BusFault, ClockTree, CloudLink, DeviceInfo, Entropy, Interrupts, NsMemory, Peripherals,
    SharedRegister,
};

use crate::memory_map::{app_may_access, AppMemory};

/// STM32U585 has 125 external interrupts.
pub const IRQ_COUNT: u32 = 125;

/// IRQs Microvisor keeps secure (not targeted to the non-secure world):
/// RTC_S (3), FLASH_S (7), GTZC (8), RCC_S (10), LPUART1 (66, the modem
/// link) and GPDMA1 channel 15 (84, the kernel's DMA).
pub const SECURE_IRQS: [u32; 6] = [3, 7, 8, 10, 66, 84];

pub use mv_kernel::stm32u585::RCC_BASE;
use mv_kernel::stm32u585::SHARED_RCC;
/// RCC_APB3ENR; bit 6 (LPUART1EN) clocks Microvisor's modem UART.
pub const RCC_APB3ENR: u32 = RCC_BASE + 0xA8;

/// How many microseconds one syscall takes on the virtual clock.
pub const CALL_COST_US: u64 = 1;

/// The board model.
pub struct SimBoard {
    pub(crate) memory: AppMemory,
    now_us: u64,
    pending: [bool; IRQ_COUNT as usize],
    pub(crate) enabled: [bool; IRQ_COUNT as usize],
    pub(crate) handled: [u32; IRQ_COUNT as usize],
    rng_state: u64,
    registers: Vec<SharedRegister>,
    register_values: Vec<u32>,
    device_id: [u8; 34],
    online: bool,
    logging_disabled: bool,
    delivered_logs: Vec<Vec<u8>>,
}

impl SimBoard {
    pub fn new(seed: u64, device_id: [u8; 34]) -> Self {
        SimBoard {
            memory: AppMemory::new(),
            now_us: 0,
            pending: [false; IRQ_COUNT as usize],
            enabled: [false; IRQ_COUNT as usize],
            handled: [0; IRQ_COUNT as usize],
            // xorshift64* must not start at zero.
            rng_state: seed | 1,
            registers: SHARED_RCC
                .iter()
                .map(|r| SharedRegister {
                    addr: RCC_BASE + r.offset,
                    writable: r.writable,
                })
                .collect(),
            register_values: SHARED_RCC.iter().map(|r| r.reset).collect(),
            device_id,
            online: true,
            logging_disabled: false,
            delivered_logs: Vec::new(),
        }
    }

    pub fn advance_us(&mut self, us: u64) {
        self.now_us += us;
    }

    pub fn is_pending(&self, irq: u32) -> bool {
        self.pending.get(irq as usize).copied().unwrap_or(false)
    }

    pub fn set_pending(&mut self, irq: u32, pending: bool) {
        if let Some(p) = self.pending.get_mut(irq as usize) {
            *p = pending;
        }
    }

    pub fn set_online(&mut self, online: bool) {
        self.online = online;
    }

    pub fn set_logging_disabled(&mut self, disabled: bool) {
        self.logging_disabled = disabled;
    }

    pub fn take_delivered_logs(&mut self) -> Vec<Vec<u8>> {
        std::mem::take(&mut self.delivered_logs)
    }
}

impl NsMemory for SimBoard {
    fn ns_accessible(&self, addr: u32, len: u32, access: Access) -> bool {
        app_may_access(addr, len, access)
    }

    fn read_ns(&mut self, addr: u32, buf: &mut [u8]) -> Result<(), BusFault> {
        self.memory.read(addr, buf).ok_or(BusFault { addr })
    }

    fn write_ns(&mut self, addr: u32, data: &[u8]) -> Result<(), BusFault> {
        self.memory.write(addr, data).ok_or(BusFault { addr })
    }
}

impl mv_kernel::board::Clock for SimBoard {
    fn now_us(&self) -> u64 {
        self.now_us
    }
}

impl Interrupts for SimBoard {
    fn is_ns_irq(&self, irq: u32) -> bool {
        irq < IRQ_COUNT && !SECURE_IRQS.contains(&irq)
    }

    fn pend_irq(&mut self, irq: u32) {
        self.set_pending(irq, true);
    }
}

impl Entropy for SimBoard {
    fn random_u32(&mut self) -> u32 {
        // xorshift64*: deterministic per seed, so sim runs replay exactly.
        let mut x = self.rng_state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng_state = x;
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32) as u32
    }
}

impl Peripherals for SimBoard {
    fn shared_registers(&self) -> &[SharedRegister] {
        &self.registers
    }

    fn read_register(&mut self, addr: u32) -> u32 {
        self.registers
            .iter()
            .position(|r| r.addr == addr)
            .map_or(0, |i| self.register_values[i])
    }

    fn write_register(&mut self, addr: u32, value: u32) {
        if let Some(i) = self.registers.iter().position(|r| r.addr == addr) {
            self.register_values[i] = value;
        }
    }
}

impl DeviceInfo for SimBoard {
    fn device_id(&self) -> [u8; 34] {
        self.device_id
    }

    fn clock_tree(&self) -> ClockTree {
        // Microvisor runs the STM32U585 from the PLL at its 160 MHz maximum.
        ClockTree {
            sysclk_hz: 160_000_000,
            hclk_hz: 160_000_000,
            pclk1_hz: 160_000_000,
            pclk2_hz: 160_000_000,
        }
    }
}

impl CloudLink for SimBoard {
    fn is_online(&self) -> bool {
        self.online
    }

    fn logging_disabled_by_server(&self) -> bool {
        self.logging_disabled
    }

    fn send_log(&mut self, message: &[u8]) {
        self.delivered_logs.push(message.to_vec());
    }
}
