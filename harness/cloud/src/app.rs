//! Deployments of a rig's own app image: a version of it, signed by the lab key, maybe tampered with.
//!
//! A case says "deploy version 2 of this rig's app" and every rig answers it
//! with the same bundle recipe: the app's ROM stamped with the version
//! (`hil_bundle::stamp_version`), signed by the development key every
//! factory image trusts, with the politeness limit asked for, then tampered
//! with by a `TamperClass` if the case says so.

use hil_bundle::tamper::TamperClass;
use hil_bundle::{build_bundle, dev_signing_key, stamp_version, BundlePolicy, Rom};
use mv_ota::UpdatePolicy;
use mv_update::RejectCode;

use crate::{Deployment, DeploymentError};

/// What to deploy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AppDeploy {
    pub app_version: u32,
    /// The bundle's `maximum_politeness_time_sec` (0: no `UpdatePolicy`).
    pub politeness_s: u32,
    pub tamper: Option<TamperClass>,
    /// The version the device runs now (a `Downgrade` tamper goes below it).
    pub installed: u32,
}

/// The bundle of `rom` (the rig's app image without a stamp, loaded at
/// `base`) for `deploy`.
pub fn app_deployment(
    rom: &[u8],
    base: u32,
    deploy: &AppDeploy,
) -> Result<Deployment, DeploymentError> {
    let name = format!("app-v{}", deploy.app_version);
    let bundle_error = |source| DeploymentError::Bundle {
        name: name.clone(),
        source,
    };
    let mut policy = BundlePolicy::with_version(deploy.app_version);
    if deploy.politeness_s > 0 {
        policy.update = Some(UpdatePolicy {
            maximum_politeness_time_sec: deploy.politeness_s,
            minimum_kernel_version: 0,
        });
    }
    let key = dev_signing_key();
    let rom = Rom::new(base, stamp_version(rom, deploy.app_version)).map_err(bundle_error)?;
    let mut zip = build_bundle(&rom, &key, &policy).map_err(bundle_error)?;
    if let Some(class) = deploy.tamper {
        zip = class
            .apply(&zip, &key, deploy.installed)
            .map_err(bundle_error)?;
    }
    Deployment::from_bundle(&name, &zip)
}

/// The reason each tamper class must be refused with.
pub fn expected_rejection(class: TamperClass) -> RejectCode {
    match class {
        TamperClass::BadSignature => RejectCode::BadSignature,
        TamperClass::UnknownSigner => RejectCode::UnknownSigner,
        TamperClass::TruncatedLayer | TamperClass::LayerHashMismatch => {
            RejectCode::FetchHashMismatch
        }
        TamperClass::MeasurementMismatch => RejectCode::MeasurementMismatch,
        TamperClass::OversizedRom => RejectCode::RomTooLarge,
        TamperClass::Downgrade => RejectCode::Downgrade,
        TamperClass::MalformedManifest => RejectCode::Malformed,
    }
}
