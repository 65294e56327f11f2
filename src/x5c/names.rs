//! Name constraints (RFC 5280 §4.2.1.10): a CA's permitted and excluded
//! subtrees bound the names of every certificate below it on the path —
//! subject distinguished names, DNS names, IP addresses and e-mail addresses.
//! A constraint or name of another form on both sides is refused rather than
//! ignored.

use der::{Encode, Reader, SliceReader};
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
    General(&'a GeneralName),
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
        (GeneralName::DirectoryName(c), Subject::Directory(subject)) => {
            let der = c.to_der().map_err(|_| Invalid)?;
            let constraint = rdns(&der).ok_or(Invalid)?;
            Ok(constraint.len() <= subject.len() && constraint.iter().zip(subject).all(|(a, b)| a == b))
        }
        (GeneralName::DirectoryName(c), Subject::General(GeneralName::DirectoryName(n))) => {
            let (c, n) = (c.to_der().map_err(|_| Invalid)?, n.to_der().map_err(|_| Invalid)?);
            let (c, n) = (rdns(&c).ok_or(Invalid)?, rdns(&n).ok_or(Invalid)?);
            Ok(c.len() <= n.len() && c.iter().zip(&n).all(|(a, b)| a == b))
        }
        // Same kind, but a form this validator does not compare.
        _ => Err(Invalid),
    }
}

fn subject_kind(name: &Subject<'_>) -> Kind {
    match name {
        Subject::Directory(_) => Kind::Directory,
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
