//! Encoder tests: Arrow → binary COPY → Arrow round trips through [`PgCopyDecoder`], value and
//! schema errors, sliced batches and `write_rows` pieces, and a seeded property test over random
//! decimals. Byte-exact tests against PostgreSQL's own streams are in `encode/golden.rs`.

mod golden;
mod random;

use arrow_array::builder::{Int32Builder, ListBuilder, StringBuilder};
use arrow_array::{
    ArrayRef, BinaryViewArray, BooleanArray, Date32Array, Decimal128Array, Decimal256Array,
    Float32Array, Float64Array, Int16Array, Int32Array, Int64Array, LargeBinaryArray,
    LargeStringArray, ListArray, StringArray, StringViewArray, StructArray, Time64MicrosecondArray,
    TimestampMicrosecondArray,
};
use bytes::BytesMut;

use super::*;
use crate::pgcopy::{PgCopyEncoder, PgEncodeColumn};
use crate::pgtypes::{PG_EPOCH_DAYS, interval_fields, timetz_fields};

/// Encoder columns for `kinds`, named after the schema, builtin element OIDs.
fn columns(schema: &Schema, kinds: &[PgKind]) -> Vec<PgEncodeColumn> {
    schema
        .fields()
        .iter()
        .zip(kinds)
        .map(|(f, k)| PgEncodeColumn {
            name: f.name().clone(),
            kind: k.clone(),
            element_oid: 0,
        })
        .collect()
}

fn encoder(batch: &RecordBatch, kinds: &[PgKind]) -> PgCopyEncoder {
    PgCopyEncoder::try_new(&batch.schema(), columns(&batch.schema(), kinds)).unwrap()
}

/// Header, every row, trailer.
fn encode(batch: &RecordBatch, kinds: &[PgKind]) -> Result<Vec<u8>, FormatError> {
    let mut out = BytesMut::new();
    PgCopyEncoder::write_header(&mut out);
    encoder(batch, kinds).write_batch(batch, &mut out)?;
    PgCopyEncoder::write_trailer(&mut out);
    Ok(out.to_vec())
}

/// Encodes in `write_rows` pieces of `piece` rows through one encoder.
fn encode_in_pieces(batch: &RecordBatch, kinds: &[PgKind], piece: usize) -> Vec<u8> {
    let mut enc = encoder(batch, kinds);
    let mut out = BytesMut::new();
    PgCopyEncoder::write_header(&mut out);
    let mut at = 0;
    while at < batch.num_rows() {
        let len = piece.min(batch.num_rows() - at);
        enc.write_rows(batch, at, len, &mut out).unwrap();
        at += len;
    }
    PgCopyEncoder::write_trailer(&mut out);
    out.to_vec()
}

/// Encodes `batch` (whole and in pieces, which must agree), decodes it back and checks that the
/// decoder gives the same batch. Returns the stream.
fn round_trip(batch: &RecordBatch, kinds: &[PgKind]) -> Vec<u8> {
    let bytes = encode(batch, kinds).unwrap();
    for piece in [1, 3, 1000] {
        assert_eq!(
            encode_in_pieces(batch, kinds, piece),
            bytes,
            "pieces of {piece}"
        );
    }
    let back = decode_in(&batch.schema(), kinds, &[], &bytes, 0).unwrap();
    assert_eq!(&back, batch);
    bytes
}

fn batch_of(arrays: Vec<ArrayRef>) -> RecordBatch {
    let fields: Vec<Field> = arrays
        .iter()
        .enumerate()
        .map(|(i, a)| Field::new(format!("c{i}"), a.data_type().clone(), true))
        .collect();
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).unwrap()
}

/// The error of encoding `batch`, as (column, row, reason).
fn encode_err(batch: &RecordBatch, kinds: &[PgKind]) -> (String, u64, String) {
    let mut out = BytesMut::from(&b"keep"[..]);
    let e = encoder(batch, kinds)
        .write_batch(batch, &mut out)
        .unwrap_err();
    assert_eq!(
        &out[..],
        b"keep",
        "a failed call leaves the buffer as it was"
    );
    let (column, row, key, reason) = value_err(e);
    assert_eq!(key, None);
    (column, row, reason)
}

#[test]
fn header_and_trailer() {
    let mut out = BytesMut::new();
    PgCopyEncoder::write_header(&mut out);
    PgCopyEncoder::write_trailer(&mut out);
    assert_eq!(&out[..19], HEADER);
    assert_eq!(&out[19..], TRAILER);
}

#[test]
fn decoder_streams_come_back_byte_for_byte() {
    // The decoder's hand-built stream of every scalar kind (values and a row of NULLs).
    let kinds = scalar_kinds();
    let schema = schema(&kinds);
    let bytes = stream(&scalar_rows());
    let batch = decode_in(&schema, &kinds, &[], &bytes, 0).unwrap();
    assert_eq!(round_trip(&batch, &kinds), bytes);
}

#[test]
fn edge_values_round_trip() {
    let nan_payload = f32::from_bits(0x7fc0_0001);
    let nan64 = f64::from_bits(0xfff8_0000_dead_beef);
    let big = i256::from_i128(i128::MAX).wrapping_mul(i256::from_i128(1_000_000_000));
    let max76 = i256::from_i128(10)
        .checked_pow(76)
        .unwrap()
        .wrapping_sub(i256::ONE);
    let timetz = StructArray::try_new(
        timetz_fields(),
        vec![
            Arc::new(Time64MicrosecondArray::from(vec![0, 86_400_000_000, 1, 0])),
            Arc::new(Int32Array::from(vec![0, 57_599, -57_599, 0])),
        ],
        Some(vec![true, true, true, false].into()),
    )
    .unwrap();
    let interval = StructArray::try_new(
        interval_fields(),
        vec![
            Arc::new(Int32Array::from(vec![i32::MIN, i32::MAX, 0, 0])),
            Arc::new(Int32Array::from(vec![-1, i32::MAX, 0, 0])),
            Arc::new(Int64Array::from(vec![i64::MIN, i64::MAX, 0, 0])),
        ],
        Some(vec![true, true, true, false].into()),
    )
    .unwrap();
    let kinds = vec![
        PgKind::Bool,
        PgKind::Int2,
        PgKind::Int8,
        PgKind::Float4,
        PgKind::Float8,
        PgKind::Decimal {
            precision: 38,
            scale: 0,
        },
        PgKind::Decimal {
            precision: 38,
            scale: 38,
        },
        PgKind::Decimal {
            precision: 76,
            scale: 10,
        },
        PgKind::Money { scale: 2 },
        PgKind::Date,
        PgKind::Timestamp,
        PgKind::TimestampTz,
        PgKind::TimeTz,
        PgKind::Interval,
        PgKind::Text,
        PgKind::Bytea,
    ];
    let n38 = 10i128.pow(38) - 1;
    let arrays: Vec<ArrayRef> = vec![
        Arc::new(BooleanArray::from(vec![
            Some(true),
            Some(false),
            None,
            Some(true),
        ])),
        Arc::new(Int16Array::from(vec![
            Some(i16::MIN),
            Some(i16::MAX),
            Some(0),
            None,
        ])),
        Arc::new(Int64Array::from(vec![
            Some(i64::MIN),
            Some(i64::MAX),
            None,
            Some(-1),
        ])),
        Arc::new(Float32Array::from(vec![
            Some(nan_payload),
            Some(-0.0),
            Some(f32::NEG_INFINITY),
            None,
        ])),
        Arc::new(Float64Array::from(vec![
            Some(nan64),
            Some(-0.0),
            Some(f64::MIN_POSITIVE),
            None,
        ])),
        Arc::new(
            Decimal128Array::from(vec![Some(n38), Some(-n38), Some(0), None])
                .with_precision_and_scale(38, 0)
                .unwrap(),
        ),
        Arc::new(
            Decimal128Array::from(vec![Some(n38), Some(-1), Some(1), None])
                .with_precision_and_scale(38, 38)
                .unwrap(),
        ),
        Arc::new(
            Decimal256Array::from(vec![Some(max76), Some(big.wrapping_neg()), Some(big), None])
                .with_precision_and_scale(76, 10)
                .unwrap(),
        ),
        Arc::new(
            Decimal128Array::from(vec![
                Some(i64::MIN.into()),
                Some(i64::MAX.into()),
                Some(0),
                None,
            ])
            .with_precision_and_scale(19, 2)
            .unwrap(),
        ),
        Arc::new(Date32Array::from(vec![
            Some(i32::MAX),
            Some(i32::MIN),
            Some(-2_451_545 + PG_EPOCH_DAYS),
            None,
        ])),
        Arc::new(TimestampMicrosecondArray::from(vec![
            Some(i64::MAX),
            Some(i64::MIN),
            Some(i64::MAX - 1),
            None,
        ])),
        Arc::new(
            TimestampMicrosecondArray::from(vec![
                Some(-211_813_488_000_000_000 + PG_EPOCH_MICROS),
                Some(0),
                Some(-1),
                None,
            ])
            .with_timezone("UTC"),
        ),
        Arc::new(timetz),
        Arc::new(interval),
        Arc::new(StringArray::from(vec![
            Some(""),
            Some("ünï\u{0}code"),
            None,
            Some("x"),
        ])),
        Arc::new(arrow_array::BinaryArray::from(vec![
            Some(&b""[..]),
            None,
            Some(&[0u8, 0xff][..]),
            Some(&[1u8][..]),
        ])),
    ];
    let batch = batch_of(arrays);
    round_trip(&batch, &kinds);
}

#[test]
fn values_of_every_short_length_copy_exactly() {
    // Short values are copied with overlapping fixed-width moves: check each length around
    // the 4/8/16/32-byte steps, as text, jsonb (one byte more) and a Utf8View (inline ≤ 12).
    let texts: Vec<String> = (0..=70)
        .map(|n| {
            (0..n)
                .map(|i| char::from(b'a' + (i * 7 % 26) as u8))
                .collect()
        })
        .collect();
    let batch = batch_of(vec![
        Arc::new(StringArray::from(texts.clone())),
        Arc::new(StringArray::from(texts.clone())),
        Arc::new(arrow_array::BinaryArray::from_iter_values(texts.iter())),
    ]);
    round_trip(&batch, &[PgKind::Text, PgKind::Jsonb, PgKind::Bytea]);
    let views = batch_of(vec![Arc::new(StringViewArray::from(texts.clone()))]);
    let plain = batch_of(vec![Arc::new(StringArray::from(texts))]);
    assert_eq!(
        encode(&views, &[PgKind::Text]).unwrap(),
        encode(&plain, &[PgKind::Text]).unwrap()
    );
}

#[test]
fn numeric_text_round_trips_and_normalizes() {
    let canonical = [
        "0",
        "-0.01",
        "123456.789",
        "0.0000",
        "0.0001",
        "NaN",
        "Infinity",
        "-Infinity",
        "10000",
        "-99999999.0001",
        "1.000",
    ];
    let tiny = format!("0.{}1", "0".repeat(999)); // 1e-1000
    let huge = "9".repeat(2000);
    let mut values: Vec<Option<&str>> = canonical.iter().map(|s| Some(*s)).collect();
    values.extend([Some(tiny.as_str()), Some(huge.as_str()), None]);
    let kinds = vec![PgKind::NumericText];
    let batch = batch_of(vec![Arc::new(StringArray::from(values))]);
    round_trip(&batch, &kinds);

    // Other spellings numeric_in accepts come back as PostgreSQL would print them.
    let inputs = [
        ("1.5e3", "1500"),
        ("+0.50", "0.50"),
        (" 7 ", "7"),
        ("inf", "Infinity"),
        ("-INFINITY", "-Infinity"),
        ("nan", "NaN"),
        ("-0", "0"),
        ("-0.000", "0.000"),
        ("1E-2", "0.01"),
        ("12.5e-1", "1.25"),
        (".5", "0.5"),
        ("5.", "5"),
        ("00012.3400", "12.3400"),
        ("1e4", "10000"),
    ];
    let batch = batch_of(vec![Arc::new(StringArray::from(
        inputs.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
    ))]);
    let back = decode_in(
        &batch.schema(),
        &kinds,
        &[],
        &encode(&batch, &kinds).unwrap(),
        0,
    )
    .unwrap();
    let got: Vec<_> = back.column(0).as_string::<i32>().iter().flatten().collect();
    let want: Vec<_> = inputs.iter().map(|(_, o)| *o).collect();
    assert_eq!(got, want);
}

#[test]
fn value_errors_name_column_and_row() {
    let check = |array: ArrayRef, kind: PgKind, row: u64, want: &str| {
        let batch = batch_of(vec![Arc::new(Int32Array::from(vec![1, 2, 3])), array]);
        let (column, at, reason) = encode_err(&batch, &[PgKind::Int4, kind]);
        assert_eq!((column.as_str(), at), ("c1", row), "{reason}");
        assert!(reason.contains(want), "{reason:?} should contain {want:?}");
    };
    let ts = |v: i64| Arc::new(TimestampMicrosecondArray::from(vec![0, 0, v])) as ArrayRef;
    check(
        ts(-300_000_000_000_000_000),
        PgKind::Timestamp,
        2,
        "outside PostgreSQL's range",
    );
    check(
        ts(i64::MIN + 1),
        PgKind::Timestamp,
        2,
        "outside PostgreSQL's range",
    );
    let dates = Arc::new(Date32Array::from(vec![0, i32::MIN + 1, 0]));
    check(dates, PgKind::Date, 1, "outside PostgreSQL's range");
    let dates = Arc::new(Date32Array::from(vec![-2_451_546 + PG_EPOCH_DAYS, 0, 0]));
    check(dates, PgKind::Date, 0, "outside PostgreSQL's range");
    let times = Arc::new(Time64MicrosecondArray::from(vec![0, 86_400_000_001, 0]));
    check(times, PgKind::Time, 1, "outside 00:00:00..=24:00:00");
    let money = Arc::new(
        Decimal128Array::from(vec![0, 0, i128::from(i64::MAX) + 1])
            .with_precision_and_scale(19, 2)
            .unwrap(),
    );
    check(money, PgKind::Money { scale: 2 }, 2, "does not fit money");
    let tz = StructArray::try_new(
        timetz_fields(),
        vec![
            Arc::new(Time64MicrosecondArray::from(vec![0, 0, 0])),
            Arc::new(Int32Array::from(vec![0, 57_600, 0])),
        ],
        None,
    )
    .unwrap();
    check(Arc::new(tz), PgKind::TimeTz, 1, "not within ±15:59:59");
    let too_many_fraction_digits = format!("0.{}", "1".repeat(16_384));
    for (text, want) in [
        ("abc", "not a number"),
        ("1.2.3", "not a number"),
        ("", "not a number"),
        ("1e", "not a number"),
        ("--1", "not a number"),
        ("+NaN", "not a number"),
        ("1e9999999", "exponent out of numeric's range"),
        ("1e131072", "131072 integer digits"),
        (too_many_fraction_digits.as_str(), "16383 fraction digits"),
    ] {
        let texts = Arc::new(StringArray::from(vec!["1", "2", text]));
        check(texts, PgKind::NumericText, 2, want);
    }
}

/// A List column of `dims` levels over Int32.
fn int_array_kind(dims: u8) -> PgKind {
    PgKind::Array {
        element: Box::new(PgKind::Int4),
        dims,
    }
}

#[test]
fn arrays_round_trip() {
    // 1-D int4: values with NULLs, empty, NULL, a lone NULL element.
    let mut b = ListBuilder::new(Int32Builder::new());
    b.append_value([Some(1), None, Some(i32::MIN)]);
    b.append_value(Vec::<Option<i32>>::new());
    b.append_null();
    b.append_value([None]);
    let one_d = b.finish();
    // 2-D text: 2 × 3 with a NULL element, 1 × 1, empty.
    let mut b = ListBuilder::new(ListBuilder::new(StringBuilder::new()));
    for row in [
        [Some("a"), None, Some("")],
        [Some("ü"), Some("{}"), Some("\"q\"")],
    ] {
        b.values().append_value(row);
    }
    b.append(true);
    b.values().append_value([Some("x")]);
    b.append(true);
    b.append(true);
    b.append_null();
    let two_d = b.finish();
    let kinds = vec![
        int_array_kind(1),
        PgKind::Array {
            element: Box::new(PgKind::Text),
            dims: 2,
        },
    ];
    let batch = batch_of(vec![Arc::new(one_d), Arc::new(two_d)]);
    let bytes = round_trip(&batch, &kinds);
    // '{}' (int4[] row 1, text[][] row 2) is 12 bytes: ndim 0, no NULLs, the element type.
    let empty = |oid: u8| {
        let mut field = 12i32.to_be_bytes().to_vec();
        field.extend([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, oid]);
        field
    };
    for oid in [23, 25] {
        let want = empty(oid);
        assert!(
            bytes.windows(want.len()).any(|w| w == want.as_slice()),
            "oid {oid}"
        );
    }
}

#[test]
fn numeric_and_decimal_array_elements() {
    let dec = Decimal128Array::from(vec![Some(150), Some(-1), None, Some(0)])
        .with_precision_and_scale(6, 2)
        .unwrap();
    let kind = PgKind::Array {
        element: Box::new(PgKind::Decimal {
            precision: 6,
            scale: 2,
        }),
        dims: 1,
    };
    let field = Arc::new(Field::new("item", DataType::Decimal128(6, 2), true));
    let list = ListArray::try_new(
        field,
        OffsetBuffer::new(ScalarBuffer::from(vec![0, 3, 4])),
        Arc::new(dec),
        None,
    )
    .unwrap();
    round_trip(&batch_of(vec![Arc::new(list)]), &[kind]);
    let text_kind = PgKind::Array {
        element: Box::new(PgKind::NumericText),
        dims: 1,
    };
    let texts = StringArray::from(vec![Some("NaN"), None, Some("-1.50")]);
    let list = ListArray::try_new(
        Arc::new(Field::new("item", DataType::Utf8, true)),
        OffsetBuffer::new(ScalarBuffer::from(vec![0, 3])),
        Arc::new(texts),
        None,
    )
    .unwrap();
    let batch = batch_of(vec![Arc::new(list)]);
    // The decoder's NumericText item field carries the decimal-text marker: compare values.
    let schema = Arc::new(Schema::new(vec![Field::new(
        "c0",
        text_kind.arrow_type(),
        true,
    )]));
    let kinds = [text_kind];
    let back = decode_in(&schema, &kinds, &[], &encode(&batch, &kinds).unwrap(), 0).unwrap();
    let got = back.column(0).as_list::<i32>().value(0);
    assert_eq!(
        got.as_string::<i32>().iter().collect::<Vec<_>>(),
        [Some("NaN"), None, Some("-1.50")]
    );
}

use arrow_buffer::{OffsetBuffer, ScalarBuffer};

#[test]
fn array_shape_errors() {
    // [[1, 2], [3]] is ragged; [[1], NULL] has a NULL sub-array; both in row 1.
    let inner = ListArray::try_new(
        Arc::new(Field::new("item", DataType::Int32, true)),
        OffsetBuffer::new(ScalarBuffer::from(vec![0, 1, 3, 4, 5, 5])),
        Arc::new(Int32Array::from(vec![9, 1, 2, 3, 1])),
        Some(vec![true, true, true, true, false].into()),
    )
    .unwrap();
    let item = Arc::new(Field::new("item", inner.data_type().clone(), true));
    let outer = |offsets: Vec<i32>| {
        Arc::new(
            ListArray::try_new(
                item.clone(),
                OffsetBuffer::new(ScalarBuffer::from(offsets)),
                Arc::new(inner.clone()),
                None,
            )
            .unwrap(),
        ) as ArrayRef
    };
    let kinds = [PgKind::Int4, int_array_kind(2)];
    let ids = || Arc::new(Int32Array::from(vec![1, 2])) as ArrayRef;
    // Row 0 = [[9]], row 1 = [[1, 2], [3]].
    let ragged = batch_of(vec![ids(), outer(vec![0, 1, 3])]);
    let (column, at, reason) = encode_err(&ragged, &kinds);
    assert_eq!((column.as_str(), at), ("c1", 1));
    assert_eq!(
        reason,
        "ragged array: sub-arrays at depth 2 have lengths 2 and 1"
    );
    // Row 0 = [[1], NULL] (entries 3 and 4 of the inner list).
    let null_sub = ListArray::try_new(
        item.clone(),
        OffsetBuffer::new(ScalarBuffer::from(vec![3, 5])),
        Arc::new(inner.clone()),
        None,
    )
    .unwrap();
    let batch = batch_of(vec![
        Arc::new(Int32Array::from(vec![7])),
        Arc::new(null_sub),
    ]);
    let (_, at, reason) = encode_err(&batch, &kinds);
    assert_eq!(at, 0);
    assert_eq!(
        reason,
        "NULL sub-array at depth 2 (PostgreSQL arrays have none)"
    );
}

#[test]
fn sliced_batches_and_write_rows_offsets() {
    // 2,500 rows crosses block boundaries; every column type has its own slicing path.
    let n = 2_500;
    let ints: Int32Array = (0..n).map(|i| (i % 7 != 0).then_some(i as i32)).collect();
    let texts: StringArray = (0..n)
        .map(|i| (i % 5 != 0).then(|| "t".repeat(i % 13)))
        .collect();
    let decs =
        Decimal128Array::from_iter((0..n).map(|i| (i % 3 != 0).then_some(i as i128 * 37 - 999)))
            .with_precision_and_scale(12, 3)
            .unwrap();
    let mut lists = ListBuilder::new(Int32Builder::new());
    for i in 0..n {
        if i % 11 == 0 {
            lists.append_null();
        } else {
            lists.append_value((0..i % 4).map(|k| (k != 2).then_some(k as i32)));
        }
    }
    let interval = StructArray::try_new(
        interval_fields(),
        vec![
            Arc::new(Int32Array::from_iter_values((0..n).map(|i| i as i32))),
            Arc::new(Int32Array::from_iter_values((0..n).map(|i| -(i as i32)))),
            Arc::new(Int64Array::from_iter_values(
                (0..n).map(|i| i as i64 * 1000),
            )),
        ],
        Some((0..n).map(|i| i % 9 != 0).collect::<Vec<_>>().into()),
    )
    .unwrap();
    let kinds = vec![
        PgKind::Int4,
        PgKind::Text,
        PgKind::Decimal {
            precision: 12,
            scale: 3,
        },
        int_array_kind(1),
        PgKind::Interval,
    ];
    let batch = batch_of(vec![
        Arc::new(ints),
        Arc::new(texts),
        Arc::new(decs),
        Arc::new(lists.finish()),
        Arc::new(interval),
    ]);
    let whole = round_trip(&batch, &kinds);
    // The bytes of rows [a, b) of the whole stream.
    let row_starts = {
        let mut starts = vec![19];
        let mut p = 19;
        while p + 2 < whole.len() {
            p += 2;
            for _ in 0..kinds.len() {
                let len = i32::from_be_bytes(whole[p..p + 4].try_into().unwrap());
                p += 4 + len.max(0) as usize;
            }
            starts.push(p);
        }
        starts
    };
    for (offset, len) in [(0, 0), (1, 1), (3, 1030), (1023, 2), (1700, 800)] {
        let rows = &whole[row_starts[offset]..row_starts[offset + len]];
        // A sliced batch (non-zero array offsets) …
        let sliced = batch.slice(offset, len);
        let bytes = encode(&sliced, &kinds).unwrap();
        assert_eq!(&bytes[19..bytes.len() - 2], rows, "slice {offset}+{len}");
        if len > 0 {
            round_trip(&sliced, &kinds);
        }
        // … and write_rows with an offset give the same rows.
        let mut out = BytesMut::new();
        encoder(&batch, &kinds)
            .write_rows(&batch, offset, len, &mut out)
            .unwrap();
        assert_eq!(&out[..], rows, "write_rows {offset}+{len}");
    }
    let mut out = BytesMut::new();
    let e = encoder(&batch, &kinds)
        .write_rows(&batch, 2_000, 501, &mut out)
        .unwrap_err();
    assert!(matches!(e, FormatError::Unsupported(_)), "{e}");
}

#[test]
fn compatible_arrow_types_and_schema_errors() {
    // Text from LargeUtf8 and Utf8View, bytea from LargeBinary and BinaryView, numeric from a
    // Decimal of another scale (dscale = the Arrow scale), timestamptz in any zone.
    let batch = batch_of(vec![
        Arc::new(LargeStringArray::from(vec!["ab", ""])),
        Arc::new(StringViewArray::from(vec![
            "a string longer than twelve bytes",
            "x",
        ])),
        Arc::new(LargeBinaryArray::from(vec![&b"\x00"[..], b""])),
        Arc::new(BinaryViewArray::from(vec![
            &b"\x01\x02"[..],
            b"long binary view value!",
        ])),
        Arc::new(
            Decimal128Array::from(vec![15, -1])
                .with_precision_and_scale(5, 1)
                .unwrap(),
        ),
        Arc::new(TimestampMicrosecondArray::from(vec![PG_EPOCH_MICROS, 0]).with_timezone("+02:00")),
        Arc::new(StringViewArray::from(vec![r#"{"a": 1}"#, "[]"])),
    ]);
    let kinds = [
        PgKind::Text,
        PgKind::Text,
        PgKind::Bytea,
        PgKind::Bytea,
        PgKind::Decimal {
            precision: 10,
            scale: 2,
        },
        PgKind::TimestampTz,
        PgKind::Jsonb,
    ];
    let bytes = encode(&batch, &kinds).unwrap();
    let want = row(&[
        Some(b"ab"),
        Some(b"a string longer than twelve bytes"),
        Some(b"\x00"),
        Some(b"\x01\x02"),
        Some(&num(0, 0, 1, &[1, 5000])),
        Some(&0i64.to_be_bytes()),
        Some(b"\x01{\"a\": 1}"),
    ]);
    assert_eq!(&bytes[19..19 + want.len()], want.as_slice());

    // Mismatches fail at try_new, naming the column.
    let unsupported = |dt: DataType, kind: PgKind| {
        let schema = Schema::new(vec![Field::new("col", dt, true)]);
        let cols = columns(&schema, &[kind]);
        match PgCopyEncoder::try_new(&schema, cols).unwrap_err() {
            FormatError::Unsupported(m) => assert!(m.contains("column `col`"), "{m}"),
            other => panic!("expected unsupported, got {other:?}"),
        }
    };
    unsupported(DataType::Int64, PgKind::Int4);
    unsupported(DataType::Utf8, PgKind::Bytea);
    unsupported(DataType::Decimal128(19, 4), PgKind::Money { scale: 2 });
    unsupported(
        DataType::Timestamp(arrow_schema::TimeUnit::Microsecond, None),
        PgKind::TimestampTz,
    );
    unsupported(int_array_kind(1).arrow_type(), int_array_kind(2));
    unsupported(int_array_kind(2).arrow_type(), int_array_kind(1));
    unsupported(
        int_array_kind(1).arrow_type(),
        PgKind::Array {
            element: Box::new(PgKind::Int4),
            dims: 7,
        },
    );
    let schema = Schema::new(vec![Field::new("a", DataType::Int32, true)]);
    assert!(PgCopyEncoder::try_new(&schema, vec![]).is_err());

    // A batch whose types differ from the encoder's schema is refused, not misread.
    let mut enc = encoder(
        &batch_of(vec![Arc::new(Int32Array::from(vec![1]))]),
        &[PgKind::Int4],
    );
    let other = batch_of(vec![Arc::new(Int64Array::from(vec![1]))]);
    let e = enc.write_batch(&other, &mut BytesMut::new()).unwrap_err();
    assert!(
        matches!(e, FormatError::Unsupported(ref m) if m.contains("c0")),
        "{e}"
    );
}
