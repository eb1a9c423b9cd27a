//! Build → read → verify, file naming, determinism, and refusals of the ZIP's shape.

mod common;

use std::io::{Cursor, Write};

use hil_bundle::{
    build_bundle, elf_to_rom, layer_name, read_bundle, verify_bundle, BundleError, BundlePolicy,
    Rom, MANIFEST_ENTRY,
};
use mv_ota::{fetch_hash, measurement_hash, CrashPolicy, UpdatePolicy, APP_REGION_SIZE};
use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipArchive, ZipWriter};

fn rom() -> Rom {
    elf_to_rom(&common::app_elf()).unwrap()
}

fn policy() -> BundlePolicy {
    BundlePolicy {
        app_version: 5,
        crash: Some(CrashPolicy {
            minimum_restart_ms: 250,
            maximum_restart_ms: 30_000,
            crash_report_pubkey: vec![],
            include_stack_bytes: 128,
        }),
        update: Some(UpdatePolicy {
            maximum_politeness_time_sec: 60,
            minimum_kernel_version: 1,
        }),
        ..BundlePolicy::default()
    }
}

#[test]
fn build_read_verify_round_trip() {
    let rom = rom();
    let zip = build_bundle(&rom, &common::key(), &policy()).unwrap();

    let bundle = read_bundle(&zip).unwrap();
    assert_eq!(bundle.layers.len(), 1);
    let (name, layer) = bundle.layers.iter().next().unwrap();
    assert_eq!(layer.as_slice(), rom.bytes());
    assert_eq!(name, &layer_name(rom.bytes()));

    let verified = verify_bundle(&zip, &common::trusted(), Some(5)).unwrap();
    assert_eq!(verified.rom, rom.bytes());
    assert_eq!(&verified.layer_name, name);
    assert_eq!(verified.manifest.signer_id, common::trusted()[0].id());
    assert_eq!(verified.manifest.app_version(), 5);
    assert_eq!(verified.manifest.body.crash, policy().crash);
    assert_eq!(verified.manifest.body.update, policy().update);
    assert_eq!(verified.manifest.app.fetch_hash, fetch_hash(rom.bytes()));
    assert_eq!(
        verified.manifest.app.measurement_hash,
        measurement_hash(rom.bytes())
    );
    assert_eq!(
        (verified.manifest.app.start, verified.manifest.app.size),
        (0, APP_REGION_SIZE)
    );
}

#[test]
fn the_layer_file_is_named_by_the_lowercase_hex_sha256_of_its_bytes() {
    let rom = rom();
    let zip = build_bundle(&rom, &common::key(), &policy()).unwrap();
    let bundle = read_bundle(&zip).unwrap();
    let name = bundle.layers.keys().next().unwrap();
    let independent: String = Sha256::digest(rom.bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(name, &independent);
    assert_eq!(name.len(), 64);
    assert!(name.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')));
}

#[test]
fn the_zip_holds_manifest_then_layer_stored_with_a_fixed_time() {
    let zip = build_bundle(&rom(), &common::key(), &policy()).unwrap();
    let mut archive = ZipArchive::new(Cursor::new(&zip)).unwrap();
    assert_eq!(archive.len(), 2);
    for index in 0..archive.len() {
        let entry = archive.by_index(index).unwrap();
        if index == 0 {
            assert_eq!(entry.name().unwrap(), MANIFEST_ENTRY);
        }
        assert_eq!(entry.compression(), CompressionMethod::Stored);
        assert_eq!(entry.last_modified(), Some(DateTime::default()));
    }
}

#[test]
fn the_same_input_gives_the_same_bytes() {
    let first = build_bundle(&rom(), &common::key(), &policy()).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1100)); // cross a DOS-time tick
    let second = build_bundle(&rom(), &common::key(), &policy()).unwrap();
    assert_eq!(first, second);
    let other_version = BundlePolicy {
        app_version: 6,
        ..policy()
    };
    assert_ne!(
        first,
        build_bundle(&rom(), &common::key(), &other_version).unwrap()
    );
}

#[test]
fn bundles_with_deflated_entries_from_other_tools_verify() {
    let good = read_bundle(&build_bundle(&rom(), &common::key(), &policy()).unwrap()).unwrap();
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    writer.start_file(MANIFEST_ENTRY, options).unwrap();
    writer.write_all(&good.manifest).unwrap();
    for (name, bytes) in &good.layers {
        writer.start_file(name.as_str(), options).unwrap();
        writer.write_all(bytes).unwrap();
    }
    let zip = writer.finish().unwrap().into_inner();
    assert!(verify_bundle(&zip, &common::trusted(), None).is_ok());
}

#[test]
fn a_bundle_with_missing_or_extra_files_is_refused() {
    let good = read_bundle(&build_bundle(&rom(), &common::key(), &policy()).unwrap()).unwrap();

    let mut no_layer = good.clone();
    no_layer.layers.clear();
    let err = verify_bundle(&no_layer.to_zip().unwrap(), &common::trusted(), None).unwrap_err();
    assert!(
        matches!(err, BundleError::MissingLayer { ref name } if name == &layer_name(rom().bytes())),
        "{err:?}"
    );

    let mut extra = good.clone();
    extra.layers.insert("README".into(), b"hi".to_vec());
    let err = verify_bundle(&extra.to_zip().unwrap(), &common::trusted(), None).unwrap_err();
    assert!(
        matches!(err, BundleError::UnexpectedEntry { ref name } if name == "README"),
        "{err:?}"
    );

    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    writer
        .start_file("layer", SimpleFileOptions::default())
        .unwrap();
    let no_manifest = writer.finish().unwrap().into_inner();
    assert!(matches!(
        read_bundle(&no_manifest),
        Err(BundleError::MissingManifest)
    ));

    assert!(matches!(
        verify_bundle(b"not a zip", &common::trusted(), None),
        Err(BundleError::Zip(_))
    ));
}

#[test]
fn a_bundle_from_an_untrusted_key_is_refused_with_a_hint() {
    let zip = build_bundle(&rom(), &common::key(), &policy()).unwrap();
    let err = verify_bundle(&zip, &[], None).unwrap_err();
    assert!(
        matches!(err, BundleError::Rejected(mv_ota::OtaError::UnknownSigner(id)) if id == common::trusted()[0].id()),
        "{err:?}"
    );
    assert!(err.to_string().contains("signer.pub"), "{err}");
}
