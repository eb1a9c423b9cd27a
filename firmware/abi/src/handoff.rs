//! The handoff block: what the secure image tells the non-secure app at boot.
//!
//! The secure image writes it into the first [`HANDOFF_SIZE`] bytes of app
//! RAM before it branches to the app; the app reads it before it touches
//! anything else. It is the only way the app learns where the NSC veneer
//! table is on a board where the secure image picks that address itself
//! (QEMU `mps2-an505`); on the STM32U585 the table is at a fixed address.
//! Both sides use this one definition, so the layout cannot drift. The
//! images move it with volatile word accesses ([`Handoff::to_words`],
//! [`Handoff::from_words`]); this crate stays free of `unsafe`.

/// `"MVNS"` as a number (a little-endian memory dump shows `SNVM`); zeroed or
/// stale RAM never matches it.
pub const HANDOFF_MAGIC: u32 = 0x4D56_4E53;

/// Bytes of app RAM reserved for the block (the app's own RAM starts after it).
pub const HANDOFF_SIZE: u32 = 64;

/// Words the block occupies.
pub const HANDOFF_WORDS: usize = 6;

/// The block, exactly as it sits in memory (`#[repr(C)]`, six words).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Handoff {
    /// [`HANDOFF_MAGIC`] when the block is valid.
    pub magic: u32,
    /// Address of NSC entry 0; entry `n` is at `nsc_table_base + 8*n`.
    pub nsc_table_base: u32,
    /// App RAM (non-secure), including this block.
    pub ns_ram_base: u32,
    pub ns_ram_size: u32,
    /// App code (non-secure), where the app image was loaded.
    pub ns_code_base: u32,
    pub ns_code_size: u32,
}

const _: () = assert!(core::mem::size_of::<Handoff>() == HANDOFF_WORDS * 4);
const _: () = assert!(core::mem::size_of::<Handoff>() <= HANDOFF_SIZE as usize);

impl Handoff {
    /// Does the block carry the magic and a table base that is not zero?
    #[must_use]
    pub fn is_valid(&self) -> bool {
        self.magic == HANDOFF_MAGIC && self.nsc_table_base != 0
    }

    /// The words in memory order.
    pub fn to_words(&self) -> [u32; HANDOFF_WORDS] {
        [
            self.magic,
            self.nsc_table_base,
            self.ns_ram_base,
            self.ns_ram_size,
            self.ns_code_base,
            self.ns_code_size,
        ]
    }

    /// The block from its words in memory order.
    pub fn from_words(w: [u32; HANDOFF_WORDS]) -> Handoff {
        Handoff {
            magic: w[0],
            nsc_table_base: w[1],
            ns_ram_base: w[2],
            ns_ram_size: w[3],
            ns_code_base: w[4],
            ns_code_size: w[5],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_is_six_words_in_declaration_order() {
        assert_eq!(core::mem::size_of::<Handoff>(), 24);
        assert_eq!(core::mem::offset_of!(Handoff, nsc_table_base), 4);
        assert_eq!(core::mem::offset_of!(Handoff, ns_code_size), 20);
        let h = Handoff::from_words([1, 2, 3, 4, 5, 6]);
        assert_eq!(h.ns_ram_size, 4);
        assert_eq!(h.to_words(), [1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn zeroed_ram_is_not_a_block() {
        assert!(!Handoff::default().is_valid());
        let ok = Handoff {
            magic: HANDOFF_MAGIC,
            nsc_table_base: 0x100F_0000,
            ..Handoff::default()
        };
        assert!(ok.is_valid());
    }
}
