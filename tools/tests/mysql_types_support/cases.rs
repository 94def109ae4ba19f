//! The MySQL/MariaDB type table: each column type with its SQL literals and the Arrow values a
//! dump must read back (tools/tests/mysql_types.rs). Every literal is first checked against the
//! server ([`super::reference`]), so the stated values are what the server really stores.
//!
//! Written for MariaDB 10.11 (the CI server); notes mark what it cannot express.

use super::Expected::*;
use super::*;

pub const JSON_EXT: &[(&str, &str)] = &[("ARROW:extension:name", "arrow.json")];
pub const SRID_0: &[(&str, &str)] = &[("haul.mysql.srid", "0")];

#[rustfmt::skip]
pub const NUMBERS: &[Case] = &[
    case("t_tinyint", "tinyint", "Int8", &[
        ("-128", Int(-128)), ("0", Int(0)), ("127", Int(127)),
    ]),
    case("t_tinyint_u", "tinyint unsigned", "UInt8", &[("0", Int(0)), ("255", Int(255))]),
    case("t_smallint", "smallint", "Int16", &[
        ("-32768", Int(i16::MIN as i128)), ("32767", Int(i16::MAX as i128)),
    ]),
    case("t_smallint_u", "smallint unsigned", "UInt16", &[("0", Int(0)), ("65535", Int(65_535))]),
    case("t_mediumint", "mediumint", "Int32", &[
        ("-8388608", Int(-8_388_608)), ("0", Int(0)), ("8388607", Int(8_388_607)),
    ]),
    case("t_mediumint_u", "mediumint unsigned", "UInt32", &[
        ("0", Int(0)), ("16777215", Int(16_777_215)),
    ]),
    case("t_int", "int", "Int32", &[
        ("-2147483648", Int(i32::MIN as i128)), ("0", Int(0)), ("2147483647", Int(i32::MAX as i128)),
    ]),
    case("t_int_u", "int unsigned", "UInt32", &[("0", Int(0)), ("4294967295", Int(u32::MAX as i128))]),
    // ZEROFILL implies UNSIGNED; the text protocol pads (`00042`), the value does not.
    case("t_int_zerofill", "int(5) unsigned zerofill", "UInt32", &[
        ("42", Int(42)), ("4294967295", Int(u32::MAX as i128)),
    ]),
    case("t_bigint", "bigint", "Int64", &[
        ("-9223372036854775808", Int(i64::MIN as i128)), ("0", Int(0)),
        ("9223372036854775807", Int(i64::MAX as i128)),
    ]),
    case("t_bigint_u", "bigint unsigned", "UInt64", &[
        ("0", Int(0)), ("9223372036854775808", Int(1 << 63)),
        ("18446744073709551615", Int(u64::MAX as i128)),
    ]),
    // TINYINT(1) and BOOL are integers that may hold any TINYINT, not booleans.
    case("t_tinyint1", "tinyint(1)", "Int8", &[
        ("0", Int(0)), ("1", Int(1)), ("-128", Int(-128)), ("127", Int(127)),
    ]),
    case("t_bool", "bool", "Int8", &[
        ("false", Int(0)), ("true", Int(1)), ("-128", Int(-128)), ("127", Int(127)),
    ]),
    case("t_decimal_10_2", "decimal(10,2)", "Decimal128(10,2)", &[
        ("-12.34", Decimal128(-1234, 10, 2)), ("0", Decimal128(0, 10, 2)),
        // Rounded by the server on the way in (a note, not an error).
        ("1.005", Decimal128(101, 10, 2)),
        ("99999999.99", Decimal128(9_999_999_999, 10, 2)),
        ("-99999999.99", Decimal128(-9_999_999_999, 10, 2)),
        ("0.01", Decimal128(1, 10, 2)),
    ]),
    case("t_decimal_20_0_u", "decimal(20,0) unsigned", "Decimal128(20,0)", &[
        ("0", Decimal128(0, 20, 0)),
        ("99999999999999999999", Decimal128(99_999_999_999_999_999_999, 20, 0)),
    ]),
    case("t_decimal_38_0", "decimal(38,0)", "Decimal128(38,0)", &[
        ("99999999999999999999999999999999999999", Decimal128(99_999_999_999_999_999_999_999_999_999_999_999_999, 38, 0)),
        ("-99999999999999999999999999999999999999", Decimal128(-99_999_999_999_999_999_999_999_999_999_999_999_999, 38, 0)),
        ("1", Decimal128(1, 38, 0)),
    ]),
    case("t_decimal_38_30", "decimal(38,30)", "Decimal128(38,30)", &[
        ("-0.000000000000000000000000000001", Decimal128(-1, 38, 30)),
        ("99999999.999999999999999999999999999999", Decimal128(99_999_999_999_999_999_999_999_999_999_999_999_999, 38, 30)),
    ]),
    case("t_decimal_39_0", "decimal(39,0)", "Decimal256(39,0)", &[
        ("100000000000000000000000000000000000000", Decimal256("100000000000000000000000000000000000000", 39, 0)),
        ("-999999999999999999999999999999999999999", Decimal256("-999999999999999999999999999999999999999", 39, 0)),
        ("-1", Decimal256("-1", 39, 0)),
    ]),
    case("t_decimal_65_30", "decimal(65,30)", "Decimal256(65,30)", &[
        ("99999999999999999999999999999999999.999999999999999999999999999999",
            Decimal256("99999999999999999999999999999999999999999999999999999999999999999", 65, 30)),
        ("-99999999999999999999999999999999999.999999999999999999999999999999",
            Decimal256("-99999999999999999999999999999999999999999999999999999999999999999", 65, 30)),
        ("0.000000000000000000000000000001", Decimal256("1", 65, 30)),
        ("-1.5", Decimal256("-1500000000000000000000000000000", 65, 30)),
        ("0", Decimal256("0", 65, 30)),
    ]),
    case("t_decimal_65_0", "decimal(65,0)", "Decimal256(65,0)", &[
        ("99999999999999999999999999999999999999999999999999999999999999999",
            Decimal256("99999999999999999999999999999999999999999999999999999999999999999", 65, 0)),
        ("-12345678901234567890123456789012345678901234567890123456789012345",
            Decimal256("-12345678901234567890123456789012345678901234567890123456789012345", 65, 0)),
    ]),
    // FLOAT holds 4-byte floats: the dump must carry the stored bits, not the server's
    // 6-digit text (`3.40282e38`). MariaDB stores `-0e0` as +0 (checked against the server:
    // ATAN2(v, -1) is +π), so no negative zero is stated here.
    case("t_float", "float", "Float32", &[
        ("3.4028234e38", Float32(f32::MAX)), ("-3.4028234e38", Float32(f32::MIN)),
        ("1.17549435e-38", Float32(f32::MIN_POSITIVE)), ("1e-45", Float32(f32::from_bits(1))),
        ("0.1", Float32(0.1)), ("1.5", Float32(1.5)), ("-2.5", Float32(-2.5)),
        ("16777217", Float32(16_777_216.0)), ("0", Float32(0.0)), ("-0e0", Float32(0.0)),
        ("123456.789", Float32(123_456.79)),
    ]),
    case("t_double", "double", "Float64", &[
        ("1.7976931348623157e308", Float64(f64::MAX)), ("-1.7976931348623157e308", Float64(f64::MIN)),
        ("2.2250738585072014e-308", Float64(f64::MIN_POSITIVE)), ("5e-324", Float64(f64::from_bits(1))),
        ("0.1", Float64(0.1)), ("-1.5", Float64(-1.5)), ("0", Float64(0.0)), ("-0e0", Float64(0.0)),
        ("0.30000000000000004", Float64(0.1 + 0.2)), ("9007199254740993", Float64(9_007_199_254_740_992.0)),
    ]),
    case("t_bit1", "bit(1)", "UInt64", &[("b'0'", Int(0)), ("b'1'", Int(1))]),
    case("t_bit3", "bit(3)", "UInt64", &[("b'101'", Int(5)), ("b'000'", Int(0)), ("b'111'", Int(7))]),
    case("t_bit10", "bit(10)", "UInt64", &[("b'1000000001'", Int(513)), ("b'1111111111'", Int(1023))]),
    case("t_bit64", "bit(64)", "UInt64", &[
        ("b'1111111111111111111111111111111111111111111111111111111111111111'", Int(u64::MAX as i128)),
        ("0x8000000000000001", Int(9_223_372_036_854_775_809)), ("0", Int(0)),
    ]),
];

/// 'é' 30 000 times: 60 000 bytes, near TEXT's 65 535.
const E_ACUTE_30K: Expected = Repeat("é", 30_000);

#[rustfmt::skip]
pub const TEXTS: &[Case] = &[
    case("t_varchar", "varchar(100)", "Utf8", &[
        ("'plain'", Utf8("plain")), ("''", Utf8("")),
        ("'héllo wörld'", Utf8("héllo wörld")), ("'😀 emoji'", Utf8("😀 emoji")),
        ("'中文字符 日本語 한국어'", Utf8("中文字符 日本語 한국어")),
        (r"'tab\there\nnew line\r'", Utf8("tab\there\nnew line\r")),
        (r#"'it''s "quoted" \\backslash'"#, Utf8(r#"it's "quoted" \backslash"#)),
        ("'trailing  '", Utf8("trailing  ")), ("'  leading'", Utf8("  leading")),
        ("'\u{10FFFF} \u{a0} \u{200b}'", Utf8("\u{10FFFF} \u{a0} \u{200b}")),
        ("'nul\\0inside'", Utf8("nul\0inside")),
    ]),
    // CHAR(n): the server strips trailing spaces on the way out; leading spaces stay.
    case("t_char", "char(5)", "Utf8", &[
        ("'ab'", Utf8("ab")), ("'abc  '", Utf8("abc")), ("''", Utf8("")), ("'é'", Utf8("é")),
        ("'  x'", Utf8("  x")), ("'😀😀😀😀😀'", Utf8("😀😀😀😀😀")),
    ]),
    case("t_varchar_mb3", "varchar(20) CHARACTER SET utf8mb3", "Utf8", &[
        ("'héllo ✓'", Utf8("héllo ✓")), ("'中文'", Utf8("中文")), ("''", Utf8("")),
        ("'\u{ffff}'", Utf8("\u{ffff}")),
    ]),
    case("t_char_mb3", "char(3) CHARACTER SET utf8mb3", "Utf8", &[("'ä'", Utf8("ä"))]),
    // MySQL's latin1 is Windows-1252: 0x80 is '€' (U+20AC), not U+0080.
    case("t_varchar_latin1", "varchar(20) CHARACTER SET latin1", "Utf8", &[
        ("'café'", Utf8("café")), ("'©'", Utf8("©")), ("'ÿ'", Utf8("ÿ")),
        ("'Ü ß ½ ×'", Utf8("Ü ß ½ ×")), ("'€ œ Ÿ'", Utf8("€ œ Ÿ")), ("''", Utf8("")),
    ]),
    case("t_char_latin1", "char(4) CHARACTER SET latin1", "Utf8", &[("'ÿé'", Utf8("ÿé"))]),
    case("t_text_latin1", "text CHARACTER SET latin1", "Utf8", &[("'naïve façade'", Utf8("naïve façade"))]),
    case("t_tinytext", "tinytext", "Utf8", &[("'tiny 😀'", Utf8("tiny 😀")), ("''", Utf8(""))]),
    case("t_text", "text", "Utf8", &[
        ("'text ✓'", Utf8("text ✓")), ("REPEAT('é', 30000)", E_ACUTE_30K),
    ]),
    case("t_mediumtext", "mediumtext", "Utf8", &[
        ("'medium'", Utf8("medium")), ("REPEAT('ab', 100000)", Repeat("ab", 100_000)),
    ]),
    case("t_longtext", "longtext", "Utf8", &[
        ("'{\"not\": \"json\"}'", Utf8("{\"not\": \"json\"}")),
        ("REPEAT('😀x', 70000)", Repeat("😀x", 70_000)),
    ])
    // Only a JSON column (MariaDB: LONGTEXT with a json_valid CHECK) is marked JSON.
    .without(&["ARROW:extension:name"]),
    // BINARY(n) is right-padded with 0x00 as stored.
    case("t_binary", "binary(4)", "Binary", &[
        ("'a'", Hex("61000000")), ("x'00ff'", Hex("00FF0000")), ("x'01020304'", Hex("01020304")),
        ("''", Hex("00000000")),
    ]),
    case("t_varbinary", "varbinary(10)", "Binary", &[
        ("x'00ff0102'", Hex("00FF0102")), ("''", Hex("")), ("'abc'", Hex("616263")),
        ("x'ff00'", Hex("FF00")), ("x'2000'", Hex("2000")),
    ]),
    case("t_tinyblob", "tinyblob", "Binary", &[("x'00'", Hex("00")), ("''", Hex(""))]),
    case("t_blob", "blob", "Binary", &[
        ("x'00ff0102'", Hex("00FF0102")), ("REPEAT(x'00ff', 30000)", BytesRepeat(&[0x00, 0xff], 30_000)),
    ]),
    case("t_mediumblob", "mediumblob", "Binary", &[("x'fffe'", Hex("FFFE"))]),
    case("t_longblob", "longblob", "Binary", &[
        ("x'00'", Hex("00")), ("REPEAT(x'ff00', 100000)", BytesRepeat(&[0xff, 0x00], 100_000)),
    ]),
    case("t_enum", "enum('a','b','c')", "Utf8", &[
        ("'a'", Utf8("a")), ("'c'", Utf8("c")), ("'b'", Utf8("b")), ("2", Utf8("b")),
    ])
    .meta(&[("haul.mysql.enum_labels", r#"["a","b","c"]"#)]),
    case("t_enum_odd", r#"enum('sad','très "bien"','it''s','','é,x')"#, "Utf8", &[
        (r#"'très "bien"'"#, Utf8(r#"très "bien""#)), ("''", Utf8("")), ("'it''s'", Utf8("it's")),
        ("'é,x'", Utf8("é,x")), ("'sad'", Utf8("sad")),
    ])
    .meta(&[("haul.mysql.enum_labels", r#"["sad","très \"bien\"","it's","","é,x"]"#)]),
    // SET: the members present, in definition order whatever the literal's order; '' is [].
    case("t_set", "set('x','y','z')", "List<Utf8>", &[
        ("'z,x'", List(&[Utf8("x"), Utf8("z")])), ("''", List(&[])),
        ("'x,y,z'", List(&[Utf8("x"), Utf8("y"), Utf8("z")])), ("'y'", List(&[Utf8("y")])),
        ("6", List(&[Utf8("y"), Utf8("z")])),
    ])
    .meta(&[("haul.mysql.set_members", r#"["x","y","z"]"#)]),
    case("t_set_odd", "set('a b','c''d','é')", "List<Utf8>", &[
        ("'é,a b'", List(&[Utf8("a b"), Utf8("é")])), ("'c''d'", List(&[Utf8("c'd")])),
        ("''", List(&[])),
    ])
    .meta(&[("haul.mysql.set_members", r#"["a b","c'd","é"]"#)]),
    // JSON as the server returns it: MariaDB keeps the text as written (whitespace, key order,
    // duplicate keys, escapes); its JSON is LONGTEXT with a json_valid CHECK.
    case("t_json", "json", "Utf8", &[
        (r#"'{"b": 1,  "a": [1, 2.50, "x"]}'"#, ServerText),
        (r#"'  {"a":1, "a":2}  '"#, ServerText),
        ("'null'", ServerText), ("'[]'", ServerText), ("'1e3'", ServerText),
        (r#"'"\\u00e9x"'"#, ServerText), (r#"'{"é": "😀", "t": "a\\tb"}'"#, ServerText),
    ])
    .meta(JSON_EXT),
];

#[rustfmt::skip]
pub const TEMPORAL: &[Case] = &[
    case("t_date", "date", "Date32", &[
        ("'1970-01-01'", Date32(0)), ("'1969-12-31'", Date32(-1)),
        ("'1000-01-01'", date(1000, 1, 1)), ("'9999-12-31'", date(9999, 12, 31)),
        ("'2024-02-29'", date(2024, 2, 29)),
        // Below the documented range, but stored (proleptic Gregorian, no Julian gap).
        ("'0001-01-01'", date(1, 1, 1)), ("'1582-10-10'", date(1582, 10, 10)),
    ]),
    case("t_datetime", "datetime", "Timestamp(µs)", &[
        ("'1000-01-01 00:00:00'", Timestamp(ts(1000, 1, 1, 0, 0, 0, 0))),
        ("'9999-12-31 23:59:59'", Timestamp(ts(9999, 12, 31, 23, 59, 59, 0))),
        ("'1970-01-01 00:00:00'", Timestamp(0)),
        ("'1969-12-31 23:59:59'", Timestamp(-1_000_000)),
        ("'2024-02-29 12:34:56'", Timestamp(ts(2024, 2, 29, 12, 34, 56, 0))),
    ]),
    case("t_datetime3", "datetime(3)", "Timestamp(µs)", &[
        ("'2024-02-29 12:34:56.789'", Timestamp(ts(2024, 2, 29, 12, 34, 56, 789_000))),
    ]),
    case("t_datetime6", "datetime(6)", "Timestamp(µs)", &[
        ("'1000-01-01 00:00:00.000000'", Timestamp(ts(1000, 1, 1, 0, 0, 0, 0))),
        ("'9999-12-31 23:59:59.999999'", Timestamp(ts(9999, 12, 31, 23, 59, 59, 999_999))),
        ("'1969-12-31 23:59:59.999999'", Timestamp(-1)),
        ("'2024-02-29 12:34:56.789012'", Timestamp(ts(2024, 2, 29, 12, 34, 56, 789_012))),
        ("'0001-01-01 00:00:00'", Timestamp(ts(1, 1, 1, 0, 0, 0, 0))),
    ]),
    // TIMESTAMP is an instant: written in a +05:00 session, it must read back as UTC whatever
    // the zone of the session that dumps it. NULL is spelled out: without it MariaDB (with
    // explicit_defaults_for_timestamp off) would make the column NOT NULL.
    case("t_timestamp6", "timestamp(6) NULL", "Timestamp(µs,UTC)", &[
        ("'2024-03-01 12:00:00'", Timestamp(ts(2024, 3, 1, 7, 0, 0, 0))),
        ("'1970-01-01 05:00:01'", Timestamp(1_000_000)),
        ("'2038-01-19 08:14:07.999999'", Timestamp(ts(2038, 1, 19, 3, 14, 7, 999_999))),
        ("'2024-06-01 00:00:00.000001'", Timestamp(ts(2024, 5, 31, 19, 0, 0, 1))),
    ])
    .session("SET time_zone = '+05:00'"),
    case("t_timestamp", "timestamp NULL", "Timestamp(µs,UTC)", &[
        ("'2024-03-01 12:00:00'", Timestamp(ts(2024, 3, 1, 7, 0, 0, 0))),
        ("'2000-01-01 04:59:59'", Timestamp(ts(1999, 12, 31, 23, 59, 59, 0))),
    ])
    .session("SET time_zone = '+05:00'"),
    case("t_time", "time", "Duration(µs)", &[
        ("'-838:59:59'", Duration(hms(true, 838, 59, 59, 0))),
        ("'838:59:59'", Duration(hms(false, 838, 59, 59, 0))),
        ("'-00:00:01'", Duration(-1_000_000)), ("'00:00:00'", Duration(0)),
        ("'12:34:56'", Duration(hms(false, 12, 34, 56, 0))),
        ("'25:00:00'", Duration(hms(false, 25, 0, 0, 0))),
    ]),
    case("t_time6", "time(6)", "Duration(µs)", &[
        ("'25:00:00.5'", Duration(hms(false, 25, 0, 0, 500_000))),
        ("'-838:59:59.999999'", Duration(hms(true, 838, 59, 59, 999_999))),
        ("'838:59:59.999999'", Duration(hms(false, 838, 59, 59, 999_999))),
        ("'-00:00:00.000001'", Duration(-1)), ("'00:00:00.000001'", Duration(1)),
        ("'-01:30:00.25'", Duration(hms(true, 1, 30, 0, 250_000))),
    ]),
    // YEAR(4): 1901..2155 and the zero year 0000 (accepted in strict mode as '0000').
    case("t_year", "year", "Int16", &[
        ("1901", Int(1901)), ("2155", Int(2155)), ("'0000'", Int(0)), ("2024", Int(2024)),
    ]),
];

#[rustfmt::skip]
pub const SPATIAL: &[Case] = &[
    // The metadata is the column's SRID, the bytes are plain WKB (no SRID prefix). A value
    // with an SRID of its own in a column that declares none fails its chunk
    // (mysql_type_errors.rs): the dump would lose it.
    case("t_geometry", "geometry", "Binary", &[
        ("ST_GeomFromText('POINT(1 2)')", Wkb("0101000000000000000000F03F0000000000000040")),
        ("ST_GeomFromText('GEOMETRYCOLLECTION(POINT(1 1), LINESTRING(0 0, 1 1))')", ServerWkb),
        ("ST_GeomFromText('MULTIPOLYGON(((0 0, 1 0, 0 1, 0 0)))')", ServerWkb),
    ])
    .meta(SRID_0),
    case("t_point", "point", "Binary", &[
        ("ST_GeomFromText('POINT(-1.5 2.25)')", Wkb("0101000000000000000000F8BF0000000000000240")),
        ("POINT(0, 0)", Wkb("010100000000000000000000000000000000000000")),
    ])
    .meta(SRID_0),
    case("t_linestring", "linestring", "Binary", &[
        ("ST_GeomFromText('LINESTRING(0 0, 1 1, 2 0)')", Wkb(
            "010200000003000000\
             00000000000000000000000000000000\
             000000000000F03F000000000000F03F\
             00000000000000400000000000000000")),
    ])
    .meta(SRID_0),
    case("t_polygon", "polygon", "Binary", &[
        ("ST_GeomFromText('POLYGON((0 0, 4 0, 4 4, 0 4, 0 0), (1 1, 2 1, 2 2, 1 1))')", ServerWkb),
        ("ST_GeomFromText('POLYGON((0 0, 1 0, 0 1, 0 0))')", Wkb(
            "01030000000100000004000000\
             00000000000000000000000000000000\
             000000000000F03F0000000000000000\
             0000000000000000000000000000F03F\
             00000000000000000000000000000000")),
    ])
    .meta(SRID_0),
    // A declared SRID (MariaDB's REF_SYSTEM_ID, MySQL's SRID attribute).
    case("t_point_4326", "point REF_SYSTEM_ID=4326", "Binary", &[
        ("ST_GeomFromText('POINT(13.4 52.5)', 4326)", Wkb("0101000000CDCCCCCCCCCC2A400000000000404A40")),
    ])
    .meta(&[("haul.mysql.srid", "4326")]),
];
