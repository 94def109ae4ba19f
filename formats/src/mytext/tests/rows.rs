//! Rows: several columns, offsets, a failing row, unsupported input, and a round trip through a
//! parser of the escapes.

use std::sync::Arc;

use arrow_array::{
    Array, Float32Array, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray,
    UInt64Array,
};
use arrow_schema::{DataType, Field, Schema};

use super::{batch, string_lists};
use crate::FormatError;
use crate::mytext::MyTextEncoder;
use crate::mytext::MyTextForm::{Hex, Json, Text};

fn two_columns() -> RecordBatch {
    batch(
        vec![
            Field::new("id", DataType::Int32, false),
            Field::new("x", DataType::Float64, true),
        ],
        vec![
            Arc::new(Int32Array::from(vec![10, 11, 12, 13])),
            Arc::new(Float64Array::from(vec![
                Some(1.0),
                Some(f64::NAN),
                None,
                Some(2.5),
            ])),
        ],
    )
}

#[test]
fn a_failing_row_is_cut_off_and_named() {
    let b = two_columns();
    let mut enc = MyTextEncoder::try_new(&b.schema(), vec![(0, Text), (1, Text)]).expect("encoder");
    let mut out = b"before\n".to_vec();
    match enc.write_rows(&b, 0, 4, &mut out) {
        Err(FormatError::Value {
            column,
            row,
            key,
            reason,
            text_would_hold,
        }) => {
            assert_eq!(
                (column.as_str(), row, key, text_would_hold),
                ("x", 1, None, false)
            );
            assert!(reason.contains("NaN"), "{reason}");
        }
        other => panic!("expected a value error, got {other:?}"),
    }
    assert_eq!(out, b"before\n10\t1\n");
    // From row 1 on: the batch's row index, nothing written.
    let mut out = b"before\n".to_vec();
    let e = enc.write_rows(&b, 1, 2, &mut out).expect_err("NaN");
    assert!(matches!(e, FormatError::Value { row: 1, .. }), "{e:?}");
    assert_eq!(out, b"before\n");
}

#[test]
fn offset_len_and_column_order() {
    let b = two_columns();
    let mut enc = MyTextEncoder::try_new(&b.schema(), vec![(1, Text), (0, Text)]).expect("encoder");
    let mut out = Vec::new();
    enc.write_rows(&b, 2, 2, &mut out).expect("rows");
    assert_eq!(out, b"\\N\t12\n2.5\t13\n");
    out.clear();
    enc.write_rows(&b, 4, 0, &mut out).expect("no rows");
    assert!(out.is_empty());
    assert!(matches!(
        enc.write_rows(&b, 3, 2, &mut out),
        Err(FormatError::Unsupported(_))
    ));
    // A sliced batch: arrays with offsets, strings and lists included.
    let s = batch(
        vec![
            Field::new("s", DataType::Utf8, true),
            Field::new("l", string_lists(&[]).data_type().clone(), true),
        ],
        vec![
            Arc::new(StringArray::from(vec!["a", "b\n", "c", "d"])),
            Arc::new(string_lists(&[
                Some(vec![Some("w")]),
                Some(vec![Some("x"), Some("y")]),
                None,
                Some(vec![Some("z")]),
            ])),
        ],
    )
    .slice(1, 3);
    let mut enc =
        MyTextEncoder::try_new(&s.schema(), vec![(0, Text), (1, Json), (1, Text)]).expect("enc");
    out.clear();
    enc.write_rows(&s, 0, 3, &mut out).expect("rows");
    assert_eq!(
        String::from_utf8(out).expect("utf-8"),
        "b\\n\t[\"x\",\"y\"]\tx,y\nc\t\\N\t\\N\nd\t[\"z\"]\tz\n"
    );
}

#[test]
fn unsupported_columns_and_batches() {
    let schema = two_columns().schema();
    let err = |cols| match MyTextEncoder::try_new(&schema, cols) {
        Err(FormatError::Unsupported(m)) => m,
        other => panic!("expected unsupported, got {other:?}"),
    };
    assert!(err(vec![(2, Text)]).contains("column 2"));
    let m = err(vec![(0, Hex)]);
    assert!(
        m.contains("`id`") && m.contains("Int32") && m.contains("Hex"),
        "{m}"
    );
    assert!(err(vec![]).contains("without columns"));
    let f16 = Schema::new(vec![Field::new("h", DataType::Float16, true)]);
    assert!(MyTextEncoder::try_new(&f16, vec![(0, Json)]).is_err());
    // A batch whose column differs from the schema's.
    let mut enc = MyTextEncoder::try_new(&schema, vec![(0, Text)]).expect("encoder");
    let other = batch(
        vec![Field::new("id", DataType::Utf8, false)],
        vec![Arc::new(StringArray::from(vec!["1"]))],
    );
    let mut out = Vec::new();
    assert!(matches!(
        enc.write_rows(&other, 0, 1, &mut out),
        Err(FormatError::Unsupported(_))
    ));
    assert!(out.is_empty());
}

// ---- Round trip through a parser of the escapes ----

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Rows of fields as `LOAD DATA` reads them with the engine's statement; `None` is NULL.
fn parse(text: &[u8]) -> Vec<Vec<Option<Vec<u8>>>> {
    let (mut rows, mut row, mut field, mut null) = (Vec::new(), Vec::new(), Vec::new(), false);
    let mut bytes = text.iter();
    while let Some(&b) = bytes.next() {
        match b {
            b'\\' => {
                let e = *bytes.next().expect("escape at the end");
                if e == b'N' {
                    assert!(field.is_empty() && !null, "\\N inside a field");
                    null = true;
                    continue;
                }
                field.push(match e {
                    b'\\' => b'\\',
                    b't' => b'\t',
                    b'n' => b'\n',
                    b'r' => b'\r',
                    b'0' => 0,
                    other => panic!("unexpected escape {other}"),
                });
            }
            b'\t' | b'\n' => {
                let f = std::mem::take(&mut field);
                row.push(if null { None } else { Some(f) });
                null = false;
                if b == b'\n' {
                    rows.push(std::mem::take(&mut row));
                }
            }
            b'\r' | 0 => panic!("raw CR or NUL in the text"),
            _ => {
                assert!(!null, "text after \\N");
                field.push(b);
            }
        }
    }
    assert!(
        field.is_empty() && row.is_empty(),
        "text after the last row"
    );
    rows
}

#[test]
fn random_rows_round_trip() {
    const ROWS: usize = 4000;
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let alphabet = [
        "\\", "\t", "\n", "\r", "\0", "N", "a", ",", "é", "😀", "\"", " ",
    ];
    let (mut ints, mut uints, mut f64s, mut f32s, mut strs) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ROWS {
        let null = rng.next().is_multiple_of(8);
        ints.push((!null).then(|| rng.next() as i64));
        uints.push((!rng.next().is_multiple_of(7)).then(|| rng.next() >> (rng.next() % 64)));
        let f = f64::from_bits(rng.next());
        f64s.push(f.is_finite().then_some(f));
        let g = f32::from_bits(rng.next() as u32);
        f32s.push(g.is_finite().then_some(g));
        let s = (!rng.next().is_multiple_of(9)).then(|| {
            let n = rng.next() % 12;
            (0..n)
                .map(|_| alphabet[(rng.next() % alphabet.len() as u64) as usize])
                .collect::<String>()
        });
        strs.push(s);
    }
    let b = batch(
        vec![
            Field::new("i", DataType::Int64, true),
            Field::new("u", DataType::UInt64, true),
            Field::new("d", DataType::Float64, true),
            Field::new("f", DataType::Float32, true),
            Field::new("s", DataType::Utf8, true),
        ],
        vec![
            Arc::new(Int64Array::from(ints.clone())),
            Arc::new(UInt64Array::from(uints.clone())),
            Arc::new(Float64Array::from(f64s.clone())),
            Arc::new(Float32Array::from(f32s.clone())),
            Arc::new(StringArray::from(strs.clone())),
        ],
    );
    let cols = (0..5).map(|c| (c, Text)).collect();
    let mut enc = MyTextEncoder::try_new(&b.schema(), cols).expect("encoder");
    let mut out = Vec::new();
    // In uneven pieces, as a caller bounding its buffer would.
    let mut at = 0;
    while at < ROWS {
        let n = (1 + rng.next() % 700) as usize;
        let n = n.min(ROWS - at);
        enc.write_rows(&b, at, n, &mut out).expect("rows");
        at += n;
    }
    let rows = parse(&out);
    assert_eq!(rows.len(), ROWS);
    let text = |f: &Option<Vec<u8>>| {
        f.as_ref()
            .map(|v| String::from_utf8(v.clone()).expect("utf-8"))
    };
    for (r, row) in rows.iter().enumerate() {
        assert_eq!(row.len(), 5, "row {r}");
        let num = |k: usize| text(&row[k]);
        assert_eq!(num(0).map(|t| t.parse::<i64>().expect("i64")), ints[r]);
        assert_eq!(num(1).map(|t| t.parse::<u64>().expect("u64")), uints[r]);
        let d = num(2).map(|t| t.parse::<f64>().expect("f64").to_bits());
        assert_eq!(d, f64s[r].map(f64::to_bits), "row {r}");
        // As MySQL reads a FLOAT field: a double, checked against FLT_MAX, then rounded.
        let f = num(3).map(|t| {
            let wide = t.parse::<f64>().expect("f64");
            assert!(wide.abs() <= f64::from(f32::MAX), "{t}");
            (wide as f32).to_bits()
        });
        assert_eq!(f, f32s[r].map(f32::to_bits), "row {r}");
        assert_eq!(text(&row[4]), strs[r], "row {r}");
    }
}
