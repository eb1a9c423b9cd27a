//! The sim's device for the power-cut campaign: the one `hil_sim::SimDevice`, powered on and off.
//!
//! A device is its flash while it is off and a booted [`SimDevice`] (kernel,
//! device core, agent) while it is on. Power is lost when the flash says so
//! (an armed cut fires): the device then keeps only its flash, as after a
//! real cut, until [`CampaignDevice::boot`]. The cloud talks to it through
//! the same `OtaLink` as every rig.

use hil_cloud::{LinkDown, OtaLink};
use hil_sim::{DeviceError, Factory, SimConfig, SimDevice, SimFlash};
use mv_device::AppStart;
use mv_proto::{CloudToDevice, DeviceToCloud, OtaReply};
use mv_update::{Layout, Updater};

use super::scenario::Regions;

enum Power {
    On(Box<SimDevice>),
    Off(SimFlash),
    /// Only while changing state.
    Changing,
}

/// A device of the campaign.
pub struct CampaignDevice {
    power: Power,
    config: SimConfig,
    /// The last flash error other than a power cut (a bug if ever set).
    pub fault: Option<DeviceError>,
    /// The last start of the app (boot, or the restart that installed).
    pub last_start: Option<AppStart>,
}

impl CampaignDevice {
    /// A factory-fresh device with `rom` installed as `version`, powered off.
    pub fn factory(rom: &[u8], version: u32, signers: Vec<[u8; mv_ota::PUBLIC_KEY_LEN]>) -> Self {
        let flash = Factory {
            app_rom: rom.to_vec(),
            app_version: version,
            politeness_s: 0,
            signers,
        }
        .flash();
        CampaignDevice {
            power: Power::Off(flash),
            config: SimConfig::default(),
            fault: None,
            last_start: None,
        }
    }

    pub fn layout(&self) -> Layout {
        Layout::DEFAULT
    }

    /// The flash, on or off.
    pub fn flash(&self) -> &SimFlash {
        match &self.power {
            Power::On(dev) => dev.core().flash().expect("the sim device has flash"),
            Power::Off(flash) => flash,
            Power::Changing => unreachable!("never observed while changing"),
        }
    }

    pub fn flash_mut(&mut self) -> &mut SimFlash {
        match &mut self.power {
            Power::On(dev) => dev
                .core_mut()
                .flash_mut()
                .expect("the sim device has flash"),
            Power::Off(flash) => flash,
            Power::Changing => unreachable!("never observed while changing"),
        }
    }

    /// Power goes: only the flash is left.
    pub fn power_off(&mut self) {
        self.power = match std::mem::replace(&mut self.power, Power::Changing) {
            Power::On(dev) => Power::Off(dev.into_flash()),
            other => other,
        };
    }

    /// Power on: the device boots (finishing an interrupted install,
    /// installing what is staged) and the app starts.
    pub fn boot(&mut self) -> Result<AppStart, DeviceError> {
        self.power_off();
        let Power::Off(flash) = std::mem::replace(&mut self.power, Power::Changing) else {
            unreachable!("powered off above")
        };
        let mut dev = SimDevice::new(&self.config, flash);
        let booted = dev.boot();
        self.power = Power::On(Box::new(dev));
        match booted {
            Ok(start) => {
                self.last_start = Some(start);
                Ok(start)
            }
            Err(e) => Err(self.stopped(e)),
        }
    }

    fn stopped(&mut self, e: DeviceError) -> DeviceError {
        if e != DeviceError::PowerLost {
            self.fault = Some(e);
        }
        self.power_off();
        e
    }

    /// The engine, while the device is on.
    pub fn updater(&self) -> Option<&Updater> {
        match &self.power {
            Power::On(dev) => dev.core().updater(),
            _ => None,
        }
    }

    /// The device's app, while it is on.
    pub fn device_mut(&mut self) -> Option<&mut SimDevice> {
        match &mut self.power {
            Power::On(dev) => Some(dev),
            _ => None,
        }
    }

    /// A powered-off device over `flash` (a snapshot of another device's).
    pub fn off(flash: SimFlash) -> Self {
        CampaignDevice {
            power: Power::Off(flash),
            config: SimConfig::default(),
            fault: None,
            last_start: None,
        }
    }
}

/// The app region and staging area, read in place.
impl Regions for CampaignDevice {
    fn app_difference(&self, image: &[u8]) -> Option<usize> {
        let l = self.layout();
        let cells = self.flash().cells();
        if image.len() != l.app_size() as usize {
            return Some(0);
        }
        cells.first_difference((cells_data(self) + l.app_offset()) as usize, image)
    }

    fn staging_holds(&self, bytes: &[u8]) -> bool {
        let l = self.layout();
        bytes.len() <= l.staging_size() as usize
            && self
                .flash()
                .cells()
                .eq_range((cells_data(self) + l.staging_offset()) as usize, bytes)
    }
}

/// Where the flash bytes start in the cells.
fn cells_data(dev: &CampaignDevice) -> u32 {
    dev.flash().map().data()
}

/// A copy of the device as it would be after a power cut: same flash, off.
impl Clone for CampaignDevice {
    fn clone(&self) -> Self {
        CampaignDevice {
            power: Power::Off(self.flash().clone()),
            config: self.config.clone(),
            fault: self.fault,
            last_start: None,
        }
    }
}

impl OtaLink for CampaignDevice {
    fn exchange(&mut self, message: CloudToDevice) -> Result<OtaReply, LinkDown> {
        let Power::On(dev) = &mut self.power else {
            return Err(LinkDown);
        };
        match dev.cloud(message) {
            Ok(restarted) => {
                if restarted.is_some() {
                    self.last_start = restarted;
                }
                dev.take_uplink()
                    .into_iter()
                    .find_map(|m| match m {
                        DeviceToCloud::Ota(reply) => Some(reply),
                        _ => None,
                    })
                    .ok_or(LinkDown)
            }
            Err(e) => {
                self.stopped(e);
                Err(LinkDown)
            }
        }
    }
}
