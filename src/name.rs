//! Certificate and issuer names.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub use crate::limits::MAX_NAME_LEN;

/// Why a string is not a valid name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidName {
    /// The name is empty.
    #[error("the name is empty")]
    Empty,
    /// The name is longer than [`MAX_NAME_LEN`] characters.
    #[error("the name has {len} characters; at most {MAX_NAME_LEN} are allowed")]
    TooLong {
        /// Its length in characters.
        len: usize,
    },
    /// The name has a character outside `0-9`, `a-z`, `A-Z` and `-`.
    #[error("the name may contain only 0-9, a-z, A-Z and '-'")]
    BadCharacter,
}

fn check(text: &str) -> Result<(), InvalidName> {
    if text.is_empty() {
        return Err(InvalidName::Empty);
    }
    if !text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(InvalidName::BadCharacter);
    }
    if text.len() > MAX_NAME_LEN {
        return Err(InvalidName::TooLong { len: text.len() });
    }
    Ok(())
}

macro_rules! name_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(Box<str>);

        impl $name {
            /// Checks `text` against `^[0-9a-zA-Z-]{1,127}$`.
            pub fn new(text: &str) -> Result<Self, InvalidName> {
                check(text)?;
                Ok(Self(text.into()))
            }

            /// The name as written.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{:?}", &*self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                Self::new(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}

name_type!(
    /// The name of a certificate in a vault: `^[0-9a-zA-Z-]{1,127}$`.
    CertificateName
);

name_type!(
    /// The name of a certificate issuer: a registered issuer, or one of the
    /// reserved names `Self` and `Unknown` (same pattern as certificate names).
    IssuerName
);

impl IssuerName {
    /// How requests naming this issuer are fulfilled. `Self` and `Unknown` are
    /// matched without regard to case, as the service does.
    pub fn mode(&self) -> IssuerMode {
        if self.0.eq_ignore_ascii_case("Unknown") {
            IssuerMode::Manual
        } else if self.0.eq_ignore_ascii_case("Self") {
            IssuerMode::SelfSigned
        } else {
            IssuerMode::Provider
        }
    }

    /// The reserved name `Unknown`: the caller merges the certificate.
    pub fn unknown() -> Self {
        Self("Unknown".into())
    }

    /// The reserved name `Self`: the key holder signs its own certificate.
    pub fn self_signed() -> Self {
        Self("Self".into())
    }
}

/// How a pending object is fulfilled, decided by its issuer's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IssuerMode {
    /// `Unknown` (or no issuer): waits for a merge of a chain obtained elsewhere.
    Manual,
    /// `Self`: the key holder signs the CSR's key itself.
    SelfSigned,
    /// A registered issuer: the request goes to its provider.
    Provider,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_pattern() {
        for good in ["a", "mycert1", "My-Cert-1", "-", &"x".repeat(127)] {
            assert!(CertificateName::new(good).is_ok(), "{good:?} refused");
        }
    }

    #[test]
    fn refuses_everything_else() {
        assert_eq!(CertificateName::new(""), Err(InvalidName::Empty));
        assert_eq!(CertificateName::new(&"x".repeat(128)), Err(InvalidName::TooLong { len: 128 }));
        for bad in ["a/b", "..", "a b", "café", "a_b", "a.b", "%2F"] {
            assert_eq!(CertificateName::new(bad), Err(InvalidName::BadCharacter), "{bad:?}");
        }
    }

    #[test]
    fn reserved_issuer_names_are_case_insensitive() {
        let mode = |n: &str| IssuerName::new(n).map(|n| n.mode());
        assert_eq!(mode("Unknown"), Ok(IssuerMode::Manual));
        assert_eq!(mode("unknown"), Ok(IssuerMode::Manual));
        assert_eq!(mode("SELF"), Ok(IssuerMode::SelfSigned));
        assert_eq!(mode("mydigicert"), Ok(IssuerMode::Provider));
    }
}
