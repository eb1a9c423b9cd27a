//! Link the secure images: cortex-m-rt's `link.x` with each board's memory map, and defmt's `defmt.x`.
//!
//! `link.x` includes `memory.x` by name, so each image gets its own
//! directory holding its board's map under that name, on its own search path
//! (`rustc-link-arg-bin`): AN505's `memory.x`, the STM32U585's
//! `memory-stm32u585.x`.

use std::env;
use std::fs;
use std::path::PathBuf;

/// (binary, memory map source) for every image of the package.
const IMAGES: [(&str, &str, &[u8]); 2] = [
    ("mv-secure", "memory.x", include_bytes!("memory.x")),
    (
        "mv-secure-u585",
        "memory-stm32u585.x",
        include_bytes!("memory-stm32u585.x"),
    ),
];

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=DEFMT_LOG");
    // The linker scripts only make sense for the target; a host `cargo check`
    // of the workspace should not fail on them.
    if env::var("TARGET").is_ok_and(|t| t.starts_with("thumbv8m")) {
        let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
        for (bin, source, map) in IMAGES {
            println!("cargo:rerun-if-changed={source}");
            let dir = out.join(bin);
            fs::create_dir_all(&dir).expect("create the image's link directory");
            fs::write(dir.join("memory.x"), map).expect("write memory.x");
            println!("cargo:rustc-link-arg-bin={bin}=-L{}", dir.display());
        }
        println!("cargo:rustc-link-arg-bins=-Tlink.x");
        println!("cargo:rustc-link-arg-bins=-Tdefmt.x");
    }
    // Without DEFMT_LOG only error! survives; keep info! and debug! unless
    // the caller asks for something else.
    let level = env::var("DEFMT_LOG").unwrap_or_else(|_| "debug".to_owned());
    println!("cargo:rustc-env=DEFMT_LOG={level}");
}
