//! Golden values (the same as docs/checksum.md) and properties of the digest.
//!
//! - `golden`: canonical bytes, pinned independently of xxh3, and golden row hashes;
//! - `equality`: equal values hash equal across Arrow types, different values differently;
//! - `properties`: digest properties over generated rows, errors, the small API.

mod equality;
mod golden;
mod properties;

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::builder::{Int32Builder, ListBuilder};
use arrow_array::types::Int32Type;
use arrow_array::{
    Array, ArrayRef, BinaryArray, BooleanArray, Date32Array, Date64Array, Decimal32Array,
    Decimal128Array, Decimal256Array, DictionaryArray, DurationNanosecondArray,
    FixedSizeBinaryArray, Float16Array, Float32Array, Float64Array, Int8Array, Int16Array,
    Int32Array, Int64Array, IntervalDayTimeArray, IntervalMonthDayNanoArray,
    IntervalYearMonthArray, LargeListArray, LargeStringArray, ListArray, MapArray, NullArray,
    RecordBatch, StringArray, StringViewArray, StructArray, Time32SecondArray,
    Time64MicrosecondArray, TimestampMicrosecondArray, TimestampMillisecondArray,
    TimestampNanosecondArray, TimestampSecondArray, UInt8Array, UInt64Array,
};
use arrow_buffer::{IntervalDayTime, IntervalMonthDayNano, i256};
use arrow_schema::extension::EXTENSION_TYPE_NAME_KEY;
use arrow_schema::{DataType, Field, Schema};

use super::*;
use crate::pgtypes::{META_DECIMAL_TEXT, interval_fields, timetz_fields};

fn batch(cols: Vec<(Field, ArrayRef)>) -> RecordBatch {
    let (fields, arrays): (Vec<Field>, Vec<ArrayRef>) = cols.into_iter().unzip();
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).expect("valid batch")
}

fn one(field: Field, array: ArrayRef) -> RecordBatch {
    batch(vec![(field, array)])
}

fn col(name: &str, array: ArrayRef) -> (Field, ArrayRef) {
    (Field::new(name, array.data_type().clone(), true), array)
}

fn single(array: ArrayRef) -> RecordBatch {
    let (f, a) = col("c", array);
    one(f, a)
}

fn hashes(b: &RecordBatch) -> Vec<u128> {
    let mut out = Vec::new();
    RowHasher::try_new(b.schema_ref())
        .expect("supported")
        .hash_rows(b, &mut out)
        .expect("hash");
    out
}

fn digest(b: &RecordBatch) -> ChunkDigest {
    let mut d = ChunkDigest::default();
    d.add_batch(b).expect("hash");
    d
}

fn bytes(b: &RecordBatch, row: usize) -> String {
    let mut h = RowHasher::try_new(b.schema_ref()).expect("supported");
    hex(h.canonical_row(b, row).expect("encode"))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn json_field(name: &str) -> Field {
    Field::new(name, DataType::Utf8, true).with_metadata(HashMap::from([(
        EXTENSION_TYPE_NAME_KEY.to_string(),
        "arrow.json".to_string(),
    )]))
}

fn decimal_text_field(name: &str) -> Field {
    Field::new(name, DataType::Utf8, true).with_metadata(HashMap::from([(
        META_DECIMAL_TEXT.to_string(),
        "true".to_string(),
    )]))
}

fn dec128(values: Vec<Option<i128>>, p: u8, s: i8) -> ArrayRef {
    Arc::new(
        Decimal128Array::from(values)
            .with_precision_and_scale(p, s)
            .expect("valid"),
    )
}

fn interval_struct(m: i32, d: i32, us: i64) -> ArrayRef {
    Arc::new(StructArray::new(
        interval_fields(),
        vec![
            Arc::new(Int32Array::from(vec![m])),
            Arc::new(Int32Array::from(vec![d])),
            Arc::new(Int64Array::from(vec![us])),
        ],
        None,
    ))
}

/// Canonical bytes, spelled out: the helpers the doc's byte tables use.
fn int(v: i128) -> String {
    format!("01{}", hex(&v.to_le_bytes()))
}
fn text(s: &[u8]) -> String {
    format!("01{}{}", hex(&(s.len() as u64).to_le_bytes()), hex(s))
}
fn dec(digits: &str, exp: i32) -> String {
    format!(
        "01{}{}{}",
        hex(&(digits.len() as u64).to_le_bytes()),
        hex(digits.as_bytes()),
        hex(&exp.to_le_bytes())
    )
}
