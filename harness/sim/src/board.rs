//! `SimBoard`: the STM32U585 model behind the kernel's board traits.
//!
//! Memory comes from [`crate::memory`] on the map of `mv_boards::stm32u585`;
//! the clock is virtual (it moves only when the app does something, so runs
//! are deterministic); the NVIC keeps pending and enabled bits for the app's
//! IRQs and counts the agent's handler runs; the RCC is the shared-register
//! table every board uses; the uplink collects what the device sends the
//! cloud, for the harness to take.

use mv_boards::stm32u585::{
    self, attribution, Attribution, APP_REGIONS, CLOCK_HZ, IRQ_COUNT, PRIVILEGED_ONLY_BASE,
    PRIVILEGED_ONLY_SIZE, RCC_BASE, SHARED_RCC,
};
use mv_device::Uplink;
use mv_kernel::board::{
    Access, AppRegion, BusFault, ClockTree, CloudLink, DeviceInfo, Entropy, ExternalFlash,
    ExternalFlashInfo, Interrupts, NsMemory, Peripherals, Power, SharedRegister,
};
use mv_proto::DeviceToCloud;

use crate::ext_flash::{self, SimExternalFlash};
use crate::memory::AppMemory;

/// How many microseconds one syscall takes on the virtual clock.
pub const CALL_COST_US: u64 = 1;

/// How long one entry of a flooded IRQ's handler takes on the virtual clock.
pub const FLOOD_ENTRY_COST_US: u64 = 1;

/// The secure clock's tick that samples the fast interrupts during a flood
/// (the AN505 image's SysTick: 1 kHz while its cloud link brings whole
/// frames, as a conformance session's ring does; 10 kHz only while UART3
/// brings bytes).
pub const SECURE_TICK_US: u64 = 1_000;

/// The board model.
#[derive(Clone, Debug)]
pub struct SimBoard {
    pub(crate) memory: AppMemory,
    now_us: u64,
    /// Pending and enabled bits, one per IRQ (125 fit in a `u128`).
    pending: u128,
    enabled: u128,
    /// IRQs the kernel made fast (the NVIC's highest app priority).
    fast: u128,
    /// IRQs whose handler is running (NVIC `IABR`): only during a flood,
    /// the one place where the secure clock's tick comes inside a handler.
    pub(crate) active: u128,
    /// The app's window of the external flash; it outlives the app.
    ext_flash: SimExternalFlash,
    /// The system LED (`mvSystemLedEnable`).
    system_led: bool,
    /// How often the agent's handler ran, per IRQ (the agent's own counters:
    /// they start over with the app).
    pub(crate) handled: [u32; IRQ_COUNT as usize],
    /// The app is in one of its interrupt handlers (what IPSR says on target).
    pub(crate) in_handler: bool,
    /// The app's thread mode is unprivileged (what CONTROL_NS.nPRIV says).
    pub(crate) unprivileged: bool,
    /// The app's `VTOR_NS`.
    pub(crate) vtor: u32,
    rng_state: u64,
    registers: Vec<SharedRegister>,
    register_values: Vec<u32>,
    device_id: [u8; 34],
    uplink: Vec<DeviceToCloud>,
    /// Accesses the kernel asked for outside app memory (refused): a kernel
    /// whose checks hold never asks.
    escapes: u32,
    /// The kernel's accesses the bus-error window refused: app memory to
    /// the checks, so a kernel may meet them (`LATEFAULT` after a side effect).
    window_faults: u32,
}

impl SimBoard {
    pub fn new(seed: u64, device_id: [u8; 34]) -> Self {
        SimBoard {
            memory: AppMemory::default(),
            now_us: 0,
            pending: 0,
            enabled: 0,
            fast: 0,
            active: 0,
            ext_flash: ext_flash::erased(),
            system_led: true,
            handled: [0; IRQ_COUNT as usize],
            in_handler: false,
            unprivileged: false,
            vtor: stm32u585::NS_FLASH_BASE,
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
            uplink: Vec::new(),
            escapes: 0,
            window_faults: 0,
        }
    }

    /// Accesses the kernel asked for outside app memory since the last call.
    pub fn take_escapes(&mut self) -> u32 {
        std::mem::take(&mut self.escapes)
    }

    /// The kernel's accesses the bus-error window refused since the last call.
    pub fn take_window_faults(&mut self) -> u32 {
        std::mem::take(&mut self.window_faults)
    }

    /// Counts a refused access of the kernel: an escape, or the bus-error
    /// window answering inside app memory.
    fn refused(&mut self, addr: u32, len: usize, write: bool) {
        if in_app_memory(addr, len, write) {
            self.window_faults += 1;
        } else {
            self.escapes += 1;
        }
    }

    pub fn advance_us(&mut self, us: u64) {
        self.now_us += us;
    }

    pub fn is_pending(&self, irq: u32) -> bool {
        irq < IRQ_COUNT && self.pending & (1 << irq) != 0
    }

    pub fn is_enabled(&self, irq: u32) -> bool {
        irq < IRQ_COUNT && self.enabled & (1 << irq) != 0
    }

    /// Is `irq` a fast interrupt (highest app priority) now?
    pub fn is_fast(&self, irq: u32) -> bool {
        irq < IRQ_COUNT && self.fast & (1 << irq) != 0
    }

    /// Is the system LED on?
    pub fn system_led(&self) -> bool {
        self.system_led
    }

    /// The app's NVIC writes: as on the hardware, they are ignored for an
    /// IRQ that is not targeted non-secure.
    pub(crate) fn set_enabled(&mut self, irq: u32, enabled: bool) {
        if self.is_ns_irq(irq) {
            self.enabled = (self.enabled & !(1 << irq)) | (u128::from(enabled) << irq);
        }
    }

    pub(crate) fn clear_pending(&mut self, irq: u32) {
        if self.is_ns_irq(irq) {
            self.pending &= !(1 << irq);
        }
    }

    /// The app sets a pending bit (NVIC `ISPR`).
    pub(crate) fn set_pending(&mut self, irq: u32) {
        if self.is_ns_irq(irq) {
            self.pending |= 1 << irq;
        }
    }

    /// Everything the device sent the cloud since the last call.
    pub fn take_uplink(&mut self) -> Vec<DeviceToCloud> {
        std::mem::take(&mut self.uplink)
    }

    /// The NVIC takes every pending, enabled IRQ; the agent's handler counts it.
    pub(crate) fn run_pending_handlers(&mut self) {
        let mut due = self.enabled & self.pending;
        self.pending &= !due;
        while due != 0 {
            let irq = due.trailing_zeros() as usize;
            self.handled[irq] += 1;
            due &= due - 1;
        }
    }

    /// The app is torn down: its interrupts disabled and not pending, its
    /// handler counts gone with it.
    pub(crate) fn quiet_app(&mut self) {
        self.pending = 0;
        self.enabled = 0;
        self.fast = 0;
        self.active = 0;
        self.handled = [0; IRQ_COUNT as usize];
    }
}

/// The app's MPU regions in app RAM, as the agent image programs them
/// (`firmware/agent/src/mpu.rs`): below, inside and above the
/// privileged-only window.
fn mpu_region(addr: u32) -> u8 {
    match addr {
        a if a < PRIVILEGED_ONLY_BASE => 1,
        a if a < PRIVILEGED_ONLY_BASE + PRIVILEGED_ONLY_SIZE => 2,
        _ => 3,
    }
}

impl NsMemory for SimBoard {
    fn app_regions(&self) -> &[AppRegion] {
        &APP_REGIONS
    }

    /// What TT says with the app's MPU: both ends of a RAM range in one
    /// MPU region, and the privileged-only one refused to an unprivileged
    /// caller. (App flash is one region, open to both.)
    fn attribution_allows(&self, addr: u32, len: u32, _access: Access) -> bool {
        let last = addr + (len - 1);
        if attribution(addr) != Attribution::AppRam {
            return true;
        }
        let region = mpu_region(addr);
        region == mpu_region(last) && !(self.unprivileged && region == 2)
    }

    fn read_ns(&mut self, addr: u32, buf: &mut [u8]) -> Result<(), BusFault> {
        let read = self.memory.read(addr, buf);
        if read.is_none() {
            self.refused(addr, buf.len(), false);
        }
        read.ok_or(BusFault { addr })
    }

    fn write_ns(&mut self, addr: u32, data: &[u8]) -> Result<(), BusFault> {
        let written = self.memory.write(addr, data);
        if written.is_none() {
            self.refused(addr, data.len(), true);
        }
        written.ok_or(BusFault { addr })
    }
}

/// Does `[addr, addr + len)` lie in one app region (a writable one for a
/// write)? A refused access inside one is the bus-error window answering,
/// which the kernel must survive, not an access it should never have made.
fn in_app_memory(addr: u32, len: usize, write: bool) -> bool {
    let end = u64::from(addr) + len as u64;
    APP_REGIONS.iter().any(|r| {
        (r.writable || !write) && addr >= r.base && end <= u64::from(r.base) + u64::from(r.size)
    })
}

impl mv_kernel::board::Clock for SimBoard {
    fn now_us(&self) -> u64 {
        self.now_us
    }
}

impl Interrupts for SimBoard {
    fn is_ns_irq(&self, irq: u32) -> bool {
        irq < IRQ_COUNT && !stm32u585::SECURE_IRQS.contains(&irq)
    }

    fn pend_irq(&mut self, irq: u32) {
        if irq < IRQ_COUNT {
            self.pending |= 1 << irq;
        }
    }

    fn caller_in_interrupt(&self) -> bool {
        self.in_handler
    }

    fn set_irq_fast(&mut self, irq: u32, fast: bool) {
        if irq < IRQ_COUNT {
            self.fast = (self.fast & !(1 << irq)) | (u128::from(fast) << irq);
        }
    }

    fn set_irq_enabled(&mut self, irq: u32, enabled: bool) {
        if irq < IRQ_COUNT {
            self.enabled = (self.enabled & !(1 << irq)) | (u128::from(enabled) << irq);
        }
    }

    fn irq_busy(&self, irq: u32) -> bool {
        irq < IRQ_COUNT && ((self.active | (self.pending & self.enabled)) & (1 << irq)) != 0
    }

    /// The app's `VTOR_NS`: the start of its image, as the secure image
    /// points it on AN505, unless the agent moved it.
    fn ns_vector_table(&self) -> u32 {
        self.vtor
    }
}

impl ExternalFlash for SimBoard {
    fn external_flash_info(&self) -> ExternalFlashInfo {
        ExternalFlashInfo {
            chip_id: mv_boards::external_flash::CHIP_ID,
            size: self.ext_flash.size(),
        }
    }

    fn external_flash_read(&mut self, offset: u32, buf: &mut [u8]) {
        self.ext_flash
            .read(offset, buf)
            .expect("the kernel checked the range");
    }

    fn external_flash_program(&mut self, offset: u32, data: &[u8]) {
        self.ext_flash
            .program(offset, data)
            .expect("the kernel checked the range");
    }

    fn external_flash_erase(&mut self, offset: u32, len: u32) {
        self.ext_flash
            .erase(offset, len)
            .expect("the kernel checked range and alignment");
    }
}

impl Power for SimBoard {
    fn set_system_led(&mut self, on: bool) {
        self.system_led = on;
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
        ClockTree {
            sysclk_hz: CLOCK_HZ,
            hclk_hz: CLOCK_HZ,
            pclk1_hz: CLOCK_HZ,
            pclk2_hz: CLOCK_HZ,
        }
    }
}

impl CloudLink for SimBoard {
    fn send_log(&mut self, message: &[u8]) {
        self.uplink.push(DeviceToCloud::Log(message.to_vec()));
    }

    fn send_test_log(&mut self, message: &[u8]) {
        self.uplink.push(DeviceToCloud::TestLog(message.to_vec()));
    }
}

impl Uplink for SimBoard {
    fn send(&mut self, message: DeviceToCloud) {
        self.uplink.push(message);
    }
}

#[cfg(test)]
mod tests {
    use mv_boards::stm32u585::{BUS_ERROR_BASE, MV_SRAM3_BASE, NS_FLASH_BASE, NS_RAM_BASE};
    use mv_kernel::board::NsMemory;

    use super::SimBoard;

    #[test]
    fn an_access_the_kernel_makes_outside_app_memory_is_refused_and_counted() {
        let mut board = SimBoard::new(1, [b'U'; 34]);
        assert!(board.write_ns(NS_RAM_BASE, &[1, 2]).is_ok());
        assert_eq!(board.take_escapes(), 0);
        assert!(
            board.write_ns(MV_SRAM3_BASE - 1, &[1, 2]).is_err(),
            "runs into secure SRAM3"
        );
        assert!(board.read_ns(MV_SRAM3_BASE, &mut [0; 4]).is_err());
        assert_eq!(board.take_escapes(), 2);
        assert_eq!(board.take_escapes(), 0, "taken");
        // App flash is app memory the kernel may read, never write.
        assert!(board.write_ns(NS_FLASH_BASE, &[1]).is_err());
        assert_eq!(board.take_escapes(), 1);
        // The bus-error window is app memory whose bus errors the kernel
        // must survive: refused, but no escape.
        assert!(board.read_ns(BUS_ERROR_BASE, &mut [0; 4]).is_err());
        assert!(board.write_ns(BUS_ERROR_BASE - 2, &[0; 4]).is_err());
        assert_eq!(board.take_escapes(), 0);
        assert_eq!(board.take_window_faults(), 2);
        assert_eq!(board.take_window_faults(), 0, "taken");
    }
}
