//! `mvTestingComplete`, `mvTestLoggingInit`, `mvTestLog` (application-test mode) and `mvTemporaryStructTest`.

use mv_abi::MvStatus;

use crate::board::{Access, Board};
use crate::logging::LinkState;
use crate::usermem::{read_u32, NsRange};
use crate::{Kernel, RestartRequest};

/// `struct MvTemporaryTestVersionedStruct` (SDK 0.6.5): `u32 version`, then
/// `v1 { u16 a; struct MvTemporaryTestStruct { u8 a; struct
/// MvTemporaryTestSubStruct *b; u32 c; } b; }` — 20 bytes, 4-aligned; `v1.b.b`
/// at offset 12.
pub const TEMPORARY_STRUCT_SIZE: u32 = 20;
const TEMPORARY_STRUCT_NESTED: u32 = 12;
/// `struct MvTemporaryTestSubStruct { u64 a; u32 b; }`: 16 bytes, 8-aligned.
pub const TEMPORARY_SUBSTRUCT_SIZE: u32 = 16;

impl<B: Board> Kernel<B> {
    fn in_test_mode(&self) -> Result<(), MvStatus> {
        if self.app_test_mode {
            Ok(())
        } else {
            Err(MvStatus::Unavailable)
        }
    }

    /// "Called outside application testing mode" is `UNAVAILABLE` [H]; in
    /// test mode the test code is stopped by the call, so it never returns:
    /// the device acts on [`RestartRequest::TestingComplete`].
    pub(crate) fn testing_complete(&mut self, status: u32) -> Result<(), MvStatus> {
        self.in_test_mode()?;
        self.restart_request = Some(RestartRequest::TestingComplete { status });
        Ok(())
    }

    /// As `mvServerLoggingInit` (§7), to the provisioning console.
    /// **Choice** (order): outside test mode `UNAVAILABLE` comes first.
    pub(crate) fn test_logging_init(&mut self, buffer: u32, len: u32) -> Result<(), MvStatus> {
        self.in_test_mode()?;
        let in_use = self.notifications.overlaps_any_ring(buffer, len)
            || self.channels.overlaps(buffer, len)
            || self.logging.overlaps(buffer, len);
        self.test_logging.init(&self.board, buffer, len, in_use)
    }

    /// As `mvServerLog`; the provisioning console is local: always up, never
    /// disabled by a server.
    pub(crate) fn test_log(&mut self, message: u32, len: u16) -> Result<(), MvStatus> {
        self.test_logging
            .log(&mut self.board, LinkState::UP, message, len)
    }

    /// "Test structure parameters" [H 0.6.5]: the struct and the struct its
    /// `v1.b.b` points to must be readable; nothing else happens.
    pub(crate) fn temporary_struct_test(&mut self, input: u32) -> Result<(), MvStatus> {
        let range = NsRange::claim(&self.board, input, TEMPORARY_STRUCT_SIZE, 4, Access::Read)?;
        let fault = |_| MvStatus::ParameterFault;
        let version = read_u32(&mut self.board, &range).map_err(fault)?;
        if version != 1 {
            return Err(MvStatus::UnsupportedStructureVersion);
        }
        let nested = NsRange::claim(
            &self.board,
            input + TEMPORARY_STRUCT_NESTED,
            4,
            4,
            Access::Read,
        )?;
        let sub = read_u32(&mut self.board, &nested).map_err(fault)?;
        let sub = NsRange::claim(&self.board, sub, TEMPORARY_SUBSTRUCT_SIZE, 8, Access::Read)?;
        let mut bytes = [0u8; TEMPORARY_SUBSTRUCT_SIZE as usize];
        self.board.read_ns(sub.addr(), &mut bytes).map_err(fault)
    }
}
