//! The constraints a trusted certificate puts on the client certificate: names, SANs,
//! OUs and required extensions (globs, as Vault), and the metadata taken from allowed
//! extensions. Each list that is unset or empty allows everything; a set list needs at
//! least one of its patterns to match one of the certificate's values.

use super::glob::glob;
use super::inspect::{extension_text, CertInfo};
use super::model::CertEntry;
use std::collections::BTreeMap;

/// Whether some pattern of `patterns` matches some value of `values`; `true` when there
/// are no patterns.
fn any_match<'a>(
    patterns: &Option<Vec<String>>,
    values: impl Iterator<Item = &'a str> + Clone,
) -> bool {
    match patterns {
        None => true,
        Some(p) if p.is_empty() => true,
        Some(p) => p.iter().any(|pat| values.clone().any(|v| glob(pat, v))),
    }
}

fn strs(v: &[String]) -> impl Iterator<Item = &str> + Clone {
    v.iter().map(String::as_str)
}

/// Vault's `matchesNames` ... `matchesCertificateExtensions`, all of them.
pub fn matches(entry: &CertEntry, cert: &CertInfo) -> bool {
    let cn = std::iter::once(cert.common_name.as_str());
    let names = cn
        .clone()
        .chain(strs(&cert.dns_names))
        .chain(strs(&cert.emails));
    any_match(&entry.allowed_names, names)
        && any_match(&entry.allowed_common_names, cn)
        && any_match(&entry.allowed_dns_sans, strs(&cert.dns_names))
        && any_match(&entry.allowed_email_sans, strs(&cert.emails))
        && any_match(&entry.allowed_uri_sans, strs(&cert.uris))
        && any_match(
            &entry.allowed_organizational_units,
            strs(&cert.organizational_units),
        )
        && required_extensions(entry, cert)
}

/// The text of each of the certificate's extensions, by dotted OID (the last one wins).
fn extension_texts(cert: &CertInfo) -> BTreeMap<&str, String> {
    cert.extensions
        .iter()
        .map(|(oid, value)| (oid.as_str(), extension_text(value)))
        .collect()
}

/// Every `oid:value-glob` of `required_extensions` names an extension the certificate has
/// whose string value matches.
fn required_extensions(entry: &CertEntry, cert: &CertInfo) -> bool {
    let Some(required) = entry.required_extensions.as_ref().filter(|r| !r.is_empty()) else {
        return true;
    };
    let present = extension_texts(cert);
    required.iter().all(|req| match req.split_once(':') {
        Some((oid, pattern)) => present.get(oid).is_some_and(|v| glob(pattern, v)),
        None => false,
    })
}

/// Metadata from `allowed_metadata_extensions`: the extension's string value under its
/// OID with dashes for dots (so ACL templates can name it).
pub fn extension_metadata(entry: &CertEntry, cert: &CertInfo) -> BTreeMap<String, String> {
    let Some(allowed) = entry.allowed_metadata_extensions.as_ref() else {
        return BTreeMap::new();
    };
    extension_texts(cert)
        .into_iter()
        .filter(|(oid, _)| allowed.iter().any(|a| a == oid))
        .map(|(oid, text)| (oid.replace('.', "-"), text))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert() -> CertInfo {
        CertInfo {
            der: Vec::new(),
            subject: Vec::new(),
            issuer: Vec::new(),
            serial: "1".into(),
            common_name: "web.example.com".into(),
            organizational_units: vec!["eng".into(), "ops".into()],
            dns_names: vec!["web.example.com".into(), "alt.example.org".into()],
            emails: vec!["ops@example.com".into()],
            uris: vec!["spiffe://example.com/web".into()],
            subject_key_id: Vec::new(),
            authority_key_id: Vec::new(),
            is_ca: false,
            client_auth: Some(true),
            not_before: 0,
            not_after: 1,
            extensions: vec![
                (
                    "1.2.3.4".into(),
                    vec![0x0c, 5, b'h', b'e', b'l', b'l', b'o'],
                ),
                ("1.2.3.5".into(), vec![0x02, 1, 7]),
            ],
        }
    }

    fn list(v: &[&str]) -> Option<Vec<String>> {
        Some(v.iter().map(|s| (*s).to_owned()).collect())
    }

    #[test]
    fn each_list_needs_one_match() {
        let c = cert();
        assert!(matches(&CertEntry::default(), &c));
        let cases: Vec<(CertEntry, bool)> = vec![
            (
                CertEntry {
                    allowed_names: list(&["ops@*"]),
                    ..Default::default()
                },
                true,
            ),
            (
                CertEntry {
                    allowed_names: list(&["nobody"]),
                    ..Default::default()
                },
                false,
            ),
            (
                CertEntry {
                    allowed_common_names: list(&["web.*"]),
                    ..Default::default()
                },
                true,
            ),
            (
                CertEntry {
                    allowed_common_names: list(&["alt.*"]),
                    ..Default::default()
                },
                false,
            ),
            (
                CertEntry {
                    allowed_common_names: list(&[]),
                    ..Default::default()
                },
                true,
            ),
            (
                CertEntry {
                    allowed_dns_sans: list(&["x", "*.example.org"]),
                    ..Default::default()
                },
                true,
            ),
            (
                CertEntry {
                    allowed_dns_sans: list(&["*.example.net"]),
                    ..Default::default()
                },
                false,
            ),
            (
                CertEntry {
                    allowed_email_sans: list(&["*@example.com"]),
                    ..Default::default()
                },
                true,
            ),
            (
                CertEntry {
                    allowed_email_sans: list(&["web.example.com"]),
                    ..Default::default()
                },
                false,
            ),
            (
                CertEntry {
                    allowed_uri_sans: list(&["spiffe://example.com/*"]),
                    ..Default::default()
                },
                true,
            ),
            (
                CertEntry {
                    allowed_uri_sans: list(&["spiffe://other/*"]),
                    ..Default::default()
                },
                false,
            ),
            (
                CertEntry {
                    allowed_organizational_units: list(&["ops"]),
                    ..Default::default()
                },
                true,
            ),
            (
                CertEntry {
                    allowed_organizational_units: list(&["sales"]),
                    ..Default::default()
                },
                false,
            ),
            (
                CertEntry {
                    required_extensions: list(&["1.2.3.4:hel*"]),
                    ..Default::default()
                },
                true,
            ),
            (
                CertEntry {
                    required_extensions: list(&["1.2.3.4:bye"]),
                    ..Default::default()
                },
                false,
            ),
            (
                CertEntry {
                    required_extensions: list(&["1.2.3.5:*"]),
                    ..Default::default()
                },
                true,
            ),
            (
                CertEntry {
                    required_extensions: list(&["1.2.3.5:7"]),
                    ..Default::default()
                },
                false,
            ),
            (
                CertEntry {
                    required_extensions: list(&["1.2.3.6:*"]),
                    ..Default::default()
                },
                false,
            ),
            (
                CertEntry {
                    required_extensions: list(&["1.2.3.4:hello", "1.2.3.6:*"]),
                    ..Default::default()
                },
                false,
            ),
        ];
        for (entry, expected) in cases {
            assert_eq!(matches(&entry, &c), expected, "{entry:?}");
        }
    }

    #[test]
    fn metadata_from_allowed_extensions() {
        let entry = CertEntry {
            allowed_metadata_extensions: list(&["1.2.3.4", "9.9"]),
            ..Default::default()
        };
        let md = extension_metadata(&entry, &cert());
        assert_eq!(
            md,
            BTreeMap::from([("1-2-3-4".to_owned(), "hello".to_owned())])
        );
        assert!(extension_metadata(&CertEntry::default(), &cert()).is_empty());
    }
}
