//! Unseal with many leases: how long unseal takes, how long the expiration manager needs
//! to schedule every stored lease again, what that costs in memory, and whether requests
//! are served meanwhile.
//!
//! ```sh
//! cargo run --release -p tresor-core --example unseal_leases -- --leases 1000000
//! ```
//!
//! The store is the server's embedded SQLite backend in a temporary directory (or
//! `--dir`). A first process initialises a core, writes the leases through the barrier in
//! large batches and seals; each measurement then runs in a fresh child process, so its
//! memory figures hold only what unseal and restore allocate. Options:
//! `--leases N` (default 100000), `--runs R` measurements on the same store (default 1),
//! `--dir D` keep the store in `D` and reuse it while it holds N leases none of which
//! has expired yet (the first expiries come 2 hours after it was filled),
//! `--cold` drop the page cache before each measurement (needs root).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tresor_core::expiration::{token_lease_id, LeaseEntry, Leased};
use tresor_core::{Core, CoreConfig, InitRequest};
use tresor_crypto::SecretBytes;
use tresor_sdk::{Data, Operation, Request};
use tresor_storage::Backend;
use tresor_storage_sqlite::SqliteBackend;

/// Leases per storage transaction while filling the store.
const WRITE_BATCH: usize = 5_000;
/// Pause between the requests sent while the leases are being restored.
const PROBE_EVERY: Duration = Duration::from_millis(20);
const META: &str = "bench-meta.json";

struct Args {
    leases: usize,
    runs: usize,
    dir: Option<PathBuf>,
    cold: bool,
    measure: Option<PathBuf>,
}

fn args() -> Args {
    let mut a = Args {
        leases: 100_000,
        runs: 1,
        dir: None,
        cold: false,
        measure: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--leases" => a.leases = value().replace('_', "").parse().expect("--leases N"),
            "--runs" => a.runs = value().parse().expect("--runs R"),
            "--dir" => a.dir = Some(value().into()),
            "--cold" => a.cold = true,
            "--measure" => a.measure = Some(value().into()),
            other => panic!("unknown option {other}; see the header of this file"),
        }
    }
    a
}

/// What the measuring process needs from the filling one.
#[derive(serde::Serialize, serde::Deserialize)]
struct Meta {
    leases: usize,
    unseal_key: String,
    root_token: String,
    sample_lease: String,
    /// Unix seconds before which no lease expires: a store is reused only until then,
    /// as the expiration task revokes what falls due.
    #[serde(default)]
    fresh_until: i64,
}

fn main() {
    let args = args();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    if let Some(dir) = &args.measure {
        let m = rt.block_on(measure(dir));
        println!("{}", serde_json::to_string(&m).unwrap());
        return;
    }
    let temp = tempfile::tempdir().unwrap();
    let dir = args.dir.clone().unwrap_or_else(|| temp.path().to_owned());
    let reuse = read_meta(&dir)
        .is_some_and(|m| m.leases == args.leases && m.fresh_until > unix_now() + 600);
    if reuse {
        println!(
            "reusing the store in {} ({} leases)",
            dir.display(),
            args.leases
        );
    } else {
        let started = Instant::now();
        rt.block_on(fill(&dir, args.leases));
        let secs = started.elapsed().as_secs_f64();
        println!(
            "wrote {} leases in {secs:.1} s ({:.0}/s); store {:.0} MiB",
            args.leases,
            args.leases as f64 / secs,
            dir_size(&dir.join("data")) as f64 / 1048576.0
        );
    }
    drop(rt);
    let mut rows = Vec::new();
    for _ in 0..args.runs {
        if args.cold {
            drop_page_cache();
        }
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .arg("--measure")
            .arg(&dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let line = String::from_utf8_lossy(&out.stdout);
        rows.push(serde_json::from_str::<Measured>(line.trim()).unwrap());
    }
    print_table(args.leases, args.cold, &rows);
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn read_meta(dir: &Path) -> Option<Meta> {
    serde_json::from_slice(&std::fs::read(dir.join(META)).ok()?).ok()
}

fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|it| {
            it.flatten()
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

fn drop_page_cache() {
    let synced = std::process::Command::new("sync").status();
    let dropped = std::fs::write("/proc/sys/vm/drop_caches", "3");
    if synced.is_err() || dropped.is_err() {
        eprintln!("warning: could not drop the page cache (not root?); this run is warm");
    }
}

fn open_core(dir: &Path) -> Core {
    let physical: Arc<dyn Backend> = Arc::new(SqliteBackend::open(&dir.join("data")).unwrap());
    Core::new(
        physical,
        CoreConfig {
            storage_type: "file".into(),
            ..CoreConfig::default()
        },
    )
}

/// A small deterministic generator (xorshift64*): the same store for the same N.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn base62(&mut self, len: usize) -> String {
        const ABC: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        (0..len)
            .map(|_| ABC[self.below(62) as usize] as char)
            .collect()
    }

    fn hex(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| char::from_digit(self.below(16) as u32, 16).unwrap())
            .collect()
    }
}

/// The first expiry, after the store is filled; expiries spread over the next 24 hours.
const FIRST_EXPIRY_SECS: i64 = 2 * 3600;

/// One lease of a realistic mix: 50 % database credentials, 20 % cloud credentials,
/// 30 % service tokens; secrets belong to one of 2,000 tokens; expiries are spread over
/// 2 to 26 hours from now.
fn lease(rng: &mut Rng, owners: &[String], now: i64) -> LeaseEntry {
    let issue_time = now - rng.below(3600) as i64;
    let expire_time = now + FIRST_EXPIRY_SECS + rng.below(24 * 3600) as i64;
    let kind = rng.below(10);
    let (id, path, leased, owner, internal) = if kind < 7 {
        let (path, accessor, rel) = if kind < 5 {
            ("database/creds/ro", "database_5f3a9c1e", "creds/ro")
        } else {
            ("aws/creds/deploy", "aws_0b7d2e44", "creds/deploy")
        };
        let mut internal = Data::new();
        internal.insert("username".into(), format!("v-ro-{}", rng.base62(20)).into());
        let owner = owners[rng.below(owners.len() as u64) as usize].clone();
        let leased = Leased::Secret {
            mount_accessor: accessor.into(),
            rel_path: rel.into(),
            max_ttl: 0,
        };
        let id = format!("{path}/{}", rng.base62(24));
        (id, path, leased, owner, internal)
    } else {
        let sid = rng.hex(64);
        let id = token_lease_id("auth/token/create", &sid);
        let leased = Leased::Token { sid: sid.clone() };
        (id, "auth/token/create", leased, sid, Data::new())
    };
    LeaseEntry {
        id,
        path: path.into(),
        leased,
        owner: Some(owner),
        internal,
        issue_time,
        expire_time,
        last_renewal: None,
        renewable: true,
    }
}

/// Initialises a core in `dir`, stores `n` leases through the barrier and seals.
async fn fill(dir: &Path, n: usize) {
    let _ = std::fs::remove_dir_all(dir.join("data"));
    let _ = std::fs::remove_file(dir.join(META));
    let core = open_core(dir);
    let init = core
        .initialize(InitRequest {
            secret_shares: 1,
            secret_threshold: 1,
            ..InitRequest::default()
        })
        .await
        .unwrap();
    let key = init.shares.first().unwrap().clone();
    core.unseal_with_key(&key).await.unwrap();
    let now = unix_now();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ n as u64);
    let owners: Vec<String> = (0..2_000).map(|_| rng.hex(64)).collect();
    let mut sample_lease = String::new();
    let mut written = 0;
    while written < n {
        let batch: Vec<LeaseEntry> = (0..WRITE_BATCH.min(n - written))
            .map(|_| lease(&mut rng, &owners, now))
            .collect();
        if sample_lease.is_empty() {
            sample_lease = batch[0].id.clone();
        }
        core.store_leases(&batch).await.unwrap();
        written += batch.len();
    }
    core.seal().await;
    let meta = Meta {
        leases: n,
        unseal_key: hex::encode(key.expose()),
        root_token: init.root_token.expose().to_owned(),
        sample_lease,
        fresh_until: now + FIRST_EXPIRY_SECS,
    };
    std::fs::write(dir.join(META), serde_json::to_vec(&meta).unwrap()).unwrap();
}

/// One measurement, in the child process.
#[derive(serde::Serialize, serde::Deserialize)]
struct Measured {
    unseal_ms: f64,
    restored_ms: f64,
    scheduled: usize,
    lookup_first_ms: f64,
    lookup_self_first_ms: f64,
    restored_at_first: bool,
    probes_during: usize,
    probe_p50_ms: f64,
    probe_max_ms: f64,
    lookup_after_ms: f64,
    rss_before_mib: f64,
    rss_after_mib: f64,
    hwm_mib: f64,
}

fn status_mib(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<f64>()
                .ok()
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn timed(core: &Core, req: Request) -> f64 {
    let started = Instant::now();
    core.handle(req).await.unwrap();
    ms(started.elapsed())
}

async fn measure(dir: &Path) -> Measured {
    let meta = read_meta(dir).unwrap();
    let core = open_core(dir);
    let key = SecretBytes::new(hex::decode(&meta.unseal_key).unwrap());
    let lookup = || {
        let mut data = Data::new();
        data.insert("lease_id".into(), meta.sample_lease.clone().into());
        Request::new(Operation::Update, "sys/leases/lookup")
            .with_data(data)
            .with_token(meta.root_token.clone())
    };
    let rss_before_mib = status_mib("VmRSS:");

    let started = Instant::now();
    core.unseal_with_key(&key).await.unwrap();
    let unseal_ms = ms(started.elapsed());
    let restored_at_first = core.leases_restored();
    let lookup_first_ms = timed(&core, lookup()).await;
    let self_req =
        Request::new(Operation::Read, "auth/token/lookup-self").with_token(meta.root_token.clone());
    let lookup_self_first_ms = timed(&core, self_req).await;

    let mut probes = Vec::new();
    while !core.leases_restored() {
        probes.push(timed(&core, lookup()).await);
        tokio::time::sleep(PROBE_EVERY).await;
    }
    let restored_ms = ms(started.elapsed());
    let lookup_after_ms = timed(&core, lookup()).await;
    probes.sort_by(f64::total_cmp);
    Measured {
        unseal_ms,
        restored_ms,
        scheduled: core.leases_scheduled(),
        lookup_first_ms,
        lookup_self_first_ms,
        restored_at_first,
        probes_during: probes.len(),
        probe_p50_ms: probes.get(probes.len() / 2).copied().unwrap_or(0.0),
        probe_max_ms: probes.last().copied().unwrap_or(0.0),
        lookup_after_ms,
        rss_before_mib,
        rss_after_mib: status_mib("VmRSS:"),
        hwm_mib: status_mib("VmHWM:"),
    }
}

fn print_table(leases: usize, cold: bool, rows: &[Measured]) {
    println!(
        "\n{leases} leases, SQLite store, {} page cache\n",
        if cold { "cold" } else { "warm" }
    );
    println!(
        "| run | unseal returns | all leases scheduled | scheduled | first lookup / lookup-self after unseal | lookups during restore (n, p50, max) | RSS before -> after restore (peak) |"
    );
    println!("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (i, m) in rows.iter().enumerate() {
        println!(
            "| {} | {:.1} ms | {:.2} s | {} | {:.2} / {:.2} ms{} | {}, {:.2} ms, {:.1} ms | {:.1} -> {:.1} MiB ({:.1}) |",
            i + 1,
            m.unseal_ms,
            m.restored_ms / 1000.0,
            m.scheduled,
            m.lookup_first_ms,
            m.lookup_self_first_ms,
            if m.restored_at_first { " (already restored)" } else { "" },
            m.probes_during,
            m.probe_p50_ms,
            m.probe_max_ms,
            m.rss_before_mib,
            m.rss_after_mib,
            m.hwm_mib,
        );
        if m.scheduled != leases {
            println!("warning: {} leases scheduled, {leases} stored", m.scheduled);
        }
    }
}
