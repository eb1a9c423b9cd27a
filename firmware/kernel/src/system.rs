//! System notifications (`mvOpenSystemNotification`) and the wake reason.
//!
//! A system-notification object binds a source (network status, updates) to a
//! notification centre and a tag. Closing the centre first is "not an error,
//! but the notifications will no longer be delivered": the object keeps the
//! centre's handle and delivery simply finds no centre.

/// The header documents no limit for these. An app opens one stream per
/// source it cares about (there are two sources); this leaves room for one
/// per source on each of the 32 buffers an app can have. At the limit the
/// call answers `TOOMANYELEMENTS` (`firmware/ABI.md` §8).
pub const MAX_SYSTEM_NOTIFICATIONS: usize = 64;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SystemNotification {
    pub handle: u32,
    pub centre: u32,
    pub tag: u32,
    pub source: u32,
}

/// The open system-notification objects.
pub struct SystemNotifications {
    slots: [Option<SystemNotification>; MAX_SYSTEM_NOTIFICATIONS],
}

impl Default for SystemNotifications {
    fn default() -> Self {
        Self::new()
    }
}

impl SystemNotifications {
    pub const fn new() -> Self {
        SystemNotifications {
            slots: [None; MAX_SYSTEM_NOTIFICATIONS],
        }
    }

    pub fn has_room(&self) -> bool {
        self.slots.iter().any(Option::is_none)
    }

    pub fn insert(&mut self, n: SystemNotification) -> bool {
        match self.slots.iter_mut().find(|s| s.is_none()) {
            Some(slot) => {
                *slot = Some(n);
                true
            }
            None => false,
        }
    }

    pub fn contains(&self, handle: u32) -> bool {
        handle != 0 && self.slots.iter().flatten().any(|s| s.handle == handle)
    }

    pub fn remove(&mut self, handle: u32) -> bool {
        match self
            .slots
            .iter_mut()
            .find(|s| matches!(s, Some(s) if s.handle == handle && handle != 0))
        {
            Some(slot) => {
                *slot = None;
                true
            }
            None => false,
        }
    }

    /// Every subscription to `source`.
    pub fn subscribers(&self, source: u32) -> impl Iterator<Item = SystemNotification> + '_ {
        self.slots
            .iter()
            .flatten()
            .copied()
            .filter(move |s| s.source == source)
    }
}
