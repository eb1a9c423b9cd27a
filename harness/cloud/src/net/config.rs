//! The cloud's config and secret store, filled by the case (or rig) file.
//!
//! "Secrets are write-only through the REST API and configs are
//! read/write; both are readable on the device" [MQTT demo README]: a key
//! lives in one scope (account or device) and one store (config or
//! secret), and a fetch names all three. A key nobody set is
//! `KEYNOTFOUND`; a key set to fail is `SERVERERROR`.

use mv_abi::MvConfigKeyFetchResult;
use mv_proto::{ConfigItem, ConfigKey};

/// What a key holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigValue {
    Value(Vec<u8>),
    /// Fetching it fails on the server's side.
    ServerError,
}

/// One entry of the store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigEntry {
    /// `MvConfigKeyFetchScope`.
    pub scope: u32,
    /// `MvConfigKeyFetchStore`.
    pub store: u32,
    pub key: String,
    pub value: ConfigValue,
}

/// The store: later entries replace earlier ones of the same key.
#[derive(Clone, Debug, Default)]
pub(crate) struct ConfigStore {
    entries: Vec<ConfigEntry>,
}

impl ConfigStore {
    pub(crate) fn set(&mut self, entry: ConfigEntry) {
        self.entries.retain(|e| {
            (e.scope, e.store, e.key.as_str()) != (entry.scope, entry.store, entry.key.as_str())
        });
        self.entries.push(entry);
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }

    /// One answer per key, in the order asked.
    pub(crate) fn fetch(&self, keys: &[ConfigKey]) -> Vec<ConfigItem> {
        keys.iter()
            .map(|k| {
                let found = self.entries.iter().find(|e| {
                    e.scope == k.scope && e.store == k.store && e.key.as_bytes() == k.key
                });
                match found.map(|e| &e.value) {
                    Some(ConfigValue::Value(v)) => ConfigItem {
                        result: MvConfigKeyFetchResult::Ok as u32,
                        value: v.clone(),
                    },
                    Some(ConfigValue::ServerError) => ConfigItem {
                        result: MvConfigKeyFetchResult::ServerError as u32,
                        value: Vec::new(),
                    },
                    None => ConfigItem {
                        result: MvConfigKeyFetchResult::KeyNotFound as u32,
                        value: Vec::new(),
                    },
                }
            })
            .collect()
    }
}
