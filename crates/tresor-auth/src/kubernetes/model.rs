//! What the Kubernetes method stores: its `config` and its roles (`role/<name>`).

use serde::{Deserialize, Serialize};
use tresor_crypto::SecretString;
use tresor_sdk::stored::{get_json, put_json};
use tresor_sdk::token_params::TokenParams;
use tresor_sdk::{Data, Error, Value};
use tresor_storage::View;

const CONFIG_KEY: &str = "config";

/// Alias names are the service account's UID (the default: it survives no re-creation).
pub const ALIAS_SA_UID: &str = "serviceaccount_uid";
/// Alias names are `<namespace>/<name>`.
pub const ALIAS_SA_NAME: &str = "serviceaccount_name";

/// A secret stored as plain JSON text (storage is behind the barrier).
mod secret_text {
    use serde::{Deserialize, Deserializer, Serializer};
    use tresor_crypto::SecretString;

    pub fn serialize<S: Serializer>(v: &SecretString, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(v.expose())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SecretString, D::Error> {
        String::deserialize(d).map(SecretString::new)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    pub kubernetes_host: String,
    pub kubernetes_ca_cert: String,
    /// A bearer token: never shown on read, never in `Debug`.
    #[serde(with = "secret_text")]
    pub token_reviewer_jwt: SecretString,
    pub pem_keys: Vec<String>,
    pub issuer: String,
    pub disable_iss_validation: bool,
    pub disable_local_ca_jwt: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            kubernetes_host: String::new(),
            kubernetes_ca_cert: String::new(),
            token_reviewer_jwt: SecretString::default(),
            pem_keys: Vec::new(),
            issuer: String::new(),
            disable_iss_validation: true,
            disable_local_ca_jwt: false,
        }
    }
}

impl Config {
    /// Vault's read output: the reviewer JWT only as whether it is set.
    pub fn to_data(&self) -> Data {
        let mut d = Data::new();
        d.insert(
            "kubernetes_host".into(),
            self.kubernetes_host.clone().into(),
        );
        d.insert(
            "kubernetes_ca_cert".into(),
            self.kubernetes_ca_cert.clone().into(),
        );
        d.insert("pem_keys".into(), self.pem_keys.clone().into());
        d.insert("issuer".into(), self.issuer.clone().into());
        d.insert(
            "disable_iss_validation".into(),
            self.disable_iss_validation.into(),
        );
        d.insert(
            "disable_local_ca_jwt".into(),
            self.disable_local_ca_jwt.into(),
        );
        d.insert(
            "token_reviewer_jwt_set".into(),
            (!self.token_reviewer_jwt.is_empty()).into(),
        );
        d.insert("use_annotations_as_alias_metadata".into(), false.into());
        d
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Role {
    pub bound_service_account_names: Vec<String>,
    pub bound_service_account_namespaces: Vec<String>,
    pub bound_service_account_namespace_selector: String,
    pub audience: String,
    pub alias_name_source: String,
    /// The legacy `num_uses`, kept (and shown) only while a write sets it.
    pub legacy_num_uses: u64,
    pub token: TokenParams,
}

impl Role {
    /// Vault's read output.
    pub fn to_data(&self) -> Data {
        let mut d = Data::new();
        d.insert(
            "bound_service_account_names".into(),
            self.bound_service_account_names.clone().into(),
        );
        let namespaces = match self.bound_service_account_namespaces.is_empty() {
            true => Value::Null,
            false => self.bound_service_account_namespaces.clone().into(),
        };
        d.insert("bound_service_account_namespaces".into(), namespaces);
        d.insert(
            "bound_service_account_namespace_selector".into(),
            self.bound_service_account_namespace_selector.clone().into(),
        );
        if !self.audience.is_empty() {
            d.insert("audience".into(), self.audience.clone().into());
        }
        d.insert(
            "alias_name_source".into(),
            self.alias_name_source.clone().into(),
        );
        self.token.to_data(&mut d);
        if self.legacy_num_uses > 0 {
            d.insert("num_uses".into(), self.token.num_uses.into());
        }
        d
    }
}

pub fn role_key(name: &str) -> String {
    format!("role/{name}")
}

pub async fn load_role(storage: &View, name: &str) -> Result<Option<Role>, Error> {
    get_json(storage, &role_key(name)).await
}

pub async fn save_role(storage: &View, name: &str, role: &Role) -> Result<(), Error> {
    put_json(storage, &role_key(name), role).await
}

pub async fn load_config(storage: &View) -> Result<Option<Config>, Error> {
    get_json(storage, CONFIG_KEY).await
}

pub async fn save_config(storage: &View, config: &Config) -> Result<(), Error> {
    put_json(storage, CONFIG_KEY, config).await
}
