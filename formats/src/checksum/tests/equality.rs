//! Equal values hash equal across Arrow types; different values hash differently.

use super::*;

/// Asserts every batch's single row hashes the same as the first's.
fn all_equal(what: &str, batches: Vec<RecordBatch>) {
    let first = hashes(&batches[0])[0];
    for (i, b) in batches.iter().enumerate() {
        assert_eq!(
            hashes(b)[0],
            first,
            "{what}: case {i} ({})",
            b.schema().field(0).data_type()
        );
    }
}

#[test]
fn integers_of_any_width_and_bool() {
    all_equal(
        "5",
        vec![
            single(Arc::new(Int32Array::from(vec![5]))),
            single(Arc::new(Int64Array::from(vec![5]))),
            single(Arc::new(Int8Array::from(vec![5]))),
            single(Arc::new(Int16Array::from(vec![5]))),
            single(Arc::new(UInt8Array::from(vec![5]))),
            single(Arc::new(UInt64Array::from(vec![5]))),
        ],
    );
    all_equal(
        "true = 1",
        vec![
            single(Arc::new(BooleanArray::from(vec![true]))),
            single(Arc::new(Int16Array::from(vec![1]))),
        ],
    );
}

#[test]
fn decimals_of_any_width_scale_and_text() {
    let text = |s: &str| {
        one(
            decimal_text_field("n"),
            Arc::new(StringArray::from(vec![s])),
        )
    };
    all_equal(
        "1.5",
        vec![
            single(dec128(vec![Some(150)], 10, 2)),
            single(Arc::new(
                Decimal256Array::from(vec![i256::from_i128(15)])
                    .with_precision_and_scale(40, 1)
                    .expect("valid"),
            )),
            single(Arc::new(
                Decimal32Array::from(vec![1500])
                    .with_precision_and_scale(5, 3)
                    .expect("valid"),
            )),
            text("1.50"),
            text("1.5"),
            text("15e-1"),
        ],
    );
    all_equal(
        "100",
        vec![
            single(dec128(vec![Some(100)], 10, 0)),
            single(dec128(vec![Some(1)], 5, -2)),
            single(dec128(vec![Some(10_000)], 10, 2)),
            text("100"),
            text("100.000"),
        ],
    );
    all_equal(
        "0",
        vec![
            single(dec128(vec![Some(0)], 10, 5)),
            text("-0.00"),
            text("0"),
        ],
    );
    // Other text columns are bytes: "1.50" ≠ "1.5" there.
    let plain = |s: &str| single(Arc::new(StringArray::from(vec![s])));
    assert_ne!(hashes(&plain("1.50")), hashes(&plain("1.5")));
}

#[test]
fn floats_zero_nan_and_widths() {
    all_equal(
        "0",
        vec![
            single(Arc::new(Float64Array::from(vec![0.0]))),
            single(Arc::new(Float64Array::from(vec![-0.0]))),
            single(Arc::new(Float32Array::from(vec![-0.0f32]))),
        ],
    );
    all_equal(
        "NaN",
        vec![
            single(Arc::new(Float64Array::from(vec![f64::NAN]))),
            single(Arc::new(Float64Array::from(vec![f64::from_bits(
                0x7ff8_0000_0000_0001,
            )]))),
            single(Arc::new(Float64Array::from(vec![f64::from_bits(
                0xfff8_0000_0000_0000,
            )]))),
            single(Arc::new(Float32Array::from(vec![f32::from_bits(
                0x7fc0_0001,
            )]))),
            single(Arc::new(Float16Array::from(vec![half_nan()]))),
        ],
    );
    all_equal(
        "1.5",
        vec![
            single(Arc::new(Float64Array::from(vec![1.5]))),
            single(Arc::new(Float32Array::from(vec![1.5f32]))),
            single(Arc::new(Float16Array::from(vec![half_of(1.5)]))),
        ],
    );
    let inf = hashes(&single(Arc::new(Float64Array::from(vec![f64::INFINITY]))));
    assert_ne!(
        inf,
        hashes(&single(Arc::new(Float64Array::from(vec![
            f64::NEG_INFINITY
        ]))))
    );
}

type F16 = <arrow_array::types::Float16Type as arrow_array::types::ArrowPrimitiveType>::Native;
fn half_of(v: f32) -> F16 {
    F16::from_f32(v)
}
fn half_nan() -> F16 {
    F16::from_f32(f32::NAN)
}

#[test]
fn bytes_of_any_layout() {
    let dict: DictionaryArray<arrow_array::types::Int8Type> =
        vec!["zz", "hello"].into_iter().collect();
    let dict = dict.slice(1, 1);
    all_equal(
        "hello",
        vec![
            single(Arc::new(StringArray::from(vec!["hello"]))),
            single(Arc::new(LargeStringArray::from(vec!["hello"]))),
            single(Arc::new(StringViewArray::from(vec!["hello"]))),
            single(Arc::new(BinaryArray::from(vec![b"hello".as_slice()]))),
            single(Arc::new(dict)),
        ],
    );
}

#[test]
fn times_in_any_unit() {
    all_equal(
        "1 s",
        vec![
            single(Arc::new(TimestampSecondArray::from(vec![1]))),
            single(Arc::new(
                TimestampMillisecondArray::from(vec![1000]).with_timezone("UTC"),
            )),
            single(Arc::new(TimestampMicrosecondArray::from(vec![1_000_000]))),
            single(Arc::new(TimestampNanosecondArray::from(vec![
                1_000_000_000,
            ]))),
            single(Arc::new(Time32SecondArray::from(vec![1]))),
            single(Arc::new(Time64MicrosecondArray::from(vec![1_000_000]))),
            single(Arc::new(DurationNanosecondArray::from(vec![1_000_000_000]))),
        ],
    );
    all_equal(
        "day 1",
        vec![
            single(Arc::new(Date32Array::from(vec![1]))),
            single(Arc::new(Date64Array::from(vec![86_400_000]))),
        ],
    );
    // Date64 takes the floor: 1 ms before the epoch is day −1.
    all_equal(
        "day -1",
        vec![
            single(Arc::new(Date32Array::from(vec![-1]))),
            single(Arc::new(Date64Array::from(vec![-1]))),
        ],
    );
    // The ±infinity sentinels just scale, in i128.
    let inf = single(Arc::new(TimestampMicrosecondArray::from(vec![
        i64::MAX,
        i64::MIN,
    ])));
    assert_eq!(bytes(&inf, 0), int(i128::from(i64::MAX) * 1000));
    assert_eq!(bytes(&inf, 1), int(i128::from(i64::MIN) * 1000));
}

#[test]
fn intervals_from_any_source() {
    all_equal(
        "1 mon 2 days 3 µs",
        vec![
            single(interval_struct(1, 2, 3)),
            single(Arc::new(IntervalMonthDayNanoArray::from(vec![
                IntervalMonthDayNano::new(1, 2, 3000),
            ]))),
        ],
    );
    all_equal(
        "14 mons",
        vec![
            single(interval_struct(14, 0, 0)),
            single(Arc::new(IntervalYearMonthArray::from(vec![14]))),
        ],
    );
    all_equal(
        "3 days 5 ms",
        vec![
            single(interval_struct(0, 3, 5000)),
            single(Arc::new(IntervalDayTimeArray::from(vec![
                IntervalDayTime::new(3, 5),
            ]))),
        ],
    );
}

#[test]
fn lists_of_any_layout() {
    let items = || vec![Some(vec![Some(1), None, Some(3)])];
    let fixed = arrow_array::FixedSizeListArray::from_iter_primitive::<Int32Type, _, _>(items(), 3);
    all_equal(
        "[1,NULL,3]",
        vec![
            single(Arc::new(ListArray::from_iter_primitive::<Int32Type, _, _>(
                items(),
            ))),
            single(Arc::new(LargeListArray::from_iter_primitive::<
                Int32Type,
                _,
                _,
            >(items()))),
            single(Arc::new(fixed)),
        ],
    );
}

#[test]
fn json_key_order_and_spacing_do_not_matter() {
    let j = |s: &str| one(json_field("j"), Arc::new(StringArray::from(vec![s])));
    all_equal(
        "json",
        vec![
            j(r#"{"b":1, "a":[1,2]}"#),
            j(r#"{"a":[1,2],"b":1}"#),
            j("{ \"a\" : [ 1 , 2 ] ,\n \"b\":1 }"),
        ],
    );
    assert_ne!(
        hashes(&j(r#"{"a":[2,1],"b":1}"#)),
        hashes(&j(r#"{"a":[1,2],"b":1}"#))
    );
    // Without the extension the text is plain bytes.
    let plain = |s: &str| single(Arc::new(StringArray::from(vec![s])));
    assert_ne!(
        hashes(&plain(r#"{"b":1,"a":2}"#)),
        hashes(&plain(r#"{"a":2,"b":1}"#))
    );
    // JSON items of a list keep their extension.
    let item = Arc::new(json_field("item"));
    let values = StringArray::from(vec![r#"{"y":1,"x":2}"#]);
    let list = ListArray::new(
        item.clone(),
        arrow_buffer::OffsetBuffer::from_lengths([1]),
        Arc::new(values),
        None,
    );
    let field = Field::new("l", DataType::List(item), true);
    let mut want = String::from("010100000000000000");
    want.push_str(&text(br#"{"x":2e0,"y":1e0}"#));
    assert_eq!(bytes(&one(field, Arc::new(list)), 0), want);
}

// ---- different values hash differently --------------------------------------------------

#[test]
fn nulls_empties_and_boundaries_differ() {
    let s = single(Arc::new(StringArray::from(vec![None, Some("")])));
    let h = hashes(&s);
    assert_ne!(h[0], h[1], "NULL vs ''");
    let pair = |a: &str, b: &str| {
        batch(vec![
            col("a", Arc::new(StringArray::from(vec![a]))),
            col("b", Arc::new(StringArray::from(vec![b]))),
        ])
    };
    assert_ne!(hashes(&pair("ab", "c")), hashes(&pair("a", "bc")));
    let i = single(Arc::new(Int32Array::from(vec![None, Some(0)])));
    let h = hashes(&i);
    assert_ne!(h[0], h[1], "NULL vs 0");
    let lists = ListArray::from_iter_primitive::<Int32Type, _, _>(vec![
        None,
        Some(vec![]),
        Some(vec![None]),
        Some(vec![Some(0)]),
    ]);
    let h = hashes(&single(Arc::new(lists)));
    for a in 0..h.len() {
        for b in a + 1..h.len() {
            assert_ne!(h[a], h[b], "list cases {a} and {b}");
        }
    }
    // Struct fields keep their own markers: (NULL, 1) ≠ (1, NULL).
    let fields = arrow_schema::Fields::from(vec![
        Field::new("x", DataType::Int32, true),
        Field::new("y", DataType::Int32, true),
    ]);
    let st = StructArray::new(
        fields,
        vec![
            Arc::new(Int32Array::from(vec![None, Some(1)])),
            Arc::new(Int32Array::from(vec![Some(1), None])),
        ],
        None,
    );
    let h = hashes(&single(Arc::new(st)));
    assert_ne!(h[0], h[1]);
}

#[test]
fn dictionary_nulls_are_nulls() {
    let keys = Int8Array::from(vec![Some(0), None, Some(1)]);
    let values = StringArray::from(vec![Some("a"), None]);
    let dict = DictionaryArray::new(keys, Arc::new(values));
    let b = single(Arc::new(dict));
    assert_eq!(bytes(&b, 0), text(b"a"));
    assert_eq!(bytes(&b, 1), "00");
    assert_eq!(bytes(&b, 2), "00");
}
