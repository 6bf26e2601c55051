//! `cert`: clients log in with the TLS client certificate of their connection. The path
//! table below is the whole API; handlers live in the modules.
//!
//! Trusted certificates (`certs/<name>`) are CAs, whose chains are verified with WebPKI,
//! or pinned non-CA leaves, matched on their full DER only. CRLs (`crls/<name>`) are held
//! in memory as a snapshot loaded before any login is judged. A token renews only with
//! the login's certificate (see [`renew`]).

mod constraints;
mod crl;
mod glob;
mod inspect;
mod model;
mod path_certs;
mod path_config;
mod path_crls;
mod path_login;
mod pem;
mod renew;
#[cfg(test)]
mod test_pki;
#[cfg(test)]
mod tests_login;
#[cfg(test)]
mod tests_paths;
#[cfg(test)]
mod tests_tls;
mod verify;

use async_trait::async_trait;
use std::sync::Arc;
use tresor_sdk::framework::{route, FieldSpec, FieldType, Matched, PathSpec};
use tresor_sdk::{
    BackendRequest, Clock, Error, LogicalBackend, LoginRecord, MountContext, Operation, Response,
};
use tresor_storage::View;

use FieldType::{Bool, Int, Str, StrList};
use Operation::{Delete, List, Read, Update};

/// The legacy names cert entries take (`lease` is Vault's oldest name for the TTL).
const LEGACY: &[&str] = &[
    "policies",
    "ttl",
    "max_ttl",
    "period",
    "bound_cidrs",
    "lease",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Cert,
    CertList,
    Crl,
    CrlList,
    Config,
    Login,
}

const NAME: FieldSpec = FieldSpec::new("name", Str, "The name of the certificate.");
const LIST_FIELDS: &[FieldSpec] = &[
    FieldSpec::new("after", Str, "List entries after this one."),
    FieldSpec::new("limit", Int, "Return at most this many entries."),
];

const fn list(name: &'static str, help: &'static str) -> FieldSpec {
    FieldSpec::new(name, StrList, help)
}

static PATHS: &[PathSpec<Route>] = &[
    PathSpec {
        pattern: "certs/{name}",
        route: Route::Cert,
        operations: &[Read, Update, Delete],
        fields: &[
            NAME,
            FieldSpec::new("certificate", Str, "The PEM certificate to trust."),
            FieldSpec::new("display_name", Str, "Display name of tokens from it."),
            list(
                "allowed_names",
                "Globs; one must match the CN or a DNS/email SAN.",
            ),
            list("allowed_common_names", "Globs; one must match the CN."),
            list("allowed_dns_sans", "Globs; one must match a DNS SAN."),
            list("allowed_email_sans", "Globs; one must match an email SAN."),
            list("allowed_uri_sans", "Globs; one must match a URI SAN."),
            list(
                "allowed_organizational_units",
                "Globs; one must match an OU.",
            ),
            list(
                "required_extensions",
                "\"oid:value-glob\" extensions all required.",
            ),
            list(
                "allowed_metadata_extensions",
                "OIDs copied into the metadata.",
            ),
            FieldSpec::new("ocsp_enabled", Bool, "Not supported; must be false."),
            FieldSpec::new("ocsp_ca_certificates", Str, "Kept for compatibility."),
            list("ocsp_servers_override", "Kept for compatibility."),
            FieldSpec::new("ocsp_fail_open", Bool, "Kept for compatibility."),
            FieldSpec::new("ocsp_query_all_servers", Bool, "Kept for compatibility."),
        ],
        existence_check: false,
        help: "Manage trusted certificates used for authentication.",
    },
    PathSpec {
        pattern: "certs/{rest?*}",
        route: Route::CertList,
        operations: &[List],
        fields: LIST_FIELDS,
        existence_check: false,
        help: "Lists the trusted certificates.",
    },
    PathSpec {
        pattern: "crls/{name}",
        route: Route::Crl,
        operations: &[Read, Update, Delete],
        fields: &[
            NAME,
            FieldSpec::new("crl", Str, "The CRL, PEM or DER."),
            FieldSpec::new("url", Str, "Not supported."),
        ],
        existence_check: false,
        help: "Manage certificate revocation lists checked at login.",
    },
    PathSpec {
        pattern: "crls/{rest?*}",
        route: Route::CrlList,
        operations: &[List],
        fields: LIST_FIELDS,
        existence_check: false,
        help: "Lists the CRLs.",
    },
    PathSpec {
        pattern: "config",
        route: Route::Config,
        operations: &[Read, Update],
        fields: &[
            FieldSpec::new(
                "disable_binding",
                Bool,
                "Renewals need not present the login's certificate.",
            ),
            FieldSpec::new(
                "enable_identity_alias_metadata",
                Bool,
                "Put the login metadata on the alias.",
            ),
            FieldSpec::new(
                "ocsp_cache_size",
                Int,
                "Kept for compatibility (2 to 100000).",
            ),
        ],
        existence_check: false,
        help: "Configure the cert auth method.",
    },
    PathSpec {
        pattern: "login",
        route: Route::Login,
        operations: &[Update],
        fields: &[FieldSpec::new(
            "name",
            Str,
            "Only try this trusted certificate.",
        )],
        existence_check: false,
        help: "Log in with the TLS client certificate.",
    },
];

pub fn factory(ctx: MountContext) -> Result<Arc<dyn LogicalBackend>, Error> {
    Ok(Arc::new(CertAuth::new(ctx)))
}

#[derive(Debug)]
pub struct CertAuth {
    storage: View,
    clock: Arc<dyn Clock>,
    crls: crl::CrlStore,
    /// Serialises read-modify-write of entries and the config.
    writes: tokio::sync::Mutex<()>,
}

impl CertAuth {
    pub fn new(ctx: MountContext) -> Self {
        Self {
            storage: ctx.storage,
            clock: ctx.clock,
            crls: crl::CrlStore::default(),
            writes: tokio::sync::Mutex::new(()),
        }
    }

    async fn dispatch(
        &self,
        req: &BackendRequest<'_>,
        m: &Matched<'_, Route>,
    ) -> Result<Response, Error> {
        let (name, f) = (m.capture("name"), &m.fields);
        match (m.route(), req.operation) {
            (Route::Cert, Read | Operation::Head) => path_certs::read(self, name).await,
            (Route::Cert, Delete) => path_certs::delete(self, name).await,
            (Route::Cert, _) => path_certs::write(self, req, name, f).await,
            (Route::CertList, _) => path_certs::list(self, m.capture("rest"), f).await,
            (Route::Crl, Read | Operation::Head) => path_crls::read(self, name).await,
            (Route::Crl, Delete) => path_crls::delete(self, name).await,
            (Route::Crl, _) => path_crls::write(self, name, f).await,
            (Route::CrlList, _) => path_crls::list(self, m.capture("rest"), f).await,
            (Route::Config, Read | Operation::Head) => path_config::read(self).await,
            (Route::Config, _) => path_config::write(self, f).await,
            (Route::Login, _) => path_login::login(self, req, f).await,
        }
    }
}

#[async_trait]
impl LogicalBackend for CertAuth {
    async fn handle(&self, req: &BackendRequest<'_>) -> Result<Response, Error> {
        let matched = route(PATHS, req)?;
        let mut resp = self.dispatch(req, &matched).await?;
        if matched.route() != Route::Login {
            let legacy = match matched.route() {
                Route::Cert => LEGACY,
                _ => &[],
            };
            resp.warnings
                .extend(crate::names::ignored_warning(&matched.fields, legacy));
        }
        Ok(resp)
    }

    /// Loads the CRLs before the first request is served.
    async fn initialize(&self) -> Result<(), Error> {
        self.crls.reload(&self.storage).await
    }

    fn login_paths(&self) -> &'static [&'static str] {
        &["login"]
    }

    /// A token from this mount renews only with the login's certificate (unless the
    /// config disables binding) while its entry still accepts it.
    async fn renew_login(
        &self,
        req: &BackendRequest<'_>,
        login: &LoginRecord<'_>,
    ) -> Result<Option<tresor_sdk::RenewTerms>, Error> {
        renew::renew(self, req, login).await
    }
}
