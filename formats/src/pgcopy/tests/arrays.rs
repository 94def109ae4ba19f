//! Arrays → nested Lists, on hand-built streams.

use arrow_array::ListArray;

use super::*;

fn int_list(a: &ListArray, i: usize) -> Vec<Option<i32>> {
    a.value(i).as_primitive::<Int32Type>().iter().collect()
}

#[test]
fn one_dimensional_arrays() {
    let kinds = vec![PgKind::Array {
        element: Box::new(PgKind::Int4),
        dims: 1,
    }];
    let schema = schema(&kinds);
    let one = 1i32.to_be_bytes();
    let two = 2i32.to_be_bytes();
    let rows = [
        row(&[Some(&array(&[(3, 1)], &[Some(&one), None, Some(&two)]))]),
        row(&[None]),
        row(&[Some(&array(&[], &[]))]), // '{}'
        row(&[Some(&array(&[(1, 1)], &[None]))]),
    ];
    let b = decode_all_splits(&schema, &kinds, &stream(&rows));
    let l = b.column(0).as_list::<i32>();
    assert_eq!(l.len(), 4);
    assert_eq!(int_list(l, 0), [Some(1), None, Some(2)]);
    assert!(l.is_null(1));
    assert!(l.is_valid(2) && l.value(2).is_empty());
    assert_eq!(int_list(l, 3), [None]);
    assert_eq!(l.value_offsets(), &[0, 3, 3, 3, 4]);
}

#[test]
fn a_zero_length_dimension_is_an_empty_array() {
    // PostgreSQL never sends one (array_recv makes it '{}'), but a hostile stream could declare
    // [i32::MAX × 0]: it must not make two billion inner lists.
    let kinds = vec![PgKind::Array {
        element: Box::new(PgKind::Int4),
        dims: 2,
    }];
    let schema = schema(&kinds);
    let rows = [row(&[Some(&array(&[(i32::MAX, 1), (0, 1)], &[]))])];
    let b = decode_all_splits(&schema, &kinds, &stream(&rows));
    let l = b.column(0).as_list::<i32>();
    assert_eq!(l.value_offsets(), &[0, 0]);
    assert_eq!(l.values().len(), 0);
}

#[test]
fn nested_dimensions() {
    let kinds = vec![PgKind::Array {
        element: Box::new(PgKind::Text),
        dims: 3,
    }];
    let schema = schema(&kinds);
    // 2 × 1 × 2: {{{a,b}},{{NULL,d}}}
    let els: [Option<&[u8]>; 4] = [Some(b"a"), Some(b"b"), None, Some(b"d")];
    let rows = [
        row(&[Some(&array(&[(2, 1), (1, 1), (2, 1)], &els))]),
        row(&[Some(&array(&[], &[]))]),
        row(&[None]),
    ];
    let b = decode_all_splits(&schema, &kinds, &stream(&rows));
    assert_eq!(b.schema(), schema);
    let l1 = b.column(0).as_list::<i32>();
    assert_eq!(l1.value_offsets(), &[0, 2, 2, 2]);
    assert!(l1.is_null(2) && l1.value(1).is_empty());
    let l2 = l1.values().as_list::<i32>();
    assert_eq!(l2.value_offsets(), &[0, 1, 2]);
    let l3 = l2.values().as_list::<i32>();
    assert_eq!(l3.value_offsets(), &[0, 2, 4]);
    let leaf: Vec<_> = l3.values().as_string::<i32>().iter().collect();
    assert_eq!(leaf, [Some("a"), Some("b"), None, Some("d")]);
}

#[test]
fn arrays_of_extension_and_struct_elements() {
    let kinds = vec![
        PgKind::Array {
            element: Box::new(PgKind::Uuid),
            dims: 1,
        },
        PgKind::Array {
            element: Box::new(PgKind::Interval),
            dims: 1,
        },
        PgKind::Array {
            element: Box::new(PgKind::Decimal {
                precision: 6,
                scale: 2,
            }),
            dims: 1,
        },
    ];
    let schema = schema(&kinds);
    let mut iv = 5i64.to_be_bytes().to_vec();
    iv.extend_from_slice(&[0, 0, 0, 6, 0, 0, 0, 7]);
    let d = num(0, 0, 2, &[1, 5000]);
    let rows = [row(&[
        Some(&array(&[(2, 1)], &[Some(&UUID), None])),
        Some(&array(&[(2, 1)], &[None, Some(&iv)])),
        Some(&array(&[(1, 1)], &[Some(&d)])),
    ])];
    let b = decode_all_splits(&schema, &kinds, &stream(&rows));
    let item = match b.schema().field(0).data_type() {
        DataType::List(f) => f.clone(),
        other => panic!("{other}"),
    };
    assert_eq!(item.extension_type_name(), Some("arrow.uuid"));
    let u = b
        .column(0)
        .as_list::<i32>()
        .values()
        .as_fixed_size_binary()
        .clone();
    assert_eq!((u.value(0), u.is_null(1)), (&UUID[..], true));
    let s = b.column(1).as_list::<i32>().values().as_struct().clone();
    assert!(s.is_null(0) && s.is_valid(1));
    assert_eq!(s.column(0).as_primitive::<Int32Type>().value(1), 7);
    assert_eq!(s.column(1).as_primitive::<Int32Type>().value(1), 6);
    assert_eq!(s.column(2).as_primitive::<Int64Type>().value(1), 5);
    let n = b
        .column(2)
        .as_list::<i32>()
        .values()
        .as_primitive::<Decimal128Type>()
        .value(0);
    assert_eq!(n, 150);
}

#[test]
fn array_value_errors() {
    let kinds = [
        PgKind::Int4,
        PgKind::Array {
            element: Box::new(PgKind::Int4),
            dims: 1,
        },
    ];
    let (schema, kinds) = named(&[("id", kinds[0].clone()), ("a", kinds[1].clone())]);
    let one = 1i32.to_be_bytes();
    let check = |value: Vec<u8>, want: &str| {
        let r = row(&[Some(&5i32.to_be_bytes()), Some(&value)]);
        let (column, row_no, key, reason) =
            value_err(decode_err(&schema, &kinds, &[0], &stream(&[r])));
        assert_eq!(
            (column.as_str(), row_no, key.as_deref()),
            ("a", 1, Some("(id)=(5)"))
        );
        assert_eq!(reason, want);
    };
    check(
        array(&[(1, 1), (1, 1)], &[Some(&one)]),
        "2-dimensional array in a column declared with 1 dimension [text would hold]",
    );
    check(
        array(&[(1, 0)], &[Some(&one)]),
        "array with lower bound 0 in dimension 1 (a List needs lower bound 1) [text would hold]",
    );
    check(
        array(&[(-1, 1)], &[]),
        "invalid array header: dimension 1 has length -1",
    );
    check(
        array(&[(3, 1)], &[Some(&one)]),
        "invalid array header: 3 elements declared but only 8 bytes follow",
    );
    let mut extra = array(&[(1, 1)], &[Some(&one)]);
    extra.extend_from_slice(&[0, 0, 0, 0, 0]);
    check(
        extra,
        "invalid array: 5 bytes after the last declared element",
    );
    let mut overrun = array(&[(2, 1)], &[Some(&one), Some(&one)]);
    let n = overrun.len();
    overrun[n - 8..n - 4].copy_from_slice(&100i32.to_be_bytes());
    check(
        overrun,
        "invalid array: element length 100 overruns the field",
    );
    let mut header = array(&[], &[]);
    header[3] = 9;
    check(header, "invalid array header: 9 dimensions");
    check(
        vec![0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
        "invalid array: empty, but 1 bytes of elements follow",
    );
    let r = malformed_reason(decode_err(
        &schema,
        &kinds,
        &[],
        &stream(&[row(&[Some(&one), Some(&[0; 5])])]),
    ));
    assert!(r.contains("shorter than its 12-byte header"), "{r}");
    let r = malformed_reason(decode_err(
        &schema,
        &kinds,
        &[],
        &stream(&[row(&[
            Some(&one),
            Some(&array(&[(1, 1)], &[Some(&[0, 1])])),
        ])]),
    ));
    assert_eq!(
        r,
        "column `a`, row 1: array element: int4 field of 2 bytes (expected 4)"
    );
}

#[test]
fn a_failed_array_leaves_earlier_rows_intact() {
    let kinds = vec![
        PgKind::Array {
            element: Box::new(PgKind::Text),
            dims: 2,
        },
        PgKind::Int4,
    ];
    let schema = schema(&kinds);
    let good = row(&[
        Some(&array(&[(1, 1), (2, 1)], &[Some(b"a"), Some(b"b")])),
        Some(&1i32.to_be_bytes()),
    ]);
    // The second element is not UTF-8: offsets for both levels were pushed before it failed.
    let bad = row(&[
        Some(&array(
            &[(2, 1), (2, 1)],
            &[Some(b"c"), Some(b"\xff"), None, None],
        )),
        Some(&2i32.to_be_bytes()),
    ]);
    let mut d = PgCopyDecoder::try_new(schema, kinds, vec![1]).unwrap();
    let mut bytes = HEADER.to_vec();
    bytes.extend_from_slice(&good);
    bytes.extend_from_slice(&bad);
    let e = value_err(d.feed(&bytes).unwrap_err());
    assert_eq!(
        e.3,
        "array element: invalid UTF-8 at byte 0 of a 1-byte value"
    );
    assert_eq!(e.2.as_deref(), Some("(c1)=(2)"));
    let b = d.finish_batch().unwrap().unwrap();
    assert_eq!(b.num_rows(), 1);
    let inner = b.column(0).as_list::<i32>().value(0);
    let first = inner.as_list::<i32>().value(0);
    let leaf: Vec<_> = first.as_string::<i32>().iter().collect();
    assert_eq!(leaf, [Some("a"), Some("b")]);
}
