//! Tests of the engine against the real PostgreSQL server of the machine
//! (127.0.0.1:5432, user `postgres`): each test makes its own admin role and names
//! everything it creates with its own random prefix, and drops it all at the end.

mod harness;
mod paths;
mod pg;
mod pg_config;
mod pg_dynamic;
mod pg_injection;
mod pg_static;
