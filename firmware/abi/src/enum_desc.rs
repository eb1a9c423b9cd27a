//! Enum descriptors, the unknown-value error, and the macro that declares an ABI enum.
//!
//! Every enum crossing the ABI is declared once, with its explicit discriminants
//! and SDK names, through [`abi_enum!`]. The macro writes out the
//! `TryFrom<u32>` match from those same explicit numbers, so an unknown value
//! becomes [`UnknownValue`] instead of an invalid enum.

use core::fmt;

/// A raw value that is not a member of the named enum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnknownValue {
    /// Rust/SDK enum name, e.g. `"MvStatus"`.
    pub enum_name: &'static str,
    /// The raw value that matched no variant.
    pub value: u32,
}

impl fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:#x} is not a known {} value (SDK 0.7.0); check the value or update mv-abi",
            self.value, self.enum_name
        )
    }
}

/// Table form of one C enum, for host tooling (name lookups, reports).
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct EnumDesc {
    /// Enum name, e.g. `"MvStatus"`.
    pub name: &'static str,
    /// Prefix shared by every C constant, e.g. `"MV_STATUS_"`.
    pub prefix: &'static str,
    /// Object size in bytes under the demos' (short-enum) build: 4, or 1 for `__MAX = 0xff` enums.
    pub size: usize,
    /// `(short name, value)` in declaration order; the `__MAX` sentinel is not listed.
    pub variants: &'static [(&'static str, u32)],
}

impl EnumDesc {
    /// Value of a constant given by full C name (`"MV_STATUS_OKAY"`) or short name (`"OKAY"`).
    pub fn value_of(&self, name: &str) -> Option<u32> {
        let short = name.strip_prefix(self.prefix).unwrap_or(name);
        self.variants
            .iter()
            .find(|(n, _)| *n == short)
            .map(|&(_, v)| v)
    }

    /// Short name (`"OKAY"`) of a value, if it is a member.
    pub fn name_of(&self, value: u32) -> Option<&'static str> {
        self.variants
            .iter()
            .find(|&&(_, v)| v == value)
            .map(|&(n, _)| n)
    }
}

/// Declares an ABI enum with explicit discriminants, its conversions and its [`EnumDesc`].
///
/// ```text
/// abi_enum! {
///     /// doc
///     pub enum MvStatus: u32, prefix = "MV_STATUS_" {
///         Okay = 0x0 => "OKAY",
///         ...
///     }
/// }
/// ```
macro_rules! abi_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident: $repr:ident, prefix = $prefix:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $value:literal => $short:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr($repr)]
        pub enum $name {
            $( $(#[$vmeta])* $variant = $value, )+
        }

        impl $name {
            /// Every variant, in declaration (value) order.
            pub const ALL: [$name; [$($value),+].len()] = [$($name::$variant),+];

            /// Description of this enum for tooling.
            pub const DESC: $crate::enum_desc::EnumDesc = $crate::enum_desc::EnumDesc {
                name: stringify!($name),
                prefix: $prefix,
                size: core::mem::size_of::<$repr>(),
                variants: &[$(($short, $value)),+],
            };

            /// Full SDK constant name, e.g. `"MV_STATUS_OKAY"`.
            pub const fn c_name(self) -> &'static str {
                match self {
                    $( $name::$variant => concat!($prefix, $short), )+
                }
            }

            /// SDK constant name without the prefix, e.g. `"OKAY"`.
            pub const fn short_name(self) -> &'static str {
                match self {
                    $( $name::$variant => $short, )+
                }
            }
        }

        impl TryFrom<u32> for $name {
            type Error = $crate::enum_desc::UnknownValue;

            fn try_from(value: u32) -> Result<Self, Self::Error> {
                match value {
                    $( $value => Ok($name::$variant), )+
                    _ => Err($crate::enum_desc::UnknownValue {
                        enum_name: stringify!($name),
                        value,
                    }),
                }
            }
        }

        impl From<$name> for u32 {
            fn from(value: $name) -> u32 {
                value as u32
            }
        }

        impl core::fmt::Display for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(self.c_name())
            }
        }
    };
}

pub(crate) use abi_enum;
