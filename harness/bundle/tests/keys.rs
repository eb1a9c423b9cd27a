//! Key generation, PEM round trips, the `keys` and `bundle` entry points.

mod common;

use std::fs;

use hil_bundle::{
    bundle_command, generate_key, keys_command, load_signing_key, read_bundle, verify_bundle,
    BundleError, TrustedSigner,
};
use mv_ota::p256::pkcs8::LineEnding;
use mv_ota::p256::SecretKey;
use mv_ota::signer_id;

#[test]
fn generated_keys_are_pkcs8_pem_distinct_and_named_by_their_signer_id() {
    let (a, b) = (generate_key(), generate_key());
    assert!(a.pem().starts_with("-----BEGIN PRIVATE KEY-----\n"));
    assert_ne!(a.signer_id(), b.signer_id());
    assert_eq!(a.public_key()[0], 0x04);
    assert_eq!(a.signer_id(), signer_id(&a.public_key()));
    assert!(
        !format!("{a:?}").contains("PRIVATE"),
        "Debug must not print the key"
    );
}

#[test]
fn keys_command_writes_a_loadable_key_and_its_public_half() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("keys");
    let files = keys_command(&out).unwrap();
    assert_eq!(files.signing_key, out.join("signing-key.pem"));
    assert_eq!(files.public_key, out.join("signer.pub"));

    let loaded = load_signing_key(&files.signing_key).unwrap();
    assert_eq!(loaded.signer_id(), files.signer_id);

    let text = fs::read_to_string(&files.public_key).unwrap();
    let public: [u8; 65] = hex::decode(text.trim_end()).unwrap().try_into().unwrap();
    assert_eq!(text.len(), 131);
    assert_eq!(public, loaded.public_key());
    let trusted = TrustedSigner::from_uncompressed(&public).unwrap();
    assert_eq!(trusted.id(), files.signer_id);

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&files.signing_key)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
fn keys_command_never_overwrites_a_key() {
    let dir = tempfile::tempdir().unwrap();
    let first = keys_command(dir.path()).unwrap();
    let pem = fs::read(&first.signing_key).unwrap();
    let err = keys_command(dir.path()).unwrap_err();
    assert!(matches!(err, BundleError::KeyExists { ref path } if path == &first.signing_key));
    assert!(err.to_string().contains("refusing to overwrite"), "{err}");
    assert_eq!(fs::read(&first.signing_key).unwrap(), pem);
}

#[test]
fn openssl_style_sec1_keys_load_too() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ec.pem");
    let secret = SecretKey::from_slice(&[7; 32]).unwrap();
    fs::write(
        &path,
        secret.to_sec1_pem(LineEnding::LF).unwrap().as_bytes(),
    )
    .unwrap();
    let loaded = load_signing_key(&path).unwrap();
    assert_eq!(loaded.signer_id(), common::trusted()[0].id());
}

#[test]
fn a_file_that_is_not_a_key_is_refused_with_a_next_step() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("not-a-key.pem");
    fs::write(&path, "hello").unwrap();
    let err = load_signing_key(&path).unwrap_err();
    assert!(matches!(err, BundleError::BadKey { .. }), "{err:?}");
    assert!(err.to_string().contains("hil keys --out"), "{err}");
    let missing = load_signing_key(&dir.path().join("missing.pem")).unwrap_err();
    assert!(matches!(missing, BundleError::Read { .. }), "{missing:?}");
}

#[test]
fn bundle_command_writes_a_bundle_that_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let keys = keys_command(dir.path()).unwrap();
    let elf = dir.path().join("app.elf");
    fs::write(&elf, common::app_elf()).unwrap();
    let out = dir.path().join("app.zip");

    let summary = bundle_command(&elf, &keys.signing_key, &out, 9, false).unwrap();
    assert_eq!(summary.out, out);
    assert_eq!(summary.signer_id, keys.signer_id);
    assert_eq!(summary.app_version, 9);
    assert_eq!(summary.rom_base, 0x0800_0000);
    assert_eq!(summary.rom_len, 0x104);

    let zip = fs::read(&out).unwrap();
    assert_eq!(zip.len(), summary.bundle_len);
    let trusted = [load_signing_key(&keys.signing_key).unwrap().trusted()];
    let verified = verify_bundle(&zip, &trusted, Some(9)).unwrap();
    assert_eq!(verified.layer_name, summary.layer_name);
    assert_eq!(read_bundle(&zip).unwrap().layers.len(), 1);
    assert!(!dir.path().join("app.zip.tmp").exists());
}

#[test]
fn bundle_command_reports_a_missing_elf() {
    let dir = tempfile::tempdir().unwrap();
    let keys = keys_command(dir.path()).unwrap();
    let err = bundle_command(
        &dir.path().join("nope.elf"),
        &keys.signing_key,
        &dir.path().join("out.zip"),
        1,
        false,
    )
    .unwrap_err();
    assert!(matches!(err, BundleError::Read { ref path, .. } if path.ends_with("nope.elf")));
}

#[test]
fn bundle_command_never_writes_over_its_key_or_its_elf() {
    let dir = tempfile::tempdir().unwrap();
    let keys = keys_command(dir.path()).unwrap();
    let elf = dir.path().join("app.elf");
    fs::write(&elf, common::app_elf()).unwrap();
    let key_before = fs::read(&keys.signing_key).unwrap();
    for (out, what) in [(&keys.signing_key, "signing key"), (&elf, "app ELF")] {
        for force in [false, true] {
            let err = bundle_command(&elf, &keys.signing_key, out, 1, force).unwrap_err();
            assert!(
                matches!(err, BundleError::OutputIsInput { what: w, .. } if w == what),
                "{err:?}"
            );
        }
    }
    // Not through another spelling of the same path either.
    let other = dir.path().join(".").join("signing-key.pem");
    assert!(bundle_command(&elf, &keys.signing_key, &other, 1, true).is_err());
    assert_eq!(fs::read(&keys.signing_key).unwrap(), key_before);
    assert_eq!(fs::read(&elf).unwrap(), common::app_elf());
}

#[test]
fn bundle_command_replaces_an_existing_file_only_with_force() {
    let dir = tempfile::tempdir().unwrap();
    let keys = keys_command(dir.path()).unwrap();
    let elf = dir.path().join("app.elf");
    fs::write(&elf, common::app_elf()).unwrap();
    let out = dir.path().join("notes.txt");
    fs::write(&out, "keep me").unwrap();
    let err = bundle_command(&elf, &keys.signing_key, &out, 1, false).unwrap_err();
    assert!(matches!(err, BundleError::OutputExists { .. }), "{err:?}");
    assert!(err.to_string().contains("--force"), "{err}");
    assert_eq!(fs::read_to_string(&out).unwrap(), "keep me");
    bundle_command(&elf, &keys.signing_key, &out, 1, true).unwrap();
    assert!(read_bundle(&fs::read(&out).unwrap()).is_ok());
}

#[test]
fn bundle_command_refuses_an_elf_outside_app_flash() {
    // The AN505 secure image loads at 0x1000_0000 (secure code).
    let dir = tempfile::tempdir().unwrap();
    let keys = keys_command(dir.path()).unwrap();
    let elf = dir.path().join("secure.elf");
    fs::write(
        &elf,
        common::elf(&[common::Phdr::load(0x1000_0000, &[0; 64])]),
    )
    .unwrap();
    let out = dir.path().join("out.zip");
    let err = bundle_command(&elf, &keys.signing_key, &out, 1, false).unwrap_err();
    assert!(
        matches!(
            err,
            BundleError::NotInAppFlash {
                base: 0x1000_0000,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("is this the secure image?"),
        "{err}"
    );
    assert!(!out.exists());
}
