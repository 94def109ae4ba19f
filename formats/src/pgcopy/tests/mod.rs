//! Decoder tests: hand-built streams (this file) and streams captured from PostgreSQL 15
//! (`golden.rs`).
#![expect(clippy::unwrap_used, reason = "tests")]

mod golden;

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Decimal128Type, Decimal256Type, Float32Type, Float64Type, Int16Type, Int32Type,
    Int64Type, Time64MicrosecondType, TimestampMicrosecondType,
};
use arrow_array::{Array, RecordBatch};
use arrow_buffer::i256;
use arrow_schema::{Field, Schema, SchemaRef};

use super::PgCopyDecoder;
use crate::FormatError;
use crate::pgtypes::{PG_EPOCH_MICROS, PgKind};

const HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";
const TRAILER: &[u8] = &[0xff, 0xff];

/// One row: field count, then (length, bytes) per field, −1 for NULL.
fn row(fields: &[Option<&[u8]>]) -> Vec<u8> {
    let mut out = (fields.len() as i16).to_be_bytes().to_vec();
    for f in fields {
        match f {
            None => out.extend_from_slice(&(-1i32).to_be_bytes()),
            Some(v) => {
                out.extend_from_slice(&(v.len() as i32).to_be_bytes());
                out.extend_from_slice(v);
            }
        }
    }
    out
}

/// Header, rows, trailer.
fn stream(rows: &[Vec<u8>]) -> Vec<u8> {
    let mut out = HEADER.to_vec();
    for r in rows {
        out.extend_from_slice(r);
    }
    out.extend_from_slice(TRAILER);
    out
}

/// A numeric's binary form.
fn num(weight: i16, sign: u16, dscale: u16, digits: &[u16]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&(digits.len() as i16).to_be_bytes());
    out.extend_from_slice(&weight.to_be_bytes());
    out.extend_from_slice(&sign.to_be_bytes());
    out.extend_from_slice(&dscale.to_be_bytes());
    for d in digits {
        out.extend_from_slice(&d.to_be_bytes());
    }
    out
}

/// An array's binary form: dims as (length, lower bound), elements.
fn array(dims: &[(i32, i32)], elements: &[Option<&[u8]>]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&(dims.len() as i32).to_be_bytes());
    out.extend_from_slice(&i32::from(elements.iter().any(Option::is_none)).to_be_bytes());
    out.extend_from_slice(&23u32.to_be_bytes());
    for (len, lb) in dims {
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&lb.to_be_bytes());
    }
    out.extend_from_slice(&row(elements)[2..]);
    out
}

/// Columns `c0..` of the kinds' Arrow types, nullable.
fn schema(kinds: &[PgKind]) -> SchemaRef {
    let fields: Vec<Field> = kinds
        .iter()
        .enumerate()
        .map(|(i, k)| Field::new(format!("c{i}"), k.arrow_type(), true))
        .collect();
    Arc::new(Schema::new(fields))
}

fn named(cols: &[(&str, PgKind)]) -> (SchemaRef, Vec<PgKind>) {
    let fields: Vec<Field> = cols
        .iter()
        .map(|(n, k)| Field::new(*n, k.arrow_type(), true))
        .collect();
    (
        Arc::new(Schema::new(fields)),
        cols.iter().map(|(_, k)| k.clone()).collect(),
    )
}

/// Decodes `bytes` fed in pieces of `chunk` bytes (0 = all at once) into one batch.
fn decode_in(
    schema: &SchemaRef,
    kinds: &[PgKind],
    keys: &[usize],
    bytes: &[u8],
    chunk: usize,
) -> Result<RecordBatch, FormatError> {
    let mut d = PgCopyDecoder::try_new(schema.clone(), kinds.to_vec(), keys.to_vec())?;
    if chunk == 0 {
        d.feed(bytes)?;
    } else {
        for piece in bytes.chunks(chunk) {
            d.feed(piece)?;
        }
    }
    d.finish()?;
    Ok(d.finish_batch()?
        .unwrap_or_else(|| RecordBatch::new_empty(schema.clone())))
}

/// Decodes all at once, then byte by byte and in odd pieces, and checks every split agrees.
fn decode_all_splits(schema: &SchemaRef, kinds: &[PgKind], bytes: &[u8]) -> RecordBatch {
    let whole = decode_in(schema, kinds, &[], bytes, 0).unwrap();
    for chunk in [1, 2, 3, 7, 13, 64] {
        let split = decode_in(schema, kinds, &[], bytes, chunk).unwrap();
        assert_eq!(
            whole, split,
            "feeding {chunk} bytes at a time changed the result"
        );
    }
    whole
}

/// The error of decoding `bytes` whole (and checks a 1-byte split gives the same text).
fn decode_err(schema: &SchemaRef, kinds: &[PgKind], keys: &[usize], bytes: &[u8]) -> FormatError {
    let whole = decode_in(schema, kinds, keys, bytes, 0).unwrap_err();
    let bytewise = decode_in(schema, kinds, keys, bytes, 1).unwrap_err();
    assert_eq!(whole.to_string(), bytewise.to_string());
    whole
}

fn value_err(e: FormatError) -> (String, u64, Option<String>, String) {
    match e {
        // The flag shows in the reason so expectations pin it: " [text would hold]".
        FormatError::Value {
            column,
            row,
            key,
            reason,
            text_would_hold,
        } => {
            let mark = if text_would_hold {
                " [text would hold]"
            } else {
                ""
            };
            (column, row, key, format!("{reason}{mark}"))
        }
        other => panic!("expected a value error, got {other:?}"),
    }
}

fn malformed_reason(e: FormatError) -> String {
    match e {
        FormatError::Malformed {
            format: "binary COPY",
            reason,
        } => reason,
        other => panic!("expected a malformed-stream error, got {other:?}"),
    }
}

const UUID: [u8; 16] = [
    0xa0, 0xee, 0xbc, 0x99, 0x9c, 0x0b, 0x4e, 0xf8, 0xbb, 0x6d, 0x6b, 0xb9, 0xbd, 0x38, 0x0a, 0x11,
];

fn scalar_kinds() -> Vec<PgKind> {
    vec![
        PgKind::Bool,
        PgKind::Int2,
        PgKind::Int4,
        PgKind::Int8,
        PgKind::Float4,
        PgKind::Float8,
        PgKind::Decimal {
            precision: 10,
            scale: 2,
        },
        PgKind::NumericText,
        PgKind::Money { scale: 2 },
        PgKind::Text,
        PgKind::Bytea,
        PgKind::Date,
        PgKind::Time,
        PgKind::TimeTz,
        PgKind::Timestamp,
        PgKind::TimestampTz,
        PgKind::Interval,
        PgKind::Uuid,
        PgKind::Json,
        PgKind::Jsonb,
        PgKind::Decimal {
            precision: 60,
            scale: 3,
        },
    ]
}

fn scalar_rows() -> Vec<Vec<u8>> {
    let mut timetz = 3_600_000_000i64.to_be_bytes().to_vec();
    timetz.extend_from_slice(&(-19_800i32).to_be_bytes());
    let mut interval = 3_000_004i64.to_be_bytes().to_vec();
    interval.extend_from_slice(&2i32.to_be_bytes());
    interval.extend_from_slice(&1i32.to_be_bytes());
    let dec = num(1, 0x4000, 2, &[1, 2345, 6700]); // -12345.67
    let text = num(-1, 0, 4, &[1200]); // 0.1200
    let big = num(0, 0, 3, &[7, 5000]); // 7.500
    let values: Vec<Vec<u8>> = vec![
        vec![1],
        (-2i16).to_be_bytes().to_vec(),
        i32::MIN.to_be_bytes().to_vec(),
        i64::MAX.to_be_bytes().to_vec(),
        (-0.0f32).to_be_bytes().to_vec(),
        f64::NEG_INFINITY.to_be_bytes().to_vec(),
        dec,
        text,
        (-1234i64).to_be_bytes().to_vec(),
        "ünï\tcode ✓".as_bytes().to_vec(),
        vec![0, 0xff],
        (-1i32).to_be_bytes().to_vec(),
        45_296_789_000i64.to_be_bytes().to_vec(),
        timetz,
        0i64.to_be_bytes().to_vec(),
        i64::MIN.to_be_bytes().to_vec(),
        interval,
        UUID.to_vec(),
        br#"{"a": 1}"#.to_vec(),
        b"\x01[1, 2]".to_vec(),
        big,
    ];
    let full = row(&values
        .iter()
        .map(|v| Some(v.as_slice()))
        .collect::<Vec<_>>());
    let nulls = row(&vec![None; values.len()]);
    vec![full, nulls]
}

#[test]
fn every_scalar_kind_decodes() {
    let kinds = scalar_kinds();
    let schema = schema(&kinds);
    let b = decode_all_splits(&schema, &kinds, &stream(&scalar_rows()));
    assert_eq!(b.num_rows(), 2);
    for c in b.columns() {
        assert!(c.is_valid(0) && c.is_null(1), "{:?}", c.data_type());
    }
    assert!(b.column(0).as_boolean().value(0));
    assert_eq!(b.column(1).as_primitive::<Int16Type>().value(0), -2);
    assert_eq!(b.column(2).as_primitive::<Int32Type>().value(0), i32::MIN);
    assert_eq!(b.column(3).as_primitive::<Int64Type>().value(0), i64::MAX);
    assert_eq!(
        b.column(4).as_primitive::<Float32Type>().value(0).to_bits(),
        0x8000_0000
    );
    assert_eq!(
        b.column(5).as_primitive::<Float64Type>().value(0),
        f64::NEG_INFINITY
    );
    assert_eq!(
        b.column(6).as_primitive::<Decimal128Type>().value(0),
        -1_234_567
    );
    assert_eq!(b.column(7).as_string::<i32>().value(0), "0.1200");
    assert_eq!(b.column(8).as_primitive::<Decimal128Type>().value(0), -1234);
    assert_eq!(b.column(9).as_string::<i32>().value(0), "ünï\tcode ✓");
    assert_eq!(b.column(10).as_binary::<i32>().value(0), &[0, 0xff]);
    assert_eq!(b.column(11).as_primitive::<Date32Type>().value(0), 10_956);
    assert_eq!(
        b.column(12)
            .as_primitive::<Time64MicrosecondType>()
            .value(0),
        45_296_789_000
    );
    let tz = b.column(13).as_struct();
    assert_eq!(
        tz.column(0)
            .as_primitive::<Time64MicrosecondType>()
            .value(0),
        3_600_000_000
    );
    assert_eq!(tz.column(1).as_primitive::<Int32Type>().value(0), 19_800);
    assert_eq!(
        b.column(14)
            .as_primitive::<TimestampMicrosecondType>()
            .value(0),
        PG_EPOCH_MICROS
    );
    assert_eq!(
        b.column(15)
            .as_primitive::<TimestampMicrosecondType>()
            .value(0),
        i64::MIN
    );
    let iv = b.column(16).as_struct();
    assert_eq!(iv.column(0).as_primitive::<Int32Type>().value(0), 1);
    assert_eq!(iv.column(1).as_primitive::<Int32Type>().value(0), 2);
    assert_eq!(iv.column(2).as_primitive::<Int64Type>().value(0), 3_000_004);
    assert_eq!(b.column(17).as_fixed_size_binary().value(0), &UUID);
    assert_eq!(b.column(18).as_string::<i32>().value(0), r#"{"a": 1}"#);
    assert_eq!(b.column(19).as_string::<i32>().value(0), "[1, 2]");
    assert_eq!(
        b.column(20).as_primitive::<Decimal256Type>().value(0),
        i256::from_i128(7500)
    );
    assert_eq!(b.schema(), schema);
}

#[test]
fn any_split_gives_the_same_batch() {
    let kinds = scalar_kinds();
    let schema = schema(&kinds);
    let rows = scalar_rows();
    let bytes = stream(&[
        rows[0].clone(),
        rows[1].clone(),
        rows[0].clone(),
        rows[0].clone(),
    ]);
    let whole = decode_all_splits(&schema, &kinds, &bytes);
    assert_eq!(whole.num_rows(), 4);
    // One row per feed, as tokio-postgres hands them over (header with row 1, trailer alone).
    let mut d = PgCopyDecoder::try_new(schema.clone(), kinds.clone(), vec![]).unwrap();
    let mut first = HEADER.to_vec();
    first.extend_from_slice(&rows[0]);
    d.feed(&first).unwrap();
    for r in [&rows[1], &rows[0], &rows[0]] {
        d.feed(r).unwrap();
    }
    d.feed(TRAILER).unwrap();
    d.finish().unwrap();
    assert_eq!(d.finish_batch().unwrap().unwrap(), whole);
    // Every single cut point.
    for cut in 0..=bytes.len() {
        let mut d = PgCopyDecoder::try_new(schema.clone(), kinds.clone(), vec![]).unwrap();
        d.feed(&bytes[..cut]).unwrap();
        d.feed(&[]).unwrap();
        d.feed(&bytes[cut..]).unwrap();
        d.finish().unwrap();
        assert_eq!(d.finish_batch().unwrap().unwrap(), whole, "cut at {cut}");
    }
}

#[test]
fn header_extension_is_skipped() {
    let kinds = vec![PgKind::Int4];
    let schema = schema(&kinds);
    let mut bytes = b"PGCOPY\n\xff\r\n\0".to_vec();
    bytes.extend_from_slice(&0x0000_00ffu32.to_be_bytes()); // non-critical flag bits: ignored
    bytes.extend_from_slice(&5i32.to_be_bytes());
    bytes.extend_from_slice(b"ext!!");
    bytes.extend_from_slice(&row(&[Some(&7i32.to_be_bytes())]));
    bytes.extend_from_slice(TRAILER);
    let b = decode_all_splits(&schema, &kinds, &bytes);
    assert_eq!(b.column(0).as_primitive::<Int32Type>().values(), &[7]);
}

#[test]
fn empty_stream_and_zero_columns() {
    let kinds = vec![PgKind::Int4];
    let schema1 = schema(&kinds);
    let b = decode_all_splits(&schema1, &kinds, &stream(&[]));
    assert_eq!(b.num_rows(), 0);
    let empty = schema(&[]);
    let b = decode_all_splits(&empty, &[], &stream(&[row(&[]), row(&[]), row(&[])]));
    assert_eq!(b.num_rows(), 3);
}

#[test]
fn malformed_streams_are_rejected() {
    let kinds = vec![PgKind::Int4, PgKind::Text];
    let schema = schema(&kinds);
    let ok = row(&[Some(&1i32.to_be_bytes()), Some(b"a")]);
    let check = |bytes: &[u8], want: &str| {
        let reason = malformed_reason(decode_err(&schema, &kinds, &[], bytes));
        assert!(reason.contains(want), "{reason:?} should contain {want:?}");
    };
    check(
        b"PGCOPY\n\xfe\r\n\0\0\0\0\0\0\0\0\0\xff\xff",
        "bad signature",
    );
    check(b"COPY", "bad signature");
    let mut oids = b"PGCOPY\n\xff\r\n\0".to_vec();
    oids.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]);
    check(&oids, "OIDs");
    let mut critical = b"PGCOPY\n\xff\r\n\0".to_vec();
    critical.extend_from_slice(&[0x80, 0, 0, 0, 0, 0, 0, 0]);
    check(&critical, "critical");
    check(
        &stream(&[ok.clone(), row(&[Some(&1i32.to_be_bytes())])]),
        "row 2 has 1 fields, expected 2",
    );
    check(
        &stream(&[row(&[Some(&[0, 0, 1]), Some(b"a")])]),
        "column `c0`, row 1: int4 field of 3 bytes (expected 4)",
    );
    let mut bad_len = ok.clone();
    bad_len[2..6].copy_from_slice(&(-2i32).to_be_bytes());
    check(&stream(&[bad_len]), "row 1, field 1: invalid length -2");
    let mut after = stream(std::slice::from_ref(&ok));
    after.push(0);
    check(&after, "1 bytes after the trailer");

    // Truncation is found by finish().
    let finish_err = |bytes: &[u8]| {
        let mut d = PgCopyDecoder::try_new(schema.clone(), kinds.clone(), vec![]).unwrap();
        d.feed(bytes).unwrap();
        malformed_reason(d.finish().unwrap_err())
    };
    let full = stream(&[ok.clone(), ok.clone()]);
    assert!(finish_err(&full[..10]).contains("inside the header"));
    assert!(
        finish_err(&full[..HEADER.len() + ok.len()]).contains("after 1 rows without the trailer")
    );
    assert!(finish_err(&full[..HEADER.len() + ok.len() + 5]).contains("inside row 2 (5 bytes"));
    assert!(finish_err(&[]).contains("inside the header (0 bytes)"));
}

#[test]
fn an_error_stops_the_decoder_but_keeps_earlier_rows() {
    let kinds = vec![PgKind::Int4, PgKind::Text, PgKind::Int4];
    let schema = schema(&kinds);
    let good = row(&[
        Some(&1i32.to_be_bytes()),
        Some(b"a"),
        Some(&2i32.to_be_bytes()),
    ]);
    let bad = row(&[
        Some(&3i32.to_be_bytes()),
        Some(b"\xff"),
        Some(&4i32.to_be_bytes()),
    ]);
    let mut d = PgCopyDecoder::try_new(schema, kinds, vec![0]).unwrap();
    let mut bytes = HEADER.to_vec();
    bytes.extend_from_slice(&good);
    bytes.extend_from_slice(&good);
    bytes.extend_from_slice(&bad);
    bytes.extend_from_slice(&good);
    let (column, row_no, key, reason) = value_err(d.feed(&bytes).unwrap_err());
    assert_eq!(
        (column.as_str(), row_no, key.as_deref()),
        ("c1", 3, Some("(c0)=(3)"))
    );
    assert_eq!(reason, "invalid UTF-8 at byte 0 of a 1-byte value");
    assert!(d.feed(TRAILER).is_err());
    assert!(d.finish().is_err());
    assert_eq!(d.buffered_rows(), 2);
    let b = d.finish_batch().unwrap().unwrap();
    assert_eq!(b.num_rows(), 2);
    assert_eq!(b.column(0).len(), 2);
    assert_eq!(b.column(2).as_primitive::<Int32Type>().values(), &[2, 2]);
}

#[test]
fn batches_counts_and_schema_metadata() {
    use arrow_schema::extension::Uuid;
    let kinds = vec![PgKind::Int8, PgKind::Uuid, PgKind::Text];
    let meta: std::collections::HashMap<String, String> =
        [("haul.pg.type".to_string(), "bigint".to_string())]
            .into_iter()
            .collect();
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false).with_metadata(meta),
        Field::new("u", DataType::FixedSizeBinary(16), true).with_extension_type(Uuid),
        Field::new("t", DataType::Utf8, true),
    ]));
    let mut d = PgCopyDecoder::try_new(schema.clone(), kinds, vec![0]).unwrap();
    assert_eq!(d.finish_batch().unwrap(), None);
    let r = row(&[Some(&5i64.to_be_bytes()), Some(&UUID), Some(b"hello")]);
    let mut first = HEADER.to_vec();
    first.extend_from_slice(&r);
    d.feed(&first).unwrap();
    d.feed(&r).unwrap();
    assert_eq!(d.buffered_rows(), 2);
    assert_eq!(d.buffered_bytes(), 2 * r.len());
    let b = d.finish_batch().unwrap().unwrap();
    assert_eq!(b.schema(), schema);
    assert_eq!(
        b.schema().field(1).extension_type_name(),
        Some("arrow.uuid")
    );
    assert_eq!((d.buffered_rows(), d.buffered_bytes()), (0, 0));
    assert_eq!(d.finish_batch().unwrap(), None);
    d.feed(&r).unwrap();
    d.feed(TRAILER).unwrap();
    d.finish().unwrap();
    assert_eq!(d.finish_batch().unwrap().unwrap().num_rows(), 1);
    assert_eq!(d.rows_decoded(), 3);
    // NULL in a NOT NULL column is a value error naming the column.
    let mut d = PgCopyDecoder::try_new(
        schema,
        vec![PgKind::Int8, PgKind::Uuid, PgKind::Text],
        vec![2],
    )
    .unwrap();
    let mut bytes = HEADER.to_vec();
    bytes.extend_from_slice(&row(&[None, None, Some(b"it's")]));
    let (column, row_no, key, reason) = value_err(d.feed(&bytes).unwrap_err());
    assert_eq!((column.as_str(), row_no), ("id", 1));
    assert_eq!(key.as_deref(), Some("(t)=('it''s')"));
    assert!(reason.contains("NOT NULL"));
}

use arrow_schema::DataType;

#[test]
fn schema_must_match_the_kinds() {
    let s = Arc::new(Schema::new(vec![Field::new("a", DataType::Int64, true)]));
    let e = PgCopyDecoder::try_new(s.clone(), vec![PgKind::Int4], vec![]).unwrap_err();
    assert!(
        matches!(e, FormatError::Unsupported(ref m) if m.contains("column `a`")),
        "{e}"
    );
    assert!(PgCopyDecoder::try_new(s.clone(), vec![], vec![]).is_err());
    assert!(PgCopyDecoder::try_new(s, vec![PgKind::Int8], vec![1]).is_err());
    // A list whose item field lacks the uuid extension is not what PgKind produces.
    let kind = PgKind::Array {
        element: Box::new(PgKind::Uuid),
        dims: 1,
    };
    let plain = DataType::List(Arc::new(Field::new(
        "item",
        DataType::FixedSizeBinary(16),
        true,
    )));
    let s = Arc::new(Schema::new(vec![Field::new("a", plain, true)]));
    assert!(PgCopyDecoder::try_new(s, vec![kind], vec![]).is_err());
}

mod arrays;
mod encode;
mod values;
