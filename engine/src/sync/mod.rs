//! `haul sync SRC DST --column COL`: catch a target up with the rows the source changed since
//! a watermark, and with `--deletes` remove the target's rows whose keys the source no longer
//! has. Design: docs/sync.md.
//!
//! ```text
//! open as diff does (source snapshot + plan, target tables paired, upserts prepared)
//!   per table: high = max(COL) in the source's snapshot; lower = since − overlap
//!              (or the unfinished run's window, recorded in the target: a rerun resumes it)
//! --jobs workers ── per chunk: read `range AND COL > lower AND COL <= high` from the source,
//!        │            stage, upsert, record the chunk — one target transaction
//!        ▼
//! every chunk applied → the watermark becomes high
//! --deletes: per chunk, diff of the key columns alone; the target's extra keys deleted
//! ```

mod journal;
mod window;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde::Serialize;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::diff::chunk::{Knobs, Sessions, TableCtx, compare_chunk};
use crate::diff::sides::{ReadSession, Reader, SidePlan, scan};
use crate::diff::{DEFAULT_MAP_CAP, DiffOptions, TableStatus};
use crate::dump::Selection;
use crate::endpoint::{Endpoint, MyEndpoint, PgEndpoint};
use crate::error::{EngineError, Result};
use crate::events::{Event, FailedChunk, Observer, Progress};
use crate::manifest::{ChunkRecord, Manifest};
use crate::plan::TablePlan;
use crate::runner::{self, ChunkWork};
use crate::sink::Receipt;
use crate::source::{BatchLimits, CHANNEL_DEPTH, ChunkMsg};
use crate::upsert::{Applied, UpsertTx, Writer};

/// Where the window starts.
#[derive(Debug, Clone)]
pub enum Since {
    /// The watermark the last finished sync recorded in the target.
    Watermark,
    /// `--since TIME` (or an integer for an integer column), used as given.
    Value(String),
    /// `--since-dump DIR`: the dump's snapshot time.
    Dump(PathBuf),
}

/// Options of `haul sync`.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    pub selection: Selection,
    pub jobs: usize,
    /// The column that grows when a row changes (timestamp, date or integer).
    pub column: String,
    pub since: Since,
    /// `--overlap`: `5m`, `300s`, …; a count for an integer column. Default 5 minutes / 0.
    pub overlap: Option<String>,
    /// Also delete target rows whose keys the source no longer has.
    pub deletes: bool,
    pub attempts: u32,
    pub batch: BatchLimits,
}

impl Default for SyncOptions {
    fn default() -> Self {
        Self {
            selection: Selection::default(),
            jobs: 2,
            column: String::new(),
            since: Since::Watermark,
            overlap: None,
            deletes: false,
            attempts: 3,
            batch: BatchLimits::default(),
        }
    }
}

/// One table's outcome.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TableSync {
    pub table: String,
    pub target: String,
    /// The window's lower bound (source SQL) and upper bound; `None` for an empty table.
    pub lower: String,
    pub high: Option<String>,
    /// True when this run continued an interrupted one (same window).
    pub resumed: bool,
    pub chunks: usize,
    pub upserted: u64,
    /// With --deletes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted: Option<u64>,
    /// The watermark recorded for the next run.
    pub watermark: Option<String>,
}

/// What `haul sync` did.
#[derive(Debug, Clone, Serialize)]
pub struct SyncReport {
    pub source: String,
    pub target: String,
    pub snapshot: String,
    pub column: String,
    pub tables: Vec<TableSync>,
    pub failed_chunks: Vec<FailedChunk>,
    pub seconds: f64,
}

impl SyncReport {
    /// Every chunk applied (and the watermarks advanced).
    pub fn ok(&self) -> bool {
        self.failed_chunks.is_empty()
    }
}

/// One table's run.
struct Run {
    ctx: TableCtx,
    state_id: String,
    lower: String,
    high: Option<String>,
    /// What the watermark becomes when every chunk is applied.
    next_watermark: Option<String>,
    resumed: bool,
    /// The window's plan: the run's chunks, each with the window as its filter.
    plan: TablePlan,
}

/// Runs `haul sync`.
pub async fn sync(
    src: &Endpoint,
    dst: &Endpoint,
    opts: &SyncOptions,
    observer: Arc<dyn Observer>,
    cancel: CancellationToken,
) -> Result<SyncReport> {
    let started = Instant::now();
    if opts.column.is_empty() {
        return Err(EngineError::Usage(
            "pass --column COL: the timestamp, date or integer column that grows when a row changes".into(),
        ));
    }
    let dopts = DiffOptions {
        selection: opts.selection.clone(),
        jobs: opts.jobs,
        apply: true,
        ..DiffOptions::default()
    };
    let opened = tokio::select! {
        r = crate::diff::open::open(src, dst, &dopts) => r?,
        _ = cancel.cancelled() => return Err(EngineError::Interrupted),
    };
    let holders = opened.holders;
    let snapshot = opened.snapshot.clone();
    for w in opened
        .tables
        .iter()
        .flat_map(|t| t.src.plan.warnings.iter())
        .chain(&opened.warnings)
    {
        observer.event(&Event::Warning { message: w.clone() });
    }
    let r = run(
        src,
        dst,
        opts,
        opened.src,
        opened.dst,
        opened.tables,
        opened.statuses,
        &snapshot,
        observer,
        cancel,
    )
    .await;
    for h in holders {
        h.finish().await;
    }
    let (tables, failed_chunks) = r?;
    Ok(SyncReport {
        source: src.to_string(),
        target: dst.to_string(),
        snapshot,
        column: opts.column.clone(),
        tables,
        failed_chunks,
        seconds: started.elapsed().as_secs_f64(),
    })
}

fn writer_spec(dst: &Endpoint) -> Result<WriterSpec> {
    match dst {
        Endpoint::Postgres(pg) => Ok(WriterSpec::Pg(pg.clone())),
        Endpoint::MySql(my) => Ok(WriterSpec::MySql(my.clone())),
        Endpoint::Dir(p) => Err(crate::dump::not_a_source(p)),
    }
}

/// The tables' problems that stop a sync before it writes anything.
fn check_tables(tables: &[TableCtx], statuses: &[crate::diff::TableDiff]) -> Result<()> {
    let mut problems: Vec<String> = statuses
        .iter()
        .filter(|s| s.status != TableStatus::OnlyInTarget)
        .map(|s| {
            let d = s.detail.clone().unwrap_or_default();
            format!("{}: {d}", s.table)
        })
        .collect();
    for t in tables {
        if t.upsert.is_none() {
            problems.push(format!(
                "{} has no primary key or NOT NULL unique key, so its rows cannot be upserted by key (leave it out with --exclude {} and copy it again with `haul copy --tables {} --if-exists truncate`)",
                t.display, t.src.plan.name, t.src.plan.name
            ));
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    Err(EngineError::Target(format!(
        "cannot sync: {}. Create the tables with `haul load` or `haul copy` first, or leave them out with --exclude",
        problems.join("; ")
    )))
}

#[allow(clippy::too_many_arguments)]
async fn run(
    src: &Endpoint,
    dst: &Endpoint,
    opts: &SyncOptions,
    src_reader: Reader,
    dst_reader: Reader,
    tables: Vec<TableCtx>,
    statuses: Vec<crate::diff::TableDiff>,
    snapshot: &str,
    observer: Arc<dyn Observer>,
    cancel: CancellationToken,
) -> Result<(Vec<TableSync>, Vec<FailedChunk>)> {
    check_tables(&tables, &statuses)?;
    // Every table's column and the overlap checked before anything is written.
    for ctx in &tables {
        let col = window::window_col(&ctx.src.plan, &opts.column)?;
        window::overlap(opts.overlap.as_deref(), col.kind)?;
    }
    let spec = writer_spec(dst)?;
    let mut writer = spec.connect().await?;
    journal::setup(&mut writer).await?;
    let dump_time = match &opts.since {
        Since::Dump(dir) => Some(dump_time(dir)?),
        _ => None,
    };
    let source = src.to_string();
    let mut probe = src_reader.open().await?;
    let mut runs = Vec::new();
    let mut done: BTreeMap<String, ChunkRecord> = BTreeMap::new();
    for ctx in tables {
        let col = window::window_col(&ctx.src.plan, &opts.column)?;
        let overlap = window::overlap(opts.overlap.as_deref(), col.kind)?;
        let target = ctx.dst.plan.display_name();
        let id = journal::state_id(&source, &target, &col.name);
        let state = journal::read(&mut writer, &id).await?;
        let since = match (&opts.since, &dump_time) {
            (Since::Value(v), _) => col.lower(v, 0)?,
            (Since::Dump(dir), Some(t)) => {
                if col.kind == window::ColKind::Integer {
                    return Err(EngineError::Usage(format!(
                        "--since-dump `{}` gives a time, but column `{}` of {} is an integer: pass --since N",
                        dir.display(),
                        col.name,
                        ctx.display
                    )));
                }
                col.lower(t, overlap)?
            }
            _ => match &state.watermark {
                Some(m) => col.lower(m, overlap)?,
                None => {
                    return Err(EngineError::Usage(format!(
                        "no watermark for {} (column `{}`) from {source} in the target: this is its first sync, so pass --since TIME or --since-dump DIR (the dump the target was loaded from)",
                        ctx.display, col.name
                    )));
                }
            },
        };
        let (lower, high, chunks, resumed) = match state.run {
            Some((l, h, chunks)) if l == since => (l, h, chunks, true),
            _ => {
                let high = col.high(&mut probe, &ctx.src.plan).await?;
                let chunks = ctx.src.plan.chunks.clone();
                journal::start_run(
                    &mut writer,
                    &id,
                    (&source, &target, &col.name),
                    &since,
                    high.as_deref(),
                    &chunks,
                )
                .await?;
                (since, high, chunks, false)
            }
        };
        let filter = match &high {
            Some(h) => Some(col.filter(&lower, h)?),
            None => None,
        };
        let mut plan = TablePlan {
            chunks,
            ..ctx.src.plan.clone()
        };
        for c in &mut plan.chunks {
            c.filter = filter.clone();
        }
        if resumed {
            for c in &plan.chunks {
                if state.done.contains(&c.index) {
                    done.insert(c.id.clone(), record(&c.id));
                }
            }
        }
        // An empty table has no high: the window is empty, and the watermark stays (or
        // becomes the given start, so the next run continues from there).
        let next_watermark = high.clone().or_else(|| match &opts.since {
            Since::Watermark => None,
            Since::Value(v) => Some(v.clone()),
            Since::Dump(_) => dump_time.clone(),
        });
        if high.is_none() {
            plan.chunks.clear();
        }
        runs.push(Run {
            ctx,
            state_id: id,
            lower,
            high,
            next_watermark,
            resumed,
            plan,
        });
    }
    drop(probe);
    let plans: Vec<TablePlan> = runs.iter().map(|r| r.plan.clone()).collect();
    let progress = runner::announce(
        &*observer,
        &plans,
        &done,
        runner::Announce {
            command: "sync",
            source: src.to_string(),
            target: dst.to_string(),
            snapshot: Some(snapshot.to_string()),
            resumed: runs.iter().any(|r| r.resumed),
            jobs: opts.jobs,
            rows: &|t: &TablePlan| t.estimated_rows,
        },
    );
    let started = Instant::now();
    let work = Arc::new(SyncWork {
        source: src.to_string(),
        target: dst.to_string(),
        src: src_reader,
        dst: dst_reader,
        writer: spec,
        runs: runs
            .iter()
            .map(|r| {
                (
                    r.plan.display_name(),
                    (r.state_id.clone(), r.ctx.upsert.clone()),
                )
            })
            .collect(),
        batch: opts.batch,
        progress: progress.clone(),
        results: Mutex::new(HashMap::new()),
    });
    let outcome = runner::run(
        Shared(work.clone()),
        Arc::new(plans.clone()),
        done,
        opts.jobs,
        opts.attempts,
        observer.clone(),
        progress,
        cancel.clone(),
    )
    .await?;
    let mut failed = outcome.failed;
    let mut out = Vec::new();
    for r in &runs {
        let name = r.plan.display_name();
        let ok = !failed
            .iter()
            .any(|f| r.plan.chunks.iter().any(|c| c.id == f.chunk));
        let mut watermark = None;
        if ok {
            journal::finish_run(&mut writer, &r.state_id, r.next_watermark.as_deref()).await?;
            watermark = r.next_watermark.clone();
            // Rows upserted with explicit keys: a PostgreSQL target's sequences must follow.
            let t = &r.ctx.dst.plan;
            crate::upsert::advance_sequences(&mut writer, &t.schema, &t.name).await?;
        }
        out.push(TableSync {
            table: r.ctx.display.clone(),
            target: r.ctx.dst.plan.display_name(),
            lower: r.lower.clone(),
            high: r.high.clone(),
            resumed: r.resumed,
            chunks: r.plan.chunks.len(),
            upserted: work
                .results
                .lock()
                .expect("not poisoned")
                .get(&name)
                .map_or(0, |a| a.upserted),
            deleted: None,
            watermark,
        });
    }
    let summary = crate::dump::summarize(
        &plans,
        &outcome.done,
        &failed,
        &outcome.timing,
        started.elapsed(),
        true,
    );
    observer.event(&Event::Finished(summary));
    if opts.deletes && failed.is_empty() {
        let deleted = deletes(&work, runs, opts, observer, cancel).await?;
        failed.extend(deleted.1);
        for t in &mut out {
            t.deleted = Some(deleted.0.get(&t.table).copied().unwrap_or(0));
        }
    }
    Ok((out, failed))
}

/// The snapshot time a dump recorded.
fn dump_time(dir: &std::path::Path) -> Result<String> {
    let m = Manifest::read(dir)?;
    m.snapshots
        .first()
        .map(|s| s.taken_at.clone())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            EngineError::Usage(format!(
                "the dump `{}` records no snapshot time: pass --since TIME instead",
                dir.display()
            ))
        })
}

fn record(id: &str) -> ChunkRecord {
    ChunkRecord {
        chunk: id.to_string(),
        file: String::new(),
        rows: 0,
        bytes: 0,
        checksum: String::new(),
        snapshot: 0,
        seconds: 0.0,
    }
}

/// The `--deletes` pass: each table's chunks compared on the key columns alone, the target's
/// extra keys deleted (one transaction per chunk). Returns rows deleted per table.
async fn deletes(
    work: &Arc<SyncWork>,
    runs: Vec<Run>,
    opts: &SyncOptions,
    observer: Arc<dyn Observer>,
    cancel: CancellationToken,
) -> Result<(HashMap<String, u64>, Vec<FailedChunk>)> {
    let mut ctxs = HashMap::new();
    let mut plans = Vec::new();
    for r in runs {
        let k = key_ctx(r.ctx)?;
        plans.push(k.src.plan.clone());
        ctxs.insert(k.display.clone(), Arc::new(k));
    }
    let progress = runner::announce(
        &*observer,
        &plans,
        &BTreeMap::new(),
        runner::Announce {
            command: "sync-deletes",
            source: work.source.clone(),
            target: work.target.clone(),
            snapshot: None,
            resumed: false,
            jobs: opts.jobs,
            rows: &|t: &TablePlan| t.estimated_rows,
        },
    );
    let dw = Arc::new(DeleteWork {
        sync: work.clone(),
        tables: ctxs,
        progress: progress.clone(),
        batch: opts.batch,
        deleted: Mutex::new(HashMap::new()),
    });
    let started = Instant::now();
    let outcome = runner::run(
        DeleteShared(dw.clone()),
        Arc::new(plans.clone()),
        BTreeMap::new(),
        opts.jobs,
        opts.attempts,
        observer.clone(),
        progress,
        cancel,
    )
    .await?;
    let summary = crate::dump::summarize(
        &plans,
        &outcome.done,
        &outcome.failed,
        &outcome.timing,
        started.elapsed(),
        true,
    );
    observer.event(&Event::Finished(summary));
    let deleted = std::mem::take(&mut *dw.deleted.lock().expect("not poisoned"));
    Ok((deleted, outcome.failed))
}

/// A table's comparison restricted to its key columns, on both sides.
fn key_ctx(ctx: TableCtx) -> Result<TableCtx> {
    let key = ctx
        .src
        .plan
        .key
        .clone()
        .ok_or_else(|| EngineError::Other(format!("{} has no key to compare", ctx.display)))?;
    let dkey = ctx.dst.plan.key.clone().ok_or_else(|| {
        EngineError::Other(format!("{} has no key in the target plan", ctx.display))
    })?;
    let src = crate::upsert::key_plan(&ctx.src.plan, &key)?;
    let dst = crate::upsert::key_plan(&ctx.dst.plan, &dkey)?;
    let schema = src.schema_ref();
    Ok(TableCtx {
        display: ctx.display,
        key: (0..key.positions.len()).collect(),
        dst: SidePlan {
            plan: dst,
            convert: ctx.dst.convert.map(|_| schema.clone()),
        },
        src: SidePlan {
            plan: src,
            convert: None,
        },
        schema,
        upsert: ctx.upsert,
    })
}

/// Where the target writer connects.
enum WriterSpec {
    Pg(Box<PgEndpoint>),
    MySql(Box<MyEndpoint>),
}

impl WriterSpec {
    async fn connect(&self) -> Result<Writer> {
        Ok(match self {
            WriterSpec::Pg(pg) => Writer::Pg(crate::pg::conn::connect(pg).await?),
            WriterSpec::MySql(my) => Writer::MySql(crate::mysql::target::connect_target(my).await?),
        })
    }
}

struct SyncWork {
    /// The URLs, without passwords, for events.
    source: String,
    target: String,
    src: Reader,
    dst: Reader,
    writer: WriterSpec,
    /// Per table (the source's name): its state id and upsert.
    runs: HashMap<String, (String, Option<crate::upsert::UpsertTable>)>,
    batch: BatchLimits,
    progress: Arc<Progress>,
    results: Mutex<HashMap<String, Applied>>,
}

struct Shared(Arc<SyncWork>);

struct SyncSession {
    src: ReadSession,
    writer: Writer,
}

impl ChunkWork for Shared {
    type Session = SyncSession;

    async fn attempt(
        &self,
        session: &mut Option<SyncSession>,
        table: &TablePlan,
        ci: usize,
    ) -> Result<Receipt> {
        let w = &self.0;
        if session.is_none() {
            let src = w.src.open().await?;
            let writer = w.writer.connect().await?;
            *session = Some(SyncSession { src, writer });
        }
        let s = session.as_mut().expect("just opened");
        let name = table.display_name();
        let (id, upsert) = w
            .runs
            .get(&name)
            .ok_or_else(|| EngineError::Other(format!("no sync planned for {name}")))?;
        let upsert = upsert
            .as_ref()
            .ok_or_else(|| EngineError::Other(format!("{name} has no key")))?;
        let chunk = &table.chunks[ci];
        let side = SidePlan {
            plan: table.clone(),
            convert: None,
        };
        let progress = w.progress.table(&name);
        let mut tx = UpsertTx::begin(&mut s.writer, upsert, &chunk.id).await?;
        let (ftx, frx) = mpsc::channel::<ChunkMsg>(CHANNEL_DEPTH);
        let read = scan(
            &mut s.src,
            &side,
            chunk,
            w.batch,
            progress.as_deref(),
            Some(ftx),
            |b| Ok(Some(b.clone())),
        );
        let (read, staged) = tokio::join!(read, tx.stage_rows(frx));
        let rows = match (read, staged) {
            (Err(e), Err(EngineError::WriterStopped)) | (Err(e), Ok(_)) => return Err(e),
            (_, Err(e)) => return Err(e),
            (Ok(_), Ok(n)) => n,
        };
        let record = journal::chunk_done_sql(tx.writer(), id, chunk.index, rows);
        let applied = tx.commit_with(&record).await?;
        w.results
            .lock()
            .expect("not poisoned")
            .entry(name)
            .or_default()
            .add(applied);
        Ok(Receipt {
            rows,
            bytes: 0,
            digest: Default::default(),
        })
    }
}

struct DeleteWork {
    sync: Arc<SyncWork>,
    tables: HashMap<String, Arc<TableCtx>>,
    progress: Arc<Progress>,
    batch: BatchLimits,
    deleted: Mutex<HashMap<String, u64>>,
}

struct DeleteShared(Arc<DeleteWork>);

struct DeleteSession {
    src: ReadSession,
    dst: ReadSession,
    writer: Writer,
}

impl ChunkWork for DeleteShared {
    type Session = DeleteSession;

    async fn attempt(
        &self,
        session: &mut Option<DeleteSession>,
        table: &TablePlan,
        ci: usize,
    ) -> Result<Receipt> {
        let w = &self.0;
        if session.is_none() {
            let src = w.sync.src.open().await?;
            let dst = w.sync.dst.open().await?;
            let writer = w.sync.writer.connect().await?;
            *session = Some(DeleteSession { src, dst, writer });
        }
        let s = session.as_mut().expect("just opened");
        let name = table.display_name();
        let ctx = w
            .tables
            .get(&name)
            .ok_or_else(|| EngineError::Other(format!("no key comparison planned for {name}")))?;
        let progress = w.progress.table(&name);
        let found = compare_chunk(
            Sessions {
                src: &mut s.src,
                dst: &mut s.dst,
                writer: Some(&mut s.writer),
            },
            ctx,
            ci,
            Knobs {
                batch: w.batch,
                map_cap: DEFAULT_MAP_CAP,
                max_rows: 0,
                apply: true,
                deletes_only: true,
            },
            progress.as_deref(),
        )
        .await?;
        let deleted = found.applied.map_or(0, |a| a.deleted);
        *w.deleted
            .lock()
            .expect("not poisoned")
            .entry(name)
            .or_default() += deleted;
        Ok(Receipt {
            rows: found.src.rows,
            bytes: 0,
            digest: found.src,
        })
    }
}
