//! Pure codecs and type tables for haul: bytes ⇄ Arrow, no sockets, no files.
//!
//! ```text
//!  PostgreSQL COPY binary ──pgcopy::PgCopyDecoder──► RecordBatch ──► parquet (ArrowWriter, presets)
//!                                                        │
//!                                                        └──checksum::ChunkDigest──► (rows, Σ row_hash)
//! ```
//!
//! Glossary:
//! - **chunk**: one table's half-open key range; the unit of work, commit and verification.
//! - **batch**: an Arrow `RecordBatch`, bounded in rows and bytes.
//! - **digest**: a chunk's `(row count, Σ xxh3_128(canonical row) mod 2^128)` (docs/checksum.md).
//! - **kind**: how one source column travels ([`pgtypes::PgKind`]): the wire format and the Arrow type.

pub mod checksum;
pub mod error;
pub mod mytext;
pub mod mytypes;
pub mod parquet_io;
pub mod pgcopy;
pub mod pgtypes;

pub use error::{FormatError, Result};
