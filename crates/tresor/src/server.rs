//! `tresor server`: from configuration (or `-dev`) to listening sockets.

mod banner;
mod dev;

use crate::cli::ServerArgs;
use crate::config::{Config, Listener, Storage};
use std::process::ExitCode;
use std::sync::Arc;
use tokio::net::TcpListener;
use tresor_core::{AuditSettings, Core, CoreConfig, DEFAULT_SYSTEM_TTL};
use tresor_storage::{Backend, InmemBackend};
use tresor_storage_sqlite::SqliteBackend;

pub async fn run(args: ServerArgs) -> ExitCode {
    match serve(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Error: {e:#}");
            ExitCode::from(1)
        }
    }
}

async fn serve(args: ServerArgs) -> anyhow::Result<()> {
    let config = if args.dev {
        dev::config(&args, &Config::load_all(&args.config)?)
    } else {
        load_config(&args)?
    };
    init_logging(
        args.log_level
            .as_deref()
            .or(config.log_level.as_deref())
            .unwrap_or("info"),
    )?;
    // Dev mode keeps everything in memory anyway; locking it would gain nothing.
    crate::memlock::protect_memory(config.disable_mlock || args.dev)?;

    let storage = config.storage.clone().unwrap_or(Storage::Inmem);
    let physical: Arc<dyn Backend> = match &storage {
        Storage::Inmem => Arc::new(InmemBackend::new()),
        Storage::File { path } => Arc::new(SqliteBackend::open(path)?),
    };
    let core = Arc::new(Core::new(
        physical,
        CoreConfig {
            storage_type: storage.type_name().to_owned(),
            cluster_name: config.cluster_name.clone(),
            registry: crate::registry::registry(),
            default_lease_ttl: config.default_lease_ttl.unwrap_or(DEFAULT_SYSTEM_TTL),
            max_lease_ttl: config.max_lease_ttl.unwrap_or(DEFAULT_SYSTEM_TTL),
            audit: AuditSettings {
                allow_api_creation: config.unsafe_allow_api_audit_creation,
                devices: config.audit.clone(),
            },
            ..CoreConfig::default()
        },
    ));
    let bound = bind_all(&config.listeners).await?;
    let dev_keys = if args.dev {
        Some(dev::initialize(&core, &args).await?)
    } else {
        None
    };
    banner::print(&config, &storage, args.dev);
    if let (Some(keys), Some(first)) = (&dev_keys, config.listeners.first()) {
        banner::print_dev(first, keys);
    }

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut tasks = Vec::new();
    for (listener, (socket, tls)) in config.listeners.iter().zip(bound) {
        let app = tresor_http::router(core.clone());
        let mut stop = stop_rx.clone();
        let shutdown = async move {
            let _ = stop.wait_for(|s| *s).await;
        };
        tracing::info!(address = %listener.address, tls = !listener.tls_disable, "listening");
        tasks.push(tokio::spawn(tresor_http::listener::serve(
            socket, tls, app, shutdown,
        )));
    }
    wait_for_signal().await;
    tracing::info!("shutting down");
    let _ = stop_tx.send(true);
    for t in tasks {
        let _ = t.await;
    }
    core.seal().await;
    Ok(())
}

fn load_config(args: &ServerArgs) -> anyhow::Result<Config> {
    if args.config.is_empty() {
        anyhow::bail!("no configuration given: use -config=FILE, or -dev for a development server");
    }
    let config = Config::load_all(&args.config)?;
    config.validate()?;
    Ok(config)
}

type Bound = (TcpListener, Option<Arc<rustls::ServerConfig>>);

/// Binds every listener before anything is served, so a bad address fails at start-up.
async fn bind_all(listeners: &[Listener]) -> anyhow::Result<Vec<Bound>> {
    let mut out = Vec::new();
    for l in listeners {
        let tls = if l.tls_disable {
            None
        } else {
            let (Some(cert), Some(key)) = (&l.tls_cert_file, &l.tls_key_file) else {
                anyhow::bail!(
                    "listener {}: TLS needs tls_cert_file and tls_key_file",
                    l.address
                );
            };
            Some(tresor_http::tls::server_config(
                cert,
                key,
                l.tls_min_version.as_deref(),
            )?)
        };
        let socket = TcpListener::bind(&l.address)
            .await
            .map_err(|e| anyhow::anyhow!("listening on {}: {e}", l.address))?;
        out.push((socket, tls));
    }
    Ok(out)
}

pub(crate) fn init_logging(level: &str) -> anyhow::Result<()> {
    let filter = match level.to_ascii_lowercase().as_str() {
        l @ ("trace" | "debug" | "info" | "warn" | "error") => l.to_owned(),
        "warning" => "warn".to_owned(),
        "err" => "error".to_owned(),
        other => {
            anyhow::bail!("unknown log level {other:?}: use trace, debug, info, warn or error")
        }
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(format!("warn,tresor={filter},tresor_core={filter},tresor_http={filter},tresor_storage_sqlite={filter},tresor_agent={filter}")))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
    Ok(())
}

pub(crate) async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    tokio::select! {
        _ = ctrl_c => {},
        _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => {},
    }
}
