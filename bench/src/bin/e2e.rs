//! End-to-end dump benchmark: haul against the server's own binary COPY and pg_dump, on TPC-H
//! `lineitem` in the local PostgreSQL, in one run (DESIGN.md §7).
//!
//! ```text
//! tpchgen ──COPY FROM STDIN──► haul_bench_tpch_sf<scale>.lineitem   (once; reused by reruns)
//!                                     │
//!   per repetition, variants interleaved (order rotated), each after a quiet-machine gate:
//!     copy        psql "COPY lineitem TO STDOUT (FORMAT binary)" > /dev/null   ← the baseline
//!     copy2       2 × psql COPY over ctid halves (the best 2 streams can do)
//!     haul        haul dump URL DIR --jobs N --tables lineitem --quiet
//!     pg_dump     pg_dump -Fd -j N -t lineitem (gzip), pg_dump_z0 the same with -Z0
//!   then haul once per --rss-scales (peak RSS must not grow with the table)
//!                                     │
//!                                     ▼
//!   table + ratios + targets on stdout, bench/results/e2e-<UTC time>.json with every figure
//! ```
//!
//! Each process runs under GNU `time` (child peak RSS and CPU); server CPU comes from the
//! postmaster's process tree in `/proc`, and a repetition is marked noisy when CPU used by other
//! jobs on the (shared) machine, or by other databases' backends on the same server, exceeds
//! max(1 s, 5 % of wall × cores). Noisy repetitions are
//! retried (`--retries`) and left out of medians when clean ones exist. A haul run whose journal
//! does not hold exactly the table's rows counts as failed (and is retried): it did other work
//! than the one measured.
//!
//! `cargo run --release -p haul-bench --bin haul-e2e -- --scale 1`

#[path = "e2e/measure.rs"]
mod measure;
#[path = "e2e/procfs.rs"]
mod procfs;
#[path = "e2e/report.rs"]
mod report;
#[path = "e2e/tpch.rs"]
mod tpch;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use clap::Parser;
use serde::Serialize;

use crate::measure::{Cmd, Observed, Probe};
use crate::procfs::{Machine, QuietGate};
use crate::tpch::Dataset;

const VARIANTS: [&str; 5] = ["copy", "copy2", "haul", "pg_dump", "pg_dump_z0"];

/// End-to-end dump benchmark of haul against binary COPY and pg_dump on TPC-H lineitem.
#[derive(Debug, Clone, Parser, Serialize)]
#[command(name = "haul-e2e", max_term_width = 100)]
struct Args {
    /// TPC-H scale factor of the timed runs (fractions allowed: 0.1).
    #[arg(long, default_value_t = 1.0)]
    scale: f64,

    /// Server to use; databases `haul_bench_tpch_sf<scale>` are created on it.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    pg_url: String,

    /// Timed repetitions of each variant.
    #[arg(long, default_value_t = 3)]
    reps: usize,

    /// Subset to run (comma-separated): copy, copy2, haul, pg_dump, pg_dump_z0, rss.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "copy,copy2,haul,pg_dump,pg_dump_z0,rss"
    )]
    only: Vec<String>,

    /// Scales at which haul runs once more for the peak-RSS-versus-table-size check.
    #[arg(long, value_delimiter = ',', default_value = "0.1,1")]
    rss_scales: Vec<f64>,

    /// Runs of haul at each --rss-scales scale.
    #[arg(long, default_value_t = 1)]
    rss_reps: usize,

    /// --jobs for haul and -j for pg_dump.
    #[arg(long, default_value_t = 2)]
    jobs: u16,

    /// The haul binary to measure (default: `cargo build --release -p haul`, then
    /// `$CARGO_TARGET_DIR/release/haul`).
    #[arg(long)]
    haul: Option<PathBuf>,

    /// Extra arguments appended to `haul dump` (e.g. `--haul-arg=--chunk-bytes=64MiB`).
    #[arg(long = "haul-arg", allow_hyphen_values = true)]
    haul_args: Vec<String>,

    /// Where dump output goes (one subdirectory per run, removed after measuring).
    #[arg(long, default_value = "/tmp/haul-e2e")]
    work_dir: PathBuf,

    /// Keep every run's dump output under --work-dir.
    #[arg(long)]
    keep: bool,

    /// Where the JSON record goes.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/results"))]
    results_dir: PathBuf,

    /// Regenerate the data set even if a complete one exists.
    #[arg(long)]
    reload: bool,

    /// Concurrent COPY streams when loading (default: number of cores).
    #[arg(long)]
    load_streams: Option<usize>,

    /// Skip the untimed warm-up COPY that fills the page cache.
    #[arg(long)]
    no_warmup: bool,

    /// Before each repetition, wait until the machine is below this busy % over 1 s…
    #[arg(long, default_value_t = 20.0)]
    quiet_pct: f64,

    /// …for at most this many seconds.
    #[arg(long, default_value_t = 30)]
    quiet_wait: u64,

    /// Extra attempts for a repetition found noisy.
    #[arg(long, default_value_t = 1)]
    retries: usize,

    /// CPU timeline sampling interval in ms (0 = off).
    #[arg(long, default_value_t = 250)]
    sample_ms: u64,
}

/// One measured run of one variant.
#[derive(Debug, Clone, Serialize)]
pub struct Sample {
    pub variant: String,
    pub scale: f64,
    /// "timed", "rss" (peak-RSS run at another scale) or "warmup".
    pub kind: String,
    pub rep: usize,
    pub attempt: usize,
    /// Seconds since the start of the benchmark.
    pub at_s: f64,
    pub gate: QuietGate,
    pub noisy: bool,
    pub commands: Vec<String>,
    #[serde(flatten)]
    pub observed: Observed,
    pub output_bytes: Option<u64>,
    pub output_files: Option<u64>,
    /// haul: rows and chunks from `chunks.jsonl`; per-chunk seconds as haul recorded them.
    pub rows: Option<u64>,
    pub chunks: Option<usize>,
    pub chunk_seconds: Option<Vec<f64>>,
    /// haul: whether the journal's row total equals the table's row count.
    pub rows_ok: Option<bool>,
}

fn main() {
    if let Err(e) = run(Args::parse()) {
        eprintln!("error: {e:#}");
        std::process::exit(2);
    }
}

/// Everything the runs need besides the arguments.
struct Ctx {
    args: Args,
    haul: Option<PathBuf>,
    probe: Probe,
    nproc: usize,
    start: Instant,
}

fn run(args: Args) -> Result<()> {
    for o in &args.only {
        if !VARIANTS.contains(&o.as_str()) && o != "rss" {
            bail!(
                "unknown --only entry `{o}` (expected copy, copy2, haul, pg_dump, pg_dump_z0, rss)"
            );
        }
    }
    if args.reps == 0 {
        bail!("--reps must be at least 1");
    }
    let started_at = chrono::Utc::now();
    let machine = Machine::read();
    let want = |v: &str| args.only.iter().any(|o| o == v);
    let timed: Vec<&str> = VARIANTS.iter().copied().filter(|v| want(v)).collect();
    let rss_scales: Vec<f64> = if want("rss") {
        args.rss_scales.clone()
    } else {
        Vec::new()
    };

    // Data sets first: this is the slow part of a first run, and it needs no haul binary.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("tokio runtime")?;
    let streams = args.load_streams.unwrap_or(machine.nproc).max(1);
    let mut scales: Vec<f64> = Vec::new();
    if !timed.is_empty() {
        scales.push(args.scale);
    }
    for s in &rss_scales {
        if !scales.contains(s) {
            scales.push(*s);
        }
    }
    let mut datasets: Vec<Dataset> = Vec::new();
    for s in &scales {
        datasets.push(rt.block_on(tpch::ensure(&args.pg_url, *s, streams, args.reload))?);
    }
    let (postmaster, pg_version, pg_settings) = rt.block_on(server_facts(&args.pg_url))?;
    drop(rt);

    let haul = if want("haul") || !rss_scales.is_empty() {
        Some(haul_binary(&args)?)
    } else {
        None
    };
    let haul_info = serde_json::json!({
        "binary": haul.as_ref().map(|p| p.display().to_string()),
        // git_* describe the work tree now; with --haul, the binary may be older than that.
        "binary_modified": haul.as_ref().and_then(|p| fs::metadata(p).ok()?.modified().ok())
            .map(|t| chrono::DateTime::<chrono::Utc>::from(t).to_rfc3339()),
        "version": haul.as_ref().map(|p| output_of(p.as_os_str().to_str().unwrap_or("haul"), &["--version"])),
        "git_describe": git(&["describe", "--always", "--dirty", "--tags"]),
        "git_head": git(&["rev-parse", "HEAD"]),
        "git_changed_files": git(&["status", "--porcelain"]).map(|s| s.lines().count()),
    });
    let ctx = Ctx {
        args: args.clone(),
        haul,
        probe: Probe {
            postmaster,
            every: Duration::from_millis(args.sample_ms),
            tck: procfs::clock_ticks(),
            page_kib: procfs::page_kib(),
        },
        nproc: machine.nproc,
        start: Instant::now(),
    };
    eprintln!(
        "machine: {} cores, {:.1} GiB, {}, kernel {}; PostgreSQL {pg_version} (postmaster pid {postmaster})",
        machine.nproc,
        machine.mem_total_kib as f64 / 1048576.0,
        machine.cpu_model,
        machine.kernel
    );

    let mut samples: Vec<Sample> = Vec::new();
    if let Some(main) = datasets
        .iter()
        .find(|d| d.scale == args.scale)
        .filter(|_| !timed.is_empty())
    {
        for v in &timed {
            for c in commands(&ctx, v, main, Path::new("<dir>"))? {
                eprintln!("  {v}: {}", c.display());
            }
        }
        if !args.no_warmup {
            eprintln!(
                "warm-up: one untimed COPY of lineitem at scale {}",
                main.scale
            );
            let s = measure_one(&ctx, "copy", main, "warmup", 0, 0)?;
            eprintln!("  warm-up {:.2} s", s.observed.wall_s);
            samples.push(s);
        }
        for rep in 0..args.reps {
            for i in 0..timed.len() {
                let v = timed[(i + rep) % timed.len()];
                for attempt in 0..=args.retries {
                    let s = measure_one(&ctx, v, main, "timed", rep, attempt)?;
                    print_sample(&s);
                    // A wrong row count is haul's error, but a different chunk plan may not hit
                    // it (the key sample is random), so it is retried like noise.
                    let again = (s.noisy && s.observed.exit_ok) || s.rows_ok == Some(false);
                    let retry = again && attempt < args.retries;
                    samples.push(s);
                    if !retry {
                        break;
                    }
                }
            }
        }
    }
    for scale in &rss_scales {
        let d = datasets
            .iter()
            .find(|d| d.scale == *scale)
            .ok_or_else(|| anyhow!("no data set at {scale}"))?;
        for rep in 0..args.rss_reps {
            for attempt in 0..=args.retries {
                let s = measure_one(&ctx, "haul", d, "rss", rep, attempt)?;
                print_sample(&s);
                // Peak RSS hardly depends on other load; only a wrong dump is redone.
                let retry = s.rows_ok == Some(false) && attempt < args.retries;
                samples.push(s);
                if !retry {
                    break;
                }
            }
        }
    }

    let summaries = report::summarize(&samples);
    let ratios = report::ratios(&samples, &summaries);
    let targets = report::targets(&samples, &summaries, &ratios, args.jobs);
    let rss = report::rss_per_scale(&samples);
    let md = report::markdown(&summaries, &ratios, &targets, &rss);
    println!("\n{md}");
    for s in samples.iter().filter(|s| !s.observed.exit_ok) {
        println!(
            "FAILED {} (scale {}, rep {}): {}",
            s.variant,
            s.scale,
            s.rep,
            s.observed.error.as_deref().unwrap_or("")
        );
    }

    let finished_at = chrono::Utc::now();
    let mut recorded_args = serde_json::to_value(&args)?;
    recorded_args["pg_url"] = serde_json::Value::String(redact(&args.pg_url));
    let record = serde_json::json!({
        "format": "haul-e2e/1",
        "started_at": started_at.to_rfc3339(),
        "finished_at": finished_at.to_rfc3339(),
        "machine": machine,
        "postgres": { "version": pg_version, "settings": pg_settings },
        "tools": {
            "psql": output_of("psql", &["--version"]),
            "pg_dump": output_of("pg_dump", &["--version"]),
            "gnu_time": "/usr/bin/time -f '%e %M %U %S'",
        },
        "haul": haul_info,
        "args": recorded_args,
        "datasets": datasets.iter().map(|d| {
            let mut v = serde_json::to_value(d).unwrap_or_default();
            v["url"] = serde_json::Value::String(redact(&d.url));
            v
        }).collect::<Vec<_>>(),
        "summary": summaries,
        "ratios": ratios,
        "targets": targets,
        "rss_per_scale": rss,
        "samples": samples.iter().map(|s| redact_sample(s, &args.pg_url)).collect::<Vec<_>>(),
        "markdown": md,
    });
    fs::create_dir_all(&args.results_dir)
        .with_context(|| format!("creating {}", args.results_dir.display()))?;
    let path = args
        .results_dir
        .join(format!("e2e-{}.json", started_at.format("%Y%m%dT%H%M%SZ")));
    // Compact: the CPU timelines would make a pretty-printed record several times larger.
    fs::write(&path, serde_json::to_string(&record)? + "\n")
        .with_context(|| format!("writing {}", path.display()))?;
    println!("recorded {}", path.display());
    Ok(())
}

/// The processes of one variant; `dir` is its output directory.
fn commands(ctx: &Ctx, variant: &str, d: &Dataset, dir: &Path) -> Result<Vec<Cmd>> {
    let jobs = ctx.args.jobs.to_string();
    let dir_s = dir
        .to_str()
        .ok_or_else(|| anyhow!("non-UTF-8 path {}", dir.display()))?;
    let psql = |sql: &str| {
        Cmd::new(
            "psql",
            &["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &d.url, "-c", sql],
        )
    };
    Ok(match variant {
        "copy" => vec![psql("COPY lineitem TO STDOUT (FORMAT binary)")],
        "copy2" => {
            let half = d.heap_pages / 2;
            vec![
                psql(&format!(
                    "COPY (SELECT * FROM lineitem WHERE ctid < '({half},0)') TO STDOUT (FORMAT binary)"
                )),
                psql(&format!(
                    "COPY (SELECT * FROM lineitem WHERE ctid >= '({half},0)') TO STDOUT (FORMAT binary)"
                )),
            ]
        }
        "haul" => {
            let bin = ctx.haul.as_ref().ok_or_else(|| anyhow!("no haul binary"))?;
            let bin = bin
                .to_str()
                .ok_or_else(|| anyhow!("non-UTF-8 path {}", bin.display()))?;
            let mut c = Cmd::new(
                bin,
                &[
                    "dump", &d.url, dir_s, "--jobs", &jobs, "--tables", "lineitem", "--quiet",
                ],
            );
            c.args.extend(ctx.args.haul_args.iter().cloned());
            vec![c]
        }
        "pg_dump" => vec![Cmd::new(
            "pg_dump",
            &[
                "-d", &d.url, "-Fd", "-j", &jobs, "-t", "lineitem", "-f", dir_s,
            ],
        )],
        "pg_dump_z0" => {
            vec![Cmd::new(
                "pg_dump",
                &[
                    "-d", &d.url, "-Fd", "-j", &jobs, "-Z0", "-t", "lineitem", "-f", dir_s,
                ],
            )]
        }
        other => bail!("unknown variant {other}"),
    })
}

/// Quiet gate, setup, the run, output accounting, cleanup.
fn measure_one(
    ctx: &Ctx,
    variant: &str,
    d: &Dataset,
    kind: &str,
    rep: usize,
    attempt: usize,
) -> Result<Sample> {
    let dir = ctx
        .args
        .work_dir
        .join(format!("{variant}-sf{}-{kind}{rep}-a{attempt}", d.scale));
    remove_dir(&dir)?;
    let writes_files = !variant.starts_with("copy");
    let cmds = commands(ctx, variant, d, &dir)?;
    let gate = procfs::wait_quiet(ctx.args.quiet_pct, Duration::from_secs(ctx.args.quiet_wait))?;
    if !gate.quiet {
        eprintln!(
            "  note: machine still {:.0}% busy after {:.0} s; measuring {variant} anyway",
            gate.last_busy_pct, gate.waited_s
        );
    }
    let at_s = ctx.start.elapsed().as_secs_f64();
    let observed = measure::run(&cmds, &ctx.args.work_dir, &ctx.probe, &d.database)?;
    // Other jobs: on the machine, or on the same server (backends of other databases).
    let foreign = observed.other_cpu_s + observed.foreign_server_cpu_s;
    let noisy = foreign > f64::max(1.0, 0.05 * observed.wall_s * ctx.nproc as f64);
    let (output_bytes, output_files) = if writes_files {
        let (b, f) = measure::dir_size(&dir);
        (Some(b), Some(f))
    } else {
        (None, None)
    };
    let journal = if variant == "haul" {
        measure::haul_journal(&dir)
    } else {
        None
    };
    let mut observed = observed;
    let rows_ok = journal.as_ref().map(|j| j.0 == d.rows);
    if rows_ok == Some(false) && observed.exit_ok {
        // A dump with the wrong rows is not a measurement of the work asked for.
        let rows = journal.as_ref().map(|j| j.0).unwrap_or(0);
        observed.exit_ok = false;
        observed.error = Some(format!(
            "haul's journal records {rows} rows but {}.lineitem has {} (chunk ranges overlap or miss rows)",
            d.database, d.rows
        ));
    }
    if !ctx.args.keep {
        remove_dir(&dir)?;
    }
    Ok(Sample {
        variant: variant.to_string(),
        scale: d.scale,
        kind: kind.to_string(),
        rep,
        attempt,
        at_s,
        gate,
        noisy,
        commands: cmds.iter().map(Cmd::display).collect(),
        observed,
        output_bytes,
        output_files,
        rows: journal.as_ref().map(|j| j.0),
        chunks: journal.as_ref().map(|j| j.1),
        chunk_seconds: journal.map(|j| j.2),
        rows_ok,
    })
}

fn print_sample(s: &Sample) {
    let o = &s.observed;
    eprintln!(
        "{:<11} sf={:<4} {} rep {} try {}: {:>7.2} s  rss {:>6.1} MiB  client {:>5.1} s  server {:>5.1} s (other dbs {:.1})  other {:>4.1} s{}{}{}",
        s.variant,
        s.scale,
        s.kind,
        s.rep,
        s.attempt,
        o.wall_s,
        o.max_rss_kib as f64 / 1024.0,
        o.client_cpu_s,
        o.server_cpu_s,
        o.foreign_server_cpu_s,
        o.other_cpu_s,
        s.output_bytes
            .map(|b| format!("  out {:.1} MB", b as f64 / 1e6))
            .unwrap_or_default(),
        s.rows.map(|r| format!("  rows {r}")).unwrap_or_default(),
        match (o.exit_ok, s.noisy) {
            (false, _) => "  FAILED",
            (true, true) => "  NOISY",
            _ => "",
        }
    );
    if let Some(e) = &o.error {
        eprintln!("    {}", e.replace('\n', "\n    "));
    }
}

fn remove_dir(dir: &Path) -> Result<()> {
    match fs::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e).with_context(|| format!("removing {}", dir.display())),
    }
}

/// The postmaster's pid (parent of our backend), server version and key settings.
async fn server_facts(url: &str) -> Result<(u32, String, serde_json::Value)> {
    let client = tpch::connect(url).await?;
    let backend: i32 = client
        .query_one("SELECT pg_backend_pid()", &[])
        .await?
        .get(0);
    let backend = u32::try_from(backend).context("backend pid")?;
    let postmaster = procfs::read_stat(&PathBuf::from(format!("/proc/{backend}/stat")))
        .map(|s| s.ppid)
        .unwrap_or(0);
    if postmaster == 0 {
        eprintln!(
            "warning: server backend {backend} is not visible in /proc; server CPU will read 0"
        );
    }
    let version: String = client.query_one("SHOW server_version", &[]).await?.get(0);
    let names = [
        "shared_buffers",
        "work_mem",
        "maintenance_work_mem",
        "effective_cache_size",
        "max_wal_size",
        "checkpoint_timeout",
        "fsync",
        "synchronous_commit",
        "full_page_writes",
        "wal_level",
        "max_worker_processes",
        "max_parallel_workers",
        "max_parallel_workers_per_gather",
        "effective_io_concurrency",
        "huge_pages",
        "jit",
        "max_connections",
        "port",
        "listen_addresses",
    ];
    let mut settings = serde_json::Map::new();
    for n in names {
        if let Ok(row) = client.query_one(&format!("SHOW {n}"), &[]).await {
            settings.insert(n.to_string(), serde_json::Value::String(row.get(0)));
        }
    }
    Ok((postmaster, version, serde_json::Value::Object(settings)))
}

/// `--haul`, or build it with cargo and use `$CARGO_TARGET_DIR/release/haul`.
fn haul_binary(args: &Args) -> Result<PathBuf> {
    if let Some(p) = &args.haul {
        if !p.is_file() {
            bail!("--haul {} is not a file", p.display());
        }
        return Ok(p.clone());
    }
    let root = workspace_root();
    eprintln!(
        "building haul: cargo build --release -p haul (in {})",
        root.display()
    );
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "--release", "-p", "haul"])
        .current_dir(&root)
        .status()
        .context("running cargo build")?;
    if !status.success() {
        bail!(
            "cargo build --release -p haul failed ({status}); pass --haul PATH to use a prebuilt binary"
        );
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let target = if target.is_relative() {
        root.join(target)
    } else {
        target
    };
    let bin = target.join("release").join("haul");
    if !bin.is_file() {
        bail!("built haul but {} does not exist", bin.display());
    }
    Ok(bin)
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(workspace_root())
        .args(args)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn output_of(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    Some(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// `postgres://user:secret@host/db` → `postgres://user@host/db`.
fn redact(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_string();
    };
    let rest = &url[scheme_end..];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => {
            let userinfo = &rest[..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{user}{}", &url[..scheme_end], &rest[at..])
        }
        None => url.to_string(),
    }
}

fn redact_sample(s: &Sample, pg_url: &str) -> serde_json::Value {
    let mut v = serde_json::to_value(s).unwrap_or_default();
    if redact(pg_url) != pg_url
        && let Some(cmds) = v.get_mut("commands").and_then(|c| c.as_array_mut())
    {
        for c in cmds {
            if let Some(text) = c.as_str() {
                *c = serde_json::Value::String(redact_all(text));
            }
        }
    }
    v
}

/// Redacts every `postgres://…` URL inside a command line.
fn redact_all(text: &str) -> String {
    text.split(' ')
        .map(|w| {
            let bare = w.trim_matches('\'');
            if bare.starts_with("postgres://") || bare.starts_with("postgresql://") {
                redact(bare)
            } else {
                w.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords() {
        assert_eq!(redact("postgres://u:pw@h:5/db"), "postgres://u@h:5/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(
            redact_all("psql -d postgres://u:pw@h/db -c x"),
            "psql -d postgres://u@h/db -c x"
        );
    }

    #[test]
    fn arguments_parse() {
        let a = Args::try_parse_from([
            "haul-e2e",
            "--scale",
            "0.1",
            "--only",
            "copy,haul",
            "--rss-scales",
            "0.01,0.1",
        ])
        .expect("parses");
        assert_eq!(a.scale, 0.1);
        assert_eq!(a.only, ["copy", "haul"]);
        assert_eq!(a.rss_scales, [0.01, 0.1]);
    }
}
