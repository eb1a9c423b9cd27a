//! `mvExternalFlashOpen`, `Close`, `GetInfo`, `ReadBlocking`, `WriteBlocking`, `EraseBlocking`.

use mv_abi::{MvExternalFlashInfo, MvStatus};

use crate::board::{Access, Board};
use crate::usermem::{read_struct, read_u32, write_at, NsRange};
use crate::Kernel;

/// The only `MvExternalFlashInfo.version` ("only 1 is presently supported").
pub const INFO_VERSION: u32 = 1;
/// "Address and/or length is not aligned to 4096 byte boundary" [H].
pub const ERASE_ALIGN: u32 = 4096;
/// Bytes moved between app memory and the chip per step (a secure bounce
/// buffer: the kernel never holds a reference into app memory).
const CHUNK: usize = 256;

impl<B: Board> Kernel<B> {
    /// "`UNAVAILABLE` Calling from an interrupt" [H, every external-flash call].
    fn ext_flash_thread_mode(&self) -> Result<(), MvStatus> {
        if self.board.caller_in_interrupt() {
            Err(MvStatus::Unavailable)
        } else {
            Ok(())
        }
    }

    fn ext_flash_handle(&self, handle: u32) -> Result<(), MvStatus> {
        self.ext_flash_thread_mode()?;
        if self.ext_flash.contains(handle) {
            Ok(())
        } else {
            Err(MvStatus::InvalidHandle)
        }
    }

    /// `[address, address + length)` inside the app's `size` bytes
    /// (`ADDRESSOUTOFRANGE`: "Call `mvExternalFlashGetInfo` to get available
    /// flash size" [H]); computed without wrapping.
    fn ext_flash_range(&self, address: u32, length: u32) -> Result<(), MvStatus> {
        let size = self.board.external_flash_info().size;
        if u64::from(address) + u64::from(length) <= u64::from(size) {
            Ok(())
        } else {
            Err(MvStatus::AddressOutOfRange)
        }
    }

    pub(crate) fn external_flash_open(&mut self, handle_out: u32) -> Result<(), MvStatus> {
        self.ext_flash_thread_mode()?;
        let out = NsRange::claim(&self.board, handle_out, 4, 4, Access::ReadWrite)?;
        if !self.ext_flash.has_room() {
            return Err(MvStatus::TooManyChannels);
        }
        let handle = self.mint_handle()?;
        write_at(&mut self.board, &out, 0, &handle.to_le_bytes())
            .map_err(|_| MvStatus::ParameterFault)?;
        self.ext_flash.insert(handle);
        Ok(())
    }

    /// **Choice** (as the other close calls, ABI.md §3): `handle` is a
    /// `Handle*`, checked (`PARAMETERFAULT`), zeroed on success.
    pub(crate) fn external_flash_close(&mut self, handle_in_out: u32) -> Result<(), MvStatus> {
        self.ext_flash_thread_mode()?;
        let slot = NsRange::claim(&self.board, handle_in_out, 4, 4, Access::ReadWrite)?;
        let handle = read_u32(&mut self.board, &slot).map_err(|_| MvStatus::ParameterFault)?;
        if !self.ext_flash.contains(handle) {
            return Err(MvStatus::InvalidHandle);
        }
        write_at(&mut self.board, &slot, 0, &0u32.to_le_bytes())
            .map_err(|_| MvStatus::ParameterFault)?;
        self.ext_flash.remove(handle);
        Ok(())
    }

    /// Writes `v1` (chip ID, the app's size, the handles open now) after
    /// the caller's `version`, which it leaves as it was.
    pub(crate) fn external_flash_get_info(
        &mut self,
        handle: u32,
        info: u32,
    ) -> Result<(), MvStatus> {
        self.ext_flash_handle(handle)?;
        let range =
            NsRange::claim_struct::<MvExternalFlashInfo, _>(&self.board, info, Access::ReadWrite)?;
        let current: MvExternalFlashInfo =
            read_struct(&mut self.board, &range).map_err(|_| MvStatus::ParameterFault)?;
        if current.version != INFO_VERSION {
            return Err(MvStatus::UnsupportedStructureVersion);
        }
        let chip = self.board.external_flash_info();
        let mut v1 = [0u8; 12];
        v1[..4].copy_from_slice(&chip.chip_id.to_le_bytes());
        v1[4..8].copy_from_slice(&chip.size.to_le_bytes());
        v1[8..].copy_from_slice(&self.ext_flash.count().to_le_bytes());
        write_at(&mut self.board, &range, 4, &v1).map_err(|_| MvStatus::ParameterFault)
    }

    /// Chip to app, a chunk at a time. A fault writing the first chunk
    /// changed nothing (`PARAMETERFAULT`); a later one is `LATEFAULT`.
    pub(crate) fn external_flash_read(
        &mut self,
        handle: u32,
        address: u32,
        length: u32,
        buffer: u32,
    ) -> Result<(), MvStatus> {
        self.ext_flash_handle(handle)?;
        self.ext_flash_range(address, length)?;
        let out = NsRange::claim(&self.board, buffer, length, 1, Access::ReadWrite)?;
        let mut chunk = [0u8; CHUNK];
        let mut done = 0;
        while done < length {
            let n = (length - done).min(CHUNK as u32);
            let bytes = &mut chunk[..n as usize];
            self.board.external_flash_read(address + done, bytes);
            let fault = if done == 0 {
                MvStatus::ParameterFault
            } else {
                MvStatus::LateFault
            };
            write_at(&mut self.board, &out, done, bytes).map_err(|_| fault)?;
            done += n;
        }
        Ok(())
    }

    /// App to chip, a chunk at a time (NOR: bits only clear until an
    /// erase). A fault reading the first chunk changed nothing
    /// (`PARAMETERFAULT`); a later one is `LATEFAULT`: the chip was written.
    pub(crate) fn external_flash_write(
        &mut self,
        handle: u32,
        address: u32,
        length: u32,
        buffer: u32,
    ) -> Result<(), MvStatus> {
        self.ext_flash_handle(handle)?;
        self.ext_flash_range(address, length)?;
        let source = NsRange::claim(&self.board, buffer, length, 1, Access::Read)?;
        let mut chunk = [0u8; CHUNK];
        let mut done = 0;
        while done < length {
            let n = (length - done).min(CHUNK as u32);
            let bytes = &mut chunk[..n as usize];
            let fault = if done == 0 {
                MvStatus::ParameterFault
            } else {
                MvStatus::LateFault
            };
            self.board
                .read_ns(source.addr() + done, bytes)
                .map_err(|_| fault)?;
            self.board.external_flash_program(address + done, bytes);
            done += n;
        }
        Ok(())
    }

    /// **Choice** (order): the range, then the alignment of both `address`
    /// and `length`; a length of 0 erases nothing.
    pub(crate) fn external_flash_erase(
        &mut self,
        handle: u32,
        address: u32,
        length: u32,
    ) -> Result<(), MvStatus> {
        self.ext_flash_handle(handle)?;
        self.ext_flash_range(address, length)?;
        if !(address.is_multiple_of(ERASE_ALIGN) && length.is_multiple_of(ERASE_ALIGN)) {
            return Err(MvStatus::InvalidBufferAlignment);
        }
        if length > 0 {
            self.board.external_flash_erase(address, length);
        }
        Ok(())
    }
}
