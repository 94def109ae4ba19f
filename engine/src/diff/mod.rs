//! `haul diff SRC DST [--apply]`: compare two databases row by row (any pair of PostgreSQL and
//! MySQL/MariaDB), and optionally make the target equal to the source for the rows that
//! differ. The design, with its costs and memory bound, is docs/diff.md.
//!
//! ```text
//! source: snapshot, plan (as dump)        target: snapshot (as verify --against)
//!        │ chunks: the source's key ranges, or whole tables when a range would select
//!        │ other rows on the target (ctid pages; text keys across collations or engines)
//!        ▼
//! --jobs workers ── per chunk ── chunk::compare_chunk: digests; if they differ, narrow down
//!        │                        by key hash, fetch the differing rows, [repair]
//!        ▼
//! DiffReport: per table, rows missing / extra / changed (key and changed columns)
//! ```

pub(crate) mod chunk;
mod narrow;
pub(crate) mod open;
mod render;
pub(crate) mod sides;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use haul_formats::checksum::ChunkDigest;
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use crate::diff::chunk::{Found, Knobs, Sessions, TableCtx, compare_chunk};
use crate::diff::sides::{ReadSession, Reader};
use crate::dump::Selection;
use crate::endpoint::{Endpoint, MyEndpoint, PgEndpoint};
use crate::error::{EngineError, Result};
use crate::events::{Event, FailedChunk, Observer, Progress};
use crate::plan::TablePlan;
use crate::runner::{self, ChunkWork};
use crate::sink::Receipt;
use crate::source::BatchLimits;
use crate::upsert::{Applied, Writer};

/// Keys per side held in memory while narrowing a differing chunk down (see
/// [`DiffOptions::map_cap`]).
pub const DEFAULT_MAP_CAP: usize = 200_000;

/// Options of `haul diff`.
#[derive(Debug, Clone)]
pub struct DiffOptions {
    pub selection: Selection,
    pub jobs: usize,
    /// Make the target equal to the source for the differing keys.
    pub apply: bool,
    /// Differing rows listed per table (the rest are counted).
    pub max_rows: usize,
    /// Attempts per chunk for retryable errors.
    pub attempts: u32,
    pub batch: BatchLimits,
    /// Keys per side held while narrowing a differing chunk down; a chunk with more is
    /// narrowed by key-hash buckets, one more read per group of buckets. The default, 200,000,
    /// fits a hash table of 2^18 slots of 49 bytes: 12.3 MiB per side (docs/diff.md).
    pub map_cap: usize,
}

impl Default for DiffOptions {
    fn default() -> Self {
        Self {
            selection: Selection::default(),
            jobs: 2,
            apply: false,
            max_rows: 100,
            attempts: 3,
            batch: BatchLimits::default(),
            map_cap: DEFAULT_MAP_CAP,
        }
    }
}

/// How a row differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RowKind {
    /// In the source, not in the target.
    Missing,
    /// In the target, not in the source.
    Extra,
    /// Same key, other values.
    Changed,
}

/// A differing row.
#[derive(Debug, Clone, Serialize)]
pub struct DiffRow {
    pub table: String,
    pub chunk: String,
    pub kind: RowKind,
    /// `(id)=(17)`: the key, or every column of a table without a key.
    pub text: String,
    /// The same as a JSON object.
    pub key: serde_json::Map<String, serde_json::Value>,
    /// Changed columns (names), for `changed`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<String>,
    /// Copies of the row (a table without a key) or of the key (a duplicated key) per side.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_count: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_count: Option<u64>,
    /// The key's values in column order, for sorting.
    #[serde(skip)]
    pub(crate) order: Vec<serde_json::Value>,
}

/// A table's outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TableStatus {
    #[default]
    Equal,
    /// Rows differ.
    Differs,
    MissingInTarget,
    OnlyInTarget,
    /// Column names (or, on one engine, types) differ: rows were not compared.
    ColumnsDiffer,
    /// Some chunk could not be compared (see `failed_chunks`).
    Failed,
}

/// One table of the report.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TableDiff {
    /// As the source names it (as the target does for a table only there).
    pub table: String,
    /// As the target names it.
    pub target: String,
    pub status: TableStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    pub keyed: bool,
    pub source_rows: Option<u64>,
    pub target_rows: Option<u64>,
    /// Rows missing in the target (copies, for a table without a key).
    pub missing: u64,
    pub extra: u64,
    pub changed: u64,
    /// The first differing rows (by chunk and key); reported as `diff_row` events.
    #[serde(skip)]
    pub rows: Vec<DiffRow>,
    /// Differing rows (or keys) not in `rows`.
    pub not_listed: u64,
    /// With --apply: what the repair changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applied: Option<Applied>,
}

impl TableDiff {
    /// True when the table is not equal on both sides.
    pub fn differs(&self) -> bool {
        self.status != TableStatus::Equal
    }

    /// True when --apply made the target's rows equal to the source's.
    pub fn repaired(&self) -> bool {
        self.status == TableStatus::Differs && self.applied.is_some()
    }
}

/// What `haul diff` found.
#[derive(Debug, Clone, Serialize)]
pub struct DiffReport {
    pub source: String,
    pub target: String,
    /// The source's snapshot.
    pub snapshot: String,
    pub apply: bool,
    pub tables: Vec<TableDiff>,
    pub failed_chunks: Vec<FailedChunk>,
    pub seconds: f64,
}

impl DiffReport {
    /// Every table equal and every chunk compared.
    pub fn equal(&self) -> bool {
        self.failed_chunks.is_empty() && self.tables.iter().all(|t| !t.differs())
    }

    /// With --apply: every difference found was repaired.
    pub fn all_repaired(&self) -> bool {
        self.failed_chunks.is_empty() && self.tables.iter().all(|t| !t.differs() || t.repaired())
    }
}

/// Compares `src` with `dst` (each in one snapshot), repairing with `opts.apply`.
pub async fn diff(
    src: &Endpoint,
    dst: &Endpoint,
    opts: &DiffOptions,
    observer: Arc<dyn Observer>,
    cancel: CancellationToken,
) -> Result<DiffReport> {
    let started = Instant::now();
    let opened = tokio::select! {
        r = open::open(src, dst, opts) => r?,
        _ = cancel.cancelled() => return Err(EngineError::Interrupted),
    };
    let open::Opened {
        holders,
        src: src_reader,
        dst: dst_reader,
        tables,
        statuses,
        snapshot,
        warnings,
    } = opened;
    for w in tables
        .iter()
        .flat_map(|t| t.src.plan.warnings.iter())
        .chain(&warnings)
    {
        observer.event(&Event::Warning { message: w.clone() });
    }
    let plans: Vec<TablePlan> = tables.iter().map(|t| t.src.plan.clone()).collect();
    let progress = runner::announce(
        &*observer,
        &plans,
        &BTreeMap::new(),
        runner::Announce {
            command: "diff",
            source: src.to_string(),
            target: dst.to_string(),
            snapshot: Some(snapshot.clone()),
            resumed: false,
            jobs: opts.jobs,
            rows: &|t: &TablePlan| t.estimated_rows,
        },
    );
    let writer = match (opts.apply, dst) {
        (true, Endpoint::Postgres(pg)) => Some(WriterSpec::Pg(pg.clone())),
        (true, Endpoint::MySql(my)) => Some(WriterSpec::MySql(my.clone())),
        _ => None,
    };
    let work = DiffWork {
        src: src_reader,
        dst: dst_reader,
        writer,
        tables: tables
            .into_iter()
            .map(|t| (t.display.clone(), Arc::new(t)))
            .collect(),
        knobs: Knobs {
            batch: opts.batch,
            map_cap: opts.map_cap.max(1),
            max_rows: opts.max_rows,
            apply: opts.apply,
            deletes_only: false,
        },
        progress: progress.clone(),
        results: Mutex::new(HashMap::new()),
    };
    let work = Arc::new(work);
    let outcome = runner::run(
        SharedWork(work.clone()),
        Arc::new(plans.clone()),
        BTreeMap::new(),
        opts.jobs,
        opts.attempts,
        observer.clone(),
        progress,
        cancel,
    )
    .await;
    for h in holders {
        h.finish().await;
    }
    let outcome = outcome?;
    if let (true, Endpoint::Postgres(pg)) = (opts.apply, dst) {
        // Rows upserted with explicit keys: the target's sequences must follow them.
        let mut w = Writer::Pg(crate::pg::conn::connect(pg).await?);
        for t in work.tables.values().filter(|t| t.upsert.is_some()) {
            let p = &t.dst.plan;
            crate::upsert::advance_sequences(&mut w, &p.schema, &p.name).await?;
        }
    }
    let summary = crate::dump::summarize(
        &plans,
        &outcome.done,
        &outcome.failed,
        &outcome.timing,
        started.elapsed(),
        true,
    );
    observer.event(&Event::Finished(summary));
    let mut results = std::mem::take(&mut *work.results.lock().expect("not poisoned"));
    let mut report_tables = statuses;
    for t in &plans {
        let name = t.display_name();
        let ctx = &work.tables[&name];
        let acc = results.remove(&name).unwrap_or_default();
        let failed = outcome
            .failed
            .iter()
            .any(|f| t.chunks.iter().any(|c| c.id == f.chunk));
        report_tables.push(acc.into_table(ctx, failed, opts.max_rows));
    }
    report_tables.sort_by(|a, b| a.table.cmp(&b.table));
    Ok(DiffReport {
        source: src.to_string(),
        target: dst.to_string(),
        snapshot,
        apply: opts.apply,
        tables: report_tables,
        failed_chunks: outcome.failed,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// One table's findings so far.
#[derive(Debug, Default)]
struct TableAcc {
    src: ChunkDigest,
    dst: ChunkDigest,
    missing: u64,
    extra: u64,
    changed: u64,
    /// Differing rows or keys, listed or not.
    entries: u64,
    rows: Vec<DiffRow>,
    applied: Option<Applied>,
}

impl TableAcc {
    fn add(&mut self, f: Found, max_rows: usize) {
        self.src.merge(&f.src);
        self.dst.merge(&f.dst);
        self.missing += f.missing;
        self.extra += f.extra;
        self.changed += f.changed;
        self.entries += f.entries;
        self.rows.extend(f.rows);
        self.rows.sort_by(|a, b| {
            a.chunk
                .cmp(&b.chunk)
                .then_with(|| render::cmp_values(&a.order, &b.order))
        });
        self.rows.truncate(max_rows);
        if let Some(a) = f.applied {
            self.applied.get_or_insert_default().add(a);
        }
    }

    fn into_table(self, ctx: &TableCtx, failed: bool, max_rows: usize) -> TableDiff {
        let differs = self.src != self.dst || self.entries > 0;
        let listed = self.rows.len().min(max_rows);
        TableDiff {
            table: ctx.display.clone(),
            target: ctx.dst.plan.display_name(),
            status: if failed {
                TableStatus::Failed
            } else if differs {
                TableStatus::Differs
            } else {
                TableStatus::Equal
            },
            detail: None,
            keyed: !ctx.key.is_empty(),
            source_rows: Some(self.src.rows),
            target_rows: Some(self.dst.rows),
            missing: self.missing,
            extra: self.extra,
            changed: self.changed,
            not_listed: self.entries.saturating_sub(listed as u64),
            rows: self.rows,
            applied: if differs && !ctx.key.is_empty() {
                self.applied
            } else {
                None
            },
        }
    }
}

/// Where --apply writes.
enum WriterSpec {
    Pg(Box<PgEndpoint>),
    MySql(Box<MyEndpoint>),
}

struct DiffWork {
    src: Reader,
    dst: Reader,
    writer: Option<WriterSpec>,
    tables: HashMap<String, Arc<TableCtx>>,
    knobs: Knobs,
    progress: Arc<Progress>,
    results: Mutex<HashMap<String, TableAcc>>,
}

/// The runner owns its work; the diff reads the results afterwards.
struct SharedWork(Arc<DiffWork>);

/// A worker's sessions: one in each side's snapshot, and the target writer with --apply.
struct DiffSession {
    src: ReadSession,
    dst: ReadSession,
    writer: Option<Writer>,
}

impl ChunkWork for SharedWork {
    type Session = DiffSession;

    async fn attempt(
        &self,
        session: &mut Option<DiffSession>,
        table: &TablePlan,
        ci: usize,
    ) -> Result<Receipt> {
        let w = &self.0;
        if session.is_none() {
            let src = w.src.open().await?;
            let dst = w.dst.open().await?;
            let writer = match &w.writer {
                None => None,
                Some(WriterSpec::Pg(pg)) => Some(Writer::Pg(crate::pg::conn::connect(pg).await?)),
                Some(WriterSpec::MySql(my)) => Some(Writer::MySql(
                    crate::mysql::target::connect_target(my).await?,
                )),
            };
            *session = Some(DiffSession { src, dst, writer });
        }
        let s = session.as_mut().expect("just opened");
        let name = table.display_name();
        let ctx = w
            .tables
            .get(&name)
            .ok_or_else(|| EngineError::Other(format!("no comparison planned for {name}")))?;
        let progress = w.progress.table(&name);
        let found = compare_chunk(
            Sessions {
                src: &mut s.src,
                dst: &mut s.dst,
                writer: s.writer.as_mut(),
            },
            ctx,
            ci,
            w.knobs,
            progress.as_deref(),
        )
        .await?;
        let receipt = Receipt {
            rows: found.src.rows,
            bytes: 0,
            digest: found.src,
        };
        w.results
            .lock()
            .expect("not poisoned")
            .entry(name)
            .or_default()
            .add(found, w.knobs.max_rows);
        Ok(receipt)
    }
}
