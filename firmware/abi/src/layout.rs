//! Layout descriptors, the `AbiStruct` codec trait, and the macro that declares an ABI struct.
//!
//! A struct is declared once with [`abi_struct!`]; the macro emits the
//! `#[repr(C)]` Rust struct, its [`StructLayout`] (offsets taken from the
//! compiler with `offset_of!`, so the table cannot drift from the type), and a
//! little-endian field-by-field codec. Decoding never builds an enum: enum
//! fields are stored as their raw integer.

use crate::enum_desc::EnumDesc;

/// What one field holds, as far as the ABI is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKind {
    U8,
    U16,
    U32,
    U64,
    /// A 32-bit non-secure address (any C pointer).
    Ptr,
    /// A 32-bit Microvisor handle.
    Handle,
    /// A C enum stored as its raw integer (4 or 1 bytes, per the descriptor).
    Enum(&'static EnumDesc),
    /// A nested struct.
    Struct(&'static StructLayout),
}

impl FieldKind {
    /// Size in bytes on the target.
    pub const fn size(&self) -> usize {
        match self {
            FieldKind::U8 => 1,
            FieldKind::U16 => 2,
            FieldKind::U32 | FieldKind::Ptr | FieldKind::Handle => 4,
            FieldKind::U64 => 8,
            FieldKind::Enum(desc) => desc.size,
            FieldKind::Struct(layout) => layout.size,
        }
    }

    /// Alignment in bytes on the target (AAPCS: `u64` is 8-aligned).
    pub const fn align(&self) -> usize {
        match self {
            FieldKind::U8 => 1,
            FieldKind::U16 => 2,
            FieldKind::U32 | FieldKind::Ptr | FieldKind::Handle => 4,
            FieldKind::U64 => 8,
            FieldKind::Enum(desc) => desc.size,
            FieldKind::Struct(layout) => layout.align,
        }
    }
}

/// One field of a [`StructLayout`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldLayout {
    /// Field name exactly as in the SDK header.
    pub name: &'static str,
    /// Byte offset from the start of the struct.
    pub offset: usize,
    /// What the field holds.
    pub kind: FieldKind,
}

/// The layout of one C struct of the ABI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StructLayout {
    /// Struct name exactly as in the SDK header (V1 payloads: `<Parent>V1`).
    pub name: &'static str,
    /// `sizeof`, including tail padding.
    pub size: usize,
    /// `_Alignof`.
    pub align: usize,
    /// Fields in declaration order.
    pub fields: &'static [FieldLayout],
}

impl StructLayout {
    /// The field called `name`, if any.
    pub fn field(&self, name: &str) -> Option<&'static FieldLayout> {
        self.fields.iter().find(|f| f.name == name)
    }
}

/// A `#[repr(C)]` ABI struct that can be copied to and from little-endian bytes.
pub trait AbiStruct: Copy + Default {
    /// The struct's layout descriptor.
    const LAYOUT: &'static StructLayout;
    /// `size_of::<Self>()`, equal to `LAYOUT.size`.
    const SIZE: usize;

    /// Writes exactly `SIZE` bytes, little-endian, padding bytes zero.
    ///
    /// # Panics
    /// If `out.len() < SIZE`.
    fn encode(&self, out: &mut [u8]);

    /// Reads `SIZE` bytes, little-endian; padding is ignored.
    ///
    /// # Panics
    /// If `bytes.len() < SIZE`.
    fn decode(bytes: &[u8]) -> Self;
}

/// Per-field codec used by the generated `encode`/`decode`: integers and nested structs.
pub(crate) trait AbiField: Sized {
    /// Writes the field at the start of `out`.
    fn put(&self, out: &mut [u8]);
    /// Reads the field from the start of `bytes`.
    fn get(bytes: &[u8]) -> Self;
}

macro_rules! int_field {
    ($($t:ty),+) => {$(
        impl AbiField for $t {
            fn put(&self, out: &mut [u8]) {
                let bytes = self.to_le_bytes();
                out[..bytes.len()].copy_from_slice(&bytes);
            }
            fn get(bytes: &[u8]) -> Self {
                const WIDTH: usize = core::mem::size_of::<$t>();
                let mut raw = [0u8; WIDTH];
                raw.copy_from_slice(&bytes[..WIDTH]);
                <$t>::from_le_bytes(raw)
            }
        }
    )+};
}
int_field!(u8, u16, u32, u64);

/// Declares a `#[repr(C)]` ABI struct together with its layout and codec.
///
/// Each field is `pub name: RustType => FieldKind,`. A compile-time check
/// rejects a `FieldKind` whose size differs from the Rust field's size.
macro_rules! abi_struct {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$fmeta:meta])* pub $field:ident : $ty:ty => $kind:expr, )+
        }
    ) => {
        $(#[$meta])*
        #[repr(C)]
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: $ty, )+
        }

        const _: () = {
            $( assert!(
                core::mem::size_of::<$ty>() == $kind.size(),
                concat!(stringify!($name), ".", stringify!($field), ": FieldKind size differs from the Rust type"),
            ); )+
        };

        impl $crate::layout::AbiStruct for $name {
            const LAYOUT: &'static $crate::layout::StructLayout = &$crate::layout::StructLayout {
                name: stringify!($name),
                size: core::mem::size_of::<$name>(),
                align: core::mem::align_of::<$name>(),
                fields: &[
                    $( $crate::layout::FieldLayout {
                        name: stringify!($field),
                        offset: core::mem::offset_of!($name, $field),
                        kind: $kind,
                    }, )+
                ],
            };
            const SIZE: usize = core::mem::size_of::<$name>();

            fn encode(&self, out: &mut [u8]) {
                assert!(
                    out.len() >= Self::SIZE,
                    concat!("encoding ", stringify!($name), " needs a larger output buffer"),
                );
                let out = &mut out[..Self::SIZE];
                out.fill(0);
                $( $crate::layout::AbiField::put(
                    &self.$field,
                    &mut out[core::mem::offset_of!($name, $field)..],
                ); )+
            }

            fn decode(bytes: &[u8]) -> Self {
                assert!(
                    bytes.len() >= Self::SIZE,
                    concat!("decoding ", stringify!($name), " needs more input bytes"),
                );
                $name {
                    $( $field: $crate::layout::AbiField::get(
                        &bytes[core::mem::offset_of!($name, $field)..],
                    ), )+
                }
            }
        }

        impl $crate::layout::AbiField for $name {
            fn put(&self, out: &mut [u8]) {
                $crate::layout::AbiStruct::encode(self, out)
            }
            fn get(bytes: &[u8]) -> Self {
                $crate::layout::AbiStruct::decode(bytes)
            }
        }
    };
}

pub(crate) use abi_struct;
