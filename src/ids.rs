//! Identifiers drawn by the core: request ids and version ids, both 32 lowercase
//! hex digits, and the generator trait the embedder injects.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a string is not a 32-hex-digit identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected 32 hexadecimal digits, got {len} characters")]
pub struct InvalidId {
    len: usize,
}

macro_rules! hex_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(u128);

        impl $name {
            /// The identifier whose 32 hex digits spell `value`.
            pub const fn from_u128(value: u128) -> Self {
                Self(value)
            }

            /// The identifier as a number.
            pub const fn as_u128(self) -> u128 {
                self.0
            }

            /// Parses exactly 32 hexadecimal digits (either case; rendered lowercase).
            pub fn parse(text: &str) -> Result<Self, InvalidId> {
                if text.len() != 32 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(InvalidId { len: text.chars().count() });
                }
                u128::from_str_radix(text, 16)
                    .map(Self)
                    .map_err(|_| InvalidId { len: text.len() })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{:032x}", self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:032x})", stringify!($name), self.0)
            }
        }

        impl FromStr for $name {
            type Err = InvalidId;
            fn from_str(text: &str) -> Result<Self, InvalidId> {
                Self::parse(text)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                Self::parse(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}

hex_id!(
    /// The id of one certificate request: new for every create, never reused for a
    /// name. Provider outcomes and `request_id` filters are matched against it.
    RequestId
);

hex_id!(
    /// The id of one certificate version (the last segment of its identifier URL).
    VersionId
);

/// Where the core draws new ids from. The core has no randomness of its own:
/// servers inject a random source, tests inject [`SequentialIds`].
///
/// A generator must never hand out the same request id twice for one name.
pub trait IdGenerator {
    /// A fresh request id for a new pending object.
    fn request_id(&mut self) -> RequestId;
    /// A fresh version id for a new certificate version.
    fn version_id(&mut self) -> VersionId;
}

/// A deterministic generator: a counter shared by both kinds of id, so no two ids
/// it returns are equal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SequentialIds {
    next: u128,
}

impl SequentialIds {
    /// A counter whose first id is `first`.
    pub const fn starting_at(first: u128) -> Self {
        Self { next: first }
    }

    fn bump(&mut self) -> u128 {
        let id = self.next;
        self.next = self.next.wrapping_add(1);
        id
    }
}

impl Default for SequentialIds {
    fn default() -> Self {
        Self::starting_at(1)
    }
}

impl IdGenerator for SequentialIds {
    fn request_id(&mut self) -> RequestId {
        RequestId(self.bump())
    }

    fn version_id(&mut self) -> VersionId {
        VersionId(self.bump())
    }
}

impl<G: IdGenerator + ?Sized> IdGenerator for &mut G {
    fn request_id(&mut self) -> RequestId {
        (**self).request_id()
    }

    fn version_id(&mut self) -> VersionId {
        (**self).version_id()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_32_lowercase_hex_digits() {
        let id = RequestId::from_u128(0xA768_27A1);
        assert_eq!(id.to_string(), "000000000000000000000000a76827a1");
        assert_eq!(
            RequestId::parse("a76827a18b63421c917da80f28e9913d").map(|i| i.to_string()).as_deref(),
            Ok("a76827a18b63421c917da80f28e9913d")
        );
    }

    #[test]
    fn refuses_anything_but_32_hex_digits() {
        for bad in [
            "",
            "a76827a1",
            "g76827a18b63421c917da80f28e9913d",
            "+76827a18b63421c917da80f28e9913d",
            "a76827a18b63421c917da80f28e9913d0",
            "ä6827a18b63421c917da80f28e9913",
        ] {
            assert!(RequestId::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn sequential_ids_never_repeat_across_kinds() {
        let mut ids = SequentialIds::default();
        let a = ids.request_id().as_u128();
        let b = ids.version_id().as_u128();
        let c = ids.request_id().as_u128();
        assert!(a != b && b != c && a != c);
    }
}
