//! `ldap`: users log in with their directory name and password. The path table below
//! is the whole API; handlers live in the `path_*` modules, the directory steps of a
//! login in `directory`, and our own small LDAPv3 client (BER codec, messages, filters,
//! DNs, TLS) in the other modules, so TLS stays on rustls with aws-lc-rs.
//!
//! Where tresor differs from Vault, on purpose:
//! - every failure before the user's password is proven answers the same 400 (Vault
//!   shows connection errors verbatim), and an unknown user costs a (failing) bind too;
//! - `userfilter` and `groupfilter` take only `{{.Name}}` placeholders, checked (and
//!   the filter parsed) when the config is written; `url` is checked then too;
//! - a username's inner runs of whitespace become one space (LDAP matching ignores
//!   them; Vault only trims), so spacing variants make no second alias;
//! - `request_timeout` or `connection_timeout` of 0 mean the defaults, not "forever";
//! - TLS 1.0 and 1.1 are not available (rustls); without `certificate`, the system's CA
//!   bundle is trusted;
//! - a token renews after a check of the user and their policies only where the
//!   directory can be read without the user's password (Vault keeps the password in
//!   the token to log in again; tresor never keeps it);
//! - group aliases are not made yet (the SDK's `Login` has none).

mod ber;
mod conn;
mod directory;
mod dn;
mod error;
mod filter;
mod model;
mod path_config;
mod path_groups;
mod path_login;
mod path_users;
mod proto;
mod renew;
mod template;
mod tls;
mod url;

#[cfg(test)]
mod test_slapd;
#[cfg(test)]
mod tests_login;
#[cfg(test)]
mod tests_paths;
#[cfg(test)]
mod tests_renew;
#[cfg(test)]
mod tests_tls;

use async_trait::async_trait;
use std::sync::Arc;
use tresor_sdk::framework::{route, FieldSpec, FieldType, Matched, PathSpec};
use tresor_sdk::{BackendRequest, Error, LogicalBackend, MountContext, Operation, Response};
use tresor_storage::View;

use FieldType::{Bool, Duration, Int, Str, StrList};
use Operation::{Delete, List, Read, Update};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Config,
    User,
    UserList,
    Group,
    GroupList,
    Login,
}

const fn s(name: &'static str, description: &'static str) -> FieldSpec {
    FieldSpec::new(name, Str, description)
}

const fn b(name: &'static str, description: &'static str) -> FieldSpec {
    FieldSpec::new(name, Bool, description)
}

const POLICIES: FieldSpec =
    FieldSpec::new("policies", StrList, "Comma-separated list of policies.");

static CONFIG_FIELDS: &[FieldSpec] = &[
    s(
        "url",
        "LDAP URLs to connect to, comma-separated, tried in order.",
    ),
    s("userdn", "Base DN under which to search for users."),
    s("binddn", "DN to bind as when searching for users."),
    s("bindpass", "Password for binddn."),
    s(
        "userattr",
        "Attribute of user entries matching the username (default: cn).",
    ),
    s("userfilter", "Template of the user search filter."),
    s(
        "upndomain",
        "Domain of userPrincipalName logins (username@upndomain).",
    ),
    s("groupdn", "Base DN under which to search for groups."),
    s("groupfilter", "Template of the group membership filter."),
    s(
        "groupattr",
        "Attribute naming the groups of found entries (default: cn).",
    ),
    s(
        "certificate",
        "PEM CA certificates to verify the server with.",
    ),
    s(
        "client_tls_cert",
        "PEM client certificate to present to the server.",
    ),
    s("client_tls_key", "PEM key of client_tls_cert."),
    s("tls_min_version", "Minimum TLS version (tls12 or tls13)."),
    s("tls_max_version", "Maximum TLS version (tls12 or tls13)."),
    s(
        "dereference_aliases",
        "never, finding, searching or always.",
    ),
    b(
        "insecure_tls",
        "Skip verification of the server's certificate (insecure).",
    ),
    b(
        "starttls",
        "Issue StartTLS after connecting to an ldap:// URL.",
    ),
    b("deny_null_bind", "Refuse empty passwords (default: true)."),
    b(
        "discoverdn",
        "Find the user's DN with a search, bound as binddn or anonymously.",
    ),
    b(
        "case_sensitive_names",
        "Match user and group names with their case.",
    ),
    b(
        "use_token_groups",
        "Read groups from Active Directory's tokenGroups.",
    ),
    b(
        "use_pre111_group_cn_behavior",
        "Match only an upper-case CN in group DNs.",
    ),
    b(
        "anonymous_group_search",
        "Search groups on an anonymous connection.",
    ),
    b(
        "username_as_alias",
        "Use the username as the identity alias name.",
    ),
    FieldSpec::new(
        "request_timeout",
        Duration,
        "Time limit of each LDAP request.",
    ),
    FieldSpec::new(
        "connection_timeout",
        Duration,
        "Time limit to connect to one URL.",
    ),
    FieldSpec::new(
        "max_page_size",
        Int,
        "Page size of group searches (0: no paging).",
    ),
];

static PATHS: &[PathSpec<Route>] = &[
    PathSpec {
        pattern: "config",
        route: Route::Config,
        operations: &[Read, Update],
        fields: CONFIG_FIELDS,
        existence_check: false,
        help: "Configure the LDAP server to connect to, along with its options.",
    },
    PathSpec {
        pattern: "users/{name*}",
        route: Route::User,
        operations: &[Read, Update, Delete],
        fields: &[
            s("name", "Name of the LDAP user."),
            FieldSpec::new(
                "groups",
                StrList,
                "Comma-separated list of additional groups.",
            ),
            POLICIES,
        ],
        existence_check: false,
        help: "Manage users allowed to authenticate.",
    },
    PathSpec {
        pattern: "users/{rest?*}",
        route: Route::UserList,
        operations: &[List],
        fields: &[],
        existence_check: false,
        help: "Lists the users.",
    },
    PathSpec {
        pattern: "groups/{name*}",
        route: Route::Group,
        operations: &[Read, Update, Delete],
        fields: &[s("name", "Name of the LDAP group."), POLICIES],
        existence_check: false,
        help: "Manage the policies of LDAP groups.",
    },
    PathSpec {
        pattern: "groups/{rest?*}",
        route: Route::GroupList,
        operations: &[List],
        fields: &[],
        existence_check: false,
        help: "Lists the groups.",
    },
    PathSpec {
        pattern: "login/{username*}",
        route: Route::Login,
        operations: &[Update],
        fields: &[
            s("username", "DN (distinguished name) to be used for login."),
            s("password", "Password for this user."),
        ],
        existence_check: false,
        help: "Log in with a username and password.",
    },
];

pub fn factory(ctx: MountContext) -> Result<Arc<dyn LogicalBackend>, Error> {
    Ok(Arc::new(Ldap {
        storage: ctx.storage,
        writes: tokio::sync::Mutex::new(()),
    }))
}

#[derive(Debug)]
pub struct Ldap {
    storage: View,
    /// Serialises read-modify-write of the config and entries.
    writes: tokio::sync::Mutex<()>,
}

impl Ldap {
    async fn dispatch(
        &self,
        req: &BackendRequest<'_>,
        m: &Matched<'_, Route>,
    ) -> Result<Response, Error> {
        let name = m.capture("name");
        let read = matches!(req.operation, Read | Operation::Head);
        match (m.route(), req.operation) {
            (Route::Config, _) if read => path_config::read(self).await,
            (Route::Config, _) => path_config::write(self, &m.fields, req.data).await,
            (Route::User, _) if read => path_users::read(self, name).await,
            (Route::User, Delete) => path_users::delete(self, name).await,
            (Route::User, _) => path_users::write(self, name, &m.fields).await,
            (Route::UserList, _) => path_users::list(self, "user/", m.capture("rest")).await,
            (Route::Group, _) if read => path_groups::read(self, name).await,
            (Route::Group, Delete) => path_groups::delete(self, name).await,
            (Route::Group, _) => path_groups::write(self, name, &m.fields).await,
            (Route::GroupList, _) => path_users::list(self, "group/", m.capture("rest")).await,
            (Route::Login, _) => {
                let user = m.capture("username");
                path_login::login(self, user, &m.fields, req.client_addr).await
            }
        }
    }
}

#[async_trait]
impl LogicalBackend for Ldap {
    async fn handle(&self, req: &BackendRequest<'_>) -> Result<Response, Error> {
        let matched = route(PATHS, req)?;
        let mut resp = self.dispatch(req, &matched).await?;
        if matched.route() != Route::Login {
            resp.warnings
                .extend(crate::names::ignored_warning(&matched.fields, &[]));
        }
        Ok(resp)
    }

    fn login_paths(&self) -> &'static [&'static str] {
        &["login/*"]
    }

    /// The user must still be found, with the same policies (see `renew`).
    async fn renew_login(
        &self,
        _req: &BackendRequest<'_>,
        login: &tresor_sdk::LoginRecord<'_>,
    ) -> Result<Option<tresor_sdk::RenewTerms>, Error> {
        renew::renew(self, login).await
    }
}
