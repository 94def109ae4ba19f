//! Chunk digests: an order-independent, duplicate-counting fingerprint of a set of rows that
//! is the same whichever engine or file the rows were read from (DESIGN.md §5). The spec, with
//! golden values, is docs/checksum.md; this module implements it and the tests pin it.
//!
//! ```text
//!  RecordBatch ──RowHasher (one per chunk, reused)──► row bytes ──xxh3_128──► row hash
//!                                                                              │
//!                      ChunkDigest { rows, sum } ◄──── count, wrapping add ────┘
//! ```
//!
//! A row's canonical bytes concatenate, in schema column order, each column's NULL marker
//! (`0x00`) or `0x01` and the value's canonical form. Canonical forms are defined on Arrow
//! values, so the same logical rows hash the same from PostgreSQL, MySQL or a Parquet file once
//! both are read into the manifest's Arrow schema; widths and layouts do not matter (Int32 5 =
//! Int64 5, Decimal128(10,2) 1.50 = Decimal256(40,1) 1.5, Utf8 = Utf8View).
//!
//! Changing any canonical form changes every digest: it requires a new manifest format version.

mod columns;
mod decimal;
mod json;
#[cfg(test)]
mod tests;

use std::fmt;

use arrow_array::RecordBatch;
use arrow_schema::Schema;
use xxhash_rust::xxh3::xxh3_128;

use self::columns::{Col, EncodeError, Node};
use crate::{FormatError, Result};

/// A chunk's digest: row count and the wrapping sum of its row hashes.
///
/// Digests of disjoint row sets add up ([`merge`](Self::merge)), so a table's digest is the
/// same however it was chunked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChunkDigest {
    /// Rows counted.
    pub rows: u64,
    /// Σ xxh3_128(canonical row) mod 2^128.
    pub sum: u128,
}

impl ChunkDigest {
    /// Adds every row of `batch`, hashed by the batch's own schema.
    ///
    /// Builds a [`RowHasher`] per call, and the batch's schema must carry the field metadata
    /// that selects a canonical form (`arrow.json`, `haul.decimal_text`); a chunk reader
    /// should hold one `RowHasher` built from the manifest's schema instead.
    pub fn add_batch(&mut self, batch: &RecordBatch) -> Result<()> {
        RowHasher::try_new(batch.schema_ref())?.digest_batch(batch, self)
    }

    /// Adds one row hash (from [`RowHasher::hash_rows`]).
    pub fn add_row_hash(&mut self, hash: u128) {
        self.rows += 1;
        self.sum = self.sum.wrapping_add(hash);
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

    /// Parses [`sum_hex`](Self::sum_hex)'s form: exactly 32 hex digits (either case).
    pub fn parse_sum_hex(hex: &str) -> Option<u128> {
        if hex.len() != 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u128::from_str_radix(hex, 16).ok()
    }
}

impl fmt::Display for ChunkDigest {
    /// `rows=3 sum=0123…` (the sum as 32 lowercase hex digits).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "rows={} sum={:032x}", self.rows, self.sum)
    }
}

/// Hashes rows of batches of one schema; hold one per chunk and feed it every batch.
///
/// [`try_new`](Self::try_new) checks every column once and fails, naming the column, on a type
/// with no canonical form. Per batch, each column is downcast once; per row the canonical
/// bytes go into one reused buffer, so hashing allocates nothing per row (JSON values
/// excepted: they are parsed to be re-serialised).
///
/// The schema given to `try_new` decides each column's canonical form (its field metadata
/// selects JSON and decimal text); a batch only has to hold the same kinds of values in the
/// same order: integer, float and decimal widths, string and binary layouts, time units and
/// dictionary encoding may differ from the schema, since they hash the same.
#[derive(Debug)]
pub struct RowHasher {
    columns: Vec<Node>,
    row: Vec<u8>,
    rows_seen: u64,
}

impl RowHasher {
    /// Plans the canonical form of every column of `schema`.
    ///
    /// Fails with [`FormatError::Unsupported`] naming the first column (or nested field) whose
    /// type has no canonical form (Map, Union, RunEndEncoded, …).
    pub fn try_new(schema: &Schema) -> Result<Self> {
        let columns = schema
            .fields()
            .iter()
            .map(|f| Node::try_new(f, f.name().clone()))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            columns,
            row: Vec::with_capacity(256),
            rows_seen: 0,
        })
    }

    /// Clears `out`, then pushes each row's hash, in row order (diff compares these).
    pub fn hash_rows(&mut self, batch: &RecordBatch, out: &mut Vec<u128>) -> Result<()> {
        out.clear();
        out.reserve(batch.num_rows());
        self.each_row(batch, |hash| out.push(hash))
    }

    /// Adds every row of `batch` to `digest`. On error `digest` is left unchanged.
    pub fn digest_batch(&mut self, batch: &RecordBatch, digest: &mut ChunkDigest) -> Result<()> {
        let mut sum = 0u128;
        self.each_row(batch, |hash| sum = sum.wrapping_add(hash))?;
        digest.merge(&ChunkDigest {
            rows: batch.num_rows() as u64,
            sum,
        });
        Ok(())
    }

    /// The canonical bytes of row `row` of `batch`, the input of its row hash: for tests and
    /// for explaining a mismatch.
    pub fn canonical_row(&mut self, batch: &RecordBatch, row: usize) -> Result<&[u8]> {
        if row >= batch.num_rows() {
            return Err(FormatError::Unsupported(format!(
                "checksum: row {row} of a batch of {} rows",
                batch.num_rows()
            )));
        }
        let cols = bind(&self.columns, batch)?;
        self.row.clear();
        for col in &cols {
            col.encode(row, &mut self.row)
                .map_err(|e| value_error(e, row as u64))?;
        }
        Ok(&self.row)
    }

    /// Rows hashed so far; errors report a row's position among them.
    pub fn rows_seen(&self) -> u64 {
        self.rows_seen
    }

    fn each_row(&mut self, batch: &RecordBatch, mut f: impl FnMut(u128)) -> Result<()> {
        let Self {
            columns,
            row: buf,
            rows_seen,
        } = self;
        let cols = bind(columns, batch)?;
        for i in 0..batch.num_rows() {
            buf.clear();
            for col in &cols {
                col.encode(i, buf)
                    .map_err(|e| value_error(e, *rows_seen + i as u64))?;
            }
            f(xxh3_128(buf));
        }
        *rows_seen += batch.num_rows() as u64;
        Ok(())
    }
}

/// Downcasts every column of `batch` (once per batch).
fn bind<'a>(columns: &'a [Node], batch: &'a RecordBatch) -> Result<Vec<Col<'a>>> {
    if batch.num_columns() != columns.len() {
        return Err(FormatError::Unsupported(format!(
            "checksum: the batch has {} columns, the hasher's schema {}",
            batch.num_columns(),
            columns.len()
        )));
    }
    columns
        .iter()
        .zip(batch.columns())
        .map(|(node, array)| Col::bind(node, array.as_ref()))
        .collect()
}

#[cold]
fn value_error(e: EncodeError<'_>, row: u64) -> FormatError {
    FormatError::Value {
        column: e.node.path.clone(),
        row,
        key: None,
        reason: e.reason,
        text_would_hold: false,
    }
}
