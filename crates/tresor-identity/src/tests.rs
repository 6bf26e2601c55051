//! Tests of the store and its HTTP API, driven through the test kit.

mod alias_api;
mod entity_api;
mod external_group_api;
mod external_login;
mod group_alias_api;
mod group_api;
mod login;
mod reload;
