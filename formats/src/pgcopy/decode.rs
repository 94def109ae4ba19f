//! Binary `COPY … TO STDOUT (FORMAT binary)` → Arrow, straight into builders.
//!
//! ```text
//!  feed(bytes) ──► [carry: partial item only] ──► scan row (field lengths) ──► decode fields
//!                                                                               │ match on Column
//!                                                                               ▼
//!                         finish_batch() ◄── one Arrow builder per column (pgcopy::column)
//! ```
//!
//! The stream is an 11-byte signature `PGCOPY\n\xff\r\n\0`, i32 flags, i32 header-extension
//! length (and that many bytes), then rows: i16 field count, per field an i32 length (−1 = NULL)
//! and the value in its binary send form; the trailer is an i16 −1. All big-endian.
//!
//! `feed` accepts any split of the stream. A row is decoded only once its field lengths show it
//! is complete, straight from the caller's slice; only the incomplete tail of a `feed` is copied
//! (into a carry buffer that is completed by the next `feed`). tokio-postgres hands over one
//! CopyData message per row, so in practice the carry stays empty.

use std::fmt;

use arrow_array::{Array, RecordBatch, RecordBatchOptions};
use arrow_schema::SchemaRef;

use super::column::{Column, FieldError};
use super::key::render_key;
use crate::pgtypes::PgKind;
use crate::{FormatError, Result};

const FORMAT: &str = "binary COPY";
const SIGNATURE: &[u8; 11] = b"PGCOPY\n\xff\r\n\0";
/// Signature, flags, extension length.
const HEADER_LEN: usize = 19;

#[cold]
fn malformed(reason: impl Into<String>) -> FormatError {
    FormatError::Malformed {
        format: FORMAT,
        reason: reason.into(),
    }
}

/// Where the decoder is in the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the header (signature, flags, extension).
    Header,
    /// Between rows.
    Rows,
    /// After the trailer: nothing more may come.
    Done,
    /// A previous call failed; the stream position is lost.
    Failed,
}

/// What the next item of the stream needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scan {
    /// A complete header or row of this many bytes is at the start of the buffer.
    Complete(usize),
    /// The trailer (2 bytes) is at the start of the buffer.
    Trailer,
    /// At least this many more bytes are needed, and taking exactly that many never reads past
    /// the item's end.
    Need(usize),
}

/// Decodes a binary COPY stream straight into Arrow builders.
///
/// ```
/// # use std::sync::Arc;
/// # use arrow_schema::{Field, Schema};
/// # use haul_formats::pgcopy::PgCopyDecoder;
/// # use haul_formats::pgtypes::PgKind;
/// let schema = Arc::new(Schema::new(vec![Field::new("id", PgKind::Int4.arrow_type(), false)]));
/// let mut decoder = PgCopyDecoder::try_new(schema, vec![PgKind::Int4], vec![0])?;
/// decoder.feed(b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0")?; // header
/// decoder.feed(&[0, 1, 0, 0, 0, 4, 0, 0, 0, 42])?; // one row: (42)
/// decoder.feed(&[0xff, 0xff])?; // trailer
/// decoder.finish()?;
/// let batch = decoder.finish_batch()?.expect("one row");
/// assert_eq!(batch.num_rows(), 1);
/// # Ok::<(), haul_formats::FormatError>(())
/// ```
///
/// Hazards: call [`PgCopyDecoder::finish`] after the last `feed`, or a truncated stream goes
/// unnoticed. After an error the decoder stops: later `feed` calls fail, while
/// [`PgCopyDecoder::finish_batch`] still returns the rows decoded before the failed one.
pub struct PgCopyDecoder {
    schema: SchemaRef,
    kinds: Vec<PgKind>,
    key_columns: Vec<usize>,
    columns: Vec<Column>,
    nullable: Vec<bool>,
    state: State,
    /// The incomplete item at the end of the last `feed` (never a complete one).
    carry: Vec<u8>,
    /// Rows in the builders.
    rows: usize,
    /// Rows decoded from this stream so far (row numbers in errors are 1-based from here).
    rows_seen: u64,
    /// Approximate bytes held by the builders; see [`PgCopyDecoder::buffered_bytes`].
    bytes: usize,
    /// Per-row addition to the wire length where Arrow's width exceeds the wire's.
    row_extra: usize,
}

impl fmt::Debug for PgCopyDecoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgCopyDecoder")
            .field("columns", &self.columns.len())
            .field("state", &self.state)
            .field("carry", &self.carry.len())
            .field("rows", &self.rows)
            .field("rows_seen", &self.rows_seen)
            .field("bytes", &self.bytes)
            .finish_non_exhaustive()
    }
}

impl PgCopyDecoder {
    /// Creates a decoder for a stream whose columns are `kinds`, held in `schema`'s fields (one
    /// field per kind, of type `kinds[i].arrow_type()`; field metadata is kept in the batches).
    /// `key_columns` (indices) are rendered in value errors, like PostgreSQL's `Key (id)=(5)`.
    ///
    /// Fails with [`FormatError::Unsupported`] when the schema does not match the kinds.
    pub fn try_new(schema: SchemaRef, kinds: Vec<PgKind>, key_columns: Vec<usize>) -> Result<Self> {
        if schema.fields().len() != kinds.len() {
            return Err(FormatError::Unsupported(format!(
                "schema has {} fields but {} column kinds were given",
                schema.fields().len(),
                kinds.len()
            )));
        }
        if kinds.len() > i16::MAX as usize {
            return Err(FormatError::Unsupported(format!(
                "{} columns in one COPY",
                kinds.len()
            )));
        }
        if let Some(&bad) = key_columns.iter().find(|&&c| c >= kinds.len()) {
            return Err(FormatError::Unsupported(format!(
                "key column {bad} is out of range ({} columns)",
                kinds.len()
            )));
        }
        let mut columns = Vec::with_capacity(kinds.len());
        let mut row_extra = 0;
        for (field, kind) in schema.fields().iter().zip(&kinds) {
            let expected = kind.arrow_type();
            if field.data_type() != &expected {
                return Err(FormatError::Unsupported(format!(
                    "column `{}`: schema type {} differs from {expected} (what {kind:?} decodes to)",
                    field.name(),
                    field.data_type()
                )));
            }
            columns.push(Column::try_new(kind, field.data_type(), field.name())?);
            // Decimal256 holds 32 bytes for a value that takes ~16 on the wire.
            if matches!(kind, PgKind::Decimal { precision, .. } if *precision > 38) {
                row_extra += 16;
            }
        }
        let nullable = schema.fields().iter().map(|f| f.is_nullable()).collect();
        Ok(Self {
            schema,
            kinds,
            key_columns,
            columns,
            nullable,
            state: State::Header,
            carry: Vec::new(),
            rows: 0,
            rows_seen: 0,
            bytes: 0,
            row_extra,
        })
    }

    /// Feeds the next bytes of the stream, in any split: a row may span calls, and one call may
    /// hold many rows. Complete rows are decoded at once; only an incomplete tail is copied.
    pub fn feed(&mut self, data: &[u8]) -> Result<()> {
        if self.state == State::Failed {
            return Err(malformed("decoding stopped at an earlier error"));
        }
        let result = self.feed_inner(data);
        if result.is_err() {
            self.state = State::Failed;
        }
        result
    }

    fn feed_inner(&mut self, mut data: &[u8]) -> Result<()> {
        if !self.carry.is_empty() {
            // Complete the pending item, copying no more than it needs.
            let scanned = loop {
                match self.scan(&self.carry)? {
                    Scan::Need(need) => {
                        if data.is_empty() {
                            return Ok(());
                        }
                        let take = need.min(data.len());
                        self.carry.extend_from_slice(&data[..take]);
                        data = &data[take..];
                    }
                    complete => break complete,
                }
            };
            let carry = std::mem::take(&mut self.carry);
            let result = self.consume(scanned, &carry);
            self.carry = carry;
            self.carry.clear();
            result?;
        }
        let mut pos = 0;
        while pos < data.len() {
            let rest = &data[pos..];
            match self.scan(rest)? {
                Scan::Need(_) => break,
                Scan::Complete(n) => {
                    self.consume(Scan::Complete(n), &rest[..n])?;
                    pos += n;
                }
                Scan::Trailer => {
                    self.consume(Scan::Trailer, &rest[..2])?;
                    pos += 2;
                }
            }
        }
        self.carry.extend_from_slice(&data[pos..]);
        Ok(())
    }

    /// Looks at the item at the start of `buf` without decoding it.
    #[inline]
    fn scan(&self, buf: &[u8]) -> Result<Scan> {
        match self.state {
            State::Header => scan_header(buf),
            State::Rows => scan_row(buf, self.columns.len(), self.rows_seen + 1),
            State::Done => {
                if buf.is_empty() {
                    Ok(Scan::Need(1))
                } else {
                    Err(malformed(format!("{} bytes after the trailer", buf.len())))
                }
            }
            State::Failed => Err(malformed("decoding stopped at an earlier error")),
        }
    }

    /// Decodes one complete item, as `scanned` by [`Self::scan`] (`item` is exactly its bytes).
    #[inline]
    fn consume(&mut self, scanned: Scan, item: &[u8]) -> Result<()> {
        match (self.state, scanned) {
            (State::Header, Scan::Complete(_)) => self.state = State::Rows,
            (State::Rows, Scan::Complete(_)) => self.decode_row(item)?,
            (State::Rows, Scan::Trailer) => self.state = State::Done,
            _ => return Err(malformed("unexpected item in the stream")),
        }
        Ok(())
    }

    /// Decodes one complete row (its field lengths are known to fit) into the builders.
    #[inline]
    fn decode_row(&mut self, row: &[u8]) -> Result<()> {
        let mut p = 2;
        let mut failure = None;
        for (i, (column, &nullable)) in self.columns.iter_mut().zip(&self.nullable).enumerate() {
            let Some(len) = row.get(p..p + 4) else {
                failure = Some((i, FieldError::Malformed("row ends inside a field".into())));
                break;
            };
            let len = i32::from_be_bytes([len[0], len[1], len[2], len[3]]);
            p += 4;
            let result = if len < 0 {
                if nullable {
                    column.append_null();
                    Ok(())
                } else {
                    Err(FieldError::Value(
                        "NULL in a column declared NOT NULL".into(),
                    ))
                }
            } else {
                let end = p + len as usize;
                match row.get(p..end) {
                    Some(v) => {
                        p = end;
                        column.append(v)
                    }
                    None => Err(FieldError::Malformed("row ends inside a field".into())),
                }
            };
            if let Err(e) = result {
                failure = Some((i, e));
                break;
            }
        }
        if let Some((column, error)) = failure {
            return Err(self.field_error(column, row, error));
        }
        self.rows += 1;
        self.rows_seen += 1;
        self.bytes += row.len() + self.row_extra;
        Ok(())
    }

    /// Turns a field's error into the crate error, naming column, row and key.
    #[cold]
    fn field_error(&self, column: usize, row: &[u8], error: FieldError) -> FormatError {
        let name = self.schema.field(column).name();
        let row_number = self.rows_seen + 1;
        match error {
            FieldError::Malformed(reason) => {
                malformed(format!("column `{name}`, row {row_number}: {reason}"))
            }
            FieldError::Value(reason) => FormatError::Value {
                column: name.clone(),
                row: row_number,
                key: render_key(&self.schema, &self.kinds, &self.key_columns, row),
                reason: reason.into_owned(),
                text_would_hold: false,
            },
            FieldError::Unrepresentable(reason) => FormatError::Value {
                column: name.clone(),
                row: row_number,
                key: render_key(&self.schema, &self.kinds, &self.key_columns, row),
                reason: reason.into_owned(),
                text_would_hold: true,
            },
        }
    }

    /// Rows decoded and not yet taken by [`PgCopyDecoder::finish_batch`].
    pub fn buffered_rows(&self) -> usize {
        self.rows
    }

    /// Approximate bytes held by the builders (the wire size of the buffered rows, plus the
    /// extra width Decimal256 takes), tracked per row: cheap enough to check after every `feed`.
    /// Use it to bound batches by bytes as well as rows.
    pub fn buffered_bytes(&self) -> usize {
        self.bytes
    }

    /// Rows decoded from this stream so far, taken or not.
    pub fn rows_decoded(&self) -> u64 {
        self.rows_seen
    }

    /// Takes the buffered rows as a batch with the decoder's schema (`None` when there are none).
    pub fn finish_batch(&mut self) -> Result<Option<RecordBatch>> {
        let rows = self.rows;
        let partial = self.columns.iter().any(|c| c.len() != rows);
        if rows == 0 && !partial {
            return Ok(None);
        }
        let mut arrays = Vec::with_capacity(self.columns.len());
        for column in &mut self.columns {
            let array = column.finish()?;
            // After a failed row some columns hold a value of it: leave it out.
            arrays.push(if array.len() == rows {
                array
            } else {
                array.slice(0, rows)
            });
        }
        self.rows = 0;
        self.bytes = 0;
        if rows == 0 {
            return Ok(None);
        }
        let options = RecordBatchOptions::new().with_row_count(Some(rows));
        Ok(Some(RecordBatch::try_new_with_options(
            self.schema.clone(),
            arrays,
            &options,
        )?))
    }

    /// Checks that the stream ended cleanly: the trailer was seen and no partial row is left.
    pub fn finish(&self) -> Result<()> {
        match self.state {
            State::Done => Ok(()),
            State::Failed => Err(malformed("decoding stopped at an earlier error")),
            State::Header => Err(malformed(format!(
                "stream ended inside the header ({} bytes)",
                self.carry.len()
            ))),
            State::Rows if self.carry.is_empty() => Err(malformed(format!(
                "stream ended after {} rows without the trailer",
                self.rows_seen
            ))),
            State::Rows => Err(malformed(format!(
                "stream ended inside row {} ({} bytes of it received)",
                self.rows_seen + 1,
                self.carry.len()
            ))),
        }
    }
}

/// Scans the header: signature, flags, extension length and extension.
fn scan_header(buf: &[u8]) -> Result<Scan> {
    let sig = buf.len().min(SIGNATURE.len());
    if buf[..sig] != SIGNATURE[..sig] {
        return Err(malformed("bad signature (not a binary COPY stream)"));
    }
    let Some(fixed) = buf.first_chunk::<HEADER_LEN>() else {
        return Ok(Scan::Need(HEADER_LEN - buf.len()));
    };
    let flags = u32::from_be_bytes([fixed[11], fixed[12], fixed[13], fixed[14]]);
    if flags & (1 << 16) != 0 {
        return Err(malformed(
            "rows carry OIDs (flag bit 16), which haul does not read",
        ));
    }
    // Bits 16–31 flag critical format changes; bits 0–15 may be ignored.
    if flags & 0xffff_0000 != 0 {
        return Err(malformed(format!(
            "unknown critical header flags {flags:#010x}"
        )));
    }
    let ext = i32::from_be_bytes([fixed[15], fixed[16], fixed[17], fixed[18]]);
    let Ok(ext) = usize::try_from(ext) else {
        return Err(malformed(format!("negative header extension length {ext}")));
    };
    let total = HEADER_LEN + ext;
    Ok(if buf.len() >= total {
        Scan::Complete(total)
    } else {
        Scan::Need(total - buf.len())
    })
}

/// Scans one row's field lengths: complete, trailer, or how many bytes are missing.
#[inline]
fn scan_row(buf: &[u8], columns: usize, row_number: u64) -> Result<Scan> {
    let Some(count) = buf.first_chunk::<2>() else {
        return Ok(Scan::Need(2 - buf.len()));
    };
    let count = i16::from_be_bytes(*count);
    if count == -1 {
        return Ok(Scan::Trailer);
    }
    if count as usize != columns || count < 0 {
        return Err(malformed(format!(
            "row {row_number} has {count} fields, expected {columns}"
        )));
    }
    let mut p = 2;
    for field in 0..columns {
        let Some(len) = buf.get(p..p + 4) else {
            return Ok(Scan::Need(p + 4 - buf.len()));
        };
        let len = i32::from_be_bytes([len[0], len[1], len[2], len[3]]);
        p += 4;
        if len < 0 {
            if len != -1 {
                return Err(malformed(format!(
                    "row {row_number}, field {}: invalid length {len}",
                    field + 1
                )));
            }
            continue;
        }
        p += len as usize;
        if p > buf.len() {
            return Ok(Scan::Need(p - buf.len()));
        }
    }
    Ok(Scan::Complete(p))
}
