//! `haul copy mysql://SRC postgres://DST` (or `mysql://DST`): a MySQL dump and a load without
//! the files. The source is read in one snapshot by `--jobs` workers and every chunk streams
//! straight into the target (binary COPY, or LOAD DATA LOCAL INFILE), committed with its
//! journal row, as `load` does. The plan is kept in the target's job row: a resumed copy reads
//! the remaining chunks by the same key ranges from a new snapshot, and says so.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::copy::{CopyOptions, job_id};
use crate::dump::{PooledConn, bare_manifest, now_utc, source_fingerprint};
use crate::endpoint::{Endpoint, MyEndpoint, PgEndpoint};
use crate::error::{EngineError, Result};
use crate::events::{Event, Observer, Progress};
use crate::load::{LoadReport, Rerun, finish_job, rerun, target_table};
use crate::manifest::{ChunkRecord, DumpSettings, Fingerprint, Manifest};
use crate::mysql::open::{MyOpened, open_run, schema_fingerprint};
use crate::mysql::planner::ZeroDates;
use crate::mysql::to_pg;
use crate::plan::TablePlan;
use crate::runner::{self, ChunkWork, RunOutcome};
use crate::sink::Receipt;
use crate::sink::mysql::MyTargetTable;
use crate::sink::pg::{JournalRow, TargetTable};
use crate::source::{BatchLimits, CHANNEL_DEPTH, ChunkMsg};

/// Copies the selected tables of the MySQL database `src` into `dst`.
pub async fn copy(
    src: &MyEndpoint,
    dst: &Endpoint,
    opts: &CopyOptions,
    observer: Arc<dyn Observer>,
    cancel: CancellationToken,
) -> Result<LoadReport> {
    let started = Instant::now();
    if opts.keep.is_some() {
        return Err(EngineError::Usage(
            "--keep is not supported for a MySQL source yet: run `haul dump` and `haul load` instead"
                .into(),
        ));
    }
    if opts.numeric_as != crate::mysql::from_pg::NumericAs::Decimal {
        return Err(EngineError::Usage(
            "--numeric-as-text is for a copy from PostgreSQL into MySQL".into(),
        ));
    }
    if matches!(dst, Endpoint::Dir(_)) {
        return Err(EngineError::Usage(
            "the copy target must be a database URL; to write files use `haul dump`".into(),
        ));
    }
    let sel = &opts.selection;
    let mut opened: MyOpened = tokio::select! {
        r = open_run(src, sel, opts.jobs.max(1), !matches!(dst, Endpoint::MySql(_))) => r?,
        _ = cancel.cancelled() => return Err(EngineError::Interrupted),
    };
    let result = run(&mut opened, src, dst, opts, observer, cancel, started).await;
    opened.leader.finish().await;
    result
}

/// The settings and fingerprint that identify this copy.
fn identity(opened: &MyOpened, opts: &CopyOptions) -> (DumpSettings, Fingerprint, String) {
    let sel = &opts.selection;
    let settings = DumpSettings {
        tables: sel.tables.clone(),
        exclude: sel.exclude.clone(),
        as_text: Vec::new(),
        chunk_bytes: sel.chunk_bytes,
        compression: "none".into(),
        zero_dates: (sel.zero_dates == ZeroDates::Null).then(|| "null".to_string()),
    };
    let fingerprint = Fingerprint {
        source: source_fingerprint(&opened.source),
        schema: schema_fingerprint(&opened.catalog),
    };
    let job = job_id(&fingerprint, &settings);
    (settings, fingerprint, job)
}

/// A plan recorded in the target, checked against the source as it is now.
fn recorded_plan(job: &str, plan: Option<String>, fingerprint: &Fingerprint) -> Result<Manifest> {
    let Some(plan) = plan else {
        return Err(EngineError::Target(format!(
            "job {job} in the target has no plan recorded; rerun with --if-exists replace"
        )));
    };
    let m: Manifest = serde_json::from_str(&plan).map_err(|e| {
        EngineError::Target(format!("job {job}: its recorded plan is unreadable: {e}"))
    })?;
    if &m.fingerprint != fingerprint {
        return Err(EngineError::SourceChanged(
            "the source's tables, columns or keys changed since this copy started; rerun with --if-exists replace to start over"
                .into(),
        ));
    }
    Ok(m)
}

#[allow(clippy::too_many_arguments)]
async fn run(
    opened: &mut MyOpened,
    src: &MyEndpoint,
    dst: &Endpoint,
    opts: &CopyOptions,
    observer: Arc<dyn Observer>,
    cancel: CancellationToken,
    started: Instant,
) -> Result<LoadReport> {
    let (settings, fingerprint, job) = identity(opened, opts);
    let fresh_manifest = |opened: &MyOpened, tables: Vec<TablePlan>| {
        let mut m = bare_manifest(
            opened.source.clone(),
            settings.clone(),
            fingerprint.clone(),
            tables,
        );
        m.not_recreated = opened.catalog.not_recreated.clone();
        m.snapshots.push(opened.leader.info.clone());
        m.finished_at = Some(now_utc());
        m
    };
    let not_done = |what: String| {
        LoadReport::nothing_to_do(
            &what,
            &*observer,
            opened.catalog.not_recreated.clone(),
            started,
        )
    };
    match dst {
        Endpoint::Postgres(pg) => {
            let client = crate::load::connect_target(pg).await?;
            crate::pg::target::ensure_journal(&client).await?;
            let mut existing = crate::pg::target::find_job(&client, &job).await?;
            if let Some(j) = &existing {
                match rerun(&j.phase, opts.if_exists) {
                    Rerun::AlreadyDone => {
                        return Ok(not_done(format!(
                            "this copy was already done into the target (job {job})"
                        )));
                    }
                    Rerun::StartOver => {
                        crate::pg::target::forget_job(&client, &job).await?;
                        existing = None;
                    }
                    Rerun::Resume => {}
                }
            }
            let resumed = existing.is_some();
            let (manifest, created) = match existing {
                Some(j) => (
                    recorded_plan(&job, j.plan, &fingerprint)?,
                    j.created.into_iter().collect::<HashSet<String>>(),
                ),
                None => {
                    let tables = opened.plan(&opts.selection).await?;
                    let m = fresh_manifest(opened, tables);
                    let plan = serde_json::to_string(&m)
                        .map_err(|e| EngineError::Other(format!("serializing the plan: {e}")))?;
                    let pg_m = to_pg::pg_manifest(&m)?;
                    let created = crate::load::pre_data(
                        &client,
                        &pg_m,
                        &job,
                        opts.if_exists,
                        pg,
                        "copy",
                        Some(&plan),
                    )
                    .await?;
                    (m, created)
                }
            };
            let pg_m = to_pg::pg_manifest(&manifest)?;
            let done = crate::pg::target::done_records(&client, &job).await?;
            let mut targets = Vec::new();
            for t in &pg_m.tables {
                let cols = crate::pg::target::target_columns(&client, &t.schema, &t.name).await?;
                let freeze = created.contains(&t.display_name()) && t.chunks.len() == 1;
                let mut tt = target_table(t, &cols, freeze)?;
                let schema = to_pg::pg_schema(t);
                tt.convert =
                    Some(Arc::new(schema.project(&tt.send).map_err(|e| {
                        EngineError::Other(format!("{}: {e}", t.display_name()))
                    })?));
                targets.push((t.name.clone(), tt));
            }
            let sink = Sink::Pg {
                dst: pg.clone(),
                targets,
            };
            let outcome = run_chunks(
                opened, src, dst, &manifest, done, resumed, &job, sink, opts, &observer, &cancel,
            )
            .await?;
            finish_job(
                &client,
                pg,
                &pg_m,
                &created,
                &job,
                &pg_m.tables,
                outcome,
                opts.jobs,
                &*observer,
                &cancel,
                started,
            )
            .await
        }
        Endpoint::MySql(my) => {
            let mut conn = crate::mysql::target::connect_target(my).await?;
            crate::mysql::target::check_local_infile(&mut conn, my).await?;
            crate::mysql::target::ensure_journal(&mut conn).await?;
            let mut existing = crate::mysql::target::find_job(&mut conn, &job).await?;
            if let Some(j) = &existing {
                match rerun(&j.phase, opts.if_exists) {
                    Rerun::AlreadyDone => {
                        return Ok(not_done(format!(
                            "this copy was already done into the target (job {job})"
                        )));
                    }
                    Rerun::StartOver => {
                        crate::mysql::load::forget_job(&mut conn, &job).await?;
                        existing = None;
                    }
                    Rerun::Resume => {}
                }
            }
            let resumed = existing.as_ref().is_some_and(|j| j.phase != "schema");
            let (manifest, created) = match existing {
                Some(j) if j.phase != "schema" => (
                    recorded_plan(&job, j.plan, &fingerprint)?,
                    j.created.into_iter().collect::<HashSet<String>>(),
                ),
                other => {
                    let m = match other.as_ref().map(|j| j.plan.clone()) {
                        Some(plan) => recorded_plan(&job, plan, &fingerprint)?,
                        None => {
                            let tables = opened.plan(&opts.selection).await?;
                            fresh_manifest(opened, tables)
                        }
                    };
                    let plan = serde_json::to_string(&m)
                        .map_err(|e| EngineError::Other(format!("serializing the plan: {e}")))?;
                    let created = crate::mysql::load::pre_data(
                        &mut conn,
                        &m,
                        &job,
                        opts.if_exists,
                        my,
                        other.map(|j| j.created),
                        Some(&plan),
                    )
                    .await?;
                    (m, created)
                }
            };
            let done_ids = crate::mysql::target::done_chunks(&mut conn, &job).await?;
            let done = done_records(&manifest, done_ids);
            let targets = manifest
                .tables
                .iter()
                .map(|t| (t.name.clone(), MyTargetTable::new(t, &t.name)))
                .collect();
            let sink = Sink::My {
                dst: my.clone(),
                targets,
            };
            let outcome = run_chunks(
                opened, src, dst, &manifest, done, resumed, &job, sink, opts, &observer, &cancel,
            )
            .await?;
            crate::mysql::load::finish(
                &mut conn,
                my,
                &manifest,
                &manifest.tables,
                &created,
                &job,
                outcome,
                opts.jobs,
                &*observer,
                &cancel,
                started,
            )
            .await
        }
        Endpoint::Dir(_) => Err(EngineError::Usage("the target must be a database".into())),
    }
}

/// Chunk records for chunks the target committed.
fn done_records(
    m: &Manifest,
    done: std::collections::HashMap<String, (u64, String)>,
) -> BTreeMap<String, ChunkRecord> {
    m.tables
        .iter()
        .flat_map(|t| t.chunks.iter())
        .filter_map(|c| {
            let (rows, checksum) = done.get(&c.id)?.clone();
            Some((
                c.id.clone(),
                ChunkRecord {
                    chunk: c.id.clone(),
                    file: String::new(),
                    rows,
                    bytes: 0,
                    checksum,
                    snapshot: 0,
                    seconds: 0.0,
                },
            ))
        })
        .collect()
}

/// Where chunks go.
enum Sink {
    Pg {
        dst: Box<PgEndpoint>,
        /// By table name.
        targets: Vec<(String, TargetTable)>,
    },
    My {
        dst: Box<MyEndpoint>,
        targets: Vec<(String, MyTargetTable)>,
    },
}

#[allow(clippy::too_many_arguments)]
async fn run_chunks(
    opened: &mut MyOpened,
    src: &MyEndpoint,
    dst: &Endpoint,
    manifest: &Manifest,
    done: BTreeMap<String, ChunkRecord>,
    resumed: bool,
    job: &str,
    sink: Sink,
    opts: &CopyOptions,
    observer: &Arc<dyn Observer>,
    cancel: &CancellationToken,
) -> Result<RunOutcome> {
    if resumed {
        observer.event(&Event::Warning {
            message: format!(
                "resuming job {job}: {} chunk(s) were copied from an earlier snapshot; the remaining chunks are read from a new one, so rows changed in between may differ — check with `haul verify` and catch up",
                done.len()
            ),
        });
    }
    for w in manifest
        .tables
        .iter()
        .flat_map(|t| t.warnings.iter())
        .chain(&opened.warnings)
    {
        observer.event(&Event::Warning { message: w.clone() });
    }
    let progress = runner::announce(
        &**observer,
        &manifest.tables,
        &done,
        runner::Announce {
            command: "copy",
            source: src.to_string(),
            target: dst.to_string(),
            snapshot: Some(opened.leader.info.id.clone()),
            resumed,
            jobs: opts.jobs,
            rows: &|t: &TablePlan| t.estimated_rows,
        },
    );
    let work = MyCopyWork {
        pool: opened.take_pool(),
        zero_dates: opts.selection.zero_dates,
        batch: opts.batch,
        job: job.to_string(),
        sink,
        progress: progress.clone(),
    };
    runner::run(
        work,
        Arc::new(manifest.tables.clone()),
        done,
        opts.jobs,
        opts.attempts,
        observer.clone(),
        progress,
        cancel.clone(),
    )
    .await
}

struct MyCopyWork {
    pool: Arc<Mutex<Vec<mysql_async::Conn>>>,
    zero_dates: ZeroDates,
    batch: BatchLimits,
    job: String,
    sink: Sink,
    progress: Arc<Progress>,
}

/// A worker's snapshot connection and its target connection.
struct CopySession {
    src: PooledConn,
    dst: DstConn,
}

enum DstConn {
    Pg(tokio_postgres::Client),
    My(mysql_async::Conn),
}

impl ChunkWork for MyCopyWork {
    type Session = CopySession;

    async fn attempt(
        &self,
        session: &mut Option<CopySession>,
        table: &TablePlan,
        ci: usize,
    ) -> Result<Receipt> {
        if session.is_none() {
            let src = PooledConn::borrow(&self.pool).await?;
            let dst = match &self.sink {
                Sink::Pg { dst, .. } => DstConn::Pg(crate::load::connect_target(dst).await?),
                Sink::My { dst, .. } => {
                    DstConn::My(crate::mysql::target::connect_target(dst).await?)
                }
            };
            *session = Some(CopySession { src, dst });
        }
        let CopySession { src, dst } = session.as_mut().expect("just opened");
        let chunk = &table.chunks[ci];
        let (tx, rx) = mpsc::channel::<ChunkMsg>(CHANNEL_DEPTH);
        let progress = self.progress.table(&table.display_name());
        let conn = src.conn.as_mut().expect("held until dropped");
        let read = async {
            let r = crate::source::mysql::read_chunk(
                conn,
                table,
                chunk,
                self.batch,
                self.zero_dates,
                &tx,
                progress.as_deref(),
            )
            .await;
            drop(tx);
            r
        };
        let journal = JournalRow {
            job: self.job.clone(),
            chunk: chunk.id.clone(),
            expected: None,
        };
        let missing = || EngineError::Other(format!("no target for {}", table.display_name()));
        let (read, write) = match (&self.sink, dst) {
            (Sink::Pg { targets, .. }, DstConn::Pg(client)) => {
                let target = &targets
                    .iter()
                    .find(|(n, _)| *n == table.name)
                    .ok_or_else(missing)?
                    .1;
                let write = crate::sink::pg::load_chunk(
                    client,
                    target,
                    &table.arrow_schema,
                    &journal,
                    rx,
                    None,
                );
                tokio::join!(read, write)
            }
            (Sink::My { targets, .. }, DstConn::My(conn)) => {
                let target = &targets
                    .iter()
                    .find(|(n, _)| *n == table.name)
                    .ok_or_else(missing)?
                    .1;
                let write = crate::sink::mysql::load_chunk(
                    conn,
                    target,
                    &table.arrow_schema,
                    &journal,
                    rx,
                    None,
                );
                tokio::join!(read, write)
            }
            _ => return Err(EngineError::Other("mismatched target session".into())),
        };
        runner::chunk_outcome(read, write)
    }
}

/// `haul copy postgres://SRC mysql://DST`: the PostgreSQL source read in one snapshot, each
/// chunk streamed into the MySQL target by LOAD DATA, with the MySQL definition of
/// [`crate::mysql::from_pg`].
pub async fn copy_from_pg(
    src: &PgEndpoint,
    dst: &MyEndpoint,
    opts: &CopyOptions,
    observer: Arc<dyn Observer>,
    cancel: CancellationToken,
) -> Result<LoadReport> {
    let started = Instant::now();
    if opts.keep.is_some() {
        return Err(EngineError::Usage(
            "--keep is not supported for a copy into MySQL yet: run `haul dump` and `haul load` instead"
                .into(),
        ));
    }
    let sel = &opts.selection;
    let opened = tokio::select! {
        r = crate::dump::open_run(src, sel) => r?,
        _ = cancel.cancelled() => return Err(EngineError::Interrupted),
    };
    let result = async {
        let settings = DumpSettings {
            tables: sel.tables.clone(),
            exclude: sel.exclude.clone(),
            as_text: sel.as_text.clone(),
            chunk_bytes: sel.chunk_bytes,
            compression: "none".into(),
            zero_dates: None,
        };
        let fingerprint = Fingerprint {
            source: source_fingerprint(&opened.source),
            schema: crate::dump::schema_fingerprint(&opened.catalog, &sel.as_text),
        };
        let job = job_id(&fingerprint, &settings);
        let mut conn = crate::mysql::target::connect_target(dst).await?;
        crate::mysql::target::check_local_infile(&mut conn, dst).await?;
        crate::mysql::target::ensure_journal(&mut conn).await?;
        let mut existing = crate::mysql::target::find_job(&mut conn, &job).await?;
        if let Some(j) = &existing {
            let again = rerun(&j.phase, opts.if_exists);
            // The plan's unconstrained numerics must keep the form the job created them in.
            let plan = j.plan.as_deref().and_then(|p| serde_json::from_str::<Manifest>(p).ok());
            if let Some(plan) = plan.filter(|_| again != Rerun::StartOver) {
                crate::mysql::load::check_rerun(
                    &mut conn,
                    dst,
                    &plan,
                    opts.numeric_as,
                    &j.created,
                    &job,
                )
                .await?;
            }
            match again {
                Rerun::AlreadyDone => {
                return Ok(LoadReport::nothing_to_do(
                    &format!("this copy was already done into the target (job {job})"),
                    &*observer,
                    opened.catalog.not_recreated.clone(),
                    started,
                ));
                }
                Rerun::StartOver => {
                    crate::mysql::load::forget_job(&mut conn, &job).await?;
                    existing = None;
                }
                Rerun::Resume => {}
            }
        }
        let resumed = existing.as_ref().is_some_and(|j| j.phase != "schema");
        let (manifest, created) = match existing {
            Some(j) if j.phase != "schema" => (
                recorded_plan(&job, j.plan, &fingerprint)?,
                j.created.into_iter().collect::<HashSet<String>>(),
            ),
            other => {
                let m = match other.as_ref().map(|j| j.plan.clone()) {
                    Some(plan) => recorded_plan(&job, plan, &fingerprint)?,
                    None => {
                        let tables = crate::pg::planner::plan_tables(
                            opened.leader.client(),
                            &opened.catalog,
                            &sel.plan_options(),
                        )
                        .await?;
                        let mut m =
                            crate::dump::new_manifest(&opened, settings, fingerprint, tables);
                        m.snapshots.push(opened.leader.info.clone());
                        m
                    }
                };
                let plan = serde_json::to_string(&m)
                    .map_err(|e| EngineError::Other(format!("serializing the plan: {e}")))?;
                let my_m = crate::mysql::from_pg::my_manifest(&m, opts.numeric_as)?;
                let created = crate::mysql::load::pre_data(
                    &mut conn,
                    &my_m,
                    &job,
                    opts.if_exists,
                    dst,
                    other.map(|j| j.created),
                    Some(&plan),
                )
                .await?;
                (m, created)
            }
        };
        let my_m = crate::mysql::from_pg::my_manifest(&manifest, opts.numeric_as)?;
        let mut done = done_records(
            &manifest,
            crate::mysql::target::done_chunks(&mut conn, &job).await?,
        );
        if resumed {
            redo_half_done_page_tables(&mut conn, &job, &manifest, &mut done, &*observer).await?;
            observer.event(&Event::Warning {
                message: format!(
                    "resuming job {job}: {} chunk(s) were copied from an earlier snapshot; the remaining chunks are read from a new one, so rows changed in between may differ — check with `haul verify` and catch up",
                    done.len()
                ),
            });
        }
        let progress = runner::announce(
            &*observer,
            &manifest.tables,
            &done,
            runner::Announce {
                command: "copy",
                source: src.to_string(),
                target: dst.to_string(),
                snapshot: Some(opened.leader.info.id.clone()),
                resumed,
                jobs: opts.jobs,
                rows: &|t: &TablePlan| t.estimated_rows,
            },
        );
        let work = PgToMyWork {
            src: src.clone(),
            snapshot: opened.leader.info.id.clone(),
            dst: dst.clone(),
            job: job.clone(),
            targets: my_m
                .tables
                .iter()
                .map(|t| (t.name.clone(), MyTargetTable::new(t, &t.name)))
                .collect(),
            batch: opts.batch,
            progress: progress.clone(),
        };
        let outcome = runner::run(
            work,
            Arc::new(manifest.tables.clone()),
            done,
            opts.jobs,
            opts.attempts,
            observer.clone(),
            progress,
            cancel.clone(),
        )
        .await?;
        crate::mysql::load::finish(
            &mut conn,
            dst,
            &my_m,
            &manifest.tables,
            &created,
            &job,
            outcome,
            opts.jobs,
            &*observer,
            &cancel,
            started,
        )
        .await
    }
    .await;
    opened.leader.finish().await;
    result
}

/// ctid page ranges partition the rows of one snapshot only: a table split by pages and half
/// copied is emptied in the target and copied whole from the new snapshot.
async fn redo_half_done_page_tables(
    conn: &mut mysql_async::Conn,
    job: &str,
    m: &Manifest,
    done: &mut BTreeMap<String, ChunkRecord>,
    observer: &dyn Observer,
) -> Result<()> {
    use mysql_async::prelude::Queryable;
    for t in m
        .tables
        .iter()
        .filter(|t| t.split == crate::plan::SplitKind::Pages)
    {
        let ids: Vec<String> = t
            .chunks
            .iter()
            .filter(|c| done.contains_key(&c.id))
            .map(|c| c.id.clone())
            .collect();
        if ids.is_empty() || ids.len() == t.chunks.len() {
            continue;
        }
        let list: Vec<String> = ids.iter().map(|c| crate::mysql::quote_literal(c)).collect();
        conn.query_drop(format!(
            "START TRANSACTION; DELETE FROM {}; DELETE FROM `_haul_chunks` WHERE job = {} AND chunk IN ({}); COMMIT",
            crate::mysql::quote_ident(&t.name),
            crate::mysql::quote_literal(job),
            list.join(", ")
        ))
        .await
        .map_err(|e| EngineError::my(format!("emptying {} to copy it again", t.name), e))?;
        for id in ids {
            done.remove(&id);
        }
        observer.event(&Event::Warning {
            message: format!(
                "{} is split by ctid pages and was half copied: it is emptied and copied whole from the new snapshot",
                t.display_name()
            ),
        });
    }
    Ok(())
}

struct PgToMyWork {
    src: PgEndpoint,
    snapshot: String,
    dst: MyEndpoint,
    job: String,
    targets: Vec<(String, MyTargetTable)>,
    batch: BatchLimits,
    progress: Arc<Progress>,
}

impl ChunkWork for PgToMyWork {
    type Session = (crate::pg::snapshot::SnapshotWorker, mysql_async::Conn);

    async fn attempt(
        &self,
        session: &mut Option<Self::Session>,
        table: &TablePlan,
        ci: usize,
    ) -> Result<Receipt> {
        if session.is_none() {
            let worker =
                crate::pg::snapshot::SnapshotWorker::open(&self.src, &self.snapshot).await?;
            let conn = crate::mysql::target::connect_target(&self.dst).await?;
            *session = Some((worker, conn));
        }
        let (worker, conn) = session.as_mut().expect("just opened");
        let chunk = &table.chunks[ci];
        let target = &self
            .targets
            .iter()
            .find(|(n, _)| *n == table.name)
            .ok_or_else(|| EngineError::Other(format!("no target for {}", table.display_name())))?
            .1;
        let (tx, rx) = mpsc::channel::<ChunkMsg>(CHANNEL_DEPTH);
        let progress = self.progress.table(&table.display_name());
        let read = async {
            let r = crate::source::pg::read_chunk(
                worker,
                table,
                chunk,
                self.batch,
                &tx,
                progress.as_deref(),
            )
            .await;
            drop(tx);
            r
        };
        let journal = JournalRow {
            job: self.job.clone(),
            chunk: chunk.id.clone(),
            expected: None,
        };
        let write =
            crate::sink::mysql::load_chunk(conn, target, &table.arrow_schema, &journal, rx, None);
        {
            let (read, write) = tokio::join!(read, write);
            runner::chunk_outcome(read, write)
        }
    }
}
