//! Arrow → binary `COPY … FROM STDIN (FORMAT binary)`, column by column into a caller's buffer.
//!
//! ```text
//!  RecordBatch rows [offset, offset+len), in blocks of BLOCK_ROWS:
//!    1. prepare   numerics and arrays: encode ahead into the column's scratch buffer
//!    2. sizes     per column: add each row's field size (fixed kinds: one add per row)
//!    3. layout    prefix sums → where each row starts; grow `out` once; write field counts
//!    4. write     per column: each value at its row's cursor, which then moves on
//! ```
//!
//! The stream's framing is that of the decoder (`decode.rs`): a 19-byte header, rows of an i16
//! field count and (i32 length or −1, bytes) per field, an i16 −1 trailer. Each value is the
//! exact inverse of what the decoder makes of it (`column.rs`), so `decode(encode(batch))`
//! gives the batch back and `encode(decode(stream))` gives PostgreSQL's own bytes back.
//!
//! Why column by column: each column's loop is monomorphic over a typed view of its array
//! (`values.rs`), the kind is matched once per column and block rather than per value, and
//! fixed-width sizes are a constant add. The price is a cursor per row in a block and a second
//! read of each array; both stay in cache at this block size.
//!
//! Binary COPY IN has no implicit casts (crate-facts.md §1): every column must be sent in its
//! target type exactly, which is what [`PgEncodeColumn::kind`] states.

mod array;
mod schema;
mod values;

use std::fmt;

use arrow_array::types::{
    Date32Type, Decimal128Type, Decimal256Type, Float32Type, Float64Type, Int16Type, Int32Type,
    Int64Type, Time64MicrosecondType, TimestampMicrosecondType,
};
use arrow_array::{
    Array, BinaryArray, BinaryViewArray, BooleanArray, FixedSizeBinaryArray, LargeBinaryArray,
    LargeStringArray, PrimitiveArray, RecordBatch, StringArray, StringViewArray, StructArray,
};
use arrow_buffer::NullBuffer;
use arrow_schema::{DataType, Schema};
use bytes::BytesMut;

use self::schema::{Encoding, Layout, Scalar, encoding};
use self::values::{
    Be, Bools, Dates, Decimals128, Decimals256, Intervals, Leaf, Money, NumericTexts, Offsets, Pre,
    Raw, Reason, TimeTzs, Times, Timestamps, Uuids, Values, Views,
};
use crate::pgtypes::PgKind;
use crate::{FormatError, Result};

/// The stream's header: signature, flags 0, header extension length 0.
const HEADER: &[u8; 19] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";

/// Rows per block: cursors (8 bytes a row) and the block's output (~100–300 bytes a row for
/// typical tables) stay in L2 while every column passes over them.
const BLOCK_ROWS: usize = 1024;

/// What the encoder needs per target column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgEncodeColumn {
    /// The column's name, for errors.
    pub name: String,
    /// The target column's kind: what the wire must carry (the target's exact type).
    pub kind: PgKind,
    /// For [`PgKind::Array`]: the target column's element type OID (`pg_type.typelem` of the
    /// target column's type; for enum arrays the target database's enum OID). 0 takes the
    /// builtin OID of the element kind (`text` for [`PgKind::Text`], `numeric`, `int4`, …),
    /// which is wrong for `varchar[]`, `bpchar[]`, enum arrays and arrays of domains. Ignored
    /// otherwise.
    ///
    /// PostgreSQL refuses a mismatch only when both OIDs are builtin (< 10000: "binary data
    /// has array element type 25 (text) instead of expected 1043"); for a user type it reads
    /// the elements as its own type whatever is sent (`array_recv`, checked in
    /// `engine/tests/pgcopy_encode.rs`).
    pub element_oid: u32,
}

/// Encodes record batches as a binary COPY stream for a target table's columns.
///
/// ```
/// # use std::sync::Arc;
/// # use arrow_array::{Int32Array, RecordBatch};
/// # use arrow_schema::{Field, Schema};
/// # use bytes::BytesMut;
/// # use haul_formats::pgcopy::{PgCopyEncoder, PgEncodeColumn};
/// # use haul_formats::pgtypes::PgKind;
/// let schema = Arc::new(Schema::new(vec![Field::new("id", PgKind::Int4.arrow_type(), false)]));
/// let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(Int32Array::from(vec![42]))])?;
/// let column = PgEncodeColumn { name: "id".into(), kind: PgKind::Int4, element_oid: 0 };
/// let mut encoder = PgCopyEncoder::try_new(&schema, vec![column])?;
/// let mut out = BytesMut::new();
/// PgCopyEncoder::write_header(&mut out);
/// encoder.write_batch(&batch, &mut out)?;
/// PgCopyEncoder::write_trailer(&mut out);
/// assert_eq!(&out[19..out.len() - 2], &[0, 1, 0, 0, 0, 4, 0, 0, 0, 42]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// Hazards: PostgreSQL checks what only the target knows (typmods such as `numeric(10,2)` and
/// `varchar(5)`, NOT NULL, domain and enum constraints, encodings) and fails the whole COPY at
/// the first bad row; this encoder checks what the wire types themselves cannot hold.
pub struct PgCopyEncoder {
    columns: Vec<ColumnEncoder>,
    /// Per row of the current block: its size, then where its next field goes.
    cursors: Vec<usize>,
}

impl fmt::Debug for PgCopyEncoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgCopyEncoder")
            .field("columns", &self.columns)
            .finish_non_exhaustive()
    }
}

/// One column: its encoding and the scratch buffer of values encoded ahead.
struct ColumnEncoder {
    name: String,
    /// The Arrow type `try_new` accepted (batches are checked against it).
    data_type: DataType,
    kind: PgKind,
    element_oid: u32,
    encoding: Encoding,
    pre: PreBuf,
}

impl fmt::Debug for ColumnEncoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ColumnEncoder")
            .field("name", &self.name)
            .field("encoding", &self.encoding)
            .finish_non_exhaustive()
    }
}

/// Values of one block encoded ahead: value `k` of the block is `data[ends[k]..ends[k + 1]]`
/// (empty for a NULL). Kept across blocks, so it stops allocating once grown.
#[derive(Debug, Default)]
struct PreBuf {
    data: Vec<u8>,
    ends: Vec<usize>,
}

impl PreBuf {
    fn clear(&mut self) {
        self.data.clear();
        self.ends.clear();
        self.ends.push(0);
    }

    fn view(&self, base: usize) -> Pre<'_> {
        Pre {
            data: &self.data,
            ends: &self.ends,
            base,
        }
    }
}

/// Why a value (or a whole array) could not be encoded: a value error at an array index, or an
/// array whose type is not the one the encoder was built for.
#[derive(Debug)]
struct Failure {
    index: Option<usize>,
    reason: Reason,
}

impl Failure {
    #[cold]
    fn value(index: usize, reason: Reason) -> Self {
        Self {
            index: Some(index),
            reason,
        }
    }

    #[cold]
    fn mismatch() -> Self {
        Self {
            index: None,
            reason: "array type differs from the schema's".into(),
        }
    }

    #[cold]
    fn into_error(self, column: &str) -> FormatError {
        match self.index {
            Some(row) => FormatError::Value {
                column: column.to_string(),
                row: row as u64,
                key: None,
                reason: self.reason.into_owned(),
                text_would_hold: false,
            },
            None => FormatError::Unsupported(format!("column `{column}`: {}", self.reason)),
        }
    }
}

impl PgCopyEncoder {
    /// Checks that every Arrow field of `schema` has the Arrow type `kind.arrow_type()` (or a
    /// compatible one, below) and builds one encoder per column; [`FormatError::Unsupported`]
    /// naming the column otherwise.
    ///
    /// Compatible types: any Decimal128/Decimal256 precision and scale for
    /// [`PgKind::Decimal`] (PostgreSQL rescales to the column's typmod, or refuses); LargeUtf8
    /// and Utf8View wherever Utf8 is expected; LargeBinary and BinaryView for `bytea`; any time
    /// zone for `timestamptz`; struct and list members by type, whatever their names. Money
    /// needs the money scale exactly.
    pub fn try_new(schema: &Schema, columns: Vec<PgEncodeColumn>) -> Result<Self> {
        if schema.fields().len() != columns.len() {
            return Err(FormatError::Unsupported(format!(
                "schema has {} fields but {} columns were given",
                schema.fields().len(),
                columns.len()
            )));
        }
        if columns.len() > i16::MAX as usize {
            return Err(FormatError::Unsupported(format!(
                "{} columns in one COPY",
                columns.len()
            )));
        }
        let columns = schema
            .fields()
            .iter()
            .zip(columns)
            .map(|(field, column)| {
                let dt = field.data_type();
                let encoding = encoding(&column.kind, column.element_oid, dt).ok_or_else(|| {
                    FormatError::Unsupported(format!(
                        "column `{}`: Arrow type {dt} cannot be sent as {:?} (expected {})",
                        column.name,
                        column.kind,
                        column.kind.arrow_type()
                    ))
                })?;
                Ok(ColumnEncoder {
                    name: column.name,
                    data_type: dt.clone(),
                    kind: column.kind,
                    element_oid: column.element_oid,
                    encoding,
                    pre: PreBuf::default(),
                })
            })
            .collect::<Result<_>>()?;
        Ok(Self {
            columns,
            cursors: Vec::new(),
        })
    }

    /// The 19-byte header: signature, flags 0, no header extension.
    pub fn write_header(out: &mut BytesMut) {
        out.extend_from_slice(HEADER);
    }

    /// Appends rows `[offset, offset + len)` of `batch`, so that callers can bound the output
    /// buffer (e.g. send it every ~1 MiB).
    ///
    /// A value the target type cannot take fails with [`FormatError::Value`] naming the column
    /// and the row's index in `batch` (0-based); `out` is then left as it was before the call.
    pub fn write_rows(
        &mut self,
        batch: &RecordBatch,
        offset: usize,
        len: usize,
        out: &mut BytesMut,
    ) -> Result<()> {
        self.check_batch(batch)?;
        let end = offset
            .checked_add(len)
            .filter(|&end| end <= batch.num_rows())
            .ok_or_else(|| {
                FormatError::Unsupported(format!(
                    "rows {offset}..{offset}+{len} of a batch of {} rows",
                    batch.num_rows()
                ))
            })?;
        let before = out.len();
        let mut start = offset;
        while start < end {
            let stop = end.min(start + BLOCK_ROWS);
            if let Err(e) = self.write_block(batch, start, stop, out) {
                out.truncate(before);
                return Err(e);
            }
            start = stop;
        }
        Ok(())
    }

    /// Appends every row of `batch`.
    pub fn write_batch(&mut self, batch: &RecordBatch, out: &mut BytesMut) -> Result<()> {
        self.write_rows(batch, 0, batch.num_rows(), out)
    }

    /// The trailer: an i16 −1.
    pub fn write_trailer(out: &mut BytesMut) {
        out.extend_from_slice(&(-1i16).to_be_bytes());
    }

    /// The batch has the columns and types the encoder was built for.
    fn check_batch(&self, batch: &RecordBatch) -> Result<()> {
        if batch.num_columns() != self.columns.len() {
            return Err(FormatError::Unsupported(format!(
                "batch has {} columns, the encoder {}",
                batch.num_columns(),
                self.columns.len()
            )));
        }
        for (column, array) in self.columns.iter().zip(batch.columns()) {
            let dt = array.data_type();
            // Equal types are the norm; a compatible one (other field names, say) must lead to
            // the same encoding.
            if *dt != column.data_type && !column.accepts(dt) {
                return Err(FormatError::Unsupported(format!(
                    "column `{}`: batch type {dt} differs from the schema's {}",
                    column.name, column.data_type
                )));
            }
        }
        Ok(())
    }

    /// Encodes rows `[start, end)`, at most [`BLOCK_ROWS`] of them.
    fn write_block(
        &mut self,
        batch: &RecordBatch,
        start: usize,
        end: usize,
        out: &mut BytesMut,
    ) -> Result<()> {
        let arrays = batch.columns();
        for (column, array) in self.columns.iter_mut().zip(arrays) {
            column
                .prepare(array.as_ref(), start, end)
                .map_err(|f| f.into_error(&column.name))?;
        }
        // Sizes: 2 bytes of field count, then each column's fields.
        self.cursors.clear();
        self.cursors.resize(end - start, 2);
        for (column, array) in self.columns.iter().zip(arrays) {
            column
                .add_sizes(array.as_ref(), start, &mut self.cursors)
                .map_err(|f| f.into_error(&column.name))?;
        }
        // Sizes → row starts; the field count goes first.
        let base = out.len();
        let mut total = 0usize;
        for c in &mut self.cursors {
            let size = *c;
            *c = total;
            total += size;
        }
        out.resize(base + total, 0);
        let buf = &mut out[base..];
        let count = (self.columns.len() as i16).to_be_bytes();
        for c in &mut self.cursors {
            buf[*c..*c + 2].copy_from_slice(&count);
            *c += 2;
        }
        for (column, array) in self.columns.iter().zip(arrays) {
            column
                .write(array.as_ref(), start, buf, &mut self.cursors)
                .map_err(|f| f.into_error(&column.name))?;
        }
        Ok(())
    }
}

impl ColumnEncoder {
    /// Whether a batch's (differing) type leads to this column's encoding.
    fn accepts(&self, dt: &DataType) -> bool {
        encoding(&self.kind, self.element_oid, dt).as_ref() == Some(&self.encoding)
    }

    /// Step 1: numerics and arrays are encoded ahead, into `self.pre`.
    fn prepare(&mut self, array: &dyn Array, start: usize, end: usize) -> Result<(), Failure> {
        match &self.encoding {
            Encoding::Scalar(s) if s.is_numeric() => {
                self.pre.clear();
                with_leaf(
                    s,
                    array,
                    &mut PreEncode {
                        nulls: array.nulls(),
                        start,
                        end,
                        pre: &mut self.pre,
                    },
                )
            }
            Encoding::Array(a) => {
                self.pre.clear();
                array::encode(a, array, start, end, &mut self.pre)
            }
            Encoding::Scalar(_) => Ok(()),
        }
    }

    /// Step 2: adds each row's field size (length word included) to `sizes`.
    fn add_sizes(
        &self,
        array: &dyn Array,
        start: usize,
        sizes: &mut [usize],
    ) -> Result<(), Failure> {
        let mut f = AddSizes {
            nulls: array.nulls(),
            start,
            sizes,
        };
        match &self.encoding {
            Encoding::Scalar(s) if !s.is_numeric() => with_values(s, array, &mut f),
            _ => f.call(&self.pre.view(start)),
        }
    }

    /// Step 4: writes each row's field at its cursor and moves the cursor past it.
    fn write(
        &self,
        array: &dyn Array,
        start: usize,
        buf: &mut [u8],
        cursors: &mut [usize],
    ) -> Result<(), Failure> {
        let mut f = WriteFields {
            nulls: array.nulls(),
            start,
            buf,
            cursors,
        };
        match &self.encoding {
            Encoding::Scalar(s) if !s.is_numeric() => with_values(s, array, &mut f),
            _ => f.call(&self.pre.view(start)),
        }
    }
}

// ---- Dispatch: one match per column and block, then a monomorphic loop ----

/// A pass over a column, generic over the typed view of its array.
trait ValuesFn {
    fn call<V: Values>(&mut self, v: &V) -> Result<(), Failure>;
}

/// A pass over values that only need appending (array elements, numerics encoded ahead).
trait LeafFn {
    fn call<L: Leaf>(&mut self, l: &L) -> Result<(), Failure>;
}

#[inline]
fn cast<T: 'static>(a: &dyn Array) -> Result<&T, Failure> {
    a.as_any().downcast_ref::<T>().ok_or_else(Failure::mismatch)
}

fn primitive<T: arrow_array::ArrowPrimitiveType>(a: &dyn Array) -> Result<&[T::Native], Failure> {
    Ok(cast::<PrimitiveArray<T>>(a)?.values())
}

/// Evaluates `$body` with `$b` bound to byte access of `$a` in its layout.
macro_rules! with_bytes {
    ($layout:expr, $a:expr, $b:ident => $body:expr) => {
        match $layout {
            Layout::Utf8 => {
                let $b = Offsets::from(cast::<StringArray>($a)?);
                $body
            }
            Layout::LargeUtf8 => {
                let $b = Offsets::from(cast::<LargeStringArray>($a)?);
                $body
            }
            Layout::Utf8View => {
                let $b = Views(cast::<StringViewArray>($a)?);
                $body
            }
            Layout::Binary => {
                let $b = Offsets::from(cast::<BinaryArray>($a)?);
                $body
            }
            Layout::LargeBinary => {
                let $b = Offsets::from(cast::<LargeBinaryArray>($a)?);
                $body
            }
            Layout::BinaryView => {
                let $b = Views(cast::<BinaryViewArray>($a)?);
                $body
            }
        }
    };
}

/// Runs `f` over the typed view of a non-numeric scalar column.
fn with_values<F: ValuesFn>(s: &Scalar, a: &dyn Array, f: &mut F) -> Result<(), Failure> {
    match s {
        Scalar::Bool => f.call(&Bools::new(cast::<BooleanArray>(a)?)),
        Scalar::Int2 => f.call(&Be(primitive::<Int16Type>(a)?)),
        Scalar::Int4 => f.call(&Be(primitive::<Int32Type>(a)?)),
        Scalar::Int8 => f.call(&Be(primitive::<Int64Type>(a)?)),
        Scalar::Float4 => f.call(&Be(primitive::<Float32Type>(a)?)),
        Scalar::Float8 => f.call(&Be(primitive::<Float64Type>(a)?)),
        Scalar::Money => f.call(&Money(primitive::<Decimal128Type>(a)?)),
        Scalar::Raw { layout, jsonb } => {
            with_bytes!(*layout, a, b => f.call(&Raw { b, jsonb: *jsonb }))
        }
        Scalar::Date => f.call(&Dates(primitive::<Date32Type>(a)?)),
        Scalar::Time => f.call(&Times(primitive::<Time64MicrosecondType>(a)?)),
        Scalar::Timestamp => f.call(&Timestamps(primitive::<TimestampMicrosecondType>(a)?)),
        Scalar::TimeTz => {
            f.call(&TimeTzs::new(cast::<StructArray>(a)?).ok_or_else(Failure::mismatch)?)
        }
        Scalar::Interval => {
            f.call(&Intervals::new(cast::<StructArray>(a)?).ok_or_else(Failure::mismatch)?)
        }
        Scalar::Uuid => f.call(&Uuids(cast::<FixedSizeBinaryArray>(a)?)),
        Scalar::Decimal128 { .. } | Scalar::Decimal256 { .. } | Scalar::NumericText(_) => {
            Err(Failure::mismatch())
        }
    }
}

/// Runs `f` over the typed view of any scalar column, as values to append.
fn with_leaf<F: LeafFn>(s: &Scalar, a: &dyn Array, f: &mut F) -> Result<(), Failure> {
    match s {
        Scalar::Decimal128 { scale } => f.call(&Decimals128 {
            values: primitive::<Decimal128Type>(a)?,
            scale: *scale,
        }),
        Scalar::Decimal256 { scale } => f.call(&Decimals256 {
            values: primitive::<Decimal256Type>(a)?,
            scale: *scale,
        }),
        Scalar::NumericText(layout) => with_bytes!(*layout, a, b => f.call(&NumericTexts(b))),
        _ => with_values(s, a, &mut AsLeaf(f)),
    }
}

/// Hands a [`Values`] view to a [`LeafFn`] (every view appends).
struct AsLeaf<'f, F>(&'f mut F);

impl<F: LeafFn> ValuesFn for AsLeaf<'_, F> {
    #[inline]
    fn call<V: Values>(&mut self, v: &V) -> Result<(), Failure> {
        self.0.call(v)
    }
}

#[inline(always)]
fn is_null(nulls: Option<&NullBuffer>, i: usize) -> bool {
    nulls.is_some_and(|n| n.is_null(i))
}

/// Step 1 for numerics: each value of `[start, end)` appended to the scratch buffer.
struct PreEncode<'a> {
    nulls: Option<&'a NullBuffer>,
    start: usize,
    end: usize,
    pre: &'a mut PreBuf,
}

impl LeafFn for PreEncode<'_> {
    fn call<L: Leaf>(&mut self, l: &L) -> Result<(), Failure> {
        let PreBuf { data, ends } = &mut *self.pre;
        for i in self.start..self.end {
            if !is_null(self.nulls, i) {
                l.append(i, data).map_err(|r| Failure::value(i, r))?;
            }
            ends.push(data.len());
        }
        Ok(())
    }
}

/// Step 2: field sizes.
struct AddSizes<'a> {
    nulls: Option<&'a NullBuffer>,
    start: usize,
    sizes: &'a mut [usize],
}

impl ValuesFn for AddSizes<'_> {
    #[inline]
    fn call<V: Values>(&mut self, v: &V) -> Result<(), Failure> {
        match (V::FIXED, self.nulls) {
            (Some(w), None) => self.sizes.iter_mut().for_each(|s| *s += 4 + w),
            (Some(w), Some(nulls)) => {
                for (r, s) in self.sizes.iter_mut().enumerate() {
                    *s += 4 + if nulls.is_null(self.start + r) { 0 } else { w };
                }
            }
            (None, nulls) => {
                for (r, s) in self.sizes.iter_mut().enumerate() {
                    let i = self.start + r;
                    *s += 4;
                    if !is_null(nulls, i) {
                        *s += v.width(i).map_err(|e| Failure::value(i, e))?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// Step 4: fields at the row cursors.
struct WriteFields<'a> {
    nulls: Option<&'a NullBuffer>,
    start: usize,
    buf: &'a mut [u8],
    cursors: &'a mut [usize],
}

impl ValuesFn for WriteFields<'_> {
    #[inline]
    fn call<V: Values>(&mut self, v: &V) -> Result<(), Failure> {
        for (r, c) in self.cursors.iter_mut().enumerate() {
            let i = self.start + r;
            let at = *c;
            if is_null(self.nulls, i) {
                self.buf[at..at + 4].copy_from_slice(&(-1i32).to_be_bytes());
                *c = at + 4;
                continue;
            }
            let w = match V::FIXED {
                Some(w) => w,
                None => v.width(i).map_err(|e| Failure::value(i, e))?,
            };
            self.buf[at..at + 4].copy_from_slice(&(w as i32).to_be_bytes());
            v.put(i, &mut self.buf[at + 4..at + 4 + w])
                .map_err(|e| Failure::value(i, e))?;
            *c = at + 4 + w;
        }
        Ok(())
    }
}
