//! `certs/<name>` (create, read, update, delete) and `LIST certs`: the trusted
//! certificates and the constraints and token parameters of logins by each.

use super::inspect::inspect;
use super::model::{self, CertEntry, CERT_PREFIX};
use super::{pem, CertAuth};
use crate::names::path_name;
use tresor_sdk::fields::u64_field;
use tresor_sdk::framework::Fields;
use tresor_sdk::{BackendRequest, Data, Error, Response, Value};
use tresor_storage::Backend;

/// The list fields of an entry, by request field name.
fn list_slot<'e>(entry: &'e mut CertEntry, field: &str) -> Option<&'e mut Option<Vec<String>>> {
    Some(match field {
        "allowed_names" => &mut entry.allowed_names,
        "allowed_common_names" => &mut entry.allowed_common_names,
        "allowed_dns_sans" => &mut entry.allowed_dns_sans,
        "allowed_email_sans" => &mut entry.allowed_email_sans,
        "allowed_uri_sans" => &mut entry.allowed_uri_sans,
        "allowed_organizational_units" => &mut entry.allowed_organizational_units,
        "required_extensions" => &mut entry.required_extensions,
        "allowed_metadata_extensions" => &mut entry.allowed_metadata_extensions,
        "ocsp_servers_override" => &mut entry.ocsp_servers_override,
        _ => return None,
    })
}

const LIST_FIELDS: &[&str] = &[
    "allowed_names",
    "allowed_common_names",
    "allowed_dns_sans",
    "allowed_email_sans",
    "allowed_uri_sans",
    "allowed_organizational_units",
    "required_extensions",
    "allowed_metadata_extensions",
    "ocsp_servers_override",
];

fn apply_fields(entry: &mut CertEntry, f: &Fields) -> Result<(), Error> {
    if f.bool("ocsp_enabled") == Some(true) {
        return Err(Error::bad_request(
            "OCSP is not supported; use crls/ to revoke certificates",
        ));
    }
    if let Some(c) = f.str("certificate") {
        entry.certificate = c.to_owned();
    }
    if let Some(c) = f.str("ocsp_ca_certificates") {
        entry.ocsp_ca_certificates = c.to_owned();
    }
    if let Some(d) = f.str("display_name") {
        entry.display_name = d.to_owned();
    }
    if let Some(b) = f.bool("ocsp_fail_open") {
        entry.ocsp_fail_open = b;
    }
    if let Some(b) = f.bool("ocsp_query_all_servers") {
        entry.ocsp_query_all_servers = b;
    }
    for field in LIST_FIELDS {
        if let (Some(list), Some(slot)) = (f.list(field), list_slot(entry, field)) {
            *slot = Some(list.to_vec());
        }
    }
    if let Some(bad) = entry
        .required_extensions
        .iter()
        .flatten()
        .find(|r| !r.contains(':'))
    {
        let shown: String = bad.chars().take(64).collect();
        return Err(Error::bad_request(format!(
            "required_extensions must be formatted as \"oid:value\", got {shown:?}"
        )));
    }
    Ok(())
}

/// Vault's legacy `lease` (seconds): the TTL when neither `token_ttl` nor `ttl` is given.
fn apply_lease(entry: &mut CertEntry, data: &Data) -> Result<(), Error> {
    let given = |k: &str| data.get(k).is_some_and(|v| !v.is_null());
    if given("token_ttl") || given("ttl") {
        return Ok(());
    }
    if let Some(lease) = u64_field(data, "lease")? {
        entry.token.ttl = lease;
        entry.token.legacy.ttl = lease;
    }
    Ok(())
}

/// Vault's warnings for token TTLs past the mount's.
fn ttl_warnings(entry: &CertEntry, req: &BackendRequest<'_>) -> Vec<String> {
    let (default, max) = (
        req.mount.default_lease_ttl.as_secs(),
        req.mount.max_lease_ttl.as_secs(),
    );
    let t = &entry.token;
    let mut out = Vec::new();
    if t.ttl > default {
        out.push(format!("Given ttl of {} seconds is greater than current mount/system default of {default} seconds", t.ttl));
    }
    if t.max_ttl > max {
        out.push(format!("Given max_ttl of {} seconds is greater than current mount/system default of {max} seconds", t.max_ttl));
    }
    if t.period > max {
        out.push(format!(
            "Given period of {} seconds is greater than the backend's maximum TTL of {max} seconds",
            t.period
        ));
    }
    out
}

/// The certificate must parse; a non-CA certificate with an extended key usage must
/// allow client authentication.
fn check_certificate(pem_text: &str) -> Result<(), Error> {
    let first = pem::certificate_ders(pem_text)
        .iter()
        .find_map(|der| inspect(der).ok())
        .ok_or_else(|| Error::bad_request("failed to parse certificate"))?;
    if !first.is_ca && first.client_auth == Some(false) {
        return Err(Error::bad_request(
            "nonCA certificates should have TLS client authentication set as an extended key usage",
        ));
    }
    Ok(())
}

pub async fn write(
    ca: &CertAuth,
    req: &BackendRequest<'_>,
    name: &str,
    f: &Fields,
) -> Result<Response, Error> {
    let name = path_name(name)?;
    let _writes = ca.writes.lock().await;
    let mut entry = model::load_cert(&ca.storage, &name)
        .await?
        .unwrap_or_else(|| CertEntry {
            name: name.clone(),
            ..CertEntry::default()
        });
    apply_fields(&mut entry, f)?;
    entry.token.parse_update(req.data)?;
    apply_lease(&mut entry, req.data)?;
    if entry.display_name.is_empty() {
        entry.display_name = name.clone();
    }
    check_certificate(&entry.certificate)?;
    let warnings = ttl_warnings(&entry, req);
    model::save_cert(&ca.storage, &entry).await?;
    Ok(Response {
        warnings,
        ..Response::default()
    })
}

pub async fn read(ca: &CertAuth, name: &str) -> Result<Response, Error> {
    let name = path_name(name)?;
    let entry = model::load_cert(&ca.storage, &name)
        .await?
        .ok_or(Error::NotFound)?;
    Ok(Response::data(entry.to_data()))
}

pub async fn delete(ca: &CertAuth, name: &str) -> Result<Response, Error> {
    let name = path_name(name)?;
    let _writes = ca.writes.lock().await;
    ca.storage.delete(&model::cert_key(&name)).await?;
    Ok(Response::empty())
}

/// A LIST answer over sorted `keys`, with Vault's `after` and `limit` paging.
pub fn list_page(mut keys: Vec<String>, f: &Fields) -> Result<Response, Error> {
    keys.sort();
    if let Some(after) = f.str("after").filter(|a| !a.is_empty()) {
        keys.retain(|k| k.as_str() > after);
    }
    if let Some(limit) = f.int("limit").filter(|l| *l > 0) {
        keys.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    }
    if keys.is_empty() {
        return Err(Error::NotFound);
    }
    let mut data = Data::new();
    data.insert("keys".into(), Value::from(keys));
    Ok(Response::data(data))
}

pub async fn list(ca: &CertAuth, rest: &str, f: &Fields) -> Result<Response, Error> {
    if !rest.is_empty() {
        return Err(Error::UnsupportedPath);
    }
    list_page(ca.storage.list(CERT_PREFIX).await?, f)
}
