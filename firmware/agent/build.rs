//! Link the agent: cortex-m-rt's `link.x` (with our `memory.x`) and defmt's `defmt.x`.

use std::env;
use std::fs;
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=memory.x");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=DEFMT_LOG");
    // The linker scripts only make sense for the target; a host `cargo check`
    // of the workspace should not fail on them.
    if env::var("TARGET").is_ok_and(|t| t.starts_with("thumbv8m")) {
        let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
        fs::write(out.join("memory.x"), include_bytes!("memory.x")).expect("write memory.x");
        println!("cargo:rustc-link-search={}", out.display());
        println!("cargo:rustc-link-arg-bins=-Tlink.x");
        println!("cargo:rustc-link-arg-bins=-Tdefmt.x");
    }
    // Without DEFMT_LOG only error! survives; keep info! and debug! unless
    // the caller asks for something else.
    let level = env::var("DEFMT_LOG").unwrap_or_else(|_| "debug".to_owned());
    println!("cargo:rustc-env=DEFMT_LOG={level}");
}
