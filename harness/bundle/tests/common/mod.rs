//! Shared fixtures: a fixed signing key and a hand-made ELF32 ARM file.

#![allow(dead_code)] // each test binary uses a different subset

use hil_bundle::{SigningKey, TrustedSigner};

/// A fixed key, so bundles are reproducible across runs.
pub fn key() -> SigningKey {
    SigningKey::from_slice(&[7; 32]).unwrap()
}

pub fn trusted() -> Vec<TrustedSigner> {
    vec![TrustedSigner::from_signing_key(&key())]
}

/// One program header of the ELF under construction.
pub struct Phdr {
    pub p_type: u32,
    pub vaddr: u32,
    pub paddr: u32,
    pub data: Vec<u8>,
    /// Memory size beyond the file bytes (.bss).
    pub extra_mem: u32,
}

impl Phdr {
    pub fn load(paddr: u32, data: &[u8]) -> Self {
        Self {
            p_type: 1,
            vaddr: paddr,
            paddr,
            data: data.to_vec(),
            extra_mem: 0,
        }
    }
}

/// ELF32 little-endian ARM executable: header, program headers, then segment data.
pub fn elf(phdrs: &[Phdr]) -> Vec<u8> {
    const EHDR: u32 = 52;
    const PHDR: u32 = 32;
    let mut out = Vec::new();
    out.extend_from_slice(b"\x7fELF");
    out.extend_from_slice(&[1, 1, 1, 0]); // ELFCLASS32, little-endian, version 1, SysV
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    out.extend_from_slice(&40u16.to_le_bytes()); // EM_ARM
    out.extend_from_slice(&1u32.to_le_bytes()); // e_version
    out.extend_from_slice(&phdrs.first().map_or(0, |p| p.vaddr | 1).to_le_bytes()); // e_entry
    out.extend_from_slice(&EHDR.to_le_bytes()); // e_phoff
    out.extend_from_slice(&0u32.to_le_bytes()); // e_shoff
    out.extend_from_slice(&0x0500_0200u32.to_le_bytes()); // e_flags: EABI5, hard-float
    out.extend_from_slice(&(EHDR as u16).to_le_bytes());
    out.extend_from_slice(&(PHDR as u16).to_le_bytes());
    out.extend_from_slice(&(phdrs.len() as u16).to_le_bytes());
    out.extend_from_slice(&40u16.to_le_bytes()); // e_shentsize
    out.extend_from_slice(&0u16.to_le_bytes()); // e_shnum
    out.extend_from_slice(&0u16.to_le_bytes()); // e_shstrndx
    assert_eq!(out.len(), EHDR as usize);
    let mut offset = EHDR + PHDR * phdrs.len() as u32;
    for p in phdrs {
        let filesz = p.data.len() as u32;
        for word in [
            p.p_type,
            offset,
            p.vaddr,
            p.paddr,
            filesz,
            filesz + p.extra_mem,
            5, // PF_R | PF_X
            4,
        ] {
            out.extend_from_slice(&word.to_le_bytes());
        }
        offset += filesz;
    }
    for p in phdrs {
        out.extend_from_slice(&p.data);
    }
    out
}

/// A small realistic app: vector table + text in flash, .data loaded from flash to RAM.
pub fn app_elf() -> Vec<u8> {
    let text: Vec<u8> = (0..200u32).map(|i| (i * 13 + 1) as u8).collect();
    elf(&[
        Phdr::load(0x0800_0000, &text),
        Phdr {
            p_type: 1,
            vaddr: 0x2000_0000,
            paddr: 0x0800_0100,
            data: vec![0xD0, 0xD1, 0xD2, 0xD3],
            extra_mem: 64,
        },
    ])
}
