//! What the fuzzer hands the kernel: values an attacker would try, and ABI structs planted with them.
//!
//! Every value is drawn from classes, not from any call's prototype, so a
//! call added to the kernel later is fuzzed without a change here: NULL,
//! ranges that wrap past 0xFFFF_FFFF, pointers into the arenas (aligned and
//! not), the last bytes of app RAM and the first past it (straddling the
//! NS/S boundary), secure memory (the board's secure regions and pools),
//! addresses with nothing behind them, app flash, small integers, sizes,
//! enum values of the ABI, handles the kernel handed out, the peripheral
//! registers an app may ask for (the STM32U585 RCC list every board
//! serves), and noise.
//! Structs are planted by their ABI layouts (`mv_abi::STRUCTS`), each field
//! drawn by its kind, so pointers nest: a pointer field may point at
//! another planted struct, or into secure memory.
//!
//! A value that lands in app RAM the fuzzer does not own is drawn again:
//! the kernel may write any app RAM a call names, and the agent's own
//! memory lies there too.

use alloc::vec::Vec;

use mv_abi::{FieldKind, StructLayout};
use mv_boards::Board;

/// xorshift64*: a reproducible stream.
#[derive(Clone, Debug)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        // Never zero, and two nearby seeds start far apart.
        Rng((seed ^ 0x9E37_79B9_7F4A_7C15).wrapping_mul(0xBF58_476D_1CE4_E5B9) | 1)
    }

    pub(crate) fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub(crate) fn word(&mut self) -> u32 {
        (self.next() >> 32) as u32
    }

    /// Uniform in `0..n` (0 when `n` is 0).
    pub(crate) fn below(&mut self, n: u32) -> u32 {
        if n == 0 {
            return 0;
        }
        (((self.next() >> 32) * u64::from(n)) >> 32) as u32
    }

    /// True one time in `n`.
    pub(crate) fn one_in(&mut self, n: u32) -> bool {
        self.below(n) == 0
    }
}

/// The last `N` values of one kind.
#[derive(Clone, Debug)]
pub(crate) struct Recent<const N: usize> {
    items: [u32; N],
    len: usize,
    next: usize,
}

impl<const N: usize> Recent<N> {
    pub(crate) const fn new() -> Self {
        Recent {
            items: [0; N],
            len: 0,
            next: 0,
        }
    }

    pub(crate) fn push(&mut self, v: u32) {
        self.items[self.next] = v;
        self.next = (self.next + 1) % N;
        self.len = (self.len + 1).min(N);
    }

    pub(crate) fn pick(&self, rng: &mut Rng) -> Option<u32> {
        (self.len > 0).then(|| self.items[rng.below(self.len as u32) as usize])
    }
}

/// Sizes and lengths that sit on the kernel's limits.
const SIZES: [u32; 18] = [
    0, 1, 4, 8, 16, 31, 32, 33, 34, 35, 48, 64, 512, 1024, 1025, 2048, 4096, 0x1_0000,
];

/// Where values point: the arenas, and the board's map.
#[derive(Clone, Debug)]
pub(crate) struct Targets {
    /// The arena (`base`, `len`) and the edge arena, which ends at `ram_end`.
    pub(crate) arena: (u32, u32),
    pub(crate) edge: (u32, u32),
    ram_end: u32,
    secure: Vec<(u32, u32)>,
    pools: [u32; 3],
    flash: Vec<(u32, u32)>,
    writable: Vec<(u32, u32)>,
}

fn within(v: u32, (base, len): (u32, u32)) -> bool {
    v >= base && v - base < len
}

impl Targets {
    pub(crate) fn new(board: &Board, arena: (u32, u32), edge: (u32, u32)) -> Targets {
        let regions = |writable: bool| {
            board
                .app_regions
                .iter()
                .filter(|r| r.writable == writable)
                .map(|r| (r.base, r.size))
                .collect()
        };
        Targets {
            arena,
            edge,
            ram_end: board.pools.ns_ram.1,
            secure: board
                .regions
                .iter()
                .filter(|r| r.secure)
                .map(|r| (r.base, r.size))
                .collect(),
            pools: [
                board.pools.secure_ram,
                board.pools.secure_flash,
                board.pools.unmapped,
            ],
            flash: regions(false),
            writable: regions(true),
        }
    }

    /// In one of the arenas.
    pub(crate) fn owned(&self, v: u32) -> bool {
        within(v, self.arena) || within(v, self.edge)
    }

    /// App RAM the fuzzer does not own: never handed to the kernel.
    pub(crate) fn forbidden(&self, v: u32) -> bool {
        !self.owned(v) && self.writable.iter().any(|&r| within(v, r))
    }

    /// The byte offset of `addr` in the arenas (the edge after the main one).
    pub(crate) fn offset(&self, addr: u32) -> Option<usize> {
        if within(addr, self.arena) {
            Some((addr - self.arena.0) as usize)
        } else if within(addr, self.edge) {
            Some((self.arena.1 + addr - self.edge.0) as usize)
        } else {
            None
        }
    }
}

/// The draws of one stream: its generator and what it learnt.
#[derive(Clone, Debug)]
pub(crate) struct Drawer {
    pub(crate) rng: Rng,
    pub(crate) targets: Targets,
    /// Handles the kernel wrote, and where it wrote them.
    pub(crate) handles: Recent<16>,
    pub(crate) handle_addrs: Recent<16>,
    /// Addresses of planted structs.
    pub(crate) plants: Recent<16>,
}

/// An address in one of `regions`, within `span` bytes of its start.
fn pick_region(rng: &mut Rng, regions: &[(u32, u32)], span: u32) -> u32 {
    match regions.len() {
        0 => rng.word(),
        n => {
            let (base, size) = regions[rng.below(n as u32) as usize];
            base.wrapping_add(rng.below(size.min(span)))
        }
    }
}

impl Drawer {
    /// An address in the arena, aligned to `align` (a power of two).
    pub(crate) fn arena_aligned(&mut self, align: u32) -> u32 {
        let (base, len) = self.targets.arena;
        let first = (base + align - 1) & !(align - 1);
        let slots = (base + len).saturating_sub(first) / align;
        first + self.rng.below(slots.max(1)) * align
    }

    /// One value from the classes an attacker tries (see the module docs).
    pub(crate) fn value(&mut self) -> u32 {
        for _ in 0..8 {
            let (arena, edge, end) = (self.targets.arena, self.targets.edge, self.targets.ram_end);
            let v = match self.rng.below(38) {
                0 => 0,
                1 => u32::MAX - self.rng.below(64),
                2 | 3 => arena.0 + self.rng.below(arena.1),
                4 => self.arena_aligned(16),
                // Any power of two up to 4 KiB (a log buffer wants 512).
                5 | 6 | 32..=35 => {
                    let align = 1 << (2 + self.rng.below(11));
                    self.arena_aligned(align)
                }
                7 | 8 => end - 1 - self.rng.below(edge.1),
                9 => end + self.rng.below(16),
                10..=14 => match self.plants.pick(&mut self.rng) {
                    Some(p) => p,
                    None => self.arena_aligned(8),
                },
                15..=17 => match self.handles.pick(&mut self.rng) {
                    Some(h) => h,
                    None => self.rng.word(),
                },
                18..=20 => match self.handle_addrs.pick(&mut self.rng) {
                    Some(a) => a,
                    None => self.arena_aligned(4),
                },
                21 | 22 => pick_region(&mut self.rng, &self.targets.secure, 0x1_0000),
                23 => {
                    let pool = self.targets.pools[self.rng.below(3) as usize];
                    pool.wrapping_add(self.rng.below(0x1000))
                }
                24 => pick_region(&mut self.rng, &self.targets.flash, 0x10_0000),
                25..=27 => self.rng.below(128),
                28 => SIZES[self.rng.below(SIZES.len() as u32) as usize],
                // A power of two, or a few times one (buffers come in granules).
                29 | 31 => (1 + self.rng.below(4)) << self.rng.below(13),
                30 if self.rng.one_in(2) => {
                    use mv_boards::stm32u585::{RCC_BASE, SHARED_RCC};
                    match self.rng.below(4) {
                        0 => RCC_BASE + self.rng.below(0x400),
                        1 => (RCC_BASE | 0x1000_0000) + SHARED_RCC[0].offset,
                        _ => {
                            RCC_BASE
                                + SHARED_RCC[self.rng.below(SHARED_RCC.len() as u32) as usize]
                                    .offset
                        }
                    }
                }
                30 => {
                    let desc = mv_abi::ENUMS[self.rng.below(mv_abi::ENUMS.len() as u32) as usize];
                    match desc.variants.len() {
                        0 => 0,
                        n => desc.variants[self.rng.below(n as u32) as usize].1,
                    }
                }
                _ => self.rng.word(),
            };
            if !self.targets.forbidden(v) {
                return v;
            }
        }
        0
    }

    /// A random ABI struct type.
    pub(crate) fn layout(&mut self) -> &'static StructLayout {
        let all = mv_abi::STRUCTS.len() + mv_abi::V1_STRUCTS.len();
        let n = self.rng.below(all as u32) as usize;
        mv_abi::STRUCTS
            .get(n)
            .or_else(|| mv_abi::V1_STRUCTS.get(n - mv_abi::STRUCTS.len()))
            .copied()
            .expect("n is below the number of structs")
    }

    /// The bytes of a `layout` struct, its fields drawn by kind.
    pub(crate) fn structure(&mut self, layout: &StructLayout) -> Vec<u8> {
        let mut bytes = alloc::vec![0u8; layout.size];
        self.fill(layout, &mut bytes, 0);
        bytes
    }

    fn fill(&mut self, layout: &StructLayout, bytes: &mut [u8], base: usize) {
        for field in layout.fields {
            let at = base + field.offset;
            let name = field.name;
            let v: u64 = match field.kind {
                FieldKind::Struct(inner) => {
                    self.fill(inner, bytes, at);
                    continue;
                }
                // Half the pointers are a buffer a call can use, half anything.
                FieldKind::Ptr if self.rng.one_in(2) => u64::from(self.arena_aligned(8)),
                FieldKind::Handle => u64::from(match self.handles.pick(&mut self.rng) {
                    Some(h) if !self.rng.one_in(4) => h,
                    _ => self.value(),
                }),
                FieldKind::Enum(desc) if !desc.variants.is_empty() && !self.rng.one_in(4) => {
                    u64::from(desc.variants[self.rng.below(desc.variants.len() as u32) as usize].1)
                }
                FieldKind::U64 => self.rng.next(),
                _ if ["size", "len", "count"].iter().any(|k| name.contains(k)) => {
                    u64::from(SIZES[self.rng.below(SIZES.len() as u32) as usize])
                }
                _ if ["irq", "tag"].iter().any(|k| name.contains(k)) && !self.rng.one_in(4) => {
                    u64::from(self.rng.below(128))
                }
                _ => u64::from(self.value()),
            };
            let size = field.kind.size().min(8);
            bytes[at..at + size].copy_from_slice(&v.to_le_bytes()[..size]);
        }
    }
}
