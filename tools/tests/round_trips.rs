//! Round trips through the other engine end where they started, row for row:
//! MySQL → PostgreSQL → MySQL, and PostgreSQL → MySQL → PostgreSQL, each leg a real dump and
//! load (types change on the way, per docs/types.md; values do not).

mod common;

use common::run;
use haul_testdata::{MyTestDb, PgTestDb};

fn dump_and_load(src: &str, dst: &str, dir: &std::path::Path) {
    let d = dir.to_str().expect("utf-8");
    let r = run(&["dump", src, d, "--chunk-bytes", "32KiB"]);
    assert_eq!(r.code, 0, "dump {src}: {}{}", r.stdout, r.stderr);
    let r = run(&["load", d, dst]);
    assert_eq!(r.code, 0, "load into {dst}: {}{}", r.stdout, r.stderr);
    let v = run(&["verify", d, "--against", dst]);
    assert_eq!(v.code, 0, "verify {dst}: {}{}", v.stdout, v.stderr);
}

/// Equal row counts and rows, reporting the first row that differs.
fn same_rows(got: &[Vec<Option<String>>], want: &[Vec<Option<String>>]) {
    assert_eq!(got.len(), want.len(), "row counts differ");
    if let Some((g, w)) = got.iter().zip(want).find(|(g, w)| g != w) {
        panic!("first differing row:\n got  {g:?}\n want {w:?}");
    }
}

#[test]
fn mysql_to_postgresql_and_back_ends_equal() {
    let (Some(start), Some(mid), Some(end)) = (
        MyTestDb::create("rt_my_start"),
        PgTestDb::create("rt_pg_mid"),
        MyTestDb::create("rt_my_end"),
    ) else {
        return;
    };
    start.exec(
        "CREATE TABLE t (id int PRIMARY KEY, ti tinyint, iu int unsigned, bu bigint unsigned, \
           d decimal(20,6), f double, v varchar(30), tx text, b blob, dt date, \
           dtt datetime(6), ts timestamp(6) NULL, js json, en enum('a','b')); \
         SET time_zone = '+00:00'; \
         INSERT INTO t VALUES (1, -128, 4294967295, 18446744073709551615, -12345678901234.123456, \
           0.1, 'héllo', 'tab\\there', x'00ff', '1000-01-01', '9999-12-31 23:59:59.999999', \
           '2038-01-19 03:14:07.999999', '{\"a\":[1,2]}', 'b'), \
           (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL); \
         INSERT INTO t (id, v, dtt) SELECT 2 + seq, concat('r', seq), '2024-01-01' + INTERVAL seq MINUTE \
           FROM seq_1_to_3000;",
    );
    let tmp = tempfile::tempdir().expect("tempdir");
    dump_and_load(start.url(), mid.url(), &tmp.path().join("a"));
    dump_and_load(mid.url(), end.url(), &tmp.path().join("b"));
    let q = "SET time_zone = '+00:00'; SELECT id, ti, iu, bu, CAST(d AS CHAR), f, v, tx, HEX(b), \
             dt, dtt, ts, JSON_COMPACT(js), en FROM t ORDER BY id";
    let want = start.query_strings(q);
    let got = end.query_strings(q);
    same_rows(&got, &want);
}

#[test]
fn postgresql_to_mysql_and_back_ends_equal() {
    let (Some(start), Some(mid), Some(end)) = (
        PgTestDb::create("rt_pg_start"),
        MyTestDb::create("rt_my_mid"),
        PgTestDb::create("rt_pg_end"),
    ) else {
        return;
    };
    start.exec(
        "CREATE TABLE t (id int PRIMARY KEY, flag boolean, n numeric(14,4), r double precision, \
           v varchar(30), tx text, b bytea, day date, at timestamp, atz timestamptz, \
           u uuid, doc jsonb); \
         INSERT INTO t VALUES (1, true, -1234567890.1234, 0.1, 'héllo', E'tab\\there', '\\x00ff', \
           '1000-01-01', '9999-12-31 23:59:59.999999', '2024-03-01 12:00:00+05', \
           'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{\"k\": [1, \"x\"]}'), \
           (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL); \
         INSERT INTO t (id, v, at) SELECT 2 + g, 'r' || g, timestamp '2024-01-01' + g * interval '1 minute' \
           FROM generate_series(1, 3000) g; ANALYZE",
    );
    let tmp = tempfile::tempdir().expect("tempdir");
    dump_and_load(start.url(), mid.url(), &tmp.path().join("a"));
    dump_and_load(mid.url(), end.url(), &tmp.path().join("b"));
    // Types come back wider or plainer (boolean as smallint, uuid as varchar): compare values.
    // timestamptz comes back as the UTC wall clock in a timestamp.
    let q = |flag: &str, atz: &str, u: &str| {
        format!(
            "SELECT id, {flag}, n::text, r::text, v, tx, encode(b, 'hex'), day::text, at::text, \
             {atz}, {u}, doc::text FROM t ORDER BY id"
        )
    };
    let want = start.query(&q(
        "flag::int::text",
        "(atz AT TIME ZONE 'UTC')::text",
        "u::text",
    ));
    let got = end.query(&q("flag::text", "atz::text", "u"));
    same_rows(&got, &want);
}
