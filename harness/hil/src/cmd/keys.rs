//! `hil keys`: make a development signing key.

use std::path::Path;

use anyhow::Result;
use hil_report::ExitCode;

pub fn keys(out: &Path) -> Result<ExitCode> {
    let keys = hil_bundle::keys_command(out)?;
    println!("signing key: {}", keys.signing_key.display());
    println!("public key:  {}", keys.public_key.display());
    println!("signer id:   {:#018x}", keys.signer_id);
    Ok(ExitCode::Passed)
}
