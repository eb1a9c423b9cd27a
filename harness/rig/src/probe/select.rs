//! Finding a debug probe: the rig file's `VID:PID[:serial]` selector, parsed, and matched against the probes this host lists.

use probe_rs::probe::list::{Accessibility, Lister, ProbeListItem};
use probe_rs::probe::{DebugProbeSelector, Probe};

use super::error::{chain, ProbeError};

/// A probe and the chip behind it, as a board's rig file names them
/// (`probe: { selector: "0483:374e", chip: STM32U585AIIx }`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbeSpec {
    pub selector: DebugProbeSelector,
    pub chip: String,
}

/// Parses `VID:PID[:serial]` (hex ids; probe-rs's `VID:PID-INTERFACE`
/// form is accepted too). probe-rs's own parser decides; the message says
/// what a selector looks like.
pub fn parse_selector(given: &str) -> Result<DebugProbeSelector, ProbeError> {
    let bad = |why: &str| ProbeError::Selector {
        given: given.to_owned(),
        why: why.to_owned(),
    };
    let mut parts = given.splitn(3, ':');
    let (vid, pid) = (parts.next().unwrap_or(""), parts.next());
    let Some(pid) = pid else {
        return Err(bad("it has no `:` between the vendor and product ids"));
    };
    let pid = pid.split_once('-').map_or(pid, |(pid, _)| pid);
    for (what, id) in [("vendor id", vid), ("product id", pid)] {
        if id.is_empty() || id.len() > 4 || !id.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(bad(&format!("the {what} `{id}` is not 1 to 4 hex digits")));
        }
    }
    given.parse().map_err(|e| bad(&chain(&e)))
}

/// Whether probe-rs knows `chip` (its built-in target descriptions).
pub fn check_chip(chip: &str) -> Result<(), ProbeError> {
    probe_rs::config::Registry::from_builtin_families()
        .get_target_by_name(chip)
        .map(drop)
        .map_err(|e| ProbeError::UnknownChip {
            chip: chip.to_owned(),
            why: chain(&e),
        })
}

/// A probe this host sees.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListedProbe {
    /// `VID:PID:serial`, what a rig file's selector can name it by.
    pub selector: String,
    /// What the probe calls itself (`STLink V3`).
    pub name: String,
    /// Whether this user may open it (udev rules on Linux).
    pub accessible: bool,
}

impl std::fmt::Display for ListedProbe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}  {}", self.selector, self.name)?;
        if !self.accessible {
            write!(
                f,
                "  (this user may not open it: install probe-rs's udev rules)"
            )?;
        }
        Ok(())
    }
}

/// The probes a lister sees (`Lister::new()`: every probe on this host's USB).
pub fn list_probes(lister: &Lister) -> Vec<ListedProbe> {
    lister.list_all_with_access().iter().map(listed).collect()
}

fn listed(item: &ProbeListItem) -> ListedProbe {
    let info = &item.info;
    ListedProbe {
        selector: format!(
            "{:04x}:{:04x}:{}",
            info.vendor_id,
            info.product_id,
            info.serial_number.as_deref().unwrap_or("")
        ),
        name: info.identifier.clone(),
        accessible: item.accessibility == Accessibility::Accessible,
    }
}

/// The one probe the selector names: none is an error saying what to do,
/// and so are several (the serial number tells them apart).
pub fn find_probe(
    lister: &Lister,
    selector: &DebugProbeSelector,
) -> Result<ListedProbe, ProbeError> {
    let matching: Vec<ListedProbe> = lister
        .list_with_access(Some(selector))
        .iter()
        .map(listed)
        .collect();
    match matching.as_slice() {
        [] => Err(ProbeError::NotFound {
            selector: selector.to_string(),
        }),
        [one] => Ok(one.clone()),
        many => Err(ProbeError::Open {
            selector: selector.to_string(),
            why: format!(
                "{} probes match it ({}); add the serial number: VID:PID:serial",
                many.len(),
                many.iter()
                    .map(|p| p.selector.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }),
    }
}

/// Opens the probe the selector names.
pub fn open_probe(lister: &Lister, selector: &DebugProbeSelector) -> Result<Probe, ProbeError> {
    let found = find_probe(lister, selector)?;
    if !found.accessible {
        return Err(ProbeError::Open {
            selector: selector.to_string(),
            why: "this user may not open it (install probe-rs's udev rules, then replug it)".into(),
        });
    }
    lister.open(selector.clone()).map_err(|e| ProbeError::Open {
        selector: selector.to_string(),
        why: chain(&e),
    })
}

#[cfg(test)]
mod tests {
    use super::parse_selector;

    #[test]
    fn selectors_parse_with_or_without_a_serial_and_bad_ones_say_why() {
        let st = parse_selector("0483:374e").unwrap();
        assert_eq!((st.vendor_id, st.product_id), (0x0483, 0x374e));
        assert_eq!(st.serial_number, None);
        let with_serial = parse_selector("0483:374E:003A00253234510A33353533").unwrap();
        assert_eq!(
            with_serial.serial_number.as_deref(),
            Some("003A00253234510A33353533")
        );
        assert_eq!(parse_selector("0483:374e-1").unwrap().interface, Some(1));

        let error = |s: &str| parse_selector(s).unwrap_err().to_string();
        assert_eq!(
            error("0483"),
            "`0483` is not a probe selector: it has no `:` between the vendor and product ids (write VID:PID[:serial] in hex, e.g. 0483:374e; `hil probe list` shows this host's probes)"
        );
        assert!(
            error("stlink:374e").contains("the vendor id `stlink` is not 1 to 4 hex digits"),
            "{}",
            error("stlink:374e")
        );
        assert!(error("0483:").contains("the product id `` is not"));
        assert!(error("0483:374e0").contains("the product id `374e0` is not"));
    }
}
