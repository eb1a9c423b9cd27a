//! Both boards' firmware images for the board-less image tests, built once per test binary.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use hil_rig::qemu::{build_board_images, ImageBoard, Images};

/// The repository's root.
#[allow(
    dead_code,
    reason = "not every test binary that shares this module reads it"
)]
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Both boards' images, built once (one `cargo build` makes all four).
pub fn images(board: ImageBoard) -> &'static Images {
    static BUILT: OnceLock<(Images, Images)> = OnceLock::new();
    let (an505, u585) = BUILT.get_or_init(|| {
        let u585 = build_board_images(&root(), ImageBoard::Stm32u585)
            .unwrap_or_else(|e| panic!("building the firmware images: {e}"));
        // The same build made AN505's, beside them.
        let (secure, agent) = ImageBoard::An505.binaries();
        let an505 = Images {
            secure: u585.secure.with_file_name(secure),
            agent: u585.agent.with_file_name(agent),
        };
        (an505, u585)
    });
    match board {
        ImageBoard::An505 => an505,
        ImageBoard::Stm32u585 => u585,
    }
}
