//! The key holder of a request: keys in memory for the instant of a
//! decision, read back from the store and written to it sealed. What leaves
//! in a backup is sealed under the key-encryption key, so a backup restores
//! only onto a server with the same KEK, and no private key is ever in a
//! backup in the clear.

use std::sync::Arc;

use pending_certificate::memory::MemoryKeyHolder;
use pending_certificate::{
    CertificateName, Csr, ImportContent, ImportFormat, ImportedKey, KeyHolder, KeyHolderError, KeyRequest,
};
use time::OffsetDateTime;

use crate::custody::Custody;

/// [`MemoryKeyHolder`], with backups sealed under the KEK.
pub struct SealingKeys {
    /// The keys of this decision.
    pub inner: MemoryKeyHolder,
    custody: Arc<Custody>,
}

impl SealingKeys {
    /// No keys yet.
    pub fn new(custody: Arc<Custody>) -> Self {
        Self { inner: MemoryKeyHolder::new(), custody }
    }
}

impl KeyHolder for SealingKeys {
    fn create_key(&mut self, name: &CertificateName, request: &KeyRequest) -> Result<Csr, KeyHolderError> {
        self.inner.create_key(name, request)
    }

    fn sign_self(
        &mut self,
        name: &CertificateName,
        csr: &Csr,
        request: &KeyRequest,
        now: OffsetDateTime,
    ) -> Result<Vec<u8>, KeyHolderError> {
        self.inner.sign_self(name, csr, request, now)
    }

    fn import(&mut self, name: &CertificateName, content: &ImportContent<'_>) -> Result<ImportedKey, KeyHolderError> {
        self.inner.import(name, content)
    }

    fn discard(&mut self, public_key: &[u8]) {
        self.inner.discard(public_key);
    }

    fn export_secret(
        &self,
        name: &CertificateName,
        public_key: Option<&[u8]>,
        chain: &[Vec<u8>],
        format: ImportFormat,
    ) -> Result<String, KeyHolderError> {
        self.inner.export_secret(name, public_key, chain, format)
    }

    fn backup_key(&self, name: &CertificateName, public_key: &[u8]) -> Result<Vec<u8>, KeyHolderError> {
        let pkcs8 = self.inner.backup_key(name, public_key)?;
        self.custody.seal_key(name, public_key, &pkcs8).map_err(|e| KeyHolderError::Failed(e.to_string()))
    }

    fn restore_key(&mut self, name: &CertificateName, public_key: &[u8], backup: &[u8]) -> Result<(), KeyHolderError> {
        let pkcs8 = self
            .custody
            .open(name.as_str(), public_key, backup)
            .map_err(|e| KeyHolderError::Rejected(e.to_string()))?;
        self.inner.restore_key(name, public_key, &pkcs8)
    }
}
