//! Which trusted certificate a presented chain logs in by, in Vault's order:
//!
//! 1. the leaf must be within its validity period;
//! 2. each trusted CA is tried as the only trust anchor of a WebPKI path check (leaf,
//!    then the client's intermediates, to the CA: signatures, validity, basic
//!    constraints, the client-auth EKU when an EKU is present);
//! 3. a trusted non-CA certificate matches only a leaf with exactly its DER (compared
//!    in constant time), never by name or key alone (CVE-2024-2048, CVE-2025-6037);
//! 4. a candidate must pass its constraints, and no certificate on its chain may be in
//!    a CRL.
//!
//! The chain is UNVERIFIED input except that the TLS handshake proved possession of the
//! leaf's private key.

use super::constraints;
use super::crl::{revoked, CrlSet};
use super::inspect::{inspect, CertInfo};
use super::model::CertEntry;
use rustls::crypto::CryptoProvider;
use rustls::server::WebPkiClientVerifier;
use rustls::{CertificateError, RootCertStore};
use rustls_pki_types::{CertificateDer, UnixTime};
use std::sync::{Arc, LazyLock};
use std::time::{SystemTime, UNIX_EPOCH};
use tresor_crypto::secret::ct_eq;
use tresor_sdk::Error;

pub const NO_CERT: &str = "no client certificate found";
pub const INVALID: &str = "invalid certificate or no client certificate supplied";
pub const NO_CHAIN: &str =
    "no chain matching all constraints could be found for this login certificate";

static PROVIDER: LazyLock<Arc<CryptoProvider>> =
    LazyLock::new(|| Arc::new(rustls::crypto::aws_lc_rs::default_provider()));

/// A `certs/<name>` entry with its certificates parsed.
#[derive(Debug, Clone)]
pub struct Trusted {
    pub entry: CertEntry,
    /// Never empty: an entry none of whose certificates parse is not trusted at all.
    pub certs: Vec<CertInfo>,
}

impl Trusted {
    /// Whether the entry is a CA (its first certificate says so), else a pinned leaf.
    pub fn is_ca(&self) -> bool {
        self.certs.first().is_some_and(|c| c.is_ca)
    }
}

/// The client's chain, parsed: the leaf and what it offers as intermediates.
#[derive(Debug, Clone)]
pub struct Presented {
    pub leaf: CertInfo,
    pub intermediates: Vec<CertInfo>,
}

/// Parses the chain from the TLS layer; a missing or unreadable chain is a 400.
pub fn presented(chain: &[Vec<u8>]) -> Result<Presented, Error> {
    let (leaf, rest) = chain
        .split_first()
        .ok_or_else(|| Error::bad_request(NO_CERT))?;
    let parse = |der: &Vec<u8>| {
        inspect(der).map_err(|_| Error::bad_request("failed to parse the client certificate chain"))
    };
    Ok(Presented {
        leaf: parse(leaf)?,
        intermediates: rest.iter().map(parse).collect::<Result<_, _>>()?,
    })
}

enum PathCheck {
    Valid,
    UnknownIssuer,
    Invalid(String),
}

/// A WebPKI path from the leaf through the client's intermediates to one of `anchors`.
fn check_path(anchors: &[CertInfo], p: &Presented, now: UnixTime) -> PathCheck {
    let mut roots = RootCertStore::empty();
    for anchor in anchors.iter().filter(|a| a.is_ca) {
        // An anchor webpki cannot read anchors nothing.
        let _ = roots.add(CertificateDer::from(anchor.der.as_slice()));
    }
    if roots.is_empty() {
        return PathCheck::UnknownIssuer;
    }
    let verifier = match WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        PROVIDER.clone(),
    )
    .build()
    {
        Ok(v) => v,
        Err(e) => return PathCheck::Invalid(e.to_string()),
    };
    let intermediates: Vec<CertificateDer<'_>> = p
        .intermediates
        .iter()
        .map(|c| CertificateDer::from(c.der.as_slice()))
        .collect();
    match verifier.verify_client_cert(
        &CertificateDer::from(p.leaf.der.as_slice()),
        &intermediates,
        now,
    ) {
        Ok(_) => PathCheck::Valid,
        // As Go's verifier, a candidate issuer whose signature does not verify is no
        // issuer at all.
        Err(rustls::Error::InvalidCertificate(
            CertificateError::UnknownIssuer | CertificateError::BadSignature,
        )) => PathCheck::UnknownIssuer,
        Err(e) => PathCheck::Invalid(e.to_string()),
    }
}

/// The serials of the leaf and of every certificate in `pool` reachable from it by
/// issuer-to-subject names: a superset of the verified path, so a revocation on the path
/// is never missed.
fn chain_serials<'a>(leaf: &'a CertInfo, pool: &[&'a CertInfo]) -> Vec<&'a str> {
    let mut on_chain: Vec<&CertInfo> = vec![leaf];
    let mut next = 0;
    while let Some(cert) = on_chain.get(next).copied() {
        next += 1;
        for candidate in pool {
            let seen = on_chain.iter().any(|c| std::ptr::eq(*c, *candidate));
            if !seen && candidate.subject == cert.issuer {
                on_chain.push(candidate);
            }
        }
    }
    on_chain.iter().map(|c| c.serial.as_str()).collect()
}

/// The candidate logs the leaf in: its constraints hold and its chain is not revoked.
fn usable(t: &Trusted, p: &Presented, pool: &[&CertInfo], crls: &CrlSet) -> bool {
    let revoked_chain = chain_serials(&p.leaf, pool)
        .into_iter()
        .any(|serial| revoked(crls, serial));
    !revoked_chain && constraints::matches(&t.entry, &p.leaf)
}

fn unix_secs(now: SystemTime) -> i64 {
    let secs = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    i64::try_from(secs).unwrap_or(i64::MAX)
}

/// The first trusted entry the chain logs in by, or the refusal Vault gives.
pub fn find_match<'t>(
    p: &Presented,
    trusted: &'t [Trusted],
    crls: &CrlSet,
    now: SystemTime,
) -> Result<&'t Trusted, Error> {
    let secs = unix_secs(now);
    if secs < p.leaf.not_before || secs > p.leaf.not_after {
        return Err(Error::bad_request(
            "failed to verify client's certificate: certificate has expired or is not yet valid",
        ));
    }
    let at = UnixTime::since_unix_epoch(now.duration_since(UNIX_EPOCH).unwrap_or_default());
    let (mut valid, mut failure) = (Vec::new(), None);
    for t in trusted.iter().filter(|t| t.is_ca()) {
        match check_path(&t.certs, p, at) {
            PathCheck::Valid => valid.push(t),
            PathCheck::UnknownIssuer => {}
            PathCheck::Invalid(why) => {
                failure.get_or_insert(why);
            }
        }
    }
    if let (true, Some(why)) = (valid.is_empty(), failure) {
        return Err(Error::bad_request(format!(
            "failed to verify client's certificate: {why}"
        )));
    }
    for t in trusted.iter().filter(|t| !t.is_ca()) {
        let pinned = t.certs.first().is_some_and(|c| ct_eq(&c.der, &p.leaf.der));
        let pool: Vec<&CertInfo> = t.certs.iter().collect();
        if pinned && usable(t, p, &pool, crls) {
            return Ok(t);
        }
    }
    if valid.is_empty() {
        return Err(Error::bad_request(INVALID));
    }
    for t in valid {
        let pool: Vec<&CertInfo> = p.intermediates.iter().chain(&t.certs).collect();
        if usable(t, p, &pool, crls) {
            return Ok(t);
        }
    }
    Err(Error::bad_request(NO_CHAIN))
}
