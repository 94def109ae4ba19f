//! The type table: each PostgreSQL type with its SQL literals and the Arrow values a dump must
//! read back (tools/tests/types.rs checks the Parquet files; tools/tests/load.rs loads the same
//! literals back into PostgreSQL).

use super::Expected::*;
use super::*;

pub const INF: &[(&str, &str)] = &[("haul.infinity", "*")];
pub const DECIMAL_TEXT: &[(&str, &str)] = &[("haul.decimal_text", "true")];
pub const UUID_EXT: &[(&str, &str)] = &[("ARROW:extension:name", "arrow.uuid")];
pub const JSON_EXT: &[(&str, &str)] = &[("ARROW:extension:name", "arrow.json")];
pub const MOOD_LABELS: &str = r#"["sad","meh","ok","happy","très \"bien\""]"#;

pub const NUMBERS: &[Case] = &[
    case("t_bool", "boolean", "Boolean", &[("true", Boolean(true)), ("false", Boolean(false))]),
    case("t_int2", "smallint", "Int16", &[
        ("'-32768'", Int16(i16::MIN)), ("0", Int16(0)), ("32767", Int16(i16::MAX)),
    ]),
    case("t_int4", "integer", "Int32", &[
        ("'-2147483648'", Int32(i32::MIN)), ("0", Int32(0)), ("2147483647", Int32(i32::MAX)),
    ]),
    case("t_int8", "bigint", "Int64", &[
        ("'-9223372036854775808'", Int64(i64::MIN)), ("'9223372036854775807'", Int64(i64::MAX)),
    ]),
    case("t_float4", "real", "Float32", &[
        ("'1.5'", Float32(1.5)), ("'0.1'", Float32(0.1)), ("'0'", Float32(0.0)),
        ("'-0'", Float32(-0.0)), ("'NaN'", Float32(f32::NAN)),
        ("'Infinity'", Float32(f32::INFINITY)), ("'-Infinity'", Float32(f32::NEG_INFINITY)),
        ("'3.4028235e38'", Float32(f32::MAX)), ("'1e-45'", Float32(f32::from_bits(1))),
    ]),
    case("t_float8", "double precision", "Float64", &[
        ("'0.1'", Float64(0.1)), ("'-1.5'", Float64(-1.5)), ("'-0'", Float64(-0.0)),
        ("'NaN'", Float64(f64::NAN)), ("'Infinity'", Float64(f64::INFINITY)),
        ("'-Infinity'", Float64(f64::NEG_INFINITY)),
        ("'1.7976931348623157e308'", Float64(f64::MAX)),
        ("'2.2250738585072014e-308'", Float64(f64::MIN_POSITIVE)),
        ("'5e-324'", Float64(f64::from_bits(1))),
    ]),
    case("t_numeric_10_2", "numeric(10,2)", "Decimal128(10,2)", &[
        ("'-12.34'", Decimal128(-1234, 10, 2)), ("'0'", Decimal128(0, 10, 2)),
        ("'1.005'", Decimal128(101, 10, 2)), ("'1.5e3'", Decimal128(150_000, 10, 2)),
        ("'99999999.99'", Decimal128(9_999_999_999, 10, 2)),
        ("'-99999999.99'", Decimal128(-9_999_999_999, 10, 2)),
    ]),
    case("t_numeric_38_0", "numeric(38,0)", "Decimal128(38,0)", &[
        ("'99999999999999999999999999999999999999'", Decimal128(99_999_999_999_999_999_999_999_999_999_999_999_999, 38, 0)),
        ("'-99999999999999999999999999999999999999'", Decimal128(-99_999_999_999_999_999_999_999_999_999_999_999_999, 38, 0)),
    ]),
    case("t_numeric_38_38", "numeric(38,38)", "Decimal128(38,38)", &[
        ("'0.12345678901234567890123456789012345678'", Decimal128(12_345_678_901_234_567_890_123_456_789_012_345_678, 38, 38)),
        ("'-0.00000000000000000000000000000000000001'", Decimal128(-1, 38, 38)),
    ]),
    // Parquet stores no negative scale: numeric(5,-2) holds integers of up to 7 digits.
    case("t_numeric_5_m2", "numeric(5,-2)", "Decimal128(7,0)", &[
        ("'12345'", Decimal128(12_300, 7, 0)), ("'-9999900'", Decimal128(-9_999_900, 7, 0)),
    ])
    .requires(Requires::Pg(150_000)),
    case("t_numeric_39_0", "numeric(39,0)", "Decimal256(39,0)", &[
        ("'100000000000000000000000000000000000000'", Decimal256("100000000000000000000000000000000000000", 39, 0)),
        ("'-1'", Decimal256("-1", 39, 0)),
    ]),
    case("t_numeric_50_10", "numeric(50,10)", "Decimal256(50,10)", &[
        ("'1234567890123456789012345678901234567890.0123456789'", Decimal256("12345678901234567890123456789012345678900123456789", 50, 10)),
        ("'-0.0000000001'", Decimal256("-1", 50, 10)),
    ]),
    case("t_numeric_76_0", "numeric(76,0)", "Decimal256(76,0)", &[
        ("repeat('9', 76)::numeric", Decimal256("9999999999999999999999999999999999999999999999999999999999999999999999999999", 76, 0)),
        ("-repeat('9', 76)::numeric", Decimal256("-9999999999999999999999999999999999999999999999999999999999999999999999999999", 76, 0)),
    ]),
    case("t_numeric", "numeric", "Utf8", &[
        ("'123.4500'", Utf8("123.4500")), ("'0'", Utf8("0")), ("'-0.0'", Utf8("0.0")),
        ("'1e-20'", Utf8("0.00000000000000000001")),
        ("'NaN'", Utf8("NaN")), ("'Infinity'", Utf8("Infinity")), ("'-Infinity'", Utf8("-Infinity")),
        ("'123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890'",
            Utf8("123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890")),
        ("'-0.000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001'",
            Utf8("-0.000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001")),
        ("('9' || repeat('0', 1000) || '.5')::numeric", PgText),
    ])
    .meta(DECIMAL_TEXT)
    .text_form(),
    case("t_numeric_90_2", "numeric(90,2)", "Utf8", &[
        ("'1.5'", Utf8("1.50")), ("'NaN'", Utf8("NaN")),
        ("(repeat('9', 88) || '.99')::numeric", PgText),
    ])
    .meta(DECIMAL_TEXT)
    .text_form(),
    case("t_money", "money", "Decimal128(19,2)", &[
        ("'12.34'", Decimal128(1234, 19, 2)), ("'-0.01'", Decimal128(-1, 19, 2)),
        ("'92233720368547758.07'", Decimal128(i64::MAX as i128, 19, 2)),
        ("'-92233720368547758.08'", Decimal128(i64::MIN as i128, 19, 2)),
    ]),
];

#[rustfmt::skip]
pub const TEXTS: &[Case] = &[
    case("t_text", "text", "Utf8", &[
        ("'plain'", Utf8("plain")), ("''", Utf8("")),
        ("'héllo wörld'", Utf8("héllo wörld")), ("'😀 emoji'", Utf8("😀 emoji")),
        ("'中文字符 日本語 한국어'", Utf8("中文字符 日本語 한국어")),
        (r"E'tab\there\nnew line\r\x01\x1f\x7f'", Utf8("tab\there\nnew line\r\u{1}\u{1f}\u{7f}")),
        (r#"'it''s "quoted" \backslash'"#, Utf8(r#"it's "quoted" \backslash"#)),
        (r"E'\U0010FFFF \u00A0 \u200B'", Utf8("\u{10FFFF} \u{a0} \u{200b}")),
        ("'   padded   '", Utf8("   padded   ")),
        ("repeat('ab', 100000)", PgText),
    ]),
    case("t_varchar", "character varying(20)", "Utf8", &[
        ("'abc  '", Utf8("abc  ")), ("'ünïcödé'", Utf8("ünïcödé")), ("''", Utf8("")),
    ]),
    case("t_char", "character(5)", "Utf8", &[
        ("'ab'", Utf8("ab   ")), ("'abcde'", Utf8("abcde")), ("''", Utf8("     ")),
        ("'é'", Utf8("é    ")),
    ]),
    case("t_name", "name", "Utf8", &[
        ("'pg_class'", Utf8("pg_class")), ("'héllo'", Utf8("héllo")), ("''", Utf8("")),
    ]),
    case("t_bytea", "bytea", "Binary", &[
        (r"'\x00ff0102'", Binary(&[0x00, 0xff, 0x01, 0x02])), (r"'\x'", Binary(&[])),
        ("'abc'", Binary(b"abc")), (r"'\000\001\\'", Binary(&[0, 1, b'\\'])),
    ]),
    case("t_uuid", "uuid", "FixedSizeBinary(16)", &[
        ("'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'", Uuid("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")),
        ("'{A0EEBC99-9C0B4EF8-BB6D6BB9-BD380A12}'", Uuid("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12")),
        ("'00000000-0000-0000-0000-000000000000'", Uuid("00000000-0000-0000-0000-000000000000")),
        ("'ffffffff-ffff-ffff-ffff-ffffffffffff'", Uuid("ffffffff-ffff-ffff-ffff-ffffffffffff")),
    ])
    .meta(UUID_EXT),
    case("t_json", "json", "Utf8", &[
        (r#"'{"b": 1,  "a": [1, 2.50, "x"]}'"#, Utf8(r#"{"b": 1,  "a": [1, 2.50, "x"]}"#)),
        (r#"'  {"a":1, "a":2}  '"#, Utf8(r#"  {"a":1, "a":2}  "#)),
        ("'null'", Utf8("null")), ("'[]'", Utf8("[]")),
        (r#"'"\u00e9x"'"#, Utf8(r#""\u00e9x""#)),
    ])
    .meta(JSON_EXT),
    case("t_jsonb", "jsonb", "Utf8", &[
        (r#"'{"b": 1,  "a": [1, 2.50, "x"]}'"#, Utf8(r#"{"a": [1, 2.50, "x"], "b": 1}"#)),
        (r#"'{"a":1, "a":2}'"#, Utf8(r#"{"a": 2}"#)),
        ("'null'", Utf8("null")), ("'1e3'", Utf8("1000")),
        (r#"'"\u00e9x"'"#, Utf8(r#""éx""#)),
        (r#"'{"é": "😀", "n": 1e3, "t": "a\tb"}'"#, PgText),
    ])
    .meta(JSON_EXT),
    case("t_enum", "mood", "Utf8", &[
        ("'happy'", Utf8("happy")), ("'meh'", Utf8("meh")),
        (r#"'très "bien"'"#, Utf8(r#"très "bien""#)),
    ])
    .meta(&[("haul.pg.enum_labels", MOOD_LABELS)]),
    case("t_domain_int", "posint", "Int32", &[("5", Int32(5)), ("2147483647", Int32(i32::MAX))])
        .meta(&[("haul.pg.domain", "public.posint")]),
    case("t_domain_numeric", "price", "Decimal128(6,2)", &[
        ("'1234.5'", Decimal128(123_450, 6, 2)), ("'-9999.99'", Decimal128(-999_999, 6, 2)),
    ])
    .meta(&[("haul.pg.domain", "public.price")]),
    case("t_domain_varchar", "code", "Utf8", &[("'ab'", Utf8("ab"))])
        .meta(&[("haul.pg.domain", "public.code")]),
    case("t_domain_array", "intlist", "List<Int32>", &[("'{1,NULL}'", List(&[Int32(1), Null]))])
        .meta(&[("haul.pg.domain", "public.intlist")]),
];

#[rustfmt::skip]
pub const TEMPORAL: &[Case] = &[
    case("t_date", "date", "Date32", &[
        ("'1970-01-01'", Date32(0)), ("'1969-12-31'", Date32(-1)),
        ("'2000-01-01'", Date32(10_957)), ("'2024-02-29'", date(2024, 2, 29)),
        ("'0001-01-01'", date(1, 1, 1)), ("'0001-12-31 BC'", date(0, 12, 31)),
        ("'0044-03-15 BC'", date(-43, 3, 15)), ("'4714-11-24 BC'", date(-4713, 11, 24)),
        ("'12345-06-07'", date(12_345, 6, 7)), ("'5874897-12-31'", date(5_874_897, 12, 31)),
        ("'infinity'", Date32(i32::MAX)), ("'-infinity'", Date32(i32::MIN)),
    ])
    .meta(INF),
    case("t_time", "time without time zone", "Time64(µs)", &[
        ("'00:00:00'", Time64(0)), ("'13:14:15.123456'", Time64(tod(13, 14, 15, 123_456))),
        ("'23:59:59.999999'", Time64(tod(23, 59, 59, 999_999))),
        ("'24:00:00'", Time64(86_400_000_000)),
    ]),
    case("t_timetz", "time with time zone", "Struct{time: Time64(µs), utc_offset_seconds: Int32}", &[
        ("'12:00+05:30'", TimeTz(tod(12, 0, 0, 0), 19_800)),
        ("'12:00-08'", TimeTz(tod(12, 0, 0, 0), -28_800)),
        ("'00:00:00+00'", TimeTz(0, 0)),
        ("'12:00:00+05:30:15'", TimeTz(tod(12, 0, 0, 0), 19_815)),
        ("'23:59:59.999999+15:59'", TimeTz(tod(23, 59, 59, 999_999), 57_540)),
        ("'24:00:00-15:59'", TimeTz(86_400_000_000, -57_540)),
    ]),
    case("t_timestamp", "timestamp without time zone", "Timestamp(µs)", &[
        ("'1970-01-01 00:00:00'", Timestamp(0)),
        ("'1969-12-31 23:59:59.999999'", Timestamp(-1)),
        ("'2000-01-01 00:00:00'", Timestamp(946_684_800_000_000)),
        ("'2024-02-29 12:34:56.789012'", Timestamp(ts(2024, 2, 29, 12, 34, 56, 789_012))),
        ("'0044-03-15 12:00:00 BC'", Timestamp(ts(-43, 3, 15, 12, 0, 0, 0))),
        ("'4714-11-24 00:00:00 BC'", Timestamp(ts(-4713, 11, 24, 0, 0, 0, 0))),
        ("'12345-06-07 08:09:10'", Timestamp(ts(12_345, 6, 7, 8, 9, 10, 0))),
        ("'294247-01-10 04:00:54.775806'", Timestamp(i64::MAX - 1)),
        ("'infinity'", Timestamp(i64::MAX)), ("'-infinity'", Timestamp(i64::MIN)),
    ])
    .meta(INF),
    case("t_timestamptz", "timestamp with time zone", "Timestamp(µs,UTC)", &[
        ("'2024-01-01 00:00:00+00'", Timestamp(ts(2024, 1, 1, 0, 0, 0, 0))),
        ("'2024-06-01 12:00:00+05:30'", Timestamp(ts(2024, 6, 1, 6, 30, 0, 0))),
        ("'2024-06-01 12:00:00 America/New_York'", Timestamp(ts(2024, 6, 1, 16, 0, 0, 0))),
        ("'2024-06-01 12:00:00.000001-08'", Timestamp(ts(2024, 6, 1, 20, 0, 0, 1))),
        ("'0044-03-15 12:00:00+00 BC'", Timestamp(ts(-43, 3, 15, 12, 0, 0, 0))),
        ("'12345-06-07 08:09:10+00'", Timestamp(ts(12_345, 6, 7, 8, 9, 10, 0))),
        ("'infinity'", Timestamp(i64::MAX)), ("'-infinity'", Timestamp(i64::MIN)),
    ])
    .meta(INF),
    case("t_interval", "interval", "Struct{months: Int32, days: Int32, micros: Int64}", &[
        ("'1 year 2 mons 3 days 04:05:06.000007'", Interval(14, 3, tod(4, 5, 6, 7))),
        ("'P1Y2M3DT4H5M6S'", Interval(14, 3, tod(4, 5, 6, 0))),
        ("'0'", Interval(0, 0, 0)), ("'-1 mons'", Interval(-1, 0, 0)),
        ("'1 day -1 second'", Interval(0, 1, -1_000_000)),
        ("'1.5 days'", Interval(0, 1, tod(12, 0, 0, 0))), ("'0.5 months'", Interval(0, 15, 0)),
        ("'178000000 years'", Interval(2_136_000_000, 0, 0)),
        ("'-178000000 years'", Interval(-2_136_000_000, 0, 0)),
        ("'2562047788:00:54.775807'", Interval(0, 0, i64::MAX)),
        ("'-2562047788:00:54.775807'", Interval(0, 0, -i64::MAX)),
    ]),
];

pub const UUID_A: &str = "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11";

#[rustfmt::skip]
pub const ARRAYS: &[Case] = &[
    case("a_int4", "integer[]", "List<Int32>", &[
        ("'{1,NULL,3}'", List(&[Int32(1), Null, Int32(3)])), ("'{}'", List(&[])),
        ("'{NULL}'", List(&[Null])),
        ("'{-2147483648,2147483647}'", List(&[Int32(i32::MIN), Int32(i32::MAX)])),
    ]),
    case("a_text", "text[]", "List<Utf8>", &[
        (r#"'{"a,b","say \"hi\"",NULL,"NULL","","é😀","back\\slash"}'"#, List(&[
            Utf8("a,b"), Utf8(r#"say "hi""#), Null, Utf8("NULL"), Utf8(""), Utf8("é😀"),
            Utf8(r"back\slash"),
        ])),
        ("ARRAY[E'tab\\t', E'\\n']", List(&[Utf8("tab\t"), Utf8("\n")])),
    ]),
    case("a_numeric", "numeric(5,2)[]", "List<Decimal128(5,2)>", &[
        ("'{1.5,-999.99,NULL,0}'", List(&[
            Decimal128(150, 5, 2), Decimal128(-99_999, 5, 2), Null, Decimal128(0, 5, 2),
        ])),
    ]),
    case("a_uuid", "uuid[]", "List<FixedSizeBinary(16)>", &[
        ("'{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11,NULL}'", List(&[Uuid(UUID_A), Null])),
    ]),
    case("a_int4_2d", "integer[][]", "List<List<Int32>>", &[
        ("'{{1,2},{3,NULL}}'", List(&[List(&[Int32(1), Int32(2)]), List(&[Int32(3), Null])])),
        ("'{{NULL}}'", List(&[List(&[Null])])), ("'{}'", List(&[])),
    ]),
    case("a_int4_3d", "integer[][][]", "List<List<List<Int32>>>", &[
        ("'{{{1,2}},{{3,4}}}'", List(&[
            List(&[List(&[Int32(1), Int32(2)])]), List(&[List(&[Int32(3), Int32(4)])]),
        ])),
    ]),
    case("a_text_2d", "text[][]", "List<List<Utf8>>", &[
        (r#"'{{a,"b c"},{NULL,""}}'"#, List(&[List(&[Utf8("a"), Utf8("b c")]), List(&[Null, Utf8("")])])),
    ]),
    case("a_bool", "boolean[]", "List<Boolean>", &[("'{t,f,NULL}'", List(&[Boolean(true), Boolean(false), Null]))]),
    case("a_float8", "double precision[]", "List<Float64>", &[
        ("'{NaN,-0,-Infinity}'", List(&[Float64(f64::NAN), Float64(-0.0), Float64(f64::NEG_INFINITY)])),
    ]),
    case("a_date", "date[]", "List<Date32>", &[
        ("'{2000-01-01,infinity,NULL}'", List(&[Date32(10_957), Date32(i32::MAX), Null])),
    ]),
    case("a_timestamptz", "timestamp with time zone[]", "List<Timestamp(µs,UTC)>", &[
        (r#"'{"2024-01-01 00:00:00+00",-infinity}'"#, List(&[Timestamp(ts(2024, 1, 1, 0, 0, 0, 0)), Timestamp(i64::MIN)])),
    ]),
    case("a_interval", "interval[]", "List<Struct{months: Int32, days: Int32, micros: Int64}>", &[
        (r#"'{"1 mon 2 days 00:00:03",NULL}'"#, List(&[Interval(1, 2, 3_000_000), Null])),
    ]),
    case("a_bytea", "bytea[]", "List<Binary>", &[(r#"'{"\\x00ff",NULL}'"#, List(&[Binary(&[0, 0xff]), Null]))]),
    case("a_jsonb", "jsonb[]", "List<Utf8>", &[(r#"'{"{\"b\":1,\"a\":2}"}'"#, List(&[Utf8(r#"{"a": 2, "b": 1}"#)]))]),
    case("a_varchar", "character varying(3)[]", "List<Utf8>", &[("'{ab,\"\"}'", List(&[Utf8("ab"), Utf8("")]))]),
    case("a_enum", "mood[]", "List<Utf8>", &[("'{sad,happy,NULL}'", List(&[Utf8("sad"), Utf8("happy"), Null]))])
        .meta(&[("haul.pg.enum_labels", MOOD_LABELS)]),
    case("a_domain", "posint[]", "List<Int32>", &[("'{1,NULL}'", List(&[Int32(1), Null]))]),
];

#[rustfmt::skip]
pub const AS_TEXT: &[Case] = &[
    case("x_inet", "inet", "Utf8", &[
        ("'10.0.0.1'", Utf8("10.0.0.1")), ("'10.0.0.1/8'", Utf8("10.0.0.1/8")),
        ("'192.168.0.1/32'", Utf8("192.168.0.1")), ("'::1'", Utf8("::1")),
        ("'2001:db8::1/64'", Utf8("2001:db8::1/64")), ("'::ffff:1.2.3.4'", Utf8("::ffff:1.2.3.4")),
    ])
    .text_form(),
    case("x_cidr", "cidr", "Utf8", &[
        ("'10.0.0.0/8'", Utf8("10.0.0.0/8")), ("'10.1'", Utf8("10.1.0.0/16")),
        ("'2001:db8::/32'", Utf8("2001:db8::/32")),
    ])
    .text_form(),
    case("x_macaddr", "macaddr", "Utf8", &[
        ("'08:00:2b:01:02:03'", Utf8("08:00:2b:01:02:03")), ("'08002B010203'", Utf8("08:00:2b:01:02:03")),
    ])
    .text_form(),
    case("x_macaddr8", "macaddr8", "Utf8", &[("'08:00:2b:01:02:03:04:05'", Utf8("08:00:2b:01:02:03:04:05"))])
        .text_form(),
    case("x_bit", "bit(4)", "Utf8", &[("B'1010'", Utf8("1010")), ("B'0000'", Utf8("0000"))]).text_form(),
    case("x_varbit", "bit varying", "Utf8", &[("B'101'", Utf8("101")), ("B''", Utf8(""))]).text_form(),
    case("x_xml", "xml", "Utf8", &[("'<a>x &amp; y</a>'", Utf8("<a>x &amp; y</a>"))]).text_form(),
    case("x_int4range", "int4range", "Utf8", &[
        ("'[1,5)'", Utf8("[1,5)")), ("'(1,5]'", Utf8("[2,6)")), ("'empty'", Utf8("empty")),
        ("'(,)'", Utf8("(,)")),
    ])
    .fallback(),
    case("x_tstzrange", "tstzrange", "Utf8", &[
        ("'[2024-01-01 00:00+00,2024-02-01 00:00+00)'", Utf8(r#"["2024-01-01 00:00:00+00","2024-02-01 00:00:00+00")"#)),
        ("'[2024-06-01 12:00+05:30,)'", Utf8(r#"["2024-06-01 06:30:00+00",)"#)),
    ])
    .fallback(),
    case("x_multirange", "int4multirange", "Utf8", &[("'{[1,3),[5,7)}'", Utf8("{[1,3),[5,7)}"))])
        .fallback()
        .requires(Requires::Pg(140_000)),
    case("x_point", "point", "Utf8", &[("'(1.5,2)'", Utf8("(1.5,2)")), ("'(0.1,0.2)'", Utf8("(0.1,0.2)"))])
        .fallback(),
    case("x_box", "box", "Utf8", &[("'(0,0),(1,1)'", Utf8("(1,1),(0,0)"))]).fallback(),
    case("x_tsvector", "tsvector", "Utf8", &[("'a fat cat sat on a mat'", Utf8("'a' 'cat' 'fat' 'mat' 'on' 'sat'"))])
        .fallback(),
    case("x_composite", "pair", "Utf8", &[
        ("ROW(1, 'x')", Utf8("(1,x)")), ("ROW(NULL, NULL)", Utf8("(,)")),
        (r#"ROW(2, 'a,"b"')"#, Utf8(r#"(2,"a,""b""")"#)),
    ])
    .fallback(),
    case("x_composite_array", "pair[]", "Utf8", &[(r#"'{"(1,x)",NULL,"(,)"}'"#, Utf8(r#"{"(1,x)",NULL,"(,)"}"#))])
        .fallback(),
    case("x_inet_array", "inet[]", "Utf8", &[("'{10.0.0.1/8,::1,192.168.0.1/32}'", Utf8("{10.0.0.1/8,::1,192.168.0.1}"))])
        .fallback(),
    case("x_range_array", "int4range[]", "Utf8", &[(r#"'{"[1,5)",empty}'"#, Utf8(r#"{"[1,5)",empty}"#))])
        .fallback(),
    case("x_char1", "\"char\"", "Utf8", &[("'x'", Utf8("x"))]).fallback(),
    case("x_hstore", "hstore", "Utf8", &[(r#"'"a"=>"1", "b"=>NULL'"#, Utf8(r#""a"=>"1", "b"=>NULL"#))])
        .fallback()
        .requires(Requires::Extension("hstore")),
];
