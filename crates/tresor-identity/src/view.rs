//! A plain view of an entity for policy templating (`{{identity.entity.name}}`,
//! `{{identity.entity.aliases.<accessor>.name}}`, `{{identity.groups.names.<name>.id}}`).
//! The core converts it into the policy crate's own context.

use crate::store::{groups_of, IdentityStore};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EntityView {
    pub id: String,
    pub name: String,
    pub metadata: BTreeMap<String, String>,
    /// By mount accessor (an entity has at most one alias per mount).
    pub aliases: BTreeMap<String, AliasView>,
    /// Every group the entity belongs to, direct ones first, each part sorted by ID.
    pub groups: Vec<GroupView>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AliasView {
    pub id: String,
    pub name: String,
    pub metadata: BTreeMap<String, String>,
    pub custom_metadata: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupView {
    pub id: String,
    pub name: String,
    pub metadata: BTreeMap<String, String>,
    /// Whether the group lists the entity itself (else it is inherited through a
    /// member group).
    pub direct: bool,
}

impl IdentityStore {
    /// What policy templates may refer to for this entity; `None` if it does not exist.
    pub fn template_view(&self, entity_id: &str) -> Option<EntityView> {
        let idx = self.index();
        let entity = idx.entity(entity_id)?;
        let aliases = entity
            .aliases
            .iter()
            .map(|a| {
                let view = AliasView {
                    id: a.id.clone(),
                    name: a.name.clone(),
                    metadata: a.metadata.clone(),
                    custom_metadata: a.custom_metadata.clone(),
                };
                (a.mount_accessor.clone(), view)
            })
            .collect();
        let member = groups_of(&idx, entity_id);
        let direct = member.direct.iter().map(|id| (id, true));
        let inherited = member.inherited.iter().map(|id| (id, false));
        let groups = direct
            .chain(inherited)
            .filter_map(|(id, direct)| {
                idx.group(id).map(|g| GroupView {
                    id: g.id.clone(),
                    name: g.name.clone(),
                    metadata: g.metadata.clone(),
                    direct,
                })
            })
            .collect();
        Some(EntityView {
            id: entity.id.clone(),
            name: entity.name.clone(),
            metadata: entity.metadata.clone(),
            aliases,
            groups,
        })
    }
}
