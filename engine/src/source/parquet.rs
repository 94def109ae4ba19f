//! `ParquetSource`: a dump's chunk file as Arrow batches, read on a blocking thread (Parquet
//! decoding and zstd are CPU work) into the same bounded channel a database source feeds.

use std::fs::File;
use std::path::PathBuf;

use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use tokio::sync::mpsc;

use crate::error::{EngineError, Result};
use crate::plan::TablePlan;
use crate::source::ChunkMsg;

/// Rows per batch read from a file.
const BATCH_ROWS: usize = 64 * 1024;

/// Reads `path` (a chunk of `table`) and sends its batches, then `End`. Returns the rows sent.
/// Stops early, with [`EngineError::WriterStopped`], if the receiver goes away.
pub async fn read_chunk_file(
    path: PathBuf,
    table: &TablePlan,
    tx: mpsc::Sender<ChunkMsg>,
) -> Result<u64> {
    let want = table.arrow_schema.clone();
    let display = table.display_name();
    tokio::task::spawn_blocking(move || {
        let file = File::open(&path).map_err(|e| EngineError::io("opening", &path, e))?;
        let bad = |reason: String| {
            EngineError::Other(format!(
                "chunk file `{}` of {display}: {reason} (run `haul verify` on the dump directory)",
                path.display()
            ))
        };
        let builder =
            ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| bad(e.to_string()))?;
        let fields = builder.schema().fields().clone();
        if fields.len() != want.fields().len()
            || fields
                .iter()
                .zip(want.fields().iter())
                .any(|(a, b)| a.name() != b.name() || a.data_type() != b.data_type())
        {
            return Err(bad("its schema differs from the manifest's".into()));
        }
        let reader = builder
            .with_batch_size(BATCH_ROWS)
            .build()
            .map_err(|e| bad(e.to_string()))?;
        let mut rows = 0u64;
        for batch in reader {
            let batch = batch.map_err(|e| bad(e.to_string()))?;
            rows += batch.num_rows() as u64;
            if tx.blocking_send(ChunkMsg::Batch(batch)).is_err() {
                return Err(EngineError::WriterStopped);
            }
        }
        if tx.blocking_send(ChunkMsg::End { rows }).is_err() {
            return Err(EngineError::WriterStopped);
        }
        Ok(rows)
    })
    .await
    .map_err(|e| EngineError::Other(format!("chunk reader thread failed: {e}")))?
}
