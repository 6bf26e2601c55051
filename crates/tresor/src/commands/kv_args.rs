//! The flags and arguments of `tresor kv ...`, as the Vault CLI spells them.

use super::context::{ClientArgs, FieldArg};
use super::data_args;
use super::duration::{self, Duration};
use clap::{Args, Subcommand};

#[derive(Debug, Args)]
pub struct KvArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    #[command(subcommand)]
    pub cmd: KvCommand,
}

#[derive(Debug, Subcommand)]
pub enum KvCommand {
    /// Read a secret (a given version with -version on KV v2).
    Get(GetArgs),
    /// Write a secret, replacing it (a new version on KV v2).
    Put(PutArgs),
    /// Merge data into an existing KV v2 secret.
    Patch(PatchArgs),
    /// Delete a secret's latest version, or the -versions given (KV v2).
    Delete(VersionsArgs),
    /// Restore deleted versions of a KV v2 secret.
    Undelete(VersionsArgs),
    /// Destroy versions of a KV v2 secret for good.
    Destroy(VersionsArgs),
    /// List the keys under a path.
    List(ListArgs),
    /// Write an older version's data as the newest version (KV v2).
    Rollback(RollbackArgs),
    /// A KV v2 secret's metadata: get, put, delete.
    #[command(subcommand)]
    Metadata(MetadataCommand),
}

#[derive(Debug, Subcommand)]
pub enum MetadataCommand {
    /// Show a secret's metadata and its versions.
    Get(PathArgs),
    /// Set a secret's max versions, check-and-set requirement, deletion delay, custom metadata.
    Put(MetadataPutArgs),
    /// Delete a secret's metadata and all its versions.
    Delete(PathArgs),
}

/// `-mount=M`: the mount, given apart from the secret's path.
#[derive(Debug, Args, Clone, Default)]
pub struct MountArg {
    /// Where the KV engine is mounted; the path argument is then relative to it.
    #[arg(long, value_name = "PATH")]
    pub mount: Option<String>,
}

#[derive(Debug, Args)]
pub struct GetArgs {
    #[command(flatten)]
    pub mount: MountArg,
    #[command(flatten)]
    pub field: FieldArg,
    /// The version to read (KV v2); the latest when absent.
    #[arg(long, value_name = "N")]
    pub version: Option<u64>,
    pub path: String,
}

#[derive(Debug, Args)]
pub struct PutArgs {
    #[command(flatten)]
    pub mount: MountArg,
    #[command(flatten)]
    pub field: FieldArg,
    /// Check-and-set: 0 writes only if the secret does not exist, N only if N is current.
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub cas: Option<i64>,
    pub path: String,
    /// Data: `k=v`, `k=@file`, `k=-`, `@file.json` or `-` (a JSON object on stdin).
    #[arg(allow_hyphen_values = true)]
    pub data: Vec<String>,
}

#[derive(Debug, Args)]
pub struct PatchArgs {
    #[command(flatten)]
    pub put: PutArgs,
    /// `patch` (HTTP PATCH), `rw` (read, then write with check-and-set); by default
    /// PATCH, falling back to read-then-write when the server or the policy refuses it.
    #[arg(long, value_name = "METHOD")]
    pub method: Option<String>,
    /// Remove these keys from the secret.
    #[arg(long = "remove-data", value_name = "KEY")]
    pub remove_data: Vec<String>,
}

#[derive(Debug, Args)]
pub struct VersionsArgs {
    #[command(flatten)]
    pub mount: MountArg,
    /// Versions, comma-separated or repeated.
    #[arg(long, value_name = "N,...")]
    pub versions: Vec<String>,
    pub path: String,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub mount: MountArg,
    /// The path to list (may be omitted with -mount).
    pub path: Option<String>,
}

#[derive(Debug, Args)]
pub struct RollbackArgs {
    #[command(flatten)]
    pub mount: MountArg,
    #[command(flatten)]
    pub field: FieldArg,
    /// The version whose data becomes the newest version.
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub version: Option<i64>,
    pub path: String,
}

#[derive(Debug, Args)]
pub struct PathArgs {
    #[command(flatten)]
    pub mount: MountArg,
    #[command(flatten)]
    pub field: FieldArg,
    pub path: String,
}

#[derive(Debug, Args)]
pub struct MetadataPutArgs {
    #[command(flatten)]
    pub mount: MountArg,
    /// How many versions to keep (0: the engine's setting).
    #[arg(long = "max-versions", value_name = "N")]
    pub max_versions: Option<u64>,
    /// Require check-and-set on every write of this secret.
    #[arg(long = "cas-required", num_args = 0..=1, require_equals = true,
          default_missing_value = "true", value_parser = clap::builder::BoolishValueParser::new())]
    pub cas_required: Option<bool>,
    /// Delete versions this long after they are written (`30s`, `3h25m19s`).
    #[arg(long = "delete-version-after", value_name = "DURATION", value_parser = duration::parse_flag)]
    pub delete_version_after: Option<Duration>,
    /// Custom metadata `k=v`; may be repeated.
    #[arg(long = "custom-metadata", value_name = "K=V", value_parser = data_args::pair)]
    pub custom_metadata: Vec<(String, String)>,
    pub path: String,
}
