//! `haul diff` benchmark (issue 5): two equal TPC-H databases in the local PostgreSQL, `haul diff`
//! against the cheapest way to read both sides once, in one interleaved run.
//!
//! ```text
//! haul_bench_tpch_sf<scale> (made by the e2e runner's generator if missing, all 8 tables, PKs)
//!   └─ CREATE DATABASE haul_bench_diff_target TEMPLATE …   (an equal copy, once per run)
//! read_both  two psql processes, one per database, each `COPY t TO STDOUT (FORMAT binary)`
//!            for every table to /dev/null: the servers' own read of both sides   ← baseline
//! haul_diff  haul diff SRC DST --jobs N --quiet  (must exit 0: the databases are equal)
//! pgcopydb_compare  pgcopydb compare data --source SRC --target DST --table-jobs N (pgcopydb
//!            ≥ 0.13; skipped with a message when the binary has no `compare data`)
//! ```
//!
//! Each repetition runs both variants (order rotated) after a quiet-machine gate; each process
//! runs under GNU `time`, server CPU comes from the postmaster's tree (e2e/measure.rs). A run
//! where other jobs used more than max(1 s, 5 % of wall × cores) of CPU is noisy and retried.
//! Results: a table on stdout and bench/results/diff-<UTC time>.json.
//!
//! `cargo run --release -p haul-bench --bin haul-diffbench -- --haul target/release/haul`

// Shared with the e2e runner; this benchmark uses part of them.
#[allow(dead_code)]
#[path = "e2e/measure.rs"]
mod measure;
#[allow(dead_code)]
#[path = "e2e/procfs.rs"]
mod procfs;
#[path = "e2e/tpch.rs"]
mod tpch;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use clap::Parser;
use serde::Serialize;

use crate::measure::{Cmd, Observed, Probe};

/// Benchmark `haul diff` of two equal TPC-H databases against reading both once.
#[derive(Debug, Clone, Parser, Serialize)]
struct Args {
    /// TPC-H scale factor.
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
    /// Server (its `haul_bench_tpch_sf<scale>` is used or generated).
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    pg_url: String,
    /// The haul binary.
    #[arg(long, default_value = "target/release/haul")]
    haul: PathBuf,
    /// `--jobs` of haul diff.
    #[arg(long, default_value_t = 2)]
    jobs: usize,
    /// Timed repetitions of each variant.
    #[arg(long, default_value_t = 3)]
    reps: usize,
    /// Extra attempts for a noisy repetition.
    #[arg(long, default_value_t = 2)]
    retries: usize,
    /// Wait before each run until the machine is below this busy %…
    #[arg(long, default_value_t = 20.0)]
    quiet_pct: f64,
    /// …for at most this many seconds.
    #[arg(long, default_value_t = 60)]
    quiet_wait: u64,
    #[arg(long, default_value = "/tmp/haul-diffbench")]
    work_dir: PathBuf,
    /// The pgcopydb binary (≥ 0.13, for `compare data`).
    #[arg(long, default_value = "pgcopydb")]
    pgcopydb: String,
    #[arg(long, default_value = "bench/results")]
    results_dir: PathBuf,
}

const TARGET_DB: &str = "haul_bench_diff_target";
const VARIANTS: [&str; 3] = ["read_both", "haul_diff", "pgcopydb_compare"];
/// DESIGN/issue 5: haul diff of equal databases within 1.3× of reading both sides once.
const LIMIT: f64 = 1.3;

#[derive(Debug, Clone, Serialize)]
struct Sample {
    variant: String,
    rep: usize,
    attempt: usize,
    noisy: bool,
    observed: Observed,
}

fn main() {
    if let Err(e) = run(Args::parse()) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

fn run(args: Args) -> Result<()> {
    if !args.haul.is_file() {
        bail!(
            "--haul {} is not a file (build it: cargo build --release -p haul)",
            args.haul.display()
        );
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("tokio runtime")?;
    let data = rt.block_on(tpch::ensure(&args.pg_url, args.scale, 2, false, true))?;
    let tables: Vec<String> = data.tables.iter().map(|t| t.name.clone()).collect();
    let target_url = tpch::with_database(&args.pg_url, TARGET_DB)?;
    let postmaster = rt.block_on(prepare(&args.pg_url, &data.database))?;
    let probe = Probe {
        postmaster,
        mysqld: 0,
        every: Duration::from_millis(250),
        tck: procfs::clock_ticks(),
        page_kib: procfs::page_kib(),
    };
    let nproc = std::thread::available_parallelism().map_or(1, |n| n.get());
    let has_compare = std::process::Command::new(&args.pgcopydb)
        .args(["compare", "data", "--help"])
        .output()
        .is_ok_and(|o| o.status.success());
    let variants: Vec<&str> = VARIANTS
        .iter()
        .copied()
        .filter(|v| *v != "pgcopydb_compare" || has_compare)
        .collect();
    if !has_compare {
        println!(
            "`{} compare data` does not run (pgcopydb < 0.13 has no compare): skipping pgcopydb_compare",
            args.pgcopydb
        );
    }
    let pgcopydb_dir = args.work_dir.join("pgcopydb");
    let pgcopydb_dir_s = pgcopydb_dir
        .to_str()
        .ok_or_else(|| anyhow!("non-UTF-8 path {}", pgcopydb_dir.display()))?
        .to_string();
    let cmds = |variant: &str| -> Result<Vec<Cmd>> {
        Ok(match variant {
            "read_both" => [&data.url, &target_url]
                .iter()
                .map(|url| {
                    let mut c = Cmd::new("psql", &["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url]);
                    for t in &tables {
                        c.args.push("-c".into());
                        c.args.push(format!("COPY {t} TO STDOUT (FORMAT binary)"));
                    }
                    c
                })
                .collect(),
            "haul_diff" => {
                let bin = args
                    .haul
                    .to_str()
                    .ok_or_else(|| anyhow!("non-UTF-8 path {}", args.haul.display()))?;
                let jobs = args.jobs.to_string();
                vec![Cmd::new(
                    bin,
                    &["diff", &data.url, &target_url, "--jobs", &jobs, "--quiet"],
                )]
            }
            "pgcopydb_compare" => {
                let jobs = args.jobs.to_string();
                vec![Cmd::new(
                    &args.pgcopydb,
                    &[
                        "compare",
                        "data",
                        "--source",
                        &data.url,
                        "--target",
                        &target_url,
                        "--dir",
                        &pgcopydb_dir_s,
                        "--table-jobs",
                        &jobs,
                    ],
                )]
            }
            other => bail!("unknown variant {other}"),
        })
    };
    for v in &variants {
        for c in cmds(v)? {
            eprintln!("  {v}: {}", c.display());
        }
    }
    let dbs = [data.database.as_str(), TARGET_DB];
    let measure = |variant: &str, rep: usize, attempt: usize| -> Result<Sample> {
        let gate = procfs::wait_quiet(args.quiet_pct, Duration::from_secs(args.quiet_wait))?;
        if !gate.quiet {
            eprintln!(
                "  note: machine still {:.0}% busy after {:.0} s; measuring {variant} anyway",
                gate.last_busy_pct, gate.waited_s
            );
        }
        let scratch = args.work_dir.join(format!("{variant}-{rep}-{attempt}"));
        remove_dir(&pgcopydb_dir)?;
        let observed = measure::run(&cmds(variant)?, &scratch, &probe, &dbs)?;
        remove_dir(&scratch)?;
        let allowance = (0.05 * observed.wall_s * nproc as f64).max(1.0);
        let noisy = observed.other_cpu_s + observed.foreign_server_cpu_s > allowance;
        let s = Sample {
            variant: variant.into(),
            rep,
            attempt,
            noisy,
            observed,
        };
        eprintln!(
            "{variant:<10} rep {rep} try {attempt}: {:>7.2} s  client {:>5.1} s  server {:>5.1} s  other {:>4.1} s  rss {:>6.1} MiB{}{}",
            s.observed.wall_s,
            s.observed.client_cpu_s,
            s.observed.server_cpu_s,
            s.observed.other_cpu_s,
            s.observed.max_rss_kib as f64 / 1024.0,
            if s.noisy { "  NOISY" } else { "" },
            if s.observed.exit_ok { "" } else { "  FAILED" },
        );
        Ok(s)
    };
    eprintln!("warm-up: one untimed read_both");
    measure("read_both", 0, 0)?;
    let mut samples = Vec::new();
    for rep in 0..args.reps {
        for i in 0..variants.len() {
            let v = variants[(i + rep) % variants.len()];
            for attempt in 0..=args.retries {
                let s = measure(v, rep, attempt)?;
                let retry = s.noisy && s.observed.exit_ok && attempt < args.retries;
                samples.push(s);
                if !retry {
                    break;
                }
            }
        }
    }
    let md = report(&samples, &args, &data, &variants);
    println!("\n{md}");
    let started = chrono::Utc::now();
    fs::create_dir_all(&args.results_dir)?;
    let path = args
        .results_dir
        .join(format!("diff-{}.json", started.format("%Y%m%dT%H%M%SZ")));
    let record = serde_json::json!({
        "format": "haul-diffbench/1",
        "finished_at": started.to_rfc3339(),
        "args": args,
        "dataset": { "database": data.database, "tables": tables, "lineitem_rows": data.rows },
        "haul_version": measure_version(&args.haul),
        "pgcopydb_version": has_compare.then(|| measure_version(Path::new(&args.pgcopydb))),
        "samples": samples,
        "markdown": md,
    });
    fs::write(&path, serde_json::to_string(&record)? + "\n")
        .with_context(|| format!("writing {}", path.display()))?;
    println!("recorded {}", path.display());
    Ok(())
}

/// Makes the target an equal copy of the source; returns the postmaster's pid.
async fn prepare(admin_url: &str, source_db: &str) -> Result<u32> {
    let admin = tpch::connect(admin_url).await?;
    admin
        .execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = $1 AND pid <> pg_backend_pid()",
            &[&source_db],
        )
        .await?;
    // One statement each: DROP/CREATE DATABASE cannot run in the implicit transaction of a
    // multi-statement query.
    for sql in [
        format!("DROP DATABASE IF EXISTS {TARGET_DB}"),
        format!("CREATE DATABASE {TARGET_DB} TEMPLATE {source_db}"),
    ] {
        admin
            .batch_execute(&sql)
            .await
            .with_context(|| format!("creating {TARGET_DB} as a copy of {source_db}: {sql}"))?;
    }
    let backend: i32 = admin
        .query_one("SELECT pg_backend_pid()", &[])
        .await?
        .get(0);
    let backend = u32::try_from(backend).context("backend pid")?;
    Ok(procfs::read_stat(&PathBuf::from(format!("/proc/{backend}/stat"))).map_or(0, |s| s.ppid))
}

fn measure_version(haul: &Path) -> String {
    std::process::Command::new(haul)
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

/// The counted samples of a variant: clean and successful ones, or all successful ones when no
/// clean one exists.
fn counted<'a>(samples: &'a [Sample], variant: &str) -> Vec<&'a Sample> {
    let ok: Vec<&Sample> = samples
        .iter()
        .filter(|s| s.variant == variant && s.observed.exit_ok)
        .collect();
    let clean: Vec<&Sample> = ok.iter().copied().filter(|s| !s.noisy).collect();
    if clean.is_empty() { ok } else { clean }
}

fn report(samples: &[Sample], args: &Args, data: &tpch::Dataset, variants: &[&str]) -> String {
    let mut md = format!(
        "TPC-H scale {} ({}, {} lineitem rows) against an equal copy, --jobs {}\n\n\
         | variant | n (counted/total) | wall s median | min–max | client CPU s | server CPU s | peak RSS MiB |\n\
         |---|---:|---:|---:|---:|---:|---:|\n",
        args.scale, data.database, data.rows, args.jobs
    );
    for &v in variants {
        let c = counted(samples, v);
        let total = samples.iter().filter(|s| s.variant == v).count();
        let wall: Vec<f64> = c.iter().map(|s| s.observed.wall_s).collect();
        let min = wall.iter().copied().fold(f64::INFINITY, f64::min);
        let max = wall.iter().copied().fold(0.0, f64::max);
        let med = |f: fn(&Sample) -> f64| median(c.iter().map(|s| f(s)).collect()).unwrap_or(0.0);
        md.push_str(&format!(
            "| {v} | {}/{total} | {:.2} | {min:.2}–{max:.2} | {:.1} | {:.1} | {:.1} |\n",
            c.len(),
            med(|s| s.observed.wall_s),
            med(|s| s.observed.client_cpu_s),
            med(|s| s.observed.server_cpu_s),
            med(|s| s.observed.max_rss_kib as f64 / 1024.0),
        ));
    }
    let wall = |v: &str| {
        median(
            counted(samples, v)
                .iter()
                .map(|s| s.observed.wall_s)
                .collect(),
        )
    };
    let per_rep = |base: &str| -> Vec<f64> {
        (0..args.reps)
            .filter_map(|rep| {
                let pick = |v: &str| {
                    counted(samples, v)
                        .iter()
                        .filter(|s| s.rep == rep)
                        .map(|s| s.observed.wall_s)
                        .next()
                };
                Some(pick("haul_diff")? / pick(base)?)
            })
            .collect()
    };
    if let (Some(h), Some(b)) = (wall("haul_diff"), wall("read_both")) {
        let ratio = h / b;
        md.push_str(&format!(
            "\n| haul_diff ÷ read_both | ratio of medians | median of per-rep ratios | limit | holds |\n\
             |---|---:|---:|---:|---|\n| | {ratio:.2}× | {} | ≤ {LIMIT:.1}× | {} |\n",
            median(per_rep("read_both")).map_or("-".into(), |r| format!("{r:.2}×")),
            if ratio <= LIMIT { "yes" } else { "**no**" }
        ));
    }
    if let (Some(h), Some(p)) = (wall("haul_diff"), wall("pgcopydb_compare")) {
        md.push_str(&format!(
            "\n| haul_diff ÷ pgcopydb_compare | ratio of medians | median of per-rep ratios |\n\
             |---|---:|---:|\n| | {:.2}× | {} |\n",
            h / p,
            median(per_rep("pgcopydb_compare")).map_or("-".into(), |r| format!("{r:.2}×")),
        ));
    }
    let failed: Vec<String> = samples
        .iter()
        .filter(|s| !s.observed.exit_ok)
        .map(|s| {
            format!(
                "- {} rep {} try {} failed: {}\n",
                s.variant,
                s.rep,
                s.attempt,
                s.observed.error.as_deref().unwrap_or("")
            )
        })
        .collect();
    md.push_str(&failed.concat());
    md
}

fn remove_dir(dir: &Path) -> Result<()> {
    match fs::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(anyhow!("removing {}: {e}", dir.display())),
    }
}
