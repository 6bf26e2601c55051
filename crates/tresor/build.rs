//! Link options of the shipped (static musl) binary.
//!
//! `-z pack-relative-relocs` stores the relocations of the position-independent executable
//! as RELR (a few KiB instead of about 1 MiB of RELA entries, all read at every start).
//! The self-contained musl that Rust links handles RELR; glibc builds keep the default
//! so that they still run on a loader older than 2.36.
fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let target_env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if target_os == "linux" && target_env == "musl" {
        println!("cargo::rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}
