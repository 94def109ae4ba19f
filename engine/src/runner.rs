//! The chunk scheduler shared by `load` and `copy`: `--jobs` workers take chunks from one
//! queue (largest tables first), retry what is retryable with backoff, stop everything on a
//! fatal error or Ctrl-C, and report each chunk, table and the run as events.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use crate::error::{EngineError, Result};
use crate::events::{Event, FailedChunk, Observer, Progress};
use crate::manifest::ChunkRecord;
use crate::plan::TablePlan;
use crate::sink::Receipt;

/// One kind of chunk work (load a file, copy a range). A worker keeps a `Session` (its
/// connections) across chunks; after a failed attempt the session is dropped and reopened.
pub(crate) trait ChunkWork: Send + Sync + 'static {
    type Session: Send;

    /// One attempt at chunk `ci` of table `ti`; commits before returning `Ok`.
    fn attempt<'a>(
        &'a self,
        session: &'a mut Option<Self::Session>,
        table: &'a TablePlan,
        ci: usize,
    ) -> impl Future<Output = Result<Receipt>> + Send + 'a;
}

/// What the workers did.
pub(crate) struct RunOutcome {
    pub done: BTreeMap<String, ChunkRecord>,
    pub failed: Vec<FailedChunk>,
    pub timing: HashMap<String, (Instant, Instant)>,
}

struct Shared<W: ChunkWork> {
    work: W,
    tables: Arc<Vec<TablePlan>>,
    queue: Mutex<VecDeque<(usize, usize)>>,
    done: Mutex<BTreeMap<String, ChunkRecord>>,
    failed: Mutex<Vec<FailedChunk>>,
    fatal: Mutex<Option<EngineError>>,
    timing: Mutex<HashMap<String, (Instant, Instant)>>,
    observer: Arc<dyn Observer>,
    progress: Arc<Progress>,
    attempts: u32,
    cancel: CancellationToken,
}

/// Runs every chunk not in `done` with `jobs` workers. Returns `Err` on a fatal error or
/// interruption (after every worker stopped), else what was done and what failed.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn run<W: ChunkWork>(
    work: W,
    tables: Arc<Vec<TablePlan>>,
    done: BTreeMap<String, ChunkRecord>,
    jobs: usize,
    attempts: u32,
    observer: Arc<dyn Observer>,
    progress: Arc<Progress>,
    cancel: CancellationToken,
) -> Result<RunOutcome> {
    let mut order: Vec<usize> = (0..tables.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(tables[i].estimated_bytes));
    let mut queue = VecDeque::new();
    for ti in order {
        for (ci, c) in tables[ti].chunks.iter().enumerate() {
            if !done.contains_key(&c.id) {
                queue.push_back((ti, ci));
            }
        }
    }
    let pending = queue.len();
    let shared = Arc::new(Shared {
        work,
        tables,
        queue: Mutex::new(queue),
        done: Mutex::new(done),
        failed: Mutex::new(Vec::new()),
        fatal: Mutex::new(None),
        timing: Mutex::new(HashMap::new()),
        observer,
        progress,
        attempts: attempts.max(1),
        cancel: cancel.clone(),
    });
    let mut handles = Vec::new();
    for _ in 0..jobs.max(1).min(pending) {
        let s = shared.clone();
        handles.push(tokio::spawn(async move { s.worker().await }));
    }
    for h in handles {
        if let Err(e) = h.await {
            shared.set_fatal(EngineError::Other(format!("a worker task failed: {e}")));
        }
    }
    if let Some(e) = shared.fatal.lock().expect("not poisoned").take() {
        return Err(e);
    }
    if cancel.is_cancelled() {
        return Err(EngineError::Interrupted);
    }
    Ok(RunOutcome {
        done: std::mem::take(&mut *shared.done.lock().expect("not poisoned")),
        failed: std::mem::take(&mut *shared.failed.lock().expect("not poisoned")),
        timing: std::mem::take(&mut *shared.timing.lock().expect("not poisoned")),
    })
}

impl<W: ChunkWork> Shared<W> {
    fn set_fatal(&self, e: EngineError) {
        let mut f = self.fatal.lock().expect("not poisoned");
        if f.is_none() {
            *f = Some(e);
        }
        self.cancel.cancel();
    }

    fn next(&self) -> Option<(usize, usize)> {
        if self.cancel.is_cancelled() {
            return None;
        }
        self.queue.lock().expect("not poisoned").pop_front()
    }

    async fn worker(self: Arc<Self>) {
        let mut session: Option<W::Session> = None;
        while let Some((ti, ci)) = self.next() {
            let table = &self.tables[ti];
            let chunk = &table.chunks[ci];
            let name = table.display_name();
            self.table_started(table);
            let mut attempt = 0;
            loop {
                attempt += 1;
                let t0 = Instant::now();
                let result = tokio::select! {
                    r = self.work.attempt(&mut session, table, ci) => r,
                    _ = self.cancel.cancelled() => Err(EngineError::Interrupted),
                };
                match result {
                    Ok(receipt) => {
                        self.record(table, ci, &receipt, t0.elapsed());
                        break;
                    }
                    Err(e) => {
                        session = None;
                        if self.cancel.is_cancelled()
                            && self.fatal.lock().expect("not poisoned").is_none()
                        {
                            return;
                        }
                        let e = e.in_chunk(&chunk.id);
                        if e.is_fatal() {
                            self.set_fatal(e);
                            return;
                        }
                        let retrying = e.is_retryable() && attempt < self.attempts;
                        self.observer.event(&Event::ChunkFailed {
                            table: name.clone(),
                            chunk: chunk.id.clone(),
                            error: e.detail(),
                            attempt,
                            retrying,
                        });
                        if retrying {
                            let backoff = Duration::from_millis(500 * (1 << attempt.min(5)));
                            tokio::select! {
                                _ = tokio::time::sleep(backoff) => continue,
                                _ = self.cancel.cancelled() => return,
                            }
                        }
                        self.failed.lock().expect("not poisoned").push(FailedChunk {
                            chunk: chunk.id.clone(),
                            error: e.detail(),
                        });
                        break;
                    }
                }
            }
        }
    }

    fn table_started(&self, table: &TablePlan) {
        let name = table.display_name();
        let mut timing = self.timing.lock().expect("not poisoned");
        if !timing.contains_key(&name) {
            let now = Instant::now();
            timing.insert(name.clone(), (now, now));
            self.observer.event(&Event::TableStarted {
                table: name,
                chunks: table.chunks.len(),
                estimated_rows: table.estimated_rows,
                estimated_bytes: table.estimated_bytes,
            });
        }
    }

    fn record(&self, table: &TablePlan, ci: usize, receipt: &Receipt, elapsed: Duration) {
        let chunk = &table.chunks[ci];
        let rec = ChunkRecord {
            chunk: chunk.id.clone(),
            file: chunk.file.clone(),
            rows: receipt.rows,
            bytes: receipt.bytes,
            checksum: receipt.digest.sum_hex(),
            snapshot: 0,
            seconds: (elapsed.as_secs_f64() * 1000.0).round() / 1000.0,
        };
        let name = table.display_name();
        self.observer.event(&Event::ChunkDone {
            table: name.clone(),
            chunk: chunk.id.clone(),
            rows: rec.rows,
            bytes: rec.bytes,
            checksum: rec.checksum.clone(),
            seconds: rec.seconds,
        });
        if let Some(p) = self.progress.table(&name) {
            p.chunks_done.fetch_add(1, Ordering::Relaxed);
        }
        let (table_done, rows, bytes, n) = {
            let mut done = self.done.lock().expect("not poisoned");
            done.insert(rec.chunk.clone(), rec);
            let recs: Vec<&ChunkRecord> = table
                .chunks
                .iter()
                .filter_map(|c| done.get(&c.id))
                .collect();
            (
                recs.len() == table.chunks.len(),
                recs.iter().map(|r| r.rows).sum::<u64>(),
                recs.iter().map(|r| r.bytes).sum::<u64>(),
                recs.len(),
            )
        };
        let seconds = {
            let mut timing = self.timing.lock().expect("not poisoned");
            let entry = timing
                .entry(name.clone())
                .or_insert((Instant::now(), Instant::now()));
            entry.1 = Instant::now();
            (entry.1 - entry.0).as_secs_f64()
        };
        if table_done {
            self.observer.event(&Event::TableDone {
                table: name,
                rows,
                chunks: n,
                bytes,
                seconds,
            });
        }
    }
}

/// How a run describes itself when it starts.
pub(crate) struct Announce<'a> {
    pub command: &'static str,
    pub source: String,
    pub target: String,
    pub snapshot: Option<String>,
    pub resumed: bool,
    pub jobs: usize,
    /// Rows per table as far as known (a dump's journal), else the planner's estimate.
    pub rows: &'a dyn Fn(&TablePlan) -> u64,
}

/// Registers the tables' progress (chunks already done counted), attaches it to the observer
/// and emits `Started`.
pub(crate) fn announce(
    observer: &dyn Observer,
    tables: &[TablePlan],
    done: &BTreeMap<String, ChunkRecord>,
    a: Announce<'_>,
) -> Arc<Progress> {
    let progress = Arc::new(Progress::new(tables.iter().map(|t| {
        (
            t.display_name(),
            (a.rows)(t),
            t.estimated_bytes,
            t.chunks.len() as u64,
        )
    })));
    for t in tables {
        if let Some(p) = progress.table(&t.display_name()) {
            let n = t.chunks.iter().filter(|c| done.contains_key(&c.id)).count() as u64;
            p.chunks_done.store(n, Ordering::Relaxed);
        }
    }
    observer.attach_progress(progress.clone());
    observer.event(&Event::Started {
        command: a.command,
        source: a.source,
        target: a.target,
        snapshot: a.snapshot,
        tables: tables.len(),
        chunks: tables.iter().map(|t| t.chunks.len()).sum(),
        chunks_done: done.len(),
        estimated_rows: tables.iter().map(|t| (a.rows)(t)).sum(),
        estimated_bytes: tables.iter().map(|t| t.estimated_bytes).sum(),
        resumed: a.resumed,
        jobs: a.jobs,
    });
    progress
}

/// The outcome of a chunk read into a sink concurrently: the sink's receipt, else the error
/// that explains the failure (the reader's when the sink only saw its reader stop).
pub(crate) fn chunk_outcome<R>(read: Result<R>, write: Result<Receipt>) -> Result<Receipt> {
    match (read, write) {
        (_, Ok(receipt)) => Ok(receipt),
        (Err(re), Err(EngineError::WriterStopped)) => Err(re),
        (_, Err(we)) => Err(we),
    }
}
