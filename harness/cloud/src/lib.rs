//! The Microvisor cloud as the device sees it: OTA deployments served in chunks, and the network services of [`net`].
//!
//! One implementation for every rig: it speaks [`CloudToDevice`] over an
//! [`OtaLink`] and follows the device's answers, so a device that lost power
//! and came back is simply offered the deployment again and resumes from the
//! chunk it asks for. The sim's device answers in process; the QEMU rig's over
//! its cloud UART. The app's channels (HTTP, config, opaque bytes) are
//! served by [`net::NetCloud`] against real servers on loopback.
#![forbid(unsafe_code)]

mod app;
pub mod net;

pub use app::{app_deployment, expected_rejection, AppDeploy};

use hil_bundle::BundleError;
use mv_proto::{CloudToDevice, OtaReply};
use mv_update::CHUNK_SIZE;

/// A bundle the cloud cannot deploy.
#[derive(Debug, thiserror::Error)]
pub enum DeploymentError {
    /// The ZIP is not a readable Microvisor bundle.
    #[error("bundle {name}: {source}")]
    Bundle {
        name: String,
        #[source]
        source: BundleError,
    },
    /// The bundle holds no app layer.
    #[error("bundle {name} has no layer")]
    NoLayer { name: String },
    /// The bundle holds more than the one app layer the kernel installs.
    #[error("bundle {name} has more than one layer; the kernel installs one app layer")]
    SeveralLayers { name: String },
}

/// A bundle the cloud holds for a device.
#[derive(Clone, Debug)]
pub struct Deployment {
    /// For reports (the bundle's file name or a class name).
    pub name: String,
    /// The signed manifest, as in the bundle.
    pub manifest: Vec<u8>,
    /// The one layer (the app ROM).
    pub layer: Vec<u8>,
}

impl Deployment {
    /// From a bundle ZIP: its manifest and its one layer.
    pub fn from_bundle(name: &str, zip: &[u8]) -> Result<Deployment, DeploymentError> {
        let bundle = hil_bundle::read_bundle(zip).map_err(|source| DeploymentError::Bundle {
            name: name.to_owned(),
            source,
        })?;
        let mut layers = bundle.layers.into_values();
        let Some(layer) = layers.next() else {
            return Err(DeploymentError::NoLayer {
                name: name.to_owned(),
            });
        };
        if layers.next().is_some() {
            return Err(DeploymentError::SeveralLayers {
                name: name.to_owned(),
            });
        }
        Ok(Deployment {
            name: name.to_owned(),
            manifest: bundle.manifest,
            layer,
        })
    }

    /// Number of chunks the layer is served in.
    pub fn chunks(&self) -> u32 {
        mv_update::chunks_for(self.layer.len() as u32)
    }

    fn chunk(&self, index: u32) -> &[u8] {
        let start = (index * CHUNK_SIZE) as usize;
        let end = (start + CHUNK_SIZE as usize).min(self.layer.len());
        &self.layer[start.min(end)..end]
    }
}

/// The device went away (lost power, or the link dropped) mid-exchange.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkDown;

/// A cloud link to one device: send a message, get the kernel's answer.
pub trait OtaLink {
    fn exchange(&mut self, message: CloudToDevice) -> Result<OtaReply, LinkDown>;
}

/// How a delivery ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryEnd {
    /// The device holds the verified bundle and told the app, which decides
    /// when to restart (polite deployment).
    Staged,
    /// The device holds the verified bundle and restarts the app now to install it.
    Installing,
    /// The device already runs this version.
    UpToDate,
    /// The device refused it (reason code).
    Rejected(u16),
    /// The device went away; offer again when it is back.
    LinkDown,
    /// The device answered something the protocol does not allow here.
    Confused(OtaReply),
}

/// What one delivery attempt did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Delivery {
    /// The chunk the device asked for first (`None` if it asked for none).
    pub first_chunk: Option<u32>,
    /// Chunks sent.
    pub chunks_sent: u32,
    pub end: DeliveryEnd,
}

/// Offers `deployment` and serves the chunks the device asks for until it
/// has the bundle staged, refuses it, or goes away.
pub fn deliver(link: &mut dyn OtaLink, deployment: &Deployment) -> Delivery {
    let mut delivery = Delivery {
        first_chunk: None,
        chunks_sent: 0,
        end: DeliveryEnd::LinkDown,
    };
    let mut reply = link.exchange(CloudToDevice::OtaOffer {
        manifest: deployment.manifest.clone(),
        rom_len: deployment.layer.len() as u32,
    });
    // Each chunk moves the device forward, so a correct device needs at most
    // one exchange per chunk; the bound only stops a confused one.
    for _ in 0..=deployment.chunks() + 1 {
        let next = match reply {
            Err(LinkDown) => return delivery,
            Ok(OtaReply::Staged) => DeliveryEnd::Staged,
            Ok(OtaReply::Installing) => DeliveryEnd::Installing,
            Ok(OtaReply::UpToDate) => DeliveryEnd::UpToDate,
            Ok(OtaReply::Rejected { code }) => DeliveryEnd::Rejected(code),
            Ok(OtaReply::Fetch { from_chunk }) if from_chunk < deployment.chunks() => {
                delivery.first_chunk.get_or_insert(from_chunk);
                delivery.chunks_sent += 1;
                reply = link.exchange(CloudToDevice::OtaChunk {
                    index: from_chunk,
                    data: deployment.chunk(from_chunk).to_vec(),
                });
                continue;
            }
            Ok(other) => DeliveryEnd::Confused(other),
        };
        delivery.end = next;
        return delivery;
    }
    delivery.end = DeliveryEnd::Confused(OtaReply::Unexpected { expected: None });
    delivery
}

#[cfg(test)]
mod tests {
    use super::{deliver, CloudToDevice, DeliveryEnd, Deployment, LinkDown, OtaLink, OtaReply};
    use mv_update::CHUNK_SIZE;

    /// A device that stages after receiving every chunk in order, or loses
    /// power after `power_for` exchanges.
    struct Device {
        next: u32,
        chunks: u32,
        power_for: usize,
        seen: Vec<u32>,
    }

    impl OtaLink for Device {
        fn exchange(&mut self, message: CloudToDevice) -> Result<OtaReply, LinkDown> {
            if self.power_for == 0 {
                return Err(LinkDown);
            }
            self.power_for -= 1;
            if let CloudToDevice::OtaChunk { index, .. } = message {
                self.seen.push(index);
                self.next = index + 1;
            }
            Ok(if self.next == self.chunks {
                OtaReply::Staged
            } else {
                OtaReply::Fetch {
                    from_chunk: self.next,
                }
            })
        }
    }

    fn deployment() -> Deployment {
        Deployment {
            name: "t".into(),
            manifest: vec![1, 2, 3],
            layer: vec![0xA5; 2 * CHUNK_SIZE as usize + 10],
        }
    }

    #[test]
    fn a_device_that_resumes_is_served_from_the_chunk_it_asks_for() {
        let d = deployment();
        assert_eq!(d.chunks(), 3);
        let mut device = Device {
            next: 1,
            chunks: 3,
            power_for: 10,
            seen: Vec::new(),
        };
        let delivery = deliver(&mut device, &d);
        assert_eq!(delivery.end, DeliveryEnd::Staged);
        assert_eq!(delivery.first_chunk, Some(1));
        assert_eq!(device.seen, [1, 2]);
    }

    #[test]
    fn a_device_that_goes_away_ends_the_delivery_as_link_down() {
        let mut device = Device {
            next: 0,
            chunks: 3,
            power_for: 2,
            seen: Vec::new(),
        };
        let delivery = deliver(&mut device, &deployment());
        assert_eq!(delivery.end, DeliveryEnd::LinkDown);
        assert_eq!(delivery.chunks_sent, 2);
    }
}
