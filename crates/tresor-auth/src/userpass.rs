//! `userpass`: users log in with a name and a password. The path table below is the
//! whole API; handlers live in the modules.

mod model;
mod password;
mod path_login;
mod path_users;

use async_trait::async_trait;
use std::sync::Arc;
use tresor_sdk::framework::{existence_target, route, FieldSpec, FieldType, Matched, PathSpec};
use tresor_sdk::{BackendRequest, Error, LogicalBackend, MountContext, Operation, Response};
use tresor_storage::View;

use FieldType::Str;
use Operation::{Delete, List, Read, Update};

/// The legacy names userpass users take (Vault's `UserEntry`).
const LEGACY: &[&str] = &["policies", "ttl", "max_ttl", "bound_cidrs"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    User,
    Password,
    Policies,
    List,
    Login,
}

const USERNAME: FieldSpec = FieldSpec::new("username", Str, "Username for this user.");
const PASSWORD: FieldSpec = FieldSpec::new("password", Str, "Password for this user.");
const PASSWORD_HASH: FieldSpec = FieldSpec::new(
    "password_hash",
    Str,
    "Pre-hashed bcrypt password for this user. Mutually exclusive with password.",
);

static PATHS: &[PathSpec<Route>] = &[
    PathSpec {
        pattern: "users/{username}",
        route: Route::User,
        operations: &[Read, Update, Delete],
        fields: &[USERNAME, PASSWORD, PASSWORD_HASH],
        existence_check: true,
        help: "Manage users allowed to authenticate.",
    },
    PathSpec {
        pattern: "users/{username}/password",
        route: Route::Password,
        operations: &[Update],
        fields: &[USERNAME, PASSWORD, PASSWORD_HASH],
        existence_check: false,
        help: "Reset user's password.",
    },
    PathSpec {
        pattern: "users/{username}/policies",
        route: Route::Policies,
        operations: &[Update],
        fields: &[
            USERNAME,
            FieldSpec::new(
                "token_policies",
                FieldType::StrList,
                "Comma-separated list of policies",
            ),
            FieldSpec::new(
                "policies",
                FieldType::StrList,
                "Use \"token_policies\" instead.",
            ),
        ],
        existence_check: false,
        help: "Update the policies associated with the username.",
    },
    PathSpec {
        pattern: "users/{rest?*}",
        route: Route::List,
        operations: &[List],
        fields: &[],
        existence_check: false,
        help: "Lists the users.",
    },
    PathSpec {
        pattern: "login/{username}",
        route: Route::Login,
        operations: &[Update],
        fields: &[
            FieldSpec::new("username", Str, "Username of the user."),
            PASSWORD,
        ],
        existence_check: false,
        help: "Log in with a username and password.",
    },
];

pub fn factory(ctx: MountContext) -> Result<Arc<dyn LogicalBackend>, Error> {
    Ok(Arc::new(Userpass {
        storage: ctx.storage,
        writes: tokio::sync::Mutex::new(()),
    }))
}

#[derive(Debug)]
pub struct Userpass {
    storage: View,
    /// Serialises read-modify-write of user entries (hashing happens before, unlocked).
    writes: tokio::sync::Mutex<()>,
}

impl Userpass {
    async fn dispatch(
        &self,
        req: &BackendRequest<'_>,
        m: &Matched<'_, Route>,
    ) -> Result<Response, Error> {
        let name = m.capture("username");
        match (m.route(), req.operation) {
            (Route::User, Read | Operation::Head) => path_users::read(self, name).await,
            (Route::User, Delete) => path_users::delete(self, name).await,
            (Route::User, op) => path_users::write(self, name, op, &m.fields, req.data).await,
            (Route::Password, _) => path_users::set_password(self, name, &m.fields).await,
            (Route::Policies, _) => path_users::set_policies(self, name, req.data).await,
            (Route::List, _) => path_users::list(self, m.capture("rest")).await,
            (Route::Login, _) => path_login::login(self, name, &m.fields, req.client_addr).await,
        }
    }
}

#[async_trait]
impl LogicalBackend for Userpass {
    async fn handle(&self, req: &BackendRequest<'_>) -> Result<Response, Error> {
        let matched = route(PATHS, req)?;
        let mut resp = self.dispatch(req, &matched).await?;
        let legacy = match matched.route() {
            Route::User => LEGACY,
            _ => &[],
        };
        if matched.route() != Route::Login {
            resp.warnings
                .extend(crate::names::ignored_warning(&matched.fields, legacy));
        }
        Ok(resp)
    }

    fn login_paths(&self) -> &'static [&'static str] {
        &["login/*"]
    }

    /// As Vault: a token renews only while its user exists with the same policies.
    async fn renew_login(
        &self,
        _req: &BackendRequest<'_>,
        login: &tresor_sdk::LoginRecord<'_>,
    ) -> Result<Option<tresor_sdk::RenewTerms>, Error> {
        let name = login.metadata.get("username").cloned().unwrap_or_default();
        let user = model::load(&self.storage, &name.to_lowercase())
            .await?
            .ok_or_else(|| Error::bad_request("user no longer exists"))?;
        if !crate::names::same_policies(&user.token.policies, login.policies) {
            return Err(Error::bad_request("policies have changed, not renewing"));
        }
        Ok(Some(user.token.renew_terms()))
    }

    async fn exists(&self, req: &BackendRequest<'_>) -> Result<Option<bool>, Error> {
        let Some(name) = existence_target(PATHS, req.path, "username") else {
            return Ok(None);
        };
        Ok(Some(model::load(&self.storage, &name).await?.is_some()))
    }
}
