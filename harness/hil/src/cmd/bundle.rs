//! `hil bundle`: an app ELF as a signed Microvisor-format bundle.

use std::path::Path;

use anyhow::Result;
use hil_report::ExitCode;

pub fn bundle(
    elf: &Path,
    key: &Path,
    out: &Path,
    app_version: u32,
    force: bool,
) -> Result<ExitCode> {
    let s = hil_bundle::bundle_command(elf, key, out, app_version, force)?;
    println!("bundle:      {} ({} bytes)", s.out.display(), s.bundle_len);
    println!("rom:         {} bytes from {:#010x}", s.rom_len, s.rom_base);
    println!("layer:       {}", s.layer_name);
    println!("measurement: {}", s.measurement_hash);
    println!(
        "signer id:   {:#018x}, app version {}",
        s.signer_id, s.app_version
    );
    Ok(ExitCode::Passed)
}
