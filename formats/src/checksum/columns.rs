//! Which canonical form each column takes (decided once per schema, [`Node`]) and the per-batch
//! view of its arrays ([`Col`]): typed slices and array refs, downcast once per batch, so the
//! per-row encoder is a `match` on an enum and slice indexing, with no dynamic dispatch and no
//! allocation (JSON excepted).

use arrow_array::cast::AsArray;
use arrow_array::types::{
    ArrowPrimitiveType, Date32Type, Date64Type, Decimal32Type, Decimal64Type, Decimal128Type,
    Decimal256Type, DurationMicrosecondType, DurationMillisecondType, DurationNanosecondType,
    DurationSecondType, Float16Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type,
    Int64Type, IntervalDayTimeType, IntervalMonthDayNanoType, IntervalYearMonthType,
    Time32MillisecondType, Time32SecondType, Time64MicrosecondType, Time64NanosecondType,
    TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{
    Array, BinaryArray, BinaryViewArray, FixedSizeBinaryArray, LargeBinaryArray, LargeStringArray,
    StringArray, StringViewArray,
};
use arrow_buffer::{BooleanBuffer, IntervalDayTime, IntervalMonthDayNano, NullBuffer, i256};
use arrow_schema::extension::EXTENSION_TYPE_NAME_KEY;
use arrow_schema::{DataType, Field, Fields, IntervalUnit, TimeUnit};

use super::{decimal, json};
use crate::error::FormatError;
use crate::pgtypes::META_DECIMAL_TEXT;

/// The canonical form of one column (or nested field), fixed by the schema.
#[derive(Debug, Clone)]
pub(super) struct Node {
    /// `col`, `col.child`, `col[]`: names the value in errors.
    pub(super) path: String,
    /// The schema's type, for error messages.
    data_type: DataType,
    kind: Kind,
}

#[derive(Debug, Clone)]
enum Kind {
    Null,
    Bool,
    Int,
    Float,
    Decimal,
    DecimalText,
    Bytes,
    Json,
    Date,
    Nanos,
    /// Arrow intervals and haul's `{months, days, micros}` struct.
    Interval,
    Struct(Vec<Node>),
    List(Box<Node>),
}

impl Node {
    /// Plans a field; fails on a type with no canonical form, naming it.
    pub(super) fn try_new(field: &Field, path: String) -> Result<Node, FormatError> {
        Self::plan(field, field.data_type(), path)
    }

    fn plan(field: &Field, dt: &DataType, path: String) -> Result<Node, FormatError> {
        use DataType as D;
        let kind = match dt {
            D::Null => Kind::Null,
            D::Boolean => Kind::Bool,
            D::Int8 | D::Int16 | D::Int32 | D::Int64 => Kind::Int,
            D::UInt8 | D::UInt16 | D::UInt32 | D::UInt64 => Kind::Int,
            D::Float16 | D::Float32 | D::Float64 => Kind::Float,
            D::Decimal32(..) | D::Decimal64(..) | D::Decimal128(..) | D::Decimal256(..) => {
                Kind::Decimal
            }
            D::Utf8 | D::LargeUtf8 | D::Utf8View => {
                let meta = field.metadata();
                let decimal_text = meta.get(META_DECIMAL_TEXT).is_some_and(|v| v == "true");
                let json = meta
                    .get(EXTENSION_TYPE_NAME_KEY)
                    .is_some_and(|v| v == "arrow.json");
                match (decimal_text, json) {
                    (true, true) => {
                        return Err(FormatError::Unsupported(format!(
                            "checksum: column `{path}` is marked both as decimal text and as \
                             arrow.json"
                        )));
                    }
                    (true, false) => Kind::DecimalText,
                    (false, true) => Kind::Json,
                    (false, false) => Kind::Bytes,
                }
            }
            D::Binary | D::LargeBinary | D::BinaryView | D::FixedSizeBinary(_) => Kind::Bytes,
            D::Date32 | D::Date64 => Kind::Date,
            D::Time32(TimeUnit::Second | TimeUnit::Millisecond)
            | D::Time64(TimeUnit::Microsecond | TimeUnit::Nanosecond)
            | D::Timestamp(..)
            | D::Duration(_) => Kind::Nanos,
            D::Interval(_) => Kind::Interval,
            D::Struct(fields) if is_interval_struct(fields) => Kind::Interval,
            D::Struct(fields) => Kind::Struct(
                fields
                    .iter()
                    .map(|f| Node::try_new(f, format!("{path}.{}", f.name())))
                    .collect::<Result<_, _>>()?,
            ),
            D::List(item)
            | D::LargeList(item)
            | D::ListView(item)
            | D::LargeListView(item)
            | D::FixedSizeList(item, _) => {
                Kind::List(Box::new(Node::try_new(item, format!("{path}[]"))?))
            }
            // The dictionary field's metadata (JSON, decimal text) describes its values.
            D::Dictionary(_, values) => return Self::plan(field, values, path),
            other => {
                return Err(FormatError::Unsupported(format!(
                    "checksum: column `{path}` has type {other}, which has no canonical form"
                )));
            }
        };
        Ok(Node {
            path,
            data_type: field.data_type().clone(),
            kind,
        })
    }

    fn mismatch(&self, array: &dyn Array) -> FormatError {
        FormatError::Unsupported(format!(
            "checksum: column `{}` is {} in the batch but {} in the hasher's schema",
            self.path,
            array.data_type(),
            self.data_type
        ))
    }
}

/// haul's interval struct (`pgtypes::interval_fields()`): exactly `months: Int32, days: Int32,
/// micros: Int64`, by name and type (nullability and metadata aside).
fn is_interval_struct(fields: &Fields) -> bool {
    let expected = [
        ("months", DataType::Int32),
        ("days", DataType::Int32),
        ("micros", DataType::Int64),
    ];
    fields.len() == expected.len()
        && fields
            .iter()
            .zip(expected.iter())
            .all(|(f, (name, dt))| f.name() == name && f.data_type() == dt)
}

/// A value that cannot be encoded (bad decimal text, a NULL inside an interval).
#[derive(Debug)]
pub(super) struct EncodeError<'a> {
    pub(super) node: &'a Node,
    pub(super) reason: String,
}

/// One column of one batch, downcast.
#[derive(Debug)]
pub(super) struct Col<'a> {
    node: &'a Node,
    nulls: Option<&'a NullBuffer>,
    vals: Vals<'a>,
}

type F16 = <Float16Type as ArrowPrimitiveType>::Native;

#[derive(Debug)]
enum Vals<'a> {
    Null,
    Bool(&'a BooleanBuffer),
    I8(&'a [i8]),
    I16(&'a [i16]),
    I32(&'a [i32]),
    I64(&'a [i64]),
    U8(&'a [u8]),
    U16(&'a [u16]),
    U32(&'a [u32]),
    U64(&'a [u64]),
    F16(&'a [F16]),
    F32(&'a [f32]),
    F64(&'a [f64]),
    D32(&'a [i32], i8),
    D64(&'a [i64], i8),
    D128(&'a [i128], i8),
    D256(&'a [i256], i8),
    Bytes(Bytes<'a>),
    DecimalText(Bytes<'a>),
    Json(Bytes<'a>),
    Date32(&'a [i32]),
    Date64(&'a [i64]),
    /// Values and nanoseconds per unit.
    Nanos32(&'a [i32], i128),
    Nanos64(&'a [i64], i128),
    YearMonth(&'a [i32]),
    DayTime(&'a [IntervalDayTime]),
    MonthDayNano(&'a [IntervalMonthDayNano]),
    IntervalStruct {
        months: &'a [i32],
        days: &'a [i32],
        micros: &'a [i64],
        nulls: [Option<&'a NullBuffer>; 3],
    },
    Struct(Vec<Col<'a>>),
    List {
        ranges: Ranges<'a>,
        items: Box<Col<'a>>,
    },
    Dict {
        keys: Keys<'a>,
        values: Box<Col<'a>>,
        len: usize,
    },
}

#[derive(Debug)]
enum Bytes<'a> {
    Utf8(&'a StringArray),
    LargeUtf8(&'a LargeStringArray),
    Utf8View(&'a StringViewArray),
    Binary(&'a BinaryArray),
    LargeBinary(&'a LargeBinaryArray),
    BinaryView(&'a BinaryViewArray),
    Fixed(&'a FixedSizeBinaryArray),
}

impl<'a> Bytes<'a> {
    fn bind(array: &'a dyn Array) -> Option<Self> {
        Some(match array.data_type() {
            DataType::Utf8 => Bytes::Utf8(array.as_string_opt()?),
            DataType::LargeUtf8 => Bytes::LargeUtf8(array.as_string_opt()?),
            DataType::Utf8View => Bytes::Utf8View(array.as_string_view_opt()?),
            DataType::Binary => Bytes::Binary(array.as_binary_opt()?),
            DataType::LargeBinary => Bytes::LargeBinary(array.as_binary_opt()?),
            DataType::BinaryView => Bytes::BinaryView(array.as_binary_view_opt()?),
            DataType::FixedSizeBinary(_) => Bytes::Fixed(array.as_fixed_size_binary_opt()?),
            _ => return None,
        })
    }

    fn is_text(&self) -> bool {
        matches!(
            self,
            Bytes::Utf8(_) | Bytes::LargeUtf8(_) | Bytes::Utf8View(_)
        )
    }

    #[inline]
    fn get(&self, i: usize) -> &'a [u8] {
        match self {
            Bytes::Utf8(a) => a.value(i).as_bytes(),
            Bytes::LargeUtf8(a) => a.value(i).as_bytes(),
            Bytes::Utf8View(a) => a.value(i).as_bytes(),
            Bytes::Binary(a) => a.value(i),
            Bytes::LargeBinary(a) => a.value(i),
            Bytes::BinaryView(a) => a.value(i),
            Bytes::Fixed(a) => a.value(i),
        }
    }
}

/// Where each list's items are in the child array.
#[derive(Debug)]
enum Ranges<'a> {
    Offsets32(&'a [i32]),
    Offsets64(&'a [i64]),
    View32 {
        offsets: &'a [i32],
        sizes: &'a [i32],
    },
    View64 {
        offsets: &'a [i64],
        sizes: &'a [i64],
    },
    Fixed(usize),
}

impl Ranges<'_> {
    /// (first item, item count) of list `i`.
    #[inline]
    fn get(&self, i: usize) -> Option<(usize, usize)> {
        let idx = |v: i64| usize::try_from(v).ok();
        match self {
            Ranges::Offsets32(o) => {
                let (a, b) = (idx(o[i].into())?, idx(o[i + 1].into())?);
                Some((a, b.checked_sub(a)?))
            }
            Ranges::Offsets64(o) => {
                let (a, b) = (idx(o[i])?, idx(o[i + 1])?);
                Some((a, b.checked_sub(a)?))
            }
            Ranges::View32 { offsets, sizes } => {
                Some((idx(offsets[i].into())?, idx(sizes[i].into())?))
            }
            Ranges::View64 { offsets, sizes } => Some((idx(offsets[i])?, idx(sizes[i])?)),
            Ranges::Fixed(size) => Some((i * size, *size)),
        }
    }
}

#[derive(Debug)]
enum Keys<'a> {
    I8(&'a [i8]),
    I16(&'a [i16]),
    I32(&'a [i32]),
    I64(&'a [i64]),
    U8(&'a [u8]),
    U16(&'a [u16]),
    U32(&'a [u32]),
    U64(&'a [u64]),
}

impl Keys<'_> {
    #[inline]
    fn get(&self, i: usize) -> Option<usize> {
        match self {
            Keys::I8(k) => usize::try_from(k[i]).ok(),
            Keys::I16(k) => usize::try_from(k[i]).ok(),
            Keys::I32(k) => usize::try_from(k[i]).ok(),
            Keys::I64(k) => usize::try_from(k[i]).ok(),
            Keys::U8(k) => Some(usize::from(k[i])),
            Keys::U16(k) => Some(usize::from(k[i])),
            Keys::U32(k) => usize::try_from(k[i]).ok(),
            Keys::U64(k) => usize::try_from(k[i]).ok(),
        }
    }
}

/// The values slice of a primitive array of type `T`, or `None` if `array` is not one.
fn prim<T: ArrowPrimitiveType>(array: &dyn Array) -> Option<&[T::Native]> {
    Some(array.as_primitive_opt::<T>()?.values())
}

const NANOS_PER_SEC: i128 = 1_000_000_000;

fn nanos_per(unit: &TimeUnit) -> i128 {
    match unit {
        TimeUnit::Second => NANOS_PER_SEC,
        TimeUnit::Millisecond => 1_000_000,
        TimeUnit::Microsecond => 1_000,
        TimeUnit::Nanosecond => 1,
    }
}

impl<'a> Col<'a> {
    /// Views `array` as `node`'s canonical form. Fails when the batch's type is not of the
    /// schema's kind (integer widths, float widths, decimal widths, string/binary layouts and
    /// time units may differ; each value is converted to the canonical form anyway).
    pub(super) fn bind(node: &'a Node, array: &'a dyn Array) -> Result<Col<'a>, FormatError> {
        Self::try_bind(node, array).ok_or_else(|| node.mismatch(array))?
    }

    fn try_bind(node: &'a Node, array: &'a dyn Array) -> Option<Result<Col<'a>, FormatError>> {
        use DataType as D;
        let dt = array.data_type();
        let nulls = array.nulls();
        if let D::Dictionary(key_type, _) = dt {
            let dict = array.as_any_dictionary_opt()?;
            let keys = dict.keys();
            let keys = match key_type.as_ref() {
                D::Int8 => Keys::I8(prim::<Int8Type>(keys)?),
                D::Int16 => Keys::I16(prim::<Int16Type>(keys)?),
                D::Int32 => Keys::I32(prim::<Int32Type>(keys)?),
                D::Int64 => Keys::I64(prim::<Int64Type>(keys)?),
                D::UInt8 => Keys::U8(prim::<UInt8Type>(keys)?),
                D::UInt16 => Keys::U16(prim::<UInt16Type>(keys)?),
                D::UInt32 => Keys::U32(prim::<UInt32Type>(keys)?),
                D::UInt64 => Keys::U64(prim::<UInt64Type>(keys)?),
                _ => return None,
            };
            let len = dict.values().len();
            return Some(Col::bind(node, dict.values().as_ref()).map(|values| Col {
                node,
                nulls,
                vals: Vals::Dict {
                    keys,
                    values: Box::new(values),
                    len,
                },
            }));
        }
        let vals = match (&node.kind, dt) {
            (Kind::Null, D::Null) => Vals::Null,
            (Kind::Bool, D::Boolean) => Vals::Bool(array.as_boolean_opt()?.values()),
            (Kind::Int, D::Int8) => Vals::I8(prim::<Int8Type>(array)?),
            (Kind::Int, D::Int16) => Vals::I16(prim::<Int16Type>(array)?),
            (Kind::Int, D::Int32) => Vals::I32(prim::<Int32Type>(array)?),
            (Kind::Int, D::Int64) => Vals::I64(prim::<Int64Type>(array)?),
            (Kind::Int, D::UInt8) => Vals::U8(prim::<UInt8Type>(array)?),
            (Kind::Int, D::UInt16) => Vals::U16(prim::<UInt16Type>(array)?),
            (Kind::Int, D::UInt32) => Vals::U32(prim::<UInt32Type>(array)?),
            (Kind::Int, D::UInt64) => Vals::U64(prim::<UInt64Type>(array)?),
            (Kind::Float, D::Float16) => Vals::F16(prim::<Float16Type>(array)?),
            (Kind::Float, D::Float32) => Vals::F32(prim::<Float32Type>(array)?),
            (Kind::Float, D::Float64) => Vals::F64(prim::<Float64Type>(array)?),
            (Kind::Decimal, D::Decimal32(_, s)) => Vals::D32(prim::<Decimal32Type>(array)?, *s),
            (Kind::Decimal, D::Decimal64(_, s)) => Vals::D64(prim::<Decimal64Type>(array)?, *s),
            (Kind::Decimal, D::Decimal128(_, s)) => Vals::D128(prim::<Decimal128Type>(array)?, *s),
            (Kind::Decimal, D::Decimal256(_, s)) => Vals::D256(prim::<Decimal256Type>(array)?, *s),
            (Kind::Bytes, _) => Vals::Bytes(Bytes::bind(array)?),
            (Kind::DecimalText, _) => Vals::DecimalText(Bytes::bind(array).filter(Bytes::is_text)?),
            (Kind::Json, _) => Vals::Json(Bytes::bind(array).filter(Bytes::is_text)?),
            (Kind::Date, D::Date32) => Vals::Date32(prim::<Date32Type>(array)?),
            (Kind::Date, D::Date64) => Vals::Date64(prim::<Date64Type>(array)?),
            (Kind::Nanos, D::Time32(u)) => {
                let v = match u {
                    TimeUnit::Second => prim::<Time32SecondType>(array)?,
                    TimeUnit::Millisecond => prim::<Time32MillisecondType>(array)?,
                    _ => return None,
                };
                Vals::Nanos32(v, nanos_per(u))
            }
            (Kind::Nanos, D::Time64(u)) => {
                let v = match u {
                    TimeUnit::Microsecond => prim::<Time64MicrosecondType>(array)?,
                    TimeUnit::Nanosecond => prim::<Time64NanosecondType>(array)?,
                    _ => return None,
                };
                Vals::Nanos64(v, nanos_per(u))
            }
            (Kind::Nanos, D::Timestamp(u, _)) => {
                let v = match u {
                    TimeUnit::Second => prim::<TimestampSecondType>(array)?,
                    TimeUnit::Millisecond => prim::<TimestampMillisecondType>(array)?,
                    TimeUnit::Microsecond => prim::<TimestampMicrosecondType>(array)?,
                    TimeUnit::Nanosecond => prim::<TimestampNanosecondType>(array)?,
                };
                Vals::Nanos64(v, nanos_per(u))
            }
            (Kind::Nanos, D::Duration(u)) => {
                let v = match u {
                    TimeUnit::Second => prim::<DurationSecondType>(array)?,
                    TimeUnit::Millisecond => prim::<DurationMillisecondType>(array)?,
                    TimeUnit::Microsecond => prim::<DurationMicrosecondType>(array)?,
                    TimeUnit::Nanosecond => prim::<DurationNanosecondType>(array)?,
                };
                Vals::Nanos64(v, nanos_per(u))
            }
            (Kind::Interval, D::Interval(IntervalUnit::YearMonth)) => {
                Vals::YearMonth(prim::<IntervalYearMonthType>(array)?)
            }
            (Kind::Interval, D::Interval(IntervalUnit::DayTime)) => {
                Vals::DayTime(prim::<IntervalDayTimeType>(array)?)
            }
            (Kind::Interval, D::Interval(IntervalUnit::MonthDayNano)) => {
                Vals::MonthDayNano(prim::<IntervalMonthDayNanoType>(array)?)
            }
            (Kind::Interval, D::Struct(_)) => {
                let s = array.as_struct_opt()?;
                let [m, d, u] = s.columns() else { return None };
                Vals::IntervalStruct {
                    months: prim::<Int32Type>(m.as_ref())?,
                    days: prim::<Int32Type>(d.as_ref())?,
                    micros: prim::<Int64Type>(u.as_ref())?,
                    nulls: [m.nulls(), d.nulls(), u.nulls()],
                }
            }
            (Kind::Struct(children), D::Struct(_)) => {
                let s = array.as_struct_opt()?;
                if s.num_columns() != children.len() {
                    return None;
                }
                let cols = children
                    .iter()
                    .zip(s.columns())
                    .map(|(n, a)| Col::bind(n, a.as_ref()));
                match cols.collect::<Result<Vec<_>, _>>() {
                    Ok(cols) => Vals::Struct(cols),
                    Err(e) => return Some(Err(e)),
                }
            }
            (Kind::List(item), _) => {
                let (ranges, values) = match dt {
                    D::List(_) => {
                        let l = array.as_list_opt::<i32>()?;
                        (Ranges::Offsets32(l.value_offsets()), l.values())
                    }
                    D::LargeList(_) => {
                        let l = array.as_list_opt::<i64>()?;
                        (Ranges::Offsets64(l.value_offsets()), l.values())
                    }
                    D::ListView(_) => {
                        let l = array.as_list_view_opt::<i32>()?;
                        (
                            Ranges::View32 {
                                offsets: l.value_offsets(),
                                sizes: l.value_sizes(),
                            },
                            l.values(),
                        )
                    }
                    D::LargeListView(_) => {
                        let l = array.as_list_view_opt::<i64>()?;
                        (
                            Ranges::View64 {
                                offsets: l.value_offsets(),
                                sizes: l.value_sizes(),
                            },
                            l.values(),
                        )
                    }
                    D::FixedSizeList(_, size) => {
                        let l = array.as_fixed_size_list_opt()?;
                        (Ranges::Fixed(usize::try_from(*size).ok()?), l.values())
                    }
                    _ => return None,
                };
                match Col::bind(item, values.as_ref()) {
                    Ok(items) => Vals::List {
                        ranges,
                        items: Box::new(items),
                    },
                    Err(e) => return Some(Err(e)),
                }
            }
            _ => return None,
        };
        Some(Ok(Col { node, nulls, vals }))
    }
}

/// `0x01` then the value as i128 LE (one fixed-size append).
#[inline]
fn put_int(out: &mut Vec<u8>, v: i128) {
    let mut enc = [1u8; 17];
    enc[1..].copy_from_slice(&v.to_le_bytes());
    out.extend_from_slice(&enc);
}

/// `0x01` then the f64 bits LE, −0.0 as +0.0 and every NaN as 0x7ff8000000000000.
#[inline]
fn put_float(out: &mut Vec<u8>, v: f64) {
    let bits: u64 = if v.is_nan() {
        0x7ff8_0000_0000_0000
    } else if v == 0.0 {
        0
    } else {
        v.to_bits()
    };
    let mut enc = [1u8; 9];
    enc[1..].copy_from_slice(&bits.to_le_bytes());
    out.extend_from_slice(&enc);
}

/// `0x01` then the u64 LE length and the bytes.
#[inline]
fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    let mut head = [1u8; 9];
    head[1..].copy_from_slice(&(b.len() as u64).to_le_bytes());
    out.extend_from_slice(&head);
    out.extend_from_slice(b);
}

/// `0x01` then an i64 LE.
#[inline]
fn put_i64(out: &mut Vec<u8>, v: i64) {
    let mut enc = [1u8; 9];
    enc[1..].copy_from_slice(&v.to_le_bytes());
    out.extend_from_slice(&enc);
}

/// `0x01` then months i32 LE, days i32 LE, nanoseconds i128 LE.
#[inline]
fn put_interval(out: &mut Vec<u8>, months: i32, days: i32, nanos: i128) {
    let mut enc = [1u8; 25];
    enc[1..5].copy_from_slice(&months.to_le_bytes());
    enc[5..9].copy_from_slice(&days.to_le_bytes());
    enc[9..].copy_from_slice(&nanos.to_le_bytes());
    out.extend_from_slice(&enc);
}

impl<'a> Col<'a> {
    /// Appends the encoding of row `i`: `0x00` for NULL, else `0x01` and the canonical bytes.
    ///
    /// The commonest flat types are handled here, inlined into the row loop; the rest go to
    /// [`encode_value`](Self::encode_value), whose full `match` makes for a heavier call.
    #[inline(always)]
    pub(super) fn encode(&self, i: usize, out: &mut Vec<u8>) -> Result<(), EncodeError<'a>> {
        if self.nulls.is_some_and(|n| n.is_null(i)) {
            out.push(0);
            return Ok(());
        }
        match &self.vals {
            Vals::I32(v) => put_int(out, v[i].into()),
            Vals::I64(v) => put_int(out, v[i].into()),
            Vals::D128(v, scale) => {
                out.push(1);
                decimal::write_i128(v[i], *scale, out);
            }
            Vals::Bytes(Bytes::Utf8(a)) => put_bytes(out, a.value(i).as_bytes()),
            Vals::Date32(v) => put_i64(out, v[i].into()),
            Vals::F64(v) => put_float(out, v[i]),
            _ => return self.encode_value(i, out),
        }
        Ok(())
    }

    /// Appends `0x01` and the canonical bytes of non-NULL row `i` (`0x00` for the Null type and
    /// for a dictionary key pointing at a NULL value).
    #[inline(never)]
    fn encode_value(&self, i: usize, out: &mut Vec<u8>) -> Result<(), EncodeError<'a>> {
        match &self.vals {
            Vals::Null => out.push(0),
            Vals::Bool(v) => put_int(out, i128::from(v.value(i))),
            Vals::I8(v) => put_int(out, v[i].into()),
            Vals::I16(v) => put_int(out, v[i].into()),
            Vals::I32(v) => put_int(out, v[i].into()),
            Vals::I64(v) => put_int(out, v[i].into()),
            Vals::U8(v) => put_int(out, v[i].into()),
            Vals::U16(v) => put_int(out, v[i].into()),
            Vals::U32(v) => put_int(out, v[i].into()),
            Vals::U64(v) => put_int(out, v[i].into()),
            Vals::F16(v) => put_float(out, v[i].to_f64()),
            Vals::F32(v) => put_float(out, v[i].into()),
            Vals::F64(v) => put_float(out, v[i]),
            Vals::D32(v, scale) => {
                out.push(1);
                decimal::write_i128(v[i].into(), *scale, out);
            }
            Vals::D64(v, scale) => {
                out.push(1);
                decimal::write_i128(v[i].into(), *scale, out);
            }
            Vals::D128(v, scale) => {
                out.push(1);
                decimal::write_i128(v[i], *scale, out);
            }
            Vals::D256(v, scale) => {
                out.push(1);
                decimal::write_i256(v[i], *scale, out);
            }
            Vals::Bytes(b) => put_bytes(out, b.get(i)),
            Vals::DecimalText(b) => {
                out.push(1);
                decimal::write_text(b.get(i), out).map_err(|reason| self.error(reason))?;
            }
            Vals::Json(b) => {
                out.push(1);
                json::write(b.get(i), out);
            }
            Vals::Date32(v) => put_i64(out, v[i].into()),
            Vals::Date64(v) => put_i64(out, v[i].div_euclid(86_400_000)),
            // |i64| · 10^9 < 2^94: no overflow in i128.
            Vals::Nanos32(v, per) => put_int(out, i128::from(v[i]) * per),
            Vals::Nanos64(v, per) => put_int(out, i128::from(v[i]) * per),
            Vals::YearMonth(v) => put_interval(out, v[i], 0, 0),
            Vals::DayTime(v) => {
                put_interval(out, 0, v[i].days, i128::from(v[i].milliseconds) * 1_000_000);
            }
            Vals::MonthDayNano(v) => {
                put_interval(out, v[i].months, v[i].days, v[i].nanoseconds.into());
            }
            Vals::IntervalStruct {
                months,
                days,
                micros,
                nulls,
            } => {
                if let Some(k) = nulls.iter().position(|n| n.is_some_and(|n| n.is_null(i))) {
                    let field = ["months", "days", "micros"][k];
                    return Err(self.error(format!("interval field `{field}` is NULL")));
                }
                put_interval(out, months[i], days[i], i128::from(micros[i]) * 1000);
            }
            Vals::Struct(children) => {
                out.push(1);
                for child in children {
                    child.encode(i, out)?;
                }
            }
            Vals::List { ranges, items } => {
                let (start, len) = ranges
                    .get(i)
                    .ok_or_else(|| self.error("invalid list offsets".into()))?;
                out.push(1);
                out.extend_from_slice(&(len as u64).to_le_bytes());
                for j in start..start + len {
                    items.encode(j, out)?;
                }
            }
            Vals::Dict { keys, values, len } => {
                let key = keys
                    .get(i)
                    .filter(|k| k < len)
                    .ok_or_else(|| self.error("dictionary key out of range".into()))?;
                // The value's own null marker: a valid key may point at a NULL value.
                values.encode(key, out)?;
            }
        }
        Ok(())
    }

    #[cold]
    fn error(&self, reason: String) -> EncodeError<'a> {
        EncodeError {
            node: self.node,
            reason,
        }
    }
}
