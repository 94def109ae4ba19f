//! Exact text per type (here), rows, errors, slicing and a round trip (`rows.rs`).

mod parse;
mod rows;

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::builder::{Int32Builder, ListBuilder, StringBuilder};
use arrow_array::types::Int32Type;
use arrow_array::{
    Array, ArrayRef, BinaryArray, BooleanArray, Date32Array, Date64Array, Decimal128Array,
    Decimal256Array, DictionaryArray, DurationMicrosecondArray, DurationNanosecondArray,
    DurationSecondArray, FixedSizeBinaryArray, Float32Array, Float64Array, Int8Array, Int32Array,
    Int64Array, LargeStringArray, ListArray, RecordBatch, StringArray, StringViewArray,
    StructArray, Time32SecondArray, Time64MicrosecondArray, Time64NanosecondArray,
    TimestampMicrosecondArray, TimestampMillisecondArray, TimestampNanosecondArray,
    TimestampSecondArray, UInt8Array, UInt64Array,
};
use arrow_buffer::i256;
use arrow_schema::{DataType, Field, Fields, Schema, TimeUnit};

use super::{MyTextEncoder, MyTextForm, json, text};
use crate::FormatError;

use MyTextForm::{Hex, Json, Text};

fn batch(fields: Vec<Field>, arrays: Vec<ArrayRef>) -> RecordBatch {
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).expect("batch")
}

/// All rows of a one-column batch in `form`.
fn try_one(field: Field, array: ArrayRef, form: MyTextForm) -> Result<String, FormatError> {
    let b = batch(vec![field], vec![array]);
    let mut enc = MyTextEncoder::try_new(&b.schema(), vec![(0, form)])?;
    let mut out = Vec::new();
    enc.write_rows(&b, 0, b.num_rows(), &mut out)?;
    Ok(String::from_utf8(out).expect("utf-8"))
}

/// All rows of a nullable column named `c`, one per line (without the final LF).
fn one(array: ArrayRef, form: MyTextForm) -> String {
    let field = Field::new("c", array.data_type().clone(), true);
    let text = try_one(field, array, form).expect("encodes");
    text.strip_suffix('\n').expect("ends with LF").to_string()
}

fn lines(rows: &[&str]) -> String {
    rows.join("\n")
}

/// The reason of a Value error for one value.
fn value_error(array: ArrayRef, form: MyTextForm) -> String {
    let field = Field::new("c", array.data_type().clone(), true);
    match try_one(field, array, form) {
        Err(FormatError::Value { reason, .. }) => reason,
        other => panic!("expected a value error, got {other:?}"),
    }
}

fn unsupported(field: Field, array: ArrayRef, form: MyTextForm) -> String {
    match try_one(field, array, form) {
        Err(FormatError::Unsupported(m)) => m,
        other => panic!("expected unsupported, got {other:?}"),
    }
}

fn ext(field: Field, name: &str) -> Field {
    field.with_metadata(HashMap::from([(
        "ARROW:extension:name".to_string(),
        name.to_string(),
    )]))
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

const HOUR: i64 = 3_600_000_000;

#[test]
fn booleans_and_integers() {
    let a = Arc::new(BooleanArray::from(vec![Some(true), Some(false), None]));
    assert_eq!(one(a, Text), lines(&["1", "0", "\\N"]));
    let a = Arc::new(Int64Array::from(vec![
        Some(i64::MIN),
        Some(0),
        Some(-7),
        None,
    ]));
    assert_eq!(
        one(a, Text),
        lines(&["-9223372036854775808", "0", "-7", "\\N"])
    );
    let a = Arc::new(UInt64Array::from(vec![Some(u64::MAX), None]));
    assert_eq!(one(a, Text), lines(&["18446744073709551615", "\\N"]));
    let a = Arc::new(Int8Array::from(vec![i8::MIN, i8::MAX]));
    assert_eq!(one(a, Text), lines(&["-128", "127"]));
    let a = Arc::new(UInt8Array::from(vec![255, 10]));
    assert_eq!(one(a, Text), lines(&["255", "10"]));
}

#[test]
fn floats_are_shortest_round_trip() {
    let a = Arc::new(Float32Array::from(vec![
        Some(0.1),
        Some(16_777_216.0),
        Some(-0.0),
        Some(1.5),
        Some(1e-45),
        Some(f32::MAX),
        Some(f32::MIN_POSITIVE),
        None,
    ]));
    assert_eq!(
        one(a, Text),
        lines(&[
            "0.1",
            "16777216",
            "-0",
            "1.5",
            "1e-45",
            // 3.4028235e38 is above FLT_MAX as a double: MySQL would refuse it.
            "3.4028234663852886e38",
            "1.1754944e-38",
            "\\N",
        ])
    );
    let a = Arc::new(Float64Array::from(vec![
        5e-324,
        -0.0,
        0.1,
        1e16,
        123_456_789.125,
        1.5e-8,
        f64::MAX,
        -2.5,
    ]));
    assert_eq!(
        one(a, Text),
        lines(&[
            "5e-324",
            "-0",
            "0.1",
            "1e16",
            "123456789.125",
            "1.5e-8",
            "1.7976931348623157e308",
            "-2.5",
        ])
    );
    for v in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let reason = value_error(Arc::new(Float64Array::from(vec![v])), Text);
        assert!(reason.contains("NaN/Infinity"), "{reason}");
    }
    value_error(Arc::new(Float32Array::from(vec![f32::NAN])), Text);
}

#[test]
fn decimals_have_exactly_scale_digits() {
    let dec = |v: Vec<Option<i128>>, p, s| {
        let a = Decimal128Array::from(v)
            .with_precision_and_scale(p, s)
            .expect("decimal");
        one(Arc::new(a), Text)
    };
    assert_eq!(
        dec(vec![Some(-1230), Some(5), Some(0), Some(100), None], 5, 2),
        lines(&["-12.30", "0.05", "0.00", "1.00", "\\N"])
    );
    assert_eq!(dec(vec![Some(-1)], 5, 3), "-0.001");
    assert_eq!(
        dec(vec![Some(12), Some(-3), Some(0)], 5, -2),
        lines(&["1200", "-300", "0"])
    );
    assert_eq!(dec(vec![Some(7)], 3, 0), "7");
    assert_eq!(
        dec(vec![Some(i128::MAX), Some(i128::MIN)], 38, 10),
        lines(&[
            "17014118346046923173168730371.5884105727",
            "-17014118346046923173168730371.5884105728",
        ])
    );
    let max = i256::from_string(&"9".repeat(65)).expect("i256");
    let a = Decimal256Array::from(vec![Some(max), Some(max.wrapping_neg()), None])
        .with_precision_and_scale(65, 30)
        .expect("decimal");
    let text = format!("{}.{}", "9".repeat(35), "9".repeat(30));
    assert_eq!(
        one(Arc::new(a), Text),
        lines(&[&text, &format!("-{text}"), "\\N"])
    );
    let a = Decimal256Array::from(vec![i256::MIN, i256::MAX, i256::from_i128(-5)])
        .with_precision_and_scale(76, 0)
        .expect("decimal");
    assert_eq!(
        one(Arc::new(a), Text),
        lines(&[
            "-57896044618658097711785492504343953926634992332820282019728792003956564819968",
            "57896044618658097711785492504343953926634992332820282019728792003956564819967",
            "-5",
        ])
    );
    // Every power of ten, through the u64 and the wide paths.
    let mut out = Vec::new();
    for e in 0..39u32 {
        out.clear();
        text::i128_decimal(10i128.pow(e), 0, &mut out);
        assert_eq!(out, format!("1{}", "0".repeat(e as usize)).as_bytes());
    }
}

#[test]
fn strings_are_escaped() {
    let values = vec![
        Some("a\\b"),
        Some("t\tb"),
        Some("l\nf"),
        Some("c\rr"),
        Some("n\0l"),
        Some("\\N"),
        Some(""),
        None,
        Some("é😀 \"'"),
    ];
    let want = lines(&[
        "a\\\\b",
        "t\\tb",
        "l\\nf",
        "c\\rr",
        "n\\0l",
        "\\\\N",
        "",
        "\\N",
        "é😀 \"'",
    ]);
    assert_eq!(one(Arc::new(StringArray::from(values.clone())), Text), want);
    assert_eq!(
        one(Arc::new(LargeStringArray::from(values.clone())), Text),
        want
    );
    assert_eq!(one(Arc::new(StringViewArray::from(values)), Text), want);
    // A dictionary writes its values.
    let d: DictionaryArray<Int32Type> = vec![Some("x\ty"), None, Some("z"), Some("x\ty")]
        .into_iter()
        .collect();
    assert_eq!(
        one(Arc::new(d), Text),
        lines(&["x\\ty", "\\N", "z", "x\\ty"])
    );
}

#[test]
fn binary_as_text_and_hex() {
    let values: Vec<Option<&[u8]>> = vec![Some(b"\x00\xff\\\t"), Some(b""), None];
    let a: ArrayRef = Arc::new(BinaryArray::from(values));
    assert_eq!(one(a.clone(), Hex), lines(&["00FF5C09", "", "\\N"]));
    // As text: the raw bytes, escaped (not UTF-8, so not through `one`).
    let b = batch(vec![Field::new("c", DataType::Binary, true)], vec![a]);
    let mut enc = MyTextEncoder::try_new(&b.schema(), vec![(0, Text)]).expect("encoder");
    let mut out = Vec::new();
    enc.write_rows(&b, 0, 3, &mut out).expect("rows");
    assert_eq!(out, b"\\0\xff\\\\\\t\n\n\\N\n");
    let a = Arc::new(StringArray::from(vec!["é"]));
    assert_eq!(one(a, Hex), "C3A9");
    let a = FixedSizeBinaryArray::try_from_sparse_iter_with_size(
        vec![Some(vec![1u8, 2, 171]), None].into_iter(),
        3,
    )
    .expect("fsb");
    assert_eq!(one(Arc::new(a.clone()), Hex), lines(&["0102AB", "\\N"]));
    let m = unsupported(
        Field::new("raw", a.data_type().clone(), true),
        Arc::new(a),
        Text,
    );
    assert!(
        m.contains("`raw`") && m.contains("FixedSizeBinary(3)"),
        "{m}"
    );
}

#[test]
fn uuids_as_text() {
    let bytes: Vec<u8> = (0u8..16).map(|b| b * 17).collect();
    let a = FixedSizeBinaryArray::try_from_sparse_iter_with_size(
        vec![Some(bytes), None].into_iter(),
        16,
    )
    .expect("fsb");
    let field = ext(
        Field::new("u", DataType::FixedSizeBinary(16), true),
        "arrow.uuid",
    );
    let text = try_one(field.clone(), Arc::new(a.clone()), Text).expect("encodes");
    assert_eq!(text, "00112233-4455-6677-8899-aabbccddeeff\n\\N\n");
    let text = try_one(field, Arc::new(a), Hex).expect("encodes");
    assert_eq!(text, "00112233445566778899AABBCCDDEEFF\n\\N\n");
}

#[test]
fn dates_in_years_0000_to_9999() {
    assert_eq!(days(0, 1, 1), -719_528);
    assert_eq!(days(9999, 12, 31), 2_932_896);
    let d = |y, m, dd| days(y, m, dd) as i32;
    let a = Date32Array::from(vec![
        Some(d(1000, 1, 1)),
        Some(d(9999, 12, 31)),
        Some(d(0, 1, 1)),
        Some(0),
        Some(-1),
        Some(d(2024, 2, 29)),
        None,
    ]);
    assert_eq!(
        one(Arc::new(a), Text),
        lines(&[
            "1000-01-01",
            "9999-12-31",
            "0000-01-01",
            "1970-01-01",
            "1969-12-31",
            "2024-02-29",
            "\\N"
        ])
    );
    let r = value_error(Arc::new(Date32Array::from(vec![d(10000, 1, 1)])), Text);
    assert!(
        r.contains("10000-01-01") && r.contains("0000 to 9999"),
        "{r}"
    );
    let r = value_error(Arc::new(Date32Array::from(vec![d(-1, 12, 31)])), Text);
    assert!(r.contains("-1-12-31"), "{r}");
    let r = value_error(Arc::new(Date32Array::from(vec![i32::MAX])), Text);
    assert!(r.contains("infinity"), "{r}");
    let a = Date64Array::from(vec![86_400_000, -86_400_000]);
    assert_eq!(one(Arc::new(a), Text), lines(&["1970-01-02", "1969-12-31"]));
    value_error(Arc::new(Date64Array::from(vec![1])), Text);
}

#[test]
fn timestamps_are_utc_wall_clock_with_six_digits() {
    let last = days(10000, 1, 1) * 24 * HOUR - 1;
    let a = TimestampMicrosecondArray::from(vec![Some(0), Some(-1), Some(last), None]);
    let want = lines(&[
        "1970-01-01 00:00:00.000000",
        "1969-12-31 23:59:59.999999",
        "9999-12-31 23:59:59.999999",
        "\\N",
    ]);
    assert_eq!(one(Arc::new(a.clone()), Text), want);
    // A zone changes nothing: the values are instants, written as their UTC wall clock.
    assert_eq!(one(Arc::new(a.with_timezone("+05:00")), Text), want);
    let t = days(2024, 3, 1) * 24 * HOUR + 4 * HOUR + 5_006_007;
    let a = TimestampNanosecondArray::from(vec![t * 1000]).with_timezone("UTC");
    assert_eq!(one(Arc::new(a), Text), "2024-03-01 04:00:05.006007");
    let a = TimestampMillisecondArray::from(vec![1_500]);
    assert_eq!(one(Arc::new(a), Text), "1970-01-01 00:00:01.500000");
    let a = TimestampSecondArray::from(vec![-1]);
    assert_eq!(one(Arc::new(a), Text), "1969-12-31 23:59:59.000000");
    let r = value_error(Arc::new(TimestampNanosecondArray::from(vec![1_500])), Text);
    assert!(r.contains("nanoseconds"), "{r}");
    let r = value_error(
        Arc::new(TimestampMicrosecondArray::from(vec![last + 1])),
        Text,
    );
    assert!(r.contains("10000-01-01"), "{r}");
    value_error(
        Arc::new(TimestampMicrosecondArray::from(vec![i64::MAX])),
        Text,
    );
    value_error(
        Arc::new(TimestampSecondArray::from(vec![i64::MIN + 1])),
        Text,
    );
    value_error(
        Arc::new(TimestampMicrosecondArray::from(vec![
            days(-1, 12, 31) * 24 * HOUR,
        ])),
        Text,
    );
}

#[test]
fn durations_are_mysql_time() {
    let a = DurationMicrosecondArray::from(vec![
        Some(-(838 * HOUR + 59 * 60_000_000 + 59_000_000)),
        Some(25 * HOUR + 500_000),
        Some(0),
        Some(-1),
        Some(i64::MIN),
        None,
    ]);
    assert_eq!(
        one(Arc::new(a), Text),
        lines(&[
            "-838:59:59.000000",
            "25:00:00.500000",
            "0:00:00.000000",
            "-0:00:00.000001",
            "-2562047788:00:54.775808",
            "\\N",
        ])
    );
    let a = DurationSecondArray::from(vec![-90_061]);
    assert_eq!(one(Arc::new(a), Text), "-25:01:01.000000");
    let a = DurationNanosecondArray::from(vec![1_000, 1_001]);
    value_error(Arc::new(a), Text);
}

#[test]
fn times_of_day() {
    let a =
        Time64MicrosecondArray::from(vec![Some(0), Some(24 * HOUR), Some(45_296_789_012), None]);
    assert_eq!(
        one(Arc::new(a), Text),
        lines(&[
            "00:00:00.000000",
            "24:00:00.000000",
            "12:34:56.789012",
            "\\N"
        ])
    );
    let a = Time32SecondArray::from(vec![3_661]);
    assert_eq!(one(Arc::new(a), Text), "01:01:01.000000");
    let a = Time64NanosecondArray::from(vec![1_000]);
    assert_eq!(one(Arc::new(a), Text), "00:00:00.000001");
    value_error(Arc::new(Time64MicrosecondArray::from(vec![-1])), Text);
}

fn interval_field() -> Fields {
    Fields::from(vec![
        Field::new("months", DataType::Int32, true),
        Field::new("days", DataType::Int32, true),
        Field::new("micros", DataType::Int64, true),
    ])
}

fn intervals(v: &[(i32, i32, i64)]) -> StructArray {
    StructArray::new(
        interval_field(),
        vec![
            Arc::new(Int32Array::from_iter_values(v.iter().map(|x| x.0))),
            Arc::new(Int32Array::from_iter_values(v.iter().map(|x| x.1))),
            Arc::new(Int64Array::from_iter_values(v.iter().map(|x| x.2))),
        ],
        None,
    )
}

#[test]
fn intervals_as_postgres_prints_them() {
    let hms = 4 * HOUR + 5 * 60_000_000 + 6_000_000;
    let a = intervals(&[
        (14, 3, hms + 7),
        (0, 0, 0),
        (-14, 3, -hms),
        (1, 1, 0),
        (0, -1, HOUR),
        (0, 0, -1),
        (12, 0, 0),
        (-1, 0, 0),
        (0, 0, 1_500_000),
        (0, 0, i64::MIN),
        (-12, -2, 0),
        (25, 0, 100 * HOUR),
        (i32::MAX, i32::MAX, i64::MAX),
        (i32::MIN, i32::MIN, i64::MIN),
    ]);
    assert_eq!(
        one(Arc::new(a), Text),
        lines(&[
            "1 year 2 mons 3 days 04:05:06.000007",
            "00:00:00",
            "-1 years -2 mons +3 days -04:05:06",
            "1 mon 1 day",
            "-1 days +01:00:00",
            "-00:00:00.000001",
            "1 year",
            "-1 mons",
            "00:00:01.5",
            "-2562047788:00:54.775808",
            "-1 years -2 days",
            "2 years 1 mon 100:00:00",
            "infinity",
            "-infinity",
        ])
    );
    let nulls = StructArray::new(
        interval_field(),
        intervals(&[(1, 1, 1)]).columns().to_vec(),
        Some(vec![false].into()),
    );
    assert_eq!(one(Arc::new(nulls), Text), "\\N");
}

#[test]
fn timetz_has_its_offset() {
    let fields = Fields::from(vec![
        Field::new("time", DataType::Time64(TimeUnit::Microsecond), true),
        Field::new("utc_offset_seconds", DataType::Int32, true),
    ]);
    let t = 45_296_000_000;
    let a = StructArray::new(
        fields,
        vec![
            Arc::new(Time64MicrosecondArray::from(vec![t, t, t, 0])),
            Arc::new(Int32Array::from(vec![3600, -19_800, 3661, 0])),
        ],
        None,
    );
    assert_eq!(
        one(Arc::new(a), Text),
        lines(&[
            "12:34:56.000000+01:00",
            "12:34:56.000000-05:30",
            "12:34:56.000000+01:01:01",
            "00:00:00.000000+00:00",
        ])
    );
}

fn string_lists(rows: &[Option<Vec<Option<&str>>>]) -> ListArray {
    let mut b = ListBuilder::new(StringBuilder::new());
    for row in rows {
        match row {
            Some(items) => {
                for s in items {
                    b.values().append_option(*s);
                }
                b.append(true);
            }
            None => b.append(false),
        }
    }
    b.finish()
}

#[test]
fn string_lists_are_sets() {
    let a = string_lists(&[
        Some(vec![Some("a"), Some("b\tc")]),
        Some(vec![]),
        None,
        Some(vec![Some("")]),
    ]);
    assert_eq!(one(Arc::new(a), Text), lines(&["a,b\\tc", "", "\\N", ""]));
    let r = value_error(Arc::new(string_lists(&[Some(vec![Some("x,y")])])), Text);
    assert!(r.contains(','), "{r}");
    value_error(Arc::new(string_lists(&[Some(vec![None])])), Text);
}

#[test]
fn lists_and_structs_as_json() {
    let mut b = ListBuilder::new(ListBuilder::new(Int32Builder::new()));
    b.values().values().append_value(1);
    b.values().values().append_value(2);
    b.values().append(true);
    b.values().values().append_null();
    b.values().append(true);
    b.values().append(true);
    b.values().append(false);
    b.append(true);
    b.append(false);
    let a = b.finish();
    assert_eq!(
        one(Arc::new(a.clone()), Json),
        lines(&["[[1,2],[null],[],null]", "\\N"])
    );
    let m = unsupported(
        Field::new("xs", a.data_type().clone(), true),
        Arc::new(a),
        Text,
    );
    assert!(m.contains("`xs`") && m.contains("Json"), "{m}");

    // Strings: JSON escapes, then field escapes.
    let a = string_lists(&[Some(vec![
        Some("q\"\\"),
        Some("t\tn\n\u{1}"),
        None,
        Some("é"),
    ])]);
    assert_eq!(
        one(Arc::new(a), Json),
        r#"["q\\"\\\\","t\\tn\\n\\u0001",null,"é"]"#
    );

    // Structs by field name, with every kind of member.
    let dec = Decimal128Array::from(vec![-1230, 5])
        .with_precision_and_scale(5, 2)
        .expect("decimal");
    let s = StructArray::from(vec![
        (
            Arc::new(Field::new("n", DataType::Int32, true)),
            Arc::new(Int32Array::from(vec![Some(1), None])) as ArrayRef,
        ),
        (
            Arc::new(Field::new("d", dec.data_type().clone(), true)),
            Arc::new(dec) as ArrayRef,
        ),
        (
            Arc::new(Field::new("f", DataType::Float64, true)),
            Arc::new(Float64Array::from(vec![0.1, 5e-324])) as ArrayRef,
        ),
        (
            Arc::new(Field::new("b", DataType::Boolean, true)),
            Arc::new(BooleanArray::from(vec![true, false])) as ArrayRef,
        ),
        (
            Arc::new(Field::new("day", DataType::Date32, true)),
            Arc::new(Date32Array::from(vec![0, 1])) as ArrayRef,
        ),
        (
            Arc::new(Field::new("raw", DataType::Binary, true)),
            Arc::new(BinaryArray::from(vec![&b"\x00\xff"[..], b""])) as ArrayRef,
        ),
        (
            Arc::new(Field::new("iv", DataType::Struct(interval_field()), true)),
            Arc::new(intervals(&[(1, 0, 0), (0, 0, 0)])) as ArrayRef,
        ),
    ]);
    assert_eq!(
        one(Arc::new(s), Json),
        lines(&[
            r#"{"n":1,"d":-12.30,"f":0.1,"b":true,"day":"1970-01-01","raw":"\\\\x00ff","iv":"1 mon"}"#,
            r#"{"n":null,"d":0.05,"f":5e-324,"b":false,"day":"1970-01-02","raw":"\\\\x","iv":"00:00:00"}"#,
        ])
    );

    // Scalars as documents; `arrow.json` text as is.
    assert_eq!(one(Arc::new(Int64Array::from(vec![42])), Json), "42");
    assert_eq!(
        one(Arc::new(StringArray::from(vec!["a\tb"])), Json),
        "\"a\\\\tb\""
    );
    let field = ext(Field::new("doc", DataType::Utf8, true), "arrow.json");
    let a = Arc::new(StringArray::from(vec![Some("{\"k\":\t\"\\n\"}"), None]));
    let text = try_one(field, a, Json).expect("encodes");
    assert_eq!(text, "{\"k\":\\t\"\\\\n\"}\n\\N\n");
    let r = value_error(
        Arc::new(ListArray::from_iter_primitive::<
            arrow_array::types::Float64Type,
            _,
            _,
        >(vec![Some(vec![Some(1.0), Some(f64::NAN)])])),
        Json,
    );
    assert!(r.contains("NaN"), "{r}");
}

#[test]
fn json_strings_escape_like_serde_json() {
    let all: String = (0u8..128).map(char::from).chain("é😀".chars()).collect();
    let mut out = Vec::new();
    json::string(all.as_bytes(), &mut out);
    let want = serde_json::to_string(&all).expect("serde_json");
    assert_eq!(String::from_utf8(out).expect("utf-8"), want);
}
