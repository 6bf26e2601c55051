//! The `tresor` binary: server, operator and client commands.
#![forbid(unsafe_code)]

mod cli;
mod commands;
mod config;
mod memlock;
mod output;
mod registry;
mod server;

fn main() -> std::process::ExitCode {
    cli::run(cli::normalize_args(std::env::args_os()))
}
