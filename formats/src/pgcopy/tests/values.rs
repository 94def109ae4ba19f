//! Per-kind value decoding and value errors (with key rendering), on hand-built streams.

use super::*;

/// Decodes one numeric into `kind` (one column, no key).
fn one(kind: PgKind, value: &[u8]) -> Result<RecordBatch, FormatError> {
    let kinds = vec![kind];
    let schema = schema(&kinds);
    decode_in(&schema, &kinds, &[], &stream(&[row(&[Some(value)])]), 0)
}

fn dec128(precision: u8, scale: i8, value: &[u8]) -> Result<i128, FormatError> {
    let b = one(PgKind::Decimal { precision, scale }, value)?;
    Ok(b.column(0).as_primitive::<Decimal128Type>().value(0))
}

fn reason(e: FormatError) -> String {
    value_err(e).3
}

#[test]
fn numeric_to_decimal128() {
    // 0, −0.01, 123456.789 → scale 3, 1.5 → scale 2, 12300 at scale −2
    assert_eq!(dec128(10, 2, &num(0, 0, 0, &[])).unwrap(), 0);
    assert_eq!(dec128(10, 2, &num(-1, 0x4000, 2, &[100])).unwrap(), -1);
    assert_eq!(
        dec128(12, 3, &num(1, 0, 3, &[12, 3456, 7890])).unwrap(),
        123_456_789
    );
    assert_eq!(dec128(10, 2, &num(0, 0, 1, &[1, 5000])).unwrap(), 150);
    assert_eq!(dec128(5, -2, &num(1, 0, 0, &[1, 2300])).unwrap(), 123);
    // A value stored with fewer fraction digits than the scale is scaled up.
    assert_eq!(dec128(20, 6, &num(0, 0, 0, &[42])).unwrap(), 42_000_000);
    // 38 nines at scale 0: ten digit groups, past the u64 fast path.
    let mut nines = vec![99u16];
    nines.extend([9999; 9]);
    assert_eq!(
        dec128(38, 0, &num(9, 0, 0, &nines)).unwrap(),
        10i128.pow(38) - 1
    );
    assert_eq!(
        dec128(38, 0, &num(9, 0x4000, 0, &nines)).unwrap(),
        1 - 10i128.pow(38)
    );
    // 1e-20 at scale 20; 1e20 at scale 0
    assert_eq!(dec128(21, 20, &num(-5, 0, 20, &[1])).unwrap(), 1);
    assert_eq!(dec128(21, 0, &num(5, 0, 0, &[1])).unwrap(), 10i128.pow(20));
}

#[test]
fn numeric_decimal_errors() {
    let e = reason(dec128(10, 2, &num(0, 0xC000, 0, &[])).unwrap_err());
    assert_eq!(
        e,
        "NaN cannot be held by Decimal128(10,2) [text would hold]"
    );
    let e = reason(dec128(10, 2, &num(0, 0xD000, 0x20, &[])).unwrap_err());
    assert!(
        e.starts_with("Infinity cannot be held by Decimal128(10,2)"),
        "{e}"
    );
    let e = reason(dec128(10, 2, &num(0, 0xF000, 0x20, &[])).unwrap_err());
    assert!(e.starts_with("-Infinity cannot be held"), "{e}");
    let b = one(
        PgKind::Decimal {
            precision: 50,
            scale: 0,
        },
        &num(0, 0xC000, 0, &[]),
    )
    .unwrap_err();
    assert!(reason(b).starts_with("NaN cannot be held by Decimal256(50,0)"));
    // 0.125 at scale 2 would be rounded.
    let e = reason(dec128(10, 2, &num(-1, 0, 3, &[1250])).unwrap_err());
    assert!(
        e.contains("more fraction digits than Decimal128(10,2)"),
        "{e}"
    );
    // 10^8 does not fit numeric(10,2).
    let e = reason(dec128(10, 2, &num(2, 0, 0, &[1])).unwrap_err());
    assert_eq!(e, "value does not fit Decimal128(10,2)");
    // 10^40 does not fit i128 at all.
    let e = reason(dec128(38, 0, &num(10, 0, 0, &[1])).unwrap_err());
    assert_eq!(e, "value does not fit Decimal128(38,0)");
    // Structural problems in the numeric itself are malformed.
    let kinds = vec![PgKind::Decimal {
        precision: 10,
        scale: 2,
    }];
    let schema = schema(&kinds);
    for (bad, want) in [
        (num(0, 0x1234, 0, &[1]), "invalid numeric sign word"),
        (num(0, 0, 0, &[10_000]), "numeric digit out of range"),
        (num(0, 0, 0, &[1])[..9].to_vec(), "length does not match"),
        (vec![0, 0, 0], "shorter than its 8-byte header"),
    ] {
        let r = malformed_reason(decode_err(
            &schema,
            &kinds,
            &[],
            &stream(&[row(&[Some(&bad)])]),
        ));
        assert!(
            r.contains(want) && r.starts_with("column `c0`, row 1: "),
            "{r}"
        );
    }
}

#[test]
fn numeric_to_decimal256() {
    let dec = |p, s, v: &[u8]| {
        let b = one(
            PgKind::Decimal {
                precision: p,
                scale: s,
            },
            v,
        )?;
        Ok::<_, FormatError>(b.column(0).as_primitive::<Decimal256Type>().value(0))
    };
    // 10^60 − 1 (60 nines) at scale 0
    let mut nines = vec![9999u16; 15];
    nines[0] = 9999;
    let want = i256::from_i128(10)
        .checked_pow(60)
        .unwrap()
        .wrapping_sub(i256::ONE);
    assert_eq!(dec(76, 0, &num(14, 0, 0, &nines)).unwrap(), want);
    assert_eq!(
        dec(76, 0, &num(14, 0x4000, 0, &nines)).unwrap(),
        want.wrapping_neg()
    );
    assert_eq!(
        dec(40, 5, &num(-2, 0x4000, 5, &[1000])).unwrap(),
        i256::from_i128(-1)
    );
    assert!(reason(dec(60, 0, &num(15, 0, 0, &[1])).unwrap_err()).contains("does not fit"));
    assert!(reason(dec(60, 2, &num(-1, 0, 3, &[1])).unwrap_err()).contains("fraction digits"));
}

fn text_of(value: &[u8]) -> String {
    let b = one(PgKind::NumericText, value).unwrap();
    b.column(0).as_string::<i32>().value(0).to_string()
}

#[test]
fn numeric_text_is_postgres_text() {
    assert_eq!(text_of(&num(0, 0, 0, &[])), "0");
    assert_eq!(text_of(&num(0, 0, 3, &[])), "0.000");
    assert_eq!(text_of(&num(-1, 0x4000, 2, &[100])), "-0.01");
    assert_eq!(text_of(&num(1, 0, 3, &[12, 3456, 7890])), "123456.789");
    assert_eq!(text_of(&num(-5, 0, 20, &[1])), "0.00000000000000000001");
    assert_eq!(text_of(&num(1, 0, 0, &[1])), "10000");
    assert_eq!(text_of(&num(0, 0, 0, &[7])), "7");
    assert_eq!(text_of(&num(2, 0, 1, &[1, 0, 5])), "100000005.0");
    assert_eq!(text_of(&num(0, 0xC000, 0, &[])), "NaN");
    // PostgreSQL 15 sends dscale 0x20 with ±Infinity: ignored.
    assert_eq!(text_of(&num(0, 0xD000, 0x20, &[])), "Infinity");
    assert_eq!(text_of(&num(0, 0xF000, 0x20, &[])), "-Infinity");
    // 4000 integer digits.
    let s = text_of(&num(999, 0, 0, &[9999; 1000]));
    assert_eq!(s.len(), 4000);
    assert!(s.bytes().all(|c| c == b'9'));
}

#[test]
fn dates_and_timestamps_keep_infinity_and_refuse_overflow() {
    let kinds = vec![
        PgKind::Int4,
        PgKind::Date,
        PgKind::Timestamp,
        PgKind::TimestampTz,
    ];
    let schema = schema(&kinds);
    let r = |d: i32, t: i64| {
        row(&[
            Some(&1i32.to_be_bytes()),
            Some(&d.to_be_bytes()),
            Some(&t.to_be_bytes()),
            Some(&t.to_be_bytes()),
        ])
    };
    let b = decode_all_splits(
        &schema,
        &kinds,
        &stream(&[r(i32::MAX, i64::MAX), r(i32::MIN, i64::MIN), r(0, 0)]),
    );
    assert_eq!(
        b.column(1).as_primitive::<Date32Type>().values(),
        &[i32::MAX, i32::MIN, 10_957]
    );
    let ts = [i64::MAX, i64::MIN, PG_EPOCH_MICROS];
    assert_eq!(
        b.column(2)
            .as_primitive::<TimestampMicrosecondType>()
            .values(),
        &ts
    );
    assert_eq!(
        b.column(3)
            .as_primitive::<TimestampMicrosecondType>()
            .values(),
        &ts
    );
    // The one real timestamp that would land on the +infinity sentinel after the epoch shift
    // (294247-01-10 04:00:54.775807) is refused, not read back as infinity.
    let at_sentinel = i64::MAX - PG_EPOCH_MICROS;
    let e = decode_err(&schema, &kinds, &[0, 2], &stream(&[r(0, at_sentinel)]));
    let (_, _, _, reason) = value_err(e);
    assert!(
        reason.starts_with("timestamp after 294247-01-10"),
        "{reason}"
    );
    // 294276-12-31 23:59:59.999999 (PostgreSQL's last timestamp) is past Arrow's range.
    let last = 9_223_371_331_199_999_999i64;
    let e = decode_err(&schema, &kinds, &[0, 2], &stream(&[r(0, 0), r(0, last)]));
    let (column, row_no, key, reason) = value_err(e);
    assert_eq!((column.as_str(), row_no), ("c2", 2));
    assert_eq!(
        reason,
        "timestamp after 294247-01-10 04:00:54.775806 does not fit Arrow's microsecond range [text would hold]"
    );
    assert_eq!(
        key.as_deref(),
        Some("(c0, c2)=(1, '294276-12-31 23:59:59.999999')")
    );
    let e = value_err(decode_err(
        &schema,
        &kinds,
        &[],
        &stream(&[r(i32::MAX - 1, 0)]),
    ));
    assert_eq!(e.3, "date does not fit Arrow's Date32 range");
    assert_eq!(e.2, None);
}

#[test]
fn keys_render_like_postgres_detail() {
    let kinds = vec![
        PgKind::Int2,
        PgKind::Int8,
        PgKind::Text,
        PgKind::Uuid,
        PgKind::Date,
        PgKind::TimestampTz,
        PgKind::NumericText,
        PgKind::Decimal {
            precision: 10,
            scale: 2,
        },
        PgKind::Bytea,
        PgKind::Bool,
        PgKind::Int4,
        PgKind::Time,
        PgKind::Float8,
        PgKind::Jsonb, // the failing column
    ];
    let cols: Vec<(&str, PgKind)> = [
        "a", "b", "t", "u", "d", "ts", "n", "m", "y", "f", "nul", "tm", "x", "j",
    ]
    .into_iter()
    .zip(kinds.iter().cloned())
    .collect();
    let (schema, kinds) = named(&cols);
    let values: Vec<Option<Vec<u8>>> = vec![
        Some((-3i16).to_be_bytes().to_vec()),
        Some(9_000_000_000i64.to_be_bytes().to_vec()),
        Some("o'k ✓".as_bytes().to_vec()),
        Some(UUID.to_vec()),
        Some((-735_160i32 - 10_957).to_be_bytes().to_vec()), // 0044-03-15 BC
        Some(1_500_000i64.to_be_bytes().to_vec()),
        Some(num(0, 0x4000, 3, &[1, 2000])),
        Some(num(0, 0, 2, &[5])),
        Some(vec![1, 2]),
        Some(vec![0]),
        None,
        Some(45_296_789_000i64.to_be_bytes().to_vec()),
        Some(f64::NAN.to_be_bytes().to_vec()),
        Some(b"\x02{}".to_vec()),
    ];
    let fields: Vec<Option<&[u8]>> = values.iter().map(|v| v.as_deref()).collect();
    let keys: Vec<usize> = (0..13).collect();
    let e = value_err(decode_err(&schema, &kinds, &keys, &stream(&[row(&fields)])));
    assert_eq!(e.0, "j");
    assert_eq!(e.3, "unsupported jsonb version 2");
    assert_eq!(
        e.2.as_deref(),
        Some(
            "(a, b, t, u, d, ts, n, m, y, f, nul, tm, x)=(-3, 9000000000, 'o''k ✓', \
             'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '0044-03-15 BC', '2000-01-01 00:00:01.5+00', \
             -1.200, 5.00, ?, false, NULL, '12:34:56.789', 'NaN')"
        )
    );
    // And the whole error text.
    let full = decode_err(&schema, &kinds, &[1], &stream(&[row(&fields)])).to_string();
    assert_eq!(
        full,
        "column `j`, row 1 (key (b)=(9000000000)): unsupported jsonb version 2"
    );
}

#[test]
fn text_must_be_utf8() {
    let kinds = vec![PgKind::Int4, PgKind::Text, PgKind::Json, PgKind::Jsonb];
    let schema = schema(&kinds);
    let ok = "ok".as_bytes();
    let base = |t: &[u8], j: &[u8], jb: &[u8]| {
        row(&[Some(&9i32.to_be_bytes()), Some(t), Some(j), Some(jb)])
    };
    let e = value_err(decode_err(
        &schema,
        &kinds,
        &[0],
        &stream(&[base(b"ab\xc3(", ok, b"\x01{}")]),
    ));
    assert_eq!((e.0.as_str(), e.2.as_deref()), ("c1", Some("(c0)=(9)")));
    assert_eq!(e.3, "invalid UTF-8 at byte 2 of a 4-byte value");
    let e = value_err(decode_err(
        &schema,
        &kinds,
        &[],
        &stream(&[base(ok, b"\xed\xa0\x80", b"\x01{}")]),
    ));
    assert_eq!(e.0, "c2");
    let e = value_err(decode_err(
        &schema,
        &kinds,
        &[],
        &stream(&[base(ok, ok, b"\x01\"\xff\"")]),
    ));
    assert_eq!(e.0, "c3");
    let r = malformed_reason(decode_err(
        &schema,
        &kinds,
        &[],
        &stream(&[base(ok, ok, b"")]),
    ));
    assert!(r.contains("empty jsonb field"), "{r}");
    // Long values take simdutf8's SIMD path; a bad byte deep inside is still found.
    let mut long = "x".repeat(200).into_bytes();
    long[150] = 0x80;
    let e = value_err(decode_err(
        &schema,
        &kinds,
        &[],
        &stream(&[base(&long, ok, b"\x01{}")]),
    ));
    assert_eq!(e.3, "invalid UTF-8 at byte 150 of a 200-byte value");
}

#[test]
fn fixed_widths_are_checked() {
    for (kind, len) in [
        (PgKind::Bool, 1),
        (PgKind::Int2, 2),
        (PgKind::Int8, 8),
        (PgKind::Float4, 4),
        (PgKind::Float8, 8),
        (PgKind::Money { scale: 2 }, 8),
        (PgKind::Date, 4),
        (PgKind::Time, 8),
        (PgKind::TimeTz, 12),
        (PgKind::Timestamp, 8),
        (PgKind::Interval, 16),
        (PgKind::Uuid, 16),
    ] {
        let kinds = vec![kind];
        let schema = schema(&kinds);
        let wrong = vec![0u8; len + 1];
        let r = malformed_reason(decode_err(
            &schema,
            &kinds,
            &[],
            &stream(&[row(&[Some(&wrong)])]),
        ));
        assert!(
            r.contains(&format!("of {} bytes (expected {len})", len + 1)),
            "{r}"
        );
    }
}
