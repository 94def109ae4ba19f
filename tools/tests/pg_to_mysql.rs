//! A PostgreSQL dump loaded into MariaDB (docs/types.md, "PostgreSQL → MySQL"): types mapped,
//! keys, foreign keys and serials carried, values exact, and `verify --against` passing (and
//! finding a changed row).

mod common;

use common::run;
use haul_testdata::{MyTestDb, PgTestDb};

const FIXTURE: &str = "
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE parent (code varchar(10) PRIMARY KEY, label text NOT NULL DEFAULT 'none');
CREATE TABLE plain (
  id serial PRIMARY KEY, flag boolean, small int2, big int8, amount numeric(12,2), free numeric,
  r real, d double precision, t text, v varchar(20), b bytea, day date, at timestamp,
  atz timestamptz, tod time, u uuid, doc jsonb, m mood, parent_code varchar(10) REFERENCES parent(code),
  UNIQUE (v)
);
CREATE INDEX plain_day ON plain (day);
CREATE INDEX plain_lower ON plain (lower(t));
CREATE TABLE odd (id int PRIMARY KEY, span interval, tags int[]);
INSERT INTO parent VALUES ('a', 'A'), ('B', 'b');
INSERT INTO plain (flag, small, big, amount, free, r, d, t, v, b, day, at, atz, tod, u, doc, m, parent_code)
VALUES (true, -32768, 9223372036854775807, -1234567890.12, 123.4500, 0.1, 5e-324, E'tab\\there\\nnl \\\\ x',
        'héllo', '\\x00ff5c', '1000-01-01', '9999-12-31 23:59:59.999999', '2024-03-01 12:00:00+05',
        '23:59:59.999999', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{\"k\": [1, \"x\"]}', 'happy', 'B'),
       (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO plain (t, v, day) SELECT 'row ' || g, 'v' || g, date '2020-01-01' + g FROM generate_series(1, 3000) g;
INSERT INTO odd VALUES (1, '1 year 2 mons 3 days 04:05:06.000007', '{1,2,NULL}'), (2, NULL, '{}');
ANALYZE;
";

#[test]
fn a_postgresql_dump_loads_into_mysql_and_verifies() {
    let (Some(src), Some(dst)) = (PgTestDb::create("p2m_src"), MyTestDb::create("p2m_dst")) else {
        return;
    };
    src.exec(FIXTURE);
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("d");
    let d = dir.to_str().expect("utf-8");
    let r = run(&["dump", src.url(), d, "--chunk-bytes", "32KiB"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let r = run(&["load", d, dst.url(), "--json"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let report = &r.events_of("load_report")[0]["data"];
    let notes = report["not_recreated"].to_string();
    assert!(notes.contains("plain_lower"), "{notes}");

    let types: Vec<(String, String)> = dst
        .query_strings(
            "SELECT COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'plain' ORDER BY ORDINAL_POSITION",
        )
        .into_iter()
        .map(|r| (r[0].clone().expect("n"), r[1].clone().expect("t")))
        .collect();
    let ty = |c: &str| {
        types
            .iter()
            .find(|(n, _)| n == c)
            .map(|(_, t)| t.clone())
            .unwrap_or_else(|| panic!("no column {c}: {types:?}"))
    };
    for (col, want) in [
        ("id", "int(11)"),
        ("flag", "tinyint(1)"),
        ("small", "smallint(6)"),
        ("big", "bigint(20)"),
        ("amount", "decimal(12,2)"),
        ("free", "decimal(65,30)"),
        ("r", "float"),
        ("d", "double"),
        ("t", "longtext"),
        ("v", "varchar(20)"),
        ("b", "longblob"),
        ("day", "date"),
        ("at", "datetime(6)"),
        ("atz", "datetime(6)"),
        ("tod", "time(6)"),
        ("u", "char(36)"),
        ("m", "enum('sad','ok','happy')"),
    ] {
        assert_eq!(ty(col), want, "column {col}");
    }
    let row = dst.query_strings(
        "SELECT flag, big, CAST(amount AS CHAR), CAST(free AS CHAR), r, t, HEX(b), CAST(at AS CHAR), \
         CAST(atz AS CHAR), CAST(tod AS CHAR), u, JSON_EXTRACT(doc, '$.k[1]'), m, parent_code \
         FROM plain WHERE id = 1",
    );
    assert_eq!(
        row[0],
        [
            "1",
            "9223372036854775807",
            "-1234567890.12",
            "123.450000000000000000000000000000",
            "0.1",
            "tab\there\nnl \\ x",
            "00FF5C",
            "9999-12-31 23:59:59.999999",
            "2024-03-01 07:00:00.000000",
            "23:59:59.999999",
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
            "\"x\"",
            "happy",
            "B",
        ]
        .map(|s| Some(s.to_string()))
    );
    // Keys: the serial continues, the foreign key and the unique key hold, text compares
    // byte-wise as in PostgreSQL ('a' and 'A' are different keys).
    dst.exec("INSERT INTO plain (t) VALUES ('new')");
    let next = dst.scalar("SELECT id FROM plain WHERE t = 'new'");
    assert_eq!(next, Some("3003".into()));
    assert!(
        dst.try_exec("INSERT INTO plain (parent_code) VALUES ('zz')")
            .is_err()
    );
    assert!(dst.try_exec("INSERT INTO plain (v) VALUES ('v7')").is_err());
    dst.exec("INSERT INTO parent VALUES ('A', 'upper')");
    assert_eq!(
        dst.query_strings("SHOW INDEX FROM plain WHERE Key_name = 'plain_day'")
            .len(),
        1
    );

    // verify --against: every table compares across engines, the interval and the array of
    // `odd` included (read back from their text and JSON).
    dst.exec("DELETE FROM parent WHERE code = 'A'; DELETE FROM plain WHERE t = 'new'");
    let v = run(&["verify", d, "--against", dst.url(), "--json"]);
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);
    // A changed row is found.
    dst.exec("UPDATE plain SET t = 'changed' WHERE id = 2000");
    let v = run(&["verify", d, "--against", dst.url(), "--json"]);
    let bad: Vec<_> = v
        .events_of("problem")
        .into_iter()
        .filter(|p| {
            p["data"]["file"]
                .as_str()
                .is_some_and(|f| f.ends_with(".plain"))
        })
        .collect();
    assert_eq!(bad.len(), 1, "{}", v.stdout);
}

#[test]
fn copy_postgresql_to_mysql_matches_a_dump_and_load() {
    let (Some(src), Some(loaded), Some(copied)) = (
        PgTestDb::create("p2m_csrc"),
        MyTestDb::create("p2m_loaded"),
        MyTestDb::create("p2m_copied"),
    ) else {
        return;
    };
    src.exec(FIXTURE);
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("d");
    let d = dir.to_str().expect("utf-8");
    assert_eq!(
        run(&["dump", src.url(), d, "--chunk-bytes", "32KiB"]).code,
        0
    );
    let r = run(&["load", d, loaded.url()]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let r = run(&[
        "copy",
        src.url(),
        copied.url(),
        "--chunk-bytes",
        "32KiB",
        "--jobs",
        "2",
    ]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    for t in ["parent", "plain", "odd"] {
        let sum = |db: &MyTestDb| db.query_strings(&format!("CHECKSUM TABLE {t}"))[0][1].clone();
        assert_eq!(sum(&copied), sum(&loaded), "{t}");
        let ddl = |db: &MyTestDb| db.query_strings(&format!("SHOW CREATE TABLE {t}"))[0][1].clone();
        assert_eq!(ddl(&copied), ddl(&loaded), "{t}");
    }
    assert_eq!(
        copied.scalar("SELECT COUNT(*) FROM plain"),
        Some("3002".into())
    );
    let again = run(&["copy", src.url(), copied.url(), "--chunk-bytes", "32KiB"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(again.stderr.contains("already done"), "{}", again.stderr);
}
