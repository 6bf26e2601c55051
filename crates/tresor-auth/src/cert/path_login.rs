//! `login`: the client certificate of the TLS connection for a token. The chain must
//! verify against a trusted `certs/<name>` entry (all of them, or the one `name` picks)
//! and pass its constraints and the CRLs (see [`super::verify`]).

use super::inspect::{hex_colons, CertInfo};
use super::model::{self, CertEntry, CERT_PREFIX};
use super::verify::{self, Presented, Trusted};
use super::{constraints, pem, CertAuth};
use crate::names::valid_name;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use std::collections::BTreeMap;
use tresor_sdk::framework::Fields;
use tresor_sdk::{BackendRequest, Error, Response};
use tresor_storage::Backend;

/// The entries to try: the one named, or every one, each with its certificates parsed
/// (an entry with none that parse is skipped, as in Vault).
async fn load_trusted(ca: &CertAuth, name: Option<&str>) -> Result<Vec<Trusted>, Error> {
    let names = match name.filter(|n| !n.is_empty()) {
        Some(n) if valid_name(n) => vec![n.to_lowercase()],
        Some(_) => Vec::new(),
        None => ca.storage.list(CERT_PREFIX).await?,
    };
    let mut out = Vec::new();
    for name in names.iter().filter(|n| !n.ends_with('/')) {
        let Some(entry) = model::load_cert(&ca.storage, name).await? else {
            continue;
        };
        let certs: Vec<CertInfo> = pem::certificate_ders(&entry.certificate)
            .iter()
            .filter_map(|der| super::inspect::inspect(der).ok())
            .collect();
        if !certs.is_empty() {
            out.push(Trusted { entry, certs });
        }
    }
    Ok(out)
}

/// The trusted entry the presented chain logs in by (`name`: only that one).
pub async fn verify_credentials(
    ca: &CertAuth,
    presented: &Presented,
    name: Option<&str>,
) -> Result<Trusted, Error> {
    let crls = ca.crls.current(&ca.storage).await?;
    let trusted = load_trusted(ca, name).await?;
    verify::find_match(presented, &trusted, &crls, ca.clock.now()).cloned()
}

/// Vault's login metadata (also the alias metadata when the config asks for it).
fn metadata(entry: &CertEntry, leaf: &CertInfo) -> BTreeMap<String, String> {
    let mut md = BTreeMap::from([
        ("cert_name".to_owned(), entry.name.clone()),
        ("common_name".to_owned(), leaf.common_name.clone()),
        ("serial_number".to_owned(), leaf.serial.clone()),
        (
            "subject_key_id".to_owned(),
            hex_colons(&leaf.subject_key_id),
        ),
        (
            "authority_key_id".to_owned(),
            hex_colons(&leaf.authority_key_id),
        ),
    ]);
    md.extend(constraints::extension_metadata(entry, leaf));
    md
}

/// The token's internal data key of the login's leaf certificate (base64 DER), which
/// renewals must present again byte for byte.
pub const LOGIN_CERTIFICATE: &str = "certificate";

pub async fn login(ca: &CertAuth, req: &BackendRequest<'_>, f: &Fields) -> Result<Response, Error> {
    let presented = verify::presented(req.peer_certificates)?;
    let config = model::load_config(&ca.storage).await?;
    let matched = verify_credentials(ca, &presented, f.str("name")).await?;
    let entry = &matched.entry;
    entry.token.check_bound_cidrs(req.client_addr)?;
    let leaf = &presented.leaf;
    let md = metadata(entry, leaf);
    let mut login = entry
        .token
        .login(&entry.display_name, &leaf.common_name, md.clone());
    if config.enable_identity_alias_metadata {
        login.alias_metadata = md;
    }
    login
        .internal_data
        .insert(LOGIN_CERTIFICATE.to_owned(), B64.encode(&leaf.der));
    Ok(Response {
        login: Some(login),
        ..Response::default()
    })
}
