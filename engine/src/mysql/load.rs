//! `haul load DIR mysql://…`: a MySQL dump into a MySQL/MariaDB database.
//!
//! ```text
//! job row (phase `schema`) ─► CREATE TABLE (as dumped, without secondary indexes and foreign
//!   keys; each table recorded in the job before it is created) ─► phase `data`
//!   └─► chunks (--jobs connections; LOAD DATA LOCAL INFILE streamed from the Parquet files;
//!       each chunk commits with its _haul_chunks row; resume skips recorded chunks)
//!         └─► phase `post`: per table one ALTER adding every secondary index (in parallel),
//!             then foreign keys (added unchecked, then every one checked for orphan rows),
//!             AUTO_INCREMENT, ANALYZE ─► phase `done`
//! ```

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use mysql_async::Conn;
use mysql_async::prelude::Queryable;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::dump::summarize;
use crate::endpoint::MyEndpoint;
use crate::error::{EngineError, Result, my_message};
use crate::events::{Event, Observer, Progress};
use crate::load::{
    IfExists, LoadOptions, LoadReport, Rerun, announce_load, expected_digests, job_id,
    loadable_tables, rerun, start_over_warning,
};
use crate::manifest::{ChunkRecord, Journal, Manifest};
use crate::mysql::ddl::{alter, split_create};
use crate::mysql::from_pg::{self, NumericAs};
use crate::mysql::target::{self, connect_target};
use crate::mysql::{quote_ident, quote_literal};
use crate::plan::TablePlan;
use crate::post::StepFailure;
use crate::runner::{self, ChunkWork};
use crate::sink::Receipt;
use crate::sink::mysql::{MyTargetTable, load_chunk};
use crate::sink::pg::JournalRow;
use crate::source::{CHANNEL_DEPTH, ChunkMsg};

/// Loads the dump in `dir` into `dst`.
pub async fn load(
    dir: &Path,
    dst: &MyEndpoint,
    opts: &LoadOptions,
    observer: Arc<dyn Observer>,
    cancel: CancellationToken,
) -> Result<LoadReport> {
    let started = Instant::now();
    let manifest = Manifest::read(dir)?;
    let from_pg = manifest.source.engine == "postgres";
    if !from_pg && opts.numeric_as != NumericAs::Decimal {
        return Err(EngineError::Usage(format!(
            "--numeric-as-text is for a PostgreSQL dump loaded into MySQL; `{}` is a dump of a {} database",
            dir.display(),
            manifest.source.engine
        )));
    }
    // A PostgreSQL dump: its MySQL definition and kinds (docs/types.md).
    let manifest = match manifest.source.engine.as_str() {
        "mysql" => manifest,
        "postgres" => from_pg::my_manifest(&manifest, opts.numeric_as)?,
        other => {
            return Err(EngineError::Target(format!(
                "`{}` is a dump of a {other} database, which haul cannot load into MySQL",
                dir.display()
            )));
        }
    };
    let replay = Journal::replay(dir)?;
    let tables = loadable_tables(&manifest, &replay.done, opts.partial, &*observer)?;
    let mut conn = tokio::select! {
        c = connect_target(dst) => c?,
        _ = cancel.cancelled() => return Err(EngineError::Interrupted),
    };
    target::check_local_infile(&mut conn, dst).await?;
    target::ensure_journal(&mut conn).await?;
    let job = job_id(&manifest);
    let mut existing_job = target::find_job(&mut conn, &job).await?;
    if let Some(j) = &existing_job {
        let again = rerun(&j.phase, opts.if_exists);
        if from_pg && again != Rerun::StartOver {
            check_rerun(&mut conn, dst, &manifest, opts.numeric_as, &j.created, &job).await?;
        }
        match again {
            Rerun::AlreadyDone => {
                return Ok(LoadReport::nothing_to_do(
                    &format!("this dump was already loaded into the target (job {job})"),
                    &*observer,
                    manifest.not_recreated.clone(),
                    started,
                ));
            }
            Rerun::StartOver => {
                if j.phase != "done" {
                    observer.event(&start_over_warning(&job));
                }
                forget_job(&mut conn, &job).await?;
                existing_job = None;
            }
            Rerun::Resume => {}
        }
    }
    let resumed = existing_job.is_some();
    let created: HashSet<String> = match existing_job {
        Some(j) if j.phase != "schema" => j.created.into_iter().collect(),
        Some(j) => {
            pre_data(
                &mut conn,
                &manifest,
                &job,
                opts.if_exists,
                dst,
                Some(j.created),
                None,
            )
            .await?
        }
        None => pre_data(&mut conn, &manifest, &job, opts.if_exists, dst, None, None).await?,
    };

    let done: BTreeMap<String, ChunkRecord> = target::done_chunks(&mut conn, &job)
        .await?
        .into_keys()
        .filter_map(|chunk| replay.done.get(&chunk).map(|r| (chunk, r.clone())))
        .collect();
    let targets: Vec<MyTargetTable> = tables
        .iter()
        .map(|t| MyTargetTable::new(t, &t.name))
        .collect();
    let progress = announce_load(
        &*observer,
        dir,
        dst.to_string(),
        &manifest,
        &tables,
        &done,
        &replay,
        resumed,
        opts.jobs,
        &job,
    );
    let tables = Arc::new(tables);
    let work = MyLoadWork {
        dir: dir.to_path_buf(),
        dst: dst.clone(),
        job: job.clone(),
        targets,
        expected: expected_digests(&replay),
        progress: progress.clone(),
    };
    let outcome = runner::run(
        work,
        tables.clone(),
        done,
        opts.jobs,
        opts.attempts,
        observer.clone(),
        progress,
        cancel.clone(),
    )
    .await?;
    finish(
        &mut conn, dst, &manifest, &tables, &created, &job, outcome, opts.jobs, &*observer,
        &cancel, started,
    )
    .await
}

/// After the chunks: when every one is in, the post-data (phase `post`, then `done`); then
/// the summary and the report.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn finish(
    conn: &mut Conn,
    dst: &MyEndpoint,
    manifest: &Manifest,
    tables: &[TablePlan],
    created: &HashSet<String>,
    job: &str,
    outcome: runner::RunOutcome,
    jobs: usize,
    observer: &dyn Observer,
    cancel: &CancellationToken,
    started: Instant,
) -> Result<LoadReport> {
    let all_done = outcome.failed.is_empty()
        && tables
            .iter()
            .all(|t| t.chunks.iter().all(|c| outcome.done.contains_key(&c.id)));
    let mut failed_steps = Vec::new();
    if all_done {
        target::set_phase(conn, job, "post").await?;
        failed_steps = post_data(dst, manifest, created, jobs, observer, cancel).await?;
        if failed_steps.is_empty() {
            target::set_phase(conn, job, "done").await?;
        } else {
            observer.event(&Event::Warning {
                message: format!(
                    "{} step(s) after the rows failed; fix the cause and rerun the same command to retry them (the rows are all in and are not loaded again)",
                    failed_steps.len()
                ),
            });
        }
    }
    let summary = summarize(
        tables,
        &outcome.done,
        &outcome.failed,
        &outcome.timing,
        started.elapsed(),
        all_done,
    );
    observer.event(&Event::Finished(summary.clone()));
    Ok(LoadReport {
        summary,
        already_loaded: false,
        failed_steps,
        not_recreated: manifest.not_recreated.clone(),
    })
}

/// A rerun of a PostgreSQL dump's job must keep its unconstrained numerics as the tables it
/// created hold them ([`from_pg::check_rerun`]).
pub(crate) async fn check_rerun(
    conn: &mut Conn,
    dst: &MyEndpoint,
    m: &Manifest,
    numeric: NumericAs,
    created: &[String],
    job: &str,
) -> Result<()> {
    if !m
        .tables
        .iter()
        .any(|t| t.columns.iter().any(from_pg::is_numeric_text))
    {
        return Ok(());
    }
    let types = target::column_types(conn, dst.dbname()).await?;
    from_pg::check_rerun(m, numeric, created, &types, job)
}

pub(crate) async fn forget_job(conn: &mut Conn, job: &str) -> Result<()> {
    let j = quote_literal(job);
    conn.query_drop(format!(
        "DELETE FROM `_haul_chunks` WHERE job = {j}; DELETE FROM `_haul_loads` WHERE job = {j}"
    ))
    .await
    .map_err(|e| EngineError::my("forgetting the finished job", e))
}

/// Creates the dump's tables the target lacks (or replaces, truncates, appends, as asked).
/// MySQL DDL commits on its own, so each table is recorded in the job before it is created: a
/// rerun after a crash here creates what is still missing. Returns the tables this job created.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn pre_data(
    conn: &mut Conn,
    m: &Manifest,
    job: &str,
    if_exists: IfExists,
    dst: &MyEndpoint,
    resumed: Option<Vec<String>>,
    plan: Option<&str>,
) -> Result<HashSet<String>> {
    crate::mysql::names::check_table_case(conn, m).await?;
    let existing = target::existing_tables(conn, dst.dbname()).await?;
    let mut created: Vec<String> = resumed.clone().unwrap_or_default();
    // Tables an earlier run of this job recorded (and maybe created).
    let recorded: HashSet<String> = created.iter().cloned().collect();
    let ours = |t: &TablePlan| recorded.contains(&t.name);
    let clash: Vec<&TablePlan> = m
        .tables
        .iter()
        .filter(|t| existing.contains_key(&t.name) && !ours(t))
        .collect();
    if !clash.is_empty() && if_exists == IfExists::Error {
        let names: Vec<&str> = clash.iter().take(10).map(|t| t.name.as_str()).collect();
        return Err(EngineError::Target(format!(
            "the target {dst} already has {} of the dump's tables ({}{}); nothing was changed — choose --if-exists truncate|append|replace",
            clash.len(),
            names.join(", "),
            if clash.len() > 10 { ", …" } else { "" }
        )));
    }
    if matches!(if_exists, IfExists::Append | IfExists::Truncate) {
        for t in &clash {
            let cols = &existing[&t.name];
            if let Some(c) = t.columns.iter().find(|c| !cols.contains(&c.name)) {
                return Err(EngineError::Target(format!(
                    "{}: the target table has no column `{}` (the dump has it as {}); nothing was changed — use --if-exists replace to recreate the table",
                    t.name, c.name, c.source_type
                )));
            }
        }
    }
    if resumed.is_none() {
        let command = if plan.is_some() { "copy" } else { "load" };
        target::start_job(conn, job, command, &m.source.url, plan).await?;
    }
    let run = |sql: String, what: String| (sql, what);
    let mut statements = Vec::new();
    for t in &clash {
        match if_exists {
            IfExists::Truncate => statements.push(run(
                format!("TRUNCATE TABLE {}", quote_ident(&t.name)),
                format!("truncating {}", t.name),
            )),
            IfExists::Replace => statements.push(run(
                format!("DROP TABLE {}", quote_ident(&t.name)),
                format!("dropping {} to replace it", t.name),
            )),
            _ => {}
        }
    }
    for (sql, what) in statements {
        conn.query_drop(format!("SET foreign_key_checks = 0; {sql}"))
            .await
            .map_err(|e| EngineError::Target(format!("{what}: {}", my_message(&e))))?;
    }
    for t in &m.tables {
        let keep = existing.contains_key(&t.name)
            && matches!(if_exists, IfExists::Append | IfExists::Truncate)
            && !ours(t);
        if keep || (ours(t) && existing.contains_key(&t.name)) {
            continue;
        }
        let Some(ddl) = &t.mysql else {
            return Err(EngineError::Target(format!(
                "{}: the dump has no MySQL definition for this table",
                t.display_name()
            )));
        };
        if !created.contains(&t.name) {
            created.push(t.name.clone());
            record_created(conn, job, &created).await?;
        }
        let sql = split_create(ddl).create;
        conn.query_drop(sql).await.map_err(|e| {
            EngineError::Target(format!(
                "creating table {}: {}; rerun after fixing it (tables created so far are recorded and reused)",
                t.name,
                my_message(&e)
            ))
        })?;
    }
    target::set_phase(conn, job, "data").await?;
    Ok(created.into_iter().collect())
}

async fn record_created(conn: &mut Conn, job: &str, created: &[String]) -> Result<()> {
    let list = serde_json::to_string(created).unwrap_or_else(|_| "[]".into());
    conn.query_drop(format!(
        "UPDATE `_haul_loads` SET created = {} WHERE job = {}",
        quote_literal(&list),
        quote_literal(job)
    ))
    .await
    .map_err(|e| EngineError::my("recording the created tables", e))
}

/// One post-data step: statements run in order; `tolerate` lists error codes that mean "already
/// done" (a resumed load).
struct Step {
    what: String,
    sql: Vec<String>,
    tolerate: &'static [u16],
    /// A query that must return 0 (orphan rows of a foreign key).
    check: Option<String>,
}

/// Indexes, then foreign keys (checked), AUTO_INCREMENT and ANALYZE, for the tables this job
/// created.
pub(crate) async fn post_data(
    dst: &MyEndpoint,
    m: &Manifest,
    created: &HashSet<String>,
    jobs: usize,
    observer: &dyn Observer,
    cancel: &CancellationToken,
) -> Result<Vec<StepFailure>> {
    let mine: Vec<&TablePlan> = m
        .tables
        .iter()
        .filter(|t| created.contains(&t.name))
        .collect();
    let mut failures = Vec::new();
    let mut index_steps = Vec::new();
    let mut fk_steps = Vec::new();
    let mut tail_steps = Vec::new();
    for t in &mine {
        let Some(ddl) = &t.mysql else { continue };
        let split = split_create(ddl);
        if !split.indexes.is_empty() {
            index_steps.push(Step {
                what: format!("{} secondary index(es) of {}", split.indexes.len(), t.name),
                sql: vec![alter(&t.name, &split.indexes)],
                tolerate: &[1061],
                check: None,
            });
        }
        for (clause, fk) in split.foreign_keys.iter().zip(&ddl.foreign_keys) {
            let on: Vec<String> = fk
                .columns
                .iter()
                .zip(&fk.ref_columns)
                .map(|(c, r)| format!("p.{} = c.{}", quote_ident(r), quote_ident(c)))
                .collect();
            let not_null: Vec<String> = fk
                .columns
                .iter()
                .map(|c| format!("c.{} IS NOT NULL", quote_ident(c)))
                .collect();
            fk_steps.push(Step {
                what: format!("foreign key {} of {}", fk.name, t.name),
                sql: vec![alter(&t.name, std::slice::from_ref(clause))],
                tolerate: &[1826, 1005, 1022],
                check: Some(format!(
                    "SELECT COUNT(*) FROM {} c WHERE {} AND NOT EXISTS (SELECT 1 FROM {} p WHERE {})",
                    quote_ident(&t.name),
                    not_null.join(" AND "),
                    quote_ident(&fk.ref_table),
                    on.join(" AND ")
                )),
            });
        }
        let mut sql = Vec::new();
        if let Some(n) = ddl.auto_increment {
            sql.push(format!(
                "ALTER TABLE {} AUTO_INCREMENT = {n}",
                quote_ident(&t.name)
            ));
        }
        sql.push(format!("ANALYZE TABLE {}", quote_ident(&t.name)));
        tail_steps.push(Step {
            what: format!("AUTO_INCREMENT and statistics of {}", t.name),
            sql,
            tolerate: &[],
            check: None,
        });
    }
    for steps in [index_steps, fk_steps, tail_steps] {
        failures.extend(run_steps(dst, steps, jobs, observer, cancel).await?);
    }
    Ok(failures)
}

async fn run_steps(
    dst: &MyEndpoint,
    steps: Vec<Step>,
    jobs: usize,
    observer: &dyn Observer,
    cancel: &CancellationToken,
) -> Result<Vec<StepFailure>> {
    if steps.is_empty() {
        return Ok(Vec::new());
    }
    let queue = Arc::new(Mutex::new(steps.into_iter().collect::<VecDeque<_>>()));
    let failures = Arc::new(Mutex::new(Vec::new()));
    let events = Arc::new(Mutex::new(Vec::new()));
    let mut workers = Vec::new();
    for _ in 0..jobs.max(1) {
        let queue = queue.clone();
        let failures = failures.clone();
        let events = events.clone();
        let dst = dst.clone();
        let cancel = cancel.clone();
        workers.push(tokio::spawn(async move {
            let mut conn = connect_target(&dst).await?;
            loop {
                if cancel.is_cancelled() {
                    return Err(EngineError::Interrupted);
                }
                let Some(step) = queue.lock().expect("not poisoned").pop_front() else {
                    break;
                };
                let t0 = Instant::now();
                match run_step(&mut conn, &step).await {
                    Ok(()) => events.lock().expect("not poisoned").push(Event::StepDone {
                        what: step.what,
                        seconds: t0.elapsed().as_secs_f64(),
                    }),
                    Err(error) => failures.lock().expect("not poisoned").push(StepFailure {
                        what: step.what,
                        error,
                    }),
                }
            }
            let _ = conn.disconnect().await;
            Ok::<(), EngineError>(())
        }));
    }
    for w in workers {
        w.await
            .map_err(|e| EngineError::Other(format!("a post-data worker failed: {e}")))??;
    }
    for e in std::mem::take(&mut *events.lock().expect("not poisoned")) {
        observer.event(&e);
    }
    let failures = std::mem::take(&mut *failures.lock().expect("not poisoned"));
    for f in &failures {
        observer.event(&Event::StepFailed {
            what: f.what.clone(),
            error: f.error.clone(),
        });
    }
    Ok(failures)
}

async fn run_step(conn: &mut Conn, step: &Step) -> std::result::Result<(), String> {
    for sql in &step.sql {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match conn.query_drop(sql.as_str()).await {
                Ok(()) => break,
                Err(mysql_async::Error::Server(s)) if step.tolerate.contains(&s.code) => break,
                // A deadlock or lock wait with the server's own background work: try again.
                Err(mysql_async::Error::Server(s))
                    if matches!(s.code, 1205 | 1213) && attempt < 4 =>
                {
                    tokio::time::sleep(std::time::Duration::from_millis(200 * attempt)).await;
                }
                Err(e) => return Err(my_message(&e)),
            }
        }
    }
    if let Some(check) = &step.check {
        let n: Option<u64> = conn
            .query_first(check.as_str())
            .await
            .map_err(|e| my_message(&e))?;
        if let Some(n) = n.filter(|n| *n > 0) {
            return Err(format!(
                "{n} row(s) reference no existing row; the key was added but not enforced for them — fix the rows, then rerun"
            ));
        }
    }
    Ok(())
}

/// Loading a chunk file into a MySQL table.
struct MyLoadWork {
    dir: std::path::PathBuf,
    dst: MyEndpoint,
    job: String,
    targets: Vec<MyTargetTable>,
    expected: BTreeMap<String, (u64, String)>,
    progress: Arc<Progress>,
}

impl ChunkWork for MyLoadWork {
    type Session = Conn;

    async fn attempt(
        &self,
        session: &mut Option<Conn>,
        table: &TablePlan,
        ci: usize,
    ) -> Result<Receipt> {
        if session.is_none() {
            *session = Some(connect_target(&self.dst).await?);
        }
        let conn = session.as_mut().expect("just opened");
        let chunk = &table.chunks[ci];
        let ti = self
            .targets
            .iter()
            .position(|t| t.display == table.display_name())
            .expect("a target per table");
        let (tx, rx) = mpsc::channel::<ChunkMsg>(CHANNEL_DEPTH);
        let read = crate::source::parquet::read_chunk_file(self.dir.join(&chunk.file), table, tx);
        let journal = JournalRow {
            job: self.job.clone(),
            chunk: chunk.id.clone(),
            expected: self.expected.get(&chunk.id).cloned(),
        };
        let progress = self.progress.table(&table.display_name());
        let write = load_chunk(
            conn,
            &self.targets[ti],
            &table.arrow_schema,
            &journal,
            rx,
            progress.as_deref(),
        );
        let (read, write) = tokio::join!(read, write);
        runner::chunk_outcome(read, write)
    }
}
