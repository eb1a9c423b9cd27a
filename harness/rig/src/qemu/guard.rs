//! What no app call may change on `mps2-an505`, read through QEMU's monitor: secure memory outside the kernel's state, app code, the NVM.
//!
//! QEMU's `pmemsave` reads physical memory without the CPU's security
//! view, so the secure aliases (`0x1xxx_xxxx`, `0x3xxx_xxxx`) read as
//! nothing there; the same RAM is read through its non-secure alias
//! (`0x0xxx_xxxx`, `0x2xxx_xxxx`), which the IDAU maps onto the same cells.
//! The kernel's own RAM (the secure image's `RAM` region) changes with
//! every call and is left out; the NVM is read from its backing file, all
//! of it but the links' rings (written by the host with every frame).

use std::path::Path;

use mv_boards::an505::{
    AGENT_RING_NVM_OFFSET, AGENT_RING_WINDOW, CLOUD_RING_NVM_OFFSET, MV_SSRAM3_SIZE, NS_CODE_BASE,
    NS_CODE_SIZE, NS_RAM_END, PSRAM_BASE, SECURE_CODE_BASE, SECURE_CODE_SIZE,
    SECURE_IMAGE_RAM_SIZE, SECURE_RAM_BASE, SECURE_RAM_SIZE,
};
use mv_proto::ring;
use serde_json::json;

use super::Qmp;
use crate::{GuardedRegion, RigError};

/// The secure alias bit of the AN505's IDAU.
const SECURE_ALIAS: u32 = 0x1000_0000;

/// `(name, address as the map names it, size)` of every guarded region read through QMP.
pub fn regions() -> [(&'static str, u32, u32); 4] {
    [
        (
            "secure code (SSRAM1, the secure image and its NSC veneers)",
            SECURE_CODE_BASE,
            SECURE_CODE_SIZE,
        ),
        (
            "secure RAM past the kernel's own (SSRAM2)",
            SECURE_RAM_BASE + SECURE_IMAGE_RAM_SIZE,
            SECURE_RAM_SIZE - SECURE_IMAGE_RAM_SIZE,
        ),
        (
            "secure SSRAM3 past app RAM",
            NS_RAM_END | SECURE_ALIAS,
            MV_SSRAM3_SIZE,
        ),
        (
            "app code (the installed app and the ns_flash pool)",
            NS_CODE_BASE,
            NS_CODE_SIZE,
        ),
    ]
}

/// Reads every guarded region (through `qmp`, into files in `dir`) and the NVM file.
pub fn read(qmp: &mut Qmp, dir: &Path, nvm: &Path) -> Result<Vec<GuardedRegion>, RigError> {
    let mut out = Vec::new();
    for (n, (name, base, size)) in regions().into_iter().enumerate() {
        let file = dir.join(format!("guard{n}.bin"));
        qmp.execute(
            "pmemsave",
            json!({ "val": base & !SECURE_ALIAS, "size": size, "filename": file.to_string_lossy() }),
        )?;
        let bytes = std::fs::read(&file)
            .map_err(|e| RigError::Link(format!("cannot read {}: {e}", file.display())))?;
        let _ = std::fs::remove_file(&file);
        if bytes.len() != size as usize {
            return Err(RigError::Link(format!(
                "QEMU saved {} bytes of {name}, not {size}",
                bytes.len()
            )));
        }
        out.push(GuardedRegion {
            name: name.into(),
            base,
            bytes,
        });
    }
    let bytes = std::fs::read(nvm)
        .map_err(|e| RigError::Link(format!("cannot read {}: {e}", nvm.display())))?;
    // The links' rings are written by the host with every frame (the
    // agent's is the app's own, non-secure): everything else is guarded.
    let rings = [
        (CLOUD_RING_NVM_OFFSET, ring::BLOCK_LEN),
        (AGENT_RING_NVM_OFFSET, AGENT_RING_WINDOW.1),
    ];
    let mut from = 0usize;
    for (n, end) in rings
        .iter()
        .map(|&(at, _)| at as usize)
        .chain([bytes.len()])
        .enumerate()
    {
        let start = from.min(bytes.len());
        let end = end.min(bytes.len()).max(start);
        out.push(GuardedRegion {
            name: match n {
                0 => "NVM (PSRAM: the flash the OTA engine and journal live in)".into(),
                _ => format!("NVM past the {} link's ring", ["cloud", "agent"][n - 1]),
            },
            base: PSRAM_BASE + start as u32,
            bytes: bytes[start..end].to_vec(),
        });
        if let Some(&(at, len)) = rings.get(n) {
            from = (at + len) as usize;
        }
    }
    Ok(out)
}
