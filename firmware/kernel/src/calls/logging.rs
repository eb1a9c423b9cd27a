//! `mvServerLoggingInit` and `mvServerLog`.

use mv_abi::MvStatus;

use crate::board::Board;
use crate::Kernel;

impl<B: Board> Kernel<B> {
    pub(crate) fn server_logging_init(&mut self, buffer: u32, len: u32) -> Result<(), MvStatus> {
        // A buffer in use by a ring or a channel is `BUFFERALREADYINUSE`.
        let ring_overlap = self.notifications.overlaps_any_ring(buffer, len)
            || self.channels.overlaps(buffer, len)
            || self.test_logging.overlaps(buffer, len);
        self.logging.init(&self.board, buffer, len, ring_overlap)
    }

    pub(crate) fn server_log(&mut self, message: u32, len: u16) -> Result<(), MvStatus> {
        self.logging.log(&mut self.board, self.link, message, len)
    }
}
