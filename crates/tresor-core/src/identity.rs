//! The core's side of identity: the store opened at unseal, served at `identity/`; the
//! entity a login resolves to; and a token's ACL, which adds the policies its entity gets
//! directly and through groups, and renders templated policies for that entity.

use crate::core::Unsealed;
use crate::mounts::{Router, Table};
use crate::tokens::TokenEntry;
use arc_swap::ArcSwap;
use std::sync::Arc;
use tresor_identity::{AuthMount, AuthMounts, EntityView};
use tresor_policy::{Acl, TemplateAlias, TemplateContext, TemplateEntity, TemplateGroup};
use tresor_sdk::Error;

/// Where the identity backend resolves auth mount accessors: the live mount table.
#[derive(Debug)]
pub struct LiveAuthMounts(pub Arc<ArcSwap<Router>>);

impl AuthMounts for LiveAuthMounts {
    fn by_accessor(&self, accessor: &str) -> Option<AuthMount> {
        let router = self.0.load();
        let found = router
            .entries()
            .find(|e| e.table == Table::Auth && e.accessor == accessor)
            .map(|e| AuthMount {
                path: e.path.clone(),
                kind: e.kind.clone(),
                accessor: e.accessor.clone(),
            });
        found
    }
}

/// The policy templating context of an entity.
fn template_context(view: EntityView) -> TemplateContext {
    TemplateContext {
        entity: Some(TemplateEntity {
            id: view.id,
            name: view.name,
            metadata: view.metadata,
            aliases: view
                .aliases
                .into_iter()
                .map(|(accessor, a)| {
                    (
                        accessor,
                        TemplateAlias {
                            id: a.id,
                            name: a.name,
                            metadata: a.metadata,
                            custom_metadata: a.custom_metadata,
                        },
                    )
                })
                .collect(),
        }),
        groups: view
            .groups
            .into_iter()
            .map(|g| TemplateGroup {
                id: g.id,
                name: g.name,
                metadata: g.metadata,
            })
            .collect(),
    }
}

impl Unsealed {
    /// The entity a login through `mount` as `alias_name` belongs to, created on first
    /// login; `Err` (permission denied) for a disabled entity. The entity's external
    /// group memberships follow the login's `group_aliases`.
    pub(crate) async fn login_entity(
        &self,
        mount: &crate::mounts::MountEntry,
        alias_name: &str,
        metadata: std::collections::BTreeMap<String, String>,
        group_aliases: &[String],
    ) -> Result<Option<String>, Error> {
        if alias_name.is_empty() {
            return Ok(None);
        }
        let mount = AuthMount {
            path: mount.path.clone(),
            kind: mount.kind.clone(),
            accessor: mount.accessor.clone(),
        };
        let entity = self
            .identity
            .entity_for_login(&mount, alias_name, metadata)
            .await?;
        if entity.disabled {
            return Err(Error::PermissionDenied);
        }
        self.identity
            .sync_external_groups(&mount, &entity.id, group_aliases)
            .await?;
        Ok(Some(entity.id))
    }

    /// The policies a token's entity adds (its own and its groups'), without the token's.
    pub(crate) fn identity_policies(&self, entry: &TokenEntry) -> Vec<String> {
        if entry.entity_id.is_empty() {
            return Vec::new();
        }
        self.identity
            .policies_of(&entry.entity_id)
            .into_iter()
            .filter(|p| !entry.policies.contains(p))
            .collect()
    }

    /// The `auth` block for a token: `policies` adds what its entity gets.
    pub(crate) fn auth_of(
        &self,
        entry: &TokenEntry,
        token: tresor_crypto::SecretString,
        now: i64,
    ) -> tresor_sdk::Auth {
        let mut auth = entry.auth(token, now);
        let extra = self.identity_policies(entry);
        if !extra.is_empty() {
            auth.policies.extend(extra.iter().cloned());
            auth.policies.sort();
            auth.policies.dedup();
            auth.identity_policies = extra;
        }
        auth
    }

    /// Whether the token's entity is disabled or gone (its tokens are refused).
    pub(crate) fn entity_refused(&self, entry: &TokenEntry) -> bool {
        !entry.entity_id.is_empty() && self.identity.is_disabled(&entry.entity_id)
    }

    /// The ACL of a token: its policies and its entity's, templates rendered for the
    /// entity (a token without one gets nothing from templated rules).
    pub(crate) fn acl_of(&self, entry: &TokenEntry) -> Arc<Acl> {
        let mut names = entry.policies.clone();
        names.extend(self.identity_policies(entry));
        if !self.policies.any_templated(&names) {
            return self.policies.acl(&names);
        }
        let ctx = self.template_context(entry);
        self.policies.acl_rendered(&names, &ctx)
    }

    fn template_context(&self, entry: &TokenEntry) -> TemplateContext {
        self.identity
            .template_view(&entry.entity_id)
            .map(template_context)
            .unwrap_or_default()
    }

    /// Every policy name a token gets and its templating context (for listings).
    pub(crate) fn policy_names_and_context(
        &self,
        entry: &TokenEntry,
    ) -> (Vec<String>, TemplateContext) {
        let mut names = entry.policies.clone();
        names.extend(self.identity_policies(entry));
        (names, self.template_context(entry))
    }
}
