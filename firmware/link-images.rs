//! Link a firmware package's images, one per board: cortex-m-rt's `link.x` with that board's memory map, and defmt's `defmt.x`.
//!
//! The build script of both image packages (`mv-secure`, `mv-agent`: each
//! names this file with `build = "../link-images.rs"`). Each package has
//! one binary per board, named after the package plus the board's suffix,
//! and one memory map per board in its own folder. `link.x` includes
//! `memory.x` by name, so each image gets its own directory holding its
//! board's map under that name, on its own search path
//! (`rustc-link-arg-bin`): AN505's `memory.x`, the STM32U585's
//! `memory-stm32u585.x`.

use std::env;
use std::fs;
use std::path::PathBuf;

/// (binary-name suffix, memory map file in the package) for every board.
const BOARDS: [(&str, &str); 2] = [("", "memory.x"), ("-u585", "memory-stm32u585.x")];

fn main() {
    // This file, relative to the package that runs it.
    println!("cargo:rerun-if-changed=../link-images.rs");
    println!("cargo:rerun-if-env-changed=DEFMT_LOG");
    // The linker scripts only make sense for the target; a host `cargo check`
    // of the workspace should not fail on them.
    if env::var("TARGET").is_ok_and(|t| t.starts_with("thumbv8m")) {
        let package = env::var("CARGO_PKG_NAME").expect("cargo sets CARGO_PKG_NAME");
        let manifest = PathBuf::from(
            env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
        );
        let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
        for (suffix, source) in BOARDS {
            let bin = format!("{package}{suffix}");
            let source = manifest.join(source);
            println!("cargo:rerun-if-changed={}", source.display());
            let map = fs::read(&source)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", source.display()));
            let dir = out.join(&bin);
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
