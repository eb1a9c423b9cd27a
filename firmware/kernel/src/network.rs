//! Network requests (`mvRequestNetwork`): reference-counted wishes to be online.
//!
//! "Applications can call `mvRequestNetwork` to ask Microvisor to bring up
//! and keep up networking. Microvisor creates a resource representing this
//! request" [H]. Each request names a notification centre and a tag that
//! `NETWORKSTATUSCHANGED` goes to whenever the status it reports changes.
//! The status itself is the cloud link's (the device core says when it goes
//! up or down): `CONNECTED` while the link is up, `CONNECTING` while it is
//! down, since an outstanding request keeps Microvisor trying (**Choice**,
//! `firmware/ABI.md` §10).

use mv_abi::{MvNetworkReason, MvNetworkStatus};

/// Requests an app may hold at once (**Choice**: the header gives no limit;
/// every public demo holds one).
pub const MAX_NETWORK_REQUESTS: usize = 8;

/// One outstanding request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NetworkRequest {
    pub handle: u32,
    /// The centre `NETWORKSTATUSCHANGED` goes to.
    pub centre: u32,
    pub tag: u32,
}

/// The running app's network requests.
#[derive(Clone, Debug)]
pub struct NetworkRequests {
    slots: [Option<NetworkRequest>; MAX_NETWORK_REQUESTS],
    /// The app called `mvRequestNetwork` successfully since it started.
    used_api: bool,
}

impl Default for NetworkRequests {
    fn default() -> Self {
        Self::new()
    }
}

impl NetworkRequests {
    pub const fn new() -> Self {
        NetworkRequests {
            slots: [None; MAX_NETWORK_REQUESTS],
            used_api: false,
        }
    }

    pub fn has_room(&self) -> bool {
        self.slots.iter().any(Option::is_none)
    }

    /// Adds a request (the caller checked [`Self::has_room`]).
    pub fn insert(&mut self, request: NetworkRequest) {
        if let Some(slot) = self.slots.iter_mut().find(|s| s.is_none()) {
            *slot = Some(request);
            self.used_api = true;
        }
    }

    pub fn contains(&self, handle: u32) -> bool {
        handle != mv_abi::INVALID_HANDLE && self.iter().any(|r| r.handle == handle)
    }

    pub fn remove(&mut self, handle: u32) -> bool {
        match self
            .slots
            .iter_mut()
            .find(|s| matches!(s, Some(r) if r.handle == handle && handle != 0))
        {
            Some(slot) => {
                *slot = None;
                true
            }
            None => false,
        }
    }

    /// Outstanding requests, in slot order (the order notifications go out).
    pub fn iter(&self) -> impl Iterator<Item = NetworkRequest> + '_ {
        self.slots.iter().flatten().copied()
    }

    /// `request_ref_count` of `mvGetNetworkReasons`.
    pub fn count(&self) -> u32 {
        self.iter().count() as u32
    }

    /// What `mvGetNetworkStatus` reports.
    pub fn status(online: bool) -> MvNetworkStatus {
        if online {
            MvNetworkStatus::Connected
        } else {
            MvNetworkStatus::Connecting
        }
    }

    /// The bitfield `mvGetNetworkReasons` reports (**Choice**, ABI.md §10):
    /// `USINGNETWORK` while a request is held, `NEVERUSEDNETWORKAPI` until the
    /// app first requested the network, `RTCNOTSET` until the server set the
    /// wall time. No other reason arises on this device.
    pub fn reasons(&self, wall_time_set: bool) -> MvNetworkReason {
        let mut bits = 0;
        if self.count() > 0 {
            bits |= MvNetworkReason::USINGNETWORK.0;
        }
        if !self.used_api {
            bits |= MvNetworkReason::NEVERUSEDNETWORKAPI.0;
        }
        if !wall_time_set {
            bits |= MvNetworkReason::RTCNOTSET.0;
        }
        MvNetworkReason(bits)
    }

    /// Is `handle` used by a request (for handle minting)?
    pub fn handle_in_use(&self, handle: u32) -> bool {
        self.iter().any(|r| r.handle == handle)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_follow_the_requests_and_the_clock() {
        let mut n = NetworkRequests::new();
        assert_eq!(n.reasons(false).0, 0x2 | 0x8);
        n.insert(NetworkRequest {
            handle: 7,
            centre: 1,
            tag: 0,
        });
        assert_eq!(n.reasons(true).0, 0x1);
        assert!(n.remove(7));
        assert_eq!(n.reasons(true).0, 0, "used once: no longer NEVERUSED");
        assert!(!n.remove(0));
    }
}
