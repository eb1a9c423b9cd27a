//! The NVM file QEMU maps as the AN505's PSRAM: the cells of the STM32U585 flash model.
//!
//! The secure image runs `mv_flash::FlashModel` over these cells; the harness
//! writes them while QEMU is off (the factory image, a cut request) and
//! reads them to check what the device holds. The cells' layout is
//! `mv_flash::map`'s, the same as the sim's flash, so the factory image is the
//! sim's ([`hil_sim::Factory`]) byte for byte.

use std::path::{Path, PathBuf};

use hil_bundle::{dev_public_key, elf_to_rom, stamp_version};
use hil_sim::{Factory, SimCells, SimFlash};
use mv_boards::an505::NS_CODE_BASE;
use mv_flash::{cut_request, Cells, CutPoint, FlashModel, NvmMap};
use mv_update::Layout;

use crate::RigError;

/// Size of QEMU's PSRAM backend (MiB); the file must be exactly this long.
pub const NVM_MIB: u64 = 16;

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

    /// Writes `cells` and pads the file to the PSRAM's size.
    pub fn write(&self, cells: &[u8]) -> Result<(), RigError> {
        use std::io::Write as _;
        let what = format!("cannot write the NVM file {}", self.path.display());
        let mut file = std::fs::File::create(&self.path).map_err(io(what.clone()))?;
        file.write_all(cells)
            .and_then(|()| file.set_len(NVM_MIB << 20))
            .map_err(io(what))
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

    /// Asks the image to cut power at `cut.op` flash operations into its next life.
    pub fn request_cut(&self, cut: CutPoint) -> Result<(), RigError> {
        let mut cells = self.read()?;
        cells.store(map().cut_request(), &cut_request(cut));
        self.write(&cells)
    }

    /// The flash model over a copy of the cells (reading it changes nothing).
    pub fn flash(&self) -> Result<SimFlash, RigError> {
        Ok(FlashModel::open(SimCells::from(self.read()?), map().size()))
    }
}

/// The agent's ROM (its loadable bytes), checked to load at the app region.
pub fn agent_rom(agent_elf: &Path) -> Result<Vec<u8>, RigError> {
    let elf = std::fs::read(agent_elf).map_err(io(format!(
        "cannot read the agent ELF {}",
        agent_elf.display()
    )))?;
    let rom = elf_to_rom(&elf).map_err(|e| RigError::Build(format!("the agent ELF: {e}")))?;
    if rom.base() != NS_CODE_BASE {
        return Err(RigError::Build(format!(
            "the agent ROM starts at {:#x}, the app region loads at {NS_CODE_BASE:#x}",
            rom.base()
        )));
    }
    Ok(rom.bytes().to_vec())
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
