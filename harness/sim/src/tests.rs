//! The sim device as the device core drives it: restarts, crashes, updates, power cuts.

use mv_abi::{MvEventType, MvStatus, MvSystemNotificationSource, MvWakeReason, Slot};
use mv_flash::CutPoint;
use mv_proto::{CloudToDevice, DeviceToCloud, FaultKind, OtaReply, Placement};
use mv_update::CHUNK_SIZE;

use super::*;

fn device() -> SimDevice {
    SimDevice::from_factory(&SimConfig::default(), &Factory::default())
}

fn alloc(dev: &mut SimDevice, size: u32) -> u32 {
    match dev.execute(Primitive::Alloc {
        size,
        align: 8,
        placement: Placement::NsRam,
        misalign: 0,
    }) {
        Ok(Reply::Allocated { addr }) => addr,
        other => panic!("alloc: {other:?}"),
    }
}

fn call(dev: &mut SimDevice, slot: Slot, args: [u32; 4]) -> Result<u32, Stopped> {
    match dev.execute(Primitive::Call {
        slot: slot as u32,
        args,
    })? {
        Reply::Status(s) => Ok(s),
        other => panic!("call: {other:?}"),
    }
}

fn wake_reason(dev: &mut SimDevice) -> u8 {
    let out = alloc(dev, 8);
    assert_eq!(call(dev, Slot::GetWakeReason, [out, 0, 0, 0]), Ok(0));
    match dev.execute(Primitive::Read { addr: out, len: 1 }) {
        Ok(Reply::Bytes(b)) => b[0],
        other => panic!("read: {other:?}"),
    }
}

/// The cloud's side of a deployment of `rom` as `version`: offer, then the
/// chunks the device asks for; the device's last OTA reply and whether it
/// restarted the app.
fn deploy(dev: &mut SimDevice, rom: &[u8], version: u32) -> (OtaReply, Option<AppStart>) {
    let zip = hil_bundle::build_bundle(
        &hil_bundle::Rom::new(0, rom.to_vec()).unwrap(),
        &hil_bundle::dev_signing_key(),
        &hil_bundle::BundlePolicy::with_version(version),
    )
    .unwrap();
    let bundle = hil_bundle::read_bundle(&zip).unwrap();
    let layer = bundle.layers.into_values().next().unwrap();
    let mut message = CloudToDevice::OtaOffer {
        manifest: bundle.manifest,
        rom_len: layer.len() as u32,
    };
    loop {
        let restarted = dev.cloud(message).unwrap();
        let reply = dev
            .take_uplink()
            .into_iter()
            .find_map(|m| match m {
                DeviceToCloud::Ota(r) => Some(r),
                _ => None,
            })
            .expect("an OTA reply");
        match reply {
            OtaReply::Fetch { from_chunk } => {
                let at = (from_chunk * CHUNK_SIZE) as usize;
                let end = (at + CHUNK_SIZE as usize).min(layer.len());
                message = CloudToDevice::OtaChunk {
                    index: from_chunk,
                    data: layer[at..end].to_vec(),
                };
            }
            other => return (other, restarted),
        }
    }
}

#[test]
fn a_factory_device_says_hello_and_answers_calls() {
    let mut dev = device();
    assert_eq!(dev.hello().board, "stm32u585 (sim)");
    assert_eq!(call(&mut dev, Slot::NoOp, [0; 4]), Ok(0));
    assert_eq!(wake_reason(&mut dev), MvWakeReason::ColdBoot as u8);
    assert!(matches!(
        dev.take_uplink().first(),
        Some(DeviceToCloud::Started(s)) if s.app_version == 1
    ));
}

#[test]
fn mv_restart_restarts_the_app_with_fresh_state() {
    let mut dev = device();
    let first = alloc(&mut dev, 16);
    let stop = call(&mut dev, Slot::Restart, [0; 4]);
    let Err(Stopped::Restarted(start)) = stop else {
        panic!("mvRestart must restart the app: {stop:?}")
    };
    assert_eq!(start.wake_reason, MvWakeReason::ColdBoot);
    assert!(!start.installed);
    assert_eq!(alloc(&mut dev, 16), first, "a fresh agent allocates anew");
    assert_eq!(
        call(&mut dev, Slot::Restart, [7, 0, 0, 0]),
        Ok(MvStatus::ParameterFault as u32)
    );
}

#[test]
fn a_fault_is_a_crash_the_device_reports_and_backs_off_from() {
    let mut dev = device();
    dev.take_uplink();
    let secure = stm32u585::SECURE_RAM_BASE + 0x100;
    let stop = dev.execute(Primitive::Read {
        addr: secure,
        len: 4,
    });
    assert!(
        matches!(stop, Err(Stopped::Restarted(s)) if s.wake_reason == MvWakeReason::ApplicationCrash),
        "{stop:?}"
    );
    let uplink = dev.take_uplink();
    let Some(DeviceToCloud::Crash(report)) = uplink.first() else {
        panic!("no crash report: {uplink:?}")
    };
    assert_eq!(report.fault.kind, FaultKind::SecureFault);
    assert_eq!((report.crashes, report.backoff_ms), (1, 100));
    assert_eq!(wake_reason(&mut dev), MvWakeReason::ApplicationCrash as u8);
    // A second crash in a row backs off longer.
    let _ = dev.execute(Primitive::Read {
        addr: secure,
        len: 4,
    });
    assert!(dev
        .take_uplink()
        .iter()
        .any(|m| matches!(m, DeviceToCloud::Crash(r) if (r.crashes, r.backoff_ms) == (2, 200))));
}

#[test]
fn an_update_for_an_impolite_app_installs_at_once() {
    let mut dev = device();
    let v2 = hil_bundle::stamp_version(&sim_app_image(), 2);
    let (reply, restarted) = deploy(&mut dev, &v2, 2);
    assert_eq!(reply, OtaReply::Installing);
    let start = restarted.expect("the app restarts to install");
    assert_eq!(start.wake_reason, MvWakeReason::ApplicationUpdate);
    assert_eq!(dev.core().installed_version(), 2);
    // The app, reading its own flash, finds the new image.
    let mut head = Vec::new();
    for at in (0..v2.len() as u32).step_by(4096) {
        let len = (v2.len() as u32 - at).min(4096);
        match dev.execute(Primitive::Read {
            addr: stm32u585::NS_FLASH_BASE + at,
            len,
        }) {
            Ok(Reply::Bytes(b)) => head.extend(b),
            other => panic!("read: {other:?}"),
        }
    }
    assert!(head == v2, "the app flash does not hold the new image");
    assert_eq!(wake_reason(&mut dev), MvWakeReason::ApplicationUpdate as u8);
}

#[test]
fn a_polite_app_is_told_and_restarts_when_it_wants() {
    let mut dev = device();
    let ring = alloc(&mut dev, 64);
    let setup = alloc(&mut dev, 16);
    let handles = alloc(&mut dev, 8);
    let words = |w: &[u32]| w.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
    dev.execute(Primitive::Write {
        addr: setup,
        data: words(&[41, ring, 64]),
    })
    .unwrap();
    assert_eq!(
        call(&mut dev, Slot::SetupNotifications, [setup, handles, 0, 0]),
        Ok(0)
    );
    let Ok(Reply::Bytes(h)) = dev.execute(Primitive::Read {
        addr: handles,
        len: 4,
    }) else {
        panic!()
    };
    let centre = u32::from_le_bytes(h.try_into().unwrap());
    let params = alloc(&mut dev, 16);
    dev.execute(Primitive::Write {
        addr: params,
        data: words(&[centre, 0x55AA, MvSystemNotificationSource::Update as u32]),
    })
    .unwrap();
    assert_eq!(
        call(
            &mut dev,
            Slot::OpenSystemNotification,
            [params, handles + 4, 0, 0]
        ),
        Ok(0)
    );
    let v2 = hil_bundle::stamp_version(&sim_app_image(), 2);
    let (reply, restarted) = deploy(&mut dev, &v2, 2);
    assert_eq!(
        (reply, restarted),
        (OtaReply::Staged, None),
        "the app decides"
    );
    let Ok(Reply::Bytes(record)) = dev.execute(Primitive::Read {
        addr: ring,
        len: 16,
    }) else {
        panic!()
    };
    assert_eq!(
        u32::from_le_bytes(record[8..12].try_into().unwrap()),
        MvEventType::UpdateDownloaded as u32
    );
    assert_eq!(
        u32::from_le_bytes(record[12..16].try_into().unwrap()),
        0x55AA
    );
    let stop = call(&mut dev, Slot::Restart, [0; 4]);
    assert!(
        matches!(stop, Err(Stopped::Restarted(s)) if s.wake_reason == MvWakeReason::ApplicationUpdate),
        "{stop:?}"
    );
    assert_eq!(dev.core().installed_version(), 2);
}

#[test]
fn a_polite_wait_ends_when_the_bundle_s_politeness_time_is_up() {
    let factory = Factory {
        politeness_s: 2,
        ..Factory::default()
    };
    let mut dev = SimDevice::from_factory(&SimConfig::default(), &factory);
    let ring = alloc(&mut dev, 64);
    let setup = alloc(&mut dev, 16);
    let out = alloc(&mut dev, 8);
    let words = |w: &[u32]| w.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
    dev.execute(Primitive::Write {
        addr: setup,
        data: words(&[41, ring, 64]),
    })
    .unwrap();
    call(&mut dev, Slot::SetupNotifications, [setup, out, 0, 0]).unwrap();
    let Ok(Reply::Bytes(h)) = dev.execute(Primitive::Read { addr: out, len: 4 }) else {
        panic!()
    };
    dev.execute(Primitive::Write {
        addr: setup,
        data: [h, words(&[1, MvSystemNotificationSource::Update as u32])].concat(),
    })
    .unwrap();
    assert_eq!(
        call(
            &mut dev,
            Slot::OpenSystemNotification,
            [setup, out + 4, 0, 0]
        ),
        Ok(0)
    );
    // The installed bundle (the factory's) allows 2 s of politeness.
    let v2 = hil_bundle::stamp_version(&sim_app_image(), 2);
    assert_eq!(deploy(&mut dev, &v2, 2), (OtaReply::Staged, None));
    assert_eq!(dev.execute(Primitive::DelayUs(1_900_000)), Ok(Reply::Done));
    let stop = dev.execute(Primitive::DelayUs(200_000));
    assert!(
        matches!(stop, Err(Stopped::Restarted(s)) if s.wake_reason == MvWakeReason::ApplicationUpdate),
        "{stop:?}"
    );
}

#[test]
fn a_cloud_of_another_protocol_version_is_refused() {
    let mut dev = device();
    dev.take_uplink();
    dev.cloud(CloudToDevice::Hello {
        protocol_version: mv_proto::PROTOCOL_VERSION + 1,
    })
    .unwrap();
    assert_eq!(
        dev.take_uplink(),
        vec![DeviceToCloud::VersionMismatch {
            device: mv_proto::PROTOCOL_VERSION,
            cloud: mv_proto::PROTOCOL_VERSION + 1
        }]
    );
    let answer = dev.answer(Request::Exec {
        protocol_version: 1,
        primitives: vec![Primitive::Call {
            slot: 0,
            args: [0; 4],
        }],
    });
    assert_eq!(
        answer,
        Ok(Response::VersionMismatch {
            agent: mv_proto::PROTOCOL_VERSION,
            host: 1
        })
    );
}

#[test]
fn a_power_cut_mid_download_resumes_after_the_next_boot() {
    let config = SimConfig::default();
    let mut dev = device();
    let v2 = hil_bundle::stamp_version(&vec![0xA5; 5 * CHUNK_SIZE as usize], 2);
    // Power goes after a few chunks (a fixed number of flash operations).
    dev.core_mut().flash_mut().unwrap().arm(CutPoint {
        op: 2200,
        inside: true,
    });
    let zip = hil_bundle::build_bundle(
        &hil_bundle::Rom::new(0, v2.clone()).unwrap(),
        &hil_bundle::dev_signing_key(),
        &hil_bundle::BundlePolicy::with_version(2),
    )
    .unwrap();
    let bundle = hil_bundle::read_bundle(&zip).unwrap();
    let layer = bundle.layers.into_values().next().unwrap();
    let offer = CloudToDevice::OtaOffer {
        manifest: bundle.manifest.clone(),
        rom_len: layer.len() as u32,
    };
    dev.cloud(offer.clone()).unwrap();
    let mut index = 0;
    let lost = loop {
        let at = (index * CHUNK_SIZE) as usize;
        let end = (at + CHUNK_SIZE as usize).min(layer.len());
        match dev.cloud(CloudToDevice::OtaChunk {
            index,
            data: layer[at..end].to_vec(),
        }) {
            Ok(_) => index += 1,
            Err(e) => break e,
        }
    };
    assert_eq!(lost, DeviceError::PowerLost);
    assert!(index > 0 && index < 5, "cut mid-download at chunk {index}");
    let mut dev = SimDevice::new(&config, dev.into_flash());
    let start = dev.boot().unwrap();
    assert_eq!(start.wake_reason, MvWakeReason::ColdBoot);
    dev.take_uplink();
    dev.cloud(offer).unwrap();
    let asked = dev.take_uplink().into_iter().find_map(|m| match m {
        DeviceToCloud::Ota(OtaReply::Fetch { from_chunk }) => Some(from_chunk),
        _ => None,
    });
    assert!(
        asked == Some(index) || asked == Some(index + 1),
        "resumes where the journal reached, not at 0: {asked:?}"
    );
}

fn irq_status(dev: &mut SimDevice, irq: u32) -> (bool, bool, u32) {
    match dev.execute(Primitive::IrqStatus(irq)) {
        Ok(Reply::Irq {
            pending,
            enabled,
            handled,
        }) => (pending, enabled, handled),
        other => panic!("irq status: {other:?}"),
    }
}

#[test]
fn a_call_from_an_irq_handler_is_a_call_from_an_interrupt() {
    let mut dev = device();
    let out = alloc(&mut dev, 8);
    let from_irq = |dev: &mut SimDevice, irq, slot: Slot, args| {
        dev.execute(Primitive::CallFromIrq {
            irq,
            slot: slot as u32,
            args,
        })
    };
    assert_eq!(
        from_irq(&mut dev, 45, Slot::GetWakeReason, [out, 0, 0, 0]),
        Ok(Reply::Status(MvStatus::Unavailable as u32)),
        "\"Calling from an interrupt\""
    );
    assert_eq!(
        irq_status(&mut dev, 45),
        (false, false, 1),
        "ran once, enable state restored"
    );
    assert_eq!(
        from_irq(&mut dev, 45, Slot::NoOp, [0; 4]),
        Ok(Reply::Status(0)),
        "calls without the rule work from a handler"
    );
    assert_eq!(
        call(&mut dev, Slot::GetWakeReason, [out, 0, 0, 0]),
        Ok(0),
        "thread mode again"
    );
    // An IRQ the NVIC keeps secure: the app's writes are ignored, no handler runs.
    assert_eq!(
        from_irq(&mut dev, 3, Slot::NoOp, [0; 4]),
        Ok(Reply::Refused(mv_proto::Refusal::BadArgument))
    );
    assert_eq!(irq_status(&mut dev, 3), (false, false, 0));
}

#[test]
fn a_pended_irq_runs_its_handler_once_it_is_enabled() {
    let mut dev = device();
    assert_eq!(dev.execute(Primitive::IrqPend(45)), Ok(Reply::Done));
    assert_eq!(irq_status(&mut dev, 45), (true, false, 0));
    assert_eq!(dev.execute(Primitive::IrqEnable(45)), Ok(Reply::Done));
    assert_eq!(irq_status(&mut dev, 45), (false, true, 1));
    // A secure IRQ ignores the app's pend and enable.
    assert_eq!(dev.execute(Primitive::IrqPend(3)), Ok(Reply::Done));
    assert_eq!(dev.execute(Primitive::IrqEnable(3)), Ok(Reply::Done));
    assert_eq!(irq_status(&mut dev, 3), (false, false, 0));
}

#[test]
fn an_unprivileged_call_is_served_like_a_privileged_one() {
    let mut dev = device();
    let out = alloc(&mut dev, 8);
    let unprivileged = |dev: &mut SimDevice, args| {
        dev.execute(Primitive::CallUnprivileged {
            slot: Slot::GetMicroseconds as u32,
            args,
        })
    };
    assert_eq!(unprivileged(&mut dev, [out, 0, 0, 0]), Ok(Reply::Status(0)));
    let secure = stm32u585::BOARD.pools.secure_ram;
    assert_eq!(
        unprivileged(&mut dev, [secure, 0, 0, 0]),
        Ok(Reply::Status(MvStatus::ParameterFault as u32))
    );
}

#[test]
fn a_digest_is_the_sha256_of_the_bytes_the_agent_loads() {
    let mut dev = device();
    // More than one of the agent's 256-byte pieces, not a whole number of them.
    let bytes: Vec<u8> = (0..300u32).map(|i| (i * 7 + 3) as u8).collect();
    let at = alloc(&mut dev, 300);
    assert!(matches!(
        dev.execute(Primitive::Write {
            addr: at,
            data: bytes.clone()
        }),
        Ok(Reply::Done)
    ));
    match dev.execute(Primitive::Digest { addr: at, len: 300 }) {
        Ok(Reply::Digest(d)) => assert_eq!(d, mv_ota::fetch_hash(&bytes)),
        other => panic!("digest: {other:?}"),
    }
    match dev.execute(Primitive::Digest {
        addr: u32::MAX,
        len: 2,
    }) {
        Ok(Reply::Refused(_)) => {}
        other => panic!("a wrapping range: {other:?}"),
    }
}
