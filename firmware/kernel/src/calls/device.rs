//! Device calls: the device ID, the clock getters and the peripheral window.

use mv_abi::MvStatus;

use crate::board::{Access, Board, ClockTree};
use crate::usermem::{write_at, NsRange};
use crate::Kernel;

/// `mvGetDeviceId`: "the ID is 34 bytes and len must be 34".
pub const DEVICE_ID_LEN: u32 = 34;

impl<B: Board> Kernel<B> {
    pub(crate) fn get_device_id(&mut self, buf: u32, len: u32) -> Result<(), MvStatus> {
        if len != DEVICE_ID_LEN {
            return Err(MvStatus::InvalidBufferSize);
        }
        let out = NsRange::claim(&self.board, buf, len, 1, Access::ReadWrite)?;
        let id = self.board.device_id();
        write_at(&mut self.board, &out, 0, &id).map_err(|_| MvStatus::ParameterFault)
    }

    pub(crate) fn get_clock(
        &mut self,
        out: u32,
        pick: fn(&ClockTree) -> u32,
    ) -> Result<(), MvStatus> {
        let out = NsRange::claim(&self.board, out, 4, 4, Access::ReadWrite)?;
        let hz = pick(&self.board.clock_tree());
        write_at(&mut self.board, &out, 0, &hz.to_le_bytes()).map_err(|_| MvStatus::ParameterFault)
    }

    /// The allow-list entry for `reg`, if the app may touch it at all.
    fn shared_register(&self, reg: u32) -> Result<u32, MvStatus> {
        if !reg.is_multiple_of(4) {
            return Err(MvStatus::PeripheralAccessFault);
        }
        self.board
            .shared_registers()
            .iter()
            .find(|r| r.addr == reg)
            .map(|r| r.writable)
            .ok_or(MvStatus::PeripheralAccessFault)
    }

    pub(crate) fn periph_peek32(&mut self, reg: u32, out: u32) -> Result<(), MvStatus> {
        self.shared_register(reg)?;
        let out = NsRange::claim(&self.board, out, 4, 4, Access::ReadWrite)?;
        let value = self.board.read_register(reg);
        write_at(&mut self.board, &out, 0, &value.to_le_bytes())
            .map_err(|_| MvStatus::ParameterFault)
    }

    /// `*reg = (*reg & ~mask) ^ xorvalue`, where bits outside the register's
    /// writable mask keep their value ("silently ignored").
    pub(crate) fn periph_poke32(&mut self, reg: u32, mask: u32, xor: u32) -> Result<(), MvStatus> {
        let writable = self.shared_register(reg)?;
        let old = self.board.read_register(reg);
        let wanted = (old & !mask) ^ xor;
        let new = (old & !writable) | (wanted & writable);
        self.board.write_register(reg, new);
        Ok(())
    }
}
