//! One Arrow builder per column, chosen once from the column's [`PgKind`]: decoding a value is a
//! `match` on [`Column`] (a jump table the branch predictor learns per row), never a `dyn` call,
//! and appends into growable buffers (no allocation per value once they have grown).

use std::borrow::Cow;
use std::sync::Arc;

use arrow_array::builder::{
    ArrayBuilder, BinaryBuilder, BooleanBuilder, Date32Builder, Decimal128Builder,
    Decimal256Builder, FixedSizeBinaryBuilder, Float32Builder, Float64Builder, Int16Builder,
    Int32Builder, Int64Builder, StringBuilder, Time64MicrosecondBuilder,
    TimestampMicrosecondBuilder,
};
use arrow_array::{ArrayRef, ListArray, StructArray};
use arrow_buffer::{NullBufferBuilder, OffsetBuffer, ScalarBuffer, i256};
use arrow_schema::{DataType, FieldRef, Fields};

use super::numeric::{self, Numeric, NumericError};
use crate::pgtypes::{PG_EPOCH_DAYS, PG_EPOCH_MICROS, PgKind};
use crate::{FormatError, Result};

/// PostgreSQL's `MAXDIM`: arrays have at most 6 dimensions.
const MAX_DIMS: usize = 6;

/// Why one field could not be appended. Built only on the error path.
#[derive(Debug)]
pub(crate) enum FieldError {
    /// The bytes do not follow the type's wire form (e.g. an int4 field of 3 bytes).
    Malformed(Cow<'static, str>),
    /// A well-formed value that the column's Arrow type cannot hold.
    Value(Cow<'static, str>),
    /// A valid PostgreSQL value the column's Arrow type cannot hold, but the column's text form
    /// would (NaN in a Decimal, a 2-D array in a 1-D List, a timestamp past Arrow's range).
    Unrepresentable(Cow<'static, str>),
}

#[cold]
fn width_error(kind: &'static str, expected: usize, got: usize) -> FieldError {
    FieldError::Malformed(format!("{kind} field of {got} bytes (expected {expected})").into())
}

#[cold]
fn value_error(reason: impl Into<Cow<'static, str>>) -> FieldError {
    FieldError::Value(reason.into())
}

#[cold]
fn unrepresentable(reason: impl Into<Cow<'static, str>>) -> FieldError {
    FieldError::Unrepresentable(reason.into())
}

#[cold]
fn utf8_error(v: &[u8]) -> FieldError {
    let at = std::str::from_utf8(v).err().map_or(0, |e| e.valid_up_to());
    FieldError::Value(format!("invalid UTF-8 at byte {at} of a {}-byte value", v.len()).into())
}

#[cold]
fn batch_too_large() -> FieldError {
    value_error("more than 2 GiB of variable-width data in one batch; take batches more often")
}

/// The field as exactly `N` bytes.
#[inline(always)]
fn fixed<const N: usize>(v: &[u8], kind: &'static str) -> Result<[u8; N], FieldError> {
    match v.first_chunk::<N>() {
        Some(b) if v.len() == N => Ok(*b),
        _ => Err(width_error(kind, N, v.len())),
    }
}

/// Validates UTF-8; short values take std's ASCII fast path inside simdutf8.
#[inline(always)]
fn utf8(v: &[u8]) -> Result<&str, FieldError> {
    simdutf8::basic::from_utf8(v).map_err(|_| utf8_error(v))
}

/// Refuses a value that would push a batch's i32 offsets past `i32::MAX` (arrow would panic).
#[inline(always)]
fn check_offset(current: usize, add: usize) -> Result<(), FieldError> {
    if current + add > i32::MAX as usize {
        Err(batch_too_large())
    } else {
        Ok(())
    }
}

#[cold]
fn numeric_error(e: NumericError, dt: &str) -> FieldError {
    match e {
        NumericError::Malformed(m) => FieldError::Malformed(m.into()),
        NumericError::Special(sign) => {
            let what = match sign {
                numeric::NUMERIC_NAN => "NaN",
                numeric::NUMERIC_PINF => "Infinity",
                _ => "-Infinity",
            };
            unrepresentable(format!("{what} cannot be held by {dt}"))
        }
        NumericError::TooManyFractionDigits => unrepresentable(format!(
            "value has more fraction digits than {dt} holds (it would be rounded)"
        )),
        NumericError::Overflow => value_error(format!("value does not fit {dt}")),
    }
}

/// A `timetz` column: Struct { time: Time64(µs), utc_offset_seconds: Int32 }.
#[derive(Debug)]
pub(crate) struct TimeTzColumn {
    fields: Fields,
    time: Time64MicrosecondBuilder,
    offset: Int32Builder,
    nulls: NullBufferBuilder,
}

/// An `interval` column: Struct { months: Int32, days: Int32, micros: Int64 }.
#[derive(Debug)]
pub(crate) struct IntervalColumn {
    fields: Fields,
    months: Int32Builder,
    days: Int32Builder,
    micros: Int64Builder,
    nulls: NullBufferBuilder,
}

/// An array column of `dims` dimensions: `dims` nested Lists over a scalar leaf. The levels are
/// kept flat (offsets per level, outermost first) because one PostgreSQL array value fills every
/// level at once from its dimension header.
#[derive(Debug)]
pub(crate) struct ListColumn {
    /// Item field of each level's `List`, outermost first, taken from the schema.
    fields: Vec<FieldRef>,
    /// Offsets of each level, outermost first; each starts with 0.
    offsets: Vec<Vec<i32>>,
    /// Validity of the outermost level (inner levels are never null in PostgreSQL).
    nulls: NullBufferBuilder,
    leaf: Column,
}

/// One column's builder; the variant is the wire decoding.
#[derive(Debug)]
pub(crate) enum Column {
    Bool(BooleanBuilder),
    Int2(Int16Builder),
    Int4(Int32Builder),
    Int8(Int64Builder),
    Float4(Float32Builder),
    Float8(Float64Builder),
    Decimal128 {
        b: Decimal128Builder,
        precision: u8,
        scale: i8,
        max: i128,
    },
    Decimal256 {
        b: Box<Decimal256Builder>,
        precision: u8,
        scale: i8,
        max: i256,
    },
    NumericText {
        b: StringBuilder,
        scratch: Vec<u8>,
    },
    Money(Decimal128Builder),
    /// `text`-like and `json`: UTF-8 text as is.
    Text(StringBuilder),
    /// `jsonb`: a version byte (1), then UTF-8 text.
    Jsonb(StringBuilder),
    Bytea(BinaryBuilder),
    Date(Date32Builder),
    Time(Time64MicrosecondBuilder),
    TimeTz(Box<TimeTzColumn>),
    Timestamp(TimestampMicrosecondBuilder),
    Interval(Box<IntervalColumn>),
    Uuid(FixedSizeBinaryBuilder),
    List(Box<ListColumn>),
}

fn unsupported(column: &str, what: impl std::fmt::Display) -> FormatError {
    FormatError::Unsupported(format!("column `{column}`: {what}"))
}

impl Column {
    /// A builder for `kind`, whose Arrow type (from the schema, so nested field names and
    /// metadata carry over) is `dt`.
    pub(crate) fn try_new(kind: &PgKind, dt: &DataType, column: &str) -> Result<Self> {
        Ok(match kind {
            PgKind::Bool => Self::Bool(BooleanBuilder::new()),
            PgKind::Int2 => Self::Int2(Int16Builder::new()),
            PgKind::Int4 => Self::Int4(Int32Builder::new()),
            PgKind::Int8 => Self::Int8(Int64Builder::new()),
            PgKind::Float4 => Self::Float4(Float32Builder::new()),
            PgKind::Float8 => Self::Float8(Float64Builder::new()),
            PgKind::Decimal { precision, scale } if *precision <= 38 => Self::Decimal128 {
                b: Decimal128Builder::new().with_precision_and_scale(*precision, *scale)?,
                precision: *precision,
                scale: *scale,
                max: numeric::max_i128(*precision),
            },
            PgKind::Decimal { precision, scale } => Self::Decimal256 {
                b: Box::new(Decimal256Builder::new().with_precision_and_scale(*precision, *scale)?),
                precision: *precision,
                scale: *scale,
                max: numeric::max_i256(*precision),
            },
            PgKind::NumericText => Self::NumericText {
                b: StringBuilder::new(),
                scratch: Vec::new(),
            },
            PgKind::Money { scale } => {
                Self::Money(Decimal128Builder::new().with_precision_and_scale(19, *scale)?)
            }
            PgKind::Text | PgKind::Json => Self::Text(StringBuilder::new()),
            PgKind::Jsonb => Self::Jsonb(StringBuilder::new()),
            PgKind::Bytea => Self::Bytea(BinaryBuilder::new()),
            PgKind::Date => Self::Date(Date32Builder::new()),
            PgKind::Time => Self::Time(Time64MicrosecondBuilder::new()),
            PgKind::Timestamp | PgKind::TimestampTz => {
                Self::Timestamp(TimestampMicrosecondBuilder::new().with_data_type(dt.clone()))
            }
            PgKind::TimeTz => {
                let DataType::Struct(fields) = dt else {
                    return Err(unsupported(column, format!("timetz held by {dt}")));
                };
                Self::TimeTz(Box::new(TimeTzColumn {
                    fields: fields.clone(),
                    time: Time64MicrosecondBuilder::new(),
                    offset: Int32Builder::new(),
                    nulls: NullBufferBuilder::new(0),
                }))
            }
            PgKind::Interval => {
                let DataType::Struct(fields) = dt else {
                    return Err(unsupported(column, format!("interval held by {dt}")));
                };
                Self::Interval(Box::new(IntervalColumn {
                    fields: fields.clone(),
                    months: Int32Builder::new(),
                    days: Int32Builder::new(),
                    micros: Int64Builder::new(),
                    nulls: NullBufferBuilder::new(0),
                }))
            }
            PgKind::Uuid => Self::Uuid(FixedSizeBinaryBuilder::new(16)),
            PgKind::Array { element, dims } => {
                let dims = usize::from(*dims);
                if !(1..=MAX_DIMS).contains(&dims) {
                    return Err(unsupported(column, format!("array of {dims} dimensions")));
                }
                if matches!(**element, PgKind::Array { .. }) {
                    return Err(unsupported(column, "array of arrays"));
                }
                let mut fields = Vec::with_capacity(dims);
                let mut t = dt;
                for _ in 0..dims {
                    let DataType::List(item) = t else {
                        return Err(unsupported(column, format!("{dims}-D array held by {dt}")));
                    };
                    fields.push(item.clone());
                    t = item.data_type();
                }
                Self::List(Box::new(ListColumn {
                    fields,
                    offsets: vec![vec![0]; dims],
                    nulls: NullBufferBuilder::new(0),
                    leaf: Self::try_new(element, t, column)?,
                }))
            }
        })
    }

    /// Appends a NULL.
    #[inline]
    pub(crate) fn append_null(&mut self) {
        match self {
            Self::Bool(b) => b.append_null(),
            Self::Int2(b) => b.append_null(),
            Self::Int4(b) => b.append_null(),
            Self::Int8(b) => b.append_null(),
            Self::Float4(b) => b.append_null(),
            Self::Float8(b) => b.append_null(),
            Self::Decimal128 { b, .. } | Self::Money(b) => b.append_null(),
            Self::Decimal256 { b, .. } => b.append_null(),
            Self::NumericText { b, .. } | Self::Text(b) | Self::Jsonb(b) => b.append_null(),
            Self::Bytea(b) => b.append_null(),
            Self::Date(b) => b.append_null(),
            Self::Time(b) => b.append_null(),
            Self::Timestamp(b) => b.append_null(),
            Self::TimeTz(c) => {
                // Children are declared non-nullable: they get a placeholder under a null parent.
                c.time.append_value(0);
                c.offset.append_value(0);
                c.nulls.append_null();
            }
            Self::Interval(c) => {
                c.months.append_value(0);
                c.days.append_value(0);
                c.micros.append_value(0);
                c.nulls.append_null();
            }
            Self::Uuid(b) => b.append_null(),
            Self::List(l) => {
                for offsets in l.offsets.iter_mut().take(1) {
                    let last = offsets.last().copied().unwrap_or(0);
                    offsets.push(last);
                }
                l.nulls.append_null();
            }
        }
    }

    /// Appends one non-NULL value from its binary send form.
    #[inline]
    pub(crate) fn append(&mut self, v: &[u8]) -> Result<(), FieldError> {
        match self {
            Self::Bool(b) => b.append_value(fixed::<1>(v, "bool")?[0] != 0),
            Self::Int2(b) => b.append_value(i16::from_be_bytes(fixed(v, "int2")?)),
            Self::Int4(b) => b.append_value(i32::from_be_bytes(fixed(v, "int4")?)),
            Self::Int8(b) => b.append_value(i64::from_be_bytes(fixed(v, "int8")?)),
            // from_bits keeps every bit: NaN payloads, ±Inf and −0 survive.
            Self::Float4(b) => {
                b.append_value(f32::from_bits(u32::from_be_bytes(fixed(v, "float4")?)))
            }
            Self::Float8(b) => {
                b.append_value(f64::from_bits(u64::from_be_bytes(fixed(v, "float8")?)))
            }
            Self::Decimal128 {
                b,
                precision,
                scale,
                max,
            } => {
                let x = Numeric::parse(v)
                    .and_then(|n| n.to_i128(*scale))
                    .and_then(|x| {
                        if x > *max || x < -*max {
                            Err(NumericError::Overflow)
                        } else {
                            Ok(x)
                        }
                    })
                    .map_err(|e| numeric_error(e, &format!("Decimal128({precision},{scale})")))?;
                b.append_value(x);
            }
            Self::Decimal256 {
                b,
                precision,
                scale,
                max,
            } => {
                let x = Numeric::parse(v)
                    .and_then(|n| n.to_i256(*scale))
                    .and_then(|x| {
                        if x > *max || x < max.wrapping_neg() {
                            Err(NumericError::Overflow)
                        } else {
                            Ok(x)
                        }
                    })
                    .map_err(|e| numeric_error(e, &format!("Decimal256({precision},{scale})")))?;
                b.append_value(x);
            }
            Self::NumericText { b, scratch } => {
                scratch.clear();
                Numeric::parse(v)
                    .and_then(|n| n.write_text(scratch))
                    .map_err(|e| numeric_error(e, "text"))?;
                check_offset(b.values_slice().len(), scratch.len())?;
                // The renderer writes ASCII only; the check is a formality on a short string.
                b.append_value(utf8(scratch)?);
            }
            Self::Money(b) => b.append_value(i128::from(i64::from_be_bytes(fixed(v, "money")?))),
            Self::Text(b) => {
                let s = utf8(v)?;
                check_offset(b.values_slice().len(), s.len())?;
                b.append_value(s);
            }
            Self::Jsonb(b) => {
                let Some((&version, text)) = v.split_first() else {
                    return Err(FieldError::Malformed(
                        "empty jsonb field (no version byte)".into(),
                    ));
                };
                if version != 1 {
                    return Err(value_error(format!("unsupported jsonb version {version}")));
                }
                let s = utf8(text)?;
                check_offset(b.values_slice().len(), s.len())?;
                b.append_value(s);
            }
            Self::Bytea(b) => {
                check_offset(b.values_slice().len(), v.len())?;
                b.append_value(v);
            }
            Self::Date(b) => {
                let d = i32::from_be_bytes(fixed(v, "date")?);
                // ±infinity keep their sentinels (META_INFINITY says so).
                let d = if d == i32::MAX || d == i32::MIN {
                    d
                } else {
                    d.checked_add(PG_EPOCH_DAYS)
                        .ok_or_else(|| value_error("date does not fit Arrow's Date32 range"))?
                };
                b.append_value(d);
            }
            Self::Time(b) => b.append_value(i64::from_be_bytes(fixed(v, "time")?)),
            Self::Timestamp(b) => {
                let t = i64::from_be_bytes(fixed(v, "timestamp")?);
                // ±infinity are PostgreSQL's own i64::MAX/MIN; a real timestamp that would land
                // on them after the epoch shift is refused, or it would read back as infinity.
                let t = if t == i64::MAX || t == i64::MIN {
                    t
                } else {
                    t.checked_add(PG_EPOCH_MICROS)
                        .filter(|t| *t != i64::MAX && *t != i64::MIN)
                        .ok_or_else(|| {
                            unrepresentable(
                                "timestamp after 294247-01-10 04:00:54.775806 does not fit Arrow's microsecond range",
                            )
                        })?
                };
                b.append_value(t);
            }
            Self::TimeTz(c) => {
                let raw: [u8; 12] = fixed(v, "timetz")?;
                let mut time = [0u8; 8];
                time.copy_from_slice(&raw[..8]);
                let time = i64::from_be_bytes(time);
                // The wire's zone is seconds WEST of UTC; the struct holds the offset east.
                let zone = i32::from_be_bytes([raw[8], raw[9], raw[10], raw[11]]);
                let offset = zone
                    .checked_neg()
                    .ok_or_else(|| value_error("timetz zone offset out of range"))?;
                c.time.append_value(time);
                c.offset.append_value(offset);
                c.nulls.append_non_null();
            }
            Self::Interval(c) => {
                let raw: [u8; 16] = fixed(v, "interval")?;
                let mut micros = [0u8; 8];
                micros.copy_from_slice(&raw[..8]);
                c.micros.append_value(i64::from_be_bytes(micros));
                c.days
                    .append_value(i32::from_be_bytes([raw[8], raw[9], raw[10], raw[11]]));
                c.months
                    .append_value(i32::from_be_bytes([raw[12], raw[13], raw[14], raw[15]]));
                c.nulls.append_non_null();
            }
            Self::Uuid(b) => {
                let raw: [u8; 16] = fixed(v, "uuid")?;
                b.append_value(raw)
                    .map_err(|e| FieldError::Malformed(e.to_string().into()))?;
            }
            Self::List(l) => l.append(v)?,
        }
        Ok(())
    }

    /// Values appended since the last [`Column::finish`] (top level: rows).
    pub(crate) fn len(&self) -> usize {
        match self {
            Self::Bool(b) => b.len(),
            Self::Int2(b) => b.len(),
            Self::Int4(b) => b.len(),
            Self::Int8(b) => b.len(),
            Self::Float4(b) => b.len(),
            Self::Float8(b) => b.len(),
            Self::Decimal128 { b, .. } | Self::Money(b) => b.len(),
            Self::Decimal256 { b, .. } => b.as_ref().len(),
            Self::NumericText { b, .. } | Self::Text(b) | Self::Jsonb(b) => b.len(),
            Self::Bytea(b) => b.len(),
            Self::Date(b) => b.len(),
            Self::Time(b) => b.len(),
            Self::Timestamp(b) => b.len(),
            Self::TimeTz(c) => c.nulls.len(),
            Self::Interval(c) => c.nulls.len(),
            Self::Uuid(b) => b.len(),
            Self::List(l) => l.nulls.len(),
        }
    }

    /// Takes the appended values as an array and resets the builder.
    pub(crate) fn finish(&mut self) -> Result<ArrayRef> {
        // Measured on lineitem-shaped rows (bench pgcopy_decode), page faults dominate here:
        // variable-width builders start the next batch with the last one's data capacity
        // (74 → 49 ms per 256 Ki rows, a third of the page faults), while fixed-width builders
        // regrow from empty (preallocating them too was slower: 55 ms).
        Ok(match self {
            Self::Bool(b) => Arc::new(b.finish()),
            Self::Int2(b) => Arc::new(b.finish()),
            Self::Int4(b) => Arc::new(b.finish()),
            Self::Int8(b) => Arc::new(b.finish()),
            Self::Float4(b) => Arc::new(b.finish()),
            Self::Float8(b) => Arc::new(b.finish()),
            Self::Decimal128 { b, .. } | Self::Money(b) => Arc::new(b.finish()),
            Self::Decimal256 { b, .. } => Arc::new(b.finish()),
            Self::NumericText { b, .. } | Self::Text(b) | Self::Jsonb(b) => {
                let data = data_capacity(b.values_slice().len());
                let array = b.finish();
                *b = StringBuilder::with_capacity(0, data);
                Arc::new(array)
            }
            Self::Bytea(b) => {
                let data = data_capacity(b.values_slice().len());
                let array = b.finish();
                *b = BinaryBuilder::with_capacity(0, data);
                Arc::new(array)
            }
            Self::Date(b) => Arc::new(b.finish()),
            Self::Time(b) => Arc::new(b.finish()),
            Self::Timestamp(b) => Arc::new(b.finish()),
            Self::TimeTz(c) => Arc::new(StructArray::try_new(
                c.fields.clone(),
                vec![Arc::new(c.time.finish()), Arc::new(c.offset.finish())],
                c.nulls.finish(),
            )?),
            Self::Interval(c) => Arc::new(StructArray::try_new(
                c.fields.clone(),
                vec![
                    Arc::new(c.months.finish()),
                    Arc::new(c.days.finish()),
                    Arc::new(c.micros.finish()),
                ],
                c.nulls.finish(),
            )?),
            Self::Uuid(b) => Arc::new(b.finish()),
            Self::List(l) => l.finish()?,
        })
    }
}

/// Data capacity a variable-width builder starts its next batch with: the last batch's, capped
/// so that one batch of huge values does not pin memory for every batch after it.
fn data_capacity(last: usize) -> usize {
    last.min(16 << 20)
}

impl ListColumn {
    /// Appends one array value: i32 ndim, i32 has-nulls, u32 element OID, ndim × (i32 length,
    /// i32 lower bound), then the elements (i32 length or −1, bytes) in row-major order.
    fn append(&mut self, v: &[u8]) -> Result<(), FieldError> {
        let dims = self.offsets.len();
        let Some((head, rest)) = v.split_first_chunk::<12>() else {
            return Err(FieldError::Malformed(
                format!(
                    "array field of {} bytes is shorter than its 12-byte header",
                    v.len()
                )
                .into(),
            ));
        };
        let ndim = i32::from_be_bytes([head[0], head[1], head[2], head[3]]);
        // head[4..8] (has-nulls flag) and head[8..12] (element OID) are not needed: NULLs are
        // seen per element, and the schema already fixes the element type.
        if ndim == 0 {
            // '{}': an empty list at the top level, whatever the declared dimensions.
            return self.append_empty(rest);
        }
        if ndim < 0 || ndim as usize > MAX_DIMS {
            return Err(value_error(format!(
                "invalid array header: {ndim} dimensions"
            )));
        }
        let ndim = ndim as usize;
        if ndim != dims {
            let plural = if dims == 1 { "" } else { "s" };
            return Err(unrepresentable(format!(
                "{ndim}-dimensional array in a column declared with {dims} dimension{plural}"
            )));
        }
        let Some((dim_bytes, elements)) = rest.split_at_checked(8 * ndim) else {
            return Err(value_error("invalid array header: truncated dimensions"));
        };
        let mut lens = [0i32; MAX_DIMS];
        let mut total: usize = 1;
        for (k, d) in dim_bytes.chunks_exact(8).enumerate() {
            let len = i32::from_be_bytes([d[0], d[1], d[2], d[3]]);
            let lbound = i32::from_be_bytes([d[4], d[5], d[6], d[7]]);
            if len < 0 {
                return Err(value_error(format!(
                    "invalid array header: dimension {} has length {len}",
                    k + 1
                )));
            }
            if lbound != 1 {
                return Err(unrepresentable(format!(
                    "array with lower bound {lbound} in dimension {} (a List needs lower bound 1)",
                    k + 1
                )));
            }
            lens[k] = len;
            total = total.saturating_mul(len as usize);
        }
        if total == 0 {
            // A zero-length dimension: PostgreSQL's own array_recv makes that an empty array.
            return self.append_empty(elements);
        }
        // Every element takes at least its 4-byte length word (this also bounds the work below
        // by the field's size).
        if total > elements.len() / 4 {
            return Err(value_error(format!(
                "invalid array header: {total} elements declared but only {} bytes follow",
                elements.len()
            )));
        }
        // Level k gains Π lens[..=k] ≤ total items; refuse before touching any level if that
        // would overflow a batch's i32 offsets.
        let mut gain = 1usize;
        for (offsets, &len) in self.offsets.iter().zip(&lens) {
            gain *= len as usize;
            let last = offsets.last().copied().unwrap_or(0) as usize;
            if last + gain > i32::MAX as usize {
                return Err(batch_too_large());
            }
        }
        // Offsets of every level: level k holds Π lens[..k] lists of lens[k] items each.
        let mut count = 1usize;
        for (offsets, &len) in self.offsets.iter_mut().zip(&lens) {
            let mut last = offsets.last().copied().unwrap_or(0);
            offsets.reserve(count);
            for _ in 0..count {
                last += len;
                offsets.push(last);
            }
            count *= len as usize;
        }
        self.nulls.append_non_null();
        // Elements; on an error the leaf is padded so that every level stays consistent (the
        // decoder then drops the failed row when it slices the batch).
        let target = self.leaf.len() + total;
        let result = append_elements(&mut self.leaf, elements, total);
        if result.is_err() {
            while self.leaf.len() < target {
                self.leaf.append_null();
            }
        }
        result
    }

    /// Appends an empty array (`'{}'`): an empty list at the top level.
    fn append_empty(&mut self, elements: &[u8]) -> Result<(), FieldError> {
        if !elements.is_empty() {
            return Err(value_error(format!(
                "invalid array: empty, but {} bytes of elements follow",
                elements.len()
            )));
        }
        for offsets in self.offsets.iter_mut().take(1) {
            let last = offsets.last().copied().unwrap_or(0);
            offsets.push(last);
        }
        self.nulls.append_non_null();
        Ok(())
    }

    fn finish(&mut self) -> Result<ArrayRef> {
        let mut array = self.leaf.finish()?;
        let levels = self.offsets.len();
        for k in (0..levels).rev() {
            let offsets = std::mem::replace(&mut self.offsets[k], vec![0]);
            let offsets = OffsetBuffer::new(ScalarBuffer::from(offsets));
            let nulls = if k == 0 { self.nulls.finish() } else { None };
            array = Arc::new(ListArray::try_new(
                self.fields[k].clone(),
                offsets,
                array,
                nulls,
            )?);
        }
        Ok(array)
    }
}

/// Appends `total` elements framed as (i32 length or −1, bytes); the bytes must end exactly.
fn append_elements(leaf: &mut Column, mut rest: &[u8], total: usize) -> Result<(), FieldError> {
    for _ in 0..total {
        let Some((len, tail)) = rest.split_first_chunk::<4>() else {
            return Err(value_error("invalid array: elements end early"));
        };
        let len = i32::from_be_bytes(*len);
        if len == -1 {
            leaf.append_null();
            rest = tail;
            continue;
        }
        let Some((value, tail)) = usize::try_from(len)
            .ok()
            .and_then(|n| tail.split_at_checked(n))
        else {
            return Err(value_error(format!(
                "invalid array: element length {len} overruns the field"
            )));
        };
        leaf.append(value).map_err(|e| match e {
            FieldError::Value(r) => FieldError::Value(format!("array element: {r}").into()),
            FieldError::Unrepresentable(r) => {
                FieldError::Unrepresentable(format!("array element: {r}").into())
            }
            FieldError::Malformed(r) => FieldError::Malformed(format!("array element: {r}").into()),
        })?;
        rest = tail;
    }
    if !rest.is_empty() {
        return Err(value_error(format!(
            "invalid array: {} bytes after the last declared element",
            rest.len()
        )));
    }
    Ok(())
}
