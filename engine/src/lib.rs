//! haul's engine: catalog, planner, snapshots, sources, sinks, scheduler, manifest, verify, diff,
//! sync.
//!
//! ```text
//!           plan (catalog reads only)
//! SRC ──► planner ──► [ChunkSpec…] ──► scheduler (--jobs workers, largest tables first)
//!                                         │  per chunk, on a connection inside the run's snapshot
//!                                         ▼
//!                        source::pg::read_chunk ─► RecordBatch stream (bounded rows AND bytes)
//!                                         │  bounded channel = backpressure
//!                                         ▼
//!                        sink::parquet::ParquetSink ─► tmp → fsync → rename → Receipt
//!                                         │
//!                                         ▼
//!                        manifest journal (rows, bytes, checksum) ─► events
//! ```
//!
//! Glossary: a **chunk** is one table's half-open key range, the unit of work, retry, commit,
//! resume and verification; a **batch** is an Arrow `RecordBatch` bounded in rows and bytes; a
//! **receipt** is what a sink committed for a chunk (rows, bytes, digest); the **manifest**
//! describes a dump and its **journal** records each committed chunk.
//!
//! The engine never prints or exits: it returns [`error::EngineError`] and emits
//! [`events::Event`]s to an [`events::Observer`].

pub mod copy;
pub mod diff;
pub mod dump;
pub mod dumpdir;
pub mod endpoint;
pub mod error;
pub mod events;
pub mod load;
pub mod manifest;
pub mod mysql;
pub mod pg;
pub mod plan;
pub mod post;
pub(crate) mod runner;
pub mod select;
pub mod sink;
pub mod source;
pub mod sync;
pub mod upsert;
pub mod verify;
pub mod verify_target;

pub use error::{EngineError, Result};
