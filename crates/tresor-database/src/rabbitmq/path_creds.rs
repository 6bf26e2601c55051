//! `creds/<name>`: a new RabbitMQ user under a lease, and what renewing and revoking that
//! lease do. A user whose permissions could not all be set is deleted before the error
//! is answered, so no user is left behind without a lease.

use super::client::{ApiError, Management};
use super::model::{self, Connection, Role};
use super::RabbitMq;
use crate::username::{render, Inputs};
use serde_json::Value;
use std::time::Duration;
use tresor_crypto::SecretString;
use tresor_sdk::{Data, Error, LeaseRequest, Response, SecretLease};

/// Vault's default for RabbitMQ usernames: `<display name>-<uuid>`.
const DEFAULT_USERNAME_TEMPLATE: &str = r#"{{ printf "%s-%s" (.DisplayName) (uuid) }}"#;

/// The length of a password when no policy is configured (base62, as Vault's).
const DEFAULT_PASSWORD_LEN: usize = 36;

async fn connection(rmq: &RabbitMq) -> Result<Connection, Error> {
    model::load_connection(&rmq.storage).await?.ok_or_else(|| {
        Error::bad_request("the connection is not configured: write config/connection")
    })
}

fn username(
    rmq: &RabbitMq,
    conn: &Connection,
    role_name: &str,
    display_name: &str,
) -> Result<String, Error> {
    let template = if conn.username_template.is_empty() {
        DEFAULT_USERNAME_TEMPLATE
    } else {
        &conn.username_template
    };
    let inputs = Inputs {
        display_name: if display_name.is_empty() {
            "token"
        } else {
            display_name
        },
        role_name,
        unix: rmq.clock.unix(),
    };
    render(template, &inputs)
}

async fn password(rmq: &RabbitMq, conn: &Connection) -> Result<SecretString, Error> {
    if conn.password_policy.is_empty() {
        tresor_crypto::random::base62(DEFAULT_PASSWORD_LEN)
            .map_err(|e| Error::internal(e.to_string()))
    } else {
        rmq.system.generate_password(&conn.password_policy).await
    }
}

/// Grants the role's vhost and topic permissions to `user`.
async fn grant(api: &Management<'_>, role: &Role, user: &str) -> Result<(), Error> {
    for (vhost, perms) in &role.vhosts {
        api.put_permissions(vhost, user, perms)
            .await
            .map_err(|e| e.into_error(&format!("setting the permissions on vhost {vhost:?}")))?;
    }
    for (vhost, exchanges) in &role.vhost_topics {
        for (exchange, perms) in exchanges {
            api.put_topic_permissions(vhost, user, exchange, perms)
                .await
                .map_err(|e| {
                    e.into_error(&format!(
                        "setting the topic permissions on vhost {vhost:?}, exchange {exchange:?}"
                    ))
                })?;
        }
    }
    Ok(())
}

pub async fn issue(rmq: &RabbitMq, role_name: &str, display_name: &str) -> Result<Response, Error> {
    let role = model::load_role(&rmq.storage, role_name)
        .await?
        .ok_or_else(|| Error::bad_request(format!("unknown role: {role_name}")))?;
    let conn = connection(rmq).await?;
    let user = username(rmq, &conn, role_name, display_name)?;
    let password = password(rmq, &conn).await?;
    let api = Management::new(&rmq.http, &conn)?;

    // A template without randomness must not take over (and later delete) a user that
    // exists already, the administrator included.
    let exists = api
        .user_exists(&user)
        .await
        .map_err(|e| e.into_error("looking up the new user"))?;
    if exists {
        return Err(Error::bad_request(format!(
            "a RabbitMQ user named {user:?} exists already; the username template must make unique names"
        )));
    }
    api.put_user(&user, &password, &role.tags)
        .await
        .map_err(|e| e.into_error("creating the user"))?;
    if let Err(e) = grant(&api, &role, &user).await {
        if let Err(cleanup) = api.delete_user(&user).await {
            tracing::error!(user, error = %cleanup,
                "deleting a RabbitMQ user whose permissions could not be set failed");
        }
        return Err(e);
    }

    let lease = model::load_lease(&rmq.storage).await?.unwrap_or_default();
    let mut data = Data::new();
    data.insert("username".into(), Value::from(user.clone()));
    data.insert("password".into(), Value::from(password.expose()));
    let mut internal = Data::new();
    internal.insert("username".into(), Value::from(user));
    Ok(Response {
        data: Some(data),
        secret: Some(SecretLease {
            ttl: lease.ttl(),
            max_ttl: lease.max_ttl(),
            renewable: true,
            internal,
        }),
        ..Response::default()
    })
}

/// Nothing changes in RabbitMQ: the lease gets the asked increment (else `config/lease`'s
/// TTL), within `config/lease`'s maximum.
pub async fn renew(rmq: &RabbitMq, req: &LeaseRequest<'_>) -> Result<SecretLease, Error> {
    let lease = model::load_lease(&rmq.storage).await?.unwrap_or_default();
    let ttl = if req.increment > Duration::ZERO {
        req.increment
    } else {
        lease.ttl()
    };
    Ok(SecretLease {
        ttl,
        max_ttl: lease.max_ttl(),
        renewable: true,
        internal: Data::new(),
    })
}

/// Deletes the lease's user; one already gone counts as revoked. A failure keeps the
/// lease, and the core retries.
pub async fn revoke(rmq: &RabbitMq, req: &LeaseRequest<'_>) -> Result<(), Error> {
    let user = req
        .internal
        .get("username")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::internal("the lease is missing its username"))?;
    let conn = connection(rmq).await?;
    let api = Management::new(&rmq.http, &conn)?;
    api.delete_user(user)
        .await
        .map_err(|e: ApiError| e.into_error("deleting the user"))
}
