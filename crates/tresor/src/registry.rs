//! The backends this binary can mount, by type name.

use tresor_core::mounts::{Registry, Table};

pub fn registry() -> Registry {
    let mut r = Registry::default();
    r.register(Table::Secrets, "kv", tresor_engines::kv_factory);
    r.register(
        Table::Secrets,
        "cubbyhole",
        tresor_engines::cubbyhole_factory,
    );
    r.register(
        Table::Secrets,
        "database",
        tresor_database::database_factory,
    );
    r.register(
        Table::Secrets,
        "rabbitmq",
        tresor_database::rabbitmq_factory,
    );
    r.register(Table::Auth, "userpass", tresor_auth::userpass_factory);
    r.register(Table::Auth, "approle", tresor_auth::approle_factory);
    r.register(Table::Auth, "kubernetes", tresor_auth::kubernetes_factory);
    r.register(Table::Auth, "jwt", tresor_auth::jwt_factory);
    r.register(Table::Auth, "oidc", tresor_auth::jwt_factory);
    r.register(Table::Auth, "ldap", tresor_auth::ldap_factory);
    r.register(Table::Auth, "cert", tresor_auth::cert_factory);
    r
}
