//! `tresor auth enable|disable|list|tune`: auth methods (`sys/auth`).

use super::context::{with_ctx, ClientArgs};
use super::mounts::{self, Kind, MountCommand};
use clap::Args;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct AuthArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    #[command(subcommand)]
    pub cmd: MountCommand,
}

pub async fn run(a: AuthArgs) -> ExitCode {
    with_ctx(&a.client, |ctx| async move {
        mounts::run(&ctx, Kind::Auth, a.cmd).await
    })
    .await
}
