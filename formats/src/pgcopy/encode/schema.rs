//! Which Arrow types carry which [`PgKind`]: the encoding of each column, fixed once at
//! `try_new` and checked again for each batch.

use arrow_schema::{DataType, Fields, TimeUnit};

use super::array::{self, ArrayEncoding};
use crate::pgtypes::PgKind;

/// Byte layout of a string or binary array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Layout {
    Utf8,
    LargeUtf8,
    Utf8View,
    Binary,
    LargeBinary,
    BinaryView,
}

/// How a scalar (or an array's element) is encoded: the kind with the Arrow layout it comes in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Scalar {
    Bool,
    Int2,
    Int4,
    Int8,
    Float4,
    Float8,
    Decimal128 {
        scale: i8,
    },
    Decimal256 {
        scale: i8,
    },
    NumericText(Layout),
    Money,
    /// Text, json, bytea: the bytes as they are; jsonb: a version byte first.
    Raw {
        layout: Layout,
        jsonb: bool,
    },
    Date,
    Time,
    TimeTz,
    Timestamp,
    Interval,
    Uuid,
}

impl Scalar {
    /// Encoded ahead into a scratch buffer: a numeric's width is known only once encoded.
    pub(super) fn is_numeric(&self) -> bool {
        matches!(
            self,
            Self::Decimal128 { .. } | Self::Decimal256 { .. } | Self::NumericText(_)
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Encoding {
    Scalar(Scalar),
    Array(ArrayEncoding),
}

/// The encoding of `kind` from Arrow type `dt`, if `dt` can carry it.
pub(super) fn encoding(kind: &PgKind, element_oid: u32, dt: &DataType) -> Option<Encoding> {
    match kind {
        PgKind::Array { element, dims } => {
            let dims = usize::from(*dims);
            if !(1..=array::MAX_DIMS).contains(&dims) || matches!(**element, PgKind::Array { .. }) {
                return None;
            }
            let mut t = dt;
            for _ in 0..dims {
                let DataType::List(item) = t else {
                    return None;
                };
                t = item.data_type();
            }
            let element_oid = match element_oid {
                0 => builtin_oid(element)?,
                oid => oid,
            };
            Some(Encoding::Array(ArrayEncoding {
                dims,
                element_oid,
                leaf: scalar(element, t)?,
            }))
        }
        _ => scalar(kind, dt).map(Encoding::Scalar),
    }
}

/// The encoding of a scalar kind from Arrow type `dt`.
fn scalar(kind: &PgKind, dt: &DataType) -> Option<Scalar> {
    use DataType as D;
    Some(match (kind, dt) {
        (PgKind::Bool, D::Boolean) => Scalar::Bool,
        (PgKind::Int2, D::Int16) => Scalar::Int2,
        (PgKind::Int4, D::Int32) => Scalar::Int4,
        (PgKind::Int8, D::Int64) => Scalar::Int8,
        (PgKind::Float4, D::Float32) => Scalar::Float4,
        (PgKind::Float8, D::Float64) => Scalar::Float8,
        (PgKind::Decimal { .. }, D::Decimal128(_, scale)) => Scalar::Decimal128 { scale: *scale },
        (PgKind::Decimal { .. }, D::Decimal256(_, scale)) => Scalar::Decimal256 { scale: *scale },
        (PgKind::NumericText, _) => Scalar::NumericText(text_layout(dt)?),
        (PgKind::Money { scale }, D::Decimal128(_, s)) if s == scale => Scalar::Money,
        (PgKind::Text | PgKind::Json, _) => Scalar::Raw {
            layout: text_layout(dt)?,
            jsonb: false,
        },
        (PgKind::Jsonb, _) => Scalar::Raw {
            layout: text_layout(dt)?,
            jsonb: true,
        },
        (PgKind::Bytea, _) => Scalar::Raw {
            layout: binary_layout(dt)?,
            jsonb: false,
        },
        (PgKind::Date, D::Date32) => Scalar::Date,
        (PgKind::Time, D::Time64(TimeUnit::Microsecond)) => Scalar::Time,
        (PgKind::TimeTz, D::Struct(f))
            if members(f, &[D::Time64(TimeUnit::Microsecond), D::Int32]) =>
        {
            Scalar::TimeTz
        }
        (PgKind::Timestamp, D::Timestamp(TimeUnit::Microsecond, None))
        | (PgKind::TimestampTz, D::Timestamp(TimeUnit::Microsecond, Some(_))) => Scalar::Timestamp,
        (PgKind::Interval, D::Struct(f)) if members(f, &[D::Int32, D::Int32, D::Int64]) => {
            Scalar::Interval
        }
        (PgKind::Uuid, D::FixedSizeBinary(16)) => Scalar::Uuid,
        _ => return None,
    })
}

/// A struct's members have these types, in this order.
fn members(fields: &Fields, types: &[DataType]) -> bool {
    fields.len() == types.len() && fields.iter().zip(types).all(|(f, t)| f.data_type() == t)
}

fn text_layout(dt: &DataType) -> Option<Layout> {
    match dt {
        DataType::Utf8 => Some(Layout::Utf8),
        DataType::LargeUtf8 => Some(Layout::LargeUtf8),
        DataType::Utf8View => Some(Layout::Utf8View),
        _ => None,
    }
}

fn binary_layout(dt: &DataType) -> Option<Layout> {
    match dt {
        DataType::Binary => Some(Layout::Binary),
        DataType::LargeBinary => Some(Layout::LargeBinary),
        DataType::BinaryView => Some(Layout::BinaryView),
        _ => None,
    }
}

/// The builtin element type OID of a kind (pg_type.dat); `None` where only the target knows.
fn builtin_oid(kind: &PgKind) -> Option<u32> {
    Some(match kind {
        PgKind::Bool => 16,
        PgKind::Bytea => 17,
        PgKind::Int8 => 20,
        PgKind::Int2 => 21,
        PgKind::Int4 => 23,
        PgKind::Text => 25,
        PgKind::Json => 114,
        PgKind::Float4 => 700,
        PgKind::Float8 => 701,
        PgKind::Money { .. } => 790,
        PgKind::Date => 1082,
        PgKind::Time => 1083,
        PgKind::Timestamp => 1114,
        PgKind::TimestampTz => 1184,
        PgKind::Interval => 1186,
        PgKind::TimeTz => 1266,
        PgKind::Decimal { .. } | PgKind::NumericText => 1700,
        PgKind::Uuid => 2950,
        PgKind::Jsonb => 3802,
        PgKind::Array { .. } => return None,
    })
}
