//! The Microvisor cloud as the device sees it for OTA: deployments offered and served in chunks.
//!
//! One implementation for every rig: it speaks [`CloudToDevice`] over an
//! [`OtaLink`] and follows the device's answers, so a device that lost power
//! and came back is simply offered the deployment again and resumes from the
//! chunk it asks for.

use anyhow::{bail, Context, Result};
use mv_proto::{CloudToDevice, OtaReply};
use mv_update::CHUNK_SIZE;

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
    pub fn from_bundle(name: &str, zip: &[u8]) -> Result<Deployment> {
        let bundle = hil_bundle::read_bundle(zip).with_context(|| format!("bundle {name}"))?;
        let mut layers = bundle.layers.into_values();
        let Some(layer) = layers.next() else {
            bail!("bundle {name} has no layer");
        };
        if layers.next().is_some() {
            bail!("bundle {name} has more than one layer; the kernel installs one app layer");
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
    /// The device holds the verified bundle.
    Staged,
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
