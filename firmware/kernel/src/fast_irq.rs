//! Fast interrupts: which of the app's IRQs pre-empt the secure world, and the global gate.
//!
//! `mvSetFastInterrupt` gives an IRQ the highest priority the app's NVIC has
//! (on target above the secure world's own work for the app, so its handler
//! runs even while a system call is in progress), `mvClearFastInterrupt`
//! takes it back. The fast IRQs are enabled and disabled one by one through
//! the kernel, and together through a global gate: "The individual enable
//! states persist" [H] — the NVIC enable bit of a fast IRQ is its own enable
//! state AND the gate. After a hung fast interrupt or a flood the device
//! shuts fast interrupts down until the app restarts (`UNAVAILABLE`).

/// IRQ numbers an ARMv8-M NVIC can have.
pub const MAX_IRQS: u32 = 480;
const WORDS: usize = MAX_IRQS as usize / 32;

/// The running app's fast interrupts.
#[derive(Clone, Debug)]
pub struct FastInterrupts {
    fast: [u32; WORDS],
    enabled: [u32; WORDS],
    /// `mvEnableAllFastInterrupts` / `mvDisableAllFastInterrupts`.
    gate_open: bool,
    /// Shut down after a hung interrupt or a flood.
    shut_down: bool,
}

impl Default for FastInterrupts {
    fn default() -> Self {
        Self::new()
    }
}

fn bit(irq: u32) -> (usize, u32) {
    ((irq / 32) as usize, 1 << (irq % 32))
}

impl FastInterrupts {
    /// At app start: no fast IRQ, the gate open (**Choice**, ABI.md §16).
    pub const fn new() -> Self {
        FastInterrupts {
            fast: [0; WORDS],
            enabled: [0; WORDS],
            gate_open: true,
            shut_down: false,
        }
    }

    pub fn is_fast(&self, irq: u32) -> bool {
        let (w, m) = bit(irq);
        irq < MAX_IRQS && self.fast[w] & m != 0
    }

    pub fn set_fast(&mut self, irq: u32, fast: bool) {
        let (w, m) = bit(irq);
        if fast {
            self.fast[w] |= m;
        } else {
            self.fast[w] &= !m;
            self.enabled[w] &= !m;
        }
    }

    pub fn set_enabled(&mut self, irq: u32, enabled: bool) {
        let (w, m) = bit(irq);
        if enabled {
            self.enabled[w] |= m;
        } else {
            self.enabled[w] &= !m;
        }
    }

    /// What the NVIC enable bit of a fast IRQ must be.
    pub fn nvic_enabled(&self, irq: u32) -> bool {
        let (w, m) = bit(irq);
        self.gate_open && !self.shut_down && self.fast[w] & self.enabled[w] & m != 0
    }

    pub fn set_gate(&mut self, open: bool) {
        self.gate_open = open;
    }

    pub fn is_shut_down(&self) -> bool {
        self.shut_down
    }

    pub fn shut_down(&mut self) {
        self.shut_down = true;
    }

    /// Every fast IRQ, in order (a word at a time: the flood watch asks on
    /// every tick of the secure clock).
    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.fast
            .iter()
            .enumerate()
            .filter(|(_, &word)| word != 0)
            .flat_map(|(w, &word)| {
                (0..32)
                    .filter(move |b| word & (1 << b) != 0)
                    .map(move |b| 32 * w as u32 + b)
            })
    }
}
