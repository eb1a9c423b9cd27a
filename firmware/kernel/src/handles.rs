//! Handle values: random, non-zero, 32-bit and unique among live objects.
//!
//! Objects live in per-kind tables that store their own handle, so a lookup in
//! one kind's table can never find another kind's object: a handle of the
//! wrong type is `INVALIDHANDLE` by construction. This module only mints
//! values; uniqueness is checked against every table by the caller's closure.

use crate::board::Entropy;

/// The kinds of object a handle can name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObjectKind {
    NotificationCentre,
    SystemNotification,
}

/// Draw a fresh handle: non-zero and not `in_use`. Gives up (returns `None`)
/// only if the entropy source keeps repeating live values, which a working
/// RNG does not do with at most a few dozen live handles.
pub fn mint(rng: &mut impl Entropy, in_use: impl Fn(u32) -> bool) -> Option<u32> {
    (0..64)
        .map(|_| rng.random_u32())
        .find(|&h| h != mv_abi::INVALID_HANDLE && !in_use(h))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Sequence(&'static [u32], usize);
    impl Entropy for Sequence {
        fn random_u32(&mut self) -> u32 {
            let v = self.0[self.1 % self.0.len()];
            self.1 += 1;
            v
        }
    }

    #[test]
    fn zero_and_live_values_are_skipped() {
        let mut rng = Sequence(&[0, 7, 9], 0);
        assert_eq!(mint(&mut rng, |h| h == 7), Some(9));
    }

    #[test]
    fn a_stuck_rng_gives_up_instead_of_looping() {
        let mut rng = Sequence(&[0], 0);
        assert_eq!(mint(&mut rng, |_| false), None);
    }
}
