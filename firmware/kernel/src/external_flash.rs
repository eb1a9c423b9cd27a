//! External-flash handles (`mvExternalFlashOpen`): up to 32 open at once, all naming the one chip.

/// "Too many open handles. Current limit is 32." [H]
pub const MAX_HANDLES: usize = 32;

/// The running app's open external-flash handles.
#[derive(Clone, Debug, Default)]
pub struct ExternalFlashHandles {
    handles: [u32; MAX_HANDLES],
    count: usize,
}

impl ExternalFlashHandles {
    pub const fn new() -> Self {
        ExternalFlashHandles {
            handles: [0; MAX_HANDLES],
            count: 0,
        }
    }

    pub fn contains(&self, handle: u32) -> bool {
        handle != 0 && self.handles[..self.count].contains(&handle)
    }

    pub fn has_room(&self) -> bool {
        self.count < MAX_HANDLES
    }

    pub fn count(&self) -> u32 {
        self.count as u32
    }

    pub fn insert(&mut self, handle: u32) {
        debug_assert!(self.has_room());
        self.handles[self.count] = handle;
        self.count += 1;
    }

    pub fn remove(&mut self, handle: u32) {
        if let Some(i) = self.handles[..self.count].iter().position(|&h| h == handle) {
            self.handles.copy_within(i + 1..self.count, i);
            self.count -= 1;
        }
    }
}
