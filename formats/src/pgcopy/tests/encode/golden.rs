//! Byte-exact encoder tests: streams captured from PostgreSQL 15.20 (`psql -h 127.0.0.1 -U
//! postgres -Atc "COPY (<query>) TO STDOUT (FORMAT binary)"` with `PGOPTIONS='-c TimeZone=UTC'`,
//! hex-encoded; each stream's query is in the comment above it) are decoded and encoded again,
//! which must give PostgreSQL's bytes back exactly: numeric digit groups, weights, signs and
//! display scales, array headers and element OIDs, jsonb version bytes, timetz zones. Then the
//! byte strings of crate-facts.md §1. No database is needed to run these tests.

use super::*;

// COPY (SELECT x FROM (VALUES
//  (1, 0::numeric), (2, -0.01), (3, 123456.789), (4, 1e-20), (5, 123456789012345678901234567890.5),
//  (6, 'NaN'), (7, 'Infinity'), (8, '-Infinity'), (9, NULL), (10, 1.000), (11, 10000),
//  (12, -99999999.0001), (13, 0.0000), (14, 1e100), (15, 0.5), (16, 100000000), (17, 0.00010000),
//  (18, -0.000000001), (19, 1::numeric / 7), (20, 2::numeric ^ 200), (21, 1e-1000), (22, -0.0), (23, 9e130000)
// ) t(i, x) ORDER BY i) TO STDOUT (FORMAT binary)
const NUMERIC: &[&str] = &[
    "5047434f50590aff0d0a000000000000000000000100000008000000000000000000010000000a0001ffff4000000200",
    "6400010000000e0003000100000003000c0d801ed200010000000a0001fffb00000014000100010000001a0009000700",
    "000001000c0d801ed204d2162e23340d801ed2138800010000000800000000c000000000010000000800000000d00000",
    "2000010000000800000000f00000200001ffffffff00010000000a0001000000000003000100010000000a0001000100",
    "000000000100010000000e0003000140000004270f270f0001000100000008000000000000000400010000000a000100",
    "1900000000000100010000000a0001ffff00000001138800010000000a0001000200000000000100010000000a0001ff",
    "ff00000008000100010000000a0001fffd4000000903e80001000000120005ffff00000014059416520b290594165200",
    "01000000280010000f00000010000117b50edc10a226ae1d8207aa039b10140a2a1466012b0ec61ef80dca0560000100",
    "00000a0001ff06000003e80001000100000008000000000000000100010000000a00017ef4000000000009ffff",
];

// COPY (SELECT a::numeric(10,2), b::numeric(50,10), c::numeric(5,-2), d::numeric(38,0), e::numeric(4,4), f::numeric(76,38) FROM (VALUES
//  (1, 0, 0, 0, 0, 0, 0),
//  (2, -0.01, 1234567890123456789012345678901234567890.0123456789, 12345, 99999999999999999999999999999999999999, 0.9999, 12345678901234567890123456789012345678.12345678901234567890123456789012345678),
//  (3, 12345678.9, -0.0000000001, -9999949, -99999999999999999999999999999999999999, -0.0001, -0.00000000000000000000000000000000000001),
//  (4, -99999999.99, 9999999999999999999999999999999999999999.9999999999, 100, 1, 0.5, -99999999999999999999999999999999999999.99999999999999999999999999999999999999),
//  (5, 1.5, NULL, NULL, NULL, NULL, 1)
// ) t(i, a, b, c, d, e, f) ORDER BY i) TO STDOUT (FORMAT binary)
const DECIMALS: &[&str] = &[
    "5047434f50590aff0d0a000000000000000000000600000008000000000000000200000008000000000000000a000000",
    "080000000000000000000000080000000000000000000000080000000000000004000000080000000000000026000600",
    "00000a0001ffff40000002006400000022000d00090000000a04d2162e23340d801ed204d2162e23340d801ed2007b11",
    "d722c40000000c0002000100000000000108fc0000001c000a0009000000000063270f270f270f270f270f270f270f27",
    "0f270f0000000a0001ffff00000004270f000000300014000900000026000c0d801ed204d2162e23340d801ed204d216",
    "2e04d2162e23340d801ed204d2162e23340d801e7800060000000e000300010000000204d2162e23280000000a0001ff",
    "fd4000000a00640000000c000200014000000003e726ac0000001c000a0009400000000063270f270f270f270f270f27",
    "0f270f270f270f0000000a0001ffff4000000400010000000a0001fff640000026006400060000000e00030001400000",
    "02270f270f26ac00000022000d00090000000a270f270f270f270f270f270f270f270f270f270f270f270f26ac000000",
    "0a000100000000000000640000000a000100000000000000010000000a0001ffff000000041388000000300014000940",
    "0000260063270f270f270f270f270f270f270f270f270f270f270f270f270f270f270f270f270f270f26ac0006000000",
    "0c000200000000000200011388ffffffffffffffffffffffffffffffff0000000a00010000000000260001ffff",
];

// COPY (SELECT r::float4, d::float8 FROM (VALUES
//  (1, 'NaN', 'NaN'), (2, 'Infinity', 'Infinity'), (3, '-Infinity', '-Infinity'), (4, '-0', '-0'),
//  (5, '1.5', '1.5'), (6, '3.4028235e38', '1.7976931348623157e308'), (7, '1e-45', '5e-324'),
//  (8, NULL, NULL), (9, '0', '0.1')) t(i, r, d) ORDER BY i) TO STDOUT (FORMAT binary)
const FLOATS: &[&str] = &[
    "5047434f50590aff0d0a0000000000000000000002000000047fc00000000000087ff80000000000000002000000047f",
    "800000000000087ff0000000000000000200000004ff80000000000008fff00000000000000002000000048000000000",
    "00000880000000000000000002000000043fc00000000000083ff80000000000000002000000047f7fffff000000087f",
    "efffffffffffff000200000004000000010000000800000000000000010002ffffffffffffffff000200000004000000",
    "00000000083fb999999999999affff",
];

// COPY (SELECT d::date, ts::timestamp, tstz::timestamptz, tm::time, ttz::timetz, iv::interval FROM (VALUES
//  (1, '2000-01-01', '2000-01-01 00:00:00', '2000-01-01 00:00:00+00', '00:00:00', '00:00:00+00', '0'),
//  (2, '0044-03-15 BC', '0044-03-15 12:00:00 BC', '1970-01-01 00:00:00+00', '12:34:56.789', '12:00:00+05:30', '1 mon 2 days 00:00:03.000004'),
//  (3, '10000-01-01', '10000-01-01 00:00:00', '12345-06-07 08:09:10.111213+00', '23:59:59.999999', '23:59:59.999999-08', '-1 year -2 mons +3 days -04:05:06'),
//  (4, 'infinity', 'infinity', 'infinity', '24:00:00', '24:00:00-15:59', '178000000 years'),
//  (5, '-infinity', '-infinity', '-infinity', NULL, NULL, NULL),
//  (6, '5874897-12-31', '4713-01-01 00:00:00 BC', '294247-01-01 00:00:00+00', '00:00:00.000001', '01:02:03+15:59:59', '-178000000 years'),
//  (7, '4714-11-24 BC', '4714-11-24 00:00:00 BC', '1969-12-31 23:59:59.999999+00', '12:00:00', '12:00:00-15:59:59', '1 day -1 microseconds'),
//  (8, NULL, NULL, NULL, NULL, NULL, NULL)
// ) t(i, d, ts, tstz, tm, ttz, iv) ORDER BY i) TO STDOUT (FORMAT binary)
const DATETIME: &[&str] = &[
    "5047434f50590aff0d0a0000000000000000000006000000040000000000000008000000000000000000000008000000",
    "00000000000000000800000000000000000000000c000000000000000000000000000000100000000000000000000000",
    "0000000000000600000004fff49d7b00000008ff1af9e8fb46d00000000008fffca2fec4c82000000000080000000a8b",
    "e626080000000c0000000a0eebb000ffffb2a80000001000000000002dc6c40000000200000001000600000004002c95",
    "d4000000080380e70b913b8000000000080487db00297bc7ed00000008000000141dd75fff0000000c000000141dd75f",
    "ff0000708000000010fffffffc93743f8000000003fffffff20006000000047fffffff000000087fffffffffffffff00",
    "0000087fffffffffffffff00000008000000141dd760000000000c000000141dd760000000e0c4000000100000000000",
    "000000000000007f50c60000060000000480000000000000088000000000000000000000088000000000000000ffffff",
    "ffffffffffffffffff0006000000047fda970c00000008fd0f7fbdaf17e000000000087ffca2465aa360000000000800",
    "000000000000010000000c00000000dde878c0ffff1f010000001000000000000000000000000080af3a000006000000",
    "04ffda97a700000008fd0f7cc1411fa00000000008fffca2fec4c81fff000000080000000a0eebb0000000000c000000",
    "0a0eebb0000000e0ff00000010ffffffffffffffff00000001000000000006ffffffffffffffffffffffffffffffffff",
    "ffffffffffffffffff",
];

// COPY (SELECT a::int4[], t::text[], v::varchar(8)[], u::uuid[], j::jsonb[], n::numeric(6,2)[], x::text[] FROM (VALUES
//  (1, '{{1,NULL,3},{4,5,6}}', '{a,NULL,"b c","","héllo"}', '{x,y}', '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11,NULL}', ARRAY['{"b": 1, "a": [true, null]}'::jsonb, '"x"'], '{1.5,-0.01,NULL}', '{{{a,b}},{{NULL,d}}}'),
//  (2, '{}', '{}', '{}', '{}', '{}', '{}', '{}'),
//  (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
//  (4, '{{NULL}}', '{NULL}', '{""}', '{NULL}', '{null}', '{0}', '{{{z}}}'),
//  (5, '{{-2147483648,2147483647}}', '{"{}"}', '{NULL,NULL}', '{00000000-0000-0000-0000-000000000000}', '{}', '{-9999.99}', '{}')
// ) t(i, a, t, v, u, j, n, x) ORDER BY i) TO STDOUT (FORMAT binary)
const ARRAYS: &[&str] = &[
    "5047434f50590aff0d0a0000000000000000000007000000480000000200000001000000170000000200000001000000",
    "03000000010000000400000001ffffffff00000004000000030000000400000004000000040000000500000004000000",
    "060000003200000001000000010000001900000005000000010000000161ffffffff0000000362206300000000000000",
    "0668c3a96c6c6f0000001e0000000100000000000004130000000200000001000000017800000001790000002c000000",
    "010000000100000b86000000020000000100000010a0eebc999c0b4ef8bb6d6bb9bd380a11ffffffff0000003c000000",
    "010000000000000eda00000002000000010000001c017b2261223a205b747275652c206e756c6c5d2c202262223a2031",
    "7d0000000401227822000000360000000100000001000006a400000003000000010000000c0002000000000002000113",
    "880000000a0001ffff400000020064ffffffff0000003700000003000000010000001900000002000000010000000100",
    "000001000000020000000100000001610000000162ffffffff000000016400070000000c000000000000000000000017",
    "0000000c0000000000000000000000190000000c0000000000000000000004130000000c000000000000000000000b86",
    "0000000c000000000000000000000eda0000000c0000000000000000000006a40000000c000000000000000000000019",
    "0007ffffffffffffffffffffffffffffffffffffffffffffffffffffffff000700000020000000020000000100000017",
    "00000001000000010000000100000001ffffffff000000180000000100000001000000190000000100000001ffffffff",
    "0000001800000001000000000000041300000001000000010000000000000018000000010000000100000b8600000001",
    "00000001ffffffff00000018000000010000000100000eda0000000100000001ffffffff000000200000000100000000",
    "000006a40000000100000001000000080000000000000002000000290000000300000000000000190000000100000001",
    "00000001000000010000000100000001000000017a00070000002c000000020000000000000017000000010000000100",
    "000002000000010000000480000000000000047fffffff0000001a000000010000000000000019000000010000000100",
    "0000027b7d0000001c0000000100000001000004130000000200000001ffffffffffffffff0000002800000001000000",
    "0000000b86000000010000000100000010000000000000000000000000000000000000000c000000000000000000000e",
    "da000000240000000100000000000006a400000001000000010000000c0002000040000002270f26ac0000000c000000",
    "000000000000000019ffff",
];

// COPY (SELECT b, s, i4, l, t, y, u, j, jb, m, vc, bp, nm FROM (VALUES
//  (1, true, '-32768'::int2, -2147483648, '-9223372036854775808'::int8, 'héllo wörld ✓ 日本語 🎉', '\x00ff10'::bytea,
//   'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid, '{"b": 1,  "a": [1, 2]}'::json, '{"b": 1,  "a": [1, 2], "é": "\u00e9"}'::jsonb,
//   '12.34'::money, 'v'::varchar(10), 'ab'::char(5), 'pg_class'::name),
//  (2, false, 32767::int2, 2147483647, 9223372036854775807::int8, E'tab\there\nnl\r\\ \x01 \x7f ''q''', ''::bytea,
//   '00000000-0000-0000-0000-000000000000'::uuid, '[]'::json, 'null'::jsonb,
//   '-92233720368547758.08'::money, ''::varchar(10), ''::char(5), ''::name),
//  (3, NULL, NULL, NULL, NULL, '', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
//  (4, NULL, 0::int2, 0, 0::int8, NULL, NULL, NULL, '  {"sp" : 1}  '::json, '{}'::jsonb, '92233720368547758.07'::money, NULL, NULL, NULL)
// ) v(i, b, s, i4, l, t, y, u, j, jb, m, vc, bp, nm) ORDER BY i) TO STDOUT (FORMAT binary)
const SCALARS: &[&str] = &[
    "5047434f50590aff0d0a000000000000000000000d000000010100000002800000000004800000000000000880000000",
    "000000000000002068c3a96c6c6f2077c3b6726c6420e29c9320e697a5e69cace8aa9e20f09f8e890000000300ff1000",
    "000010a0eebc999c0b4ef8bb6d6bb9bd380a11000000167b2262223a20312c20202261223a205b312c20325d7d000000",
    "22017b2261223a205b312c20325d2c202262223a20312c2022c3a9223a2022c3a9227d0000000800000000000004d200",
    "000001760000000561622020200000000870675f636c617373000d0000000100000000027fff000000047fffffff0000",
    "00087fffffffffffffff0000001574616209686572650a6e6c0d5c2001207f2027712700000000000000100000000000",
    "0000000000000000000000000000025b5d00000005016e756c6c00000008800000000000000000000000000000052020",
    "20202000000000000dffffffffffffffffffffffffffffffff00000000ffffffffffffffffffffffffffffffffffffff",
    "ffffffffffffffffffffffffff000dffffffff0000000200000000000400000000000000080000000000000000ffffff",
    "ffffffffffffffffff0000000e20207b22737022203a20317d202000000003017b7d000000087fffffffffffffffffff",
    "ffffffffffffffffffffffff",
];

fn bytes(parts: &[&str]) -> Vec<u8> {
    let hex: String = parts.concat();
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

/// Decodes PostgreSQL's stream as `kinds`, encodes the batch for the same columns (array
/// element OIDs as given, 0 = builtin) and checks the bytes are PostgreSQL's.
fn same_bytes(parts: &[&str], kinds: &[PgKind], oids: &[u32]) -> RecordBatch {
    let golden = bytes(parts);
    let schema = schema(kinds);
    let batch = decode_in(&schema, kinds, &[], &golden, 0).unwrap();
    let mut cols = columns(&schema, kinds);
    for (col, &oid) in cols.iter_mut().zip(oids) {
        col.element_oid = oid;
    }
    let mut enc = PgCopyEncoder::try_new(&schema, cols).unwrap();
    let mut out = BytesMut::new();
    PgCopyEncoder::write_header(&mut out);
    enc.write_batch(&batch, &mut out).unwrap();
    PgCopyEncoder::write_trailer(&mut out);
    // Compare row by row first: a failure then names the row rather than a byte offset.
    assert_eq!(out.len(), golden.len(), "stream lengths differ");
    assert!(out[..] == golden[..], "bytes differ from PostgreSQL's");
    batch
}

fn dec(precision: u8, scale: i8) -> PgKind {
    PgKind::Decimal { precision, scale }
}

fn arr(element: PgKind, dims: u8) -> PgKind {
    PgKind::Array {
        element: Box::new(element),
        dims,
    }
}

#[test]
fn numeric_text_is_byte_exact() {
    let b = same_bytes(NUMERIC, &[PgKind::NumericText], &[]);
    assert_eq!(b.num_rows(), 23);
    // 1e-1000 and 9e130000 went through text of 1,002 and 130,001 characters.
    let texts = b.column(0).as_string::<i32>();
    assert_eq!(texts.value(20).len(), 1002);
    assert_eq!(texts.value(22).len(), 130_001);
}

#[test]
fn decimals_are_byte_exact() {
    // numeric(5,-2) is held as Decimal(7,0), numeric(4,4) as Decimal(4,4).
    let kinds = [
        dec(10, 2),
        dec(50, 10),
        dec(7, 0),
        dec(38, 0),
        dec(4, 4),
        dec(76, 38),
    ];
    let b = same_bytes(DECIMALS, &kinds, &[]);
    // 76 significant digits at scale 38: 20 digit groups, the last padded with two zeros.
    let full = b.column(5).as_primitive::<Decimal256Type>().value(1);
    assert_eq!(
        full.to_string(),
        "1234567890123456789012345678901234567812345678901234567890123456789012345678"
    );
}

#[test]
fn floats_are_byte_exact() {
    same_bytes(FLOATS, &[PgKind::Float4, PgKind::Float8], &[]);
}

#[test]
fn dates_times_and_intervals_are_byte_exact() {
    let kinds = [
        PgKind::Date,
        PgKind::Timestamp,
        PgKind::TimestampTz,
        PgKind::Time,
        PgKind::TimeTz,
        PgKind::Interval,
    ];
    same_bytes(DATETIME, &kinds, &[]);
}

#[test]
fn arrays_are_byte_exact() {
    let kinds = [
        arr(PgKind::Int4, 2),
        arr(PgKind::Text, 1),
        arr(PgKind::Text, 1),
        arr(PgKind::Uuid, 1),
        arr(PgKind::Jsonb, 1),
        arr(dec(6, 2), 1),
        arr(PgKind::Text, 3),
    ];
    // varchar[]'s elements are varchar (1043): the one OID the kind alone does not give.
    same_bytes(ARRAYS, &kinds, &[0, 0, 1043]);
}

#[test]
fn scalars_are_byte_exact() {
    let kinds = [
        PgKind::Bool,
        PgKind::Int2,
        PgKind::Int4,
        PgKind::Int8,
        PgKind::Text,
        PgKind::Bytea,
        PgKind::Uuid,
        PgKind::Json,
        PgKind::Jsonb,
        PgKind::Money { scale: 2 },
        PgKind::Text,
        PgKind::Text,
        PgKind::Text,
    ];
    same_bytes(SCALARS, &kinds, &[]);
}

/// The one field of a one-column, one-row encoding (length word stripped).
fn field_of(array: ArrayRef, kind: PgKind) -> Vec<u8> {
    let batch = batch_of(vec![array]);
    let bytes = encode(&batch, &[kind]).unwrap();
    let len = i32::from_be_bytes(bytes[21..25].try_into().unwrap()) as usize;
    assert_eq!(bytes.len(), 25 + len + 2);
    bytes[25..25 + len].to_vec()
}

fn hex(s: &str) -> Vec<u8> {
    bytes(&[&s.replace(' ', "")])
}

#[test]
fn crate_facts_examples() {
    let decimal = |v: i128, p: u8, s: i8| {
        let a = Decimal128Array::from(vec![v])
            .with_precision_and_scale(p, s)
            .unwrap();
        field_of(Arc::new(a), dec(p, s))
    };
    let text = |s: &str| field_of(Arc::new(StringArray::from(vec![s])), PgKind::NumericText);
    // 123456.789 = 0003 0001 0000 0003 | 000c 0d80 1ed2
    let want = hex("0003 0001 0000 0003 000c 0d80 1ed2");
    assert_eq!(decimal(123_456_789, 9, 3), want);
    assert_eq!(text("123456.789"), want);
    // −0.01 = 0001 ffff 4000 0002 | 0064
    let want = hex("0001 ffff 4000 0002 0064");
    assert_eq!(decimal(-1, 3, 2), want);
    assert_eq!(text("-0.01"), want);
    // Zero keeps its display scale; NaN and ±Infinity as PostgreSQL 15 sends them.
    assert_eq!(decimal(0, 10, 2), hex("0000 0000 0000 0002"));
    // A negative Arrow scale: 123 × 10^2 = 12300, dscale 0.
    assert_eq!(decimal(123, 5, -2), hex("0002 0001 0000 0000 0001 08fc"));
    assert_eq!(text("NaN"), hex("0000 0000 c000 0000"));
    assert_eq!(text("Infinity"), hex("0000 0000 d000 0020"));
    assert_eq!(text("-Infinity"), hex("0000 0000 f000 0020"));
    // '1 mon 2 days 00:00:03.000004' = 00000000002dc6c4 00000002 00000001
    let interval = StructArray::try_new(
        interval_fields(),
        vec![
            Arc::new(Int32Array::from(vec![1])),
            Arc::new(Int32Array::from(vec![2])),
            Arc::new(Int64Array::from(vec![3_000_004])),
        ],
        None,
    )
    .unwrap();
    assert_eq!(
        field_of(Arc::new(interval), PgKind::Interval),
        hex("00000000002dc6c4 00000002 00000001")
    );
    // jsonb: version byte 1, then the text.
    let jsonb = field_of(Arc::new(StringArray::from(vec!["{}"])), PgKind::Jsonb);
    assert_eq!(jsonb, b"\x01{}");
    // timestamptz and date: shifted to the 2000 epoch; infinity kept.
    let ts = TimestampMicrosecondArray::from(vec![PG_EPOCH_MICROS + 1]).with_timezone("UTC");
    assert_eq!(
        field_of(Arc::new(ts), PgKind::TimestampTz),
        1i64.to_be_bytes()
    );
    let d = Date32Array::from(vec![i32::MAX]);
    assert_eq!(field_of(Arc::new(d), PgKind::Date), i32::MAX.to_be_bytes());
}
