//! The `tresor` binary: server, operator and client commands.
#![forbid(unsafe_code)]

mod cli;
mod commands;
mod config;
mod memlock;
mod output;
mod registry;
mod server;

/// mimalloc: the server makes many small short-lived allocations per request, and the
/// static musl build's own allocator is slow at that.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cli::run(cli::normalize_args(std::env::args_os()))
}
