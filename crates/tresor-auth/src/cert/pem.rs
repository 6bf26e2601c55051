//! PEM blocks as operators paste them into `certs/<name>` and `crls/<name>`: a checked
//! line reader, no panics on any input.

use base64::Engine;

/// One decoded block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub label: String,
    /// Whether the block carried RFC 1421 headers (`Proc-Type: ...`); certificates in
    /// such blocks are skipped, as Vault skips them.
    pub has_headers: bool,
    pub der: Vec<u8>,
}

fn begin_label(line: &str) -> Option<&str> {
    line.strip_prefix("-----BEGIN ")?.strip_suffix("-----")
}

/// Every well-formed block of `text`, in order; a block whose body is not base64 or that
/// never ends is dropped.
pub fn blocks(text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut lines = text.lines().map(str::trim);
    while let Some(line) = lines.next() {
        let Some(label) = begin_label(line) else {
            continue;
        };
        let end = format!("-----END {label}-----");
        let (mut body, mut has_headers, mut ended) = (String::new(), false, false);
        for inner in lines.by_ref() {
            if inner == end {
                ended = true;
                break;
            }
            if inner.contains(':') {
                has_headers = true;
            } else {
                body.push_str(inner);
            }
        }
        if !ended {
            break;
        }
        if let Ok(der) = base64::engine::general_purpose::STANDARD.decode(body.as_bytes()) {
            out.push(Block {
                label: label.to_owned(),
                has_headers,
                der,
            });
        }
    }
    out
}

/// The DER of each certificate block (`CERTIFICATE`, `TRUSTED CERTIFICATE`) without
/// headers, in order.
pub fn certificate_ders(text: &str) -> Vec<Vec<u8>> {
    blocks(text)
        .into_iter()
        .filter(|b| {
            !b.has_headers && matches!(b.label.as_str(), "CERTIFICATE" | "TRUSTED CERTIFICATE")
        })
        .map(|b| b.der)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_blocks_and_skips_what_is_not_one() {
        let text = "junk\n-----BEGIN CERTIFICATE-----\nAAEC\nAw==\n-----END CERTIFICATE-----\n\
            -----BEGIN X509 CRL-----\r\nBAU=\r\n-----END X509 CRL-----\n\
            -----BEGIN CERTIFICATE-----\nProc-Type: 4,ENCRYPTED\n\nBg==\n-----END CERTIFICATE-----\n\
            -----BEGIN CERTIFICATE-----\n!!notbase64\n-----END CERTIFICATE-----\n\
            -----BEGIN CERTIFICATE-----\nBw==\n";
        let b = blocks(text);
        assert_eq!(b.len(), 3);
        assert_eq!(
            (b[0].label.as_str(), b[0].der.clone()),
            ("CERTIFICATE", vec![0, 1, 2, 3])
        );
        assert_eq!(
            (b[1].label.as_str(), b[1].der.clone()),
            ("X509 CRL", vec![4, 5])
        );
        assert!(b[2].has_headers);
        assert_eq!(certificate_ders(text), vec![vec![0, 1, 2, 3]]);
        assert!(blocks("").is_empty() && blocks("-----BEGIN -----").is_empty());
    }
}
