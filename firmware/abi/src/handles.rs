//! The five opaque handle typedefs of the SDK, all plain 32-bit values.
//!
//! In C they are pointers to incomplete structs, so on the 32-bit target they
//! are 4-byte values. The kernel chooses them; "zero is never a valid handle".

/// Any Microvisor handle as it crosses the ABI.
pub type MvHandle = u32;

/// `MvNotificationHandle`: chosen randomly by Microvisor.
pub type MvNotificationHandle = MvHandle;
/// `MvNetworkHandle`: chosen randomly by Microvisor.
pub type MvNetworkHandle = MvHandle;
/// `MvChannelHandle`: assigned by Microvisor.
pub type MvChannelHandle = MvHandle;
/// `MvSystemEventHandle`: assigned by Microvisor.
pub type MvSystemEventHandle = MvHandle;
/// `MvExternalFlashHandle`: assigned by Microvisor.
pub type MvExternalFlashHandle = MvHandle;

/// The value no handle ever has; close/release calls write it back on success.
pub const INVALID_HANDLE: u32 = 0;
