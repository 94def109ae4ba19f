//! The MySQL/MariaDB comparisons (issue 4, DESIGN.md §7) over the whole TPC-H database in
//! MariaDB (e2e/tpch_mysql.rs), all eight tables with their primary keys:
//!
//! ```text
//! my-dump (timed, output to a fresh directory):
//!   haul_my_dump   haul dump mysql://…/<db> DIR --jobs N
//!   mydumper       mydumper -B <db> -o DIR -t N          (defaults: SQL INSERTs, uncompressed,
//!                                                         one file and one thread per table)
//!   mydumper_c     the same with -c (gzip): compressed output, as haul's zstd Parquet
//!   mydumper_rows  the same with -r R (tables split into chunks of R rows, R = lineitem / 8)
//! my-load (untimed: each tool's own dump of the source; timed: into an empty database):
//!   haul_my_load   haul load --jobs N DIR mysql://…/haul_bench_tmp_target
//!   myloader       myloader -d DIR -B haul_bench_tmp_target -t N   (the mydumper dump)
//!   myloader_rows  the same from the mydumper_rows dump (lineitem in chunks)
//! my-copy (timed, into an empty PostgreSQL database):
//!   haul_my_copy   haul copy --jobs N mysql://…/<db> postgres://…/haul_bench_tmp_target
//!   pgloader       pgloader --with "workers = N" --with "concurrency = 1"
//!                           --with "max parallel create index = N" mysql://… pgsql://…
//! after each: COUNT(*) of every table and the primary keys in the target, then drop it
//! ```
//!
//! Before each measurement InnoDB's dirty pages are flushed (the MySQL analogue of the
//! CHECKPOINT the PostgreSQL comparisons run), and while it runs a watcher polls the server's
//! process list: a busy session on another database marks the repetition noisy, since the
//! server's CPU (one `mariadbd` process) cannot be split by database from `/proc`.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use mysql_async::prelude::Queryable as _;
use serde::Serialize;
use tokio::task::JoinHandle;

use crate::load::{self, Prepared, TARGET_DB, Verified, remove_dir, run_step, step_failure};
use crate::measure::Cmd;
use crate::tpch::Dataset;
use crate::tpch_mysql::{self, connect};
use crate::{Ctx, procfs};

pub const DUMP_VARIANTS: [&str; 4] = ["haul_my_dump", "mydumper", "mydumper_c", "mydumper_rows"];
pub const LOAD_VARIANTS: [&str; 3] = ["haul_my_load", "myloader", "myloader_rows"];
pub const COPY_VARIANTS: [&str; 2] = ["haul_my_copy", "pgloader"];

/// True for the variants of the MySQL comparisons.
pub fn is_mysql(variant: &str) -> bool {
    DUMP_VARIANTS.contains(&variant)
        || LOAD_VARIANTS.contains(&variant)
        || COPY_VARIANTS.contains(&variant)
}

/// What the MySQL load variants need, made once before the repetitions.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MyPrepared {
    /// `haul dump` of the MySQL source (input of haul_my_load).
    pub haul_dump: Option<PathBuf>,
    /// `mydumper -t N` (input of myloader).
    pub mydumper: Option<PathBuf>,
    /// `mydumper -t N -r R` (input of myloader_rows).
    pub mydumper_rows: Option<PathBuf>,
    /// R of `mydumper -r R`.
    pub rows_per_chunk: u64,
}

/// The MySQL server, as recorded with every run.
#[derive(Debug, Clone, Serialize)]
pub struct MyServer {
    pub version: String,
    /// The server process (its CPU is the server CPU of the MySQL comparisons; 0 if unseen).
    pub pid: u32,
    pub settings: serde_json::Value,
}

/// Version, process and the settings that matter for loads and dumps.
pub async fn server_facts(url: &str) -> Result<MyServer> {
    let mut c = connect(url).await?;
    let version: Option<String> = c.query_first("SELECT VERSION()").await?;
    let pid_file: Option<String> = c.query_first("SELECT @@GLOBAL.pid_file").await?;
    let names = [
        "innodb_buffer_pool_size",
        "innodb_flush_method",
        "innodb_flush_log_at_trx_commit",
        "innodb_log_file_size",
        "innodb_doublewrite",
        "innodb_io_capacity",
        "log_bin",
        "sync_binlog",
        "max_allowed_packet",
        "local_infile",
        "character_set_server",
        "thread_handling",
        "max_connections",
    ];
    let rows: Vec<(String, String)> = c
        .query(format!(
            "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('{}')",
            names.join("','")
        ))
        .await?;
    c.disconnect().await?;
    let pid = pid_file
        .and_then(|f| fs::read_to_string(f).ok())
        .and_then(|s| s.trim().parse::<u32>().ok())
        .or_else(find_mysqld)
        .unwrap_or(0);
    if pid == 0 {
        eprintln!("warning: the MySQL server process is not visible; its CPU will read 0");
    }
    Ok(MyServer {
        version: version.unwrap_or_default(),
        pid,
        settings: serde_json::Value::Object(
            rows.into_iter()
                .map(|(k, v)| (k, serde_json::Value::String(v)))
                .collect(),
        ),
    })
}

/// The first `mariadbd` or `mysqld` process in `/proc`.
fn find_mysqld() -> Option<u32> {
    let snap = procfs::Snapshot::take();
    snap.procs
        .values()
        .find(|p| p.comm == "mariadbd" || p.comm == "mysqld")
        .map(|p| p.pid)
}

/// The selected variants whose programs do not run, with the reason.
pub fn missing_tools(ctx_args: &crate::Args, timed: &[&str]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let a = ctx_args;
    for v in timed {
        let needs: &[&str] = match *v {
            "mydumper" | "mydumper_c" | "mydumper_rows" => &[&a.mydumper],
            "myloader" | "myloader_rows" => &[&a.mydumper, &a.myloader],
            "pgloader" => &[&a.pgloader],
            _ => &[],
        };
        if let Some(p) = needs.iter().find(|p| !load::tool_runs(p)) {
            out.push((v.to_string(), format!("`{p} --version` did not run")));
        }
    }
    out
}

/// `-h HOST -P PORT -u USER` of a `mysql://` URL (the password, if any, comes from `MYSQL_PWD`).
fn conn_args(url: &str) -> Result<Vec<String>> {
    let o = tpch_mysql::opts(url)?;
    let mut v = vec![
        "-h".to_string(),
        o.ip_or_hostname().to_string(),
        "-P".into(),
        o.tcp_port().to_string(),
    ];
    if let Some(u) = o.user() {
        v.push("-u".into());
        v.push(u.to_string());
    }
    Ok(v)
}

/// The MySQL target database of the load variants (same server and user as `--my-url`).
pub fn target_url(ctx: &Ctx) -> Result<String> {
    crate::tpch::with_database(&ctx.args.my_url, TARGET_DB)
}

/// pgloader's spelling of a PostgreSQL URL.
fn pgloader_url(url: &str) -> String {
    for scheme in ["postgres://", "postgresql://"] {
        if let Some(rest) = url.strip_prefix(scheme) {
            return format!("pgsql://{rest}");
        }
    }
    url.to_string()
}

fn path_str(p: &Path) -> Result<&str> {
    p.to_str()
        .ok_or_else(|| anyhow!("non-UTF-8 path {}", p.display()))
}

fn pgloader_dir(ctx: &Ctx) -> PathBuf {
    ctx.args.work_dir.join("pgloader-work")
}

/// R of `mydumper -r R`: `--mydumper-rows`, or an eighth of lineitem's rows (at least 1000).
pub fn rows_per_chunk(ctx: &Ctx, d: &Dataset) -> u64 {
    if ctx.args.mydumper_rows > 0 {
        ctx.args.mydumper_rows
    } else {
        (d.rows / 8).max(1000)
    }
}

/// `mydumper` of the whole source into `dir`, with `extra` options.
fn mydumper(ctx: &Ctx, d: &Dataset, dir: &Path, extra: &[&str]) -> Result<Cmd> {
    let mut c = Cmd::new(&ctx.args.mydumper, &[]);
    c.args = conn_args(&d.url)?;
    let jobs = ctx.args.jobs.to_string();
    c.args.extend(
        ["-B", &d.database, "-o", path_str(dir)?, "-t", &jobs]
            .iter()
            .chain(extra)
            .map(|s| s.to_string()),
    );
    Ok(c)
}

/// The processes of one MySQL variant; `dir` is a my-dump variant's output directory.
pub fn commands(
    ctx: &Ctx,
    variant: &str,
    d: &Dataset,
    dir: &Path,
    prep: &Prepared,
) -> Result<Vec<Cmd>> {
    let jobs = ctx.args.jobs.to_string();
    let haul = || -> Result<&str> {
        let bin = ctx.haul.as_ref().ok_or_else(|| anyhow!("no haul binary"))?;
        path_str(bin)
    };
    let my = &prep.my;
    let input = |p: &Option<PathBuf>, what: &str| -> Result<String> {
        let p = p.as_deref().ok_or_else(|| anyhow!("no {what} to load"))?;
        Ok(path_str(p)?.to_string())
    };
    let rows = rows_per_chunk(ctx, d).to_string();
    let c = match variant {
        "haul_my_dump" => {
            let mut c = Cmd::new(
                haul()?,
                &["dump", &d.url, path_str(dir)?, "--jobs", &jobs, "--quiet"],
            );
            c.args.extend(ctx.args.haul_args.iter().cloned());
            c
        }
        "mydumper" => mydumper(ctx, d, dir, &[])?,
        "mydumper_c" => mydumper(ctx, d, dir, &["-c"])?,
        "mydumper_rows" => mydumper(ctx, d, dir, &["-r", &rows])?,
        "haul_my_load" => {
            let from = input(&my.haul_dump, "haul dump")?;
            let mut c = Cmd::new(
                haul()?,
                &["load", "--jobs", &jobs, "--quiet", &from, &target_url(ctx)?],
            );
            c.args.extend(ctx.args.haul_load_args.iter().cloned());
            c
        }
        "myloader" | "myloader_rows" => {
            let from = if variant == "myloader" {
                input(&my.mydumper, "mydumper dump")?
            } else {
                input(&my.mydumper_rows, "mydumper -r dump")?
            };
            let mut c = Cmd::new(&ctx.args.myloader, &[]);
            c.args = conn_args(&ctx.args.my_url)?;
            c.args.extend(
                ["-d", &from, "-B", TARGET_DB, "-t", &jobs]
                    .iter()
                    .map(|s| s.to_string()),
            );
            c
        }
        "haul_my_copy" => {
            let mut c = Cmd::new(
                haul()?,
                &[
                    "copy",
                    "--jobs",
                    &jobs,
                    "--quiet",
                    &d.url,
                    &load::target_url(ctx)?,
                ],
            );
            c.args.extend(ctx.args.haul_copy_args.iter().cloned());
            c
        }
        "pgloader" => Cmd::new(
            &ctx.args.pgloader,
            &[
                "--root-dir",
                path_str(&pgloader_dir(ctx))?,
                "--with",
                &format!("workers = {jobs}"),
                "--with",
                "concurrency = 1",
                "--with",
                &format!("max parallel create index = {jobs}"),
                &d.url,
                &pgloader_url(&load::target_url(ctx)?),
            ],
        ),
        other => bail!("unknown MySQL variant {other}"),
    };
    Ok(vec![c])
}

/// Makes the inputs of the selected MySQL load variants, once (each tool's own dump of the
/// source). A variant whose input could not be made is returned with the reason.
pub fn prepare(
    ctx: &Ctx,
    d: &Dataset,
    variants: &[&str],
    prep: &mut Prepared,
) -> Result<Vec<(String, String)>> {
    let mut failed = Vec::new();
    let tag = format!("sf{}", d.scale);
    prep.my.rows_per_chunk = rows_per_chunk(ctx, d);
    let wanted: [(&str, &str, &str); 3] = [
        (
            "haul_my_load",
            "haul-my-dump",
            "haul dump of the MySQL source (input of haul_my_load)",
        ),
        (
            "myloader",
            "mydumper",
            "mydumper of the MySQL source (input of myloader)",
        ),
        (
            "myloader_rows",
            "mydumper-rows",
            "mydumper -r of the MySQL source (input of myloader_rows)",
        ),
    ];
    for (variant, name, what) in wanted {
        if !variants.contains(&variant) {
            continue;
        }
        let dir = ctx.args.work_dir.join(format!("prep-{name}-{tag}"));
        remove_dir(&dir)?;
        let source_variant = match variant {
            "haul_my_load" => "haul_my_dump",
            "myloader" => "mydumper",
            _ => "mydumper_rows",
        };
        let cmd = commands(ctx, source_variant, d, &dir, prep)?.remove(0);
        let mut step = run_step(what, &cmd, &dir);
        if step.ok
            && let Err(e) = check_dump(source_variant, d, &dir)
        {
            step.ok = false;
            step.error = Some(format!("{e:#}"));
        }
        if step.ok {
            let slot = match variant {
                "haul_my_load" => &mut prep.my.haul_dump,
                "myloader" => &mut prep.my.mydumper,
                _ => &mut prep.my.mydumper_rows,
            };
            *slot = Some(dir);
        } else {
            failed.push((variant.to_string(), step_failure(&step)));
        }
        prep.steps.push(step);
    }
    Ok(failed)
}

/// Checks a my-dump variant's output: haul's journal holds exactly the source's rows; a
/// mydumper dump has a data file for every table. Returns (rows, chunks, per-chunk seconds)
/// of a haul dump.
pub fn check_dump(
    variant: &str,
    d: &Dataset,
    dir: &Path,
) -> Result<Option<(u64, usize, Vec<f64>)>> {
    if variant == "haul_my_dump" {
        let j = crate::measure::haul_journal(dir)
            .ok_or_else(|| anyhow!("no chunks.jsonl in {}", dir.display()))?;
        let want: u64 = d.tables.iter().map(|t| t.rows).sum();
        if j.0 != want {
            bail!(
                "haul's journal records {} rows but {} holds {want}",
                j.0,
                d.database
            );
        }
        return Ok(Some(j));
    }
    let names: Vec<String> = fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .flatten()
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .collect();
    let missing: Vec<&str> = d
        .tables
        .iter()
        .map(|t| t.name.as_str())
        .filter(|t| {
            let prefix = format!("{}.{t}.", d.database);
            !names.iter().any(|n| {
                n.starts_with(&prefix)
                    && !n.contains("-schema")
                    && (n.ends_with(".sql") || n.ends_with(".sql.gz"))
            })
        })
        .collect();
    if !missing.is_empty() {
        bail!("{variant} wrote no data file for {}", missing.join(", "));
    }
    Ok(None)
}

/// Before a repetition (not timed): an empty target database (MariaDB for my-load,
/// PostgreSQL for my-copy) and a clean pgloader directory.
pub async fn setup(ctx: &Ctx, variant: &str) -> Result<()> {
    if LOAD_VARIANTS.contains(&variant) {
        recreate_target(ctx, true).await?;
    }
    if COPY_VARIANTS.contains(&variant) {
        load::recreate_target(ctx, true).await?;
        remove_dir(&pgloader_dir(ctx))?;
    }
    Ok(())
}

/// After a repetition (not timed): drops what it made.
pub async fn teardown(ctx: &Ctx, variant: &str) -> Result<()> {
    if LOAD_VARIANTS.contains(&variant) {
        recreate_target(ctx, false).await?;
    }
    if COPY_VARIANTS.contains(&variant) {
        load::recreate_target(ctx, false).await?;
    }
    Ok(())
}

/// Drops the MySQL target database, and creates it again empty if `create`.
pub async fn recreate_target(ctx: &Ctx, create: bool) -> Result<()> {
    let mut c = connect(&ctx.args.my_url).await?;
    c.query_drop(format!("DROP DATABASE IF EXISTS `{TARGET_DB}`"))
        .await
        .with_context(|| format!("dropping MySQL {TARGET_DB}"))?;
    if create {
        c.query_drop(format!("CREATE DATABASE `{TARGET_DB}`"))
            .await
            .with_context(|| format!("creating MySQL {TARGET_DB}"))?;
    }
    c.disconnect().await?;
    Ok(())
}

/// Counts every source table's rows in the target of a my-load or my-copy variant and checks
/// its primary key.
pub async fn verify(ctx: &Ctx, variant: &str, d: &Dataset) -> Result<Verified> {
    if COPY_VARIANTS.contains(&variant) {
        return load::verify_anywhere(ctx, d).await;
    }
    let mut c = connect(&target_url(ctx)?).await?;
    let mut v = Verified::default();
    for t in &d.tables {
        match tpch_mysql::count(&mut c, Some(TARGET_DB), &t.name).await {
            Ok(n) => {
                v.rows += n;
                if n != t.rows {
                    v.mismatches
                        .push(format!("{}: {n} rows, source {}", t.name, t.rows));
                }
            }
            Err(e) => v.mismatches.push(format!("{}: {e:#}", t.name)),
        }
    }
    let names: Vec<&str> = d.tables.iter().map(|t| t.name.as_str()).collect();
    let keyed: Vec<String> = c
        .exec(
            "SELECT TABLE_NAME FROM information_schema.TABLE_CONSTRAINTS \
             WHERE TABLE_SCHEMA = ? AND CONSTRAINT_TYPE = 'PRIMARY KEY'",
            (TARGET_DB,),
        )
        .await?;
    v.pk_tables = keyed.iter().filter(|k| names.contains(&k.as_str())).count();
    // Fresh statistics, so that the sizes below are not those of an empty table.
    for t in &d.tables {
        let _ = c
            .query_drop(format!("ANALYZE TABLE `{TARGET_DB}`.`{}`", t.name))
            .await;
    }
    let bytes: Option<u64> = c
        .exec_first(
            "SELECT CAST(COALESCE(SUM(DATA_LENGTH + INDEX_LENGTH), 0) AS UNSIGNED) \
             FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?",
            (TARGET_DB,),
        )
        .await?;
    v.bytes = bytes.unwrap_or(0);
    c.disconnect().await?;
    Ok(v)
}

/// Flushes InnoDB's dirty pages (the previous load's) so that they are not written during the
/// next measurement: `innodb_max_dirty_pages_pct = 0` until the pool is clean (at most
/// `max_wait`), then the setting as it was. Returns the seconds waited.
pub async fn settle(url: &str, max_wait: Duration) -> Result<f64> {
    const CLEAN: u64 = 64;
    let t = Instant::now();
    let mut c = connect(url).await?;
    if dirty_pages(&mut c).await? <= CLEAN {
        c.disconnect().await?;
        return Ok(0.0);
    }
    let old: Option<String> = c
        .query_first("SELECT @@GLOBAL.innodb_max_dirty_pages_pct")
        .await?;
    let old = old.ok_or_else(|| anyhow!("no innodb_max_dirty_pages_pct"))?;
    c.query_drop("SET GLOBAL innodb_max_dirty_pages_pct = 0")
        .await?;
    let mut waited = Ok(());
    while dirty_pages(&mut c).await? > CLEAN {
        if t.elapsed() > max_wait {
            waited = Err(anyhow!(
                "InnoDB still has dirty pages after {:.0} s",
                max_wait.as_secs_f64()
            ));
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    c.query_drop(format!(
        "SET GLOBAL innodb_max_dirty_pages_pct = {}",
        old.parse::<f64>().context("innodb_max_dirty_pages_pct")?
    ))
    .await?;
    c.disconnect().await?;
    if let Err(e) = waited {
        eprintln!("  note: {e:#}; measuring anyway");
    }
    Ok(t.elapsed().as_secs_f64())
}

async fn dirty_pages(c: &mut mysql_async::Conn) -> Result<u64> {
    let row: Option<(String, u64)> = c
        .query_first("SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_pages_dirty'")
        .await?;
    Ok(row.map(|r| r.1).unwrap_or(0))
}

/// Polls the server's process list while a measurement runs.
#[derive(Debug)]
pub struct SessionWatch {
    stop: Arc<AtomicBool>,
    task: JoinHandle<Result<Vec<String>>>,
}

impl SessionWatch {
    /// Starts polling every 500 ms for busy sessions on databases other than `dbs`.
    pub fn start(ctx: &Ctx, dbs: &[&str]) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let url = ctx.args.my_url.clone();
        let dbs: Vec<String> = dbs.iter().map(|s| s.to_string()).collect();
        let flag = stop.clone();
        let task = ctx.rt.spawn(async move {
            let mut c = connect(&url).await?;
            let mut seen: Vec<String> = Vec::new();
            let mut ids: Vec<u64> = Vec::new();
            while !flag.load(Ordering::Relaxed) {
                let rows: Vec<(u64, String, String, String)> = c
                    .query(
                        "SELECT ID, USER, DB, COMMAND FROM information_schema.PROCESSLIST \
                         WHERE ID <> CONNECTION_ID() AND DB IS NOT NULL AND COMMAND <> 'Sleep'",
                    )
                    .await?;
                for (id, user, db, command) in rows {
                    if !dbs.contains(&db) && !ids.contains(&id) {
                        ids.push(id);
                        seen.push(format!("session {id} of {user} on {db} ({command})"));
                    }
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            c.disconnect().await?;
            Ok(seen)
        });
        Self { stop, task }
    }

    /// Stops polling; the busy sessions on other databases seen meanwhile.
    pub fn finish(self, ctx: &Ctx) -> Vec<String> {
        self.stop.store(true, Ordering::Relaxed);
        match ctx.rt.block_on(self.task) {
            Ok(Ok(seen)) => seen,
            Ok(Err(e)) => vec![format!("(process list not watched: {e:#})")],
            Err(e) => vec![format!("(process list watcher failed: {e})")],
        }
    }
}

/// Removes the prepared dumps and pgloader's directory.
pub fn cleanup(ctx: &Ctx, prep: &Prepared) -> Result<()> {
    for dir in [
        &prep.my.haul_dump,
        &prep.my.mydumper,
        &prep.my.mydumper_rows,
    ]
    .into_iter()
    .flatten()
    {
        remove_dir(dir)?;
    }
    remove_dir(&pgloader_dir(ctx))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_for_the_tools() {
        assert_eq!(
            pgloader_url("postgres://postgres@127.0.0.1:5432/t"),
            "pgsql://postgres@127.0.0.1:5432/t"
        );
        assert_eq!(
            conn_args("mysql://root@127.0.0.1:3306/db").expect("args"),
            ["-h", "127.0.0.1", "-P", "3306", "-u", "root"]
        );
    }

    #[test]
    fn variants_are_mysql() {
        assert!(is_mysql("mydumper") && is_mysql("haul_my_copy"));
        assert!(!is_mysql("haul") && !is_mysql("pgcopydb"));
    }
}
