//! The in-memory index over everything the store holds: entities by ID and name, aliases
//! by ID and by (mount accessor, name), groups by ID and name, group aliases by ID and by
//! (mount accessor, name), and the reverse edges of group membership. Names are matched
//! without regard to case, as Vault does. Entity and group aliases are apart: an entity
//! alias and a group alias may share a mount and a name.
//!
//! Only [`Index::apply`] changes it, with a [`Change`] already written to storage.

use crate::model::{Alias, Entity, Group, GroupAlias};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Writes that go to storage in one batch, then into the index.
#[derive(Debug, Default)]
pub struct Change {
    pub put_entities: Vec<Entity>,
    pub delete_entities: Vec<String>,
    pub put_groups: Vec<Group>,
    pub delete_groups: Vec<String>,
}

impl Change {
    pub fn is_empty(&self) -> bool {
        self.put_entities.is_empty()
            && self.delete_entities.is_empty()
            && self.put_groups.is_empty()
            && self.delete_groups.is_empty()
    }
}

/// An alias's unique key: the mount accessor and the lower-cased name.
type AliasKey = (String, String);

fn alias_key(accessor: &str, name: &str) -> AliasKey {
    (accessor.to_owned(), name.to_lowercase())
}

#[derive(Debug, Default)]
pub struct Index {
    entities: BTreeMap<String, Entity>,
    entity_names: HashMap<String, String>,
    /// Alias ID -> entity ID.
    aliases: HashMap<String, String>,
    alias_keys: HashMap<AliasKey, String>,
    groups: BTreeMap<String, Group>,
    group_names: HashMap<String, String>,
    /// Group alias ID -> group ID.
    group_aliases: HashMap<String, String>,
    group_alias_keys: HashMap<AliasKey, String>,
    /// Entity ID -> the groups that list it as a member.
    entity_groups: HashMap<String, BTreeSet<String>>,
    /// Group ID -> the groups that list it as a member group.
    group_parents: HashMap<String, BTreeSet<String>>,
}

impl Index {
    /// Applies a change: every old version goes first, then the new ones come in, so an
    /// alias or a name may move between two entries of one change.
    pub fn apply(&mut self, change: Change) {
        let old_entities = change.put_entities.iter().map(|e| e.id.as_str());
        let old_entities: Vec<String> = old_entities
            .chain(change.delete_entities.iter().map(String::as_str))
            .map(str::to_owned)
            .collect();
        for id in old_entities {
            self.remove_entity(&id);
        }
        let old_groups = change.put_groups.iter().map(|g| g.id.as_str());
        let old_groups: Vec<String> = old_groups
            .chain(change.delete_groups.iter().map(String::as_str))
            .map(str::to_owned)
            .collect();
        for id in old_groups {
            self.remove_group(&id);
        }
        // Planned writes never collide: the planners check names and alias keys.
        for entity in change.put_entities {
            self.insert_entity(entity);
        }
        for group in change.put_groups {
            self.insert_group(group);
        }
    }

    /// Adds an entity. An entry whose name or alias another entry already holds (which
    /// only damaged storage can hold) is kept, but only the first holder is found
    /// through it; the answer is then `false`.
    pub fn insert_entity(&mut self, mut entity: Entity) -> bool {
        let mut free = claim(
            &mut self.entity_names,
            entity.name.to_lowercase(),
            &entity.id,
        );
        for alias in &mut entity.aliases {
            alias.canonical_id.clone_from(&entity.id);
            free &= claim(&mut self.aliases, alias.id.clone(), &entity.id);
            let key = alias_key(&alias.mount_accessor, &alias.name);
            free &= claim(&mut self.alias_keys, key, &alias.id);
        }
        self.entities.insert(entity.id.clone(), entity);
        free
    }

    fn remove_entity(&mut self, id: &str) {
        let Some(entity) = self.entities.remove(id) else {
            return;
        };
        remove_if(&mut self.entity_names, &entity.name.to_lowercase(), id);
        for alias in &entity.aliases {
            remove_if(&mut self.aliases, &alias.id, id);
            remove_if(
                &mut self.alias_keys,
                &alias_key(&alias.mount_accessor, &alias.name),
                &alias.id,
            );
        }
    }

    /// Adds a group; `false` when another group already holds its name or its alias.
    pub fn insert_group(&mut self, mut group: Group) -> bool {
        let mut free = claim(&mut self.group_names, group.name.to_lowercase(), &group.id);
        if let Some(alias) = &mut group.alias {
            alias.canonical_id.clone_from(&group.id);
            free &= claim(&mut self.group_aliases, alias.id.clone(), &group.id);
            let key = alias_key(&alias.mount_accessor, &alias.name);
            free &= claim(&mut self.group_alias_keys, key, &alias.id);
        }
        for member in &group.member_entity_ids {
            let of = self.entity_groups.entry(member.clone()).or_default();
            of.insert(group.id.clone());
        }
        for member in &group.member_group_ids {
            let of = self.group_parents.entry(member.clone()).or_default();
            of.insert(group.id.clone());
        }
        self.groups.insert(group.id.clone(), group);
        free
    }

    fn remove_group(&mut self, id: &str) {
        let Some(group) = self.groups.remove(id) else {
            return;
        };
        remove_if(&mut self.group_names, &group.name.to_lowercase(), id);
        if let Some(alias) = &group.alias {
            remove_if(&mut self.group_aliases, &alias.id, id);
            remove_if(
                &mut self.group_alias_keys,
                &alias_key(&alias.mount_accessor, &alias.name),
                &alias.id,
            );
        }
        for member in &group.member_entity_ids {
            remove_edge(&mut self.entity_groups, member, id);
        }
        for member in &group.member_group_ids {
            remove_edge(&mut self.group_parents, member, id);
        }
    }

    pub fn entity(&self, id: &str) -> Option<&Entity> {
        self.entities.get(id)
    }

    pub fn entity_by_name(&self, name: &str) -> Option<&Entity> {
        let id = self.entity_names.get(&name.to_lowercase())?;
        self.entities.get(id)
    }

    /// The entity holding the alias with this ID, and the alias.
    pub fn alias(&self, alias_id: &str) -> Option<(&Entity, &Alias)> {
        let entity = self.entities.get(self.aliases.get(alias_id)?)?;
        let alias = entity.aliases.iter().find(|a| a.id == alias_id)?;
        Some((entity, alias))
    }

    pub fn alias_by_name(&self, accessor: &str, name: &str) -> Option<(&Entity, &Alias)> {
        self.alias(self.alias_keys.get(&alias_key(accessor, name))?)
    }

    pub fn entities(&self) -> impl Iterator<Item = &Entity> {
        self.entities.values()
    }

    pub fn group(&self, id: &str) -> Option<&Group> {
        self.groups.get(id)
    }

    pub fn group_by_name(&self, name: &str) -> Option<&Group> {
        let id = self.group_names.get(&name.to_lowercase())?;
        self.groups.get(id)
    }

    pub fn groups(&self) -> impl Iterator<Item = &Group> {
        self.groups.values()
    }

    /// The group holding the group alias with this ID, and the alias.
    pub fn group_alias(&self, alias_id: &str) -> Option<(&Group, &GroupAlias)> {
        let group = self.groups.get(self.group_aliases.get(alias_id)?)?;
        let alias = group.alias.as_ref().filter(|a| a.id == alias_id)?;
        Some((group, alias))
    }

    pub fn group_alias_by_name(&self, accessor: &str, name: &str) -> Option<(&Group, &GroupAlias)> {
        self.group_alias(self.group_alias_keys.get(&alias_key(accessor, name))?)
    }

    /// The groups that list the entity as a member.
    pub fn direct_groups(&self, entity_id: &str) -> BTreeSet<String> {
        self.entity_groups
            .get(entity_id)
            .cloned()
            .unwrap_or_default()
    }

    /// The groups that list this group as a member group.
    pub fn parent_groups(&self, group_id: &str) -> BTreeSet<String> {
        self.group_parents
            .get(group_id)
            .cloned()
            .unwrap_or_default()
    }

    /// Every ancestor of `start` (parents, their parents...), without `start` itself
    /// unless a cycle leads back to it. Stops at groups already seen, so it ends even on
    /// cyclic data.
    pub fn ancestors(&self, start: &BTreeSet<String>) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut todo: Vec<&str> = start.iter().map(String::as_str).collect();
        while let Some(id) = todo.pop() {
            for parent in self.group_parents.get(id).into_iter().flatten() {
                if seen.insert(parent.clone()) {
                    todo.push(parent);
                }
            }
        }
        seen
    }

    /// Whether `target` is `from` or is reachable from it through `member_group_ids`.
    pub fn reaches(&self, from: &str, target: &str) -> bool {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from];
        while let Some(id) = todo.pop() {
            if id == target {
                return true;
            }
            if !seen.insert(id) {
                continue;
            }
            if let Some(group) = self.groups.get(id) {
                todo.extend(group.member_group_ids.iter().map(String::as_str));
            }
        }
        false
    }
}

/// Maps `key` to `value` unless another value holds it; whether `value` holds it now.
fn claim<K: std::hash::Hash + Eq>(map: &mut HashMap<K, String>, key: K, value: &str) -> bool {
    map.entry(key).or_insert_with(|| value.to_owned()) == value
}

fn remove_if<K: std::hash::Hash + Eq>(map: &mut HashMap<K, String>, key: &K, value: &str) {
    if map.get(key).is_some_and(|v| v == value) {
        map.remove(key);
    }
}

fn remove_edge(map: &mut HashMap<String, BTreeSet<String>>, member: &str, group: &str) {
    if let Some(set) = map.get_mut(member) {
        set.remove(group);
        if set.is_empty() {
            map.remove(member);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(id: &str, members: &[&str]) -> Group {
        Group {
            id: id.into(),
            name: id.to_uppercase(),
            kind: "internal".into(),
            policies: vec![],
            member_entity_ids: vec![],
            member_group_ids: members.iter().map(|m| m.to_string()).collect(),
            metadata: BTreeMap::new(),
            alias: None,
            creation_time: String::new(),
            last_update_time: String::new(),
            modify_index: 1,
        }
    }

    #[test]
    fn graph_queries_end_on_cycles() {
        let mut idx = Index::default();
        // Stored data with a cycle (a -> b -> c -> a) must never loop.
        idx.insert_group(group("a", &["b"]));
        idx.insert_group(group("b", &["c"]));
        idx.insert_group(group("c", &["a"]));
        idx.insert_group(group("d", &["a"]));
        let start = BTreeSet::from(["a".to_owned()]);
        let up: Vec<String> = idx.ancestors(&start).into_iter().collect();
        assert_eq!(up, ["a", "b", "c", "d"]);
        assert!(idx.reaches("d", "c"));
        assert!(!idx.reaches("a", "d"));
        assert_eq!(idx.group_by_name("b").unwrap().id, "b");
    }

    #[test]
    fn apply_moves_names_between_entries() {
        let mut idx = Index::default();
        idx.insert_group(group("a", &[]));
        let mut renamed = group("a", &[]);
        renamed.name = "other".into();
        let mut taker = group("b", &[]);
        taker.name = "A".into();
        idx.apply(Change {
            put_groups: vec![taker, renamed],
            ..Change::default()
        });
        assert_eq!(idx.group_by_name("a").unwrap().id, "b");
        assert_eq!(idx.group_by_name("OTHER").unwrap().id, "a");
    }

    fn group_alias(id: &str, name: &str) -> GroupAlias {
        GroupAlias {
            id: id.into(),
            canonical_id: String::new(),
            name: name.into(),
            mount_accessor: "acc".into(),
            mount_type: String::new(),
            mount_path: String::new(),
            creation_time: String::new(),
            last_update_time: String::new(),
        }
    }

    #[test]
    fn group_aliases_move_between_groups_and_clash_on_load() {
        let mut idx = Index::default();
        let mut a = group("a", &[]);
        a.alias = Some(group_alias("x", "Team"));
        assert!(idx.insert_group(a.clone()));
        let mut b = group("b", &[]);
        b.alias = a.alias.take();
        idx.apply(Change {
            put_groups: vec![b, a],
            ..Change::default()
        });
        let (holder, alias) = idx.group_alias_by_name("acc", "TEAM").unwrap();
        assert_eq!(
            (holder.id.as_str(), alias.canonical_id.as_str()),
            ("b", "b")
        );
        assert!(idx.group_alias_by_name("other", "team").is_none());
        assert!(idx.group("a").unwrap().alias.is_none());
        // Damaged storage: a second group with the same alias keys loads, unfound.
        let mut c = group("c", &[]);
        c.alias = Some(group_alias("y", "team"));
        assert!(!idx.insert_group(c));
        assert_eq!(idx.group_alias_by_name("acc", "team").unwrap().0.id, "b");
        assert_eq!(idx.group_alias("y").unwrap().0.id, "c");
    }
}
