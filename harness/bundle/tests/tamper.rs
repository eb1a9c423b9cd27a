//! Every tamper class yields a bundle `verify_bundle` refuses, for that class's reason.

mod common;

use hil_bundle::tamper::{self, TamperClass};
use hil_bundle::{
    build_bundle, elf_to_rom, read_bundle, verify_bundle, BundleError, BundlePolicy, OtaError,
};

const INSTALLED: u32 = 4;

fn good() -> Vec<u8> {
    let rom = elf_to_rom(&common::app_elf()).unwrap();
    build_bundle(&rom, &common::key(), &BundlePolicy::with_version(INSTALLED)).unwrap()
}

fn refusal(bundle: &[u8]) -> OtaError {
    match verify_bundle(bundle, &common::trusted(), Some(INSTALLED)) {
        Err(BundleError::Rejected(reason)) => reason,
        other => panic!("expected a kernel refusal, got {other:?}"),
    }
}

#[test]
fn the_untampered_bundle_is_accepted() {
    // The control: every refusal below is caused by the tampering, not the fixture.
    assert!(verify_bundle(&good(), &common::trusted(), Some(INSTALLED)).is_ok());
}

#[test]
fn bad_signature() {
    let bundle = tamper::bad_signature(&good()).unwrap();
    assert_eq!(refusal(&bundle), OtaError::BadSignature);
}

#[test]
fn unknown_signer() {
    let bundle = tamper::unknown_signer(&good()).unwrap();
    let OtaError::UnknownSigner(id) = refusal(&bundle) else {
        panic!("expected UnknownSigner");
    };
    assert_ne!(id, common::trusted()[0].id());
}

#[test]
fn truncated_layer() {
    let good = good();
    let bundle = tamper::truncated_layer(&good).unwrap();
    let (before, after) = (read_bundle(&good).unwrap(), read_bundle(&bundle).unwrap());
    assert_eq!(
        before.layers.keys().collect::<Vec<_>>(),
        after.layers.keys().collect::<Vec<_>>()
    );
    let (old, new) = (
        before.layers.values().next().unwrap(),
        after.layers.values().next().unwrap(),
    );
    assert_eq!(new.len(), old.len() / 2);
    assert_eq!(refusal(&bundle), OtaError::FetchHashMismatch);
}

#[test]
fn layer_hash_mismatch() {
    let bundle = tamper::layer_hash_mismatch(&good()).unwrap();
    assert_eq!(refusal(&bundle), OtaError::FetchHashMismatch);
}

#[test]
fn measurement_mismatch() {
    let bundle = tamper::measurement_mismatch(&good(), &common::key()).unwrap();
    assert_eq!(refusal(&bundle), OtaError::MeasurementMismatch);
}

#[test]
fn rom_of_1_mib() {
    let bundle = tamper::oversized_rom(&good(), &common::key()).unwrap();
    assert_eq!(
        refusal(&bundle),
        OtaError::RomTooLarge {
            len: 0x10_0000,
            max: 0xF_FFFF
        }
    );
}

#[test]
fn downgrade() {
    let bundle = tamper::downgrade(&good(), &common::key(), INSTALLED).unwrap();
    assert_eq!(
        refusal(&bundle),
        OtaError::Downgrade {
            installed: INSTALLED,
            offered: INSTALLED - 1
        }
    );
    // The same bundle is fine on a device without an app, or with an older one.
    assert!(verify_bundle(&bundle, &common::trusted(), None).is_ok());
    assert!(verify_bundle(&bundle, &common::trusted(), Some(INSTALLED - 1)).is_ok());
    let err = verify_bundle(&bundle, &common::trusted(), Some(INSTALLED)).unwrap_err();
    assert!(err.to_string().contains("--app-version"), "{err}");
}

#[test]
fn downgrade_below_version_0_is_not_applicable() {
    assert!(matches!(
        tamper::downgrade(&good(), &common::key(), 0),
        Err(BundleError::TamperNotApplicable {
            class: "downgrade",
            ..
        })
    ));
}

#[test]
fn malformed_manifest() {
    let bundle = tamper::malformed_manifest(&good()).unwrap();
    assert_eq!(refusal(&bundle), OtaError::Malformed);
}

#[test]
fn every_class_is_refused_with_its_expected_reason_and_is_reproducible() {
    let good = good();
    for class in TamperClass::ALL {
        let bundle = class.apply(&good, &common::key(), INSTALLED).unwrap();
        assert_ne!(bundle, good, "{}", class.name());
        let err = verify_bundle(&bundle, &common::trusted(), Some(INSTALLED)).unwrap_err();
        assert!(class.is_expected(&err), "{}: {err:?}", class.name());
        for other in TamperClass::ALL {
            let same_reason = matches!(
                (class, other),
                (TamperClass::TruncatedLayer, TamperClass::LayerHashMismatch)
                    | (TamperClass::LayerHashMismatch, TamperClass::TruncatedLayer)
            );
            if other != class && !same_reason {
                assert!(
                    !other.is_expected(&err),
                    "{} matches {}",
                    other.name(),
                    class.name()
                );
            }
        }
        assert_eq!(
            bundle,
            class.apply(&good, &common::key(), INSTALLED).unwrap(),
            "{} is not deterministic",
            class.name()
        );
    }
}
