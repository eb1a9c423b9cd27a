//! The OTA campaign on a `board` rig: power cut by the rig's own power backend, every check made over the board's links.
//!
//! A board is not QEMU: the harness cannot read its flash and does not start
//! it. So the seam with the QEMU campaign is exactly what differs:
//! - *how power is cut*: by [`hil_rig::board::Board::power`], the code path
//!   a lab uses for every case — at a wall-clock point after the first offer
//!   (`kill<ms>ms`, spread over the update time of an uncut golden run on
//!   this very board), or, with a probe (`probe:` in the rig file), at an
//!   exact flash operation: the core held on a breakpoint in the flash driver
//!   while the power goes ([`hil_rig::probe::flash_ops::cut_at_flash_op`]);
//! - *how flash is observed*: over the links, after every boot — the app
//!   version and wake reason the device announces on the cloud link, the
//!   SHA-256 of the app as it runs (the extent either image occupies),
//!   computed by the agent
//!   ([`mv_proto::Primitive::Digest`]) equal to the old image's or the new
//!   one's (never a mix) and naming the announced version, `mvGetWakeReason`
//!   answering what was announced, an unfinished download resuming between
//!   the last chunk the device acknowledged and the last one sent, and three
//!   clean power cycles that each come up with `COLDBOOT` on the same image.
//!
//! The plans, the replay ids, the report run and its sinks are the other
//! rigs' ([`super::plan`], [`super::replay`], [`super::stream`]).

mod campaign;
mod life;
mod lives;
mod probe_cut;
mod timeline;

use std::path::PathBuf;
use std::time::Duration;

use hil_bundle::{build_bundle, stamp_version, BundlePolicy, Rom, SigningKey};
use hil_cloud::Deployment;
use hil_rig::board::{Board, BoardConfig};
use hil_rig::qemu::{agent_factory, build_board_images, Images};

pub use campaign::{replay_board, run_board, BoardPlans};
pub use timeline::Timeline;

use super::scenario::{development_key, padded, Scenario};
use crate::CampaignError;

/// The two images a board may run, as the agent sees them: where the app
/// region is, how long, and the digest of each image padded to it.
#[derive(Clone, Debug)]
pub struct Expect {
    pub old_version: u32,
    pub new_version: u32,
    /// The app region the agent hashes.
    pub region: (u32, u32),
    pub old_digest: [u8; 32],
    pub new_digest: [u8; 32],
}

impl Expect {
    /// The version whose image has this digest, if any.
    pub fn version_of(&self, digest: &[u8; 32]) -> Option<u32> {
        if *digest == self.old_digest {
            Some(self.old_version)
        } else if *digest == self.new_digest {
            Some(self.new_version)
        } else {
            None
        }
    }
}

/// The update a board is put through, from the images its rig file names.
struct Update {
    images: Images,
    old_rom: Vec<u8>,
    new: Deployment,
    key: SigningKey,
    expect: Expect,
}

impl Update {
    fn of(config: &BoardConfig) -> Result<Update, CampaignError> {
        let board = config.images;
        let code_base = board.app_code_base();
        let images = build_board_images(&config.root, board)?;
        let rom = board.agent_rom(&images.agent)?;
        let key = development_key();
        let old_rom = agent_factory(&rom).app_rom;
        let new_rom = stamp_version(&rom, 2);
        let zip = build_bundle(
            &Rom::new(code_base, new_rom.clone())?,
            &key,
            &BundlePolicy::with_version(2),
        )?;
        let new = Deployment::from_bundle("agent-v2", &zip)?;
        // The extent either image occupies, in whole program units: what
        // the app runs. Past it the region is erased on a part that runs
        // in place, and never executed on QEMU, whose secure image copies
        // only the programmed extent into code memory.
        let size = old_rom
            .len()
            .max(new_rom.len())
            .next_multiple_of(mv_flash::UNIT);
        let digest = |rom: &[u8]| mv_ota::fetch_hash(&padded(rom, size));
        let expect = Expect {
            old_version: 1,
            new_version: 2,
            region: (code_base, size as u32),
            old_digest: digest(&old_rom),
            new_digest: digest(&new_rom),
        };
        Ok(Update {
            images,
            old_rom,
            new,
            key,
            expect,
        })
    }
}

/// A board held for the campaign, and the update it is put through.
pub struct BoardOta {
    /// The rig file, named in every error about what it lacks.
    file: PathBuf,
    config: BoardConfig,
    board: Board,
    images: Images,
    old_rom: Vec<u8>,
    pub new: Deployment,
    key: SigningKey,
    pub expect: Expect,
    /// Power-ons this campaign asked the backend for (the board's own log
    /// must show as many).
    pub power_ons: u32,
}

impl BoardOta {
    /// Builds the images the rig file names (`board.images`), stamps the
    /// agent v1 (the factory image the rig's `flash:` writes) and v2 (the
    /// update), and locks the board.
    pub fn open(
        name: &str,
        file: PathBuf,
        config: &BoardConfig,
    ) -> Result<BoardOta, CampaignError> {
        let Update {
            images,
            old_rom,
            new,
            key,
            expect,
        } = Update::of(config)?;
        let board = Board::open(name, config)?;
        Ok(BoardOta {
            file,
            config: config.clone(),
            board,
            images,
            old_rom,
            new,
            key,
            expect,
            power_ons: 0,
        })
    }

    /// The sim scenario of this very update (same ROMs, key and engine): its
    /// flash operations number the exact cuts and name their phases.
    pub fn sim_scenario(&self) -> Result<Scenario, CampaignError> {
        Scenario::new(&self.old_rom, 1, &self.new.layer, 2, self.key.clone())
    }

    /// The agent's ROM size (for the report).
    pub fn app_bytes(&self) -> usize {
        self.old_rom.len()
    }

    /// How long one wait on the links may take.
    fn exec_timeout(&self) -> Duration {
        self.config.exec_timeout
    }

    fn boot_timeout(&self) -> Duration {
        self.config.boot_timeout + self.config.exec_timeout
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use hil_rig::board::BoardConfig;
    use hil_rig::qemu::ImageBoard;

    use super::Update;

    fn board(images: ImageBoard) -> BoardConfig {
        BoardConfig::without_hardware(
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.."),
            images,
        )
    }

    /// The campaign takes the images from the rig file, not from whether it
    /// names a probe: a U585 board without one still gets the U585 agent,
    /// hashed over the part's app flash.
    #[test]
    fn the_update_is_the_agent_of_the_images_the_rig_names() {
        let u585 = Update::of(&board(ImageBoard::Stm32u585)).unwrap();
        assert_eq!(u585.images.agent.file_name().unwrap(), "mv-agent-u585");
        assert_eq!(u585.expect.region.0, mv_boards::stm32u585::NS_FLASH_BASE);
        let an505 = Update::of(&board(ImageBoard::An505)).unwrap();
        assert_eq!(an505.images.agent.file_name().unwrap(), "mv-agent");
        assert_eq!(an505.expect.region.0, mv_boards::an505::NS_CODE_BASE);
        assert_ne!(u585.expect.new_digest, an505.expect.new_digest);
    }
}
