//! What every client command shares: the connection and output flags, the client built
//! from them, and the small steps every command takes (call, report an error, print).

use super::fail;
use super::secret::Secret;
use crate::output::Format;
use clap::Args;
use serde_json::Value;
use std::path::PathBuf;
use std::process::ExitCode;
use tresor_api::{Call, Client, Settings};

/// A command's result: its exit code, or the exit code of the error it already reported.
pub type Run = Result<ExitCode, ExitCode>;

/// Flags accepted by every client command, before or after its subcommand name.
#[derive(Debug, Args, Clone, Default)]
pub struct ClientArgs {
    /// The server's address (overrides VAULT_ADDR).
    #[arg(long, global = true, value_name = "URL")]
    pub address: Option<String>,
    /// A PEM file of CA certificates to verify the server with (overrides VAULT_CACERT).
    #[arg(long = "ca-cert", global = true, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
    /// Do not verify the server's certificate (overrides VAULT_SKIP_VERIFY).
    #[arg(long = "tls-skip-verify", global = true, num_args = 0..=1, require_equals = true,
          default_missing_value = "true", value_parser = clap::builder::BoolishValueParser::new())]
    pub tls_skip_verify: Option<bool>,
    /// A PEM client certificate for TLS client authentication (overrides VAULT_CLIENT_CERT).
    #[arg(long = "client-cert", global = true, value_name = "FILE")]
    pub client_cert: Option<PathBuf>,
    /// The client certificate's PEM private key (overrides VAULT_CLIENT_KEY).
    #[arg(long = "client-key", global = true, value_name = "FILE")]
    pub client_key: Option<PathBuf>,
    /// Output format: table, json or yaml (default: VAULT_FORMAT, else table).
    #[arg(long, global = true, value_enum)]
    pub format: Option<Format>,
}

/// `-field=NAME`: print only that field's value.
#[derive(Debug, Args, Clone, Default)]
pub struct FieldArg {
    /// Print only this field's value, raw.
    #[arg(long, value_name = "NAME")]
    pub field: Option<String>,
}

/// A client and the output format chosen for one command.
pub struct Ctx {
    pub client: Client,
    pub format: Format,
}

impl ClientArgs {
    /// The client for these flags and the environment.
    pub fn connect(&self) -> Result<Ctx, ExitCode> {
        let format = match self.format {
            Some(f) => f,
            None => Format::from_env().map_err(|e| local(&e))?,
        };
        let mut settings = Settings::from_env();
        if let Some(addr) = &self.address {
            settings.address = addr.clone();
        }
        if let Some(ca) = &self.ca_cert {
            settings.ca_cert = Some(ca.clone());
        }
        if let Some(skip) = self.tls_skip_verify {
            settings.skip_verify = skip;
        }
        if let Some(cert) = &self.client_cert {
            settings.client_cert = Some(cert.clone());
        }
        if let Some(key) = &self.client_key {
            settings.client_key = Some(key.clone());
        }
        let client = Client::new(settings).map_err(|e| fail("Error creating the client", &e))?;
        Ok(Ctx { client, format })
    }
}

impl Ctx {
    /// Sends `call`; a failure is reported as `context: error`.
    pub async fn call(&self, context: &str, call: Call<'_>) -> Result<Option<Value>, ExitCode> {
        self.client.call(call).await.map_err(|e| fail(context, &e))
    }

    /// Reads with Vault's 404 rules; a failure is reported as `context: error`.
    pub async fn read(&self, context: &str, call: Call<'_>) -> Result<Option<Secret>, ExitCode> {
        match self.client.read(call).await {
            Ok(Some(v)) => Secret::from_value(v).map(Some).map_err(|e| local(&e)),
            Ok(None) => Ok(None),
            Err(e) => Err(fail(context, &e)),
        }
    }

    /// Sends `call` and reads its answer, if any, as a secret.
    pub async fn secret(&self, context: &str, call: Call<'_>) -> Result<Option<Secret>, ExitCode> {
        match self.call(context, call).await? {
            Some(v) => Secret::from_value(v).map(Some).map_err(|e| local(&e)),
            None => Ok(None),
        }
    }

    /// Prints `msg` unless the output is JSON or YAML (Vault prints success lines only
    /// in table format).
    pub fn info(&self, msg: &str) {
        if self.format == Format::Table {
            println!("{msg}");
        }
    }
}

/// Reports a local error (bad input, nothing to send): exit 1.
pub fn local(msg: &str) -> ExitCode {
    eprintln!("{msg}");
    ExitCode::from(1)
}

/// Reports an error about what the server answered: exit 2.
pub fn remote(msg: &str) -> ExitCode {
    eprintln!("{msg}");
    ExitCode::from(2)
}

/// Connects with `args`, runs `command` with the context and returns its exit code.
pub async fn with_ctx<F, Fut>(args: &ClientArgs, command: F) -> ExitCode
where
    F: FnOnce(Ctx) -> Fut,
    Fut: std::future::Future<Output = Run>,
{
    match args.connect() {
        Ok(ctx) => finish(command(ctx).await),
        Err(code) => code,
    }
}

/// Both arms of a [`Run`] as one exit code.
pub fn finish(run: Run) -> ExitCode {
    run.unwrap_or_else(|code| code)
}
