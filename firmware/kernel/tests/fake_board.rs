//! A fake board for kernel unit tests: flat app RAM, and faults on demand.
#![allow(dead_code)]

use mv_kernel::board::{
    AppRegion, BusFault, Clock, ClockTree, CloudLink, DeviceInfo, Entropy, ExternalFlash,
    ExternalFlashInfo, Interrupts, NsMemory, Peripherals, Power, SharedRegister,
};

pub const RAM: u32 = 0x2000_0000;
pub const RAM_SIZE: u32 = 0x1_0000;
pub const SECURE: u32 = 0x3000_0000;
/// The app's vector table: at the start of app RAM, every vector pointing
/// into it (the fake has no flash).
pub const VTOR: u32 = RAM;
/// The app's window of the external flash.
pub const EXT_FLASH_SIZE: u32 = 0x4000;

pub struct FakeBoard {
    pub ram: Vec<u8>,
    pub now: u64,
    pub pended: Vec<u32>,
    pub secure_irqs: Vec<u32>,
    pub rng: Vec<u32>,
    /// Fail the n-th write from now (0 = the next one), once.
    pub fail_write_in: Option<usize>,
    pub writes: usize,
    pub register: u32,
    pub sent: Vec<Vec<u8>>,
    /// When set, every write's `(addr, len)` is recorded here.
    pub write_log: Option<Vec<(u32, usize)>>,
    /// The caller is one of the app's interrupt handlers.
    pub in_interrupt: bool,
    /// NVIC: IRQs made fast, IRQs enabled.
    pub fast: Vec<u32>,
    pub enabled: Vec<u32>,
    /// IRQs whose handler runs (or is pre-empted): what `IABR` says.
    pub active: Vec<u32>,
    pub vtor: u32,
    /// The external flash (erased: 0xFF).
    pub ext_flash: Vec<u8>,
    pub led: Option<bool>,
    pub test_log: Vec<Vec<u8>>,
    /// Runs once, at the next pend, as the app's handler of a fast IRQ
    /// would: inside the call that pended it (it may change app memory).
    pub on_pend: Option<fn(&mut FakeBoard)>,
}

impl Default for FakeBoard {
    fn default() -> Self {
        FakeBoard {
            ram: vec![0; RAM_SIZE as usize],
            now: 0,
            pended: Vec::new(),
            secure_irqs: vec![3],
            rng: vec![0x1111_1111, 0x2222_2222, 0x3333_3333, 0x4444_4444],
            fail_write_in: None,
            writes: 0,
            register: 0x40,
            sent: Vec::new(),
            write_log: None,
            in_interrupt: false,
            fast: Vec::new(),
            enabled: Vec::new(),
            active: Vec::new(),
            vtor: VTOR,
            ext_flash: vec![0xFF; EXT_FLASH_SIZE as usize],
            led: None,
            test_log: Vec::new(),
            on_pend: None,
        }
    }
}

impl FakeBoard {
    pub fn u32_at(&self, addr: u32) -> u32 {
        let o = (addr - RAM) as usize;
        u32::from_le_bytes(self.ram[o..o + 4].try_into().unwrap())
    }
    pub fn put(&mut self, addr: u32, bytes: &[u8]) {
        let o = (addr - RAM) as usize;
        self.ram[o..o + bytes.len()].copy_from_slice(bytes);
    }
    pub fn bytes(&self, addr: u32, len: usize) -> &[u8] {
        let o = (addr - RAM) as usize;
        &self.ram[o..o + len]
    }
}

impl NsMemory for FakeBoard {
    fn app_regions(&self) -> &[AppRegion] {
        &[AppRegion {
            base: RAM,
            size: RAM_SIZE,
            writable: true,
        }]
    }
    fn read_ns(&mut self, addr: u32, buf: &mut [u8]) -> Result<(), BusFault> {
        let o = (addr - RAM) as usize;
        buf.copy_from_slice(&self.ram[o..o + buf.len()]);
        Ok(())
    }
    fn write_ns(&mut self, addr: u32, data: &[u8]) -> Result<(), BusFault> {
        if let Some(n) = self.fail_write_in {
            if n == 0 {
                self.fail_write_in = None;
                return Err(BusFault { addr });
            }
            self.fail_write_in = Some(n - 1);
        }
        self.writes += 1;
        if let Some(log) = &mut self.write_log {
            log.push((addr, data.len()));
        }
        self.put(addr, data);
        Ok(())
    }
}

impl Clock for FakeBoard {
    fn now_us(&self) -> u64 {
        self.now
    }
}

impl Interrupts for FakeBoard {
    fn is_ns_irq(&self, irq: u32) -> bool {
        irq < 100 && !self.secure_irqs.contains(&irq)
    }
    fn pend_irq(&mut self, irq: u32) {
        self.pended.push(irq);
        if let Some(handler) = self.on_pend.take() {
            handler(self);
        }
    }
    fn caller_in_interrupt(&self) -> bool {
        self.in_interrupt
    }
    fn set_irq_fast(&mut self, irq: u32, fast: bool) {
        self.fast.retain(|&i| i != irq);
        if fast {
            self.fast.push(irq);
        }
    }
    fn set_irq_enabled(&mut self, irq: u32, enabled: bool) {
        self.enabled.retain(|&i| i != irq);
        if enabled {
            self.enabled.push(irq);
        }
    }
    /// Active, or pended (the kernel's pends are all the fake keeps) and enabled.
    fn irq_busy(&self, irq: u32) -> bool {
        self.active.contains(&irq) || (self.pended.contains(&irq) && self.enabled.contains(&irq))
    }
    fn ns_vector_table(&self) -> u32 {
        self.vtor
    }
}

impl ExternalFlash for FakeBoard {
    fn external_flash_info(&self) -> ExternalFlashInfo {
        ExternalFlashInfo {
            chip_id: 0x00C2_2814,
            size: EXT_FLASH_SIZE,
        }
    }
    fn external_flash_read(&mut self, offset: u32, buf: &mut [u8]) {
        let o = offset as usize;
        buf.copy_from_slice(&self.ext_flash[o..o + buf.len()]);
    }
    fn external_flash_program(&mut self, offset: u32, data: &[u8]) {
        let o = offset as usize;
        for (cell, &b) in self.ext_flash[o..o + data.len()].iter_mut().zip(data) {
            *cell &= b;
        }
    }
    fn external_flash_erase(&mut self, offset: u32, len: u32) {
        let o = offset as usize;
        self.ext_flash[o..o + len as usize].fill(0xFF);
    }
}

impl Power for FakeBoard {
    fn set_system_led(&mut self, on: bool) {
        self.led = Some(on);
    }
}

impl Entropy for FakeBoard {
    fn random_u32(&mut self) -> u32 {
        let v = self.rng.remove(0);
        self.rng.push(v.wrapping_add(0x0101_0101));
        v
    }
}

impl Peripherals for FakeBoard {
    fn shared_registers(&self) -> &[SharedRegister] {
        &[SharedRegister {
            addr: 0x4602_0CA8,
            writable: 0xFFFF_FFBF,
        }]
    }
    fn read_register(&mut self, _addr: u32) -> u32 {
        self.register
    }
    fn write_register(&mut self, _addr: u32, value: u32) {
        self.register = value;
    }
}

impl DeviceInfo for FakeBoard {
    fn device_id(&self) -> [u8; 34] {
        *b"UVfedcba9876543210fedcba9876543210"
    }
    fn clock_tree(&self) -> ClockTree {
        ClockTree {
            sysclk_hz: 1,
            hclk_hz: 2,
            pclk1_hz: 3,
            pclk2_hz: 4,
        }
    }
}

impl CloudLink for FakeBoard {
    fn send_log(&mut self, message: &[u8]) {
        self.sent.push(message.to_vec());
    }
    fn send_test_log(&mut self, message: &[u8]) {
        self.test_log.push(message.to_vec());
    }
}
