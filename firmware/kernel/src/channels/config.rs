//! A config-fetch channel's request and response, as the kernel keeps them.
//!
//! One fetch per channel (`REQUESTALREADYSENT` [H]). The response holds one
//! result and value per requested key, "The order of the returned items
//! matches the item request order" [H]; the values lie one after the other
//! in the app's receive buffer, and where each one is stays in secure memory.

/// Keys one fetch may ask for (**Choice**, `firmware/ABI.md` §13: the header
/// names `TOOMANYCONFIGKEYS` but no number; the MQTT demo asks for seven).
pub const MAX_KEYS: usize = 16;

/// One item of a response.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ConfigItem {
    /// `enum MvConfigKeyFetchResult`.
    pub result: u32,
    pub offset: u32,
    pub len: u32,
}

/// A whole response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConfigResponse {
    /// `enum MvConfigFetchResult`.
    pub result: u32,
    pub num_items: u32,
    pub items: [ConfigItem; MAX_KEYS],
}

/// A config channel's state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ConfigState {
    /// A fetch was made (successfully or not): no second one.
    pub sent: bool,
    pub response: Option<ConfigResponse>,
}
