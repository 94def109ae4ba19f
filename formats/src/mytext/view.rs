//! Typed views of a batch's arrays, bound once per `write_rows` call: the row loop then matches
//! one enum per value instead of downcasting.

use std::ops::Range;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Decimal32Type, Decimal64Type, Decimal128Type, Decimal256Type,
    DurationMicrosecondType, DurationMillisecondType, DurationNanosecondType, DurationSecondType,
    Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, Time32MillisecondType,
    Time32SecondType, Time64MicrosecondType, Time64NanosecondType, TimestampMicrosecondType,
    TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType, UInt8Type, UInt16Type,
    UInt32Type, UInt64Type,
};
use arrow_array::{
    Array, BinaryArray, BinaryViewArray, BooleanArray, FixedSizeBinaryArray, LargeBinaryArray,
    LargeStringArray, PrimitiveArray, StringArray, StringViewArray,
};
use arrow_buffer::{NullBuffer, i256};
use arrow_schema::TimeUnit;

use super::text;
use super::{Int, Kind, Layout, ListLayout, Text};

/// A column's (or nested value's) array, typed, with its validity.
pub(super) struct Col<'a> {
    pub(super) nulls: Option<&'a NullBuffer>,
    pub(super) view: View<'a>,
}

pub(super) enum View<'a> {
    Bool(&'a BooleanArray),
    Int(Ints<'a>),
    F32(&'a [f32]),
    F64(&'a [f64]),
    Dec(Decs<'a>, i8),
    Bytes(Bytes<'a>, Text),
    Date32(&'a [i32]),
    Date64(&'a [i64]),
    Timestamp(&'a [i64], TimeUnit),
    Duration(&'a [i64], TimeUnit),
    Time32(&'a [i32], TimeUnit),
    Time64(&'a [i64], TimeUnit),
    FixedBin(&'a FixedSizeBinaryArray, bool),
    Interval(Col3<'a>),
    TimeTz(
        &'a PrimitiveArray<Time64MicrosecondType>,
        &'a PrimitiveArray<Int32Type>,
    ),
    Dict {
        keys: Ints<'a>,
        values: Bytes<'a>,
        value_nulls: Option<&'a NullBuffer>,
    },
    List {
        offsets: Offsets<'a>,
        item: Box<Col<'a>>,
    },
    Struct(Vec<(&'a str, Col<'a>)>),
}

/// An interval's members.
pub(super) type Col3<'a> = (
    &'a PrimitiveArray<Int32Type>,
    &'a PrimitiveArray<Int32Type>,
    &'a PrimitiveArray<Int64Type>,
);

pub(super) enum Ints<'a> {
    I8(&'a [i8]),
    I16(&'a [i16]),
    I32(&'a [i32]),
    I64(&'a [i64]),
    U8(&'a [u8]),
    U16(&'a [u16]),
    U32(&'a [u32]),
    U64(&'a [u64]),
}

pub(super) enum Decs<'a> {
    D32(&'a [i32]),
    D64(&'a [i64]),
    D128(&'a [i128]),
    D256(&'a [i256]),
}

pub(super) enum Bytes<'a> {
    Utf8(&'a StringArray),
    LargeUtf8(&'a LargeStringArray),
    Utf8View(&'a StringViewArray),
    Binary(&'a BinaryArray),
    LargeBinary(&'a LargeBinaryArray),
    BinaryView(&'a BinaryViewArray),
}

pub(super) enum Offsets<'a> {
    List(&'a [i32]),
    Large(&'a [i64]),
    Fixed(usize),
}

fn prim<T: arrow_array::ArrowPrimitiveType>(a: &dyn Array) -> Option<&[T::Native]> {
    Some(a.as_primitive_opt::<T>()?.values())
}

impl<'a> Col<'a> {
    pub(super) fn bind(kind: &Kind, a: &'a dyn Array) -> Option<Self> {
        let unit_i64 = |u: &TimeUnit, s, ms, us, ns| match u {
            TimeUnit::Second => s,
            TimeUnit::Millisecond => ms,
            TimeUnit::Microsecond => us,
            TimeUnit::Nanosecond => ns,
        };
        let view = match kind {
            Kind::Bool => View::Bool(a.as_boolean_opt()?),
            Kind::Int(w) => View::Int(Ints::bind(*w, a)?),
            Kind::F32 => View::F32(prim::<Float32Type>(a)?),
            Kind::F64 => View::F64(prim::<Float64Type>(a)?),
            Kind::Dec(w, s) => View::Dec(
                match w {
                    4 => Decs::D32(prim::<Decimal32Type>(a)?),
                    8 => Decs::D64(prim::<Decimal64Type>(a)?),
                    16 => Decs::D128(prim::<Decimal128Type>(a)?),
                    _ => Decs::D256(prim::<Decimal256Type>(a)?),
                },
                *s,
            ),
            Kind::Bytes(layout, text) => View::Bytes(Bytes::bind(*layout, a)?, *text),
            Kind::Date32 => View::Date32(prim::<Date32Type>(a)?),
            Kind::Date64 => View::Date64(prim::<Date64Type>(a)?),
            Kind::Timestamp(u) => View::Timestamp(
                unit_i64(
                    u,
                    prim::<TimestampSecondType>(a),
                    prim::<TimestampMillisecondType>(a),
                    prim::<TimestampMicrosecondType>(a),
                    prim::<TimestampNanosecondType>(a),
                )?,
                *u,
            ),
            Kind::Duration(u) => View::Duration(
                unit_i64(
                    u,
                    prim::<DurationSecondType>(a),
                    prim::<DurationMillisecondType>(a),
                    prim::<DurationMicrosecondType>(a),
                    prim::<DurationNanosecondType>(a),
                )?,
                *u,
            ),
            Kind::Time(u @ TimeUnit::Second) => View::Time32(prim::<Time32SecondType>(a)?, *u),
            Kind::Time(u @ TimeUnit::Millisecond) => {
                View::Time32(prim::<Time32MillisecondType>(a)?, *u)
            }
            Kind::Time(u @ TimeUnit::Microsecond) => {
                View::Time64(prim::<Time64MicrosecondType>(a)?, *u)
            }
            Kind::Time(u @ TimeUnit::Nanosecond) => {
                View::Time64(prim::<Time64NanosecondType>(a)?, *u)
            }
            Kind::FixedBin { uuid } => View::FixedBin(a.as_fixed_size_binary_opt()?, *uuid),
            Kind::Interval => {
                let s = a.as_struct_opt()?;
                View::Interval((
                    s.column(0).as_primitive_opt()?,
                    s.column(1).as_primitive_opt()?,
                    s.column(2).as_primitive_opt()?,
                ))
            }
            Kind::TimeTz => {
                let s = a.as_struct_opt()?;
                View::TimeTz(
                    s.column(0).as_primitive_opt()?,
                    s.column(1).as_primitive_opt()?,
                )
            }
            Kind::Dict(k, layout) => {
                macro_rules! dict {
                    ($t:ty, $v:ident) => {{
                        let d = a.as_dictionary_opt::<$t>()?;
                        (Ints::$v(d.keys().values()), d.values().as_ref())
                    }};
                }
                let (keys, values) = match k {
                    Int::I8 => dict!(Int8Type, I8),
                    Int::I16 => dict!(Int16Type, I16),
                    Int::I32 => dict!(Int32Type, I32),
                    Int::I64 => dict!(Int64Type, I64),
                    Int::U8 => dict!(UInt8Type, U8),
                    Int::U16 => dict!(UInt16Type, U16),
                    Int::U32 => dict!(UInt32Type, U32),
                    Int::U64 => dict!(UInt64Type, U64),
                };
                View::Dict {
                    keys,
                    values: Bytes::bind(*layout, values)?,
                    value_nulls: values.nulls(),
                }
            }
            Kind::List(layout, item) => {
                let (offsets, values) = match layout {
                    ListLayout::List => {
                        let l = a.as_list_opt::<i32>()?;
                        (Offsets::List(l.value_offsets()), l.values())
                    }
                    ListLayout::Large => {
                        let l = a.as_list_opt::<i64>()?;
                        (Offsets::Large(l.value_offsets()), l.values())
                    }
                    ListLayout::Fixed => {
                        let l = a.as_fixed_size_list_opt()?;
                        (
                            Offsets::Fixed(usize::try_from(l.value_length()).ok()?),
                            l.values(),
                        )
                    }
                };
                View::List {
                    offsets,
                    item: Box::new(Col::bind(item, values.as_ref())?),
                }
            }
            Kind::Struct(kinds) => {
                let s = a.as_struct_opt()?;
                let fields = s.fields().iter().zip(s.columns()).zip(kinds);
                View::Struct(
                    fields
                        .map(|((f, c), k)| Some((f.name().as_str(), Col::bind(k, c.as_ref())?)))
                        .collect::<Option<_>>()?,
                )
            }
        };
        Some(Col {
            nulls: a.nulls(),
            view,
        })
    }

    /// NULL here, or (for a dictionary) a NULL value.
    #[inline]
    pub(super) fn is_null(&self, i: usize) -> bool {
        if self.nulls.is_some_and(|n| n.is_null(i)) {
            return true;
        }
        match &self.view {
            View::Dict {
                keys,
                value_nulls: Some(n),
                ..
            } => n.is_null(keys.get(i)),
            _ => false,
        }
    }
}

impl<'a> Ints<'a> {
    fn bind(w: Int, a: &'a dyn Array) -> Option<Self> {
        Some(match w {
            Int::I8 => Ints::I8(prim::<Int8Type>(a)?),
            Int::I16 => Ints::I16(prim::<Int16Type>(a)?),
            Int::I32 => Ints::I32(prim::<Int32Type>(a)?),
            Int::I64 => Ints::I64(prim::<Int64Type>(a)?),
            Int::U8 => Ints::U8(prim::<UInt8Type>(a)?),
            Int::U16 => Ints::U16(prim::<UInt16Type>(a)?),
            Int::U32 => Ints::U32(prim::<UInt32Type>(a)?),
            Int::U64 => Ints::U64(prim::<UInt64Type>(a)?),
        })
    }

    /// A dictionary key as an index (Arrow validates keys against the values).
    #[inline]
    pub(super) fn get(&self, i: usize) -> usize {
        match self {
            Ints::I8(v) => v[i] as usize,
            Ints::I16(v) => v[i] as usize,
            Ints::I32(v) => v[i] as usize,
            Ints::I64(v) => v[i] as usize,
            Ints::U8(v) => usize::from(v[i]),
            Ints::U16(v) => usize::from(v[i]),
            Ints::U32(v) => v[i] as usize,
            Ints::U64(v) => v[i] as usize,
        }
    }

    #[inline]
    pub(super) fn text(&self, i: usize, out: &mut Vec<u8>) {
        match self {
            Ints::I8(v) => text::i64_text(i64::from(v[i]), out),
            Ints::I16(v) => text::i64_text(i64::from(v[i]), out),
            Ints::I32(v) => text::i64_text(i64::from(v[i]), out),
            Ints::I64(v) => text::i64_text(v[i], out),
            Ints::U8(v) => text::u64_text(u64::from(v[i]), out),
            Ints::U16(v) => text::u64_text(u64::from(v[i]), out),
            Ints::U32(v) => text::u64_text(u64::from(v[i]), out),
            Ints::U64(v) => text::u64_text(v[i], out),
        }
    }
}

impl<'a> Bytes<'a> {
    fn bind(layout: Layout, a: &'a dyn Array) -> Option<Self> {
        Some(match layout {
            Layout::Utf8 => Bytes::Utf8(a.as_string_opt()?),
            Layout::LargeUtf8 => Bytes::LargeUtf8(a.as_string_opt()?),
            Layout::Utf8View => Bytes::Utf8View(a.as_string_view_opt()?),
            Layout::Binary => Bytes::Binary(a.as_binary_opt()?),
            Layout::LargeBinary => Bytes::LargeBinary(a.as_binary_opt()?),
            Layout::BinaryView => Bytes::BinaryView(a.as_binary_view_opt()?),
        })
    }

    #[inline]
    pub(super) fn get(&self, i: usize) -> &'a [u8] {
        match self {
            Bytes::Utf8(a) => a.value(i).as_bytes(),
            Bytes::LargeUtf8(a) => a.value(i).as_bytes(),
            Bytes::Utf8View(a) => a.value(i).as_bytes(),
            Bytes::Binary(a) => a.value(i),
            Bytes::LargeBinary(a) => a.value(i),
            Bytes::BinaryView(a) => a.value(i),
        }
    }
}

impl Offsets<'_> {
    /// The item indexes of list `i`.
    #[inline]
    pub(super) fn range(&self, i: usize) -> Range<usize> {
        match self {
            Offsets::List(o) => o[i] as usize..o[i + 1] as usize,
            Offsets::Large(o) => o[i] as usize..o[i + 1] as usize,
            Offsets::Fixed(n) => i * n..(i + 1) * n,
        }
    }
}
