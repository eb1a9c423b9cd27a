//! The STM32U5 flash driver against a recording model of the controller: its register sequences, and the model's contract.

use mv_flash::stm32u5::{
    cr, reg, sr, Registers, Security, Stm32u5Flash, BANK_SIZE, KEY1, KEY2, NS_ALIAS, S_ALIAS,
};
use mv_flash::{Flash, FlashError, FlashModel, PAGE_SIZE, UNIT};

/// One bus access the driver made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Access {
    Write(u32, u32),
    Store(u32, u32),
}

/// The controller as RM0456 describes the parts the driver uses: keys,
/// `PG`/`PER`/`MER`, quad-word buffering, the security of each page, and
/// the error flags. Reads of the status registers report `BSY` once after
/// every operation, so the driver must wait.
struct Controller {
    flash: Vec<u8>,
    /// Quad-words whose programming was interrupted (read as ECC errors).
    torn: Vec<u32>,
    nscr: u32,
    seccr: u32,
    nssr: u32,
    secsr: u32,
    /// Keys written so far to `NSKEYR`/`SECKEYR`.
    ns_keys: Vec<u32>,
    s_keys: Vec<u32>,
    security: (u32, u32, u32, u32),
    buffer: Vec<(u32, u32)>,
    busy: bool,
    ecc: Option<u32>,
    /// Set this error flag on the next operation.
    inject: u32,
    log: Vec<Access>,
}

impl Controller {
    /// Bank 1 non-secure, bank 2 secure (the layout `firmware/secure` asks for).
    fn new() -> Controller {
        Controller {
            flash: vec![0xFF; 2 * BANK_SIZE as usize],
            torn: Vec::new(),
            nscr: cr::LOCK,
            seccr: cr::LOCK,
            nssr: 0,
            secsr: 0,
            ns_keys: Vec::new(),
            s_keys: Vec::new(),
            security: (0x7F, 0, 0, 0x7F),
            buffer: Vec::new(),
            busy: false,
            ecc: None,
            inject: 0,
            log: Vec::new(),
        }
    }

    fn page_secure(&self, page: u32) -> bool {
        let s = Security {
            bank1: (self.security.0, self.security.1),
            bank2: (self.security.2, self.security.3),
        };
        s.is_secure(page)
    }

    fn fail(&mut self, secure: bool, flag: u32) {
        if secure {
            self.secsr |= flag;
        } else {
            self.nssr |= flag;
        }
    }

    fn control(&mut self, secure: bool, value: u32) {
        let (cr_now, keys) = if secure {
            (self.seccr, &mut self.s_keys)
        } else {
            (self.nscr, &mut self.ns_keys)
        };
        let unlocked = cr_now & cr::LOCK == 0;
        if !unlocked {
            // Locked: only the key sequence opens it.
            return;
        }
        keys.clear();
        // STRT starts the operation; the hardware clears it when BSY drops.
        let new = value;
        if secure {
            self.seccr = new & !cr::STRT;
        } else {
            self.nscr = new & !cr::STRT;
        }
        if new & cr::STRT != 0 {
            self.busy = true;
            if self.inject != 0 {
                let flag = std::mem::take(&mut self.inject);
                self.fail(secure, flag);
                return;
            }
            if new & cr::PER != 0 {
                let page = ((new & cr::PNB_MASK) >> cr::PNB_SHIFT)
                    + if new & cr::BKER != 0 { 128 } else { 0 };
                if self.page_secure(page) != secure {
                    self.fail(secure, sr::WRPERR);
                    return;
                }
                let at = (page * PAGE_SIZE) as usize;
                self.flash[at..at + PAGE_SIZE as usize].fill(0xFF);
                self.torn.retain(|&q| q / PAGE_SIZE != page);
            } else if new & (cr::MER1 | cr::MER2) != 0 {
                for page in 0..256 {
                    let bank_hit =
                        (page < 128 && new & cr::MER1 != 0) || (page >= 128 && new & cr::MER2 != 0);
                    if bank_hit && self.page_secure(page) == secure {
                        let at = (page * PAGE_SIZE) as usize;
                        self.flash[at..at + PAGE_SIZE as usize].fill(0xFF);
                    }
                }
            } else {
                self.fail(secure, sr::PGSERR);
            }
        }
    }
}

impl Registers for Controller {
    fn read(&mut self, offset: u32) -> u32 {
        match offset {
            reg::NSCR => self.nscr,
            reg::SECCR => self.seccr,
            reg::NSSR | reg::SECSR => {
                let status = if offset == reg::NSSR {
                    self.nssr
                } else {
                    self.secsr
                };
                if std::mem::take(&mut self.busy) {
                    status | sr::BSY
                } else {
                    status
                }
            }
            reg::SECWM1R1 => self.security.0 | (self.security.1 << 16),
            reg::SECWM2R1 => self.security.2 | (self.security.3 << 16),
            _ => 0,
        }
    }

    fn write(&mut self, offset: u32, value: u32) {
        self.log.push(Access::Write(offset, value));
        match offset {
            reg::NSKEYR | reg::SECKEYR => {
                let secure = offset == reg::SECKEYR;
                let keys = if secure {
                    &mut self.s_keys
                } else {
                    &mut self.ns_keys
                };
                keys.push(value);
                if keys[..] == [KEY1, KEY2] {
                    if secure {
                        self.seccr &= !cr::LOCK;
                    } else {
                        self.nscr &= !cr::LOCK;
                    }
                }
            }
            reg::NSSR => self.nssr &= !value,
            reg::SECSR => self.secsr &= !value,
            reg::NSCR => self.control(false, value),
            reg::SECCR => self.control(true, value),
            _ => {}
        }
    }

    fn store_word(&mut self, addr: u32, value: u32) {
        self.log.push(Access::Store(addr, value));
        let secure = addr >= S_ALIAS;
        let offset = addr - if secure { S_ALIAS } else { NS_ALIAS };
        let pg = if secure { self.seccr } else { self.nscr } & cr::PG != 0;
        if !pg {
            self.fail(secure, sr::PGSERR);
            return;
        }
        if self.page_secure(offset / PAGE_SIZE) != secure {
            self.fail(secure, sr::WRPERR);
            return;
        }
        self.buffer.push((offset, value));
        if self.buffer.len() < 4 {
            return;
        }
        let words = std::mem::take(&mut self.buffer);
        let quad = words[0].0;
        self.busy = true;
        if !quad.is_multiple_of(16)
            || words
                .iter()
                .enumerate()
                .any(|(i, w)| w.0 != quad + 4 * i as u32)
        {
            self.fail(secure, sr::PGAERR);
            return;
        }
        if self.inject != 0 {
            let flag = std::mem::take(&mut self.inject);
            self.fail(secure, flag);
            return;
        }
        for (at, word) in words {
            let at = at as usize;
            if self.flash[at..at + 4] != [0xFF; 4] && word != 0 {
                self.fail(secure, sr::PROGERR);
                return;
            }
            self.flash[at..at + 4].copy_from_slice(&word.to_le_bytes());
        }
    }

    fn load(&mut self, addr: u32, buf: &mut [u8]) {
        let secure = addr >= S_ALIAS;
        let offset = addr - if secure { S_ALIAS } else { NS_ALIAS };
        let at = offset as usize;
        buf.copy_from_slice(&self.flash[at..at + buf.len()]);
        if let Some(&q) = self
            .torn
            .iter()
            .find(|&&q| q + 16 > offset && q < offset + buf.len() as u32)
        {
            self.ecc = Some((q % BANK_SIZE) | if q >= BANK_SIZE { 1 << 21 } else { 0 } | 1 << 31);
        }
    }

    fn take_ecc_error(&mut self) -> Option<u32> {
        self.ecc.take()
    }
}

const SIZE: u32 = 255 * PAGE_SIZE;

fn driver() -> Stm32u5Flash<Controller> {
    Stm32u5Flash::new(Controller::new(), SIZE)
}

fn unit(byte: u8) -> [u8; UNIT] {
    [byte; UNIT]
}

#[test]
fn watermarks_split_the_banks() {
    let flash = driver();
    let s = flash.security();
    assert!(!s.is_secure(0) && !s.is_secure(127));
    assert!(s.is_secure(128) && s.is_secure(254));
}

#[test]
fn a_non_secure_quad_word_is_programmed_through_nscr_and_the_ns_alias() {
    let mut flash = driver();
    flash.program(0x40, &[0x11; UNIT]).unwrap();
    let log = &flash.registers().log;
    assert_eq!(
        log[..],
        [
            Access::Write(reg::NSKEYR, KEY1),
            Access::Write(reg::NSKEYR, KEY2),
            Access::Write(reg::NSCR, cr::PG),
            Access::Store(NS_ALIAS + 0x40, 0x1111_1111),
            Access::Store(NS_ALIAS + 0x44, 0x1111_1111),
            Access::Store(NS_ALIAS + 0x48, 0x1111_1111),
            Access::Store(NS_ALIAS + 0x4C, 0x1111_1111),
            Access::Write(reg::NSCR, cr::LOCK),
        ]
    );
    let mut back = [0u8; UNIT];
    flash.read(0x40, &mut back).unwrap();
    assert_eq!(back, [0x11; UNIT]);
}

#[test]
fn a_secure_page_is_erased_through_seccr_with_its_bank_and_page_number() {
    let mut flash = driver();
    let page = 128 + 5;
    flash.program(page * PAGE_SIZE, &unit(0)).unwrap();
    flash.registers().log.clear();
    flash.erase_page(page).unwrap();
    let select = cr::PER | (5 << cr::PNB_SHIFT) | cr::BKER;
    assert_eq!(
        flash.registers().log[..],
        [
            Access::Write(reg::SECKEYR, KEY1),
            Access::Write(reg::SECKEYR, KEY2),
            Access::Write(reg::SECCR, select),
            Access::Write(reg::SECCR, select | cr::STRT),
            Access::Write(reg::SECCR, cr::LOCK),
        ]
    );
    let mut back = [0u8; UNIT];
    flash.read(page * PAGE_SIZE, &mut back).unwrap();
    assert_eq!(back, [0xFF; UNIT], "erased");
}

#[test]
fn bad_requests_never_reach_the_controller() {
    let mut flash = driver();
    flash.program(0, &unit(1)).unwrap();
    flash.registers().log.clear();
    assert_eq!(flash.program(8, &unit(1)), Err(FlashError::Misaligned));
    assert_eq!(
        flash.program(0, &unit(2)),
        Err(FlashError::AlreadyProgrammed)
    );
    assert_eq!(flash.program(SIZE, &unit(2)), Err(FlashError::OutOfRange));
    assert_eq!(
        flash.erase_page(SIZE / PAGE_SIZE),
        Err(FlashError::OutOfRange)
    );
    let mut buf = [0u8; 32];
    assert_eq!(flash.read(SIZE - 16, &mut buf), Err(FlashError::OutOfRange));
    assert!(
        flash.registers().log.is_empty(),
        "{:?}",
        flash.registers().log
    );
}

#[test]
fn controller_errors_are_reported_with_their_flags_and_cleared() {
    let mut flash = driver();
    flash.registers().inject = sr::WRPERR;
    assert_eq!(
        flash.erase_page(3),
        Err(FlashError::Controller { status: sr::WRPERR })
    );
    assert_eq!(flash.registers().nssr & sr::ERRORS, 0, "cleared");
    // The next operation goes through.
    flash.program(3 * PAGE_SIZE, &unit(7)).unwrap();
}

#[test]
fn a_torn_quad_word_reads_as_an_ecc_error_at_its_offset() {
    let mut flash = driver();
    let torn = BANK_SIZE + 200 * UNIT as u32;
    flash.registers().torn.push(torn);
    let mut buf = [0u8; 64];
    assert_eq!(
        flash.read(torn - 16, &mut buf),
        Err(FlashError::Ecc { offset: torn })
    );
    flash.erase_page(torn / PAGE_SIZE).unwrap();
    flash.read(torn - 16, &mut buf).unwrap();
}

#[test]
fn a_bank_erase_takes_only_the_pages_of_its_security() {
    let mut flash = driver();
    flash.program(0, &unit(1)).unwrap();
    flash.program(BANK_SIZE, &unit(2)).unwrap();
    flash.erase_bank(1, false).unwrap();
    flash.erase_bank(2, false).unwrap();
    let mut buf = [0u8; UNIT];
    flash.read(0, &mut buf).unwrap();
    assert_eq!(buf, [0xFF; UNIT], "bank 1 is non-secure: erased");
    flash.read(BANK_SIZE, &mut buf).unwrap();
    assert_eq!(
        buf, [2; UNIT],
        "bank 2 is secure: a non-secure mass erase leaves it"
    );
    assert_eq!(flash.erase_bank(3, true), Err(FlashError::OutOfRange));
}

/// The same operations on the model and on the driver: the same answers
/// and the same bytes, so the OTA engine cannot tell them apart.
#[test]
fn the_driver_keeps_the_models_contract() {
    let mut driver = driver();
    let cells = vec![0u8; mv_flash::NvmMap::new(SIZE).cells_len() as usize];
    let mut model = FlashModel::open(cells, SIZE);
    let pages = [0u32, 1, 127, 128, 200, 254];
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    for step in 0..600u32 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let page = pages[(seed % pages.len() as u64) as usize];
        let slot = ((seed >> 8) % 6) as u32;
        let offset = page * PAGE_SIZE + slot * UNIT as u32;
        match (seed >> 20) % 8 {
            0 => assert_eq!(
                driver.erase_page(page),
                model.erase_page(page),
                "step {step}"
            ),
            1 => {
                let off = offset + 8;
                assert_eq!(driver.program(off, &unit(3)), model.program(off, &unit(3)));
            }
            _ => {
                let data = unit((step % 251) as u8);
                assert_eq!(
                    driver.program(offset, &data),
                    model.program(offset, &data),
                    "step {step} at {offset:#x}"
                );
            }
        }
        let mut a = [0u8; 96];
        let mut b = [0u8; 96];
        let at = page * PAGE_SIZE;
        assert_eq!(driver.read(at, &mut a), model.read(at, &mut b));
        assert_eq!(a, b, "step {step}");
    }
}
