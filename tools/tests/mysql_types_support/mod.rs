//! The machinery of the MySQL/MariaDB type-table tests (tools/tests/mysql_types.rs,
//! tools/tests/mysql_type_errors.rs): the case model, expected values stated independently of
//! haul and checked against the server first, values read back from Parquet and compared
//! exactly.
//!
//! A separate module from `types_support` (the PostgreSQL table): the servers differ in what
//! a literal means and in how the test table is checked, so each keeps its own.

#![allow(dead_code)]

pub mod cases;

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use arrow::array::{Array, AsArray};
use arrow::datatypes::{
    DataType, Date32Type, Decimal128Type, Decimal256Type, DurationMicrosecondType, Float32Type,
    Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, TimeUnit, TimestampMicrosecondType,
    UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use haul_testdata::MyTestDb;

use crate::common::{read_table, run};

/// A value as the test table states it.
#[derive(Debug, Clone, Copy)]
pub enum Expected {
    Null,
    /// Any integer Arrow type (Int8 … UInt64); the Arrow type itself is the case's.
    Int(i128),
    Float32(f32),
    Float64(f64),
    /// Unscaled value, precision, scale.
    Decimal128(i128, u8, i8),
    /// Unscaled value (decimal digits), precision, scale.
    Decimal256(&'static str, u8, i8),
    Utf8(&'static str),
    /// Utf8: the text repeated n times.
    Repeat(&'static str, usize),
    /// Utf8 holding the value exactly as the server returns it (`SELECT v`): JSON, which
    /// MariaDB keeps as written and MySQL normalizes.
    ServerText,
    /// Binary, given as hex.
    Hex(&'static str),
    /// Binary: the bytes repeated n times.
    BytesRepeat(&'static [u8], usize),
    /// Binary holding WKB, given as hex and checked against `HEX(ST_AsBinary(v))`.
    Wkb(&'static str),
    /// Binary holding whatever `ST_AsBinary(v)` returns.
    ServerWkb,
    /// Days since 1970-01-01.
    Date32(i32),
    /// Microseconds since 1970-01-01 00:00 (UTC for TIMESTAMP, wall clock for DATETIME).
    Timestamp(i64),
    /// Microseconds (TIME: negative and past 24 hours).
    Duration(i64),
    /// SET members.
    List(&'static [Expected]),
}
use Expected::*;

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
pub const fn days(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = (if y >= 0 { y } else { y - 399 }) / 400;
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

pub const fn date(y: i64, m: i64, d: i64) -> Expected {
    Date32(days(y, m, d) as i32)
}

/// Microseconds since 1970 of a date and time.
pub const fn ts(y: i64, mo: i64, d: i64, h: i64, mi: i64, s: i64, us: i64) -> i64 {
    (((days(y, mo, d) * 24 + h) * 60 + mi) * 60 + s) * 1_000_000 + us
}

/// Microseconds of a (possibly negative) duration `h:m:s.us`; `neg` makes all of it negative.
pub const fn hms(neg: bool, h: i64, m: i64, s: i64, us: i64) -> i64 {
    let v = ((h * 60 + m) * 60 + s) * 1_000_000 + us;
    if neg { -v } else { v }
}

/// One column type: its table, the Arrow type (in [`shape`]'s notation), required field
/// metadata and the rows.
#[derive(Debug, Clone, Copy)]
pub struct Case {
    table: &'static str,
    /// The column definition after `v`, e.g. `varchar(20) CHARACTER SET latin1`. MariaDB's
    /// `REF_SYSTEM_ID=n` is rewritten to `SRID n` on MySQL.
    ty: &'static str,
    arrow: &'static str,
    /// Required metadata; the value `*` means "present"; JSON arrays are compared as JSON.
    meta: &'static [(&'static str, &'static str)],
    /// Metadata keys that must be absent.
    without: &'static [&'static str],
    /// Statements run in the inserting session first (e.g. `SET time_zone = '+05:00'`).
    session: &'static str,
    rows: &'static [(&'static str, Expected)],
}

pub const fn case(
    table: &'static str,
    ty: &'static str,
    arrow: &'static str,
    rows: &'static [(&'static str, Expected)],
) -> Case {
    Case {
        table,
        ty,
        arrow,
        meta: &[],
        without: &[],
        session: "",
        rows,
    }
}

impl Case {
    pub const fn meta(mut self, meta: &'static [(&'static str, &'static str)]) -> Self {
        self.meta = meta;
        self
    }
    pub const fn without(mut self, keys: &'static [&'static str]) -> Self {
        self.without = keys;
        self
    }
    pub const fn session(mut self, sql: &'static str) -> Self {
        self.session = sql;
        self
    }
    pub fn table(&self) -> &'static str {
        self.table
    }
    /// The column definition for this server.
    pub fn ty_for(&self, mariadb: bool) -> String {
        if mariadb {
            self.ty.to_string()
        } else {
            self.ty.replace("REF_SYSTEM_ID=", "SRID ")
        }
    }
    pub fn literals(&self) -> impl Iterator<Item = &'static str> {
        self.rows.iter().map(|(lit, _)| *lit)
    }
}

// ---------------------------------------------------------------------------------------------
// The machinery: values read back, compared exactly.

/// f32 compared by its bits, shown with them.
#[derive(PartialEq)]
pub struct F32Bits(pub u32);
impl fmt::Debug for F32Bits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} ({:#010x})", f32::from_bits(self.0), self.0)
    }
}
/// f64 compared by its bits, shown with them.
#[derive(PartialEq)]
pub struct F64Bits(pub u64);
impl fmt::Debug for F64Bits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} ({:#018x})", f64::from_bits(self.0), self.0)
    }
}

/// Bytes shown as hex.
#[derive(PartialEq)]
pub struct Bytes(pub Vec<u8>);
impl fmt::Debug for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "x'{}'", hex(&self.0))
    }
}

/// A value read from a file (or an [`Expected`] turned into one).
#[derive(Debug, PartialEq)]
pub enum Val {
    Null,
    Int(i128),
    F32(F32Bits),
    F64(F64Bits),
    /// Unscaled digits, precision, scale.
    Dec(String, u8, i8),
    Text(String),
    Bytes(Bytes),
    Date(i32),
    Ts(i64),
    Dur(i64),
    List(Vec<Val>),
    Other(String),
}

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

pub fn unhex(s: &str) -> Vec<u8> {
    let s: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    s.chunks(2)
        .map(|p| u8::from_str_radix(std::str::from_utf8(p).expect("ascii"), 16).expect("hex"))
        .collect()
}

/// The expected value; `server` is the server's reference text for the row (see
/// [`reference`]), used by [`Expected::ServerText`] and [`Expected::ServerWkb`].
pub fn want(e: &Expected, server: Option<&str>) -> Val {
    match *e {
        Null => Val::Null,
        Int(v) => Val::Int(v),
        Float32(v) => Val::F32(F32Bits(v.to_bits())),
        Float64(v) => Val::F64(F64Bits(v.to_bits())),
        Decimal128(v, p, s) => Val::Dec(v.to_string(), p, s),
        Decimal256(v, p, s) => Val::Dec(v.to_string(), p, s),
        Utf8(s) => Val::Text(s.to_string()),
        Repeat(s, n) => Val::Text(s.repeat(n)),
        ServerText => Val::Text(
            String::from_utf8(unhex(server.expect("resolved by the server")))
                .expect("the server's text is UTF-8"),
        ),
        Hex(h) | Wkb(h) => Val::Bytes(Bytes(unhex(h))),
        BytesRepeat(b, n) => Val::Bytes(Bytes(b.repeat(n))),
        ServerWkb => Val::Bytes(Bytes(unhex(server.expect("resolved by the server")))),
        Date32(d) => Val::Date(d),
        Timestamp(t) => Val::Ts(t),
        Duration(t) => Val::Dur(t),
        List(items) => Val::List(items.iter().map(|i| want(i, None)).collect()),
    }
}

/// One cell of an Arrow array.
pub fn cell(a: &dyn Array, i: usize) -> Val {
    if a.is_null(i) {
        return Val::Null;
    }
    match a.data_type() {
        DataType::Int8 => Val::Int(a.as_primitive::<Int8Type>().value(i).into()),
        DataType::Int16 => Val::Int(a.as_primitive::<Int16Type>().value(i).into()),
        DataType::Int32 => Val::Int(a.as_primitive::<Int32Type>().value(i).into()),
        DataType::Int64 => Val::Int(a.as_primitive::<Int64Type>().value(i).into()),
        DataType::UInt8 => Val::Int(a.as_primitive::<UInt8Type>().value(i).into()),
        DataType::UInt16 => Val::Int(a.as_primitive::<UInt16Type>().value(i).into()),
        DataType::UInt32 => Val::Int(a.as_primitive::<UInt32Type>().value(i).into()),
        DataType::UInt64 => Val::Int(a.as_primitive::<UInt64Type>().value(i).into()),
        DataType::Float32 => Val::F32(F32Bits(a.as_primitive::<Float32Type>().value(i).to_bits())),
        DataType::Float64 => Val::F64(F64Bits(a.as_primitive::<Float64Type>().value(i).to_bits())),
        DataType::Decimal128(p, s) => Val::Dec(
            a.as_primitive::<Decimal128Type>().value(i).to_string(),
            *p,
            *s,
        ),
        DataType::Decimal256(p, s) => Val::Dec(
            a.as_primitive::<Decimal256Type>().value(i).to_string(),
            *p,
            *s,
        ),
        DataType::Utf8 => Val::Text(a.as_string::<i32>().value(i).to_string()),
        DataType::LargeUtf8 => Val::Text(a.as_string::<i64>().value(i).to_string()),
        DataType::Binary => Val::Bytes(Bytes(a.as_binary::<i32>().value(i).to_vec())),
        DataType::LargeBinary => Val::Bytes(Bytes(a.as_binary::<i64>().value(i).to_vec())),
        DataType::Date32 => Val::Date(a.as_primitive::<Date32Type>().value(i)),
        DataType::Timestamp(TimeUnit::Microsecond, _) => {
            Val::Ts(a.as_primitive::<TimestampMicrosecondType>().value(i))
        }
        DataType::Duration(TimeUnit::Microsecond) => {
            Val::Dur(a.as_primitive::<DurationMicrosecondType>().value(i))
        }
        DataType::List(_) => {
            let v = a.as_list::<i32>().value(i);
            Val::List((0..v.len()).map(|j| cell(v.as_ref(), j)).collect())
        }
        other => Val::Other(format!("unexpected Arrow type {other}")),
    }
}

/// An Arrow type in the notation of [`Case::arrow`]: `Int8`, `UInt64`, `Decimal128(10,2)`,
/// `Timestamp(µs)`, `Timestamp(µs,UTC)`, `Duration(µs)`, `List<Utf8>`.
pub fn shape(dt: &DataType) -> String {
    let unit = |u: &TimeUnit| match u {
        TimeUnit::Second => "s",
        TimeUnit::Millisecond => "ms",
        TimeUnit::Microsecond => "µs",
        TimeUnit::Nanosecond => "ns",
    };
    match dt {
        DataType::Decimal128(p, s) => format!("Decimal128({p},{s})"),
        DataType::Decimal256(p, s) => format!("Decimal256({p},{s})"),
        DataType::FixedSizeBinary(n) => format!("FixedSizeBinary({n})"),
        DataType::Time64(u) => format!("Time64({})", unit(u)),
        DataType::Duration(u) => format!("Duration({})", unit(u)),
        DataType::Timestamp(u, None) => format!("Timestamp({})", unit(u)),
        DataType::Timestamp(u, Some(tz)) => format!("Timestamp({},{tz})", unit(u)),
        DataType::List(f) => format!("List<{}>", shape(f.data_type())),
        DataType::LargeList(f) => format!("LargeList<{}>", shape(f.data_type())),
        other => format!("{other:?}"),
    }
}

/// A decimal's text (as `CAST(v AS CHAR)` prints it) from its unscaled digits and scale.
pub fn decimal_text(unscaled: &str, scale: i8) -> String {
    let (neg, digits) = match unscaled.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, unscaled),
    };
    let scale = usize::try_from(scale).expect("non-negative scale");
    let padded = format!("{digits:0>width$}", width = scale + 1);
    let (int, frac) = padded.split_at(padded.len() - scale);
    let sign = if neg { "-" } else { "" };
    if scale == 0 {
        format!("{sign}{int}")
    } else {
        format!("{sign}{int}.{frac}")
    }
}

/// The SQL expression whose text the test table is checked against, and the text it must give
/// for the stated value (`None`: the server's text is the expectation).
fn reference_expr(e: &Expected) -> (&'static str, Option<String>) {
    const TEXT_HEX: &str = "HEX(CONVERT(v USING utf8mb4))";
    match e {
        Null => (
            "IF(v IS NULL, 'NULL', 'not null')",
            Some("NULL".to_string()),
        ),
        Int(v) => ("CAST(v + 0 AS CHAR)", Some(v.to_string())),
        // The double's shortest round-trip text; a zero's sign from atan2.
        Float32(_) | Float64(_) => (
            "IF(v = 0, IF(ATAN2(v, -1) < 0, '-0', '0'), CAST(CAST(v AS DOUBLE) AS CHAR))",
            None,
        ),
        Decimal128(v, _, s) => ("CAST(v AS CHAR)", Some(decimal_text(&v.to_string(), *s))),
        Decimal256(v, _, s) => ("CAST(v AS CHAR)", Some(decimal_text(v, *s))),
        Utf8(s) => (TEXT_HEX, Some(hex(s.as_bytes()))),
        Repeat(s, n) => (TEXT_HEX, Some(hex(s.repeat(*n).as_bytes()))),
        ServerText => (TEXT_HEX, None),
        Hex(h) => ("HEX(v)", Some(h.to_ascii_uppercase())),
        BytesRepeat(b, n) => ("HEX(v)", Some(hex(&b.repeat(*n)))),
        Wkb(h) => ("HEX(ST_AsBinary(v))", Some(h.to_ascii_uppercase())),
        ServerWkb => ("HEX(ST_AsBinary(v))", None),
        Date32(d) => ("DATEDIFF(v, '1970-01-01')", Some(d.to_string())),
        // Read with the session at UTC: the instant for TIMESTAMP, the wall clock for DATETIME.
        Timestamp(t) => (
            "TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', v)",
            Some(t.to_string()),
        ),
        Duration(t) => (
            "IF(v < TIME'00:00:00', -1, 1) * \
             ((HOUR(v) * 3600 + MINUTE(v) * 60 + SECOND(v)) * 1000000 + MICROSECOND(v))",
            Some(t.to_string()),
        ),
        List(items) => {
            let members: Vec<String> = items
                .iter()
                .map(|i| match i {
                    Utf8(s) => (*s).to_string(),
                    other => panic!("a SET member is text, not {other:?}"),
                })
                .collect();
            (TEXT_HEX, Some(hex(members.join(",").as_bytes())))
        }
    }
}

/// Checks the test table itself against the server: every row's stated value against the
/// server's own reading of the stored value (decimal text, days since 1970, microseconds, the
/// bytes in hex …). Returns the server's reference text for each row (used by
/// [`Expected::ServerText`] and [`Expected::ServerWkb`]).
pub fn reference(db: &MyTestDb, c: &Case) -> Vec<Option<String>> {
    let mut out = Vec::new();
    for (i, (lit, e)) in c.rows.iter().enumerate() {
        let (expr, stated) = reference_expr(e);
        let sql = format!(
            "SET time_zone = '+00:00'; SELECT {expr} FROM {} WHERE id = {}",
            c.table,
            i + 1
        );
        let got = db.scalar(&sql);
        match (e, &stated) {
            (Float32(f), _) => {
                let want = if *f == 0.0 && f.is_sign_negative() {
                    "-0".to_string()
                } else if *f == 0.0 {
                    "0".to_string()
                } else {
                    format!("{:?}", f64::from(*f))
                };
                let ok = got.as_deref().is_some_and(|g| match g {
                    "0" | "-0" => g == want,
                    g => g
                        .parse::<f64>()
                        .is_ok_and(|d| (d as f32).to_bits() == f.to_bits()),
                });
                assert!(
                    ok,
                    "table error in this test, not haul: {} ({}) {lit} is stated as {f:?} ({want}) \
                     but the server holds {got:?}",
                    c.ty, c.table
                );
            }
            (Float64(f), _) => {
                let ok = got.as_deref().is_some_and(|g| match g {
                    "0" => f.to_bits() == 0,
                    "-0" => f.to_bits() == (-0.0f64).to_bits(),
                    g => g.parse::<f64>().is_ok_and(|d| d.to_bits() == f.to_bits()),
                });
                assert!(
                    ok,
                    "table error in this test, not haul: {} ({}) {lit} is stated as {f:?} but \
                     the server holds {got:?}",
                    c.ty, c.table
                );
            }
            (_, Some(stated)) => assert_eq!(
                got.as_deref(),
                Some(stated.as_str()),
                "table error in this test, not haul: {} ({}) {lit} is stated as {e:?} \
                 ({expr} = {stated:?}) but the server says {got:?}",
                c.ty,
                c.table
            ),
            (_, None) => assert!(
                got.is_some(),
                "table error in this test, not haul: {} ({}) {lit}: {expr} is NULL",
                c.ty,
                c.table
            ),
        }
        out.push(got);
    }
    out
}

/// True when the server is MariaDB (else MySQL).
pub fn is_mariadb(db: &MyTestDb) -> bool {
    db.scalar("SELECT VERSION()")
        .is_some_and(|v| v.contains("MariaDB"))
}

/// `information_schema.COLUMNS.COLUMN_TYPE` of every `v` column, by table.
pub fn column_types(db: &MyTestDb) -> HashMap<String, String> {
    db.query_strings(&format!(
        "SELECT TABLE_NAME, COLUMN_TYPE FROM information_schema.COLUMNS \
          WHERE TABLE_SCHEMA = '{}' AND COLUMN_NAME = 'v'",
        db.name()
    ))
    .into_iter()
    .map(|r| {
        let mut r = r.into_iter().map(|v| v.unwrap_or_default());
        (r.next().unwrap_or_default(), r.next().unwrap_or_default())
    })
    .collect()
}

/// The declared SRID of every spatial `v` column, by table, as the server's catalog records it
/// (MariaDB: `information_schema.GEOMETRY_COLUMNS`; MySQL: `COLUMNS.SRS_ID`), `0` when none.
pub fn column_srids(db: &MyTestDb, mariadb: bool) -> HashMap<String, String> {
    let sql = if mariadb {
        format!(
            "SELECT G_TABLE_NAME, SRID FROM information_schema.GEOMETRY_COLUMNS \
              WHERE G_TABLE_SCHEMA = '{}' AND G_GEOMETRY_COLUMN = 'v'",
            db.name()
        )
    } else {
        format!(
            "SELECT TABLE_NAME, COALESCE(SRS_ID, 0) FROM information_schema.COLUMNS \
              WHERE TABLE_SCHEMA = '{}' AND COLUMN_NAME = 'v' AND SRS_ID IS NOT NULL",
            db.name()
        )
    };
    db.query_strings(&sql)
        .into_iter()
        .map(|r| {
            let mut r = r.into_iter().map(|v| v.unwrap_or_default());
            (r.next().unwrap_or_default(), r.next().unwrap_or_default())
        })
        .collect()
}

/// Creates and fills every case's table in `db` (each in its own session, after the case's
/// session statements).
pub fn create_cases(db: &MyTestDb, cases: &[Case], mariadb: bool) {
    for c in cases {
        let values: Vec<String> = c
            .rows
            .iter()
            .enumerate()
            .map(|(i, (lit, _))| format!("({}, {lit})", i + 1))
            .chain([format!("({}, NULL)", c.rows.len() + 1)])
            .collect();
        let sql = format!(
            "{session}{sep}CREATE TABLE {t} (id int PRIMARY KEY, v {ty}); \
             INSERT INTO {t} VALUES {values};",
            session = c.session,
            sep = if c.session.is_empty() { "" } else { "; " },
            t = c.table,
            ty = c.ty_for(mariadb),
            values = values.join(", "),
        );
        if let Err(e) = db.try_exec(&sql) {
            panic!(
                "table error in this test, not haul: {} ({}) cannot be created: {e}",
                c.ty, c.table
            );
        }
    }
}

/// Creates, fills and dumps every case's table, then compares everything; reports all
/// mismatches at once.
pub fn check_cases(tag: &str, cases: &[Case]) {
    let Some(db) = MyTestDb::create(tag) else {
        return;
    };
    let mariadb = is_mariadb(&db);
    create_cases(&db, cases, mariadb);
    let server: Vec<Vec<Option<String>>> = cases.iter().map(|c| reference(&db, c)).collect();
    let types = column_types(&db);
    let srids = column_srids(&db, mariadb);

    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("out");
    let r = run(&[
        "dump",
        db.url(),
        dir.to_str().expect("utf-8 path"),
        "--json",
    ]);
    // A chunk that fails is a mismatch like any other: report it and check the rest.
    let mut failures: Vec<String> = Vec::new();
    if r.code != 0 {
        failures.push(format!(
            "haul dump exited {} (0 expected)\nstderr: {}",
            r.code, r.stderr
        ));
    }
    let events: Vec<serde_json::Value> = r
        .stdout
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    for e in &events {
        if e["type"] == "chunk_failed" || e["type"] == "error" {
            failures.push(format!("haul dump: {}", e["data"]));
        }
    }
    assert!(
        matches!(r.code, 0 | 1),
        "haul dump failed (exit {})\nstdout: {}\nstderr: {}",
        r.code,
        r.stdout,
        r.stderr
    );
    for (c, server) in cases.iter().zip(&server) {
        check_case(&db, c, server, &types, &srids, &dir, &mut failures);
    }
    assert!(
        failures.is_empty(),
        "{} mismatch(es) with the MySQL type contract:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}

/// The directory of a dumped table: `<database>.<table>`.
pub fn table_dir(db: &MyTestDb, table: &str) -> String {
    format!("{}.{table}", db.name())
}

/// Every row of a dumped table as (id, value of `column`), sorted by id.
pub fn rows_by_id(batches: &[arrow::array::RecordBatch], column: &str) -> Vec<(i128, Val)> {
    let mut rows = Vec::new();
    for b in batches {
        let ids = b.column_by_name("id").expect("id column");
        let vs = b
            .column_by_name(column)
            .unwrap_or_else(|| panic!("column {column}"));
        for i in 0..b.num_rows() {
            let Val::Int(id) = cell(ids.as_ref(), i) else {
                panic!("id is not an integer")
            };
            rows.push((id, cell(vs.as_ref(), i)));
        }
    }
    rows.sort_by_key(|(id, _)| *id);
    rows
}

pub fn check_case(
    db: &MyTestDb,
    c: &Case,
    server: &[Option<String>],
    types: &HashMap<String, String>,
    srids: &HashMap<String, String>,
    dir: &Path,
    failures: &mut Vec<String>,
) {
    let batches = read_table(dir, &table_dir(db, c.table));
    let Some(first) = batches.first() else {
        failures.push(format!(
            "{} ({}): no Parquet file in {} (its chunk failed?)",
            c.ty,
            c.table,
            table_dir(db, c.table)
        ));
        return;
    };
    let schema = first.schema();
    let mut fail = |what: String| failures.push(format!("{} ({}): {what}", c.ty, c.table));
    let Ok(field) = schema.field_with_name("v") else {
        fail("no field `v`".to_string());
        return;
    };
    match schema.field_with_name("id") {
        Ok(id) if id.is_nullable() => {
            fail("the primary key `id` should be a non-nullable field".to_string())
        }
        Ok(id) if id.data_type() != &DataType::Int32 => fail(format!(
            "`id` (int) should be Int32, got {}",
            id.data_type()
        )),
        Ok(_) => {}
        Err(_) => fail("no field `id`".to_string()),
    }
    if !field.is_nullable() {
        fail("`v` should be nullable".to_string());
    }
    let got_shape = shape(field.data_type());
    let shape_ok = got_shape == c.arrow;
    if !shape_ok {
        fail(format!("Arrow type: expected {}, got {got_shape}", c.arrow));
    }
    if let DataType::List(item) = field.data_type()
        && item.name() != "item"
    {
        fail(format!(
            "list item field: expected name \"item\", got {:?}",
            item.name()
        ));
    }

    // Metadata.
    let meta = field.metadata();
    let get = |k: &str| meta.get(k).map(String::as_str);
    let my_type = types.get(c.table).map(String::as_str);
    if my_type.is_none() || get("haul.mysql.type") != my_type {
        fail(format!(
            "metadata haul.mysql.type: expected {my_type:?} (information_schema COLUMN_TYPE), \
             got {:?}",
            get("haul.mysql.type")
        ));
    }
    for (k, v) in c.meta {
        let v = if *k == "haul.mysql.srid" {
            // The case states the SRID; the server's catalog must agree.
            let declared = srids.get(c.table).map(String::as_str);
            assert_eq!(
                declared,
                Some(*v),
                "table error in this test, not haul: {} ({}) declares SRID {declared:?}",
                c.ty,
                c.table
            );
            *v
        } else {
            *v
        };
        let ok = match get(k) {
            None => false,
            Some(_) if v == "*" => true,
            Some(got) if v.starts_with('[') => {
                serde_json::from_str::<serde_json::Value>(got).ok()
                    == serde_json::from_str::<serde_json::Value>(v).ok()
            }
            Some(got) => got == v,
        };
        if !ok {
            fail(format!("metadata {k}: expected {v:?}, got {:?}", get(k)));
        }
    }
    for k in c.without {
        if let Some(got) = get(k) {
            fail(format!("metadata {k}={got:?} should be absent"));
        }
    }
    if !shape_ok {
        return;
    }

    // Values, in id order.
    let rows = rows_by_id(&batches, "v");
    let wanted: Vec<(&str, Val)> = c
        .rows
        .iter()
        .zip(server)
        .map(|((lit, e), s)| (*lit, want(e, s.as_deref())))
        .chain([("NULL", Val::Null)])
        .collect();
    if rows.len() != wanted.len() {
        fail(format!(
            "{} rows read back, {} written",
            rows.len(),
            wanted.len()
        ));
        return;
    }
    for (n, ((id, got), (lit, exp))) in rows.iter().zip(&wanted).enumerate() {
        if *id != n as i128 + 1 {
            fail(format!("row {n}: id {id}, expected {}", n + 1));
            return;
        }
        if got != exp {
            let (exp, got) = (
                short(&format!("{exp:?}"), 300),
                short(&format!("{got:?}"), 300),
            );
            fail(format!(
                "id {id} {}: expected {exp}, got {got}",
                short(lit, 80)
            ));
        }
    }
}

/// At most `n` characters of `s`, marked when cut.
pub fn short(s: &str, n: usize) -> String {
    match s.char_indices().nth(n) {
        Some((cut, _)) => format!("{}… ({} chars)", &s[..cut], s.chars().count()),
        None => s.to_string(),
    }
}

/// True when `text` names `name` as a whole word (no letter, digit or `_` on either side).
pub fn names(text: &str, name: &str) -> bool {
    let word = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(name).any(|(i, _)| {
        !text[..i].chars().next_back().is_some_and(word)
            && !text[i + name.len()..].chars().next().is_some_and(word)
    })
}
