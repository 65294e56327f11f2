//! X.500 distinguished names as a policy's `subject` spells them
//! (`CN=MyCert, O=Contoso, C=US`): what the service accepts, read into
//! attribute types and values.
//!
//! Relative distinguished names are separated by `,` or `;`, the attributes of
//! a multi-valued one by `+`. A type is a keyword (`CN`, `O`, `OU`, `C`, `L`,
//! `S`/`ST`, `STREET`, `T`, `G`, `SN`, `I`, `E`, `DC`, `UID`, `SERIALNUMBER`, …,
//! without regard to case) or a dotted object identifier, with or without an
//! `OID.` prefix. A value is quoted (`"a, b"`) or not, with `\` escaping the
//! next character or a pair of hex digits.

/// One attribute: its type's object identifier and its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// The type, as object identifier arcs (`[2, 5, 4, 3]` for `CN`).
    pub oid: Vec<u64>,
    /// The value, unescaped.
    pub value: String,
}

/// A subject that is not a distinguished name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an X.500 distinguished name: {0}")]
pub struct InvalidDn(&'static str);

/// The keywords the service understands, with their types.
const KEYWORDS: &[(&str, &[u64])] = &[
    ("CN", &[2, 5, 4, 3]),
    ("SN", &[2, 5, 4, 4]),
    ("SURNAME", &[2, 5, 4, 4]),
    ("SERIALNUMBER", &[2, 5, 4, 5]),
    ("C", &[2, 5, 4, 6]),
    ("L", &[2, 5, 4, 7]),
    ("S", &[2, 5, 4, 8]),
    ("ST", &[2, 5, 4, 8]),
    ("STREET", &[2, 5, 4, 9]),
    ("O", &[2, 5, 4, 10]),
    ("OU", &[2, 5, 4, 11]),
    ("T", &[2, 5, 4, 12]),
    ("TITLE", &[2, 5, 4, 12]),
    ("DESCRIPTION", &[2, 5, 4, 13]),
    ("POSTALCODE", &[2, 5, 4, 17]),
    ("POSTOFFICEBOX", &[2, 5, 4, 18]),
    ("PHONE", &[2, 5, 4, 20]),
    ("TELEPHONENUMBER", &[2, 5, 4, 20]),
    ("G", &[2, 5, 4, 42]),
    ("GN", &[2, 5, 4, 42]),
    ("GIVENNAME", &[2, 5, 4, 42]),
    ("I", &[2, 5, 4, 43]),
    ("INITIALS", &[2, 5, 4, 43]),
    ("GENERATIONQUALIFIER", &[2, 5, 4, 44]),
    ("DNQUALIFIER", &[2, 5, 4, 46]),
    ("PSEUDONYM", &[2, 5, 4, 65]),
    ("E", &[1, 2, 840, 113549, 1, 9, 1]),
    ("EMAIL", &[1, 2, 840, 113549, 1, 9, 1]),
    ("EMAILADDRESS", &[1, 2, 840, 113549, 1, 9, 1]),
    ("DC", &[0, 9, 2342, 19200300, 100, 1, 25]),
    ("UID", &[0, 9, 2342, 19200300, 100, 1, 1]),
];

/// Whether `arcs` make an object identifier DER can encode (X.690 §8.19): at
/// least two arcs, the first 0, 1 or 2, the second below 40 under 0 and 1
/// (and small enough to be combined with the first under 2).
pub fn oid_arcs_valid(arcs: &[u64]) -> bool {
    match arcs {
        [first, second, ..] => *first <= 2 && (*first == 2 || *second < 40) && *second < u64::MAX - 80,
        _ => false,
    }
}

/// The arcs of a dotted object identifier (`2.5.4.3`), if it is one DER can
/// encode.
pub fn dotted_oid(text: &str) -> Option<Vec<u64>> {
    let arcs: Vec<u64> = text
        .split('.')
        .map(|arc| if arc.is_empty() || !arc.bytes().all(|b| b.is_ascii_digit()) { None } else { arc.parse().ok() })
        .collect::<Option<_>>()?;
    oid_arcs_valid(&arcs).then_some(arcs)
}

/// Reads a distinguished name: every attribute, in the order written (the
/// attributes of a multi-valued RDN one after another).
pub fn parse(text: &str) -> Result<Vec<Attribute>, InvalidDn> {
    let chars: Vec<char> = text.chars().collect();
    let mut attributes = Vec::new();
    let mut at = 0;
    loop {
        skip_spaces(&chars, &mut at);
        let start = at;
        while chars.get(at).is_some_and(|&c| c != '=' && !is_separator(c)) {
            at += 1;
        }
        if chars.get(at) != Some(&'=') {
            return Err(InvalidDn("an attribute has no '='"));
        }
        let keyword: String = chars.get(start..at).unwrap_or_default().iter().collect();
        let oid = attribute_type(keyword.trim())?;
        at += 1;
        let value = read_value(&chars, &mut at)?;
        attributes.push(Attribute { oid, value });
        match chars.get(at) {
            None => return Ok(attributes),
            Some(',' | ';' | '+') => at += 1,
            Some(_) => return Err(InvalidDn("unexpected text after a value")),
        }
        if chars.get(at..).is_none_or(|rest| rest.iter().all(|c| c.is_whitespace())) {
            return Err(InvalidDn("a separator is not followed by an attribute"));
        }
    }
}

fn is_separator(c: char) -> bool {
    matches!(c, ',' | ';' | '+')
}

fn skip_spaces(chars: &[char], at: &mut usize) {
    while chars.get(*at).is_some_and(|c| c.is_whitespace()) {
        *at += 1;
    }
}

fn attribute_type(keyword: &str) -> Result<Vec<u64>, InvalidDn> {
    if keyword.is_empty() {
        return Err(InvalidDn("an attribute type is empty"));
    }
    if let Some((_, oid)) = KEYWORDS.iter().find(|(name, _)| name.eq_ignore_ascii_case(keyword)) {
        return Ok(oid.to_vec());
    }
    let dotted = keyword.strip_prefix("OID.").or_else(|| keyword.strip_prefix("oid.")).unwrap_or(keyword);
    dotted_oid(dotted).ok_or(InvalidDn("an attribute type is neither a known keyword nor an object identifier"))
}

fn hex(c: char) -> Option<u8> {
    c.to_digit(16).and_then(|d| u8::try_from(d).ok())
}

/// Reads one value, stopping at an unescaped separator or the end.
fn read_value(chars: &[char], at: &mut usize) -> Result<String, InvalidDn> {
    skip_spaces(chars, at);
    let mut bytes: Vec<u8> = Vec::new();
    let push = |bytes: &mut Vec<u8>, c: char| {
        let mut buffer = [0u8; 4];
        bytes.extend_from_slice(c.encode_utf8(&mut buffer).as_bytes());
    };
    if chars.get(*at) == Some(&'"') {
        *at += 1;
        loop {
            match chars.get(*at) {
                None => return Err(InvalidDn("a quoted value is not closed")),
                Some('"') => {
                    *at += 1;
                    break;
                }
                Some('\\') => {
                    let escaped = chars.get(*at + 1).ok_or(InvalidDn("an escape ends the name"))?;
                    push(&mut bytes, *escaped);
                    *at += 2;
                }
                Some(&c) => {
                    push(&mut bytes, c);
                    *at += 1;
                }
            }
        }
        skip_spaces(chars, at);
    } else {
        // Trailing spaces are not part of the value unless escaped.
        let mut kept = 0;
        while let Some(&c) = chars.get(*at) {
            if is_separator(c) {
                break;
            }
            if c == '\\' {
                match (chars.get(*at + 1).copied(), chars.get(*at + 2).copied()) {
                    (Some(h), Some(l)) if hex(h).is_some() && hex(l).is_some() => {
                        bytes.push(hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0));
                        *at += 3;
                    }
                    (Some(escaped), _) => {
                        push(&mut bytes, escaped);
                        *at += 2;
                    }
                    (None, _) => return Err(InvalidDn("an escape ends the name")),
                }
                kept = bytes.len();
                continue;
            }
            if c == '"' {
                return Err(InvalidDn("a quote inside an unquoted value"));
            }
            push(&mut bytes, c);
            if !c.is_whitespace() {
                kept = bytes.len();
            }
            *at += 1;
        }
        bytes.truncate(kept);
    }
    String::from_utf8(bytes).map_err(|_| InvalidDn("an escaped value is not UTF-8"))
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn values(text: &str) -> Option<Vec<(Vec<u64>, String)>> {
        parse(text).ok().map(|a| a.into_iter().map(|a| (a.oid, a.value)).collect())
    }

    #[test]
    fn reads_what_the_service_takes() {
        assert_eq!(values("CN=default"), Some(vec![(vec![2, 5, 4, 3], "default".into())]));
        assert_eq!(values("cn=MyCert"), Some(vec![(vec![2, 5, 4, 3], "MyCert".into())]));
        let many = values("CN=a b , O=Contoso; C=US+ST=WA").unwrap_or_default();
        let texts: Vec<&str> = many.iter().map(|(_, v)| v.as_str()).collect();
        assert_eq!(texts, ["a b", "Contoso", "US", "WA"]);
        assert_eq!(values(r#"CN="a, b""#).map(|v| v[0].1.clone()), Some("a, b".into()));
        assert_eq!(values(r"CN=a\,b").map(|v| v[0].1.clone()), Some("a,b".into()));
        assert_eq!(values(r"CN=caf\C3\A9").map(|v| v[0].1.clone()), Some("café".into()));
        assert_eq!(values("OID.2.5.4.3=x").map(|v| v[0].0.clone()), Some(vec![2, 5, 4, 3]));
        assert_eq!(values("2.5.4.97=x").map(|v| v[0].0.clone()), Some(vec![2, 5, 4, 97]));
        assert!(values("CN=").is_some());
    }

    #[test]
    fn refuses_what_is_not_a_name() {
        for bad in ["Self", "CN", "=x", "XX=1", "CN=a,", "CN=a,,O=b", r#"CN="a"#, r#"CN=a"b"#, "9.1=x", "CN=a\\"] {
            assert!(parse(bad).is_err(), "{bad:?} accepted");
        }
        // Object identifiers DER cannot encode (an encoder would refuse or
        // panic on them).
        for bad in [
            "1.40=x",
            "0.99=x",
            "3.1=x",
            "2.18446744073709551535=x",
            "2=x",
            "2..5=x",
            "2.+5=x",
            "2.99999999999999999999999=x",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} accepted");
        }
        assert!(parse("2.999=x").is_ok() && parse("1.39.7=x").is_ok());
    }
}
