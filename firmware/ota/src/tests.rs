//! Unit tests: known answers for ids and hashes, and every way a manifest is refused.

use alloc::vec;
use alloc::vec::Vec;

use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use prost::Message;
use sha2::{Digest, Sha256};

use crate::app_layer_region::Where;
use crate::{
    fetch_hash, measurement_hash, sign_body, signer_id, verify_manifest, AppBody,
    AppLayerReference, AppLayerRegion, CrashPolicy, InternalFlashRegion, LayerFault,
    OpaqueManifest, OtaError, RomDigest, RomHasher, SpiFlashRegion, TrustedSigner, UpdatePolicy,
    APP_REGION_SIZE, MANIFEST_PREFIX,
};

/// RFC 6979 A.2.5 (P-256) private key and its public point.
const RFC_X: &str = "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721";
const RFC_UX: &str = "60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6";
const RFC_UY: &str = "7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299";
/// Computed once with Python: `hashlib.sha256(b"\0\0" + pk).hexdigest()[:16]`.
const RFC_SIGNER_ID: u64 = 0x70ef_1a0f_079d_083a;

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn rfc_key() -> SigningKey {
    SigningKey::from_slice(&unhex(RFC_X)).unwrap()
}

fn other_key() -> SigningKey {
    SigningKey::from_slice(&[0x42; 32]).unwrap()
}

fn rfc_public_key() -> [u8; 65] {
    let mut pk = vec![0x04];
    pk.extend(unhex(RFC_UX));
    pk.extend(unhex(RFC_UY));
    pk.try_into().unwrap()
}

fn app_layer(rom: &[u8]) -> AppLayerReference {
    AppLayerReference {
        target: Some(AppLayerRegion {
            r#where: Some(Where::InternalFlash(InternalFlashRegion {
                start: 0,
                size: APP_REGION_SIZE,
            })),
        }),
        encrypted_with_key_id: 0,
        fetch_hash: fetch_hash(rom).to_vec(),
        measurement_hash: measurement_hash(rom).to_vec(),
    }
}

fn body_for(rom: &[u8]) -> AppBody {
    AppBody {
        layers: vec![app_layer(rom)],
        crash: Some(CrashPolicy {
            minimum_restart_ms: 100,
            maximum_restart_ms: 60_000,
            crash_report_pubkey: Vec::new(),
            include_stack_bytes: 256,
        }),
        update: Some(UpdatePolicy {
            maximum_politeness_time_sec: 30,
            minimum_kernel_version: 0,
        }),
        app_version: 7,
        ..AppBody::default()
    }
}

fn envelope(key: &SigningKey, body: &[u8]) -> OpaqueManifest {
    OpaqueManifest {
        signer_id: TrustedSigner::from_signing_key(key).id(),
        body: body.to_vec(),
        signature: sign_body(key, body).to_vec(),
    }
}

fn signed(key: &SigningKey, body: &AppBody) -> Vec<u8> {
    envelope(key, &body.encode_to_vec()).encode_to_vec()
}

fn trusted() -> Vec<TrustedSigner> {
    vec![
        TrustedSigner::from_signing_key(&other_key()),
        TrustedSigner::from_signing_key(&rfc_key()),
    ]
}

#[test]
fn signer_id_known_answer() {
    assert_eq!(signer_id(&rfc_public_key()), RFC_SIGNER_ID);
}

#[test]
fn signer_id_matches_an_independent_computation() {
    for key in [rfc_key(), other_key()] {
        let pk = TrustedSigner::from_signing_key(&key).public_key();
        let mut preimage = vec![0u8, 0u8];
        preimage.extend_from_slice(&pk);
        let digest = Sha256::digest(&preimage);
        let expected = digest[..8]
            .iter()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
        assert_eq!(signer_id(&pk), expected);
    }
}

#[test]
fn public_key_is_x962_uncompressed() {
    let signer = TrustedSigner::from_signing_key(&rfc_key());
    assert_eq!(signer.public_key(), rfc_public_key());
    assert_eq!(signer.id(), RFC_SIGNER_ID);
    let parsed = TrustedSigner::from_uncompressed(&rfc_public_key()).unwrap();
    assert_eq!(parsed, signer);
}

#[test]
fn signature_bytes_are_big_endian_r_then_s() {
    // RFC 6979 A.2.5, SHA-256, message "sample".
    let sig: Signature = rfc_key().sign(b"sample");
    let mut expected = unhex("efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716");
    expected.extend(unhex(
        "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8",
    ));
    assert_eq!(sig.to_bytes().as_slice(), expected.as_slice());
}

#[test]
fn sign_body_covers_the_prefix() {
    let body = b"body bytes";
    let mut message = MANIFEST_PREFIX.to_vec();
    message.extend_from_slice(body);
    let direct: Signature = rfc_key().sign(&message);
    assert_eq!(
        sign_body(&rfc_key(), body),
        <[u8; 64]>::from(direct.to_bytes())
    );
}

#[test]
fn trusted_signer_rejects_points_off_the_curve() {
    let mut not_a_point = [0u8; 65];
    not_a_point[0] = 0x04;
    assert_eq!(
        TrustedSigner::from_uncompressed(&not_a_point),
        Err(OtaError::InvalidPublicKey)
    );
    let mut hybrid = rfc_public_key();
    hybrid[0] = 0x06;
    assert_eq!(
        TrustedSigner::from_uncompressed(&hybrid),
        Err(OtaError::InvalidPublicKey)
    );
}

#[test]
fn verify_accepts_a_good_manifest() {
    let rom = b"\x00\x10\x00\x20app";
    let body = body_for(rom);
    let verified = verify_manifest(&signed(&rfc_key(), &body), &trusted()).unwrap();
    assert_eq!(verified.signer_id, RFC_SIGNER_ID);
    assert_eq!(verified.body, body);
    assert_eq!(verified.app_version(), 7);
    assert_eq!(verified.app.fetch_hash, fetch_hash(rom));
    assert_eq!(verified.app.measurement_hash, measurement_hash(rom));
    assert_eq!(
        (verified.app.start, verified.app.size),
        (0, APP_REGION_SIZE)
    );
}

#[test]
fn verify_rejects_a_flipped_body_bit() {
    let body = body_for(b"app").encode_to_vec();
    let good = envelope(&rfc_key(), &body);
    for byte in [0, body.len() / 2, body.len() - 1] {
        let mut bad = good.clone();
        bad.body[byte] ^= 0x01;
        assert_eq!(
            verify_manifest(&bad.encode_to_vec(), &trusted()),
            Err(OtaError::BadSignature),
            "flipped bit in body byte {byte}"
        );
    }
}

#[test]
fn verify_rejects_a_flipped_signature_bit() {
    let good = envelope(&rfc_key(), &body_for(b"app").encode_to_vec());
    for byte in [0, 31, 32, 63] {
        let mut bad = good.clone();
        bad.signature[byte] ^= 0x80;
        assert_eq!(
            verify_manifest(&bad.encode_to_vec(), &trusted()),
            Err(OtaError::BadSignature),
            "flipped bit in signature byte {byte}"
        );
    }
}

#[test]
fn verify_rejects_a_signature_of_the_wrong_length() {
    let mut bad = envelope(&rfc_key(), &body_for(b"app").encode_to_vec());
    bad.signature.pop();
    assert_eq!(
        verify_manifest(&bad.encode_to_vec(), &trusted()),
        Err(OtaError::BadSignature)
    );
    bad.signature.clear();
    assert_eq!(
        verify_manifest(&bad.encode_to_vec(), &trusted()),
        Err(OtaError::BadSignature)
    );
}

#[test]
fn verify_rejects_an_unknown_signer() {
    let manifest = signed(&rfc_key(), &body_for(b"app"));
    let only_other = [TrustedSigner::from_signing_key(&other_key())];
    assert_eq!(
        verify_manifest(&manifest, &only_other),
        Err(OtaError::UnknownSigner(RFC_SIGNER_ID))
    );
    assert_eq!(
        verify_manifest(&manifest, &[]),
        Err(OtaError::UnknownSigner(RFC_SIGNER_ID))
    );
}

#[test]
fn verify_rejects_a_key_claiming_another_signers_id() {
    // Signed by `other_key` but naming the RFC key's id: the id picks the RFC key,
    // whose verification must fail.
    let body = body_for(b"app").encode_to_vec();
    let mut forged = envelope(&other_key(), &body);
    forged.signer_id = RFC_SIGNER_ID;
    assert_eq!(
        verify_manifest(&forged.encode_to_vec(), &trusted()),
        Err(OtaError::BadSignature)
    );
}

#[test]
fn verify_rejects_a_malformed_body_even_when_signed() {
    // Field 1 (layers), length-delimited, claims 0x7f bytes but has 2.
    let garbage = [0x0a, 0x7f, 0x01, 0x02];
    let manifest = envelope(&rfc_key(), &garbage).encode_to_vec();
    assert_eq!(
        verify_manifest(&manifest, &trusted()),
        Err(OtaError::Malformed)
    );
}

#[test]
fn verify_rejects_every_truncation() {
    let manifest = signed(&rfc_key(), &body_for(b"app"));
    for len in 0..manifest.len() {
        let result = verify_manifest(&manifest[..len], &trusted());
        assert!(result.is_err(), "prefix of {len} bytes accepted");
    }
    // Cutting into the trailing signature field is a decode error, not a bad signature.
    assert_eq!(
        verify_manifest(&manifest[..manifest.len() - 1], &trusted()),
        Err(OtaError::Malformed)
    );
}

#[test]
fn verify_rejects_a_non_protobuf_manifest() {
    assert_eq!(
        verify_manifest(b"PK\x03\x04 not a manifest", &trusted()),
        Err(OtaError::Malformed)
    );
}

fn layer_fault(edit: impl FnOnce(&mut AppBody)) -> Result<(), OtaError> {
    let mut body = body_for(b"app");
    edit(&mut body);
    verify_manifest(&signed(&rfc_key(), &body), &trusted()).map(|_| ())
}

#[test]
fn verify_rejects_layer_references_that_are_not_one_app() {
    let bad = |f| Err(OtaError::BadLayer(f));
    assert_eq!(layer_fault(|b| b.layers.clear()), bad(LayerFault::NoLayer));
    assert_eq!(
        layer_fault(|b| b.layers.push(b.layers[0].clone())),
        bad(LayerFault::TooManyLayers(2))
    );
    assert_eq!(
        layer_fault(|b| b.layers[0].target = None),
        bad(LayerFault::NoTarget)
    );
    assert_eq!(
        layer_fault(|b| b.layers[0].target = Some(AppLayerRegion { r#where: None })),
        bad(LayerFault::NoTarget)
    );
    assert_eq!(
        layer_fault(|b| {
            b.layers[0].target = Some(AppLayerRegion {
                r#where: Some(Where::ExternalFlash(SpiFlashRegion { start: 0, size: 4 })),
            });
        }),
        bad(LayerFault::ExternalFlash)
    );
    let region = |start, size| {
        Some(AppLayerRegion {
            r#where: Some(Where::InternalFlash(InternalFlashRegion { start, size })),
        })
    };
    assert_eq!(
        layer_fault(|b| b.layers[0].target = region(0, APP_REGION_SIZE + 1)),
        bad(LayerFault::RegionTooLarge {
            start: 0,
            size: APP_REGION_SIZE + 1
        })
    );
    assert_eq!(
        layer_fault(|b| b.layers[0].target = region(u32::MAX, 2)),
        bad(LayerFault::RegionTooLarge {
            start: u32::MAX,
            size: 2
        })
    );
    assert_eq!(
        layer_fault(|b| b.layers[0].fetch_hash.truncate(31)),
        bad(LayerFault::FetchHashLength(31))
    );
    assert_eq!(
        layer_fault(|b| b.layers[0].measurement_hash.push(0)),
        bad(LayerFault::MeasurementHashLength(33))
    );
    assert_eq!(
        layer_fault(|b| b.layers[0].encrypted_with_key_id = 9),
        bad(LayerFault::Encrypted(9))
    );
}

#[test]
fn downgrade_is_refused_and_equal_or_newer_is_not() {
    let verified = verify_manifest(&signed(&rfc_key(), &body_for(b"app")), &trusted()).unwrap();
    assert_eq!(verified.check_not_downgrade(None), Ok(()));
    assert_eq!(verified.check_not_downgrade(Some(6)), Ok(()));
    assert_eq!(verified.check_not_downgrade(Some(7)), Ok(()));
    assert_eq!(
        verified.check_not_downgrade(Some(8)),
        Err(OtaError::Downgrade {
            installed: 8,
            offered: 7
        })
    );
}

#[test]
fn app_version_is_field_100_and_old_parsers_skip_it() {
    /// The public schema's AppBody, without our field 100.
    #[derive(Clone, PartialEq, prost::Message)]
    struct PublicAppBody {
        #[prost(message, repeated, tag = "1")]
        layers: Vec<AppLayerReference>,
    }
    let body = AppBody {
        app_version: 3,
        ..AppBody::default()
    };
    // Tag (100 << 3 | varint) = 800 = varint a0 06, then the value.
    assert_eq!(body.encode_to_vec(), [0xa0, 0x06, 0x03]);
    let full = body_for(b"app");
    let old = PublicAppBody::decode(full.encode_to_vec().as_slice()).unwrap();
    assert_eq!(old.layers, full.layers);
}

#[test]
fn field_numbers_match_the_public_schema() {
    let manifest = OpaqueManifest {
        signer_id: 1,
        body: vec![0xaa],
        signature: vec![0xbb],
    };
    // 1:varint, 2:bytes, 3:bytes.
    assert_eq!(
        manifest.encode_to_vec(),
        [0x08, 0x01, 0x12, 0x01, 0xaa, 0x1a, 0x01, 0xbb]
    );
    let layer = AppLayerReference {
        target: Some(AppLayerRegion {
            r#where: Some(Where::ExternalFlash(SpiFlashRegion { start: 1, size: 2 })),
        }),
        encrypted_with_key_id: 5,
        fetch_hash: vec![0xcc],
        measurement_hash: vec![0xdd],
    };
    // target(1){ external_flash(2){ start(1)=1 size(2)=2 } }, key id(2)=5, hashes 3 and 4.
    assert_eq!(
        layer.encode_to_vec(),
        [
            0x0a, 0x06, 0x12, 0x04, 0x08, 0x01, 0x10, 0x02, 0x10, 0x05, 0x1a, 0x01, 0xcc, 0x22,
            0x01, 0xdd
        ]
    );
    let policies = AppBody {
        update: Some(UpdatePolicy {
            maximum_politeness_time_sec: 1,
            minimum_kernel_version: 2,
        }),
        ..AppBody::default()
    };
    assert_eq!(
        policies.encode_to_vec(),
        [0x22, 0x04, 0x08, 0x01, 0x10, 0x02]
    );
}

#[test]
fn measurement_hash_known_answers() {
    // Python: hashlib.sha256(b"\xff" * (1 << 20)) and (b"abc" + b"\xff" * ((1 << 20) - 3)).
    assert_eq!(
        measurement_hash(b"").to_vec(),
        unhex("f5fb04aa5b882706b9309e885f19477261336ef76a150c3b4d3489dfac3953ec")
    );
    assert_eq!(
        measurement_hash(b"abc").to_vec(),
        unhex("1ab9880727a768192e88c6bc2f848676b385fd8bb13aa375a32ecd36e0f8b8b7")
    );
    assert_eq!(
        fetch_hash(b"").to_vec(),
        unhex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    );
}

#[test]
fn measurement_hash_equals_hashing_the_padded_rom() {
    let rom: Vec<u8> = (0..1000u32).map(|i| (i * 7) as u8).collect();
    let mut padded = rom.clone();
    padded.resize(APP_REGION_SIZE as usize, 0xFF);
    assert_eq!(measurement_hash(&rom), fetch_hash(&padded));
}

#[test]
fn rom_hasher_in_chunks_matches_one_shot() {
    let rom: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
    let mut hasher = RomHasher::new();
    for chunk in rom.chunks(333) {
        hasher.update(chunk);
    }
    assert_eq!(hasher.len(), 5000);
    let digest = hasher.finish();
    assert_eq!(digest, RomDigest::of(&rom));
    assert_eq!(digest.len, 5000);
    assert_eq!(digest.fetch_hash, fetch_hash(&rom));
    assert_eq!(digest.measurement_hash, measurement_hash(&rom));
}

#[test]
fn check_rom_accepts_the_signed_rom_and_refuses_others() {
    let rom = b"the app";
    let verified = verify_manifest(&signed(&rfc_key(), &body_for(rom)), &trusted()).unwrap();
    assert_eq!(verified.check_rom(&RomDigest::of(rom)), Ok(()));
    assert_eq!(
        verified.check_rom(&RomDigest::of(&rom[..3])),
        Err(OtaError::FetchHashMismatch)
    );
    assert_eq!(
        verified.check_rom(&RomDigest::of(b"the apq")),
        Err(OtaError::FetchHashMismatch)
    );
    let mut wrong_measurement = RomDigest::of(rom);
    wrong_measurement.measurement_hash[0] ^= 1;
    assert_eq!(
        verified.check_rom(&wrong_measurement),
        Err(OtaError::MeasurementMismatch)
    );
    let mut too_long = RomDigest::of(rom);
    too_long.len = u64::from(APP_REGION_SIZE);
    assert_eq!(
        verified.check_rom(&too_long),
        Err(OtaError::RomTooLarge {
            len: u64::from(APP_REGION_SIZE),
            max: u64::from(APP_REGION_SIZE) - 1
        })
    );
}
