//! The load and copy comparisons (DESIGN.md §7) over the whole TPC-H database, all eight
//! tables with their primary keys:
//!
//! ```text
//! once, before the repetitions (not timed):
//!   haul dump --jobs N SOURCE DIR                 → the input of haul_load
//!   pg_dump -Fd -Z0 -j N SOURCE -f DIR            → the input of pg_restore
//!   COPY (… ctid range …) TO STDOUT (FORMAT binary) → <stage-dir>/sf<scale>/<table>.<part>.bin
//! before each repetition (not timed): drop and recreate the target database (copy_from and
//! copy_from_pk: with the tables, without primary keys), CHECKPOINT
//! timed:
//!   haul_load   haul load --jobs N --if-exists replace DIR TARGET
//!   pg_restore  pg_restore -j N -d TARGET DIR                      (builds the primary keys)
//!   copy_from   N × psql -c "COPY t FROM '<file>' (FORMAT binary)" … (no indexes: the floor)
//!   copy_from_pk  the same, then N × psql -c "ALTER TABLE t ADD PRIMARY KEY (…)" … (same work
//!               as a restore: rows, then keys)
//!   haul_copy   haul copy --jobs N --if-exists replace SOURCE TARGET
//!   pgcopydb    pgcopydb clone --table-jobs N --index-jobs N --source … --target … --dir …
//! after each (not timed): count(*) of every table and the primary keys against the source,
//! then drop the target
//! ```
//!
//! The staged files are read by the server process itself (`COPY … FROM 'file'`), so they are
//! written here world-readable (directory 755, files 644): the server runs as another OS user.
//! Tables of at least [`SPLIT_PAGES`] heap pages are staged as N files by ctid ranges, so the
//! N sessions share the big tables the way haul's chunks do; the files are dealt to the sessions
//! largest first, each to the session with the fewest bytes so far.

use std::fs::{self, File};
use std::io::Write as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail};
use futures_util::TryStreamExt as _;
use serde::Serialize;
use tokio::task::JoinHandle;
use tokio_postgres::{Client, NoTls};

use crate::Ctx;
use crate::measure::Cmd;
use crate::tpch::{self, Dataset, TABLES};

pub const LOAD_VARIANTS: [&str; 4] = ["haul_load", "pg_restore", "copy_from", "copy_from_pk"];
pub const COPY_VARIANTS: [&str; 2] = ["haul_copy", "pgcopydb"];

/// The database every load and copy writes into; dropped after each repetition.
pub const TARGET_DB: &str = "haul_bench_tmp_target";

/// Tables of at least this many heap pages (8 MiB) are staged as one file per session.
pub const SPLIT_PAGES: u64 = 1024;

/// One staged binary COPY file.
#[derive(Debug, Clone, Serialize)]
pub struct StagedFile {
    pub table: String,
    pub path: PathBuf,
    pub bytes: u64,
}

/// One untimed preparation step, as recorded in the JSON.
#[derive(Debug, Clone, Serialize)]
pub struct PrepStep {
    pub what: String,
    pub command: String,
    pub wall_s: f64,
    pub bytes: u64,
    pub ok: bool,
    pub error: Option<String>,
}

/// What the load and copy variants need, made once before the repetitions.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Prepared {
    /// `haul dump` of the whole source (input of haul_load).
    pub haul_dump: Option<PathBuf>,
    /// `pg_dump -Fd -Z0` of the whole source (input of pg_restore).
    pub pg_dump: Option<PathBuf>,
    /// Binary COPY files, one list per concurrent session (input of copy_from, copy_from_pk).
    pub sessions: Vec<Vec<StagedFile>>,
    pub stage_dir: Option<PathBuf>,
    /// Inputs of the MySQL load variants (e2e/mysql.rs).
    pub my: crate::mysql::MyPrepared,
    pub steps: Vec<PrepStep>,
}

/// What a load or copy left in the target.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Verified {
    /// Rows over the source's tables, as counted in the target.
    pub rows: u64,
    /// Source tables whose primary key the target has.
    pub pk_tables: usize,
    /// `pg_database_size` of the target.
    pub bytes: u64,
    /// What differs from the source ("lineitem: 600000 rows, source 600572"), empty if nothing.
    pub mismatches: Vec<String>,
}

/// The target database's URL.
pub fn target_url(ctx: &Ctx) -> Result<String> {
    tpch::with_database(&ctx.args.pg_url, TARGET_DB)
}

/// The databases whose backends do a variant's work.
pub fn databases<'a>(variant: &str, d: &'a Dataset) -> Vec<&'a str> {
    if COPY_VARIANTS.contains(&variant) {
        vec![d.database.as_str(), TARGET_DB]
    } else {
        vec![TARGET_DB]
    }
}

/// True if `<program> --version` runs and succeeds.
pub fn tool_runs(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn path_str(p: &Path) -> Result<&str> {
    p.to_str()
        .ok_or_else(|| anyhow!("non-UTF-8 path {}", p.display()))
}

fn pgcopydb_dir(ctx: &Ctx) -> PathBuf {
    ctx.args.work_dir.join("pgcopydb-work")
}

/// The processes of one load or copy variant.
pub fn commands(ctx: &Ctx, variant: &str, d: &Dataset, prep: &Prepared) -> Result<Vec<Cmd>> {
    let jobs = ctx.args.jobs.to_string();
    let target = target_url(ctx)?;
    let haul = || -> Result<&str> {
        let bin = ctx.haul.as_ref().ok_or_else(|| anyhow!("no haul binary"))?;
        path_str(bin)
    };
    Ok(match variant {
        "haul_load" => {
            let dir = prep
                .haul_dump
                .as_deref()
                .ok_or_else(|| anyhow!("no haul dump to load"))?;
            let mut c = Cmd::new(
                haul()?,
                &[
                    "load",
                    "--jobs",
                    &jobs,
                    "--if-exists",
                    "replace",
                    "--quiet",
                    path_str(dir)?,
                    &target,
                ],
            );
            c.args.extend(ctx.args.haul_load_args.iter().cloned());
            vec![c]
        }
        "pg_restore" => {
            let dir = prep
                .pg_dump
                .as_deref()
                .ok_or_else(|| anyhow!("no pg_dump to restore"))?;
            vec![Cmd::new(
                "pg_restore",
                &["-j", &jobs, "-d", &target, path_str(dir)?],
            )]
        }
        "copy_from" => copy_from_sessions(&target, prep)?,
        "copy_from_pk" => {
            // One shell: the COPY sessions, then (after all of them) the primary keys, built
            // by as many sessions, biggest table first — what a restore of these files does.
            let mut script = String::from("set -e\n");
            for phase in [
                copy_from_sessions(&target, prep)?,
                pk_sessions(&target, prep),
            ] {
                let mut pids = Vec::new();
                for (i, c) in phase.iter().enumerate() {
                    script.push_str(&format!("{} & p{i}=$!\n", c.display()));
                    pids.push(format!("wait $p{i}"));
                }
                script.push_str(&pids.join("; "));
                script.push('\n');
            }
            vec![Cmd {
                program: "sh".into(),
                args: vec!["-c".into(), script],
            }]
        }
        "haul_copy" => {
            let mut c = Cmd::new(
                haul()?,
                &[
                    "copy",
                    "--jobs",
                    &jobs,
                    "--if-exists",
                    "replace",
                    "--quiet",
                    &d.url,
                    &target,
                ],
            );
            c.args.extend(ctx.args.haul_copy_args.iter().cloned());
            vec![c]
        }
        "pgcopydb" => vec![Cmd::new(
            &ctx.args.pgcopydb,
            &[
                "clone",
                "--table-jobs",
                &jobs,
                "--index-jobs",
                &jobs,
                "--source",
                &d.url,
                "--target",
                &target,
                "--dir",
                path_str(&pgcopydb_dir(ctx))?,
            ],
        )],
        other => bail!("unknown load/copy variant {other}"),
    })
}

/// Makes the inputs of the selected variants, once. A variant whose input could not be made
/// is returned with the reason; the others go on.
pub fn prepare(
    ctx: &Ctx,
    d: &Dataset,
    variants: &[&str],
) -> Result<(Prepared, Vec<(String, String)>)> {
    let mut prep = Prepared::default();
    let mut failed = Vec::new();
    let jobs = ctx.args.jobs.to_string();
    let tag = format!("sf{}", d.scale);
    if variants.contains(&"haul_load") {
        let dir = ctx.args.work_dir.join(format!("prep-haul-dump-{tag}"));
        remove_dir(&dir)?;
        let bin = ctx.haul.as_ref().ok_or_else(|| anyhow!("no haul binary"))?;
        let mut c = Cmd::new(
            path_str(bin)?,
            &["dump", &d.url, path_str(&dir)?, "--jobs", &jobs, "--quiet"],
        );
        c.args.extend(ctx.args.haul_args.iter().cloned());
        let step = run_step(
            "haul dump of the whole source (input of haul_load)",
            &c,
            &dir,
        );
        if step.ok {
            prep.haul_dump = Some(dir);
        } else {
            failed.push(("haul_load".to_string(), step_failure(&step)));
        }
        prep.steps.push(step);
    }
    if variants.contains(&"pg_restore") {
        let dir = ctx.args.work_dir.join(format!("prep-pg_dump-{tag}"));
        remove_dir(&dir)?;
        let c = Cmd::new(
            "pg_dump",
            &[
                "-d",
                &d.url,
                "-Fd",
                "-Z0",
                "-j",
                &jobs,
                "-f",
                path_str(&dir)?,
            ],
        );
        let step = run_step(
            "pg_dump -Fd -Z0 of the whole source (input of pg_restore)",
            &c,
            &dir,
        );
        if step.ok {
            prep.pg_dump = Some(dir);
        } else {
            failed.push(("pg_restore".to_string(), step_failure(&step)));
        }
        prep.steps.push(step);
    }
    if variants.contains(&"copy_from") || variants.contains(&"copy_from_pk") {
        let dir = ctx.args.stage_dir.join(&tag);
        let t = Instant::now();
        let staged = ctx.rt.block_on(stage(
            d,
            &ctx.args.stage_dir,
            &dir,
            usize::from(ctx.args.jobs),
        ));
        let bytes = staged
            .as_ref()
            .map(|s| s.iter().flatten().map(|f| f.bytes).sum())
            .unwrap_or(0);
        let step = PrepStep {
            what: "binary COPY files of every table (input of copy_from, copy_from_pk)".into(),
            command: format!(
                "COPY (SELECT * FROM <table> WHERE ctid range) TO STDOUT (FORMAT binary) > {}/<table>.<part>.bin",
                dir.display()
            ),
            wall_s: t.elapsed().as_secs_f64(),
            bytes,
            ok: staged.is_ok(),
            error: staged.as_ref().err().map(|e| format!("{e:#}")),
        };
        eprintln!(
            "  prepared: {} in {:.1} s, {:.1} MB{}",
            step.what,
            step.wall_s,
            bytes as f64 / 1e6,
            if step.ok { "" } else { "  FAILED" }
        );
        match staged {
            Ok(s) => {
                prep.sessions = s;
                prep.stage_dir = Some(dir);
            }
            Err(e) => {
                for v in ["copy_from", "copy_from_pk"] {
                    failed.push((v.to_string(), format!("{e:#}")));
                }
            }
        }
        prep.steps.push(step);
    }
    Ok((prep, failed))
}

/// One psql per session, one `COPY … FROM '<file>'` per staged file.
fn copy_from_sessions(target: &str, prep: &Prepared) -> Result<Vec<Cmd>> {
    if prep.sessions.is_empty() {
        bail!("no staged COPY files");
    }
    let mut cmds = Vec::new();
    for files in &prep.sessions {
        let mut sql = Vec::new();
        for f in files {
            sql.push(format!(
                "COPY {} FROM '{}' (FORMAT binary)",
                f.table,
                path_str(&f.path)?.replace('\'', "''")
            ));
        }
        cmds.push(psql(target, &sql));
    }
    Ok(cmds)
}

/// One psql per session adding primary keys, tables dealt by staged bytes.
fn pk_sessions(target: &str, prep: &Prepared) -> Vec<Cmd> {
    let by_table: Vec<StagedFile> = TABLES
        .iter()
        .map(|t| StagedFile {
            table: t.name.to_string(),
            path: PathBuf::from(t.name),
            bytes: prep
                .sessions
                .iter()
                .flatten()
                .filter(|f| f.table == t.name)
                .map(|f| f.bytes)
                .sum(),
        })
        .collect();
    deal(by_table, prep.sessions.len())
        .iter()
        .map(|tables| {
            let sql: Vec<String> = tables
                .iter()
                .filter_map(|f| TABLES.iter().find(|t| t.name == f.table))
                .map(|t| format!("ALTER TABLE {} ADD PRIMARY KEY ({})", t.name, t.pk))
                .collect();
            psql(target, &sql)
        })
        .collect()
}

/// `psql` running each statement as its own `-c` (so its own transaction, as haul's chunks).
fn psql(target: &str, statements: &[String]) -> Cmd {
    let mut c = Cmd::new("psql", &["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", target]);
    for s in statements {
        c.args.push("-c".into());
        c.args.push(s.clone());
    }
    c
}

pub fn step_failure(step: &PrepStep) -> String {
    format!(
        "`{}` failed:\n{}",
        step.command,
        step.error.as_deref().unwrap_or("")
    )
}

/// Runs one preparation command to completion and records it.
pub fn run_step(what: &str, c: &Cmd, out_dir: &Path) -> PrepStep {
    eprintln!("  preparing: {}", c.display());
    let t = Instant::now();
    let out = Command::new(&c.program).args(&c.args).output();
    let wall_s = t.elapsed().as_secs_f64();
    let (ok, error) = match out {
        Ok(o) if o.status.success() => (true, None),
        Ok(o) => (
            false,
            Some(format!(
                "{}\nstdout:\n{}\nstderr:\n{}",
                o.status,
                String::from_utf8_lossy(&o.stdout).trim(),
                String::from_utf8_lossy(&o.stderr).trim()
            )),
        ),
        Err(e) => (false, Some(format!("could not start: {e}"))),
    };
    let (bytes, _) = crate::measure::dir_size(out_dir);
    eprintln!(
        "  prepared: {what} in {wall_s:.1} s, {:.1} MB{}",
        bytes as f64 / 1e6,
        if ok { "" } else { "  FAILED" }
    );
    if let Some(e) = &error {
        eprintln!("    {}", e.replace('\n', "\n    "));
    }
    PrepStep {
        what: what.to_string(),
        command: c.display(),
        wall_s,
        bytes,
        ok,
        error,
    }
}

/// Writes every table of `d` as binary COPY files under `dir` (readable by the server's OS
/// user) and deals them to `sessions` lists.
async fn stage(
    d: &Dataset,
    root: &Path,
    dir: &Path,
    sessions: usize,
) -> Result<Vec<Vec<StagedFile>>> {
    remove_dir(dir)?;
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    for p in [root, dir] {
        fs::set_permissions(p, fs::Permissions::from_mode(0o755))
            .with_context(|| format!("chmod 755 {}", p.display()))?;
    }
    let dir = fs::canonicalize(dir).with_context(|| format!("resolving {}", dir.display()))?;
    let client = tpch::connect(&d.url).await?;
    let sessions = sessions.max(1);
    let mut files = Vec::new();
    for t in &d.tables {
        let parts = if t.heap_pages >= SPLIT_PAGES {
            sessions as u64
        } else {
            1
        };
        for p in 0..parts {
            let query = copy_out_query(&t.name, t.heap_pages, p, parts);
            let path = dir.join(format!("{}.{p}.bin", t.name));
            let mut file =
                File::create(&path).with_context(|| format!("creating {}", path.display()))?;
            let stream = client
                .copy_out(&query)
                .await
                .with_context(|| format!("`{query}`"))?;
            let mut stream = std::pin::pin!(stream);
            let mut bytes = 0u64;
            while let Some(buf) = stream
                .try_next()
                .await
                .with_context(|| format!("`{query}`"))?
            {
                file.write_all(&buf)
                    .with_context(|| format!("writing {}", path.display()))?;
                bytes += buf.len() as u64;
            }
            file.flush()?;
            fs::set_permissions(&path, fs::Permissions::from_mode(0o644))
                .with_context(|| format!("chmod 644 {}", path.display()))?;
            files.push(StagedFile {
                table: t.name.clone(),
                path,
                bytes,
            });
        }
    }
    Ok(deal(files, sessions))
}

/// `COPY … TO STDOUT (FORMAT binary)` of part `p` of `parts` of a table, by heap page ranges.
fn copy_out_query(table: &str, pages: u64, p: u64, parts: u64) -> String {
    if parts <= 1 {
        return format!("COPY {table} TO STDOUT (FORMAT binary)");
    }
    let mut conds = Vec::new();
    if p > 0 {
        conds.push(format!("ctid >= '({},0)'", pages * p / parts));
    }
    if p + 1 < parts {
        conds.push(format!("ctid < '({},0)'", pages * (p + 1) / parts));
    }
    format!(
        "COPY (SELECT * FROM {table} WHERE {}) TO STDOUT (FORMAT binary)",
        conds.join(" AND ")
    )
}

/// Largest file first, each to the session with the fewest bytes so far.
fn deal(mut files: Vec<StagedFile>, sessions: usize) -> Vec<Vec<StagedFile>> {
    files.sort_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.path.cmp(&b.path)));
    let mut out: Vec<(u64, Vec<StagedFile>)> =
        (0..sessions.max(1)).map(|_| (0, Vec::new())).collect();
    for f in files {
        let (total, list) = out
            .iter_mut()
            .min_by_key(|(total, _)| *total)
            .expect("at least one session");
        *total += f.bytes;
        list.push(f);
    }
    out.into_iter()
        .map(|(_, l)| l)
        .filter(|l| !l.is_empty())
        .collect()
}

/// Before a repetition (not timed): an empty target database (copy_from: with the tables,
/// without primary keys), a clean pgcopydb work directory.
pub async fn setup(ctx: &Ctx, variant: &str) -> Result<()> {
    recreate_target(ctx, true).await?;
    if variant.starts_with("copy_from") {
        let session = Session::open(&target_url(ctx)?).await?;
        for t in &TABLES {
            session
                .client
                .batch_execute(&t.create())
                .await
                .with_context(|| format!("creating {} in {TARGET_DB}", t.name))?;
        }
        session.close().await;
    }
    if variant == "pgcopydb" {
        remove_dir(&pgcopydb_dir(ctx))?;
    }
    Ok(())
}

/// Drops the target database, and creates it again empty if `create`.
pub async fn recreate_target(ctx: &Ctx, create: bool) -> Result<()> {
    let session = Session::open(&ctx.args.pg_url).await?;
    let admin = &session.client;
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {TARGET_DB} WITH (FORCE)"))
        .await
        .with_context(|| format!("dropping {TARGET_DB}"))?;
    if create {
        admin
            .batch_execute(&format!("CREATE DATABASE {TARGET_DB}"))
            .await
            .with_context(|| format!("creating {TARGET_DB}"))?;
    }
    session.close().await;
    Ok(())
}

/// Flushes dirty buffers (the previous load's) so that they are not written during the next
/// measurement.
pub async fn checkpoint(pg_url: &str) -> Result<()> {
    let session = Session::open(pg_url).await?;
    session
        .client
        .batch_execute("CHECKPOINT")
        .await
        .context("CHECKPOINT")?;
    session.close().await;
    Ok(())
}

/// Counts every source table's rows in the target and checks its primary key.
pub async fn verify(ctx: &Ctx, d: &Dataset) -> Result<Verified> {
    let session = Session::open(&target_url(ctx)?).await?;
    let v = count_in(&session.client, d, false).await;
    session.close().await;
    v
}

/// As [`verify`], for tables in whichever schema of the target holds them (pgloader names
/// the schema after the MySQL database).
pub async fn verify_anywhere(ctx: &Ctx, d: &Dataset) -> Result<Verified> {
    let session = Session::open(&target_url(ctx)?).await?;
    let v = count_in(&session.client, d, true).await;
    session.close().await;
    v
}

/// The user schemas that hold a table of that name.
async fn schemas_of(client: &Client, table: &str) -> Result<Vec<String>> {
    let rows = client
        .query(
            "SELECT n.nspname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relname = $1 AND c.relkind IN ('r', 'p') \
             AND n.nspname NOT IN ('pg_catalog', 'information_schema')",
            &[&table],
        )
        .await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

async fn count_in(client: &Client, d: &Dataset, any_schema: bool) -> Result<Verified> {
    let mut v = Verified::default();
    for t in &d.tables {
        let schema = if any_schema {
            match schemas_of(client, &t.name).await?.as_slice() {
                [one] => one.clone(),
                [] => {
                    v.mismatches.push(format!("{}: not in the target", t.name));
                    continue;
                }
                many => {
                    v.mismatches
                        .push(format!("{}: in several schemas {many:?}", t.name));
                    continue;
                }
            }
        } else {
            "public".to_string()
        };
        match client
            .query_one(
                &format!("SELECT count(*) FROM \"{schema}\".{}", t.name),
                &[],
            )
            .await
        {
            Ok(row) => {
                let n = row.get::<_, i64>(0) as u64;
                v.rows += n;
                if n != t.rows {
                    v.mismatches
                        .push(format!("{}: {n} rows, source {}", t.name, t.rows));
                }
            }
            Err(e) => v.mismatches.push(format!("{}: {e}", t.name)),
        }
    }
    let names: Vec<&str> = d.tables.iter().map(|t| t.name.as_str()).collect();
    let row = client
        .query_one(
            "SELECT count(*) FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid \
             JOIN pg_namespace n ON n.oid = r.relnamespace \
             WHERE (n.nspname = 'public' OR ($2 AND n.nspname NOT IN ('pg_catalog', 'information_schema'))) \
             AND c.contype = 'p' AND r.relname = ANY($1)",
            &[&names, &any_schema],
        )
        .await?;
    v.pk_tables = row.get::<_, i64>(0) as usize;
    v.bytes = client
        .query_one("SELECT pg_database_size(current_database())::int8", &[])
        .await?
        .get::<_, i64>(0) as u64;
    Ok(v)
}

/// A connection that is closed before the next step, so that dropping the target database
/// (`WITH (FORCE)`) never races with one of the runner's own sessions still in it.
struct Session {
    client: Client,
    conn: JoinHandle<std::result::Result<(), tokio_postgres::Error>>,
}

impl Session {
    async fn open(url: &str) -> Result<Self> {
        let (client, conn) = tokio_postgres::connect(url, NoTls)
            .await
            .with_context(|| format!("connecting to {url}"))?;
        Ok(Self {
            client,
            conn: tokio::spawn(conn),
        })
    }

    /// Drops the client, then waits for the connection to end (its error, if any, is moot).
    async fn close(self) {
        drop(self.client);
        let _ = self.conn.await;
    }
}

/// Whether a variant must leave the primary keys (copy_from loads into bare tables).
pub fn builds_keys(variant: &str) -> bool {
    variant != "copy_from"
}

/// Removes what the preparation and the repetitions left (dumps, staged files, pgcopydb's
/// work directory); the target database is already gone.
pub fn cleanup(ctx: &Ctx, prep: &Prepared) -> Result<()> {
    for dir in [&prep.haul_dump, &prep.pg_dump, &prep.stage_dir]
        .into_iter()
        .flatten()
    {
        remove_dir(dir)?;
    }
    remove_dir(&pgcopydb_dir(ctx))?;
    // The stage root only if nothing else is in it.
    let _ = fs::remove_dir(&ctx.args.stage_dir);
    Ok(())
}

pub fn remove_dir(dir: &Path) -> Result<()> {
    match fs::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e).with_context(|| format!("removing {}", dir.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_out_ranges_cover_the_heap() {
        assert_eq!(
            copy_out_query("t", 100, 0, 1),
            "COPY t TO STDOUT (FORMAT binary)"
        );
        assert_eq!(
            copy_out_query("t", 100, 0, 2),
            "COPY (SELECT * FROM t WHERE ctid < '(50,0)') TO STDOUT (FORMAT binary)"
        );
        assert_eq!(
            copy_out_query("t", 100, 1, 3),
            "COPY (SELECT * FROM t WHERE ctid >= '(33,0)' AND ctid < '(66,0)') TO STDOUT (FORMAT binary)"
        );
        assert_eq!(
            copy_out_query("t", 100, 2, 3),
            "COPY (SELECT * FROM t WHERE ctid >= '(66,0)') TO STDOUT (FORMAT binary)"
        );
    }

    #[test]
    fn deals_largest_first_to_the_lightest_session() {
        let f = |t: &str, bytes| StagedFile {
            table: t.into(),
            path: PathBuf::from(t),
            bytes,
        };
        let s = deal(
            vec![f("a", 10), f("b", 60), f("c", 50), f("d", 30), f("e", 20)],
            2,
        );
        let names: Vec<Vec<&str>> = s
            .iter()
            .map(|l| l.iter().map(|f| f.table.as_str()).collect())
            .collect();
        assert_eq!(names, [vec!["b", "e", "a"], vec!["c", "d"]]);
        assert_eq!(deal(vec![f("a", 1)], 2).len(), 1);
    }
}
