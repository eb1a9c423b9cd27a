//! Where a power cut lands, and its replay id.

use core::fmt;

/// A power cut at an exact flash operation, counted from when it was armed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CutPoint {
    /// The 0-based flash operation (program or erase) the cut hits.
    pub op: u64,
    /// Inside the operation (torn) rather than just before it.
    pub inside: bool,
}

impl CutPoint {
    /// Parse a replay id: `op<N>` (before operation N) or `op<N>i` (inside it).
    pub fn parse(id: &str) -> Option<CutPoint> {
        let rest = id.strip_prefix("op")?;
        let (digits, inside) = match rest.strip_suffix('i') {
            Some(d) => (d, true),
            None => (rest, false),
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(CutPoint {
            op: digits.parse().ok()?,
            inside,
        })
    }
}

/// The replay id: `op<N>` or `op<N>i`.
impl fmt::Display for CutPoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "op{}{}", self.op, if self.inside { "i" } else { "" })
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::string::ToString;

    #[test]
    fn ids_round_trip() {
        let p = CutPoint {
            op: 12,
            inside: true,
        };
        assert_eq!(p.to_string(), "op12i");
        assert_eq!(CutPoint::parse("op12i"), Some(p));
        assert_eq!(
            CutPoint::parse("op7"),
            Some(CutPoint {
                op: 7,
                inside: false
            })
        );
        for bad in ["x7", "op", "opi", "op+1", "op1x", "op-1"] {
            assert_eq!(CutPoint::parse(bad), None, "{bad}");
        }
    }
}
