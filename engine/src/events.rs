//! What a run reports while it works: discrete [`Event`]s (serialized as `--json` lines by the
//! binary) and live [`Progress`] counters (polled for progress bars). The engine never prints.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

/// One thing that happened. Serialized as `{"type": "<snake_case name>", "data": {…}}`.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Event {
    /// The run has its snapshot and plan; work starts.
    Started {
        command: &'static str,
        source: String,
        target: String,
        snapshot: Option<String>,
        tables: usize,
        chunks: usize,
        /// Chunks already done by an earlier run (resume).
        chunks_done: usize,
        estimated_rows: u64,
        estimated_bytes: u64,
        resumed: bool,
        jobs: usize,
    },
    /// Something the user should know; the run goes on.
    Warning { message: String },
    /// A table's first chunk started in this run.
    TableStarted {
        table: String,
        chunks: usize,
        estimated_rows: u64,
        estimated_bytes: u64,
    },
    /// A chunk was committed and recorded.
    ChunkDone {
        table: String,
        chunk: String,
        rows: u64,
        /// Bytes written (file size, or bytes sent to the target).
        bytes: u64,
        checksum: String,
        seconds: f64,
    },
    /// A chunk failed; `retrying` says whether it will be tried again.
    ChunkFailed {
        table: String,
        chunk: String,
        error: String,
        attempt: u32,
        retrying: bool,
    },
    /// Every chunk of a table is done (this run and earlier ones together).
    TableDone {
        table: String,
        rows: u64,
        chunks: usize,
        bytes: u64,
        seconds: f64,
    },
    /// A schema step after the data finished (an index, a constraint, a view, ANALYZE).
    StepDone { what: String, seconds: f64 },
    /// A schema step after the data failed; the others go on.
    StepFailed { what: String, error: String },
    /// The run ended.
    Finished(RunSummary),
}

/// The end-of-run summary.
#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    pub ok: bool,
    pub tables: Vec<TableSummary>,
    pub rows: u64,
    pub bytes: u64,
    pub chunks: usize,
    pub failed_chunks: Vec<FailedChunk>,
    pub seconds: f64,
}

/// One table's totals.
#[derive(Debug, Clone, Serialize)]
pub struct TableSummary {
    pub table: String,
    pub rows: u64,
    pub chunks: usize,
    pub chunks_failed: usize,
    pub bytes: u64,
    /// Wall seconds this run spent on the table (first chunk start to last chunk end).
    pub seconds: f64,
}

/// A chunk that did not make it.
#[derive(Debug, Clone, Serialize)]
pub struct FailedChunk {
    pub chunk: String,
    pub error: String,
}

/// Receives events. Implementations must be cheap: events come from worker tasks.
pub trait Observer: Send + Sync {
    /// Called once per event, in the order they happen on each worker.
    fn event(&self, event: &Event);

    /// Called once, before `Started`, with the run's live counters.
    fn attach_progress(&self, _progress: Arc<Progress>) {}
}

/// An observer that drops everything.
#[derive(Debug, Default, Clone, Copy)]
pub struct Silent;

impl Observer for Silent {
    fn event(&self, _: &Event) {}
}

/// Live counters per table: rows and source bytes read so far, in this run. Updated per
/// batch, read by progress bars.
#[derive(Debug, Default)]
pub struct Progress {
    tables: BTreeMap<String, Arc<TableProgress>>,
}

/// One table's live counters.
#[derive(Debug, Default)]
pub struct TableProgress {
    pub rows: AtomicU64,
    pub bytes: AtomicU64,
    pub estimated_rows: AtomicU64,
    pub estimated_bytes: AtomicU64,
    pub chunks_total: AtomicU64,
    pub chunks_done: AtomicU64,
}

impl TableProgress {
    /// Adds a batch's rows and bytes.
    pub fn add(&self, rows: u64, bytes: u64) {
        self.rows.fetch_add(rows, Ordering::Relaxed);
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
    }
}

impl Progress {
    /// Registers the tables of a run with their estimates.
    pub fn new(tables: impl IntoIterator<Item = (String, u64, u64, u64)>) -> Self {
        let tables = tables
            .into_iter()
            .map(|(name, rows, bytes, chunks)| {
                let p = TableProgress::default();
                p.estimated_rows.store(rows, Ordering::Relaxed);
                p.estimated_bytes.store(bytes, Ordering::Relaxed);
                p.chunks_total.store(chunks, Ordering::Relaxed);
                (name, Arc::new(p))
            })
            .collect();
        Self { tables }
    }

    /// A table's counters.
    pub fn table(&self, name: &str) -> Option<Arc<TableProgress>> {
        self.tables.get(name).cloned()
    }

    /// Every table's counters, by name.
    pub fn tables(&self) -> impl Iterator<Item = (&String, &Arc<TableProgress>)> {
        self.tables.iter()
    }
}
