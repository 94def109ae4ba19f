//! `PgSink`: one chunk into a PostgreSQL table by binary `COPY … FROM STDIN`, encoded straight
//! from Arrow, in one transaction with its journal row (DESIGN.md §2 "Sinks commit per chunk"):
//!
//! ```text
//! BEGIN
//!   [TRUNCATE t]                      only with FREEZE: a one-chunk table this load created
//!   COPY t (cols) FROM STDIN (FORMAT binary[, FREEZE])   or into a staging table, then
//!   [INSERT INTO t SELECT c::type …]   for columns that travel as text (inet, ranges, …)
//!   INSERT INTO haul.chunks (job, chunk, rows, checksum)
//! COMMIT
//! ```
//! After a crash the chunk is either loaded and recorded, or absent: never half, never twice.

use std::pin::pin;

use arrow_array::RecordBatch;
use bytes::BytesMut;
use futures_util::SinkExt;
use haul_formats::checksum::{ChunkDigest, RowHasher};
use haul_formats::pgcopy::encode::{PgCopyEncoder, PgEncodeColumn};
use tokio::sync::mpsc;
use tokio_postgres::Client;

use crate::error::{EngineError, Result};
use crate::events::TableProgress;
use crate::pg::{qualified, quote_ident};
use crate::sink::Receipt;
use crate::source::ChunkMsg;

/// Bytes handed to the connection at a time: large enough that per-message overhead vanishes,
/// small enough that memory stays flat.
const SEND_BYTES: usize = 1 << 20;
/// Rows encoded between checks of the buffer size.
const ENCODE_ROWS: usize = 8192;

/// How one table's chunks are written: fixed per table for the whole load.
#[derive(Debug, Clone)]
pub struct TargetTable {
    /// `schema.table`.
    pub display: String,
    /// `"schema"."table"`.
    pub qualified: String,
    /// Positions (in the chunk's Arrow schema) of the columns sent; generated columns are not.
    pub send: Vec<usize>,
    /// The encoder's per-column description, one per sent column.
    pub encode: Vec<PgEncodeColumn>,
    /// `COPY … FROM STDIN (FORMAT binary)` into the table or its staging table.
    pub copy_sql: String,
    /// For tables with text-carried columns: create the session's staging table, and move its
    /// rows into the table with casts.
    pub stage: Option<Stage>,
    /// Load with `COPY FREEZE` after a `TRUNCATE` in the same transaction (a one-chunk table
    /// this load created: no other writer, nothing to lose).
    pub freeze: bool,
    /// A MySQL dump's table: the sent columns' Arrow schema in the PostgreSQL kinds' types,
    /// which each batch is converted to before encoding.
    pub convert: Option<arrow_schema::SchemaRef>,
}

/// A staging table for text-carried columns.
#[derive(Debug, Clone)]
pub struct Stage {
    pub create_sql: String,
    pub move_sql: String,
}

impl TargetTable {
    /// Describes the target: `columns` are the sent columns as `(name, target type, carried
    /// as text)`, in the order of `send`.
    pub fn new(
        schema: &str,
        name: &str,
        send: Vec<usize>,
        encode: Vec<PgEncodeColumn>,
        columns: &[(String, String, bool)],
        freeze: bool,
    ) -> Self {
        let q = qualified(schema, name);
        let names: Vec<String> = columns.iter().map(|(n, _, _)| quote_ident(n)).collect();
        let list = names.join(", ");
        let staged = columns.iter().any(|(_, _, text)| *text);
        let (copy_sql, stage) = if staged {
            let stage_name = quote_ident(&format!(
                "haul_stage_{:016x}",
                xxhash_rust::xxh3::xxh3_64(q.as_bytes())
            ));
            let defs: Vec<String> = columns
                .iter()
                .map(|(n, ty, text)| {
                    format!("{} {}", quote_ident(n), if *text { "text" } else { ty })
                })
                .collect();
            let casts: Vec<String> = columns
                .iter()
                .map(|(n, ty, text)| {
                    if *text {
                        format!("{}::{ty}", quote_ident(n))
                    } else {
                        quote_ident(n)
                    }
                })
                .collect();
            (
                format!("COPY pg_temp.{stage_name} ({list}) FROM STDIN (FORMAT binary)"),
                Some(Stage {
                    create_sql: format!(
                        "CREATE TEMP TABLE IF NOT EXISTS {stage_name} ({}) ON COMMIT DELETE ROWS",
                        defs.join(", ")
                    ),
                    move_sql: format!(
                        "INSERT INTO {q} ({list}) SELECT {} FROM pg_temp.{stage_name}",
                        casts.join(", ")
                    ),
                }),
            )
        } else {
            (
                format!(
                    "COPY {q} {} FROM STDIN (FORMAT binary{})",
                    // A table of no columns (it exists) takes no column list.
                    if list.is_empty() {
                        String::new()
                    } else {
                        format!("({list})")
                    },
                    if freeze { ", FREEZE" } else { "" }
                ),
                None,
            )
        };
        Self {
            display: format!("{schema}.{name}"),
            qualified: q,
            send,
            encode,
            copy_sql,
            stage,
            freeze: freeze && !staged,
            convert: None,
        }
    }
}

/// The journal row a chunk commits with.
#[derive(Debug, Clone)]
pub struct JournalRow {
    pub job: String,
    pub chunk: String,
    /// What the dump recorded for the chunk, checked before commit: `(rows, checksum)`.
    pub expected: Option<(u64, String)>,
}

impl JournalRow {
    /// Fails unless the rows read match what the dump recorded for the chunk (if anything).
    pub fn check(&self, digest: &ChunkDigest) -> Result<()> {
        match &self.expected {
            Some((rows, checksum)) if *rows != digest.rows || *checksum != digest.sum_hex() => {
                Err(EngineError::ChecksumMismatch(format!(
                    "chunk `{}`: the file holds {} rows with checksum {}, but the dump recorded {rows} rows with {checksum}; \
                     the file changed after the dump (run `haul verify` on the directory); nothing of the chunk was loaded",
                    self.chunk,
                    digest.rows,
                    digest.sum_hex()
                )))
            }
            _ => Ok(()),
        }
    }
}

/// Loads one chunk on `client`: everything in one transaction with its journal row. On error
/// the caller must drop the connection (the transaction may be mid-COPY); the server rolls
/// the chunk back.
pub async fn load_chunk(
    client: &Client,
    table: &TargetTable,
    arrow_schema: &arrow_schema::Schema,
    journal: &JournalRow,
    rx: mpsc::Receiver<ChunkMsg>,
    progress: Option<&TableProgress>,
) -> Result<Receipt> {
    let ctx = |what: &str| format!("{what} {} (chunk `{}`)", table.display, journal.chunk);
    client
        .batch_execute("BEGIN")
        .await
        .map_err(|e| EngineError::pg(ctx("starting the transaction for"), e))?;
    if table.freeze {
        client
            .batch_execute(&format!("TRUNCATE {}", table.qualified))
            .await
            .map_err(|e| EngineError::pg(ctx("truncating"), e))?;
    }
    let receipt = copy_rows(client, table, arrow_schema, &journal.chunk, rx, progress).await?;
    let digest = receipt.digest;
    journal.check(&digest)?;
    let sum = digest.sum_hex();
    client
        .execute(
            "INSERT INTO haul.chunks (job, chunk, table_name, rows, checksum) VALUES ($1, $2, $3, $4, $5)",
            &[
                &journal.job,
                &journal.chunk,
                &table.display,
                &(digest.rows as i64),
                &sum,
            ],
        )
        .await
        .map_err(|e| EngineError::pg(ctx("recording the journal row of"), e))?;
    client
        .batch_execute("COMMIT")
        .await
        .map_err(|e| EngineError::pg(ctx("committing"), e))?;
    Ok(receipt)
}

/// Streams one chunk's batches into `table` by binary COPY (through its staging table for
/// text-carried columns) inside the caller's transaction, checking that every row read was
/// copied. Returns the rows, bytes sent and the rows' digest (by `arrow_schema`). The caller
/// commits; on error it must drop the connection (the COPY may be half sent).
pub async fn copy_rows(
    client: &Client,
    table: &TargetTable,
    arrow_schema: &arrow_schema::Schema,
    chunk: &str,
    mut rx: mpsc::Receiver<ChunkMsg>,
    progress: Option<&TableProgress>,
) -> Result<Receipt> {
    let ctx = |what: &str| format!("{what} {} (chunk `{chunk}`)", table.display);
    if let Some(stage) = &table.stage {
        client
            .batch_execute(&stage.create_sql)
            .await
            .map_err(|e| EngineError::pg(ctx("creating the staging table for"), e))?;
    }
    let sink = client
        .copy_in::<_, bytes::Bytes>(table.copy_sql.as_str())
        .await
        .map_err(|e| EngineError::pg(ctx("starting COPY into"), e))?;
    let mut sink = pin!(sink);

    let projected = match &table.convert {
        Some(s) => s.as_ref().clone(),
        None => arrow_schema
            .project(&table.send)
            .map_err(|e| EngineError::Other(format!("{}: {e}", table.display)))?,
    };
    let format_err = |e| EngineError::Format {
        chunk: chunk.to_string(),
        cause: Box::new(e),
    };
    let mut encoder =
        PgCopyEncoder::try_new(&projected, table.encode.clone()).map_err(format_err)?;
    let mut hasher = RowHasher::try_new(arrow_schema).map_err(format_err)?;
    let mut digest = ChunkDigest::default();
    let mut buf = BytesMut::with_capacity(SEND_BYTES + SEND_BYTES / 4);
    PgCopyEncoder::write_header(&mut buf);
    let mut sent_rows: u64 = 0;
    let mut bytes: u64 = 0;
    let end_rows = loop {
        let Some(msg) = rx.recv().await else {
            // The reader stopped without `End`: its error is the real one. Dropping the sink
            // aborts the COPY and the transaction with it.
            return Err(EngineError::WriterStopped);
        };
        match msg {
            ChunkMsg::Batch(batch) => {
                hasher
                    .digest_batch(&batch, &mut digest)
                    .map_err(format_err)?;
                let mut send: RecordBatch = batch
                    .project(&table.send)
                    .map_err(|e| EngineError::Other(format!("{}: {e}", table.display)))?;
                if let Some(s) = &table.convert {
                    send = crate::mysql::to_pg::to_pg(&send, s).map_err(|e| e.in_chunk(chunk))?;
                }
                let mut offset = 0;
                while offset < send.num_rows() {
                    let len = ENCODE_ROWS.min(send.num_rows() - offset);
                    encoder
                        .write_rows(&send, offset, len, &mut buf)
                        .map_err(format_err)?;
                    offset += len;
                    if buf.len() >= SEND_BYTES {
                        bytes += buf.len() as u64;
                        sink.send(buf.split().freeze())
                            .await
                            .map_err(|e| EngineError::pg(ctx("sending rows to"), e))?;
                    }
                }
                sent_rows += send.num_rows() as u64;
                if let Some(p) = progress {
                    p.add(send.num_rows() as u64, 0);
                }
            }
            ChunkMsg::End { rows } => break rows,
        }
    };
    PgCopyEncoder::write_trailer(&mut buf);
    bytes += buf.len() as u64;
    sink.send(buf.split().freeze())
        .await
        .map_err(|e| EngineError::pg(ctx("sending rows to"), e))?;
    let copied = sink
        .as_mut()
        .finish()
        .await
        .map_err(|e| EngineError::pg(ctx("loading"), e))?;
    if copied != sent_rows || sent_rows != end_rows {
        return Err(EngineError::Other(format!(
            "chunk `{chunk}`: {end_rows} rows read, {sent_rows} sent, {copied} copied into {}; the chunk was rolled back",
            table.display
        )));
    }
    if let Some(stage) = &table.stage {
        client
            .batch_execute(&stage.move_sql)
            .await
            .map_err(|e| EngineError::pg(ctx("casting the text-carried columns into"), e))?;
    }
    Ok(Receipt {
        rows: digest.rows,
        bytes,
        digest,
    })
}
