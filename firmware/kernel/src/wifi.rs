//! The device's Wi-Fi credentials (`mvSetWifiConfig`/`mvGetWifiConfig`): kept by the device, not the app.
//!
//! They survive app restarts (the app is not the device); the password is
//! never given back, only whether there is one ("has encryption").

/// The longest SSID (IEEE 802.11: 32 octets).
pub const MAX_SSID_LEN: usize = 32;
/// The longest WPA2 passphrase (63 characters) or raw PSK (64 hex digits).
pub const MAX_PASSWORD_LEN: usize = 64;

/// What `mvSetWifiConfig(APPLYNOW)` stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WifiConfig {
    ssid: [u8; MAX_SSID_LEN],
    ssid_len: usize,
    password: [u8; MAX_PASSWORD_LEN],
    password_len: usize,
}

impl WifiConfig {
    /// `None` when a part is too long.
    pub fn new(ssid: &[u8], password: &[u8]) -> Option<WifiConfig> {
        if ssid.len() > MAX_SSID_LEN || password.len() > MAX_PASSWORD_LEN {
            return None;
        }
        let mut config = WifiConfig {
            ssid: [0; MAX_SSID_LEN],
            ssid_len: ssid.len(),
            password: [0; MAX_PASSWORD_LEN],
            password_len: password.len(),
        };
        config.ssid[..ssid.len()].copy_from_slice(ssid);
        config.password[..password.len()].copy_from_slice(password);
        Some(config)
    }

    pub fn ssid(&self) -> &[u8] {
        &self.ssid[..self.ssid_len]
    }

    /// A network with a password is encrypted.
    pub fn has_encryption(&self) -> bool {
        self.password_len > 0
    }
}
