//! `mvRequestNetwork`, `mvReleaseNetwork`, `mvGetNetworkStatus`, `mvGetNetworkReasons`.

use mv_abi::{MvRequestNetworkParams, MvStatus};

use crate::board::{Access, Board};
use crate::network::{NetworkRequest, NetworkRequests};
use crate::usermem::{read_struct, read_u32, write_at, NsRange};
use crate::Kernel;

/// The only `MvRequestNetworkParams.version` ("only 1 is presently supported").
pub const PARAMS_VERSION: u32 = 1;

impl<B: Board> Kernel<B> {
    pub(crate) fn request_network(&mut self, params: u32, handle_out: u32) -> Result<(), MvStatus> {
        let params =
            NsRange::claim_struct::<MvRequestNetworkParams, _>(&self.board, params, Access::Read)?;
        let params: MvRequestNetworkParams =
            read_struct(&mut self.board, &params).map_err(|_| MvStatus::ParameterFault)?;
        if params.version != PARAMS_VERSION {
            return Err(MvStatus::UnsupportedStructureVersion);
        }
        if !self.notifications.contains(params.v1.notification_handle) {
            return Err(MvStatus::InvalidHandle);
        }
        let out = NsRange::claim(&self.board, handle_out, 4, 4, Access::ReadWrite)?;
        if !self.network.has_room() {
            return Err(MvStatus::Unavailable);
        }
        let handle = self.mint_handle()?;
        write_at(&mut self.board, &out, 0, &handle.to_le_bytes())
            .map_err(|_| MvStatus::ParameterFault)?;
        self.network.insert(NetworkRequest {
            handle,
            centre: params.v1.notification_handle,
            tag: params.v1.notification_tag,
        });
        Ok(())
    }

    pub(crate) fn release_network(&mut self, handle_in_out: u32) -> Result<(), MvStatus> {
        let slot = NsRange::claim(&self.board, handle_in_out, 4, 4, Access::ReadWrite)?;
        let handle = read_u32(&mut self.board, &slot).map_err(|_| MvStatus::ParameterFault)?;
        if !self.network.contains(handle) {
            return Err(MvStatus::InvalidHandle);
        }
        write_at(&mut self.board, &slot, 0, &0u32.to_le_bytes())
            .map_err(|_| MvStatus::ParameterFault)?;
        self.network.remove(handle);
        Ok(())
    }

    pub(crate) fn get_network_status(&mut self, handle: u32, out: u32) -> Result<(), MvStatus> {
        if !self.network.contains(handle) {
            return Err(MvStatus::InvalidHandle);
        }
        let out = NsRange::claim(&self.board, out, 4, 4, Access::ReadWrite)?;
        let status = NetworkRequests::status(self.link.online) as u32;
        write_at(&mut self.board, &out, 0, &status.to_le_bytes())
            .map_err(|_| MvStatus::ParameterFault)
    }

    pub(crate) fn get_network_reasons(&mut self, reasons: u32, count: u32) -> Result<(), MvStatus> {
        let reasons = NsRange::claim(&self.board, reasons, 4, 4, Access::ReadWrite)?;
        let count = NsRange::claim(&self.board, count, 4, 4, Access::ReadWrite)?;
        let bits = self.network.reasons(self.wall_offset_us.is_some()).0;
        let refs = self.network.count();
        write_at(&mut self.board, &reasons, 0, &bits.to_le_bytes())
            .map_err(|_| MvStatus::ParameterFault)?;
        write_at(&mut self.board, &count, 0, &refs.to_le_bytes()).map_err(|_| MvStatus::LateFault)
    }

    /// The cloud link went up or down: every network request's centre hears
    /// `NETWORKSTATUSCHANGED` (its status changed), then every connected
    /// channel of a link that went down is closed (`NETWORKDISCONNECTED`,
    /// `CHANNELNOTCONNECTED` to its centre).
    pub(crate) fn network_link_changed(&mut self, online: bool) {
        let event = mv_abi::MvEventType::NetworkStatusChanged as u32;
        let mut targets = [(0u32, 0u32); crate::network::MAX_NETWORK_REQUESTS];
        let mut n = 0;
        for r in self.network.iter() {
            targets[n] = (r.centre, r.tag);
            n += 1;
        }
        for &(centre, tag) in &targets[..n] {
            let _ = self.notifications.post(&mut self.board, centre, event, tag);
        }
        if !online {
            self.close_all_channels(mv_abi::MvClosureReason::NetworkDisconnected);
        }
    }
}
