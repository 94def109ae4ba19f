//! Sinks: consume one chunk's batches and commit them, or roll back, before returning
//! (DESIGN.md §2 "Sinks commit per chunk").

pub mod mysql;
pub mod parquet;
pub mod pg;

use haul_formats::checksum::ChunkDigest;

/// What a sink committed for a chunk.
#[derive(Debug, Clone)]
pub struct Receipt {
    pub rows: u64,
    /// Bytes written (the file's size for a Parquet sink).
    pub bytes: u64,
    pub digest: ChunkDigest,
}
