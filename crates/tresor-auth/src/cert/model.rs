//! What the cert method stores: trusted certificates under `cert/<name>`, the method's
//! `config`, and CRLs under `crls/<name>` (see [`super::crl`]). Everything here is
//! public material (certificates, names, settings); no entry holds a secret.

use serde::{Deserialize, Serialize};
use tresor_sdk::stored::{get_json, put_json};
use tresor_sdk::token_params::TokenParams;
use tresor_sdk::{Data, Error, Value};
use tresor_storage::View;

pub const CERT_PREFIX: &str = "cert/";
const CONFIG_KEY: &str = "config";

/// A trusted certificate (a CA, or a pinned leaf) and the constraints on logins by it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CertEntry {
    pub name: String,
    /// PEM, as written.
    pub certificate: String,
    pub display_name: String,
    pub allowed_names: Option<Vec<String>>,
    pub allowed_common_names: Option<Vec<String>>,
    pub allowed_dns_sans: Option<Vec<String>>,
    pub allowed_email_sans: Option<Vec<String>>,
    pub allowed_uri_sans: Option<Vec<String>>,
    pub allowed_organizational_units: Option<Vec<String>>,
    pub required_extensions: Option<Vec<String>>,
    pub allowed_metadata_extensions: Option<Vec<String>>,
    /// Kept and shown for compatibility; OCSP is not consulted and these certificates
    /// are never trusted for logins.
    pub ocsp_ca_certificates: String,
    pub ocsp_servers_override: Option<Vec<String>>,
    pub ocsp_fail_open: bool,
    pub ocsp_query_all_servers: bool,
    pub token: TokenParams,
}

fn list(v: &Option<Vec<String>>) -> Value {
    v.as_ref().map_or(Value::Null, |l| Value::from(l.clone()))
}

impl CertEntry {
    /// Vault's read output.
    pub fn to_data(&self) -> Data {
        let mut d = Data::new();
        d.insert("certificate".into(), self.certificate.clone().into());
        d.insert("display_name".into(), self.display_name.clone().into());
        for (key, value) in [
            ("allowed_names", &self.allowed_names),
            ("allowed_common_names", &self.allowed_common_names),
            ("allowed_dns_sans", &self.allowed_dns_sans),
            ("allowed_email_sans", &self.allowed_email_sans),
            ("allowed_uri_sans", &self.allowed_uri_sans),
            (
                "allowed_organizational_units",
                &self.allowed_organizational_units,
            ),
            ("required_extensions", &self.required_extensions),
            (
                "allowed_metadata_extensions",
                &self.allowed_metadata_extensions,
            ),
            ("ocsp_servers_override", &self.ocsp_servers_override),
        ] {
            d.insert(key.into(), list(value));
        }
        d.insert(
            "ocsp_ca_certificates".into(),
            self.ocsp_ca_certificates.clone().into(),
        );
        d.insert("ocsp_enabled".into(), false.into());
        d.insert("ocsp_fail_open".into(), self.ocsp_fail_open.into());
        d.insert(
            "ocsp_query_all_servers".into(),
            self.ocsp_query_all_servers.into(),
        );
        self.token.to_data(&mut d);
        d
    }
}

/// `config`: how logins and renewals behave.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// Renewal does not require the login's certificate.
    pub disable_binding: bool,
    /// The login's metadata also goes on the identity alias.
    pub enable_identity_alias_metadata: bool,
    /// Kept and shown; there is no OCSP cache.
    pub ocsp_cache_size: i64,
}

impl Config {
    pub fn to_data(&self) -> Data {
        let mut d = Data::new();
        d.insert("disable_binding".into(), self.disable_binding.into());
        d.insert(
            "enable_identity_alias_metadata".into(),
            self.enable_identity_alias_metadata.into(),
        );
        d.insert("ocsp_cache_size".into(), self.ocsp_cache_size.into());
        d
    }
}

pub fn cert_key(name: &str) -> String {
    format!("{CERT_PREFIX}{name}")
}

pub async fn load_cert(storage: &View, name: &str) -> Result<Option<CertEntry>, Error> {
    get_json(storage, &cert_key(name)).await
}

pub async fn save_cert(storage: &View, entry: &CertEntry) -> Result<(), Error> {
    put_json(storage, &cert_key(&entry.name), entry).await
}

pub async fn load_config(storage: &View) -> Result<Config, Error> {
    Ok(get_json(storage, CONFIG_KEY).await?.unwrap_or_default())
}

pub async fn save_config(storage: &View, config: &Config) -> Result<(), Error> {
    put_json(storage, CONFIG_KEY, config).await
}
