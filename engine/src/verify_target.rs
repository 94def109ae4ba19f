//! `haul verify DIR --against postgres://…`: re-read the target by the dump's chunk ranges,
//! into the manifest's Arrow schema, and compare each chunk's rows and checksum with what
//! the dump recorded (DESIGN.md §5). A table split by ctid pages cannot be re-read by the same
//! ranges on another server: it is compared whole (digests are sums, so the dump's chunk
//! digests add up to the table's).

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use haul_formats::checksum::{ChunkDigest, RowHasher};
use tokio::sync::mpsc;

use crate::endpoint::PgEndpoint;
use crate::error::{EngineError, Result};
use crate::manifest::{ChunkRecord, Journal, Manifest};
use crate::pg::snapshot::{SnapshotLeader, SnapshotWorker};
use crate::plan::{ChunkRange, ChunkSpec, SplitKind, TablePlan};
use crate::source::{BatchLimits, CHANNEL_DEPTH, ChunkMsg};
use crate::verify::{Problem, VerifyReport};

/// One comparison: a chunk, or a whole table.
struct Item {
    table: usize,
    chunk: ChunkSpec,
    expected: ChunkDigest,
}

/// Compares the target `dst` with the dump in `dir`, with `jobs` sessions in one snapshot.
pub async fn verify_against(dir: &Path, dst: &PgEndpoint, jobs: usize) -> Result<VerifyReport> {
    let manifest = Manifest::read(dir)?;
    let replay = Journal::replay(dir)?;
    let mut report = VerifyReport {
        chunks: 0,
        chunks_ok: 0,
        rows: 0,
        bytes: 0,
        finished: manifest.finished_at.is_some(),
        problems: Vec::new(),
    };
    let leader_client = crate::pg::conn::connect(dst).await?;
    let names: Vec<(String, String)> = manifest
        .tables
        .iter()
        .map(|t| (t.schema.clone(), t.name.clone()))
        .collect();
    let present: HashSet<(String, String)> =
        crate::pg::target::existing_tables(&leader_client, &names).await?;
    let mut items = Vec::new();
    for (ti, t) in manifest.tables.iter().enumerate() {
        if !present.contains(&(t.schema.clone(), t.name.clone())) {
            report.chunks += t.chunks.len();
            report.problems.push(Problem {
                chunk: format!("{}#*", t.display_name()),
                file: t.display_name(),
                problem: "the table does not exist in the target".into(),
            });
            continue;
        }
        items.extend(items_of(ti, t, &replay.done, &mut report));
    }
    let locked: Vec<(String, String)> = names.into_iter().filter(|n| present.contains(n)).collect();
    let leader = SnapshotLeader::start(leader_client, &locked, Duration::from_secs(60)).await?;
    let snapshot = leader.info.id.clone();

    let tables = Arc::new(manifest.tables.clone());
    let queue = Arc::new(Mutex::new(items.into_iter().collect::<VecDeque<Item>>()));
    let results = Arc::new(Mutex::new(Vec::new()));
    let mut handles = Vec::new();
    for _ in 0..jobs.max(1) {
        let (queue, results, tables, dst, snapshot) = (
            queue.clone(),
            results.clone(),
            tables.clone(),
            dst.clone(),
            snapshot.clone(),
        );
        handles.push(tokio::spawn(async move {
            let mut worker = SnapshotWorker::open(&dst, &snapshot).await?;
            loop {
                let Some(item) = queue.lock().expect("not poisoned").pop_front() else {
                    return Ok::<(), EngineError>(());
                };
                let table = &tables[item.table];
                let got = digest_of(&mut worker, table, &item.chunk).await;
                if got
                    .as_ref()
                    .is_err_and(|e| e.is_retryable() || e.is_fatal())
                {
                    return got.map(|_| ());
                }
                results.lock().expect("not poisoned").push((item, got));
            }
        }));
    }
    let mut fatal = None;
    for h in handles {
        match h.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => fatal = fatal.or(Some(e)),
            Err(e) => fatal = fatal.or(Some(EngineError::Other(format!("a worker failed: {e}")))),
        }
    }
    leader.finish().await;
    if let Some(e) = fatal {
        return Err(e);
    }
    let mut results = std::mem::take(&mut *results.lock().expect("not poisoned"));
    results.sort_by(|a, b| a.0.chunk.id.cmp(&b.0.chunk.id));
    for (item, got) in results {
        let table = &tables[item.table];
        let n = if item.chunk.id.ends_with("#*") {
            table.chunks.len()
        } else {
            1
        };
        let problem = match got {
            Err(e) => Some(format!("cannot read it from the target: {}", e.detail())),
            Ok(d) if d == item.expected => None,
            Ok(d) => Some(if d.rows != item.expected.rows {
                format!(
                    "rows differ: the dump recorded {}, the target has {} (checksum {} vs {})",
                    item.expected.rows,
                    d.rows,
                    item.expected.sum_hex(),
                    d.sum_hex()
                )
            } else {
                format!(
                    "checksum differs with the same row count ({}): the dump recorded {}, the target has {}",
                    d.rows,
                    item.expected.sum_hex(),
                    d.sum_hex()
                )
            }),
        };
        match problem {
            None => {
                report.chunks_ok += n;
                report.rows += item.expected.rows;
            }
            Some(problem) => report.problems.push(Problem {
                chunk: item.chunk.id.clone(),
                file: table.display_name(),
                problem,
            }),
        }
    }
    Ok(report)
}

/// The comparisons of one table: per chunk, or whole for ctid-split tables.
fn items_of(
    ti: usize,
    t: &TablePlan,
    done: &BTreeMap<String, ChunkRecord>,
    report: &mut VerifyReport,
) -> Vec<Item> {
    report.chunks += t.chunks.len();
    let mut missing = false;
    let mut per_chunk = Vec::new();
    for c in &t.chunks {
        let Some(rec) = done.get(&c.id) else {
            missing = true;
            report.problems.push(Problem {
                chunk: c.id.clone(),
                file: t.display_name(),
                problem:
                    "the dump has no record of this chunk (unfinished dump); nothing to compare"
                        .into(),
            });
            continue;
        };
        let expected = ChunkDigest {
            rows: rec.rows,
            sum: ChunkDigest::parse_sum_hex(&rec.checksum).unwrap_or_default(),
        };
        per_chunk.push(Item {
            table: ti,
            chunk: c.clone(),
            expected,
        });
    }
    if t.split != SplitKind::Pages || t.chunks.len() <= 1 {
        return per_chunk;
    }
    if missing {
        return Vec::new();
    }
    let mut whole = ChunkDigest::default();
    for i in &per_chunk {
        whole.merge(&i.expected);
    }
    vec![Item {
        table: ti,
        chunk: ChunkSpec {
            id: format!("{}#*", t.display_name()),
            index: 0,
            file: String::new(),
            range: ChunkRange::Whole,
        },
        expected: whole,
    }]
}

/// Reads one range of the target and digests it by the manifest's schema.
async fn digest_of(
    worker: &mut SnapshotWorker,
    table: &TablePlan,
    chunk: &ChunkSpec,
) -> Result<ChunkDigest> {
    let (tx, mut rx) = mpsc::channel::<ChunkMsg>(CHANNEL_DEPTH);
    let mut hasher = RowHasher::try_new(&table.arrow_schema).map_err(|e| EngineError::Format {
        chunk: chunk.id.clone(),
        source: Box::new(e),
    })?;
    let consume = async move {
        let mut digest = ChunkDigest::default();
        while let Some(msg) = rx.recv().await {
            if let ChunkMsg::Batch(b) = msg {
                hasher
                    .digest_batch(&b, &mut digest)
                    .map_err(|e| EngineError::Format {
                        chunk: chunk.id.clone(),
                        source: Box::new(e),
                    })?;
            }
        }
        Ok::<ChunkDigest, EngineError>(digest)
    };
    let read = async move {
        crate::source::pg::read_chunk(worker, table, chunk, BatchLimits::default(), &tx, None).await
    };
    let (read, digest) = tokio::join!(read, consume);
    read?;
    digest
}
