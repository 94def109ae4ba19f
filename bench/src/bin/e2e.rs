//! End-to-end benchmark of haul against the tools and server paths it replaces, on TPC-H data in
//! the local PostgreSQL, every comparison in one interleaved run (DESIGN.md §7):
//!
//! ```text
//! tpchgen ──COPY FROM STDIN──► haul_bench_tpch_sf<scale>   (once; reused by reruns)
//!                                     │
//!   dump (lineitem):  copy       psql "COPY lineitem TO STDOUT (FORMAT binary)" > /dev/null  ← baseline
//!                     copy2      2 × psql COPY over ctid halves (the best 2 streams can do)
//!                     haul       haul dump URL DIR --jobs N --tables lineitem --quiet
//!                     pg_dump    pg_dump -Fd -j N -t lineitem (gzip), pg_dump_z0 the same with -Z0
//!   load (all 8 tables, PKs):   haul_load ÷ pg_restore, ÷ copy_from, ÷ copy_from_pk (e2e/load.rs)
//!   copy (all 8 tables, PKs):   haul_copy ÷ pgcopydb                          (e2e/load.rs)
//!   on MariaDB (e2e/tpch_mysql.rs makes haul_bench_tpch_sf<scale> there), all 8 tables, PKs:
//!     my-dump: haul_my_dump ÷ mydumper, ÷ mydumper_c (gzip), ÷ mydumper_rows   (e2e/mysql.rs)
//!     my-load: haul_my_load ÷ myloader, ÷ myloader_rows (each from its own tool's dump)
//!     my-copy: haul_my_copy ÷ pgloader (MySQL → PostgreSQL)
//!
//!   per repetition, every variant once (order rotated), each after an untimed setup, a
//!   CHECKPOINT and a quiet-machine gate; then haul dump once per --rss-scales
//!                                     │
//!                                     ▼
//!   table + ratios + targets on stdout, bench/results/e2e-<UTC time>.json with every figure
//! ```
//!
//! Each process runs under GNU `time` (child peak RSS and CPU); server CPU comes from the
//! postmaster's process tree in `/proc` (and the MySQL server process for my-*), and a repetition is marked noisy when CPU used by other
//! jobs on the (shared) machine, or by other databases' backends on the same server, exceeds
//! max(1 s, 5 % of wall × cores). Noisy repetitions are retried (`--retries`) and left out of
//! medians when clean ones exist. A run that did other work than the one measured counts as
//! failed (and is retried): a haul dump whose journal does not hold exactly the table's rows, a
//! load or copy whose target does not hold every source table's rows and primary key.
//!
//! `cargo run --release -p haul-bench --bin haul-e2e -- --scale 1`

#[path = "e2e/args.rs"]
mod args;
#[path = "e2e/facts.rs"]
mod facts;
#[path = "e2e/load.rs"]
mod load;
#[path = "e2e/measure.rs"]
mod measure;
#[path = "e2e/mysql.rs"]
mod mysql;
#[path = "e2e/procfs.rs"]
mod procfs;
#[path = "e2e/report.rs"]
mod report;
#[path = "e2e/tpch.rs"]
mod tpch;
#[path = "e2e/tpch_mysql.rs"]
mod tpch_mysql;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use clap::Parser;
use serde::Serialize;

pub use crate::args::Args;
use crate::facts::{output_of, redact};
use crate::load::{COPY_VARIANTS, LOAD_VARIANTS, Prepared};
use crate::measure::{Cmd, Observed, Probe};
use crate::mysql::MyServer;
use crate::procfs::{Machine, QuietGate};
use crate::tpch::Dataset;

const DUMP_VARIANTS: [&str; 5] = ["copy", "copy2", "haul", "pg_dump", "pg_dump_z0"];
const COMPARISONS: [&str; 6] = ["dump", "load", "copy", "my-dump", "my-load", "my-copy"];

/// The variants of one comparison.
fn variants_of(comparison: &str) -> &'static [&'static str] {
    match comparison {
        "dump" => &DUMP_VARIANTS,
        "load" => &LOAD_VARIANTS,
        "copy" => &COPY_VARIANTS,
        "my-dump" => &mysql::DUMP_VARIANTS,
        "my-load" => &mysql::LOAD_VARIANTS,
        "my-copy" => &mysql::COPY_VARIANTS,
        _ => &[],
    }
}

/// One measured run of one variant.
#[derive(Debug, Clone, Serialize)]
pub struct Sample {
    pub variant: String,
    /// "dump", "load", "copy", "my-dump", "my-load" or "my-copy".
    pub comparison: String,
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
    /// Dump: bytes and files written; load and copy: `pg_database_size` of the target.
    pub output_bytes: Option<u64>,
    pub output_files: Option<u64>,
    /// haul dump: rows and chunks from `chunks.jsonl`; per-chunk seconds as haul recorded them.
    /// Load and copy: rows over all tables, counted in the target.
    pub rows: Option<u64>,
    pub chunks: Option<usize>,
    pub chunk_seconds: Option<Vec<f64>>,
    /// haul dump: the journal's row total equals the table's row count; load and copy: every
    /// table in the target holds the source's row count (and, but for copy_from, its PK).
    pub rows_ok: Option<bool>,
    /// Load and copy: source tables whose primary key the target has.
    pub pk_tables: Option<usize>,
    /// my-*: busy sessions on other databases of the MySQL server seen during the run (they
    /// make it noisy).
    pub foreign_sessions: Option<Vec<String>>,
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
    /// For the untimed setup and checks between measurements.
    rt: tokio::runtime::Runtime,
    /// The MySQL server, when a my-* comparison runs.
    my: Option<MyServer>,
}

fn run(args: Args) -> Result<()> {
    for c in &args.compare {
        if !COMPARISONS.contains(&c.as_str()) {
            bail!(
                "unknown --compare entry `{c}` (expected {})",
                COMPARISONS.join(", ")
            );
        }
    }
    let all: Vec<&str> = COMPARISONS
        .iter()
        .flat_map(|c| variants_of(c).iter().copied())
        .collect();
    for o in &args.only {
        if !all.contains(&o.as_str()) && o != "rss" {
            bail!(
                "unknown --only entry `{o}` (expected one of {}, rss)",
                all.join(", ")
            );
        }
    }
    if args.reps == 0 {
        bail!("--reps must be at least 1");
    }
    let started_at = chrono::Utc::now();
    let machine = Machine::read();
    let compared = |c: &str| args.compare.iter().any(|x| x == c);
    let want = |v: &str| args.only.is_empty() || args.only.iter().any(|o| o == v);
    let mut timed: Vec<&str> = COMPARISONS
        .iter()
        .filter(|c| compared(c))
        .flat_map(|c| variants_of(c).iter().copied())
        .filter(|v| want(v))
        .collect();
    let rss_scales: Vec<f64> = if compared("dump") && want("rss") {
        args.rss_scales.clone()
    } else {
        Vec::new()
    };
    let mut skipped: Vec<(String, String)> = Vec::new();
    if timed.contains(&"pgcopydb") && !load::tool_runs(&args.pgcopydb) {
        println!("pgcopydb not found: skipping the copy baseline");
        skipped.push((
            "pgcopydb".into(),
            format!("`{} --version` did not run", args.pgcopydb),
        ));
        timed.retain(|v| *v != "pgcopydb");
    }
    for (v, why) in mysql::missing_tools(&args, &timed) {
        println!("{v}: {why}; skipping it");
        timed.retain(|x| *x != v);
        skipped.push((v, why));
    }
    let whole = timed
        .iter()
        .any(|v| LOAD_VARIANTS.contains(v) || COPY_VARIANTS.contains(v));
    let pg_timed = timed.iter().any(|v| !mysql::is_mysql(v));
    let my_timed = timed.iter().any(|v| mysql::is_mysql(v));

    // Data sets first: this is the slow part of a first run, and it needs no haul binary.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("tokio runtime")?;
    let streams = args.load_streams.unwrap_or(machine.nproc).max(1);
    let mut scales: Vec<(f64, bool)> = Vec::new();
    if pg_timed {
        scales.push((args.scale, whole));
    }
    for s in &rss_scales {
        if !scales.iter().any(|(x, _)| x == s) {
            scales.push((*s, false));
        }
    }
    let mut datasets: Vec<Dataset> = Vec::new();
    for (s, whole) in &scales {
        datasets.push(rt.block_on(tpch::ensure(&args.pg_url, *s, streams, args.reload, *whole))?);
    }
    let my_data = if my_timed {
        Some(rt.block_on(tpch_mysql::ensure(
            &args.my_url,
            args.scale,
            streams,
            args.reload,
        ))?)
    } else {
        None
    };
    let my = if my_timed {
        Some(rt.block_on(mysql::server_facts(&args.my_url))?)
    } else {
        None
    };
    let (postmaster, pg_version, pg_settings) = rt.block_on(facts::server_facts(&args.pg_url))?;

    let needs_haul = timed.iter().any(|v| v.starts_with("haul")) || !rss_scales.is_empty();
    let haul = if needs_haul {
        Some(facts::haul_binary(&args)?)
    } else {
        None
    };
    let haul_info = serde_json::json!({
        "binary": haul.as_ref().map(|p| p.display().to_string()),
        // git_* describe the work tree now; with --haul, the binary may be older than that.
        "binary_modified": haul.as_ref().and_then(|p| fs::metadata(p).ok()?.modified().ok())
            .map(|t| chrono::DateTime::<chrono::Utc>::from(t).to_rfc3339()),
        "version": haul.as_ref().map(|p| output_of(p.as_os_str().to_str().unwrap_or("haul"), &["--version"])),
        "git_describe": facts::git(&["describe", "--always", "--dirty", "--tags"]),
        "git_head": facts::git(&["rev-parse", "HEAD"]),
        "git_changed_files": facts::git(&["status", "--porcelain"]).map(|s| s.lines().count()),
    });
    let ctx = Ctx {
        args: args.clone(),
        haul,
        probe: Probe {
            postmaster,
            mysqld: 0,
            every: Duration::from_millis(args.sample_ms),
            tck: procfs::clock_ticks(),
            page_kib: procfs::page_kib(),
        },
        nproc: machine.nproc,
        start: Instant::now(),
        rt,
        my,
    };
    eprintln!(
        "machine: {} cores, {:.1} GiB, {}, kernel {}; PostgreSQL {pg_version} (postmaster pid {postmaster})",
        machine.nproc,
        machine.mem_total_kib as f64 / 1048576.0,
        machine.cpu_model,
        machine.kernel
    );

    let mut samples: Vec<Sample> = Vec::new();
    let mut prep = Prepared::default();
    let pg_main = datasets
        .iter()
        .find(|d| d.scale == args.scale)
        .filter(|_| pg_timed);
    let dataset_for = |v: &str| {
        if mysql::is_mysql(v) {
            my_data.as_ref()
        } else {
            pg_main
        }
        .ok_or_else(|| anyhow!("no data set for {v}"))
    };
    if !timed.is_empty() {
        if let Some(main) = pg_main.filter(|_| !args.no_warmup) {
            eprintln!(
                "warm-up: one untimed COPY of lineitem at scale {}",
                main.scale
            );
            let s = measure_one(&ctx, "copy", main, "warmup", 0, 0, &prep)?;
            eprintln!("  warm-up {:.2} s", s.observed.wall_s);
            samples.push(s);
        }
        let mut failed = Vec::new();
        if let Some(main) = pg_main {
            (prep, failed) = load::prepare(&ctx, main, &timed)?;
        }
        if let Some(d) = &my_data {
            failed.extend(mysql::prepare(&ctx, d, &timed, &mut prep)?);
            if !args.no_warmup && timed.contains(&"mydumper") {
                eprintln!("warm-up: one untimed mydumper at scale {}", d.scale);
                let s = measure_one(&ctx, "mydumper", d, "warmup", 0, 0, &prep)?;
                eprintln!("  warm-up {:.2} s", s.observed.wall_s);
                samples.push(s);
            }
        }
        for (v, why) in failed {
            println!("{v}: its input could not be made, so it is not measured:\n{why}");
            timed.retain(|x| *x != v);
            skipped.push((v, why));
        }
        for v in &timed {
            for c in commands(&ctx, v, dataset_for(v)?, Path::new("<dir>"), &prep)? {
                eprintln!("  {v}: {}", c.display());
            }
        }
        for rep in 0..args.reps {
            for i in 0..timed.len() {
                let v = timed[(i + rep) % timed.len()];
                for attempt in 0..=args.retries {
                    let s = measure_one(&ctx, v, dataset_for(v)?, "timed", rep, attempt, &prep)?;
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
                let s = measure_one(&ctx, "haul", d, "rss", rep, attempt, &prep)?;
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
    if !args.keep {
        load::cleanup(&ctx, &prep)?;
        mysql::cleanup(&ctx, &prep)?;
    }

    let summaries = report::summarize(&samples);
    let ratios = report::ratios(&samples, &summaries);
    let targets = report::targets(&samples, &ratios, args.jobs);
    let rss = report::rss_per_scale(&samples);
    let mut md = report::markdown(&summaries, &ratios, &targets, &rss);
    md.push_str(&report::failures(&samples, &skipped));
    println!("\n{md}");
    for s in samples.iter().filter(|s| !s.observed.exit_ok) {
        println!(
            "FAILED {} (scale {}, rep {}, try {}): {}",
            s.variant,
            s.scale,
            s.rep,
            s.attempt,
            s.observed.error.as_deref().unwrap_or("")
        );
    }

    let finished_at = chrono::Utc::now();
    let mut recorded_args = serde_json::to_value(&args)?;
    recorded_args["pg_url"] = serde_json::Value::String(redact(&args.pg_url));
    recorded_args["my_url"] = serde_json::Value::String(redact(&args.my_url));
    let record = serde_json::json!({
        "format": "haul-e2e/3",
        "started_at": started_at.to_rfc3339(),
        "finished_at": finished_at.to_rfc3339(),
        "machine": machine,
        "postgres": { "version": pg_version, "settings": pg_settings },
        "mysql": ctx.my,
        "tools": {
            "psql": output_of("psql", &["--version"]),
            "pg_dump": output_of("pg_dump", &["--version"]),
            "pg_restore": output_of("pg_restore", &["--version"]),
            "pgcopydb": output_of(&args.pgcopydb, &["--version"]),
            "mydumper": my_timed.then(|| output_of(&args.mydumper, &["--version"])),
            "myloader": my_timed.then(|| output_of(&args.myloader, &["--version"])),
            "pgloader": my_timed.then(|| output_of(&args.pgloader, &["--version"])),
            "gnu_time": "/usr/bin/time -f '%e %M %U %S'",
        },
        "haul": haul_info,
        "args": recorded_args,
        "datasets": datasets.iter().chain(&my_data).map(|d| {
            let mut v = serde_json::to_value(d).unwrap_or_default();
            v["url"] = serde_json::Value::String(redact(&d.url));
            v
        }).collect::<Vec<_>>(),
        "prepared": facts::redact_value(serde_json::to_value(&prep)?),
        "skipped": facts::redact_value(serde_json::to_value(&skipped)?),
        "summary": summaries,
        "ratios": ratios,
        "targets": targets,
        "rss_per_scale": rss,
        "samples": samples.iter().map(facts::redact_sample).collect::<Vec<_>>(),
        "markdown": facts::redact_all(&md),
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

/// The comparison a variant belongs to.
fn comparison_of(variant: &str) -> &'static str {
    COMPARISONS
        .iter()
        .find(|c| variants_of(c).contains(&variant))
        .copied()
        .unwrap_or("dump")
}

/// The processes of one variant; `dir` is a dump variant's output directory.
fn commands(
    ctx: &Ctx,
    variant: &str,
    d: &Dataset,
    dir: &Path,
    prep: &Prepared,
) -> Result<Vec<Cmd>> {
    if mysql::is_mysql(variant) {
        return mysql::commands(ctx, variant, d, dir, prep);
    }
    if comparison_of(variant) != "dump" {
        return load::commands(ctx, variant, d, prep);
    }
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

/// Setup, CHECKPOINT, quiet gate, the run, verification and output accounting, cleanup.
fn measure_one(
    ctx: &Ctx,
    variant: &str,
    d: &Dataset,
    kind: &str,
    rep: usize,
    attempt: usize,
    prep: &Prepared,
) -> Result<Sample> {
    let comparison = comparison_of(variant);
    let dir = ctx
        .args
        .work_dir
        .join(format!("{variant}-sf{}-{kind}{rep}-a{attempt}", d.scale));
    remove_dir(&dir)?;
    let cmds = commands(ctx, variant, d, &dir, prep)?;
    let is_my = mysql::is_mysql(variant);
    if is_my {
        ctx.rt.block_on(mysql::setup(ctx, variant))?;
    } else if comparison != "dump" {
        ctx.rt.block_on(load::setup(ctx, variant))?;
    }
    // The previous variant's dirty buffers are written now, not during this measurement.
    ctx.rt.block_on(load::checkpoint(&ctx.args.pg_url))?;
    if ctx.my.is_some() {
        let waited = ctx
            .rt
            .block_on(mysql::settle(&ctx.args.my_url, Duration::from_secs(120)))?;
        if waited > 1.0 {
            eprintln!("  flushed InnoDB's dirty pages in {waited:.1} s");
        }
    }
    let gate = procfs::wait_quiet(ctx.args.quiet_pct, Duration::from_secs(ctx.args.quiet_wait))?;
    if !gate.quiet {
        eprintln!(
            "  note: machine still {:.0}% busy after {:.0} s; measuring {variant} anyway",
            gate.last_busy_pct, gate.waited_s
        );
    }
    let at_s = ctx.start.elapsed().as_secs_f64();
    let dbs = if comparison == "dump" {
        vec![d.database.as_str()]
    } else {
        load::databases(variant, d)
    };
    // my-dump and my-load use the MySQL server only; my-copy both.
    let mut probe = ctx.probe.clone();
    if is_my {
        probe.mysqld = ctx.my.as_ref().map_or(0, |m| m.pid);
        if comparison != "my-copy" {
            probe.postmaster = 0;
        }
    }
    let watch = is_my.then(|| mysql::SessionWatch::start(ctx, &[&d.database, load::TARGET_DB]));
    let run = measure::run(&cmds, &ctx.args.work_dir, &probe, &dbs);
    let foreign_sessions = watch.map(|w| w.finish(ctx));
    let mut observed = run?;
    // Other jobs: on the machine, or on the same server (backends of other databases).
    let foreign = observed.other_cpu_s + observed.foreign_server_cpu_s;
    let noisy = foreign > f64::max(1.0, 0.05 * observed.wall_s * ctx.nproc as f64)
        || foreign_sessions.as_ref().is_some_and(|f| !f.is_empty());
    let mut sample = Sample {
        variant: variant.to_string(),
        comparison: comparison.to_string(),
        scale: d.scale,
        kind: kind.to_string(),
        rep,
        attempt,
        at_s,
        gate,
        noisy,
        commands: cmds.iter().map(Cmd::display).collect(),
        observed: observed.clone(),
        output_bytes: None,
        output_files: None,
        rows: None,
        chunks: None,
        chunk_seconds: None,
        rows_ok: None,
        pk_tables: None,
        foreign_sessions,
    };
    if comparison == "my-dump" {
        let (b, f) = measure::dir_size(&dir);
        sample.output_bytes = Some(b);
        sample.output_files = Some(f);
        if observed.exit_ok {
            match mysql::check_dump(variant, d, &dir) {
                Ok(journal) => {
                    sample.rows_ok = Some(true);
                    if let Some(j) = journal {
                        sample.rows = Some(j.0);
                        sample.chunks = Some(j.1);
                        sample.chunk_seconds = Some(j.2);
                    }
                }
                Err(e) => {
                    sample.rows_ok = Some(false);
                    observed.exit_ok = false;
                    observed.error = Some(format!("exit 0 but the dump is wrong: {e:#}"));
                }
            }
        }
        if !ctx.args.keep {
            remove_dir(&dir)?;
        }
    } else if comparison == "dump" {
        if !variant.starts_with("copy") {
            let (b, f) = measure::dir_size(&dir);
            sample.output_bytes = Some(b);
            sample.output_files = Some(f);
        }
        let journal = if variant == "haul" {
            measure::haul_journal(&dir)
        } else {
            None
        };
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
        sample.rows = journal.as_ref().map(|j| j.0);
        sample.chunks = journal.as_ref().map(|j| j.1);
        sample.chunk_seconds = journal.map(|j| j.2);
        sample.rows_ok = rows_ok;
        if !ctx.args.keep {
            remove_dir(&dir)?;
        }
    } else {
        let checked = if is_my {
            ctx.rt.block_on(mysql::verify(ctx, variant, d))
        } else {
            ctx.rt.block_on(load::verify(ctx, d))
        };
        match checked {
            Ok(v) => {
                let mut wrong = v.mismatches.clone();
                let pks = d.tables.len();
                if load::builds_keys(variant) && v.pk_tables != pks {
                    wrong.push(format!(
                        "{} of {pks} tables have their primary key",
                        v.pk_tables
                    ));
                }
                sample.rows = Some(v.rows);
                sample.pk_tables = Some(v.pk_tables);
                sample.output_bytes = Some(v.bytes);
                // Only a run that says it succeeded is judged on its result.
                if observed.exit_ok {
                    sample.rows_ok = Some(wrong.is_empty());
                    if !wrong.is_empty() {
                        observed.exit_ok = false;
                        observed.error = Some(format!(
                            "exit 0 but the target differs from the source: {}",
                            wrong.join("; ")
                        ));
                    }
                }
            }
            Err(e) if observed.exit_ok => {
                observed.exit_ok = false;
                observed.error = Some(format!("exit 0 but the target could not be checked: {e:#}"));
            }
            Err(_) => {}
        }
        if ctx.args.keep {
            // Left for inspection; the next repetition's setup drops it.
        } else if is_my {
            ctx.rt.block_on(mysql::teardown(ctx, variant))?;
        } else {
            ctx.rt.block_on(load::recreate_target(ctx, false))?;
        }
    }
    sample.observed = observed;
    Ok(sample)
}

fn print_sample(s: &Sample) {
    let o = &s.observed;
    eprintln!(
        "{:<12} sf={:<4} {} rep {} try {}: {:>7.2} s  rss {:>6.1} MiB  client {:>5.1} s  server {:>5.1} s (other dbs {:.1})  other {:>4.1} s{}{}{}",
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
    load::remove_dir(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_has_one_comparison() {
        for c in COMPARISONS {
            for v in variants_of(c) {
                assert_eq!(comparison_of(v), c, "{v}");
            }
        }
    }
}
