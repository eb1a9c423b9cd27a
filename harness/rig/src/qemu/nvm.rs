//! The NVM file QEMU maps as the AN505's PSRAM: the cells of the STM32U585 flash model.
//!
//! The secure image runs `mv_flash::FlashModel` over these cells; the harness
//! writes them while QEMU is off (the factory image, a cut request) and
//! reads them to check what the device holds. The cells' layout is
//! `mv_flash::map`'s, the same as the sim's flash, so the factory image is the
//! sim's ([`hil_sim::Factory`]) byte for byte.

use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use hil_bundle::{dev_public_key, stamp_version};
use hil_sim::{Factory, SimCells, SimFlash};
use mv_boards::an505::{
    AGENT_READY_UP, AGENT_READY_UP_NVM_OFFSET, POWER_RAIL_NVM_OFFSET, RAIL_HALT_ON_CUT,
    RAIL_POWER_OFF, SECURE_IMAGE_NVM_OFFSET,
};
use mv_flash::{cut_request, CutPoint, FlashModel, NvmMap};
use mv_update::Layout;

use super::ImageBoard;
use crate::RigError;

/// Size of QEMU's PSRAM backend (MiB); the file must be exactly this long.
pub const NVM_MIB: u64 = 16;

/// The secure image's code lies past the flash's cells in the same file.
const _: () =
    assert!(NvmMap::new(Layout::DEFAULT.flash_size()).cells_len() <= SECURE_IMAGE_NVM_OFFSET);

/// The map of the cells the harness uses.
pub fn map() -> NvmMap {
    NvmMap::new(Layout::DEFAULT.flash_size())
}

/// The NVM file of one QEMU.
#[derive(Clone, Debug)]
pub struct NvmFile {
    path: PathBuf,
}

fn io(what: String) -> impl FnOnce(std::io::Error) -> RigError {
    move |e| RigError::Link(format!("{what}: {e}"))
}

impl NvmFile {
    pub fn new(path: &Path) -> NvmFile {
        NvmFile {
            path: path.to_owned(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `cells` and pads the file to the PSRAM's size. The file is
    /// written in place, never truncated, so a QEMU that maps it (paused)
    /// sees the new cells at once; bytes past the cells stay as they are
    /// (the image lays its cloud ring out again at every boot).
    pub fn write(&self, cells: &[u8]) -> Result<(), RigError> {
        let what = format!("cannot write the NVM file {}", self.path.display());
        let file = self.open(true).map_err(io(what.clone()))?;
        file.write_all_at(cells, 0)
            .and_then(|()| file.set_len(NVM_MIB << 20))
            .map_err(io(what))
    }

    fn open(&self, create: bool) -> std::io::Result<std::fs::File> {
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(create)
            .truncate(false)
            .open(&self.path)
    }

    /// The cells as the file holds them now.
    pub fn read(&self) -> Result<Vec<u8>, RigError> {
        use std::io::Read as _;
        let what = format!("cannot read the NVM file {}", self.path.display());
        // Only the cells: the rest of the 16 MiB (the external flash's
        // window, the cloud ring) is not the flash's.
        let len = map().cells_len() as usize;
        let mut bytes = Vec::with_capacity(len);
        std::fs::File::open(&self.path)
            .and_then(|f| f.take(len as u64).read_to_end(&mut bytes))
            .map_err(io(what))?;
        Ok(bytes)
    }

    /// Writes what the factory leaves on a device.
    pub fn write_factory(&self, factory: &Factory) -> Result<(), RigError> {
        self.write(&factory.flash().into_cells().to_vec())
    }

    /// Leaves the secure image's code for its `__pre_init`
    /// ([`super::SecureSplit::nvm_block`]), past the cells.
    pub fn write_secure_image(&self, block: &[u8]) -> Result<(), RigError> {
        self.write_at(SECURE_IMAGE_NVM_OFFSET, block, "the secure image")
    }

    /// Asks the image to cut power at `cut.op` flash operations into its next life.
    pub fn request_cut(&self, cut: CutPoint) -> Result<(), RigError> {
        self.write_at(map().cut_request(), &cut_request(cut), "the cut request")
    }

    /// Sets the power rail for the next boots: with `halt_on_cut` a cut
    /// that fires halts the core and says so ([`Self::power_went_off`]),
    /// QEMU staying up for a reset; without, QEMU exits with `PowerCut`.
    /// Either way the rail says the power is on.
    pub fn set_rail(&self, halt_on_cut: bool) -> Result<(), RigError> {
        let mode = if halt_on_cut { RAIL_HALT_ON_CUT } else { 0 };
        let mut words = [0u8; 8];
        words[..4].copy_from_slice(&mode.to_le_bytes());
        self.write_at(POWER_RAIL_NVM_OFFSET, &words, "the power rail")
    }

    /// Tells the agent where its ready frame goes at its next starts: up
    /// its ring (`up`: a host that reads the agent's up channel at the
    /// doorbell) or on UART1 byte by byte (a board's lab, the previous way).
    pub fn set_ready_frame_up(&self, up: bool) -> Result<(), RigError> {
        let word = if up { AGENT_READY_UP } else { 0 };
        self.write_at(
            AGENT_READY_UP_NVM_OFFSET,
            &word.to_le_bytes(),
            "where the agent's ready frame goes",
        )
    }

    /// Has an armed cut fired and halted the core (the rail set to halt)?
    pub fn power_went_off(&self) -> Result<bool, RigError> {
        let mut word = [0u8; 4];
        let what = format!("cannot read the power rail in {}", self.path.display());
        self.open(false)
            .and_then(|f| f.read_exact_at(&mut word, u64::from(POWER_RAIL_NVM_OFFSET) + 4))
            .map_err(io(what))?;
        Ok(u32::from_le_bytes(word) == RAIL_POWER_OFF)
    }

    fn write_at(&self, at: u32, bytes: &[u8], what: &str) -> Result<(), RigError> {
        let what = format!("cannot write {what} into {}", self.path.display());
        self.open(false)
            .and_then(|f| f.write_all_at(bytes, u64::from(at)))
            .map_err(io(what))
    }

    /// The flash model over a copy of the cells (reading it changes nothing).
    pub fn flash(&self) -> Result<SimFlash, RigError> {
        Ok(FlashModel::open(SimCells::from(self.read()?), map().size()))
    }
}

/// The AN505 agent's ROM (what QEMU runs), checked to load at its app
/// region: [`ImageBoard::agent_rom`] for [`ImageBoard::An505`].
pub fn agent_rom(agent_elf: &Path) -> Result<Vec<u8>, RigError> {
    ImageBoard::An505.agent_rom(agent_elf)
}

/// The factory image of a QEMU device: the agent as app version 1,
/// trusting the lab's development key.
pub fn agent_factory(agent_rom: &[u8]) -> Factory {
    Factory {
        app_rom: stamp_version(agent_rom, 1),
        app_version: 1,
        politeness_s: 0,
        signers: vec![dev_public_key()],
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::FileExt;

    use mv_boards::an505::{POWER_RAIL_NVM_OFFSET, RAIL_POWER_OFF};
    use mv_flash::CutPoint;

    use super::{map, NvmFile, NVM_MIB};

    /// The cells go in place (a mapping of the file sees them), the cut
    /// request is only its 12 bytes, and the rail reads back what the
    /// image would write there when a cut halts it.
    #[test]
    fn cells_cut_request_and_power_rail_in_one_file() {
        let dir = tempfile::tempdir().unwrap();
        let nvm = NvmFile::new(&dir.path().join("nvm.bin"));
        let cells = vec![0xA5u8; map().cells_len() as usize];
        nvm.write(&cells).unwrap();
        let inode = std::fs::metadata(nvm.path()).unwrap();
        nvm.set_rail(true).unwrap();
        assert!(!nvm.power_went_off().unwrap());
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(nvm.path())
            .unwrap();
        file.write_all_at(
            &RAIL_POWER_OFF.to_le_bytes(),
            u64::from(POWER_RAIL_NVM_OFFSET) + 4,
        )
        .unwrap();
        assert!(nvm.power_went_off().unwrap());
        nvm.request_cut(CutPoint {
            op: 7,
            inside: true,
        })
        .unwrap();
        let mut again = cells.clone();
        again[0] = 0x11;
        nvm.write(&again).unwrap();
        // Rewriting the cells keeps the rail (past the cells) and the file.
        assert!(nvm.power_went_off().unwrap());
        nvm.set_rail(false).unwrap();
        assert!(!nvm.power_went_off().unwrap());
        let after = std::fs::metadata(nvm.path()).unwrap();
        assert_eq!(after.len(), NVM_MIB << 20);
        use std::os::unix::fs::MetadataExt;
        assert_eq!(
            after.ino(),
            inode.ino(),
            "the file was replaced, not written in place"
        );
        let read = nvm.read().unwrap();
        assert_eq!(read, again);
        nvm.write(&cells).unwrap();
        nvm.request_cut(CutPoint {
            op: 7,
            inside: true,
        })
        .unwrap();
        let read = nvm.read().unwrap();
        let at = map().cut_request() as usize;
        assert_eq!(
            &read[at..at + 12],
            &mv_flash::cut_request(CutPoint {
                op: 7,
                inside: true
            })
        );
        assert_eq!(read[..at], cells[..at]);
        assert_eq!(read[at + 12..], cells[at + 12..]);
    }
}
