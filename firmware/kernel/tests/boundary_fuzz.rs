//! Fuzz the syscall boundary: the app controls every register and every byte
//! of its memory, so random slots, arguments and memory must never make the
//! kernel panic, return a non-status, touch memory outside app RAM, or change
//! anything when it refuses a call ("all checks before the first side effect"),
//! or answer a status that neither the header's `@retval` list of the call
//! nor a Choice of `firmware/ABI.md` allows (`documented_statuses`).

mod documented_statuses;
mod fake_board;

use fake_board::{FakeBoard, RAM, RAM_SIZE, SECURE};
use mv_abi::MvStatus;
use mv_kernel::Kernel;

/// xorshift64*: a reproducible stream; a failure prints the seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Values an attacker would try: edges of app RAM, secure memory, NULL,
/// wrap-around, small integers (sizes, IRQs, enum values) and noise.
fn interesting(rng: &mut Rng, live_handles: &[u32], handle_slots: &[u32]) -> u32 {
    let edge = RAM + RAM_SIZE;
    match rng.below(13) {
        0 => 0,
        1 => u32::MAX - rng.below(64) as u32,
        2 => RAM + rng.below(u64::from(RAM_SIZE)) as u32,
        3 => RAM + (rng.below(u64::from(RAM_SIZE) / 16) as u32) * 16,
        4 => edge - rng.below(64) as u32,
        5 => edge + rng.below(16) as u32,
        6 => RAM - rng.below(16) as u32,
        7 => SECURE + rng.below(0x1000) as u32,
        8 => rng.below(200) as u32,
        9 => [16, 32, 34, 48, 64, 512, 1024, 1025][rng.below(8) as usize],
        10 if !live_handles.is_empty() => {
            live_handles[rng.below(live_handles.len() as u64) as usize]
        }
        11 if !handle_slots.is_empty() => {
            handle_slots[rng.below(handle_slots.len() as u64) as usize]
        }
        _ => rng.next() as u32,
    }
}

#[test]
fn random_calls_never_break_the_boundary() {
    let seed = 0x00C0_FFEE_u64;
    let mut rng = Rng(seed);
    let mut kernel = Kernel::new(FakeBoard::default());
    let mut handles: Vec<u32> = Vec::new();
    // Where the kernel wrote handles: close calls aim here.
    let mut slots: Vec<u32> = Vec::new();
    let mut accepted = [0u32; 80];
    for i in 0..200_000u32 {
        // Scribble on app memory now and then, as a hostile app would.
        if rng.below(8) == 0 {
            let at = rng.below(u64::from(RAM_SIZE) - 16) as usize;
            let v = rng.next().to_le_bytes();
            kernel.board_mut().ram[at..at + 8].copy_from_slice(&v);
        }
        // Plant plausible structs (setup, system-notification params), so
        // that calls get past the first checks and reach the deep paths.
        if rng.below(4) == 0 {
            let at = RAM + (rng.below(u64::from(RAM_SIZE) / 4 - 4) as u32) * 4;
            let words = if rng.below(2) == 0 {
                let buffer = RAM + (rng.below(u64::from(RAM_SIZE) / 8) as u32) * 8;
                [rng.below(100) as u32, buffer, 16 * rng.below(8) as u32]
            } else {
                let centre = handles
                    .get(rng.below(handles.len() as u64 + 1) as usize)
                    .copied()
                    .unwrap_or(0);
                [centre, rng.next() as u32, rng.below(3) as u32]
            };
            let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
            kernel.board_mut().put(at, &bytes);
            slots.push(at);
        }
        let slot = rng.below(80) as u32;
        let args = [
            interesting(&mut rng, &handles, &slots),
            interesting(&mut rng, &handles, &slots),
            interesting(&mut rng, &handles, &slots),
            interesting(&mut rng, &handles, &slots),
        ];
        // A link change posts NETWORKSTATUSCHANGED to NETWORK subscribers:
        // a side effect of the cloud, not of the call, so it comes first.
        kernel.set_link(mv_kernel::logging::LinkState {
            online: rng.below(2) == 0,
            logging_enabled: true,
        });
        // Now and then the app calls from one of its interrupt handlers.
        kernel.board_mut().in_interrupt = i % 8 == 7;
        let before = kernel.board().ram.clone();
        let writes_before = kernel.board().writes;
        let raw = kernel.dispatch(slot, args);
        let status = MvStatus::try_from(raw).unwrap_or_else(|_| {
            panic!("seed {seed:#x} call {i}: slot {slot} {args:x?} returned {raw:#x}")
        });
        assert!(
            documented_statuses::allowed(slot).contains(&status),
            "seed {seed:#x} call {i}: slot {slot} {args:x?} returned {status:?}, which neither the header nor firmware/ABI.md documents for it"
        );
        match status {
            MvStatus::Okay => accepted[slot as usize] += 1,
            MvStatus::LateFault => {}
            refused => assert!(
                kernel.board().ram == before && kernel.board().writes == writes_before,
                "seed {seed:#x} call {i}: slot {slot} {args:x?} was refused with {refused:?} but changed app memory"
            ),
        }
        // Remember handles the kernel handed out, to aim at live objects.
        if status == MvStatus::Okay && matches!(slot, 16 | 60) {
            let at = (args[1] - RAM) as usize;
            let h = u32::from_le_bytes(before.get(at..at + 4).map_or([0; 4], |_| {
                kernel.board().ram[at..at + 4].try_into().unwrap()
            }));
            handles.push(h);
            slots.push(args[1]);
        }
    }
    // The stream must reach the success paths, or it proves little.
    for (slot, name) in [
        (2, "mvGetMicroseconds"),
        (5, "mvGetDeviceId"),
        (10, "mvCloseNotifications"),
        (16, "mvSetupNotifications"),
        (28, "mvTempTriggerNotification"),
        (36, "mvServerLoggingInit"),
        (37, "mvServerLog"),
        (60, "mvOpenSystemNotification"),
    ] {
        assert!(
            accepted[slot] > 0,
            "seed {seed:#x}: {name} never succeeded; the fuzz does not reach it"
        );
    }
}
