//! `mvSendConfigFetchRequest`, `mvReadConfigFetchResponseData`, `mvReadConfigResponseItem`.

use mv_abi::{
    AbiStruct, MvConfigKeyFetchParams, MvConfigKeyFetchScope, MvConfigKeyFetchStore,
    MvConfigKeyToFetch, MvConfigResponseData, MvConfigResponseReadItemParams, MvStatus,
};

use crate::board::{Access, Board};
use crate::channels::config::{ConfigResponse, ConfigState, MAX_KEYS};
use crate::channels::{wire, Channel, Kind};
use crate::usermem::{read_struct, write_at, NsRange};
use crate::Kernel;

use super::channels::Want;
use super::http::{claim_string, copy_out, SendWriter};

impl<B: Board> Kernel<B> {
    fn config_channel_mut(&mut self, handle: u32) -> Option<&mut ConfigState> {
        match &mut self.channels.get_mut(handle)?.kind {
            Kind::Config(s) => Some(s),
            _ => None,
        }
    }

    pub(crate) fn send_config_fetch_request(
        &mut self,
        handle: u32,
        request: u32,
    ) -> Result<(), MvStatus> {
        let c = *self.channel(handle, Want::Config)?;
        let request =
            NsRange::claim_struct::<MvConfigKeyFetchParams, _>(&self.board, request, Access::Read)?;
        let req: MvConfigKeyFetchParams =
            read_struct(&mut self.board, &request).map_err(|_| MvStatus::ParameterFault)?;
        if !c.is_open() {
            return Err(MvStatus::ChannelClosed);
        }
        if matches!(c.kind, Kind::Config(s) if s.sent) {
            return Err(MvStatus::RequestAlreadySent);
        }
        if req.num_items as usize > MAX_KEYS {
            return Err(MvStatus::TooManyConfigKeys);
        }
        let keys = match self.config_keys(&req) {
            Ok(keys) => keys,
            Err(status) => {
                // A refused nested pointer uses up the channel's one fetch
                // ("The channel is not usable after that" [H]); a refused
                // value (scope, store, key text) does not.
                if status == MvStatus::LateFault {
                    if let Some(s) = self.config_channel_mut(handle) {
                        s.sent = true;
                    }
                }
                return Err(status);
            }
        };
        let keys = &keys[..req.num_items as usize];
        let size = wire::config_len(keys.iter().map(|(_, _, k)| k.len()));
        if size > u64::from(c.tx.len()) {
            return Err(MvStatus::InvalidBufferSize);
        }
        if let Some(s) = self.config_channel_mut(handle) {
            s.sent = true;
        }
        let mut w = SendWriter {
            base: c.tx.addr(),
            at: 0,
        };
        let written = (|| {
            w.u32(&mut self.board, keys.len() as u32)?;
            for &(scope, store, key) in keys {
                w.u32(&mut self.board, scope)?;
                w.u32(&mut self.board, store)?;
                w.bytes(&mut self.board, key)?;
            }
            Ok::<(), MvStatus>(())
        })();
        written?;
        if let Some(c) = self.channels.get_mut(handle) {
            c.request = Some(size as u32);
        }
        Ok(())
    }

    /// Reads and checks every key, in order: the array (a nested pointer:
    /// `LATEFAULT`), then per key its scope, its store, its bytes (nested:
    /// `LATEFAULT`) and their text ("Only printable Ascii is allowed" [H]).
    #[allow(clippy::type_complexity)]
    fn config_keys(
        &mut self,
        req: &MvConfigKeyFetchParams,
    ) -> Result<[(u32, u32, NsRange); MAX_KEYS], MvStatus> {
        let array = NsRange::claim(
            &self.board,
            req.keys_to_fetch,
            req.num_items * MvConfigKeyToFetch::SIZE as u32,
            MvConfigKeyToFetch::LAYOUT.align as u32,
            Access::Read,
        )
        .map_err(|_| MvStatus::LateFault)?;
        let mut keys = [(0, 0, NsRange::EMPTY); MAX_KEYS];
        for (i, slot) in keys.iter_mut().enumerate().take(req.num_items as usize) {
            let mut bytes = [0u8; MvConfigKeyToFetch::SIZE];
            self.board
                .read_ns(
                    array.addr() + (i * MvConfigKeyToFetch::SIZE) as u32,
                    &mut bytes,
                )
                .map_err(|_| MvStatus::LateFault)?;
            let k = MvConfigKeyToFetch::decode(&bytes);
            if MvConfigKeyFetchScope::try_from(k.scope).is_err() {
                return Err(MvStatus::UnknownConfigScope);
            }
            if MvConfigKeyFetchStore::try_from(k.store).is_err() {
                return Err(MvStatus::UnknownConfigStore);
            }
            let key = claim_string(&self.board, &k.key).map_err(|_| MvStatus::LateFault)?;
            if !self.is_printable(key)? {
                return Err(MvStatus::InvalidConfigKey);
            }
            *slot = (k.scope, k.store, key);
        }
        Ok(keys)
    }

    /// Is the key non-empty printable ASCII (`0x20..=0x7e`)?
    fn is_printable(&mut self, key: NsRange) -> Result<bool, MvStatus> {
        if key.is_empty() {
            return Ok(false);
        }
        let mut chunk = [0u8; 64];
        let mut done = 0;
        while done < key.len() {
            let n = (key.len() - done).min(chunk.len() as u32);
            let bytes = &mut chunk[..n as usize];
            self.board
                .read_ns(key.addr() + done, bytes)
                .map_err(|_| MvStatus::LateFault)?;
            if !bytes.iter().all(|b| (0x20..=0x7e).contains(b)) {
                return Ok(false);
            }
            done += n;
        }
        Ok(true)
    }

    /// The channel's response, after the checks every read makes.
    fn config_response(&self, handle: u32) -> Result<(ConfigResponse, Channel), MvStatus> {
        let c = *self.channel(handle, Want::Config)?;
        if !c.is_open() {
            return Err(MvStatus::ChannelClosed);
        }
        match &c.kind {
            Kind::Config(s) => s
                .response
                .map(|r| (r, c))
                .ok_or(MvStatus::ResponseNotPresent),
            _ => Err(MvStatus::InvalidHandle),
        }
    }

    pub(crate) fn read_config_fetch_response_data(
        &mut self,
        handle: u32,
        out: u32,
    ) -> Result<(), MvStatus> {
        self.channel(handle, Want::Config)?;
        let out =
            NsRange::claim_struct::<MvConfigResponseData, _>(&self.board, out, Access::ReadWrite)?;
        let (response, _) = self.config_response(handle)?;
        let data = MvConfigResponseData {
            result: response.result,
            num_items: response.num_items,
        };
        let mut bytes = [0u8; MvConfigResponseData::SIZE];
        data.encode(&mut bytes);
        write_at(&mut self.board, &out, 0, &bytes).map_err(|_| MvStatus::ParameterFault)
    }

    pub(crate) fn read_config_response_item(
        &mut self,
        handle: u32,
        params: u32,
    ) -> Result<(), MvStatus> {
        self.channel(handle, Want::Config)?;
        let params = NsRange::claim_struct::<MvConfigResponseReadItemParams, _>(
            &self.board,
            params,
            Access::Read,
        )?;
        let p: MvConfigResponseReadItemParams =
            read_struct(&mut self.board, &params).map_err(|_| MvStatus::ParameterFault)?;
        let result_out = NsRange::claim(&self.board, p.result, 4, 4, Access::ReadWrite)?;
        let data = NsRange::claim(&self.board, p.buf.data, p.buf.size, 1, Access::ReadWrite)?;
        let length_out = NsRange::claim(&self.board, p.buf.length, 4, 4, Access::ReadWrite)?;
        let (response, c) = self.config_response(handle)?;
        if p.item_index >= response.num_items {
            return Err(MvStatus::IndexInvalid);
        }
        let item = response.items[p.item_index as usize];
        let n = item.len.min(p.buf.size);
        copy_out(&mut self.board, c.rx.addr() + item.offset, data, n)?;
        let late = |_| MvStatus::LateFault;
        let first = |_| {
            if n == 0 {
                MvStatus::ParameterFault
            } else {
                MvStatus::LateFault
            }
        };
        write_at(&mut self.board, &length_out, 0, &n.to_le_bytes()).map_err(first)?;
        write_at(&mut self.board, &result_out, 0, &item.result.to_le_bytes()).map_err(late)
    }
}
