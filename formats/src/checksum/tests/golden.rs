//! Canonical bytes and golden hashes (docs/checksum.md §6).

use super::*;

#[test]
fn bytes_of_scalars() {
    // int4 5: marker, then 5 as i128 LE.
    assert_eq!(
        bytes(&single(Arc::new(Int32Array::from(vec![5]))), 0),
        "0105000000000000000000000000000000"
    );
    assert_eq!(
        bytes(&single(Arc::new(Int64Array::from(vec![-1]))), 0),
        format!("01{}", "ff".repeat(16))
    );
    assert_eq!(
        bytes(&single(Arc::new(BooleanArray::from(vec![true]))), 0),
        int(1)
    );
    assert_eq!(
        bytes(&single(Arc::new(UInt64Array::from(vec![u64::MAX]))), 0),
        int(u64::MAX.into())
    );
    // NULL of any type is one 0x00.
    assert_eq!(
        bytes(&single(Arc::new(Int32Array::from(vec![None::<i32>]))), 0),
        "00"
    );
    assert_eq!(bytes(&single(Arc::new(NullArray::new(1))), 0), "00");
    // text: u64 LE length, then the bytes.
    assert_eq!(
        bytes(&single(Arc::new(StringArray::from(vec!["abc"]))), 0),
        "010300000000000000616263"
    );
    assert_eq!(
        bytes(&single(Arc::new(StringArray::from(vec![""]))), 0),
        "010000000000000000"
    );
    // numeric 1.50 → digits "15", exponent −1.
    assert_eq!(
        bytes(&single(dec128(vec![Some(150)], 10, 2)), 0),
        "0102000000000000003135ffffffff"
    );
    assert_eq!(
        bytes(&single(dec128(vec![Some(-100)], 10, 0)), 0),
        dec("-1", 2)
    );
    assert_eq!(bytes(&single(dec128(vec![Some(0)], 10, 4)), 0), dec("0", 0));
    // float8: −0.0 → 0, NaN → 0x7ff8000000000000, 1.5 → its bits.
    assert_eq!(
        bytes(&single(Arc::new(Float64Array::from(vec![-0.0]))), 0),
        "010000000000000000"
    );
    assert_eq!(
        bytes(&single(Arc::new(Float64Array::from(vec![f64::NAN]))), 0),
        "01000000000000f87f"
    );
    assert_eq!(
        bytes(&single(Arc::new(Float32Array::from(vec![1.5f32]))), 0),
        "01000000000000f83f"
    );
    // date 2022-01-08 = day 19000, as i64 LE.
    assert_eq!(
        bytes(&single(Arc::new(Date32Array::from(vec![19000]))), 0),
        "01384a000000000000"
    );
    // timestamp µs → ns as i128.
    let ts = TimestampMicrosecondArray::from(vec![1_700_000_000_000_000]).with_timezone("UTC");
    assert_eq!(
        bytes(&single(Arc::new(ts)), 0),
        int(1_700_000_000_000_000_000)
    );
    // interval 1 mon 2 days 3 µs → months, days, nanos.
    assert_eq!(
        bytes(&single(interval_struct(1, 2, 3)), 0),
        "010100000002000000b80b0000000000000000000000000000"
    );
    // uuid (FixedSizeBinary(16)) is length-prefixed bytes too.
    let uuid = FixedSizeBinaryArray::try_from_iter([[0xabu8; 16]].into_iter()).expect("valid");
    assert_eq!(bytes(&single(Arc::new(uuid)), 0), text(&[0xab; 16]));
}

#[test]
fn bytes_of_rows_and_nesting() {
    // A row is the concatenation of its columns in order.
    let b = batch(vec![
        col("id", Arc::new(Int32Array::from(vec![1]))),
        col("name", Arc::new(StringArray::from(vec![Some("abc")]))),
        col("price", dec128(vec![None], 10, 2)),
    ]);
    assert_eq!(bytes(&b, 0), format!("{}{}00", int(1), text(b"abc")));
    // int4[] {1,NULL}: count 2, then each element with its marker.
    let mut lb = ListBuilder::new(Int32Builder::new());
    lb.values().append_value(1);
    lb.values().append_null();
    lb.append(true);
    let list = single(Arc::new(lb.finish()));
    assert_eq!(bytes(&list, 0), format!("010200000000000000{}00", int(1)));
    // JSON: canonical text, length-prefixed.
    let j = one(
        json_field("j"),
        Arc::new(StringArray::from(vec![r#"{"b":1, "a":[1,2]}"#])),
    );
    assert_eq!(bytes(&j, 0), text(br#"{"a":[1e0,2e0],"b":1e0}"#));
    // timetz: a plain struct, each child with its marker.
    let tz = StructArray::new(
        timetz_fields(),
        vec![
            Arc::new(Time64MicrosecondArray::from(vec![1])),
            Arc::new(Int32Array::from(vec![-3600])),
        ],
        None,
    );
    assert_eq!(
        bytes(&single(Arc::new(tz)), 0),
        format!("01{}{}", int(1000), int(-3600))
    );
    // decimal text: normalised like a decimal.
    let t = one(
        decimal_text_field("n"),
        Arc::new(StringArray::from(vec!["-0012.3400", "NaN", "-Infinity"])),
    );
    assert_eq!(bytes(&t, 0), dec("-1234", -2));
    assert_eq!(bytes(&t, 1), dec("NaN", 0));
    assert_eq!(bytes(&t, 2), dec("-Infinity", 0));
}

// ---- golden hashes (docs/checksum.md, "Golden values") ----------------------------------

/// The doc's example table: (id int4, name text, price numeric(10,2)).
fn golden_batch() -> RecordBatch {
    batch(vec![
        (
            Field::new("id", DataType::Int32, false),
            Arc::new(Int32Array::from(vec![1, 2, 3])),
        ),
        col(
            "name",
            Arc::new(StringArray::from(vec![Some("abc"), Some(""), None])),
        ),
        col(
            "price",
            dec128(vec![Some(150), None, Some(-100_000)], 10, 2),
        ),
    ])
}

#[test]
fn golden_row_hashes() {
    let b = golden_batch();
    let got: Vec<String> = hashes(&b).iter().map(|h| format!("{h:032x}")).collect();
    assert_eq!(got, GOLDEN_ROWS);
    let d = digest(&b);
    assert_eq!(d.rows, 3);
    assert_eq!(d.sum_hex(), GOLDEN_SUM);
    assert_eq!(d.to_string(), format!("rows=3 sum={GOLDEN_SUM}"));
}

/// Checked against the reference xxHash (Python `xxhash.xxh3_128_hexdigest`) of the canonical
/// bytes built by hand.
const GOLDEN_ROWS: [&str; 3] = [
    "a9eef6a76127b0f0af7fae25701e24ef",
    "725622e6be382093be9f42903b872484",
    "0595363cc9640945bc1009f8f036bb8d",
];
const GOLDEN_SUM: &str = "21da4fcae8c3daca2a2efaae9bdc0500";

#[test]
fn golden_single_values() {
    let cases: Vec<(&str, RecordBatch)> = vec![
        ("int4 5", single(Arc::new(Int32Array::from(vec![5])))),
        (
            "text NULL",
            single(Arc::new(StringArray::from(vec![None::<&str>]))),
        ),
        ("text ''", single(Arc::new(StringArray::from(vec![""])))),
        ("numeric 1.50", single(dec128(vec![Some(150)], 10, 2))),
        (
            "float8 NaN",
            single(Arc::new(Float64Array::from(vec![f64::NAN]))),
        ),
        (
            "date 2022-01-08",
            single(Arc::new(Date32Array::from(vec![19000]))),
        ),
        (
            "json",
            one(
                json_field("j"),
                Arc::new(StringArray::from(vec![r#"{"b":1,"a":[1,2]}"#])),
            ),
        ),
    ];
    let got: Vec<(&str, String)> = cases
        .iter()
        .map(|(name, b)| (*name, format!("{:032x}", hashes(b)[0])))
        .collect();
    let want: Vec<(&str, String)> = GOLDEN_VALUES
        .iter()
        .map(|(n, h)| (*n, h.to_string()))
        .collect();
    assert_eq!(got, want);
}

const GOLDEN_VALUES: [(&str, &str); 7] = [
    ("int4 5", "5973b929eabaa28bdd2fb48649048c13"),
    ("text NULL", "a6cd5e9392000f6ac44bdff4074eecdb"),
    ("text ''", "fa3f5392c40387fb428516d12156e7b6"),
    ("numeric 1.50", "0f81d31bd6331460f0b19c6ba93a8b51"),
    ("float8 NaN", "b6208a817740aa049d90c95f8d711d09"),
    ("date 2022-01-08", "1138dbfe16c309be649a07abd89a6802"),
    ("json", "fc4c2355be43282867484d6c6c2a0957"),
];
