//! `mvSetWifiConfig`, `mvGetWifiConfig`.
//!
//! The header documents no status for either [H: both lists are empty];
//! every refusal here is a **Choice** of `firmware/ABI.md` §19.

use mv_abi::{MvStatus, MvWifiConfig, MvWifiConfigMode, MvWifiConfigOut};

use crate::board::{Access, Board};
use crate::usermem::{read_struct, write_at, NsRange};
use crate::wifi::{WifiConfig, MAX_PASSWORD_LEN, MAX_SSID_LEN};
use crate::Kernel;

/// The only version of both structs.
pub const WIFI_VERSION: u32 = 1;

impl<B: Board> Kernel<B> {
    pub(crate) fn set_wifi_config(&mut self, params: u32) -> Result<(), MvStatus> {
        let params = NsRange::claim_struct::<MvWifiConfig, _>(&self.board, params, Access::Read)?;
        let params: MvWifiConfig =
            read_struct(&mut self.board, &params).map_err(|_| MvStatus::ParameterFault)?;
        if params.version != WIFI_VERSION {
            return Err(MvStatus::UnsupportedStructureVersion);
        }
        let mode = MvWifiConfigMode::try_from(u32::from(params.v1.config_mode))
            .map_err(|_| MvStatus::ParameterFault)?;
        if mode == MvWifiConfigMode::ClearNow {
            self.wifi = None;
            return Ok(());
        }
        let (ssid, password) = (params.v1.wifi_ssid, params.v1.wifi_password);
        if ssid.length == 0 {
            return Err(MvStatus::ParameterFault);
        }
        if ssid.length as usize > MAX_SSID_LEN || password.length as usize > MAX_PASSWORD_LEN {
            return Err(MvStatus::InputTooLong);
        }
        let ssid = NsRange::claim(&self.board, ssid.data, ssid.length, 1, Access::Read)?;
        let password =
            NsRange::claim(&self.board, password.data, password.length, 1, Access::Read)?;
        let mut ssid_bytes = [0u8; MAX_SSID_LEN];
        let mut password_bytes = [0u8; MAX_PASSWORD_LEN];
        let ssid_bytes = &mut ssid_bytes[..ssid.len() as usize];
        let password_bytes = &mut password_bytes[..password.len() as usize];
        let fault = |_| MvStatus::ParameterFault;
        self.board.read_ns(ssid.addr(), ssid_bytes).map_err(fault)?;
        if !password_bytes.is_empty() {
            self.board
                .read_ns(password.addr(), password_bytes)
                .map_err(fault)?;
        }
        self.wifi = WifiConfig::new(ssid_bytes, password_bytes);
        Ok(())
    }

    /// Writes the SSID (at most `size` bytes), its length, and whether the
    /// network is encrypted (one byte, 0 or 1). With nothing stored: length
    /// 0 and 0. Every nested pointer is checked before anything is written.
    pub(crate) fn get_wifi_config(&mut self, params: u32) -> Result<(), MvStatus> {
        let params =
            NsRange::claim_struct::<MvWifiConfigOut, _>(&self.board, params, Access::Read)?;
        let params: MvWifiConfigOut =
            read_struct(&mut self.board, &params).map_err(|_| MvStatus::ParameterFault)?;
        if params.version != WIFI_VERSION {
            return Err(MvStatus::UnsupportedStructureVersion);
        }
        let buf = params.v1.ssid;
        let data = NsRange::claim(&self.board, buf.data, buf.size, 1, Access::ReadWrite)?;
        let length = NsRange::claim(&self.board, buf.length, 4, 4, Access::ReadWrite)?;
        let flag = NsRange::claim(
            &self.board,
            params.v1.has_encryption,
            1,
            1,
            Access::ReadWrite,
        )?;
        let (ssid, encrypted) = match &self.wifi {
            Some(c) => {
                let mut ssid = [0u8; MAX_SSID_LEN];
                ssid[..c.ssid().len()].copy_from_slice(c.ssid());
                (Some((ssid, c.ssid().len())), c.has_encryption())
            }
            None => (None, false),
        };
        let n = ssid.map_or(0, |(_, len)| len.min(data.len() as usize));
        let mut first = MvStatus::ParameterFault;
        if let Some((bytes, _)) = ssid {
            if n > 0 {
                write_at(&mut self.board, &data, 0, &bytes[..n]).map_err(|_| first)?;
                first = MvStatus::LateFault;
            }
        }
        write_at(&mut self.board, &length, 0, &(n as u32).to_le_bytes()).map_err(|_| first)?;
        write_at(&mut self.board, &flag, 0, &[u8::from(encrypted)]).map_err(|_| MvStatus::LateFault)
    }

    /// The stored Wi-Fi SSID, if any (for the device core and tests).
    pub fn wifi_ssid(&self) -> Option<&[u8]> {
        self.wifi.as_ref().map(WifiConfig::ssid)
    }
}
