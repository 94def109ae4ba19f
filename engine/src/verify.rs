//! `haul verify DIR`: re-read every chunk file, recompute rows and checksum, compare with the
//! journal. One problem per bad chunk: missing record, missing file, wrong size, unreadable,
//! wrong schema, wrong row count, wrong checksum.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use haul_formats::checksum::{ChunkDigest, RowHasher};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde::Serialize;

use crate::error::Result;
use crate::manifest::{ChunkRecord, JOURNAL_FILE, Journal, Manifest};
use crate::plan::{ChunkSpec, TablePlan};

/// One bad chunk (or a journal problem, with an empty chunk id).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Problem {
    pub chunk: String,
    pub file: String,
    pub problem: String,
}

/// The outcome of a verification.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    pub chunks: usize,
    pub chunks_ok: usize,
    pub rows: u64,
    pub bytes: u64,
    /// The dump finished (every chunk was recorded when the run ended).
    pub finished: bool,
    pub problems: Vec<Problem>,
}

impl VerifyReport {
    /// True when nothing differs or is missing.
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Verifies a dump directory with up to `jobs` reader threads.
pub fn verify_dir(dir: &Path, jobs: usize) -> Result<VerifyReport> {
    let manifest = Manifest::read(dir)?;
    let replay = Journal::replay(dir)?;
    let mut problems = Vec::new();
    let journal = dir.join(JOURNAL_FILE).display().to_string();
    if replay.torn_tail {
        problems.push(Problem {
            chunk: String::new(),
            file: journal.clone(),
            problem:
                "the last journal record is torn (incomplete line); its chunk has no valid record"
                    .into(),
        });
    }
    for line in &replay.bad_lines {
        problems.push(Problem {
            chunk: String::new(),
            file: journal.clone(),
            problem: format!("journal line {line} is corrupt (not a valid record)"),
        });
    }
    let work: Vec<(&TablePlan, &ChunkSpec)> = manifest
        .tables
        .iter()
        .flat_map(|t| t.chunks.iter().map(move |c| (t, c)))
        .collect();
    let next = AtomicUsize::new(0);
    let results: Mutex<BTreeMap<usize, ChunkOutcome>> = Mutex::new(BTreeMap::new());
    std::thread::scope(|s| {
        for _ in 0..jobs.clamp(1, 64) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some((t, c)) = work.get(i) else { break };
                    let outcome = check_chunk(dir, t, c, replay.done.get(&c.id));
                    results.lock().expect("not poisoned").insert(i, outcome);
                }
            });
        }
    });
    let results = results.into_inner().expect("not poisoned");
    let mut report = VerifyReport {
        chunks: work.len(),
        chunks_ok: 0,
        rows: 0,
        bytes: 0,
        finished: manifest.finished_at.is_some(),
        problems,
    };
    for (_, outcome) in results {
        match outcome {
            ChunkOutcome::Ok { rows, bytes } => {
                report.chunks_ok += 1;
                report.rows += rows;
                report.bytes += bytes;
            }
            ChunkOutcome::Bad(p) => report.problems.push(p),
        }
    }
    Ok(report)
}

enum ChunkOutcome {
    Ok { rows: u64, bytes: u64 },
    Bad(Problem),
}

fn check_chunk(
    dir: &Path,
    table: &TablePlan,
    chunk: &ChunkSpec,
    rec: Option<&ChunkRecord>,
) -> ChunkOutcome {
    let path = dir.join(&chunk.file);
    let bad = |problem: String| {
        ChunkOutcome::Bad(Problem {
            chunk: chunk.id.clone(),
            file: chunk.file.clone(),
            problem,
        })
    };
    let exists = path.exists();
    let Some(rec) = rec else {
        return bad(if exists {
            "no journal record: the file was written but never recorded (rerun the dump to redo it)"
                .into()
        } else {
            "missing: no journal record and no file (the dump did not finish this chunk; rerun it to resume)".into()
        });
    };
    if !exists {
        return bad("file missing (recorded as done)".into());
    }
    let size = match std::fs::metadata(&path) {
        Ok(m) => m.len(),
        Err(e) => return bad(format!("cannot stat the file: {e}")),
    };
    let mut differences = Vec::new();
    if size != rec.bytes {
        differences.push(format!(
            "size differs: recorded {} bytes, file has {size}",
            rec.bytes
        ));
    }
    match read_digest(&path, table) {
        Err(e) => differences.push(format!("unreadable: {e}")),
        Ok(digest) => {
            if digest.rows != rec.rows {
                differences.push(format!(
                    "rows differ: recorded {}, file has {}",
                    rec.rows, digest.rows
                ));
            }
            if digest.sum_hex() != rec.checksum {
                differences.push(format!(
                    "checksum differs: recorded {}, file has {}",
                    rec.checksum,
                    digest.sum_hex()
                ));
            }
        }
    }
    if differences.is_empty() {
        ChunkOutcome::Ok {
            rows: rec.rows,
            bytes: size,
        }
    } else {
        bad(differences.join("; "))
    }
}

/// Reads a chunk file and computes its digest, checking its schema against the manifest's.
pub fn read_digest(path: &PathBuf, table: &TablePlan) -> std::result::Result<ChunkDigest, String> {
    let file = File::open(path).map_err(|e| e.to_string())?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| e.to_string())?;
    let file_fields = builder.schema().fields().clone();
    let want = table.arrow_schema.fields();
    if file_fields.len() != want.len()
        || file_fields
            .iter()
            .zip(want.iter())
            .any(|(a, b)| a.name() != b.name() || a.data_type() != b.data_type())
    {
        return Err("the file's schema differs from the manifest's".into());
    }
    let reader = builder
        .with_batch_size(64 * 1024)
        .build()
        .map_err(|e| e.to_string())?;
    let mut hasher = RowHasher::try_new(&table.arrow_schema).map_err(|e| e.to_string())?;
    let mut digest = ChunkDigest::default();
    for batch in reader {
        // The hasher takes each column's canonical form (JSON, decimal text) from the
        // manifest's schema, exactly as when the chunk was written.
        let batch = batch.map_err(|e| e.to_string())?;
        hasher
            .digest_batch(&batch, &mut digest)
            .map_err(|e| e.to_string())?;
    }
    Ok(digest)
}
