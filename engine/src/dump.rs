//! `haul plan` and `haul dump` for a PostgreSQL source.
//!
//! ```text
//! leader: list tables → BEGIN RR → LOCK … ACCESS SHARE → export snapshot → catalog → plan
//!            │ manifest.json written, journal replayed (resume)
//!            ▼
//! N workers (import snapshot) ── pop chunk ── COPY … binary → decoder ─batches─► ParquetSink
//!                                                                    (bounded channel)
//!            ◄── receipt (rows, bytes, digest) ── journal line (fsync) ── ChunkDone event
//! ```

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use haul_formats::parquet_io::ParquetCompression;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use xxhash_rust::xxh3::xxh3_128;

use crate::dumpdir::{DirState, prepare, remove_stray_tmp};
use crate::endpoint::{Endpoint, PgEndpoint};
use crate::error::{EngineError, Result};
use crate::events::{
    Event, FailedChunk, Observer, Progress, RunSummary, TableProgress, TableSummary,
};
use crate::manifest::{
    ChunkRecord, DumpSettings, FORMAT_VERSION, Fingerprint, Journal, JournalEntry, Manifest,
    SnapshotInfo, SourceInfo,
};
use crate::mysql::open::MyOpened;
use crate::mysql::planner::ZeroDates;
use crate::mysql::snapshot::LockMode;
use crate::pg::catalog::{self, PartitionedDdl, PgCatalog};
use crate::pg::conn::connect;
use crate::pg::planner::{PlanOptions, plan_tables};
use crate::pg::snapshot::{SnapshotLeader, SnapshotWorker};
use crate::plan::{SplitKind, TablePlan};
use crate::runner::{self, ChunkWork, RunOutcome};
use crate::select::TableFilter;
use crate::sink::Receipt;
use crate::sink::parquet::ParquetSink;
use crate::source::{BatchLimits, CHANNEL_DEPTH, ChunkMsg};

/// What selects and shapes the tables of a run.
#[derive(Debug, Clone)]
pub struct Selection {
    pub tables: Vec<String>,
    pub exclude: Vec<String>,
    pub as_text: Vec<String>,
    pub chunk_bytes: u64,
    /// How long the leader waits for its table locks.
    pub lock_wait: Duration,
    /// Above this many estimated rows, key boundaries are sampled (see [`PlanOptions`]).
    pub exact_quantile_max_rows: u64,
    /// MySQL: what zero dates become.
    pub zero_dates: ZeroDates,
    /// MySQL: how the snapshot is taken.
    pub lock: LockMode,
}

impl Selection {
    pub(crate) fn plan_options(&self) -> PlanOptions {
        PlanOptions {
            chunk_bytes: self.chunk_bytes,
            as_text: self.as_text.clone(),
            exact_quantile_max_rows: self.exact_quantile_max_rows,
        }
    }
}

impl Default for Selection {
    fn default() -> Self {
        Self {
            tables: Vec::new(),
            exclude: Vec::new(),
            as_text: Vec::new(),
            chunk_bytes: crate::pg::planner::DEFAULT_CHUNK_BYTES,
            lock_wait: Duration::from_secs(60),
            exact_quantile_max_rows: crate::pg::planner::EXACT_QUANTILE_MAX_ROWS,
            zero_dates: ZeroDates::default(),
            lock: LockMode::default(),
        }
    }
}

/// Options of `haul dump`.
#[derive(Debug, Clone)]
pub struct DumpOptions {
    pub selection: Selection,
    pub jobs: usize,
    pub compression: ParquetCompression,
    /// Start over in a directory holding an earlier dump.
    pub restart: bool,
    pub batch: BatchLimits,
    /// Attempts per chunk for retryable errors (dropped connection, killed backend).
    pub attempts: u32,
}

impl Default for DumpOptions {
    fn default() -> Self {
        Self {
            selection: Selection::default(),
            jobs: 2,
            compression: ParquetCompression::default(),
            restart: false,
            batch: BatchLimits::default(),
            attempts: 3,
        }
    }
}

/// What `haul plan` reports.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PlanReport {
    pub source: SourceInfo,
    pub tables: Vec<TablePlan>,
    pub partitioned: Vec<PartitionedDdl>,
    pub warnings: Vec<String>,
}

/// A run's snapshot, catalog and source description.
pub(crate) struct Opened {
    pub(crate) leader: SnapshotLeader,
    pub(crate) catalog: PgCatalog,
    pub(crate) source: SourceInfo,
    /// Notes about relations that are not dumped (foreign tables, materialized views).
    pub(crate) skipped: Vec<String>,
}

/// Connects, selects tables, takes the snapshot (with locks), reads the catalog inside it.
pub(crate) async fn open_run(src: &PgEndpoint, sel: &Selection) -> Result<Opened> {
    let filter = TableFilter::try_new(&sel.tables, &sel.exclude)?;
    let client = connect(src).await?;
    let server_version: String = client
        .query_one("SHOW server_version", &[])
        .await
        .map_err(|e| EngineError::pg("reading the server version", e))?
        .get(0);
    // Superuser or pg_monitor only; without it the fingerprint falls back to host and port.
    let system_identifier = client
        .query_one(
            "SELECT system_identifier::text FROM pg_catalog.pg_control_system()",
            &[],
        )
        .await
        .ok()
        .map(|r| r.get::<_, String>(0));
    let skipped = catalog::list_skipped(&client, &filter)
        .await?
        .into_iter()
        .map(|(what, s, t)| {
            if what == "materialized view" {
                format!("materialized view {s}.{t}: its rows are not dumped (they are derived); a load recreates it and fills it from the loaded tables")
            } else {
                format!("{what} {s}.{t} is not dumped (its rows are stored elsewhere)")
            }
        })
        .collect();
    let listing = catalog::list_tables(&client).await?;
    let (leaves, parents) = catalog::select_tables(&listing, &filter)?;
    let names: Vec<(String, String)> = leaves
        .iter()
        .map(|t| (t.schema.clone(), t.name.clone()))
        .collect();
    let leader = SnapshotLeader::start(client, &names, sel.lock_wait).await?;
    // Tables created or dropped between the listing and the locks would be missed or fail
    // later: list again inside the snapshot and insist on the same selection.
    let again = catalog::list_tables(leader.client()).await?;
    let (leaves2, _) = catalog::select_tables(&again, &filter)?;
    let names2: Vec<(String, String)> = leaves2
        .iter()
        .map(|t| (t.schema.clone(), t.name.clone()))
        .collect();
    if names2 != names {
        return Err(EngineError::SourceChanged(
            "tables were created or dropped while haul was taking its snapshot; rerun".into(),
        ));
    }
    let catalog = catalog::describe(leader.client(), &leaves, &parents).await?;
    let source = SourceInfo {
        engine: "postgres".into(),
        url: src.to_string(),
        database: src.dbname().to_string(),
        server_version,
        system_identifier,
    };
    Ok(Opened {
        leader,
        catalog,
        source,
        skipped,
    })
}

/// `haul plan`: the plan a dump would follow, without moving data.
pub async fn plan(src: &Endpoint, sel: &Selection) -> Result<PlanReport> {
    match src {
        Endpoint::Postgres(pg) => plan_pg(pg, sel).await,
        Endpoint::MySql(my) => {
            // A plan reads no rows: it needs no global lock.
            let sel = Selection {
                lock: LockMode::None,
                ..sel.clone()
            };
            let mut opened = crate::mysql::open::open_run(my, &sel, 1, false).await?;
            let tables = opened.plan(&sel).await;
            opened.leader.finish().await;
            let tables = tables?;
            let warnings = tables
                .iter()
                .flat_map(|t| t.warnings.iter().cloned())
                .chain(
                    opened
                        .warnings
                        .into_iter()
                        .filter(|w| !w.starts_with("--lock none")),
                )
                .collect();
            Ok(PlanReport {
                source: opened.source,
                tables,
                partitioned: Vec::new(),
                warnings,
            })
        }
        Endpoint::Dir(p) => Err(not_a_source(p)),
    }
}

pub(crate) fn not_a_source(p: &Path) -> EngineError {
    EngineError::Usage(format!(
        "the source must be a database URL (postgres://… or mysql://…), got the path `{}`",
        p.display()
    ))
}

async fn plan_pg(src: &PgEndpoint, sel: &Selection) -> Result<PlanReport> {
    let opened = open_run(src, sel).await?;
    let opts = sel.plan_options();
    let tables = plan_tables(opened.leader.client(), &opened.catalog, &opts).await?;
    opened.leader.finish().await;
    let warnings = tables
        .iter()
        .flat_map(|t| t.warnings.iter().cloned())
        .chain(opened.skipped)
        .collect();
    Ok(PlanReport {
        source: opened.source,
        tables,
        partitioned: opened.catalog.partitioned,
        warnings,
    })
}

pub(crate) fn source_fingerprint(s: &SourceInfo) -> String {
    let id = match &s.system_identifier {
        Some(sysid) => format!("{}|{sysid}|{}", s.engine, s.database),
        None => format!("{}|{}", s.engine, s.url),
    };
    format!("{:032x}", xxh3_128(id.as_bytes()))
}

/// Names, columns, types and keys of the selected tables, plus what changes how they are read.
pub(crate) fn schema_fingerprint(catalog: &PgCatalog, as_text: &[String]) -> String {
    let mut s = String::new();
    for t in &catalog.tables {
        s.push_str(&format!("{}.{}(", t.schema, t.name));
        for c in &t.columns {
            s.push_str(&format!("{}:{}:{},", c.name, c.ty.display, c.not_null));
        }
        s.push_str(&format!(")key={:?};", t.key.as_ref().map(|k| &k.columns)));
    }
    s.push_str(&format!("as_text={as_text:?}"));
    format!("{:032x}", xxh3_128(s.as_bytes()))
}

/// A new dump's manifest (no snapshot recorded yet).
pub(crate) fn new_manifest(
    opened: &Opened,
    options: DumpSettings,
    fingerprint: Fingerprint,
    tables: Vec<TablePlan>,
) -> Manifest {
    let c = &opened.catalog;
    Manifest {
        partitioned: c.partitioned.clone(),
        enums: c.enums.clone(),
        domains: c.domains.clone(),
        sequences: c.sequences.clone(),
        views: c.views.clone(),
        not_recreated: c.not_recreated.clone(),
        ..bare_manifest(opened.source.clone(), options, fingerprint, tables)
    }
}

/// A new manifest with no engine-specific objects.
pub(crate) fn bare_manifest(
    source: SourceInfo,
    options: DumpSettings,
    fingerprint: Fingerprint,
    tables: Vec<TablePlan>,
) -> Manifest {
    Manifest {
        format: "haul-dump".into(),
        format_version: FORMAT_VERSION,
        tool_version: env!("CARGO_PKG_VERSION").into(),
        source,
        snapshots: Vec::new(),
        started_at: now_utc(),
        finished_at: None,
        options,
        fingerprint,
        tables,
        partitioned: Vec::new(),
        enums: Vec::new(),
        domains: Vec::new(),
        sequences: Vec::new(),
        views: Vec::new(),
        not_recreated: Vec::new(),
    }
}

pub(crate) fn now_utc() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

/// `haul dump`: every selected table, consistent, chunked, resumable, verified per chunk.
///
/// Returns the run's summary (`ok` false when some chunk failed: rerun to resume). Fatal
/// problems (connection, directory, source changed, disk full, interrupted) are errors.
pub async fn dump(
    src: &Endpoint,
    dir: &Path,
    opts: &DumpOptions,
    observer: Arc<dyn Observer>,
    cancel: CancellationToken,
) -> Result<RunSummary> {
    match src {
        Endpoint::Postgres(pg) => dump_pg(pg, dir, opts, observer, cancel).await,
        Endpoint::MySql(my) => {
            let started = Instant::now();
            let sel = &opts.selection;
            let mut opened: MyOpened = tokio::select! {
                r = crate::mysql::open::open_run(my, sel, opts.jobs.max(1), true) => r?,
                _ = cancel.cancelled() => return Err(EngineError::Interrupted),
            };
            let result = async {
                let state = prepare(dir, opts.restart)?;
                let settings = settings_of(opts);
                let fingerprint = Fingerprint {
                    source: source_fingerprint(&opened.source),
                    schema: crate::mysql::open::schema_fingerprint(&opened.catalog),
                };
                let (mut manifest, resumed) = match state {
                    DirState::Existing(m) => {
                        check_resumable(dir, &m, &settings, &fingerprint)?;
                        (*m, true)
                    }
                    DirState::Fresh => {
                        let tables = opened.plan(sel).await?;
                        let mut m =
                            bare_manifest(opened.source.clone(), settings, fingerprint, tables);
                        m.not_recreated = opened.catalog.not_recreated.clone();
                        (m, false)
                    }
                };
                manifest.snapshots.push(opened.leader.info.clone());
                let reader = Reader::MySql {
                    pool: opened.take_pool(),
                    zero_dates: sel.zero_dates,
                };
                let start = RunStart {
                    manifest,
                    resumed,
                    snapshot: opened.leader.info.clone(),
                    warnings: opened.warnings.clone(),
                    reader,
                    source: my.to_string(),
                };
                run_dump(start, dir, opts, observer, cancel, started).await
            }
            .await;
            opened.leader.finish().await;
            result
        }
        Endpoint::Dir(p) => Err(not_a_source(p)),
    }
}

pub(crate) fn settings_of(opts: &DumpOptions) -> DumpSettings {
    let sel = &opts.selection;
    DumpSettings {
        tables: sel.tables.clone(),
        exclude: sel.exclude.clone(),
        as_text: sel.as_text.clone(),
        chunk_bytes: sel.chunk_bytes,
        compression: opts.compression.to_string(),
        zero_dates: (sel.zero_dates == ZeroDates::Null).then(|| "null".to_string()),
    }
}

/// Where a dump's chunks are read from.
enum Reader {
    Pg {
        src: Box<PgEndpoint>,
        snapshot_id: String,
    },
    /// Worker connections inside the snapshot; a lost one cannot be replaced.
    MySql {
        pool: Arc<Mutex<Vec<mysql_async::Conn>>>,
        zero_dates: ZeroDates,
    },
}

/// Everything a dump run needs once its source is open and its manifest known.
struct RunStart {
    /// The manifest (fresh or resumed), this run's snapshot already appended.
    manifest: Manifest,
    resumed: bool,
    snapshot: SnapshotInfo,
    warnings: Vec<String>,
    reader: Reader,
    source: String,
}

async fn dump_pg(
    src: &PgEndpoint,
    dir: &Path,
    opts: &DumpOptions,
    observer: Arc<dyn Observer>,
    cancel: CancellationToken,
) -> Result<RunSummary> {
    let started = Instant::now();
    let opened = tokio::select! {
        r = open_run(src, &opts.selection) => r?,
        _ = cancel.cancelled() => return Err(EngineError::Interrupted),
    };
    // Only once the source answered: a typo in the URL leaves no empty directory behind.
    let state = prepare(dir, opts.restart)?;
    let sel = &opts.selection;
    let settings = settings_of(opts);
    let fingerprint = Fingerprint {
        source: source_fingerprint(&opened.source),
        schema: schema_fingerprint(&opened.catalog, &sel.as_text),
    };

    let (mut manifest, resumed) = match state {
        DirState::Existing(m) => {
            check_resumable(dir, &m, &settings, &fingerprint)?;
            (*m, true)
        }
        DirState::Fresh => {
            let popts = sel.plan_options();
            let tables = plan_tables(opened.leader.client(), &opened.catalog, &popts).await?;
            let m = new_manifest(&opened, settings, fingerprint, tables);
            (m, false)
        }
    };
    manifest.snapshots.push(opened.leader.info.clone());
    let start = RunStart {
        manifest,
        resumed,
        snapshot: opened.leader.info.clone(),
        warnings: opened.skipped.clone(),
        reader: Reader::Pg {
            src: Box::new(src.clone()),
            snapshot_id: opened.leader.info.id.clone(),
        },
        source: src.to_string(),
    };
    let result = run_dump(start, dir, opts, observer, cancel, started).await;
    opened.leader.finish().await;
    result
}

/// The engine-independent part of a dump: journal, resume, scheduler, summary.
async fn run_dump(
    start: RunStart,
    dir: &Path,
    opts: &DumpOptions,
    observer: Arc<dyn Observer>,
    cancel: CancellationToken,
    started: Instant,
) -> Result<RunSummary> {
    let RunStart {
        mut manifest,
        resumed,
        snapshot,
        warnings,
        reader,
        source,
    } = start;
    manifest.finished_at = None;
    let snapshot_index = manifest.snapshots.len() - 1;
    manifest.write(dir)?;
    remove_stray_tmp(dir, &manifest)?;

    let (journal, replay) = Journal::open(dir)?;
    for w in manifest
        .tables
        .iter()
        .flat_map(|t| t.warnings.iter())
        .chain(&warnings)
    {
        observer.event(&Event::Warning { message: w.clone() });
    }
    if replay.torn_tail {
        observer.event(&Event::Warning {
            message: "the journal's last record was torn by a crash; it was cut off and its chunk will be redone"
                .into(),
        });
    }

    // What is already done: a record whose file is still there with the recorded size.
    let mut done: BTreeMap<String, ChunkRecord> = BTreeMap::new();
    for (id, rec) in replay.done {
        let ok = std::fs::metadata(dir.join(&rec.file))
            .map(|m| m.len() == rec.bytes)
            .unwrap_or(false);
        if ok {
            done.insert(id, rec);
        }
    }
    let journal = Arc::new(Mutex::new(journal));
    // ctid ranges are only a partition of the rows within one snapshot: a table split by pages
    // and left half done is redone whole in this run's snapshot.
    for t in &manifest.tables {
        let n_done = t.chunks.iter().filter(|c| done.contains_key(&c.id)).count();
        if t.split == SplitKind::Pages && n_done > 0 && n_done < t.chunks.len() {
            let reset: Vec<String> = t
                .chunks
                .iter()
                .filter(|c| done.contains_key(&c.id))
                .map(|c| c.id.clone())
                .collect();
            for id in reset {
                journal_append(&journal, JournalEntry::Reset { chunk: id.clone() }).await?;
                done.remove(&id);
            }
            observer.event(&Event::Warning {
                message: format!(
                    "{} is split by ctid pages and was half done: it is redone whole in the new snapshot",
                    t.display_name()
                ),
            });
        }
    }
    if resumed && !done.is_empty() {
        observer.event(&Event::Warning {
            message: format!(
                "resuming: {} chunk(s) were read in an earlier snapshot, the rest are read in a new one; rows changed in between may be inconsistent across chunks — check with `haul verify` and catch up later",
                done.len()
            ),
        });
    }

    let progress = Arc::new(Progress::new(manifest.tables.iter().map(|t| {
        (
            t.display_name(),
            t.estimated_rows,
            t.estimated_bytes,
            t.chunks.len() as u64,
        )
    })));
    for t in &manifest.tables {
        if let Some(p) = progress.table(&t.display_name()) {
            let n = t.chunks.iter().filter(|c| done.contains_key(&c.id)).count() as u64;
            p.chunks_done.store(n, std::sync::atomic::Ordering::Relaxed);
        }
    }
    observer.attach_progress(progress.clone());
    observer.event(&Event::Started {
        command: "dump",
        source,
        target: dir.display().to_string(),
        snapshot: Some(snapshot.id.clone()),
        tables: manifest.tables.len(),
        chunks: manifest.chunk_count(),
        chunks_done: done.len(),
        estimated_rows: manifest.tables.iter().map(|t| t.estimated_rows).sum(),
        estimated_bytes: manifest.tables.iter().map(|t| t.estimated_bytes).sum(),
        resumed,
        jobs: opts.jobs,
    });

    let tables: Arc<Vec<TablePlan>> = Arc::new(manifest.tables.clone());
    let work = DumpWork {
        journal,
        progress: progress.clone(),
        sink: ParquetSink::new(dir, opts.compression),
        reader,
        snapshot_index,
        batch: opts.batch,
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
    .await;
    let RunOutcome {
        done,
        failed,
        timing,
    } = outcome?;
    let all_done = tables
        .iter()
        .all(|t| t.chunks.iter().all(|c| done.contains_key(&c.id)));
    if all_done {
        manifest.finished_at = Some(now_utc());
        manifest.write(dir)?;
    }
    let summary = summarize(
        &tables,
        &done,
        &failed,
        &timing,
        started.elapsed(),
        all_done,
    );
    observer.event(&Event::Finished(summary.clone()));
    Ok(summary)
}

fn check_resumable(
    dir: &Path,
    m: &Manifest,
    settings: &DumpSettings,
    fingerprint: &Fingerprint,
) -> Result<()> {
    let how = "rerun with the same source and options, use another directory, or pass --restart to start over";
    if m.fingerprint.source != fingerprint.source {
        return Err(EngineError::Directory(format!(
            "`{}` holds a dump of another source ({}, database {}); {how}",
            dir.display(),
            m.source.url,
            m.source.database
        )));
    }
    if &m.options != settings {
        return Err(EngineError::Directory(format!(
            "`{}` holds a dump made with other options ({}); {how}",
            dir.display(),
            describe_settings_diff(&m.options, settings)
        )));
    }
    if m.fingerprint.schema != fingerprint.schema {
        return Err(EngineError::Directory(format!(
            "`{}` holds a dump of a different schema: tables or columns changed since it was started; {how}",
            dir.display()
        )));
    }
    Ok(())
}

fn describe_settings_diff(old: &DumpSettings, new: &DumpSettings) -> String {
    let pairs = [
        (
            "--tables",
            format!("{:?}", old.tables),
            format!("{:?}", new.tables),
        ),
        (
            "--exclude",
            format!("{:?}", old.exclude),
            format!("{:?}", new.exclude),
        ),
        (
            "--as-text",
            format!("{:?}", old.as_text),
            format!("{:?}", new.as_text),
        ),
        (
            "--chunk-bytes",
            old.chunk_bytes.to_string(),
            new.chunk_bytes.to_string(),
        ),
        (
            "--compression",
            old.compression.clone(),
            new.compression.clone(),
        ),
    ];
    pairs
        .iter()
        .filter(|(_, was, now)| was != now)
        .map(|(flag, was, now)| format!("{flag} was {was}, now {now}"))
        .collect::<Vec<_>>()
        .join("; ")
}

async fn journal_append(journal: &Arc<Mutex<Journal>>, entry: JournalEntry) -> Result<()> {
    let journal = journal.clone();
    tokio::task::spawn_blocking(move || journal.lock().expect("not poisoned").append(&entry))
        .await
        .map_err(|e| EngineError::Other(format!("journal writer failed: {e}")))?
}

pub(crate) fn summarize(
    tables: &[TablePlan],
    done: &BTreeMap<String, ChunkRecord>,
    failed: &[FailedChunk],
    timing: &HashMap<String, (Instant, Instant)>,
    elapsed: Duration,
    ok: bool,
) -> RunSummary {
    let mut out = Vec::new();
    for t in tables {
        let name = t.display_name();
        let recs: Vec<&ChunkRecord> = t.chunks.iter().filter_map(|c| done.get(&c.id)).collect();
        let prefix = format!("{name}#");
        out.push(TableSummary {
            rows: recs.iter().map(|r| r.rows).sum(),
            chunks: recs.len(),
            chunks_failed: failed
                .iter()
                .filter(|f| f.chunk.starts_with(&prefix))
                .count(),
            bytes: recs.iter().map(|r| r.bytes).sum(),
            seconds: timing
                .get(&name)
                .map(|(a, b)| (*b - *a).as_secs_f64())
                .unwrap_or(0.0),
            table: name,
        });
    }
    RunSummary {
        ok: ok && failed.is_empty(),
        rows: out.iter().map(|t| t.rows).sum(),
        bytes: out.iter().map(|t| t.bytes).sum(),
        chunks: out.iter().map(|t| t.chunks).sum(),
        tables: out,
        failed_chunks: failed.to_vec(),
        seconds: elapsed.as_secs_f64(),
    }
}

/// Dumping a chunk: a snapshot worker's read feeds the Parquet sink; the journal line makes
/// it count.
struct DumpWork {
    journal: Arc<Mutex<Journal>>,
    progress: Arc<Progress>,
    sink: ParquetSink,
    reader: Reader,
    snapshot_index: usize,
    batch: BatchLimits,
}

/// A worker's connection inside the snapshot.
enum DumpSession {
    Pg(SnapshotWorker),
    MySql(PooledConn),
}

/// A MySQL snapshot connection borrowed from the run's pool and given back when dropped
/// (after a failed attempt too: a value error leaves the connection usable, and a lost one is
/// found by the next borrower's ping).
pub(crate) struct PooledConn {
    pub(crate) conn: Option<mysql_async::Conn>,
    pool: Arc<Mutex<Vec<mysql_async::Conn>>>,
}

impl Drop for PooledConn {
    fn drop(&mut self) {
        if let Some(c) = self.conn.take() {
            self.pool.lock().expect("not poisoned").push(c);
        }
    }
}

impl PooledConn {
    /// Borrows a live connection; fails (fatally) when every snapshot connection was lost.
    pub(crate) async fn borrow(pool: &Arc<Mutex<Vec<mysql_async::Conn>>>) -> Result<Self> {
        use mysql_async::prelude::Queryable;
        loop {
            let next = pool.lock().expect("not poisoned").pop();
            let Some(mut conn) = next else {
                return Err(EngineError::SourceChanged(
                    "every connection holding the dump's snapshot was lost (a new one cannot join it); rerun the same command to resume: the remaining chunks are read in a new snapshot"
                        .into(),
                ));
            };
            if conn.query_drop("DO 1").await.is_ok() {
                return Ok(Self {
                    conn: Some(conn),
                    pool: pool.clone(),
                });
            }
        }
    }
}

impl ChunkWork for DumpWork {
    type Session = DumpSession;

    /// One attempt at one chunk: read and write concurrently through a bounded channel, then
    /// the durable journal line.
    async fn attempt(
        &self,
        session: &mut Option<DumpSession>,
        table: &TablePlan,
        ci: usize,
    ) -> Result<Receipt> {
        let t0 = Instant::now();
        if session.is_none() {
            *session = Some(match &self.reader {
                Reader::Pg { src, snapshot_id } => {
                    DumpSession::Pg(SnapshotWorker::open(src, snapshot_id).await?)
                }
                Reader::MySql { pool, .. } => DumpSession::MySql(PooledConn::borrow(pool).await?),
            });
        }
        let worker = session.as_mut().expect("just opened");
        let chunk = &table.chunks[ci];
        let progress: Option<Arc<TableProgress>> = self.progress.table(&table.display_name());
        let (tx, rx) = mpsc::channel::<ChunkMsg>(CHANNEL_DEPTH);
        let batch = self.batch;
        let zero_dates = match &self.reader {
            Reader::MySql { zero_dates, .. } => *zero_dates,
            Reader::Pg { .. } => ZeroDates::default(),
        };
        let read = async move {
            let r = match worker {
                DumpSession::Pg(w) => {
                    crate::source::pg::read_chunk(w, table, chunk, batch, &tx, progress.as_deref())
                        .await
                        .map(|(rows, _)| rows)
                }
                DumpSession::MySql(c) => {
                    let conn = c.conn.as_mut().expect("held until dropped");
                    crate::source::mysql::read_chunk(
                        conn,
                        table,
                        chunk,
                        batch,
                        zero_dates,
                        &tx,
                        progress.as_deref(),
                    )
                    .await
                }
            };
            drop(tx);
            r
        };
        let write = self.sink.write_chunk(table, chunk, rx);
        let receipt = match tokio::join!(read, write) {
            (Ok(_), Ok(receipt)) => receipt,
            (Ok(_), Err(we)) => return Err(we),
            (Err(EngineError::WriterStopped), Err(we)) => return Err(we),
            (Err(re), _) => return Err(re),
        };
        let rec = ChunkRecord {
            chunk: chunk.id.clone(),
            file: chunk.file.clone(),
            rows: receipt.rows,
            bytes: receipt.bytes,
            checksum: receipt.digest.sum_hex(),
            snapshot: self.snapshot_index,
            seconds: (t0.elapsed().as_secs_f64() * 1000.0).round() / 1000.0,
        };
        journal_append(&self.journal, JournalEntry::Done(rec)).await?;
        Ok(receipt)
    }
}
