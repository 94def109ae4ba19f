//! `MySink`: one chunk into a MySQL/MariaDB table by `LOAD DATA LOCAL INFILE`, streamed from
//! Arrow batches (no temporary file), in one transaction with its journal row.
//!
//! ```text
//! batches ─► digest (checked against the dump's journal) ─► MyTextEncoder ─► 1 MiB Bytes
//!        ─► infile stream ─► LOAD DATA LOCAL INFILE … (affected rows and warnings checked)
//!        ─► INSERT INTO _haul_chunks ─► COMMIT
//! ```
//! With `LOCAL`, the server turns bad values into warnings instead of errors (LOCAL implies
//! IGNORE), so any warning fails the chunk and the transaction is rolled back.

use std::sync::Mutex;

use arrow_array::RecordBatch;
use arrow_array::cast::AsArray;
use arrow_schema::DataType;
use futures_util::StreamExt;
use haul_formats::FormatError;
use haul_formats::checksum::{ChunkDigest, RowHasher};
use haul_formats::mytext::{MyTextEncoder, MyTextForm};
use haul_formats::mytypes::MyKind;
use mysql_async::Conn;
use mysql_async::prelude::Queryable;
use tokio::sync::mpsc;

use crate::error::{EngineError, Result};
use crate::events::TableProgress;
use crate::mysql::from_pg::is_numeric_text;
use crate::mysql::{quote_ident, quote_literal};
use crate::plan::TablePlan;
use crate::sink::Receipt;
use crate::sink::pg::JournalRow;
use crate::source::ChunkMsg;

/// Bytes encoded before they are handed to the driver.
const SEND_BYTES: usize = 1 << 20;
/// Bytes per protocol packet of the upload: far under any `max_allowed_packet` (MySQL's
/// minimum is 1 KiB, but no server runs with less than 1 MiB in practice; 64 KiB is safe
/// and costs nothing measurable).
const PACKET_BYTES: usize = 64 << 10;
/// Rows encoded per call.
const ENCODE_ROWS: usize = 4096;

/// How one table's chunks are loaded.
#[derive(Debug, Clone)]
pub struct MyTargetTable {
    pub display: String,
    /// The `LOAD DATA` statement.
    pub load_sql: String,
    /// Batch columns written, in statement order, with their form.
    pub columns: Vec<(usize, MyTextForm)>,
    /// Unconstrained PostgreSQL numerics going into DECIMAL columns: checked before they are
    /// sent, so a value that does not fit fails the chunk naming column, key and the fix.
    decimal_text: Vec<DecimalText>,
    /// Key columns (batch indices), rendered in value errors.
    key: Vec<usize>,
}

/// A column of exact decimal text (unconstrained PostgreSQL `numeric`) loaded into
/// `DECIMAL(precision, scale)`.
#[derive(Debug, Clone)]
struct DecimalText {
    index: usize,
    name: String,
    precision: u8,
    scale: i8,
}

impl MyTargetTable {
    /// The statement and forms for `table` (a MySQL dump's table) going into `target` (the
    /// table's name in the target database). Generated columns are not sent: the target
    /// computes them.
    pub fn new(table: &TablePlan, target: &str) -> Self {
        let generated: Vec<&str> = table
            .mysql
            .as_ref()
            .map(|d| {
                d.columns
                    .iter()
                    .filter(|c| c.generated.is_some())
                    .map(|c| c.name.as_str())
                    .collect()
            })
            .unwrap_or_default();
        let mut list = Vec::new();
        let mut sets = Vec::new();
        let mut columns = Vec::new();
        let mut decimal_text = Vec::new();
        for (i, c) in table.columns.iter().enumerate() {
            if generated.contains(&c.name.as_str()) {
                continue;
            }
            if let Some(MyKind::Decimal { precision, scale }) = c.mysql
                && is_numeric_text(c)
                && *table.arrow_schema.field(i).data_type() == DataType::Utf8
            {
                decimal_text.push(DecimalText {
                    index: i,
                    name: c.name.clone(),
                    precision,
                    scale,
                });
            }
            let q = quote_ident(&c.name);
            let var = format!("@v{i}");
            match c.mysql.as_ref() {
                Some(MyKind::Binary) => {
                    list.push(var.clone());
                    sets.push(format!("{q} = UNHEX({var})"));
                    columns.push((i, MyTextForm::Hex));
                }
                Some(MyKind::Geometry { srid }) => {
                    list.push(var.clone());
                    sets.push(format!("{q} = ST_GeomFromWKB(UNHEX({var}), {srid})"));
                    columns.push((i, MyTextForm::Hex));
                }
                Some(MyKind::Bit { .. }) => {
                    // Text into a BIT column is taken as the characters' bits: cast the number.
                    list.push(var.clone());
                    sets.push(format!("{q} = CAST({var} AS UNSIGNED)"));
                    columns.push((i, MyTextForm::Text));
                }
                _ => {
                    // Arrays (from PostgreSQL) go into JSON columns as JSON documents.
                    let list_type = matches!(
                        table.arrow_schema.field(i).data_type(),
                        DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(..)
                    );
                    let form = if list_type && !matches!(c.mysql, Some(MyKind::Set { .. })) {
                        MyTextForm::Json
                    } else {
                        MyTextForm::Text
                    };
                    list.push(q);
                    columns.push((i, form));
                }
            }
        }
        let mut load_sql = format!(
            "LOAD DATA LOCAL INFILE 'haul' INTO TABLE {} CHARACTER SET utf8mb4 \
             FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' ({})",
            quote_ident(target),
            list.join(", ")
        );
        if !sets.is_empty() {
            load_sql.push_str(" SET ");
            load_sql.push_str(&sets.join(", "));
        }
        Self {
            display: table.display_name(),
            load_sql,
            columns,
            decimal_text,
            key: table
                .key
                .as_ref()
                .map(|k| k.positions.clone())
                .unwrap_or_default(),
        }
    }

    /// Fails on the first value of an unconstrained numeric that its `DECIMAL(p,s)` column
    /// cannot hold (MySQL would only warn, and round or clip it); `before` rows of the chunk
    /// came in earlier batches.
    fn check_decimal_text(&self, batch: &RecordBatch, before: u64, chunk: &str) -> Result<()> {
        for d in &self.decimal_text {
            let Some(a) = batch.column(d.index).as_string_opt::<i32>() else {
                continue;
            };
            for (i, v) in a.iter().enumerate() {
                let Some(Err(reason)) = v.map(|v| decimal_fits(v, d.precision, d.scale)) else {
                    continue;
                };
                return Err(EngineError::Unrepresentable {
                    chunk: chunk.to_string(),
                    cause: Box::new(FormatError::Value {
                        column: d.name.clone(),
                        row: before + i as u64 + 1,
                        key: crate::mysql::render_key(batch, &self.key, i),
                        reason,
                        text_would_hold: true,
                    }),
                    hint: "the column is an unconstrained PostgreSQL numeric: rerun with --numeric-as-text --if-exists replace to recreate such columns as LONGTEXT holding PostgreSQL's exact text".into(),
                });
            }
        }
        Ok(())
    }
}

/// Whether PostgreSQL's decimal text `v` fits `DECIMAL(precision, scale)` exactly (trailing
/// fraction zeros aside, which MySQL drops without a warning).
fn decimal_fits(v: &str, precision: u8, scale: i8) -> std::result::Result<(), String> {
    let shown = match v.char_indices().nth(40) {
        Some((at, _)) => format!("{}…", &v[..at]),
        None => v.to_string(),
    };
    let ty = format!("MySQL DECIMAL({precision},{scale})");
    let body = v.strip_prefix('-').unwrap_or(v);
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    if int.is_empty() || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return Err(format!("`{shown}` has no {ty} value"));
    }
    let scale = usize::try_from(scale).unwrap_or(0);
    let int_max = usize::from(precision).saturating_sub(scale);
    let int_digits = int.trim_start_matches('0').len();
    if int_digits > int_max {
        return Err(format!(
            "`{shown}` has {int_digits} digits before the point; {ty} holds {int_max}"
        ));
    }
    let frac_digits = frac.trim_end_matches('0').len();
    if frac_digits > scale {
        return Err(format!(
            "`{shown}` has {frac_digits} digits after the point; {ty} holds {scale} (MySQL would round it)"
        ));
    }
    Ok(())
}

/// Loads one chunk on `conn`: everything in one transaction with its journal row. On error
/// the caller drops the connection, which rolls the transaction back.
pub async fn load_chunk(
    conn: &mut Conn,
    table: &MyTargetTable,
    arrow_schema: &arrow_schema::Schema,
    journal: &JournalRow,
    rx: mpsc::Receiver<ChunkMsg>,
    progress: Option<&TableProgress>,
) -> Result<Receipt> {
    let ctx = |what: &str| format!("{what} {} (chunk `{}`)", table.display, journal.chunk);
    conn.query_drop("START TRANSACTION")
        .await
        .map_err(|e| EngineError::my(ctx("starting the transaction for"), e))?;
    let receipt = load_rows(conn, table, arrow_schema, &journal.chunk, rx, progress).await?;
    let digest = receipt.digest;
    journal.check(&digest)?;
    conn.query_drop(format!(
        "INSERT INTO `_haul_chunks` (job, chunk, table_name, `rows`, checksum) VALUES ({}, {}, {}, {}, {})",
        quote_literal(&journal.job),
        quote_literal(&journal.chunk),
        quote_literal(&table.display),
        digest.rows,
        quote_literal(&digest.sum_hex())
    ))
    .await
    .map_err(|e| EngineError::my(ctx("recording the journal row of"), e))?;
    conn.query_drop("COMMIT")
        .await
        .map_err(|e| EngineError::my(ctx("committing"), e))?;
    Ok(receipt)
}

/// Streams one chunk's batches into `table` by `LOAD DATA LOCAL INFILE` inside the caller's
/// transaction; fails on any warning and unless every row read was loaded. Returns the rows,
/// bytes sent and the rows' digest (by `arrow_schema`). The caller commits; on error it drops
/// the connection, which rolls the transaction back.
pub async fn load_rows(
    conn: &mut Conn,
    table: &MyTargetTable,
    arrow_schema: &arrow_schema::Schema,
    chunk: &str,
    mut rx: mpsc::Receiver<ChunkMsg>,
    progress: Option<&TableProgress>,
) -> Result<Receipt> {
    let ctx = |what: &str| format!("{what} {} (chunk `{chunk}`)", table.display);
    let format_err = |e| EngineError::Format {
        chunk: chunk.to_string(),
        cause: Box::new(e),
    };
    let mut encoder =
        MyTextEncoder::try_new(arrow_schema, table.columns.clone()).map_err(format_err)?;
    let mut hasher = RowHasher::try_new(arrow_schema).map_err(format_err)?;

    let (btx, brx) = mpsc::channel::<std::io::Result<bytes::Bytes>>(2);
    // The driver wants a `Sync` future: hand it the receiver through a mutex.
    let cell = Mutex::new(Some(brx));
    conn.set_infile_handler(async move {
        let brx = cell.lock().ok().and_then(|mut g| g.take());
        let stream = futures_util::stream::unfold(brx, |rx| async move {
            let mut rx = rx?;
            let item = rx.recv().await?;
            Some((item, Some(rx)))
        });
        Ok(stream.boxed())
    });

    let produce = async move {
        let mut digest = ChunkDigest::default();
        let mut buf: Vec<u8> = Vec::with_capacity(SEND_BYTES + SEND_BYTES / 4);
        let mut bytes = 0u64;
        let mut sent = 0u64;
        let result: Result<u64> = loop {
            let Some(msg) = rx.recv().await else {
                break Err(EngineError::WriterStopped);
            };
            match msg {
                ChunkMsg::Batch(batch) => {
                    if let Err(e) = hasher.digest_batch(&batch, &mut digest) {
                        break Err(format_err(e));
                    }
                    if let Err(e) = table.check_decimal_text(&batch, sent, chunk) {
                        break Err(e);
                    }
                    let mut offset = 0;
                    let mut failed = None;
                    while offset < batch.num_rows() {
                        let len = ENCODE_ROWS.min(batch.num_rows() - offset);
                        if let Err(e) = encoder.write_rows(&batch, offset, len, &mut buf) {
                            failed = Some(format_err(e));
                            break;
                        }
                        offset += len;
                        if buf.len() >= SEND_BYTES {
                            bytes += buf.len() as u64;
                            let chunk = bytes::Bytes::from(std::mem::replace(
                                &mut buf,
                                Vec::with_capacity(SEND_BYTES + SEND_BYTES / 4),
                            ));
                            if send_pieces(&btx, chunk).await.is_err() {
                                failed = Some(EngineError::WriterStopped);
                                break;
                            }
                        }
                    }
                    if let Some(e) = failed {
                        break Err(e);
                    }
                    sent += batch.num_rows() as u64;
                    if let Some(p) = progress {
                        p.add(batch.num_rows() as u64, 0);
                    }
                }
                ChunkMsg::End { rows } => break Ok(rows),
            }
        };
        match result {
            Ok(end_rows) => {
                bytes += buf.len() as u64;
                if send_pieces(&btx, bytes::Bytes::from(buf)).await.is_err() {
                    return Err(EngineError::WriterStopped);
                }
                Ok((end_rows, sent, bytes, digest))
            }
            Err(e) => {
                // Make the upload fail so the statement ends; the transaction is rolled back.
                let _ = btx
                    .send(Err(std::io::Error::other("the chunk could not be encoded")))
                    .await;
                Err(e)
            }
        }
    };
    let load = conn.query_drop(table.load_sql.as_str());
    let (produced, loaded) = tokio::join!(produce, load);
    // When the upload stopped, the statement's error says why.
    let (end_rows, sent, bytes, digest) = match (produced, loaded) {
        (Err(EngineError::WriterStopped), Err(e)) => return Err(load_error(e, &ctx("loading"))),
        (produced, loaded) => {
            let p = produced?;
            loaded.map_err(|e| load_error(e, &ctx("loading")))?;
            p
        }
    };
    let affected = conn.affected_rows();
    let warnings = conn.get_warnings();
    if warnings > 0 {
        let shown: Vec<(String, u32, String)> = conn
            .query("SHOW WARNINGS LIMIT 3")
            .await
            .map_err(|e| EngineError::my(ctx("reading the warnings of"), e))?;
        let text: Vec<String> = shown
            .into_iter()
            .map(|(level, code, msg)| format!("{level} {code}: {msg}"))
            .collect();
        return Err(EngineError::Target(format!(
            "{} rejected values ({warnings} warning(s): {}); the chunk was rolled back and nothing was committed — the target column is narrower than the source's or has another type (row numbers count from 1 within the chunk)",
            table.display,
            text.join("; ")
        )));
    }
    if affected != sent || sent != end_rows {
        return Err(EngineError::Other(format!(
            "chunk `{chunk}`: {end_rows} rows read, {sent} sent, {affected} loaded into {}; the chunk was rolled back",
            table.display
        )));
    }
    Ok(Receipt {
        rows: digest.rows,
        bytes,
        digest,
    })
}

/// Hands `data` to the driver in pieces of at most [`PACKET_BYTES`]: each piece is one protocol
/// packet, which must stay under the server's `max_allowed_packet` even when one row (a large
/// BLOB) is bigger.
async fn send_pieces(
    btx: &mpsc::Sender<std::io::Result<bytes::Bytes>>,
    data: bytes::Bytes,
) -> std::result::Result<(), ()> {
    let mut at = 0;
    while at < data.len() {
        let end = (at + PACKET_BYTES).min(data.len());
        btx.send(Ok(data.slice(at..end))).await.map_err(|_| ())?;
        at = end;
    }
    Ok(())
}

/// LOAD DATA errors with what to do: LOCAL INFILE refused, a packet too large.
fn load_error(e: mysql_async::Error, what: &str) -> EngineError {
    match &e {
        mysql_async::Error::Server(s) if matches!(s.code, 1148 | 3948 | 4166) => {
            EngineError::Target(format!(
                "{what}: the server refuses LOAD DATA LOCAL INFILE ({}): turn local_infile on (`SET GLOBAL local_infile = 1`, or local_infile=1 under [mysqld] in my.cnf) and rerun",
                s.message
            ))
        }
        mysql_async::Error::Server(s) if s.code == 1153 || s.code == 1301 => {
            EngineError::Target(format!(
                "{what}: {} — a row is larger than the server's max_allowed_packet; raise it (`SET GLOBAL max_allowed_packet = 1073741824`) and rerun",
                s.message
            ))
        }
        _ => EngineError::my(what.to_string(), e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_text_fits_exactly_or_says_why() {
        let fits = [
            "0".to_string(),
            "123.4500".into(),
            "-0.5".into(),
            "9".repeat(35),
            format!("-0.{}", "9".repeat(30)),
            format!("1.5{}", "0".repeat(40)),
            format!("000{}", "1".repeat(35)),
        ];
        for v in &fits {
            assert_eq!(decimal_fits(v, 65, 30), Ok(()), "{v}");
        }
        let too_long = format!("0.{}1", "0".repeat(30));
        let cases = [
            ("NaN", "has no MySQL DECIMAL(65,30) value"),
            ("Infinity", "has no"),
            ("-Infinity", "has no"),
            (
                &*"9".repeat(36),
                "36 digits before the point; MySQL DECIMAL(65,30) holds 35",
            ),
            (&*too_long, "31 digits after the point"),
        ];
        for (v, why) in cases {
            let got = decimal_fits(v, 65, 30).expect_err(v);
            assert!(got.contains(why), "{v}: {got}");
        }
        assert!(decimal_fits("123.4", 5, 2).is_ok());
        assert!(decimal_fits("1234.5", 5, 2).is_err());
    }
}
