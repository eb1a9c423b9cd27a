//! The sim's OTA device: the kernel's update engine over the power-cutting flash model.
//!
//! Booting runs [`Updater::boot`] exactly as the secure image does; the cloud
//! link calls the same message handlers. Power is lost when the flash says
//! so: from then on the device is off until [`SimOtaDevice::boot`].

use hil_sim::flash::SimFlash;
use mv_kernel::flash::FlashError;
use mv_ota::TrustedSigner;
use mv_proto::{CloudToDevice, OtaReply};
use mv_update::{BootOutcome, Layout, Updater};

use hil_cloud::{LinkDown, OtaLink};

/// Why the device stopped: power went, or the flash reported something else
/// (a kernel bug or broken flash).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceError {
    PowerLost,
    Flash(FlashError),
}

impl From<FlashError> for DeviceError {
    fn from(e: FlashError) -> Self {
        match e {
            FlashError::PowerLost => DeviceError::PowerLost,
            other => DeviceError::Flash(other),
        }
    }
}

/// A device: flash, and the kernel's engine while powered.
pub struct SimOtaDevice {
    pub flash: SimFlash,
    layout: Layout,
    signers: Vec<TrustedSigner>,
    updater: Option<Updater>,
    /// The last flash error other than a power cut (a bug if ever set).
    pub fault: Option<FlashError>,
}

impl SimOtaDevice {
    /// A factory-fresh device with `rom` installed as `version`, powered off.
    pub fn factory(rom: &[u8], version: u32, signers: Vec<TrustedSigner>) -> SimOtaDevice {
        let layout = Layout::DEFAULT;
        let mut flash = SimFlash::new(layout.flash_size());
        Updater::provision(&mut flash, &layout, rom, version, 0)
            .expect("provisioning an erased flash cannot fail");
        SimOtaDevice {
            flash,
            layout,
            signers,
            updater: None,
            fault: None,
        }
    }

    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// Power on and boot the kernel (finishing an interrupted install).
    pub fn boot(&mut self) -> Result<BootOutcome, DeviceError> {
        self.updater = None;
        self.flash.power_on();
        let (updater, outcome) = Updater::boot(&mut self.flash, self.layout, self.signers.clone())?;
        self.updater = Some(updater);
        Ok(outcome)
    }

    /// The engine, while the device is on.
    pub fn updater(&self) -> Option<&Updater> {
        self.updater.as_ref()
    }

    /// The app restarts (`mvRestart`, or at once for an impolite update):
    /// the kernel installs what is staged. `Ok(None)`: nothing staged.
    pub fn restart(&mut self) -> Result<Option<BootOutcome>, DeviceError> {
        let Some(updater) = self.updater.as_mut() else {
            return Err(DeviceError::PowerLost);
        };
        let result = updater.install(&mut self.flash);
        self.settle(result)
    }

    /// Bytes of the app region as the flash holds them.
    pub fn app_region(&self) -> &[u8] {
        let start = self.layout.app_offset() as usize;
        &self.flash.raw()[start..start + self.layout.app_size() as usize]
    }

    /// Bytes of the staging area.
    pub fn staging(&self) -> &[u8] {
        let start = self.layout.staging_offset() as usize;
        &self.flash.raw()[start..start + self.layout.staging_size() as usize]
    }

    fn settle<T>(&mut self, result: Result<T, FlashError>) -> Result<T, DeviceError> {
        result.map_err(|e| {
            self.updater = None;
            if e != FlashError::PowerLost {
                self.fault = Some(e);
            }
            DeviceError::from(e)
        })
    }
}

/// A copy of the device as it would be after a power cut: same flash, off.
impl Clone for SimOtaDevice {
    fn clone(&self) -> Self {
        SimOtaDevice {
            flash: self.flash.clone(),
            layout: self.layout,
            signers: self.signers.clone(),
            updater: None,
            fault: self.fault,
        }
    }
}

impl OtaLink for SimOtaDevice {
    fn exchange(&mut self, message: CloudToDevice) -> Result<OtaReply, LinkDown> {
        let Some(updater) = self.updater.as_mut() else {
            return Err(LinkDown);
        };
        let result = match &message {
            CloudToDevice::OtaOffer { manifest, rom_len } => {
                updater.on_offer(&mut self.flash, manifest, *rom_len)
            }
            CloudToDevice::OtaChunk { index, data } => {
                updater.on_chunk(&mut self.flash, *index, data)
            }
            _ => return Err(LinkDown),
        };
        self.settle(result).map_err(|_| LinkDown)
    }
}
