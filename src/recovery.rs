//! How deleted certificates can be recovered: the vault's
//! `DeletionRecoveryLevel` and retention, reported in every certificate's
//! `attributes` (`recoveryLevel`, `recoverableDays`).

use std::fmt;

use serde::{Deserialize, Serialize};

/// The vault's deletion recovery level, with the REST specification's
/// spellings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RecoveryLevel {
    /// `Purgeable`: a delete is final.
    #[serde(rename = "Purgeable")]
    Purgeable,
    /// `Recoverable+Purgeable`: soft delete, purge allowed (the default).
    #[default]
    #[serde(rename = "Recoverable+Purgeable")]
    RecoverablePurgeable,
    /// `Recoverable`: soft delete, no purge before the retention ends.
    #[serde(rename = "Recoverable")]
    Recoverable,
    /// `Recoverable+ProtectedSubscription`.
    #[serde(rename = "Recoverable+ProtectedSubscription")]
    RecoverableProtectedSubscription,
    /// `CustomizedRecoverable+Purgeable`: soft delete with a retention other than 90 days, purge allowed.
    #[serde(rename = "CustomizedRecoverable+Purgeable")]
    CustomizedRecoverablePurgeable,
    /// `CustomizedRecoverable`.
    #[serde(rename = "CustomizedRecoverable")]
    CustomizedRecoverable,
    /// `CustomizedRecoverable+ProtectedSubscription`.
    #[serde(rename = "CustomizedRecoverable+ProtectedSubscription")]
    CustomizedRecoverableProtectedSubscription,
}

impl RecoveryLevel {
    /// Whether a deleted certificate may be purged before its retention
    /// ends (the `…Purgeable` levels).
    pub const fn allows_purge(self) -> bool {
        match self {
            RecoveryLevel::Purgeable
            | RecoveryLevel::RecoverablePurgeable
            | RecoveryLevel::CustomizedRecoverablePurgeable => true,
            RecoveryLevel::Recoverable
            | RecoveryLevel::RecoverableProtectedSubscription
            | RecoveryLevel::CustomizedRecoverable
            | RecoveryLevel::CustomizedRecoverableProtectedSubscription => false,
        }
    }

    /// The spelling on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            RecoveryLevel::Purgeable => "Purgeable",
            RecoveryLevel::RecoverablePurgeable => "Recoverable+Purgeable",
            RecoveryLevel::Recoverable => "Recoverable",
            RecoveryLevel::RecoverableProtectedSubscription => "Recoverable+ProtectedSubscription",
            RecoveryLevel::CustomizedRecoverablePurgeable => "CustomizedRecoverable+Purgeable",
            RecoveryLevel::CustomizedRecoverable => "CustomizedRecoverable",
            RecoveryLevel::CustomizedRecoverableProtectedSubscription => "CustomizedRecoverable+ProtectedSubscription",
        }
    }
}

impl fmt::Display for RecoveryLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The vault's recovery settings: its level and how many days a deleted
/// certificate is kept. The default is the service's for a new vault:
/// `Recoverable+Purgeable`, 90 days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Recovery {
    /// `recoveryLevel`.
    pub level: RecoveryLevel,
    /// `recoverableDays`: 7 to 90.
    pub days: u32,
}

impl Default for Recovery {
    fn default() -> Self {
        Self { level: RecoveryLevel::RecoverablePurgeable, days: 90 }
    }
}
