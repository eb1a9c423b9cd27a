//! The engine over the sim's power-cutting flash: happy path, resume, every cut of a small update, tampering.

use alloc::vec::Vec;

use hil_bundle::tamper::TamperClass;
use hil_bundle::{build_bundle, read_bundle, BundlePolicy, Rom};
use mv_flash::{CutPoint, FlashError, FlashModel, NvmMap};
use mv_ota::p256::ecdsa::SigningKey;
use mv_ota::TrustedSigner;

use crate::{chunks_for, BootOutcome, ChunkReply, Layout, OfferReply, Phase, Updater, CHUNK_SIZE};

extern crate std;

const LAYOUT: Layout = Layout::DEFAULT;

fn key() -> SigningKey {
    SigningKey::from_slice(&[0x42; 32]).unwrap()
}

fn rom(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed) ^ (i >> 8) as u8)
        .collect()
}

/// (manifest, layer) of a bundle of `rom` at `version`.
fn bundle(rom_bytes: &[u8], version: u32) -> (Vec<u8>, Vec<u8>) {
    let zip = build_bundle(
        &Rom::new(0, rom_bytes.to_vec()).unwrap(),
        &key(),
        &BundlePolicy::with_version(version),
    )
    .unwrap();
    let b = read_bundle(&zip).unwrap();
    (b.manifest, b.layers.into_values().next().unwrap())
}

/// The flash model over memory, as the sim runs it.
type SimFlash = FlashModel<Vec<u8>>;

fn erased_flash() -> SimFlash {
    let size = LAYOUT.flash_size();
    FlashModel::open(alloc::vec![0; NvmMap::new(size).cells_len() as usize], size)
}

fn factory(old: &[u8]) -> SimFlash {
    let mut flash = erased_flash();
    Updater::provision(&mut flash, &LAYOUT, old, 1, 0).unwrap();
    flash
}

fn boot(flash: &mut SimFlash) -> Result<(Updater, BootOutcome), FlashError> {
    Updater::boot(
        flash,
        LAYOUT,
        alloc::vec![TrustedSigner::from_signing_key(&key())],
    )
}

/// Offers and downloads until staged/rejected; returns the chunks sent.
fn download(
    u: &mut Updater,
    flash: &mut SimFlash,
    manifest: &[u8],
    layer: &[u8],
) -> Result<(OfferReply, Vec<u32>), FlashError> {
    let reply = u.offer(flash, manifest, layer.len() as u32)?;
    let mut sent = Vec::new();
    let OfferReply::Fetch { from_chunk } = reply else {
        return Ok((reply, sent));
    };
    let mut next = from_chunk;
    loop {
        let start = (next * CHUNK_SIZE) as usize;
        let end = (start + CHUNK_SIZE as usize).min(layer.len());
        sent.push(next);
        match u.chunk(flash, next, &layer[start..end])? {
            ChunkReply::Next(n) => next = n,
            ChunkReply::Staged => return Ok((OfferReply::Staged, sent)),
            ChunkReply::Rejected(code) => return Ok((OfferReply::Rejected(code), sent)),
            other => panic!("unexpected {other:?}"),
        }
    }
}

fn app_region(flash: &SimFlash) -> &[u8] {
    &flash.cells()[..LAYOUT.app_size() as usize]
}

fn is_image(region: &[u8], rom_bytes: &[u8]) -> bool {
    region[..rom_bytes.len()] == *rom_bytes && region[rom_bytes.len()..].iter().all(|&b| b == 0xFF)
}

/// Download + install with no cuts; what a calibration run does.
fn update(flash: &mut SimFlash, manifest: &[u8], layer: &[u8]) -> Result<BootOutcome, FlashError> {
    let (mut u, _) = boot(flash)?;
    let (reply, _) = download(&mut u, flash, manifest, layer)?;
    assert_eq!(reply, OfferReply::Staged);
    Ok(u.install(flash)?.unwrap())
}

#[test]
fn a_clean_update_installs_the_new_app_byte_for_byte() {
    let (old, new) = (rom(30_000, 1), rom(20_500, 2));
    let (manifest, layer) = bundle(&new, 2);
    let mut flash = factory(&old);
    assert_eq!(
        update(&mut flash, &manifest, &layer).unwrap(),
        BootOutcome::Installed { version: 2 }
    );
    assert!(is_image(app_region(&flash), &new));
    let (mut u, outcome) = boot(&mut flash).unwrap();
    assert_eq!(outcome, BootOutcome::Clean);
    assert_eq!((u.installed_version(), u.phase()), (2, Phase::Idle));
    assert_eq!(
        u.offer(&mut flash, &manifest, layer.len() as u32).unwrap(),
        OfferReply::UpToDate
    );
}

#[test]
fn a_download_cut_between_chunks_resumes_at_the_next_chunk() {
    let (old, new) = (rom(8_000, 1), rom(5 * CHUNK_SIZE as usize + 100, 2));
    let (manifest, layer) = bundle(&new, 2);
    let mut flash = factory(&old);
    let (mut u, _) = boot(&mut flash).unwrap();
    // Stop after three chunks, as if the link dropped and power went.
    assert_eq!(
        u.offer(&mut flash, &manifest, layer.len() as u32).unwrap(),
        OfferReply::Fetch { from_chunk: 0 }
    );
    for i in 0..3 {
        let at = (i * CHUNK_SIZE) as usize;
        u.chunk(&mut flash, i, &layer[at..at + CHUNK_SIZE as usize])
            .unwrap();
    }
    let (mut u, _) = boot(&mut flash).unwrap();
    assert_eq!(
        u.phase(),
        Phase::Downloading {
            next_chunk: 3,
            chunks: 6
        }
    );
    let (reply, sent) = download(&mut u, &mut flash, &manifest, &layer).unwrap();
    assert_eq!((reply, sent), (OfferReply::Staged, alloc::vec![3, 4, 5]));
    assert!(
        is_image(app_region(&flash), &old),
        "staging never touches the app"
    );
}

/// Every flash operation of a small update, cut before and inside, then
/// reboots until done: old or new app only, never a mix; done within a few boots.
#[test]
fn every_single_cut_of_a_small_update_ends_in_the_old_or_the_new_app() {
    let (old, new) = (rom(12_000, 1), rom(2 * CHUNK_SIZE as usize + 300, 2));
    let (manifest, layer) = bundle(&new, 2);
    let mut golden = factory(&old);
    let base = golden.operations();
    update(&mut golden, &manifest, &layer).unwrap();
    let ops = golden.operations() - base;
    assert!(ops > 2 * (new.len() as u64 / 16), "{ops} operations");
    for op in 0..ops {
        for inside in [false, true] {
            let mut flash = factory(&old);
            flash.arm(CutPoint { op, inside });
            let cut = update(&mut flash, &manifest, &layer);
            assert_eq!(cut, Err(FlashError::PowerLost), "op {op}");
            flash.power_on();
            let (mut u, _) = boot(&mut flash).unwrap();
            let region = app_region(&flash);
            assert!(
                is_image(region, &old) || is_image(region, &new),
                "op {op} inside {inside}: a mixed app after reboot"
            );
            if u.installed_version() == 1 {
                let (reply, sent) = download(&mut u, &mut flash, &manifest, &layer).unwrap();
                assert_eq!(reply, OfferReply::Staged, "op {op} inside {inside}");
                assert!(
                    sent.len() <= chunks_for(new.len() as u32) as usize,
                    "op {op}"
                );
                u.install(&mut flash).unwrap();
            }
            assert!(
                is_image(app_region(&flash), &new),
                "op {op} inside {inside}"
            );
            let (u, outcome) = boot(&mut flash).unwrap();
            assert_eq!(
                (outcome, u.installed_version(), u.phase()),
                (BootOutcome::Clean, 2, Phase::Idle)
            );
        }
    }
}

#[test]
fn every_tamper_class_is_rejected_and_leaves_the_old_app() {
    let (old, new) = (rom(12_000, 1), rom(CHUNK_SIZE as usize + 10, 2));
    let good = build_bundle(
        &Rom::new(0, new.clone()).unwrap(),
        &key(),
        &BundlePolicy::with_version(3),
    )
    .unwrap();
    for class in TamperClass::ALL {
        let bad = read_bundle(&class.apply(&good, &key(), 2).unwrap()).unwrap();
        let layer = bad.layers.values().next().unwrap().clone();
        let mut flash = erased_flash();
        Updater::provision(&mut flash, &LAYOUT, &old, 2, 0).unwrap();
        let (mut u, _) = boot(&mut flash).unwrap();
        let (reply, _) = download(&mut u, &mut flash, &bad.manifest, &layer).unwrap();
        assert!(
            matches!(reply, OfferReply::Rejected(_)),
            "{}: {reply:?}",
            class.name()
        );
        assert_eq!(u.install(&mut flash).unwrap(), None, "{}", class.name());
        assert!(is_image(app_region(&flash), &old), "{}", class.name());
        let (u, _) = boot(&mut flash).unwrap();
        assert_eq!(
            (u.installed_version(), u.phase()),
            (2, Phase::Idle),
            "{}",
            class.name()
        );
    }
}

#[test]
fn the_measure_hasher_matches_the_padded_measurement() {
    let r = rom(5000, 9);
    let mut h = mv_ota::MeasureHasher::new();
    h.update(&r[..100]);
    h.update(&r[100..]);
    assert_eq!(h.finish(), mv_ota::measurement_hash(&r));
}

#[test]
fn back_to_back_updates_each_start_a_fresh_journal_page() {
    let old = rom(4_000, 1);
    let mut flash = factory(&old);
    for version in 2..6u32 {
        let new = rom(40 * CHUNK_SIZE as usize + 7, version as u8);
        let (manifest, layer) = bundle(&new, version);
        assert_eq!(
            update(&mut flash, &manifest, &layer).unwrap(),
            BootOutcome::Installed { version }
        );
        assert!(is_image(app_region(&flash), &new));
        let mut flash_copy = flash.clone();
        let (u, _) = boot(&mut flash_copy).unwrap();
        assert_eq!(u.installed_version(), version);
    }
}

/// One update never fills a journal page (at most ~260 of 512 records), but
/// torn records from many cuts could: pad the page so that it fills during
/// the install, then cut at every operation of the install, the page switch
/// included. The restated records must carry the install across.
#[test]
fn a_journal_page_that_fills_mid_install_moves_on_and_survives_every_cut() {
    let (old, new) = (rom(12_000, 1), rom(6 * CHUNK_SIZE as usize + 5, 2));
    let (manifest, layer) = bundle(&new, 2);
    let mut staged = factory(&old);
    let (mut u, _) = boot(&mut staged).unwrap();
    assert_eq!(
        download(&mut u, &mut staged, &manifest, &layer).unwrap().0,
        OfferReply::Staged
    );
    // Leave 3 free slots: InstallStart and two InstallPage records fit, the third rotates.
    u.fill_journal_for_test(&mut staged, 3).unwrap();
    let base = staged.operations();
    let mut golden = staged.clone();
    let (mut g, _) = boot(&mut golden).unwrap();
    assert_eq!(
        g.install(&mut golden).unwrap(),
        Some(BootOutcome::Installed { version: 2 })
    );
    assert!(is_image(app_region(&golden), &new));
    let ops = golden.operations() - base;
    let journal_erases = 1;
    assert!(ops > 6 * 512 + journal_erases, "{ops} operations");
    for op in 0..ops {
        for inside in [false, true] {
            let mut flash = staged.clone();
            flash.arm(CutPoint { op, inside });
            let (mut u, _) = boot(&mut flash).unwrap();
            assert_eq!(u.install(&mut flash), Err(FlashError::PowerLost), "op {op}");
            flash.power_on();
            let (mut u, outcome) = boot(&mut flash).unwrap();
            if u.phase() == Phase::Staged {
                // Cut before the install's first record: nothing started.
                assert!(
                    is_image(app_region(&flash), &old),
                    "op {op} inside {inside}"
                );
                assert_eq!(
                    u.install(&mut flash).unwrap(),
                    Some(BootOutcome::Installed { version: 2 }),
                    "op {op} inside {inside}"
                );
            } else {
                assert_eq!(
                    (outcome, u.installed_version(), u.phase()),
                    (BootOutcome::Installed { version: 2 }, 2, Phase::Idle),
                    "op {op} inside {inside}"
                );
            }
            assert!(
                is_image(app_region(&flash), &new),
                "op {op} inside {inside}"
            );
            let (_, again) = boot(&mut flash).unwrap();
            assert_eq!(again, BootOutcome::Clean, "op {op} inside {inside}");
        }
    }
}

/// Flips one bit of the data cell at flash offset `at` (decay ECC missed).
fn flip_bit(flash: &mut SimFlash, at: u32) {
    let data = NvmMap::new(LAYOUT.flash_size()).data();
    flash.cells_mut()[(data + at) as usize] ^= 0x10;
}

/// Boots with `keys` trusted and says whether the download survived.
fn download_survives(flash: &mut SimFlash, keys: Vec<TrustedSigner>) -> bool {
    let (u, _) = Updater::boot(flash, LAYOUT, keys).unwrap();
    u.phase() != Phase::Idle
}

/// A recovery boot re-opens the staged manifest without a signature check
/// only when its bytes are the ones verified at the offer (their digest is
/// beside them); otherwise it verifies them in full, as before, and drops
/// a manifest that no longer verifies.
#[test]
fn a_staged_manifest_skips_its_signature_check_only_while_its_bytes_are_the_ones_verified() {
    let (old, new) = (rom(8_000, 1), rom(3 * CHUNK_SIZE as usize, 2));
    let (manifest, layer) = bundle(&new, 2);
    let mut flash = factory(&old);
    let (mut u, _) = boot(&mut flash).unwrap();
    u.offer(&mut flash, &manifest, layer.len() as u32).unwrap();
    u.chunk(&mut flash, 0, &layer[..CHUNK_SIZE as usize])
        .unwrap();
    let trusted = || alloc::vec![TrustedSigner::from_signing_key(&key())];
    let base = LAYOUT.manifest_page * mv_flash::PAGE_SIZE;
    let digest_at = base + (manifest.len() as u32).next_multiple_of(mv_flash::UNIT as u32);
    // Intact: re-opened, so even a boot trusting no key keeps it (the
    // device's keys never change; this shows no signature was checked).
    assert!(download_survives(&mut flash.clone(), Vec::new()));
    assert!(download_survives(&mut flash.clone(), trusted()));
    // The digest decayed: the manifest is verified in full.
    let mut digest_decayed = flash.clone();
    flip_bit(&mut digest_decayed, digest_at + 5);
    assert!(download_survives(&mut digest_decayed.clone(), trusted()));
    assert!(!download_survives(&mut digest_decayed, Vec::new()));
    // The manifest decayed (its last byte, inside the signature): it no
    // longer matches its digest, no longer verifies, and is dropped.
    let mut manifest_decayed = flash.clone();
    flip_bit(&mut manifest_decayed, base + manifest.len() as u32 - 1);
    assert!(!download_survives(&mut manifest_decayed.clone(), trusted()));
    assert!(!download_survives(&mut manifest_decayed, Vec::new()));
}
