//! Sources: read a chunk of a planned table as a stream of Arrow batches.
//!
//! A reader sends [`ChunkMsg::Batch`]es into a bounded channel (the backpressure that keeps
//! memory flat) and, only when the whole chunk was read, [`ChunkMsg::End`]. A sink commits only
//! after `End`: a channel closed without it means the read failed, and the sink rolls back.

pub mod mysql;
mod mywire;
pub mod parquet;
pub mod pg;

use arrow_array::RecordBatch;

/// What flows from a source to a sink for one chunk.
#[derive(Debug)]
pub enum ChunkMsg {
    /// The next rows.
    Batch(RecordBatch),
    /// The chunk was read completely; `rows` were sent in total.
    End { rows: u64 },
}

/// Bounds on one batch: whichever is reached first closes it.
#[derive(Debug, Clone, Copy)]
pub struct BatchLimits {
    pub rows: usize,
    pub bytes: usize,
}

impl Default for BatchLimits {
    /// 64 Ki rows or 2 MiB of wire data. Batches are small because several are alive per job
    /// (being decoded, queued, being encoded) and memory must not scale with them; Parquet pages
    /// and row groups are sized by the writer, not by batches.
    fn default() -> Self {
        Self {
            rows: 64 * 1024,
            bytes: 2 * 1024 * 1024,
        }
    }
}

/// Batches in flight between a reader and its sink (per chunk). With the batch being built
/// and the one being written, a job holds at most `CHANNEL_DEPTH + 2` batches.
pub const CHANNEL_DEPTH: usize = 2;
