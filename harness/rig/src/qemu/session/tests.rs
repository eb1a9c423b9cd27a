//! A board session builds and deploys the images its rig file names, not the AN505's by default.

use std::path::PathBuf;

use hil_bundle::{elf_to_rom, stamp_version};
use hil_cases::{Deploy, DeployExpect};

use super::QemuSession;
use crate::board::BoardConfig;
use crate::qemu::ImageBoard;

/// A board rig running `images` from this repository; nothing of it is
/// opened (building and deploying need no board).
fn board(images: ImageBoard) -> BoardConfig {
    BoardConfig::without_hardware(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.."),
        images,
    )
}

#[test]
fn a_u585_board_session_offers_the_u585_agent_for_its_app_flash() {
    let update = Deploy {
        app_version: 2,
        politeness_s: 0,
        tamper: None,
        expect: DeployExpect::Installed,
    };
    let mut u585 = QemuSession::board("u585", board(ImageBoard::Stm32u585));
    let (images, rom) = u585.build().unwrap();
    assert_eq!(images.agent.file_name().unwrap(), "mv-agent-u585");
    assert_eq!(images.secure.file_name().unwrap(), "mv-secure-u585");
    let elf = std::fs::read(&images.agent).unwrap();
    assert_eq!(
        elf_to_rom(&elf).unwrap().base(),
        mv_boards::stm32u585::NS_FLASH_BASE
    );
    let offered = u585.deployment(&update).unwrap();
    assert_eq!(offered.layer, stamp_version(&rom, 2));

    // The same case on QEMU as a board offers the AN505 agent: another app.
    let mut an505 = QemuSession::board("an505", board(ImageBoard::An505));
    let (an505_images, _) = an505.build().unwrap();
    assert_eq!(an505_images.agent.file_name().unwrap(), "mv-agent");
    assert_ne!(an505.deployment(&update).unwrap().layer, offered.layer);

    // An agent linked for the other board is refused, naming both places.
    let wrong = ImageBoard::Stm32u585
        .agent_rom(&an505_images.agent)
        .unwrap_err()
        .to_string();
    assert!(
        wrong.contains("starts at 0x200000, the stm32u585 app region loads at 0x8000000"),
        "{wrong}"
    );
}
