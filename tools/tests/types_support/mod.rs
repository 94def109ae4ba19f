//! The machinery of the type-table tests (tools/tests/types.rs, tools/tests/type_errors.rs):
//! the case model, expected values computed independently of haul, values read back from
//! Parquet and compared exactly.

#![allow(dead_code)]

pub mod cases;

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use arrow::array::{Array, AsArray};
use arrow::datatypes::{
    DataType, Date32Type, Decimal128Type, Decimal256Type, Float32Type, Float64Type, Int16Type,
    Int32Type, Int64Type, Time64MicrosecondType, TimeUnit, TimestampMicrosecondType,
};
use haul_testdata::PgTestDb;

use crate::common::{read_table, run, try_exec};

/// A value as the test table states it.
#[derive(Debug, Clone, Copy)]
pub enum Expected {
    Null,
    Boolean(bool),
    Int16(i16),
    Int32(i32),
    Int64(i64),
    Float32(f32),
    Float64(f64),
    /// Unscaled value, precision, scale.
    Decimal128(i128, u8, i8),
    /// Unscaled value (decimal digits), precision, scale.
    Decimal256(&'static str, u8, i8),
    Utf8(&'static str),
    /// Utf8 holding whatever PostgreSQL prints for the literal (`SELECT (lit)::type::text`).
    PgText,
    Binary(&'static [u8]),
    /// FixedSizeBinary(16), given as the canonical text.
    Uuid(&'static str),
    /// Days since 1970-01-01.
    Date32(i32),
    /// Microseconds since midnight.
    Time64(i64),
    /// Microseconds since midnight, UTC offset in seconds east.
    TimeTz(i64, i32),
    /// Microseconds since 1970-01-01 00:00 UTC.
    Timestamp(i64),
    /// Months, days, microseconds.
    Interval(i32, i32, i64),
    List(&'static [Expected]),
}
use Expected::*;

/// Days from 1970-01-01 to a proleptic Gregorian date; `y` is the astronomical year (1 BC = 0,
/// 44 BC = −43). Howard Hinnant's `days_from_civil`.
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

/// Microseconds since 1970 of a UTC date and time.
pub const fn ts(y: i64, mo: i64, d: i64, h: i64, mi: i64, s: i64, us: i64) -> i64 {
    (((days(y, mo, d) * 24 + h) * 60 + mi) * 60 + s) * 1_000_000 + us
}

pub const fn tod(h: i64, m: i64, s: i64, us: i64) -> i64 {
    ((h * 60 + m) * 60 + s) * 1_000_000 + us
}

#[derive(Debug, Clone, Copy)]
pub enum Requires {
    Nothing,
    /// `server_version_num` at least this.
    Pg(u32),
    /// `CREATE EXTENSION` must succeed (optional types: the case is skipped with a message).
    Extension(&'static str),
}

/// One column type: its table, the Arrow type (in [`shape`]'s notation), required field
/// metadata and the rows.
#[derive(Debug, Clone, Copy)]
pub struct Case {
    table: &'static str,
    ty: &'static str,
    arrow: &'static str,
    /// Required metadata; the value `*` means "present".
    meta: &'static [(&'static str, &'static str)],
    /// `Some(true)`: `haul.carried_as=text` required; `Some(false)`: must be absent.
    carried_as_text: Option<bool>,
    requires: Requires,
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
        carried_as_text: Some(false),
        requires: Requires::Nothing,
        rows,
    }
}

impl Case {
    pub const fn meta(mut self, meta: &'static [(&'static str, &'static str)]) -> Self {
        self.meta = meta;
        self
    }
    /// A type with no Arrow home: its exact output text, `haul.carried_as=text`.
    pub const fn fallback(mut self) -> Self {
        self.carried_as_text = Some(true);
        self
    }
    /// A type docs/types.md maps to its output text without saying whether it is flagged.
    pub const fn text_form(mut self) -> Self {
        self.carried_as_text = None;
        self
    }
    pub const fn requires(mut self, r: Requires) -> Self {
        self.requires = r;
        self
    }
    /// The case's table name.
    pub fn table(&self) -> &'static str {
        self.table
    }
    /// The column's SQL type.
    pub fn ty(&self) -> &'static str {
        self.ty
    }
    /// The SQL literals, in id order.
    pub fn literals(&self) -> impl Iterator<Item = &'static str> {
        self.rows.iter().map(|(lit, _)| *lit)
    }
    /// What the case needs from the server.
    pub fn needs(&self) -> Requires {
        self.requires
    }
}

/// User types the cases use; the enum gets labels added later so that sort order ≠ OID order.
pub const USER_TYPES: &str = r#"
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN posint AS int CHECK (VALUE > 0);
CREATE DOMAIN price AS numeric(6,2);
CREATE DOMAIN code AS varchar(8);
CREATE DOMAIN intlist AS int[];
CREATE TYPE pair AS (a int, b text);
"#;
pub const USER_TYPES_LATER: &[&str] = &[
    "ALTER TYPE mood ADD VALUE 'meh' BEFORE 'ok'",
    r#"ALTER TYPE mood ADD VALUE 'très "bien"'"#,
];

// ---------------------------------------------------------------------------------------------
// The machinery: values read back, compared exactly.

/// f32 compared by its bits, shown with them.
#[derive(PartialEq)]
pub struct F32Bits(u32);
impl fmt::Debug for F32Bits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} ({:#010x})", f32::from_bits(self.0), self.0)
    }
}
/// f64 compared by its bits, shown with them.
#[derive(PartialEq)]
pub struct F64Bits(u64);
impl fmt::Debug for F64Bits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} ({:#018x})", f64::from_bits(self.0), self.0)
    }
}

/// A value read from a file (or an [`Expected`] turned into one).
#[derive(Debug, PartialEq)]
pub enum Val {
    Null,
    Bool(bool),
    Int(i64),
    F32(F32Bits),
    F64(F64Bits),
    /// Unscaled digits, precision, scale.
    Dec(String, u8, i8),
    Text(String),
    Bytes(Vec<u8>),
    Date(i32),
    Time(i64),
    TimeTz(i64, i32),
    Ts(i64),
    Interval(i32, i32, i64),
    List(Vec<Val>),
    Other(String),
}

pub fn uuid_bytes(s: &str) -> Vec<u8> {
    let hex: Vec<u8> = s.bytes().filter(|b| *b != b'-').collect();
    hex.chunks(2)
        .map(|p| u8::from_str_radix(std::str::from_utf8(p).expect("ascii"), 16).expect("uuid hex"))
        .collect()
}

/// The expected value; `printed` is the server's text for [`Expected::PgText`].
pub fn want(e: &Expected, printed: Option<&str>) -> Val {
    match *e {
        Null => Val::Null,
        Boolean(b) => Val::Bool(b),
        Int16(v) => Val::Int(v.into()),
        Int32(v) => Val::Int(v.into()),
        Int64(v) => Val::Int(v),
        Float32(v) => Val::F32(F32Bits(v.to_bits())),
        Float64(v) => Val::F64(F64Bits(v.to_bits())),
        Decimal128(v, p, s) => Val::Dec(v.to_string(), p, s),
        Decimal256(v, p, s) => Val::Dec(v.to_string(), p, s),
        Utf8(s) => Val::Text(s.to_string()),
        PgText => Val::Text(
            printed
                .expect("PgText is resolved by the server")
                .to_string(),
        ),
        Binary(b) => Val::Bytes(b.to_vec()),
        Uuid(s) => Val::Bytes(uuid_bytes(s)),
        Date32(d) => Val::Date(d),
        Time64(t) => Val::Time(t),
        TimeTz(t, o) => Val::TimeTz(t, o),
        Timestamp(t) => Val::Ts(t),
        Interval(m, d, us) => Val::Interval(m, d, us),
        List(items) => Val::List(items.iter().map(|i| want(i, None)).collect()),
    }
}

/// One cell of an Arrow array.
pub fn cell(a: &dyn Array, i: usize) -> Val {
    if a.is_null(i) {
        return Val::Null;
    }
    match a.data_type() {
        DataType::Boolean => Val::Bool(a.as_boolean().value(i)),
        DataType::Int16 => Val::Int(a.as_primitive::<Int16Type>().value(i).into()),
        DataType::Int32 => Val::Int(a.as_primitive::<Int32Type>().value(i).into()),
        DataType::Int64 => Val::Int(a.as_primitive::<Int64Type>().value(i)),
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
        DataType::Binary => Val::Bytes(a.as_binary::<i32>().value(i).to_vec()),
        DataType::FixedSizeBinary(_) => Val::Bytes(a.as_fixed_size_binary().value(i).to_vec()),
        DataType::Date32 => Val::Date(a.as_primitive::<Date32Type>().value(i)),
        DataType::Time64(TimeUnit::Microsecond) => {
            Val::Time(a.as_primitive::<Time64MicrosecondType>().value(i))
        }
        DataType::Timestamp(TimeUnit::Microsecond, _) => {
            Val::Ts(a.as_primitive::<TimestampMicrosecondType>().value(i))
        }
        DataType::Struct(fields) => {
            let s = a.as_struct();
            let names: Vec<&str> = fields.iter().map(|f| f.name().as_str()).collect();
            match names.as_slice() {
                ["time", "utc_offset_seconds"] => Val::TimeTz(
                    s.column(0).as_primitive::<Time64MicrosecondType>().value(i),
                    s.column(1).as_primitive::<Int32Type>().value(i),
                ),
                ["months", "days", "micros"] => Val::Interval(
                    s.column(0).as_primitive::<Int32Type>().value(i),
                    s.column(1).as_primitive::<Int32Type>().value(i),
                    s.column(2).as_primitive::<Int64Type>().value(i),
                ),
                other => Val::Other(format!("struct {other:?}")),
            }
        }
        DataType::List(_) => {
            let v = a.as_list::<i32>().value(i);
            Val::List((0..v.len()).map(|j| cell(v.as_ref(), j)).collect())
        }
        other => Val::Other(format!("unexpected Arrow type {other}")),
    }
}

/// An Arrow type in the notation of [`Case::arrow`]: nested field names and metadata left out
/// for lists, kept for structs.
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
        DataType::Timestamp(u, None) => format!("Timestamp({})", unit(u)),
        DataType::Timestamp(u, Some(tz)) => format!("Timestamp({},{tz})", unit(u)),
        DataType::List(f) => format!("List<{}>", shape(f.data_type())),
        DataType::LargeList(f) => format!("LargeList<{}>", shape(f.data_type())),
        DataType::Struct(fs) => {
            let inner: Vec<String> = fs
                .iter()
                .map(|f| format!("{}: {}", f.name(), shape(f.data_type())))
                .collect();
            format!("Struct{{{}}}", inner.join(", "))
        }
        other => format!("{other:?}"),
    }
}

/// Checks the test table itself against PostgreSQL: text expectations against the type's output
/// text, dates and times against `extract(epoch …)`. Returns the server's text for each row
/// (used by [`Expected::PgText`]).
pub fn reference(db: &PgTestDb, c: &Case) -> Vec<Option<String>> {
    let exprs: Vec<String> = c
        .rows
        .iter()
        .map(|(lit, e)| {
            let v = format!("({lit})::{}", c.ty);
            match e {
                Utf8(_) => format!("format('%s', {v})"),
                PgText => format!("({v})::text"),
                Date32(d) if *d != i32::MAX && *d != i32::MIN => {
                    format!("(({v}) - DATE '1970-01-01')::text")
                }
                Timestamp(t) if *t != i64::MAX && *t != i64::MIN => {
                    format!("(extract(epoch FROM {v}) * 1000000)::numeric(30,0)::text")
                }
                Time64(_) => format!("(extract(epoch FROM {v}) * 1000000)::numeric(30,0)::text"),
                TimeTz(..) => format!(
                    "(extract(epoch FROM ({v})::time) * 1000000)::numeric(30,0) || ' ' || \
                     extract(timezone FROM {v})"
                ),
                _ => "NULL".to_string(),
            }
        })
        .collect();
    let sql = format!("SET TimeZone = 'UTC'; SELECT {}", exprs.join(", "));
    let row = db.query(&sql).into_iter().next().expect("one row");
    for ((lit, e), got) in c.rows.iter().zip(&row) {
        let stated = match e {
            Utf8(s) => Some(s.to_string()),
            Date32(d) if *d != i32::MAX && *d != i32::MIN => Some(d.to_string()),
            Timestamp(t) if *t != i64::MAX && *t != i64::MIN => Some(t.to_string()),
            Time64(t) => Some(t.to_string()),
            TimeTz(t, o) => Some(format!("{t} {o}")),
            _ => None,
        };
        if let Some(stated) = stated {
            assert_eq!(
                got.as_deref(),
                Some(stated.as_str()),
                "table error in this test, not haul: {} {lit} is stated as {stated:?} but \
                 PostgreSQL says {got:?}",
                c.ty
            );
        }
    }
    row
}

/// `format_type` of every `v` column, spelled with an empty search path so user types are
/// schema-qualified, as docs/types.md shows (`public.mood[]`).
pub fn pg_types(db: &PgTestDb) -> HashMap<String, String> {
    db.query(
        "SET search_path = ''; \
         SELECT c.relname::text, pg_catalog.format_type(a.atttypid, a.atttypmod) \
           FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid \
          WHERE a.attname = 'v' AND c.relnamespace = 'public'::pg_catalog.regnamespace \
            AND c.relkind = 'r'",
    )
    .into_iter()
    .map(|r| {
        let mut r = r.into_iter().map(|v| v.unwrap_or_default());
        (r.next().unwrap_or_default(), r.next().unwrap_or_default())
    })
    .collect()
}

/// Creates, fills and dumps every case's table, then compares everything; reports all
/// mismatches at once.
pub fn check_cases(tag: &str, cases: &[Case], extra: fn(&Path, &mut Vec<String>)) {
    let Some(db) = PgTestDb::create(tag) else {
        return;
    };
    db.exec(USER_TYPES);
    for sql in USER_TYPES_LATER {
        db.exec(sql);
    }
    let version: u32 = db
        .scalar("SHOW server_version_num")
        .and_then(|v| v.parse().ok())
        .expect("server_version_num");
    let mut active = Vec::new();
    for c in cases {
        match c.requires {
            Requires::Nothing => {}
            Requires::Pg(min) if version < min => {
                eprintln!(
                    "skipping {} ({}): needs server_version_num ≥ {min}",
                    c.ty, c.table
                );
                continue;
            }
            Requires::Pg(_) => {}
            Requires::Extension(ext) => {
                if let Err(e) = try_exec(db.url(), &format!("CREATE EXTENSION IF NOT EXISTS {ext}"))
                {
                    eprintln!(
                        "skipping {} ({}): CREATE EXTENSION {ext} failed: {e}",
                        c.ty, c.table
                    );
                    continue;
                }
            }
        }
        let values: Vec<String> = c
            .rows
            .iter()
            .enumerate()
            .map(|(i, (lit, _))| format!("({}, {lit})", i + 1))
            .chain([format!("({}, NULL)", c.rows.len() + 1)])
            .collect();
        db.exec(&format!(
            "CREATE TABLE {t} (id int PRIMARY KEY, v {ty}); INSERT INTO {t} VALUES {};",
            values.join(", "),
            t = c.table,
            ty = c.ty
        ));
        active.push(c);
    }
    let printed: Vec<Vec<Option<String>>> = active.iter().map(|c| reference(&db, c)).collect();
    let pg_type = pg_types(&db);

    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("out");
    let r = run(&[
        "dump",
        db.url(),
        dir.to_str().expect("utf-8 path"),
        "--quiet",
    ]);
    // A chunk that fails is a mismatch like any other: report it and check the rest.
    assert!(
        matches!(r.code, 0 | 1),
        "haul dump failed\nstderr: {}",
        r.stderr
    );
    let mut failures: Vec<String> = r
        .stderr
        .lines()
        .map(|l| format!("haul dump (exit {}): {l}", r.code))
        .collect();
    assert_eq!(r.stdout, "", "--quiet prints nothing but errors");
    for (c, printed) in active.iter().zip(&printed) {
        check_case(c, printed, pg_type.get(c.table), &dir, &mut failures);
    }
    extra(&dir, &mut failures);
    assert!(
        failures.is_empty(),
        "{} mismatch(es) with docs/types.md:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}

pub fn check_case(
    c: &Case,
    printed: &[Option<String>],
    pg_type: Option<&String>,
    dir: &Path,
    failures: &mut Vec<String>,
) {
    let batches = read_table(dir, &format!("public.{}", c.table));
    let Some(first) = batches.first() else {
        failures.push(format!(
            "{} ({}): no Parquet file (its chunk failed?)",
            c.ty, c.table
        ));
        return;
    };
    let schema = first.schema();
    let mut fail = |what: String| failures.push(format!("{} ({}): {what}", c.ty, c.table));
    let Ok(field) = schema.field_with_name("v") else {
        fail("no field `v`".to_string());
        return;
    };
    if schema
        .field_with_name("id")
        .is_ok_and(|id| id.is_nullable())
    {
        fail("NOT NULL `id` should be a non-nullable field".to_string());
    }
    if !field.is_nullable() {
        fail("`v` should be nullable".to_string());
    }
    let got_shape = shape(field.data_type());
    let shape_ok = got_shape == c.arrow;
    if !shape_ok {
        fail(format!("Arrow type: expected {}, got {got_shape}", c.arrow));
    }

    // Metadata.
    let meta = field.metadata();
    let get = |k: &str| meta.get(k).map(String::as_str);
    if get("haul.pg.type") != pg_type.map(String::as_str) {
        fail(format!(
            "metadata haul.pg.type: expected {pg_type:?} (format_type), got {:?}",
            get("haul.pg.type")
        ));
    }
    for (k, v) in c.meta {
        let ok = match (*k, get(k)) {
            (_, None) => false,
            (_, Some(_)) if *v == "*" => true,
            ("haul.pg.enum_labels", Some(got)) => {
                serde_json::from_str::<serde_json::Value>(got).ok()
                    == serde_json::from_str::<serde_json::Value>(v).ok()
            }
            (_, Some(got)) => got == *v,
        };
        if !ok {
            fail(format!("metadata {k}: expected {v:?}, got {:?}", get(k)));
        }
    }
    match (c.carried_as_text, get("haul.carried_as")) {
        (Some(true), Some("text")) | (Some(false), None) | (None, _) => {}
        (Some(true), got) => fail(format!(
            "metadata haul.carried_as: expected \"text\", got {got:?}"
        )),
        (Some(false), Some(got)) => fail(format!(
            "metadata haul.carried_as={got:?} on a natively mapped type"
        )),
    }
    if !shape_ok {
        return;
    }

    // Values, in id order.
    let mut rows: Vec<(i64, Val)> = Vec::new();
    for b in &batches {
        let ids = b.column_by_name("id").expect("id column");
        let vs = b.column_by_name("v").expect("v column");
        for i in 0..b.num_rows() {
            let Val::Int(id) = cell(ids.as_ref(), i) else {
                panic!("id is not an integer")
            };
            rows.push((id, cell(vs.as_ref(), i)));
        }
    }
    rows.sort_by_key(|(id, _)| *id);
    let wanted: Vec<(&str, Val)> = c
        .rows
        .iter()
        .zip(printed)
        .map(|((lit, e), p)| (*lit, want(e, p.as_deref())))
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
    for ((id, got), (lit, exp)) in rows.iter().zip(&wanted) {
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

pub fn parquet_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "parquet"));
    files.sort();
    files
}

/// True when `text` names `name` as a whole word (not as a prefix of a longer column name).
pub fn names(text: &str, name: &str) -> bool {
    text.match_indices(name).any(|(i, _)| {
        !text[i + name.len()..]
            .chars()
            .next()
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
    })
}
