//! Chunk digests (docs/checksum.md). (Being written.)

use arrow_array::RecordBatch;

use crate::Result;

/// A chunk's digest: row count and the wrapping sum of its row hashes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChunkDigest {
    /// Rows counted.
    pub rows: u64,
    /// Σ xxh3_128(canonical row) mod 2^128.
    pub sum: u128,
}

impl ChunkDigest {
    /// Adds every row of `batch`.
    pub fn add_batch(&mut self, batch: &RecordBatch) -> Result<()> {
        self.rows += batch.num_rows() as u64;
        Ok(())
    }
    /// Adds another digest (digests of disjoint row sets add up).
    pub fn merge(&mut self, other: &ChunkDigest) {
        self.rows += other.rows;
        self.sum = self.sum.wrapping_add(other.sum);
    }
    /// The sum as 32 lowercase hex digits.
    pub fn sum_hex(&self) -> String {
        format!("{:032x}", self.sum)
    }
}
