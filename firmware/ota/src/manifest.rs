//! The bundle protobuf schema (proto3, package `bundle`) as hand-written prost messages.
//!
//! Field numbers are exactly those of the public `bundle_pb2.py` descriptor (ABI reference
//! §5.12); no protoc or build script is involved, so the kernel build stays hermetic.
//! Only [`AppBody::app_version`] (field 100) is ours; see the crate docs.

use alloc::vec::Vec;

/// The signed envelope: `manifest` in the bundle ZIP.
#[derive(Clone, PartialEq, prost::Message)]
pub struct OpaqueManifest {
    /// First 8 bytes (big-endian) of SHA-256(`00 00` + uncompressed public key).
    #[prost(uint64, tag = "1")]
    pub signer_id: u64,
    /// A serialized [`AppBody`]; the signature covers these exact bytes.
    #[prost(bytes = "vec", tag = "2")]
    pub body: Vec<u8>,
    /// Raw ECDSA P-256 `r || s`, 64 bytes big-endian.
    #[prost(bytes = "vec", tag = "3")]
    pub signature: Vec<u8>,
}

/// What an app bundle installs and the policies it runs under.
#[derive(Clone, PartialEq, prost::Message)]
pub struct AppBody {
    /// Layers to fetch and install.
    #[prost(message, repeated, tag = "1")]
    pub layers: Vec<AppLayerReference>,
    /// Debugger access.
    #[prost(message, optional, tag = "2")]
    pub debug: Option<DebugPolicy>,
    /// Restart back-off and crash reports.
    #[prost(message, optional, tag = "3")]
    pub crash: Option<CrashPolicy>,
    /// Polite deployment and kernel version floor.
    #[prost(message, optional, tag = "4")]
    pub update: Option<UpdatePolicy>,
    /// Connection grace and check-in periods.
    #[prost(message, optional, tag = "5")]
    pub connectivity: Option<ConnectivityPolicy>,
    /// Our extension: monotonically increasing app version for downgrade protection.
    /// Field 100 so that parsers of the public schema skip it; absent = 0.
    #[prost(uint32, tag = "100")]
    pub app_version: u32,
}

/// One layer: where it goes and the hashes that identify it.
#[derive(Clone, PartialEq, prost::Message)]
pub struct AppLayerReference {
    /// Destination region.
    #[prost(message, optional, tag = "1")]
    pub target: Option<AppLayerRegion>,
    /// Layer encryption key id; 0 = plaintext.
    #[prost(uint64, tag = "2")]
    pub encrypted_with_key_id: u64,
    /// SHA-256 of the layer file as fetched (also its name in the ZIP).
    #[prost(bytes = "vec", tag = "3")]
    pub fetch_hash: Vec<u8>,
    /// SHA-256 of the installed region: the ROM padded with 0xFF to the region size.
    #[prost(bytes = "vec", tag = "4")]
    pub measurement_hash: Vec<u8>,
}

/// Destination of a layer.
#[derive(Clone, PartialEq, prost::Message)]
pub struct AppLayerRegion {
    /// `oneof where`.
    #[prost(oneof = "app_layer_region::Where", tags = "1, 2")]
    pub r#where: Option<app_layer_region::Where>,
}

/// The `oneof where` of [`AppLayerRegion`].
pub mod app_layer_region {
    use super::{InternalFlashRegion, SpiFlashRegion};

    /// Internal or external flash.
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum Where {
        /// The app partition of internal flash (offsets relative to it).
        #[prost(message, tag = "1")]
        InternalFlash(InternalFlashRegion),
        /// External SPI flash.
        #[prost(message, tag = "2")]
        ExternalFlash(SpiFlashRegion),
    }
}

/// A region of internal flash.
#[derive(Clone, Copy, PartialEq, Eq, prost::Message)]
pub struct InternalFlashRegion {
    /// Offset from the start of the app partition.
    #[prost(uint32, tag = "1")]
    pub start: u32,
    /// Size in bytes.
    #[prost(uint32, tag = "2")]
    pub size: u32,
}

/// A region of external SPI flash.
#[derive(Clone, Copy, PartialEq, Eq, prost::Message)]
pub struct SpiFlashRegion {
    /// Offset in external flash.
    #[prost(uint32, tag = "1")]
    pub start: u32,
    /// Size in bytes.
    #[prost(uint32, tag = "2")]
    pub size: u32,
}

/// Debugger access.
#[derive(Clone, PartialEq, prost::Message)]
pub struct DebugPolicy {
    /// Whether remote debugging is allowed.
    #[prost(bool, tag = "1")]
    pub debuggable: bool,
    /// P-256 X9.62 uncompressed key that authenticates debug sessions.
    #[prost(bytes = "vec", tag = "2")]
    pub debug_auth_pubkey: Vec<u8>,
}

/// Restart back-off and crash reporting.
#[derive(Clone, PartialEq, prost::Message)]
pub struct CrashPolicy {
    /// First restart delay after a crash.
    #[prost(uint32, tag = "1")]
    pub minimum_restart_ms: u32,
    /// Ceiling of the back-off.
    #[prost(uint32, tag = "2")]
    pub maximum_restart_ms: u32,
    /// Key crash reports are encrypted to.
    #[prost(bytes = "vec", tag = "3")]
    pub crash_report_pubkey: Vec<u8>,
    /// Stack bytes included in a crash report.
    #[prost(uint32, tag = "4")]
    pub include_stack_bytes: u32,
}

/// Polite deployment and kernel requirements.
#[derive(Clone, Copy, PartialEq, Eq, prost::Message)]
pub struct UpdatePolicy {
    /// Non-zero: the app opts into polite deployment, for at most this long.
    #[prost(uint32, tag = "1")]
    pub maximum_politeness_time_sec: u32,
    /// The app needs at least this kernel version.
    #[prost(uint32, tag = "2")]
    pub minimum_kernel_version: u32,
}

/// Connectivity requirements.
#[derive(Clone, Copy, PartialEq, Eq, prost::Message)]
pub struct ConnectivityPolicy {
    /// Grace period before the kernel takes over a lost connection.
    #[prost(uint32, tag = "1")]
    pub connection_grace_time_sec: u32,
    /// Minimum check-in period; 0 = stay connected.
    #[prost(uint32, tag = "2")]
    pub minimum_check_in_time_sec: u32,
}
