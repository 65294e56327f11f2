//! Durable storage of every name's aggregate and of the issuers, in redb:
//! written in one transaction per change, with the revision checked, before
//! the response is sent — so a `kill -9` loses nothing that was answered.

use std::collections::HashMap;
use std::path::Path;

use pending_certificate::{Certificate, Issuer, IssuerName, Vault};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

const AGGREGATES: TableDefinition<&str, &[u8]> = TableDefinition::new("aggregates");
const ISSUERS: TableDefinition<&str, &[u8]> = TableDefinition::new("issuers");

#[derive(Serialize, Deserialize)]
struct Record {
    revision: u64,
    certificate: Certificate,
}

/// The store and the revision of every name it holds.
pub struct Store {
    db: Database,
    revisions: HashMap<String, u64>,
}

fn error(e: impl std::fmt::Display) -> String {
    e.to_string()
}

impl Store {
    /// Opens (or creates) `dir/vault.redb` and loads its contents into `vault`.
    pub fn open(dir: &Path, vault: &mut Vault) -> Result<Self, String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let db = Database::create(dir.join("vault.redb")).map_err(error)?;
        {
            let txn = db.begin_write().map_err(error)?;
            txn.open_table(AGGREGATES).map_err(error)?;
            txn.open_table(ISSUERS).map_err(error)?;
            txn.commit().map_err(error)?;
        }
        let mut revisions = HashMap::new();
        let read = db.begin_read().map_err(error)?;
        for item in read.open_table(AGGREGATES).map_err(error)?.iter().map_err(error)? {
            let (name, bytes) = item.map_err(error)?;
            let record: Record = serde_json::from_slice(bytes.value()).map_err(|e| format!("{}: {e}", name.value()))?;
            revisions.insert(name.value().to_owned(), record.revision);
            vault.store(record.certificate, None).map_err(error)?;
        }
        for item in read.open_table(ISSUERS).map_err(error)?.iter().map_err(error)? {
            let (name, bytes) = item.map_err(error)?;
            let issuer: Issuer = serde_json::from_slice(bytes.value()).map_err(error)?;
            vault.set_issuer(IssuerName::new(name.value()).map_err(error)?, issuer);
        }
        Ok(Self { db, revisions })
    }

    /// Writes `name`'s aggregate as `vault` now holds it, if its stored
    /// revision is still the one this process last wrote.
    pub fn save_certificate(&mut self, vault: &Vault, name: &str) -> Result<(), String> {
        let Ok(certificate_name) = pending_certificate::CertificateName::new(name) else {
            return Ok(());
        };
        let Some((_, certificate)) = vault.load(&certificate_name) else {
            return Ok(());
        };
        let expected = self.revisions.get(name).copied().unwrap_or(0);
        let txn = self.db.begin_write().map_err(error)?;
        {
            let mut table = txn.open_table(AGGREGATES).map_err(error)?;
            let stored = match table.get(name).map_err(error)? {
                Some(bytes) => serde_json::from_slice::<Record>(bytes.value()).map_err(error)?.revision,
                None => 0,
            };
            if stored != expected {
                return Err(format!("{name}: stored revision {stored}, expected {expected}"));
            }
            let record = Record { revision: expected + 1, certificate: certificate.clone() };
            let bytes = serde_json::to_vec(&record).map_err(error)?;
            table.insert(name, bytes.as_slice()).map_err(error)?;
        }
        txn.commit().map_err(error)?;
        self.revisions.insert(name.to_owned(), expected + 1);
        Ok(())
    }

    /// Writes (or removes) the issuer `name` as `vault` now holds it.
    pub fn save_issuer(&mut self, vault: &Vault, name: &str) -> Result<(), String> {
        let Ok(issuer_name) = IssuerName::new(name) else {
            return Ok(());
        };
        let txn = self.db.begin_write().map_err(error)?;
        {
            let mut table = txn.open_table(ISSUERS).map_err(error)?;
            match vault.issuer(&issuer_name) {
                Some(issuer) => {
                    let bytes = serde_json::to_vec(issuer).map_err(error)?;
                    table.insert(name, bytes.as_slice()).map_err(error)?;
                }
                None => {
                    table.remove(name).map_err(error)?;
                }
            }
        }
        txn.commit().map_err(error)
    }
}
