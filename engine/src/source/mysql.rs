//! `MySource`: a chunk of a MySQL/MariaDB table as Arrow batches.
//!
//! The chunk's `SELECT` runs as a prepared statement, so values arrive in the binary protocol
//! (integers, floats and temporals as numbers, not text), and rows are streamed one at a time
//! into Arrow builders that are cut into batches bounded in rows and bytes: the result set is
//! never buffered whole. Each row packet is decoded in place ([`super::mywire`]) straight into
//! the builders, with no per-value allocation. The session zone is UTC, so TIMESTAMP values are
//! UTC instants.

use std::sync::Arc;

use arrow_array::builder::{
    BinaryBuilder, Date32Builder, Decimal128Builder, Decimal256Builder, DurationMicrosecondBuilder,
    Float32Builder, Float64Builder, Int8Builder, Int16Builder, Int32Builder, Int64Builder,
    ListBuilder, StringBuilder, TimestampMicrosecondBuilder, UInt8Builder, UInt16Builder,
    UInt32Builder, UInt64Builder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::SchemaRef;
use haul_formats::FormatError;
use haul_formats::mytypes::MyKind;
use mysql_async::Conn;
use mysql_async::prelude::Queryable;
use tokio::sync::mpsc;

use crate::error::{EngineError, Result};
use crate::events::TableProgress;
use crate::mysql::planner::{ZeroDates, chunk_predicate};
use crate::mysql::{qualified, quote_ident};
use crate::plan::{ChunkSpec, TablePlan};
use crate::source::mywire::{Cell, RowCursor, Wire};
use crate::source::{BatchLimits, ChunkMsg};

/// The `SELECT` that reads one chunk.
pub fn select_sql(table: &TablePlan, chunk: &ChunkSpec) -> String {
    let cols: Vec<String> = table.columns.iter().map(|c| quote_ident(&c.name)).collect();
    let mut sql = format!(
        "SELECT {} FROM {}",
        cols.join(", "),
        qualified(&table.schema, &table.name)
    );
    let preds: Vec<String> = chunk_predicate(table, &chunk.range)
        .into_iter()
        .chain(chunk.filter.iter().map(|f| format!("({f})")))
        .collect();
    if !preds.is_empty() {
        sql.push_str(" WHERE ");
        sql.push_str(&preds.join(" AND "));
    }
    sql
}

/// Reads one chunk on `conn` (inside the run's snapshot) and sends its batches to `tx`;
/// returns the rows read.
pub async fn read_chunk(
    conn: &mut Conn,
    table: &TablePlan,
    chunk: &ChunkSpec,
    limits: BatchLimits,
    zero_dates: ZeroDates,
    tx: &mpsc::Sender<ChunkMsg>,
    progress: Option<&TableProgress>,
) -> Result<u64> {
    let mut batch = RowBuilder::try_new(table, zero_dates).map_err(|e| EngineError::Format {
        chunk: chunk.id.clone(),
        cause: Box::new(e),
    })?;
    let what = || format!("reading {}", table.display_name());
    let sql = select_sql(table, chunk);
    let mut result = conn
        .exec_iter(sql, ())
        .await
        .map_err(|e| EngineError::my(what(), e))?;
    batch
        .wires(result.columns_ref())
        .map_err(|e| value_error(table, chunk, e))?;
    let mut rows = 0u64;
    loop {
        let pushed = result
            .next_raw(|packet| batch.push(packet, rows))
            .await
            .map_err(|e| EngineError::my(what(), e))?;
        match pushed {
            None => break,
            Some(r) => r.map_err(|e| value_error(table, chunk, e))?,
        }
        if batch.rows >= limits.rows || batch.bytes >= limits.bytes {
            rows += send(&mut batch, chunk, tx, progress).await?;
        }
    }
    drop(result);
    rows += send(&mut batch, chunk, tx, progress).await?;
    tx.send(ChunkMsg::End { rows })
        .await
        .map_err(|_| EngineError::WriterStopped)?;
    Ok(rows)
}

async fn send(
    batch: &mut RowBuilder,
    chunk: &ChunkSpec,
    tx: &mpsc::Sender<ChunkMsg>,
    progress: Option<&TableProgress>,
) -> Result<u64> {
    if batch.rows == 0 {
        return Ok(0);
    }
    let bytes = batch.bytes as u64;
    let b = batch.finish().map_err(|e| EngineError::Format {
        chunk: chunk.id.clone(),
        cause: Box::new(e),
    })?;
    let n = b.num_rows() as u64;
    if let Some(p) = progress {
        p.add(n, bytes);
    }
    tx.send(ChunkMsg::Batch(b))
        .await
        .map_err(|_| EngineError::WriterStopped)?;
    Ok(n)
}

fn value_error(table: &TablePlan, chunk: &ChunkSpec, e: FormatError) -> EngineError {
    let zero = matches!(&e, FormatError::Value { reason, .. } if reason.contains("zero"));
    if zero {
        EngineError::Unrepresentable {
            chunk: chunk.id.clone(),
            cause: Box::new(e),
            hint: format!(
                "no date type holds it: fix the row in {}, or rerun with --zero-dates null --restart to read zero dates as NULL",
                table.display_name()
            ),
        }
    } else {
        EngineError::Format {
            chunk: chunk.id.clone(),
            cause: Box::new(e),
        }
    }
}

/// Builders for one batch of a table's rows.
struct RowBuilder {
    schema: SchemaRef,
    cols: Vec<ColBuilder>,
    /// How each column's values arrive in a result row.
    wires: Vec<Wire>,
    /// Each column's name and kind, to make the next batch's builders.
    kinds: Vec<(String, Option<MyKind>)>,
    null: bool,
    names: Vec<String>,
    key: Vec<usize>,
    rows: usize,
    bytes: usize,
}

enum ColBuilder {
    I8(Int8Builder),
    I16(Int16Builder),
    I32(Int32Builder),
    I64(Int64Builder),
    U8(UInt8Builder),
    U16(UInt16Builder),
    U32(UInt32Builder),
    U64(UInt64Builder),
    D128(Decimal128Builder, i8),
    D256(Decimal256Builder, i8),
    F32(Float32Builder),
    F64(Float64Builder),
    Text(StringBuilder),
    Binary(BinaryBuilder),
    Set(ListBuilder<StringBuilder>),
    Date(Date32Builder, bool),
    Stamp(TimestampMicrosecondBuilder, bool),
    Time(DurationMicrosecondBuilder),
    Geometry(BinaryBuilder, u32),
}

/// Rows the builders of a chunk's first batch are sized for; later batches are sized like the
/// batch before them, so a full batch grows no buffer.
const FIRST_BATCH_ROWS: usize = 1024;

/// Empty builders for columns of `kinds`, with room for `rows` rows.
fn builders(
    kinds: &[(String, Option<MyKind>)],
    null: bool,
    rows: usize,
) -> Result<Vec<ColBuilder>, FormatError> {
    let text = || StringBuilder::with_capacity(rows, rows * 16);
    let binary = || BinaryBuilder::with_capacity(rows, rows * 16);
    kinds
        .iter()
        .map(|(name, kind)| {
            let kind = kind.as_ref().ok_or_else(|| {
                FormatError::Unsupported(format!("column `{name}` has no MySQL kind"))
            })?;
            Ok(match kind {
                MyKind::Int { bytes, unsigned } => match (bytes, unsigned) {
                    (1, false) => ColBuilder::I8(Int8Builder::with_capacity(rows)),
                    (1, true) => ColBuilder::U8(UInt8Builder::with_capacity(rows)),
                    (2, false) => ColBuilder::I16(Int16Builder::with_capacity(rows)),
                    (2, true) => ColBuilder::U16(UInt16Builder::with_capacity(rows)),
                    (3 | 4, false) => ColBuilder::I32(Int32Builder::with_capacity(rows)),
                    (3 | 4, true) => ColBuilder::U32(UInt32Builder::with_capacity(rows)),
                    (_, false) => ColBuilder::I64(Int64Builder::with_capacity(rows)),
                    (_, true) => ColBuilder::U64(UInt64Builder::with_capacity(rows)),
                },
                MyKind::Year => ColBuilder::I16(Int16Builder::with_capacity(rows)),
                MyKind::Bit { .. } => ColBuilder::U64(UInt64Builder::with_capacity(rows)),
                MyKind::Decimal { precision, scale } if *precision <= 38 => ColBuilder::D128(
                    Decimal128Builder::with_capacity(rows)
                        .with_precision_and_scale((*precision).max(1), *scale)?,
                    *scale,
                ),
                MyKind::Decimal { precision, scale } => ColBuilder::D256(
                    Decimal256Builder::with_capacity(rows)
                        .with_precision_and_scale(*precision, *scale)?,
                    *scale,
                ),
                MyKind::Float => ColBuilder::F32(Float32Builder::with_capacity(rows)),
                MyKind::Double => ColBuilder::F64(Float64Builder::with_capacity(rows)),
                MyKind::Text | MyKind::Enum { .. } | MyKind::Json => ColBuilder::Text(text()),
                MyKind::Binary => ColBuilder::Binary(binary()),
                MyKind::Set { .. } => {
                    ColBuilder::Set(ListBuilder::with_capacity(StringBuilder::new(), rows))
                }
                MyKind::Date => ColBuilder::Date(Date32Builder::with_capacity(rows), null),
                MyKind::DateTime => {
                    ColBuilder::Stamp(TimestampMicrosecondBuilder::with_capacity(rows), null)
                }
                MyKind::Timestamp => ColBuilder::Stamp(
                    TimestampMicrosecondBuilder::with_capacity(rows).with_timezone("UTC"),
                    null,
                ),
                MyKind::Time => ColBuilder::Time(DurationMicrosecondBuilder::with_capacity(rows)),
                MyKind::Geometry { srid } => ColBuilder::Geometry(binary(), *srid),
                other => {
                    return Err(FormatError::Unsupported(format!(
                        "column `{name}`: no reader for {other:?}"
                    )));
                }
            })
        })
        .collect()
}

impl RowBuilder {
    fn try_new(table: &TablePlan, zero_dates: ZeroDates) -> Result<Self, FormatError> {
        let null = zero_dates == ZeroDates::Null;
        let kinds: Vec<(String, Option<MyKind>)> = table
            .columns
            .iter()
            .map(|c| (c.name.clone(), c.mysql.clone()))
            .collect();
        let cols = builders(&kinds, null, FIRST_BATCH_ROWS)?;
        Ok(Self {
            schema: table.schema_ref(),
            cols,
            wires: Vec::new(),
            kinds,
            null,
            names: table.columns.iter().map(|c| c.name.clone()).collect(),
            key: table
                .key
                .as_ref()
                .map(|k| k.positions.clone())
                .unwrap_or_default(),
            rows: 0,
            bytes: 0,
        })
    }

    /// Takes each column's wire layout from the result set's column definitions.
    fn wires(&mut self, columns: &[mysql_async::Column]) -> Result<(), FormatError> {
        if columns.len() != self.cols.len() {
            return Err(FormatError::Malformed {
                format: "MySQL result",
                reason: format!("{} columns, expected {}", columns.len(), self.cols.len()),
            });
        }
        self.wires = columns
            .iter()
            .zip(&self.names)
            .map(|(c, name)| {
                Wire::of(c).ok_or_else(|| {
                    FormatError::Unsupported(format!(
                        "column `{name}`: the server sent type {:?}, which the binary protocol does not define",
                        c.column_type()
                    ))
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(())
    }

    /// Appends one row packet; a value the column cannot hold names the column and the row's
    /// key. On error the builders may hold part of the row: the chunk fails as a whole.
    fn push(&mut self, packet: &[u8], row: u64) -> Result<(), FormatError> {
        let malformed = |e: crate::source::mywire::Malformed| FormatError::Malformed {
            format: "MySQL binary row",
            reason: format!("row {row}: {e}"),
        };
        let mut cursor = RowCursor::new(packet, self.cols.len()).map_err(malformed)?;
        for i in 0..self.cols.len() {
            let v = cursor.next(self.wires[i]).map_err(malformed)?;
            match self.cols[i].append(v) {
                Ok(n) => self.bytes += n,
                Err(reason) => {
                    return Err(FormatError::Value {
                        column: self.names[i].clone(),
                        row,
                        key: self.key_text(packet),
                        reason,
                        text_would_hold: false,
                    });
                }
            }
        }
        if !cursor.at_end() {
            return Err(malformed(crate::source::mywire::Malformed {
                column: self.cols.len(),
                what: "bytes left after the last column",
            }));
        }
        self.rows += 1;
        Ok(())
    }

    /// The row's key as `col=value, …`, decoded again from its packet (only for messages).
    fn key_text(&self, packet: &[u8]) -> Option<String> {
        if self.key.is_empty() {
            return None;
        }
        let mut cursor = RowCursor::new(packet, self.cols.len()).ok()?;
        let cells: Vec<Cell> = self
            .wires
            .iter()
            .map(|w| cursor.next(*w))
            .collect::<Result<_, _>>()
            .ok()?;
        let parts: Vec<String> = self
            .key
            .iter()
            .map(|&i| format!("{}={}", self.names[i], cells[i]))
            .collect();
        Some(parts.join(", "))
    }

    fn finish(&mut self) -> Result<RecordBatch, FormatError> {
        let arrays: Vec<ArrayRef> = self.cols.iter_mut().map(ColBuilder::finish).collect();
        // Finished builders keep no buffers: size the next batch's like this one.
        self.cols = builders(&self.kinds, self.null, self.rows.max(FIRST_BATCH_ROWS))?;
        self.rows = 0;
        self.bytes = 0;
        Ok(RecordBatch::try_new(self.schema.clone(), arrays)?)
    }
}

fn int(v: Cell) -> Result<i128, String> {
    match v {
        Cell::Int(i) => Ok(i128::from(i)),
        Cell::UInt(u) => Ok(i128::from(u)),
        Cell::Bytes(b) => std::str::from_utf8(b)
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .ok_or_else(|| format!("`{}` is not an integer", String::from_utf8_lossy(b))),
        other => Err(format!("expected an integer, got {other:?}")),
    }
}

fn fit<T: TryFrom<i128>>(v: Cell) -> Result<T, String> {
    let i = int(v)?;
    T::try_from(i).map_err(|_| format!("{i} is out of the column's range"))
}

fn bytes(v: Cell<'_>) -> Result<&[u8], String> {
    match v {
        Cell::Bytes(b) => Ok(b),
        other => Err(format!("expected bytes, got {other:?}")),
    }
}

fn utf8(v: Cell<'_>) -> Result<&str, String> {
    let b = bytes(v)?;
    simdutf8::basic::from_utf8(b).map_err(|_| {
        format!(
            "the server sent text that is not valid UTF-8 ({} bytes)",
            b.len()
        )
    })
}

/// Days from 1970-01-01 (proleptic Gregorian; Howard Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A DATE/DATETIME value as (days since 1970, microseconds of the day); `None` for a zero or
/// partial date (month or day 0).
fn civil(v: Cell) -> Result<Option<(i64, i64)>, String> {
    match v {
        Cell::Date(y, m, d, h, mi, s, us) => {
            if m == 0 || d == 0 {
                return Ok(None);
            }
            let days = days_from_civil(i64::from(y), i64::from(m), i64::from(d));
            let micros = ((i64::from(h) * 60 + i64::from(mi)) * 60 + i64::from(s)) * 1_000_000
                + i64::from(us);
            Ok(Some((days, micros)))
        }
        other => Err(format!("expected a date, got {other:?}")),
    }
}

fn zero_date(v: Cell) -> String {
    format!("zero or partial date {v} that no date type can hold")
}

/// The unscaled value of a DECIMAL's text (`-12.30` at scale 2 → -1230) without allocating;
/// `None` when the text is not a decimal of that scale or does not fit an i128.
fn decimal_i128(text: &[u8], scale: i8) -> Option<i128> {
    let (neg, body) = match text.first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let scale = u32::try_from(scale).ok()?;
    if body.len() <= 18 {
        // At most 18 digits: accumulate in a u64, which cannot overflow (much cheaper than i128).
        // Kept apart from the i128 loop below on purpose: one loop switching between the two
        // cost 2% of a whole dump's instructions (callgrind, TPC-H SF0.01: 0.969 G → 0.988 G).
        let mut v: u64 = 0;
        let mut digits = 0;
        let mut frac: Option<u32> = None;
        for &b in body {
            match b {
                b'0'..=b'9' => {
                    v = v * 10 + u64::from(b - b'0');
                    digits += 1;
                    if let Some(f) = frac.as_mut() {
                        *f += 1;
                    }
                }
                b'.' if frac.is_none() => frac = Some(0),
                _ => return None,
            }
        }
        let frac = frac.unwrap_or(0);
        if digits == 0 || frac > scale {
            return None;
        }
        let v = i128::from(v).checked_mul(10i128.checked_pow(scale - frac)?)?;
        return Some(if neg { -v } else { v });
    }
    let mut v: i128 = 0;
    let mut frac: Option<u32> = None;
    let mut digits = 0;
    for &b in body {
        match b {
            b'0'..=b'9' => {
                v = v.checked_mul(10)?.checked_add(i128::from(b - b'0'))?;
                digits += 1;
                if let Some(f) = frac.as_mut() {
                    *f += 1;
                }
            }
            b'.' if frac.is_none() => frac = Some(0),
            _ => return None,
        }
    }
    let frac = frac.unwrap_or(0);
    if digits == 0 || frac > scale {
        return None;
    }
    v = v.checked_mul(10i128.checked_pow(scale - frac)?)?;
    Some(if neg { -v } else { v })
}

/// Unscaled digits of a DECIMAL's text (`-12.30` at scale 2 → `-1230`).
fn decimal_digits(text: &str, scale: i8) -> Result<String, String> {
    let (neg, body) = match text.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    let scale = usize::try_from(scale).unwrap_or(0);
    if frac.len() > scale
        || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
        || int.is_empty() && frac.is_empty()
    {
        return Err(format!("`{text}` is not a DECIMAL of scale {scale}"));
    }
    let mut s = String::with_capacity(body.len() + scale + 1);
    if neg {
        s.push('-');
    }
    s.push_str(int);
    s.push_str(frac);
    s.extend(std::iter::repeat_n('0', scale - frac.len()));
    Ok(s)
}

impl ColBuilder {
    /// Appends one value; returns the bytes it adds to the batch.
    fn append(&mut self, v: Cell) -> Result<usize, String> {
        if matches!(v, Cell::Null) {
            self.append_null();
            return Ok(1);
        }
        match self {
            ColBuilder::I8(b) => b.append_value(fit(v)?),
            ColBuilder::I16(b) => b.append_value(fit(v)?),
            ColBuilder::I32(b) => b.append_value(fit(v)?),
            ColBuilder::I64(b) => b.append_value(fit(v)?),
            ColBuilder::U8(b) => b.append_value(fit(v)?),
            ColBuilder::U16(b) => b.append_value(fit(v)?),
            ColBuilder::U32(b) => b.append_value(fit(v)?),
            ColBuilder::U64(b) => match v {
                Cell::Bytes(bits) if bits.len() <= 8 => {
                    // BIT(n): big-endian bytes.
                    b.append_value(bits.iter().fold(0u64, |acc, x| (acc << 8) | u64::from(*x)));
                }
                _ => b.append_value(fit(v)?),
            },
            ColBuilder::D128(b, scale) => {
                let raw = bytes(v)?;
                let value = decimal_i128(raw, *scale).ok_or_else(|| {
                    format!(
                        "`{}` is not a DECIMAL of scale {scale} that fits DECIMAL(38)",
                        String::from_utf8_lossy(raw)
                    )
                })?;
                b.append_value(value);
                return Ok(16);
            }
            ColBuilder::D256(b, scale) => {
                let text = utf8(v)?;
                let digits = decimal_digits(text, *scale)?;
                b.append_value(
                    arrow_buffer::i256::from_string(&digits)
                        .ok_or_else(|| format!("`{text}` does not fit DECIMAL(76)"))?,
                );
                return Ok(32);
            }
            ColBuilder::F32(b) => match v {
                Cell::Float(f) => b.append_value(f),
                Cell::Double(d) => b.append_value(d as f32),
                other => return Err(format!("expected a FLOAT, got {other:?}")),
            },
            ColBuilder::F64(b) => match v {
                Cell::Double(d) => b.append_value(d),
                Cell::Float(f) => b.append_value(f64::from(f)),
                other => return Err(format!("expected a DOUBLE, got {other:?}")),
            },
            ColBuilder::Text(b) => {
                let s = utf8(v)?;
                b.append_value(s);
                return Ok(s.len() + 4);
            }
            ColBuilder::Binary(b) => {
                let s = bytes(v)?;
                b.append_value(s);
                return Ok(s.len() + 4);
            }
            ColBuilder::Set(b) => {
                let s = utf8(v)?;
                if !s.is_empty() {
                    for m in s.split(',') {
                        b.values().append_value(m);
                    }
                }
                b.append(true);
                return Ok(s.len() + 8);
            }
            ColBuilder::Date(b, null) => match civil(v)? {
                Some((days, _)) => b.append_value(
                    i32::try_from(days).map_err(|_| format!("date {days} out of range"))?,
                ),
                None if *null => b.append_null(),
                None => return Err(zero_date(v)),
            },
            ColBuilder::Stamp(b, null) => match civil(v)? {
                Some((days, micros)) => b.append_value(days * 86_400_000_000 + micros),
                None if *null => b.append_null(),
                None => return Err(zero_date(v)),
            },
            ColBuilder::Time(b) => match v {
                Cell::Time(neg, d, h, m, s, us) => {
                    let t = ((i64::from(d) * 24 + i64::from(h)) * 60 + i64::from(m)) * 60
                        + i64::from(s);
                    let t = t * 1_000_000 + i64::from(us);
                    b.append_value(if neg { -t } else { t });
                }
                other => return Err(format!("expected a TIME, got {other:?}")),
            },
            ColBuilder::Geometry(b, srid) => {
                // The server's geometry value: a 4-byte little-endian SRID, then WKB.
                let s = bytes(v)?;
                let (head, wkb) = s
                    .split_at_checked(4)
                    .ok_or_else(|| format!("a {}-byte geometry value is too short", s.len()))?;
                let got = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
                if got != *srid {
                    return Err(format!(
                        "geometry with SRID {got} in a column whose SRID is {srid}: the dump carries one SRID per column (in the field metadata) and would lose this one; declare the column's SRID (MariaDB `REF_SYSTEM_ID={got}`, MySQL `SRID {got}`) or transform the value with ST_Transform/ST_SRID"
                    ));
                }
                b.append_value(wkb);
                return Ok(s.len());
            }
        }
        Ok(8)
    }

    fn append_null(&mut self) {
        match self {
            ColBuilder::I8(b) => b.append_null(),
            ColBuilder::I16(b) => b.append_null(),
            ColBuilder::I32(b) => b.append_null(),
            ColBuilder::I64(b) => b.append_null(),
            ColBuilder::U8(b) => b.append_null(),
            ColBuilder::U16(b) => b.append_null(),
            ColBuilder::U32(b) => b.append_null(),
            ColBuilder::U64(b) => b.append_null(),
            ColBuilder::D128(b, _) => b.append_null(),
            ColBuilder::D256(b, _) => b.append_null(),
            ColBuilder::F32(b) => b.append_null(),
            ColBuilder::F64(b) => b.append_null(),
            ColBuilder::Text(b) => b.append_null(),
            ColBuilder::Binary(b) | ColBuilder::Geometry(b, _) => b.append_null(),
            ColBuilder::Set(b) => b.append(false),
            ColBuilder::Date(b, _) => b.append_null(),
            ColBuilder::Stamp(b, _) => b.append_null(),
            ColBuilder::Time(b) => b.append_null(),
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            ColBuilder::I8(b) => Arc::new(b.finish()),
            ColBuilder::I16(b) => Arc::new(b.finish()),
            ColBuilder::I32(b) => Arc::new(b.finish()),
            ColBuilder::I64(b) => Arc::new(b.finish()),
            ColBuilder::U8(b) => Arc::new(b.finish()),
            ColBuilder::U16(b) => Arc::new(b.finish()),
            ColBuilder::U32(b) => Arc::new(b.finish()),
            ColBuilder::U64(b) => Arc::new(b.finish()),
            ColBuilder::D128(b, _) => Arc::new(b.finish()),
            ColBuilder::D256(b, _) => Arc::new(b.finish()),
            ColBuilder::F32(b) => Arc::new(b.finish()),
            ColBuilder::F64(b) => Arc::new(b.finish()),
            ColBuilder::Text(b) => Arc::new(b.finish()),
            ColBuilder::Binary(b) | ColBuilder::Geometry(b, _) => Arc::new(b.finish()),
            ColBuilder::Set(b) => Arc::new(b.finish()),
            ColBuilder::Date(b, _) => Arc::new(b.finish()),
            ColBuilder::Stamp(b, _) => Arc::new(b.finish()),
            ColBuilder::Time(b) => Arc::new(b.finish()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_text_to_unscaled_i128() {
        assert_eq!(decimal_i128(b"-12.30", 2), Some(-1230));
        assert_eq!(decimal_i128(b"7", 3), Some(7000));
        assert_eq!(decimal_i128(b"0.05", 2), Some(5));
        assert_eq!(decimal_i128(b"1.234", 2), None);
        assert_eq!(decimal_i128(b"1e5", 0), None);
        assert_eq!(decimal_i128(b"", 0), None);
        assert_eq!(decimal_i128(b"1.2.3", 2), None);
        let max = "9".repeat(38);
        assert_eq!(decimal_i128(max.as_bytes(), 0), Some(10i128.pow(38) - 1));
    }

    #[test]
    fn decimal_text_to_unscaled_digits() {
        assert_eq!(decimal_digits("-12.30", 2).expect("ok"), "-1230");
        assert_eq!(decimal_digits("7", 3).expect("ok"), "7000");
        assert!(decimal_digits("1.234", 2).is_err());
        assert!(decimal_digits("1e5", 0).is_err());
    }

    #[test]
    fn civil_days() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1000, 1, 1), -354_285);
        let zero = Cell::Date(0, 0, 0, 0, 0, 0, 0);
        assert_eq!(civil(zero).expect("a date"), None);
    }
}
