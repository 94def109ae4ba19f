//! The `haul` binary: argument parsing, output (progress bars or `--json`), exit codes.

mod cli;
mod diff_cmd;
mod load_cmd;
mod output;
mod plan_view;
mod sync_cmd;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use haul_engine::EngineError;
use haul_engine::dump::{DumpOptions, Selection};
use haul_engine::endpoint::Endpoint;
use haul_engine::events::Observer;
use haul_engine::mysql::planner::ZeroDates;
use haul_engine::mysql::snapshot::LockMode;
use tokio_util::sync::CancellationToken;

use crate::cli::{Cli, Command, SelectArgs};
use crate::output::{HumanObserver, JsonObserver, json_line, print_summary};

/// jemalloc, not glibc malloc: batches are built on the runtime's threads and freed on the
/// Parquet writer's thread, and glibc's per-thread arenas kept that memory parked, so peak RSS
/// climbed chunk after chunk (bench/RESULTS.md has the figures).
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's options, read at its start: return freed pages within half a second (the default
/// keeps them 10 s, as long as a whole dump of a mid-size table) from a background thread.
#[expect(
    unsafe_code,
    reason = "jemalloc reads its options from this exported symbol"
)]
#[unsafe(export_name = "_rjem_malloc_conf")]
static MALLOC_CONF: &[u8] = b"background_thread:true,dirty_decay_ms:500,muzzy_decay_ms:0\0";

/// Exit codes (also in `--help`).
pub(crate) const OK: u8 = 0;
pub(crate) const PARTIAL: u8 = 1;
const FATAL: u8 = 2;
const INTERRUPTED: u8 = 130;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(FATAL);
        }
    };
    let json = cli.json;
    let code = runtime.block_on(async move {
        match run(cli).await {
            Ok(code) => code,
            Err(e) => {
                let code = exit_code_for(&e);
                if json {
                    json_line(
                        "error",
                        &serde_json::json!({ "message": format!("{e:#}"), "exit_code": code }),
                    );
                }
                if code == INTERRUPTED {
                    eprintln!(
                        "interrupted: committed chunks are kept; rerun the same command to resume"
                    );
                } else {
                    eprintln!("error: {e:#}");
                }
                code
            }
        }
    });
    // Worker threads may still be finishing aborted writes; they clean up after themselves.
    runtime.shutdown_timeout(Duration::from_secs(5));
    ExitCode::from(code)
}

fn exit_code_for(e: &anyhow::Error) -> u8 {
    match e.downcast_ref::<EngineError>() {
        Some(EngineError::Interrupted) => INTERRUPTED,
        _ => FATAL,
    }
}

pub(crate) fn selection(s: &SelectArgs) -> Selection {
    Selection {
        tables: s.tables.clone(),
        exclude: s.exclude.clone(),
        as_text: s.as_text.clone(),
        chunk_bytes: s.chunk_bytes,
        lock_wait: Duration::from_secs(s.lock_wait_timeout.max(1)),
        zero_dates: match s.zero_dates {
            cli::ZeroDatesArg::Error => ZeroDates::Error,
            cli::ZeroDatesArg::Null => ZeroDates::Null,
        },
        lock: match s.lock {
            cli::LockArg::Ftwrl => LockMode::Ftwrl,
            cli::LockArg::None => LockMode::None,
        },
        ..Selection::default()
    }
}

/// A source database (PostgreSQL or MySQL/MariaDB), not a directory.
pub(crate) fn database_source(url: &str) -> anyhow::Result<Endpoint> {
    database_url(url, "source")
}

/// A database URL (PostgreSQL or MySQL/MariaDB) for `role` (`source`, `target`).
pub(crate) fn database_url(url: &str, role: &str) -> anyhow::Result<Endpoint> {
    match Endpoint::parse(url)? {
        Endpoint::Dir(p) => Err(EngineError::Usage(format!(
            "the {role} must be a database URL (postgres://… or mysql://…), got the path `{}`",
            p.display()
        ))
        .into()),
        e => Ok(e),
    }
}

/// The run's observer (progress bars or JSON Lines) and the ticker that refreshes it.
pub(crate) fn observer(
    json: bool,
    quiet: bool,
) -> (Arc<dyn Observer>, tokio::task::JoinHandle<()>) {
    if json {
        let o = Arc::new(JsonObserver::default());
        let t = o.clone();
        let handle = tokio::spawn(async move {
            let mut iv = tokio::time::interval(Duration::from_secs(1));
            iv.tick().await;
            loop {
                iv.tick().await;
                t.tick();
            }
        });
        (o, handle)
    } else {
        let o = Arc::new(HumanObserver::new(quiet));
        let t = o.clone();
        let handle = tokio::spawn(async move {
            let mut iv = tokio::time::interval(Duration::from_millis(150));
            loop {
                iv.tick().await;
                t.tick();
            }
        });
        (o, handle)
    }
}

/// Cancels on the first Ctrl-C; exits at once on the second.
pub(crate) fn cancel_on_ctrl_c(quiet: bool) -> CancellationToken {
    let token = CancellationToken::new();
    let t = token.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            if !quiet {
                eprintln!("interrupting: stopping workers (Ctrl-C again to exit now)");
            }
            t.cancel();
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(i32::from(INTERRUPTED));
            }
        }
    });
    token
}

async fn run(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::Plan(args) => {
            let src = database_source(&args.source)?;
            let report = haul_engine::dump::plan(&src, &selection(&args.select))
                .await
                .with_context(|| format!("planning {src}"))?;
            if cli.json {
                json_line("plan", &report);
            } else {
                plan_view::print_plan(&report);
            }
            Ok(OK)
        }
        Command::Dump(args) => {
            let src = database_source(&args.source)?;
            let opts = DumpOptions {
                selection: selection(&args.select),
                jobs: usize::from(args.jobs),
                compression: args.compression,
                restart: args.restart,
                ..DumpOptions::default()
            };
            let cancel = cancel_on_ctrl_c(cli.quiet || cli.json);
            let (observer, ticker) = observer(cli.json, cli.quiet);
            let result = haul_engine::dump::dump(&src, &args.dir, &opts, observer, cancel).await;
            ticker.abort();
            let summary =
                result.with_context(|| format!("dumping {src} into `{}`", args.dir.display()))?;
            if !cli.json && !cli.quiet {
                print_summary("dump", &summary);
            }
            Ok(if summary.ok { OK } else { PARTIAL })
        }
        Command::Load(args) => load_cmd::run(args, cli.json, cli.quiet).await,
        Command::Copy(args) => load_cmd::run_copy(args, cli.json, cli.quiet).await,
        Command::Diff(args) => diff_cmd::run(args, cli.json, cli.quiet).await,
        Command::Sync(args) => sync_cmd::run(args, cli.json, cli.quiet).await,
        Command::Verify(args) => {
            let dir = args.dir.clone();
            let jobs = usize::from(args.jobs);
            let report = match &args.against {
                Some(url) => {
                    let dst = database_url(url, "target")?;
                    haul_engine::verify_target::verify_against(&dir, &dst, jobs)
                        .await
                        .with_context(|| {
                            format!("verifying {dst} against `{}`", args.dir.display())
                        })?
                }
                None => {
                    tokio::task::spawn_blocking(move || haul_engine::verify::verify_dir(&dir, jobs))
                        .await
                        .context("verify thread failed")?
                        .with_context(|| format!("verifying `{}`", args.dir.display()))?
                }
            };
            if cli.json {
                for p in &report.problems {
                    json_line("problem", p);
                }
                json_line("verified", &report);
            } else {
                for p in &report.problems {
                    let chunk = if p.chunk.is_empty() {
                        "-"
                    } else {
                        p.chunk.as_str()
                    };
                    println!("BAD {chunk}  {}  {}", p.file, p.problem);
                }
                if !cli.quiet {
                    if report.ok() {
                        let what = match &args.against {
                            Some(_) => "in the database".to_string(),
                            None => output::human_bytes(report.bytes),
                        };
                        println!(
                            "verified {} chunk(s), {} rows, {what}: all match",
                            report.chunks,
                            output::group_digits(report.rows),
                        );
                    } else {
                        println!(
                            "{} problem(s); {} of {} chunk(s) verified{}",
                            report.problems.len(),
                            report.chunks_ok,
                            report.chunks,
                            if report.finished {
                                ""
                            } else {
                                " (the dump did not finish: rerun it to resume)"
                            }
                        );
                    }
                }
            }
            Ok(if report.ok() { OK } else { PARTIAL })
        }
    }
}
