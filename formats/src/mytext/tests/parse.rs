//! `parse`: what the encoder wrote (after `LOAD DATA` has unescaped it, as MySQL stores it)
//! reads back into the very array it came from; what it could not have written is an error.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::builder::{
    BinaryBuilder, BooleanBuilder, Decimal128Builder, Float32Builder, Float64Builder, Int32Builder,
    ListBuilder, StringBuilder,
};
use arrow_array::{
    Array, ArrayRef, Date32Array, Decimal256Array, FixedSizeBinaryArray, Int16Array, Int32Array,
    Int64Array, ListArray, StringArray, StructArray, Time64MicrosecondArray,
    TimestampMicrosecondArray,
};
use arrow_buffer::{NullBuffer, OffsetBuffer, i256};
use arrow_schema::{DataType, Field, Fields, TimeUnit};

use super::{HOUR, MyTextForm, ext, try_one};
use crate::FormatError;
use crate::mytext::parse::{self, parse_column};

/// `LOAD DATA`'s reading of one column's lines: `\N` is NULL, escapes undone.
fn as_stored(text: &str) -> StringArray {
    text.strip_suffix('\n')
        .expect("ends with LF")
        .split('\n')
        .map(|f| {
            if f == "\\N" {
                return None;
            }
            let mut out = String::new();
            let mut chars = f.chars();
            while let Some(c) = chars.next() {
                if c != '\\' {
                    out.push(c);
                    continue;
                }
                out.push(match chars.next().expect("escape") {
                    't' => '\t',
                    'n' => '\n',
                    'r' => '\r',
                    '0' => '\0',
                    other => other,
                });
            }
            Some(out)
        })
        .collect()
}

/// Encodes `array` in `form` as MySQL stores it, parses it back, and checks it is the same.
fn round_trip(field: Field, array: ArrayRef, form: MyTextForm) -> StringArray {
    let text = try_one(field.clone(), array.clone(), form).expect("encodes");
    let stored = as_stored(&text);
    let back = parse_column("c", &stored, field.data_type()).expect("parses back");
    assert_eq!(back.as_ref(), array.as_ref(), "stored as {stored:?}");
    stored
}

fn list_field(item: Field) -> Field {
    Field::new("c", DataType::List(Arc::new(item)), true)
}

fn item(dt: DataType) -> Field {
    Field::new("item", dt, true)
}

/// A list column of `values`, split by `lengths` (`None` = a NULL list).
fn list_of(item: Field, values: ArrayRef, lengths: &[Option<usize>]) -> ArrayRef {
    let offsets = OffsetBuffer::from_lengths(lengths.iter().map(|l| l.unwrap_or(0)));
    let nulls = NullBuffer::from_iter(lengths.iter().map(Option::is_some));
    Arc::new(ListArray::new(Arc::new(item), offsets, values, Some(nulls)))
}

fn interval_fields() -> Fields {
    Fields::from(vec![
        Field::new("months", DataType::Int32, false),
        Field::new("days", DataType::Int32, false),
        Field::new("micros", DataType::Int64, false),
    ])
}

fn timetz_fields() -> Fields {
    Fields::from(vec![
        Field::new("time", DataType::Time64(TimeUnit::Microsecond), false),
        Field::new("utc_offset_seconds", DataType::Int32, false),
    ])
}

fn intervals(v: &[Option<(i32, i32, i64)>]) -> ArrayRef {
    let get = |f: fn(&(i32, i32, i64)) -> i64| v.iter().map(move |x| x.as_ref().map_or(0, f));
    Arc::new(StructArray::new(
        interval_fields(),
        vec![
            Arc::new(Int32Array::from_iter_values(
                get(|x| i64::from(x.0)).map(|x| x as i32),
            )),
            Arc::new(Int32Array::from_iter_values(
                get(|x| i64::from(x.1)).map(|x| x as i32),
            )),
            Arc::new(Int64Array::from_iter_values(get(|x| x.2))),
        ],
        Some(NullBuffer::from_iter(v.iter().map(Option::is_some))),
    ))
}

fn timetzs(v: &[Option<(i64, i32)>]) -> ArrayRef {
    Arc::new(StructArray::new(
        timetz_fields(),
        vec![
            Arc::new(Time64MicrosecondArray::from_iter_values(
                v.iter().map(|x| x.map_or(0, |x| x.0)),
            )),
            Arc::new(Int32Array::from_iter_values(
                v.iter().map(|x| x.map_or(0, |x| x.1)),
            )),
        ],
        Some(NullBuffer::from_iter(v.iter().map(Option::is_some))),
    ))
}

#[test]
fn intervals_read_back_exactly() {
    let hms = 4 * HOUR + 5 * 60_000_000 + 6_000_000;
    let a = intervals(&[
        Some((14, 3, hms + 7)),
        Some((0, 0, 0)),
        Some((-14, 3, -hms)),
        Some((1, 1, 0)),
        Some((0, -1, HOUR)),
        Some((0, 0, -1)),
        Some((12, 0, 0)),
        Some((-1, 0, 0)),
        Some((0, 0, 1_500_000)),
        Some((0, 0, i64::MIN)),
        Some((0, 0, i64::MAX)),
        Some((i32::MIN + 1, i32::MIN + 1, 0)),
        Some((-12, -2, 0)),
        Some((25, 0, 100 * HOUR)),
        Some((i32::MAX, i32::MAX, i64::MAX)),
        Some((i32::MIN, i32::MIN, i64::MIN)),
        None,
    ]);
    let field = Field::new("c", a.data_type().clone(), true);
    let stored = round_trip(field, a, MyTextForm::Text);
    assert_eq!(stored.value(2), "-1 years -2 mons +3 days -04:05:06");
    for bad in [
        "",
        "1 yaer",
        "1 day 2 years",
        "1 day 1 day",
        "01:00:00 1 day",
        "1:00:00",
        "00:60:00",
        "00:00:00.1234567",
        "1 year 2",
        "178956971 years",
        "x",
    ] {
        assert_eq!(parse::interval(bad), None, "{bad}");
    }
    assert_eq!(parse::interval("+3 days"), Some((0, 3, 0)));
}

#[test]
fn timetz_reads_back_exactly() {
    let t = 45_296_000_001;
    let a = timetzs(&[
        Some((t, 3600)),
        Some((t, -19_800)),
        Some((t, 3661)),
        Some((0, 0)),
        Some((86_400_000_000, -57_599)),
        None,
    ]);
    let field = Field::new("c", a.data_type().clone(), true);
    round_trip(field, a, MyTextForm::Text);
    for bad in [
        "12:34:56",
        "12:34:56+1",
        "25:00:00+00:00",
        "12:34:56+01:60",
        "x+01:00",
    ] {
        assert_eq!(parse::timetz(bad), None, "{bad}");
    }
}

#[test]
fn lists_read_back_with_null_elements_and_empty_lists() {
    let mut ints = ListBuilder::new(Int32Builder::new());
    ints.append_value([Some(1), Some(-2), None]);
    ints.append_value([]);
    ints.append_null();
    ints.append_value([Some(i32::MAX), Some(i32::MIN)]);
    let a = ints.finish();
    let field = list_field(item(DataType::Int32));
    let stored = round_trip(field, Arc::new(a), MyTextForm::Json);
    assert_eq!(stored.value(0), "[1,-2,null]");
    assert_eq!(stored.value(1), "[]");
    assert!(stored.is_null(2));

    let mut texts = ListBuilder::new(StringBuilder::new());
    texts.append_value([
        Some("plain"),
        Some(""),
        None,
        Some("quote \" backslash \\ tab \t nl \n"),
        Some("ctl \u{1} \u{7f} é 🎈"),
        Some("NULL"),
    ]);
    texts.append_value([None::<&str>]);
    round_trip(
        list_field(item(DataType::Utf8)),
        Arc::new(texts.finish()),
        MyTextForm::Json,
    );
}

#[test]
fn two_dimensional_lists_nest() {
    let inner = item(DataType::Int32);
    let mut b = ListBuilder::new(ListBuilder::new(Int32Builder::new()).with_field(inner.clone()));
    b.append_value([Some(vec![Some(1), Some(2)]), Some(vec![Some(3), None])]);
    b.append_value(Vec::<Option<Vec<Option<i32>>>>::new());
    b.append_null();
    let a = b.finish();
    let field = Field::new("c", a.data_type().clone(), true);
    let stored = round_trip(field.clone(), Arc::new(a), MyTextForm::Json);
    assert_eq!(stored.value(0), "[[1,2],[3,null]]");
    // A scalar where the inner list is due.
    let err = parse_column("c", &StringArray::from(vec!["[[1],2]"]), field.data_type());
    assert!(matches!(err, Err(FormatError::Value { .. })), "{err:?}");
}

#[test]
fn numbers_read_back_bit_for_bit_and_digit_for_digit() {
    let mut b = ListBuilder::new(BooleanBuilder::new());
    b.append_value([Some(true), Some(false), None]);
    round_trip(
        list_field(item(DataType::Boolean)),
        Arc::new(b.finish()),
        MyTextForm::Json,
    );
    let mut b = ListBuilder::new(Float32Builder::new());
    b.append_value([
        Some(0.1f32),
        Some(-0.0),
        Some(f32::MAX),
        Some(f32::MIN_POSITIVE),
        Some(1e-45),
        Some(16_777_217.0),
    ]);
    round_trip(
        list_field(item(DataType::Float32)),
        Arc::new(b.finish()),
        MyTextForm::Json,
    );
    let mut b = ListBuilder::new(Float64Builder::new());
    b.append_value([Some(5e-324), Some(1e300), Some(0.1), Some(-123.456)]);
    round_trip(
        list_field(item(DataType::Float64)),
        Arc::new(b.finish()),
        MyTextForm::Json,
    );
    let small = Int16Array::from(vec![Some(i16::MIN), None]);
    round_trip(
        list_field(item(DataType::Int16)),
        list_of(item(DataType::Int16), Arc::new(small), &[Some(2)]),
        MyTextForm::Json,
    );
    let dec = DataType::Decimal128(10, 2);
    let mut b = ListBuilder::new(
        Decimal128Builder::new()
            .with_precision_and_scale(10, 2)
            .expect("valid"),
    )
    .with_field(item(dec.clone()));
    b.append_value([Some(-1230), Some(5), Some(0), None, Some(9_999_999_999)]);
    round_trip(
        list_field(item(dec)),
        Arc::new(b.finish()),
        MyTextForm::Json,
    );
    let wide = Decimal256Array::from(vec![
        i256::from_string("-123456789012345678901234567890123456789012345678901234567890")
            .expect("digits"),
        i256::from_i128(1),
    ])
    .with_precision_and_scale(60, 5)
    .expect("valid");
    let wide_item = item(DataType::Decimal256(60, 5));
    round_trip(
        list_field(wide_item.clone()),
        list_of(wide_item, Arc::new(wide), &[Some(2)]),
        MyTextForm::Json,
    );

    // Exact: no digit is dropped, exponents are honoured, precision is checked.
    assert_eq!(parse::decimal("1.230", 10, 2), Some(i256::from_i128(123)));
    assert_eq!(
        parse::decimal("1.5e3", 10, 2),
        Some(i256::from_i128(150_000))
    );
    assert_eq!(parse::decimal("-0.05", 10, 2), Some(i256::from_i128(-5)));
    assert_eq!(parse::decimal("0e-9", 10, 2), Some(i256::ZERO));
    assert_eq!(parse::decimal("1.234", 10, 2), None);
    assert_eq!(parse::decimal("1e-3", 10, 2), None);
    assert_eq!(parse::decimal("123456789", 10, 2), None);
    assert_eq!(parse::decimal("1.", 10, 2), None);
    let ints = StringArray::from(vec!["[1.5]"]);
    assert!(parse_column("c", &ints, &DataType::List(Arc::new(item(DataType::Int32)))).is_err());
}

#[test]
fn text_forms_read_back() {
    let mut b = ListBuilder::new(BinaryBuilder::new());
    b.append_value([Some(&b"\x00\xff\\"[..]), Some(b""), None]);
    round_trip(
        list_field(item(DataType::Binary)),
        Arc::new(b.finish()),
        MyTextForm::Json,
    );

    let uuid_item = ext(item(DataType::FixedSizeBinary(16)), "arrow.uuid");
    let uuids = FixedSizeBinaryArray::try_from_sparse_iter_with_size(
        [Some([0xa0u8; 16]), None, Some([0x01; 16])].into_iter(),
        16,
    )
    .expect("uuids");
    round_trip(
        list_field(uuid_item.clone()),
        list_of(uuid_item, Arc::new(uuids), &[Some(3)]),
        MyTextForm::Json,
    );

    let dates = Date32Array::from(vec![Some(-719_528), Some(0), None, Some(2_932_896)]);
    round_trip(
        list_field(item(DataType::Date32)),
        list_of(item(DataType::Date32), Arc::new(dates), &[Some(4)]),
        MyTextForm::Json,
    );
    let ts = TimestampMicrosecondArray::from(vec![Some(-1), Some(253_402_300_799_999_999)]);
    round_trip(
        list_field(item(ts.data_type().clone())),
        list_of(item(ts.data_type().clone()), Arc::new(ts), &[Some(2)]),
        MyTextForm::Json,
    );
    let tstz = TimestampMicrosecondArray::from(vec![Some(1_709_294_400_000_000), None])
        .with_timezone("UTC");
    let tstz_item = item(tstz.data_type().clone());
    round_trip(
        list_field(tstz_item.clone()),
        list_of(tstz_item, Arc::new(tstz), &[Some(2)]),
        MyTextForm::Json,
    );
    let times = Time64MicrosecondArray::from(vec![Some(0), Some(86_400_000_000), Some(1)]);
    let time_item = item(DataType::Time64(TimeUnit::Microsecond));
    round_trip(
        list_field(time_item.clone()),
        list_of(time_item, Arc::new(times), &[Some(1), Some(2)]),
        MyTextForm::Json,
    );
    let iv = intervals(&[Some((14, 3, 7)), None, Some((0, 0, 0))]);
    let iv_item = item(iv.data_type().clone());
    round_trip(
        list_field(iv_item.clone()),
        list_of(iv_item, iv, &[Some(3)]),
        MyTextForm::Json,
    );
    let tz = timetzs(&[Some((1, -3600)), None]);
    let tz_item = item(tz.data_type().clone());
    round_trip(
        list_field(tz_item.clone()),
        list_of(tz_item, tz, &[Some(2)]),
        MyTextForm::Json,
    );
    let decimal_text_item = item(DataType::Utf8).with_metadata(HashMap::from([(
        "haul.decimal_text".to_string(),
        "true".to_string(),
    )]));
    let nums = StringArray::from(vec![Some("123.4500"), Some("NaN"), Some("-Infinity"), None]);
    round_trip(
        list_field(decimal_text_item.clone()),
        list_of(decimal_text_item, Arc::new(nums), &[Some(4)]),
        MyTextForm::Json,
    );
}

#[test]
fn json_items_keep_their_text() {
    let json_item = ext(item(DataType::Utf8), "arrow.json");
    let docs = StringArray::from(vec![
        Some(r#"{"a": [1, {"b": null}], "c": "x\"y"}"#),
        Some("\"text\""),
        Some("1.50"),
        None,
        Some("[[[]]]"),
    ]);
    round_trip(
        list_field(json_item.clone()),
        list_of(json_item.clone(), Arc::new(docs), &[Some(5)]),
        MyTextForm::Json,
    );
    // MySQL's JSON type re-spaces documents.
    let spaced = StringArray::from(vec![r#"[ {"a": 1} , "x" , null ]"#]);
    let got = parse_column("c", &spaced, list_field(json_item).data_type()).expect("parses");
    let values = got
        .as_any()
        .downcast_ref::<ListArray>()
        .expect("list")
        .value(0);
    let values = values.as_any().downcast_ref::<StringArray>().expect("text");
    assert_eq!(values.value(0), r#"{"a": 1}"#);
    assert_eq!(values.value(1), "\"x\"");
    assert!(values.is_null(2));
}

#[test]
fn what_the_encoder_cannot_have_written_is_an_error_naming_column_and_row() {
    let ints = DataType::List(Arc::new(item(DataType::Int32)));
    for (doc, why) in [
        (r#"{"a": 1}"#, "not a JSON array"),
        ("[1, \"2\"]", "a number is due"),
        ("[1,]", "not a JSON array"),
        ("[1] x", "not a JSON array"),
        ("[99999999999]", "not an integer"),
        ("null", "not a JSON array"),
    ] {
        let texts = StringArray::from(vec![Some("[]"), None, Some(doc)]);
        match parse_column("tags", &texts, &ints) {
            Err(FormatError::Value {
                column,
                row,
                reason,
                ..
            }) => {
                assert_eq!((column.as_str(), row), ("tags", 3), "{doc}");
                assert!(reason.contains(why), "{doc}: {reason}");
            }
            other => panic!("{doc}: {other:?}"),
        }
    }
    let iv = DataType::Struct(interval_fields());
    let texts = StringArray::from(vec!["1 day", "2 dyas"]);
    match parse_column("span", &texts, &iv) {
        Err(FormatError::Value { row: 2, reason, .. }) => {
            assert!(reason.contains("2 dyas"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
}
