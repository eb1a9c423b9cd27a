//! `mvGetMicroseconds` and `mvGetWallTime`.

use mv_abi::MvStatus;

use crate::board::{Access, Board};
use crate::usermem::{write_at, NsRange};
use crate::Kernel;

impl<B: Board> Kernel<B> {
    /// "starts from zero when Microvisor starts"; monotonic.
    pub(crate) fn get_microseconds(&mut self, out: u32) -> Result<(), MvStatus> {
        let out = NsRange::claim(&self.board, out, 8, 8, Access::ReadWrite)?;
        let now = self.board.now_us();
        write_at(&mut self.board, &out, 0, &now.to_le_bytes()).map_err(|_| MvStatus::ParameterFault)
    }

    /// Non-leap µs since the Unix epoch; `TIMENOTSET` until the server sets it.
    pub(crate) fn get_wall_time(&mut self, out: u32) -> Result<(), MvStatus> {
        let out = NsRange::claim(&self.board, out, 8, 8, Access::ReadWrite)?;
        let offset = self.wall_offset_us.ok_or(MvStatus::TimeNotSet)?;
        let wall = (i128::from(self.board.now_us()) + offset).clamp(0, i128::from(u64::MAX)) as u64;
        write_at(&mut self.board, &out, 0, &wall.to_le_bytes())
            .map_err(|_| MvStatus::ParameterFault)
    }
}
