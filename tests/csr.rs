//! The CSR a create carries: parsed, its signature checked, garbage refused.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use pending_certificate::{Csr, CsrError, MAX_CSR_LEN, OperationError};
use support::Holder;

#[test]
fn real_csrs_of_every_key_type_parse_and_keep_their_key() {
    for alg in
        [&rcgen::PKCS_ECDSA_P256_SHA256, &rcgen::PKCS_ECDSA_P384_SHA384, &rcgen::PKCS_RSA_SHA256, &rcgen::PKCS_ED25519]
    {
        let holder = Holder::with(alg);
        let der = holder.csr_der("CN");
        let csr = Csr::from_der(&der).unwrap();
        assert_eq!(csr.der(), der.as_slice());
        use rcgen::PublicKeyData;
        assert_eq!(csr.public_key(), holder.key.subject_public_key_info().as_slice());
    }
}

#[test]
fn garbage_trailing_bytes_and_oversize_are_refused() {
    assert!(matches!(Csr::from_der(b""), Err(CsrError::Malformed(_))));
    assert!(matches!(Csr::from_der(b"\x30\x03\x02\x01\x00"), Err(CsrError::Malformed(_))));
    let mut der = Holder::p256().csr_der("CN");
    der.push(0);
    assert!(matches!(Csr::from_der(&der), Err(CsrError::Malformed(_))));
    let big = vec![0x30; MAX_CSR_LEN + 1];
    assert_eq!(Csr::from_der(&big), Err(CsrError::TooLarge { len: MAX_CSR_LEN + 1 }));
}

#[test]
fn a_csr_whose_signature_does_not_verify_is_refused() {
    let mut der = Holder::p256().csr_der("CN");
    let last = der.len() - 3;
    der[last] ^= 0x01;
    assert_eq!(Csr::from_der(&der), Err(CsrError::BadSignature));
    let error = OperationError::from(CsrError::BadSignature);
    assert_eq!((error.status(), error.code()), (400, "BadParameter"));
    assert_eq!(
        error.message(),
        "The certificate signing request is invalid: the CSR's signature does not verify with its public key"
    );
}
