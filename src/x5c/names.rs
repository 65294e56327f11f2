//! Name constraints (RFC 5280 §4.2.1.10): a CA's permitted and excluded
//! subtrees bound the names of every certificate below it on the path —
//! subject distinguished names, DNS names, IP addresses and e-mail addresses.
//! A constraint or name of another form on both sides is refused rather than
//! ignored.

use der::{Decode, Encode, Reader, SliceReader};
use x509_cert::ext::pkix::constraints::name::{GeneralSubtree, NameConstraints};
use x509_cert::ext::pkix::name::GeneralName;

use super::ChainError;
use super::parse::Parsed;

/// Most name-against-subtree comparisons one CA's constraints may cost.
const MAX_NAME_CHECKS: usize = 1024;

/// The kinds of name compared; others are only matched against nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Dns,
    Ip,
    Email,
    Directory,
    Other(u8),
}

fn kind(name: &GeneralName) -> Kind {
    match name {
        GeneralName::DnsName(_) => Kind::Dns,
        GeneralName::IpAddress(_) => Kind::Ip,
        GeneralName::Rfc822Name(_) => Kind::Email,
        GeneralName::DirectoryName(_) => Kind::Directory,
        GeneralName::OtherName(_) => Kind::Other(0),
        GeneralName::EdiPartyName(_) => Kind::Other(5),
        GeneralName::UniformResourceIdentifier(_) => Kind::Other(6),
        GeneralName::RegisteredId(_) => Kind::Other(8),
    }
}

/// A name of a certificate, as compared.
enum Subject<'a> {
    /// The subject distinguished name, as its RDNs (DER each).
    Directory(Vec<&'a [u8]>),
    /// An `emailAddress` attribute of the subject: `rfc822Name` constraints
    /// apply to it (RFC 5280 §4.2.1.10), as `openssl verify` applies them.
    EmailAttribute(String),
    General(&'a GeneralName),
}

/// `emailAddress` (PKCS #9), the attribute type's DER.
const EMAIL_ADDRESS: &[u8] = &[0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01];

/// The attributes of an RDN: each type's OID and value, as their DER TLVs.
fn attributes(rdn: &[u8]) -> Option<Vec<(&[u8], &[u8])>> {
    let mut reader = SliceReader::new(rdn).ok()?;
    let header = der::Header::decode(&mut reader).ok()?;
    if header.tag() != der::Tag::Set {
        return None;
    }
    let body = reader.read_slice(header.length()).ok()?;
    let mut inner = SliceReader::new(body).ok()?;
    let mut out = Vec::new();
    while !inner.is_finished() {
        let pair = inner.sequence(|r| Ok::<_, der::Error>((r.tlv_bytes()?, r.tlv_bytes()?))).ok()?;
        out.push(pair);
    }
    Some(out)
}

/// A string attribute value compared as RFC 5280 §7.1 asks: decoded from its
/// string type, leading and trailing spaces removed, inner runs of spaces
/// made one, case folded. `None` for a value that is not a string.
fn normalized(value: &[u8]) -> Option<String> {
    let mut reader = SliceReader::new(value).ok()?;
    let header = der::Header::decode(&mut reader).ok()?;
    let body = reader.read_slice(header.length()).ok()?;
    let text: String = match header.tag() {
        der::Tag::Utf8String | der::Tag::PrintableString | der::Tag::Ia5String | der::Tag::VisibleString => {
            std::str::from_utf8(body).ok()?.to_owned()
        }
        der::Tag::TeletexString => body.iter().map(|&b| char::from(b)).collect(),
        der::Tag::BmpString => {
            let units = body
                .chunks(2)
                .map(|c| Some(u16::from_be_bytes([c.first().copied()?, c.get(1).copied()?])))
                .collect::<Option<Vec<u16>>>()?;
            String::from_utf16(&units).ok()?
        }
        _ => return None,
    };
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    Some(collapsed.to_lowercase())
}

/// Whether two RDNs are the same: the same bytes, or the same attributes with
/// values equal as normalized strings (or as bytes, for other values).
fn rdn_equal(a: &[u8], b: &[u8]) -> bool {
    if a == b {
        return true;
    }
    let (Some(a), Some(b)) = (attributes(a), attributes(b)) else { return false };
    a.len() == b.len()
        && a.iter().all(|(oid, value)| {
            b.iter().any(|(other_oid, other)| {
                oid == other_oid && (value == other || normalized(value).is_some_and(|v| Some(v) == normalized(other)))
            })
        })
}

/// Whether `constraint`'s RDNs begin `subject`'s.
fn rdn_prefix(constraint: &[&[u8]], subject: &[&[u8]]) -> bool {
    constraint.len() <= subject.len() && constraint.iter().zip(subject).all(|(a, b)| rdn_equal(a, b))
}

/// The subject's `emailAddress` values.
fn subject_emails(subject: &[&[u8]]) -> Vec<String> {
    subject
        .iter()
        .filter_map(|rdn| attributes(rdn))
        .flatten()
        .filter(|(oid, _)| *oid == EMAIL_ADDRESS)
        .filter_map(|(_, value)| {
            let mut reader = SliceReader::new(value).ok()?;
            let header = der::Header::decode(&mut reader).ok()?;
            let body = reader.read_slice(header.length()).ok()?;
            std::str::from_utf8(body).ok().map(str::to_owned)
        })
        .collect()
}

/// The RDNs of a DER `Name`.
fn rdns(name: &[u8]) -> Option<Vec<&[u8]>> {
    let mut reader = SliceReader::new(name).ok()?;
    let rdns = reader
        .sequence(|r| {
            let mut out = Vec::new();
            while !r.is_finished() {
                out.push(r.tlv_bytes()?);
            }
            Ok::<_, der::Error>(out)
        })
        .ok()?;
    Some(rdns)
}

/// Why a constraint cannot be applied.
struct Invalid;

/// Whether a DNS constraint covers `name`. The constraint is a host name
/// (no leading period, no wildcard: RFC 5280 §4.2.1.10 allows those for URIs
/// only); it covers itself and every name below it. With `wildcard_overlap`,
/// a wildcard name `*.D` is also covered by a constraint one label below `D`,
/// since it would match that name (for excluded subtrees).
fn dns_matches(constraint: &str, name: &str, wildcard_overlap: bool) -> Result<bool, Invalid> {
    let constraint = constraint.to_ascii_lowercase();
    let name = name.to_ascii_lowercase();
    let valid = constraint.is_empty()
        || constraint
            .split('.')
            .all(|l| !l.is_empty() && l.len() <= 63 && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
    if !valid {
        return Err(Invalid);
    }
    if constraint.is_empty() || name == constraint || name.ends_with(&format!(".{constraint}")) {
        return Ok(true);
    }
    if let Some(domain) = name.strip_prefix("*.").filter(|_| wildcard_overlap) {
        return Ok(constraint.split_once('.').is_some_and(|(_, rest)| rest == domain));
    }
    Ok(false)
}

fn ip_matches(constraint: &[u8], address: &[u8]) -> Result<bool, Invalid> {
    let (net, mask) = match constraint.len() {
        8 | 32 => constraint.split_at(constraint.len() / 2),
        _ => return Err(Invalid),
    };
    // The mask is contiguous ones, then zeros.
    let mut seen_zero = false;
    for byte in mask {
        for bit in (0..8).rev() {
            let one = byte >> bit & 1 == 1;
            if one && seen_zero {
                return Err(Invalid);
            }
            seen_zero |= !one;
        }
    }
    if address.len() != net.len() {
        return Ok(false);
    }
    Ok(address.iter().zip(net).zip(mask).all(|((a, n), m)| a & m == n & m))
}

fn email_matches(constraint: &str, address: &str) -> bool {
    let Some((_, host)) = address.rsplit_once('@') else {
        return false;
    };
    if constraint.contains('@') {
        return constraint == address
            || constraint.rsplit_once('@').is_some_and(|(local, domain)| {
                address.rsplit_once('@').is_some_and(|(l, d)| l == local && d.eq_ignore_ascii_case(domain))
            });
    }
    let host = host.to_ascii_lowercase();
    let constraint = constraint.to_ascii_lowercase();
    if constraint.starts_with('.') { host.ends_with(&constraint) } else { host == constraint }
}

/// Whether `subtree` covers `name`; `Err` for a constraint that cannot be
/// read, or a form that is not supported on both sides.
fn covers(subtree: &GeneralSubtree, name: &Subject<'_>, excluding: bool) -> Result<bool, Invalid> {
    match (&subtree.base, name) {
        (GeneralName::DnsName(c), Subject::General(GeneralName::DnsName(n))) => {
            dns_matches(c.as_str(), n.as_str(), excluding)
        }
        (GeneralName::IpAddress(c), Subject::General(GeneralName::IpAddress(n))) => {
            ip_matches(c.as_bytes(), n.as_bytes())
        }
        (GeneralName::Rfc822Name(c), Subject::General(GeneralName::Rfc822Name(n))) => {
            Ok(email_matches(c.as_str(), n.as_str()))
        }
        (GeneralName::Rfc822Name(c), Subject::EmailAttribute(n)) => Ok(email_matches(c.as_str(), n)),
        (GeneralName::DirectoryName(c), Subject::Directory(subject)) => {
            let der = c.to_der().map_err(|_| Invalid)?;
            let constraint = rdns(&der).ok_or(Invalid)?;
            Ok(rdn_prefix(&constraint, subject))
        }
        (GeneralName::DirectoryName(c), Subject::General(GeneralName::DirectoryName(n))) => {
            let (c, n) = (c.to_der().map_err(|_| Invalid)?, n.to_der().map_err(|_| Invalid)?);
            let (c, n) = (rdns(&c).ok_or(Invalid)?, rdns(&n).ok_or(Invalid)?);
            Ok(rdn_prefix(&c, &n))
        }
        // Same kind, but a form this validator does not compare.
        _ => Err(Invalid),
    }
}

fn subject_kind(name: &Subject<'_>) -> Kind {
    match name {
        Subject::Directory(_) => Kind::Directory,
        Subject::EmailAttribute(_) => Kind::Email,
        Subject::General(g) => kind(g),
    }
}

/// Checks `constrained` (not self-issued, or the leaf) against the
/// constraints of the CA at `ca_index`.
fn check_one(constraints: &NameConstraints, ca_index: usize, constrained: &Parsed<'_>) -> Result<(), ChainError> {
    let mut names: Vec<Subject<'_>> = Vec::new();
    if !constrained.subject_empty {
        let subject = rdns(constrained.subject)
            .ok_or(ChainError::Malformed { index: constrained.index, detail: "the subject is not a Name".into() })?;
        names.extend(subject_emails(&subject).into_iter().map(Subject::EmailAttribute));
        names.push(Subject::Directory(subject));
    }
    names.extend(constrained.subject_alt_names.iter().map(Subject::General));
    let unusable = |_| ChainError::NameConstraintsUnsupported { index: ca_index };
    // Bounded work: names × subtrees per CA (pathological chains carry
    // thousands of each).
    let subtrees = constraints.permitted_subtrees.as_ref().map_or(0, Vec::len)
        + constraints.excluded_subtrees.as_ref().map_or(0, Vec::len);
    if names.len().saturating_mul(subtrees) > MAX_NAME_CHECKS {
        return Err(ChainError::NameConstraintsUnsupported { index: ca_index });
    }
    for name in &names {
        let name_kind = subject_kind(name);
        let same_kind = |s: &&GeneralSubtree| kind(&s.base) == name_kind;
        for subtree in constraints.excluded_subtrees.iter().flatten().filter(same_kind) {
            if covers(subtree, name, true).map_err(unusable)? {
                return Err(ChainError::NameNotPermitted { index: constrained.index, ca: ca_index });
            }
        }
        let permitted: Vec<&GeneralSubtree> =
            constraints.permitted_subtrees.iter().flatten().filter(same_kind).collect();
        if !permitted.is_empty() {
            let mut any = false;
            for subtree in permitted {
                any |= covers(subtree, name, false).map_err(unusable)?;
            }
            if !any {
                return Err(ChainError::NameNotPermitted { index: constrained.index, ca: ca_index });
            }
        }
    }
    Ok(())
}

/// Applies every CA's name constraints on `path` (leaf first) and, above
/// it, `anchor`'s, to the certificates below each. Self-issued intermediates
/// are not constrained (RFC 5280 §6.1.3 (b)); the leaf always is.
pub(crate) fn check(path: &[&Parsed<'_>], anchor: Option<&Parsed<'_>>) -> Result<(), ChainError> {
    let cas = path.iter().enumerate().skip(1).map(|(depth, ca)| (depth, *ca, ca.index));
    let anchor = anchor.map(|a| (path.len(), a, path.last().map_or(0, |top| top.index)));
    for (depth, ca, index) in cas.chain(anchor) {
        let Some(constraints) = &ca.name_constraints else { continue };
        for (position, constrained) in path.iter().enumerate().take(depth) {
            if position > 0 && constrained.self_issued {
                continue;
            }
            check_one(constraints, index, constrained)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_constraints_match_at_label_boundaries() {
        let m = |c, n| dns_matches(c, n, false).ok();
        assert_eq!(m("example.com", "example.com"), Some(true));
        assert_eq!(m("example.com", "a.example.com"), Some(true));
        assert_eq!(m("example.com", "badexample.com"), Some(false));
        assert_eq!(m("", "anything.test"), Some(true));
        assert_eq!(m(".example.com", "a.example.com"), None);
        assert_eq!(m("*.example.com", "a.example.com"), None);
        // A wildcard name overlaps an excluded name one label below.
        assert_eq!(dns_matches("bar.example.com", "*.example.com", true).ok(), Some(true));
        assert_eq!(dns_matches("bar.example.com", "*.example.com", false).ok(), Some(false));
    }

    #[test]
    fn ip_constraints_are_address_and_contiguous_mask() {
        assert_eq!(ip_matches(&[10, 0, 0, 0, 255, 0, 0, 0], &[10, 1, 2, 3]).ok(), Some(true));
        assert_eq!(ip_matches(&[10, 0, 0, 0, 255, 0, 0, 0], &[11, 1, 2, 3]).ok(), Some(false));
        assert!(ip_matches(&[10, 0, 0, 0, 255, 0, 255, 0], &[10, 1, 2, 3]).is_err());
        assert!(ip_matches(&[10, 0, 0, 0, 255], &[10, 1, 2, 3]).is_err());
    }

    #[test]
    fn email_constraints_name_a_mailbox_a_host_or_a_domain() {
        assert!(email_matches("example.com", "a@example.com"));
        assert!(!email_matches("example.com", "a@sub.example.com"));
        assert!(email_matches(".example.com", "a@sub.example.com"));
        assert!(email_matches("a@example.com", "a@EXAMPLE.com"));
        assert!(!email_matches("a@example.com", "b@example.com"));
    }
}
