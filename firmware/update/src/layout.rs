//! Where the app, the staging area, the staged manifest and the journal live in flash.

use mv_flash::PAGE_SIZE;

/// Page numbers of each area. Every area is whole pages, so erasing one never touches another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// First page of the app region (1 MiB: what the app executes and the measurement covers).
    pub app_first: u32,
    /// Pages in the app region.
    pub app_pages: u32,
    /// First page of the staging area; chunk `n` of a download lands in page `staging_first + n`.
    pub staging_first: u32,
    /// Pages in the staging area (the largest ROM that can be downloaded).
    pub staging_pages: u32,
    /// The page holding the staged manifest.
    pub manifest_page: u32,
    /// The two journal pages (the active one is the valid one with the higher sequence).
    pub journal: [u32; 2],
}

impl Layout {
    /// 1 MiB app, 1 MiB staging, one manifest page, two journal pages: 259 pages.
    pub const DEFAULT: Layout = Layout {
        app_first: 0,
        app_pages: 128,
        staging_first: 128,
        staging_pages: 128,
        manifest_page: 256,
        journal: [257, 258],
    };

    /// Bytes of flash the layout needs.
    pub const fn flash_size(&self) -> u32 {
        (self.journal[1] + 1) * PAGE_SIZE
    }

    /// Offset of the app region.
    pub const fn app_offset(&self) -> u32 {
        self.app_first * PAGE_SIZE
    }

    /// Bytes in the app region.
    pub const fn app_size(&self) -> u32 {
        self.app_pages * PAGE_SIZE
    }

    /// Offset of the staging area.
    pub const fn staging_offset(&self) -> u32 {
        self.staging_first * PAGE_SIZE
    }

    /// Bytes the staging area holds.
    pub const fn staging_size(&self) -> u32 {
        self.staging_pages * PAGE_SIZE
    }
}

/// A download moves one page per chunk: a resumed chunk starts on a page it may erase.
pub const CHUNK_SIZE: u32 = PAGE_SIZE;

/// Chunks for a ROM of `len` bytes.
pub const fn chunks_for(len: u32) -> u32 {
    len.div_ceil(CHUNK_SIZE)
}
