//! MySQL/MariaDB values and tables outside the plain type table: zero dates (which no Arrow
//! date can hold) fail their chunk by default and become NULL with `--zero-dates null`; a
//! plain keyed table dumps as it is; `plan` says when a table cannot be split.

mod common;
mod mysql_types_support;

use std::path::Path;

use common::{read_table, run};
use haul_testdata::MyTestDb;
use mysql_types_support::*;

/// Every `done` record of the journal whose chunk belongs to `table_dir` (`<db>.<table>`).
fn done_records(dir: &Path, table_dir: &str) -> Vec<String> {
    std::fs::read_to_string(dir.join("chunks.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter(|l| {
            serde_json::from_str::<serde_json::Value>(l).is_ok_and(|v| {
                v["type"] == "done"
                    && v["chunk"]
                        .as_str()
                        .is_some_and(|c| c.starts_with(&format!("{table_dir}#")))
            })
        })
        .map(str::to_string)
        .collect()
}

/// `*.parquet` files in a table's directory.
fn parquet_files(dir: &Path, table_dir: &str) -> Vec<String> {
    std::fs::read_dir(dir.join(table_dir))
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".parquet"))
                .collect()
        })
        .unwrap_or_default()
}

/// `'0000-00-00'` cannot be a Date32 or a timestamp: by default the chunk fails naming table,
/// column and key and records nothing; `--zero-dates null` carries it as NULL (the field is
/// then nullable even for a NOT NULL column).
#[test]
fn zero_dates_fail_their_chunk_unless_carried_as_null() {
    let Some(db) = MyTestDb::create("my_zero_dates") else {
        return;
    };
    db.exec(
        "SET SESSION sql_mode = ''; \
         CREATE TABLE zero_dates (id int PRIMARY KEY, born date NOT NULL, seen datetime); \
         INSERT INTO zero_dates VALUES (1, '2024-01-01', '2024-01-01 10:00:00'), \
           (7, '0000-00-00', '0000-00-00 00:00:00'), (9, '2024-01-02', NULL);",
    );
    assert_eq!(
        db.query_strings(
            "SELECT CAST(born AS CHAR), CAST(seen AS CHAR) FROM zero_dates WHERE id = 7"
        ),
        vec![vec![
            Some("0000-00-00".to_string()),
            Some("0000-00-00 00:00:00".to_string())
        ]],
        "table error in this test, not haul: the server did not keep the zero dates"
    );
    let table = table_dir(&db, "zero_dates");
    let tmp = tempfile::tempdir().expect("tempdir");

    // By default: the chunk fails and names where.
    let dir = tmp.path().join("default");
    let r = run(&[
        "dump",
        db.url(),
        dir.to_str().expect("utf-8 path"),
        "--json",
    ]);
    assert_ne!(
        r.code, 0,
        "a zero date must not be dumped silently\n{}{}",
        r.stdout, r.stderr
    );
    let mut said: Vec<String> = r.stderr.lines().map(str::to_string).collect();
    for e in r
        .stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
    {
        match e["type"].as_str() {
            Some("chunk_failed") => said.push(e["data"]["error"].as_str().unwrap_or("").into()),
            Some("error") => said.push(e["data"]["message"].as_str().unwrap_or("").into()),
            _ => {}
        }
    }
    let names_it = |s: &String| {
        names(s, "zero_dates")
            && (names(s, "born") || names(s, "seen"))
            && (s.contains("id=7") || s.contains("(id)=(7)"))
    };
    assert!(
        said.iter().any(names_it),
        "no failure names table zero_dates, column born/seen and key id=7:\n{}",
        said.join("\n")
    );
    assert_eq!(
        done_records(&dir, &table),
        Vec::<String>::new(),
        "the failed chunk is recorded as done"
    );
    assert_eq!(
        parquet_files(&dir, &table),
        Vec::<String>::new(),
        "the failed chunk left a Parquet file"
    );

    // --zero-dates null: NULL in both columns, nothing else changes.
    let dir = tmp.path().join("null");
    let r = run(&[
        "dump",
        db.url(),
        dir.to_str().expect("utf-8 path"),
        "--json",
        "--zero-dates",
        "null",
    ]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let batches = read_table(&dir, &table);
    assert!(!batches.is_empty(), "no Parquet file for {table}");
    let schema = batches[0].schema();
    for col in ["born", "seen"] {
        let f = schema.field_with_name(col).expect("field");
        assert!(
            f.is_nullable(),
            "--zero-dates null: {col} must be nullable: {f:?}"
        );
    }
    assert_eq!(
        rows_by_id(&batches, "born"),
        vec![
            (1, Val::Date(days(2024, 1, 1) as i32)),
            (7, Val::Null),
            (9, Val::Date(days(2024, 1, 2) as i32)),
        ]
    );
    assert_eq!(
        rows_by_id(&batches, "seen"),
        vec![
            (1, Val::Ts(ts(2024, 1, 1, 10, 0, 0, 0))),
            (7, Val::Null),
            (9, Val::Null),
        ]
    );
}

/// A geometry whose own SRID differs from the column's (one SRID per column is carried, in the
/// field metadata) fails its chunk naming the column, the key and the SRID, instead of being
/// written without it.
#[test]
fn a_geometry_with_an_srid_the_column_does_not_declare_fails_its_chunk() {
    let Some(db) = MyTestDb::create("my_srid") else {
        return;
    };
    db.exec(
        "CREATE TABLE shapes (id int PRIMARY KEY, g geometry); \
         INSERT INTO shapes VALUES (1, ST_GeomFromText('POINT(1 2)')), \
           (4, ST_GeomFromText('POINT(3 4)', 3857));",
    );
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("d");
    let r = run(&["dump", db.url(), dir.to_str().expect("utf-8 path")]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("`g`") && r.stderr.contains("id=4") && r.stderr.contains("3857"),
        "the failure must name column g, key id=4 and SRID 3857: {}",
        r.stderr
    );
    let table = table_dir(&db, "shapes");
    assert_eq!(done_records(&dir, &table), Vec::<String>::new());
    assert_eq!(parquet_files(&dir, &table), Vec::<String>::new());
}

/// Sanity: a keyed table of three rows dumps by default, is journaled and verifies.
#[test]
fn a_keyed_table_dumps_by_default() {
    let Some(db) = MyTestDb::create("my_keyed") else {
        return;
    };
    db.exec(
        "CREATE TABLE people (id int PRIMARY KEY, name varchar(20) NOT NULL, born date); \
         INSERT INTO people VALUES (1, 'Ada', '1815-12-10'), (2, 'Émilie', NULL), \
           (3, '李白', '0701-02-28');",
    );
    assert_eq!(
        db.query_strings("SELECT DATEDIFF(born, '1970-01-01') FROM people ORDER BY id"),
        vec![
            vec![Some(days(1815, 12, 10).to_string())],
            vec![None],
            vec![Some(days(701, 2, 28).to_string())],
        ],
        "table error in this test, not haul"
    );
    let table = table_dir(&db, "people");
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("out");
    let dir_s = dir.to_str().expect("utf-8 path");
    let r = run(&["dump", db.url(), dir_s, "--json"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let done = r.events_of("chunk_done");
    assert!(
        done.iter().any(|e| e["data"]["table"] == table.as_str()),
        "no chunk_done for {table}: {}",
        r.stdout
    );
    assert_eq!(done_records(&dir, &table).len(), 1, "journal of {table}");

    let batches = read_table(&dir, &table);
    assert!(!batches.is_empty(), "no Parquet file for {table}");
    let schema = batches[0].schema();
    for (col, nullable) in [("id", false), ("name", false), ("born", true)] {
        let f = schema.field_with_name(col).expect("field");
        assert_eq!(f.is_nullable(), nullable, "{col}: {f:?}");
    }
    assert_eq!(
        rows_by_id(&batches, "name"),
        vec![
            (1, Val::Text("Ada".into())),
            (2, Val::Text("Émilie".into())),
            (3, Val::Text("李白".into())),
        ]
    );
    assert_eq!(
        rows_by_id(&batches, "born"),
        vec![
            (1, Val::Date(days(1815, 12, 10) as i32)),
            (2, Val::Null),
            (3, Val::Date(days(701, 2, 28) as i32)),
        ]
    );

    let v = run(&["verify", dir_s]);
    assert_eq!(v.code, 0, "haul verify: {}{}", v.stdout, v.stderr);
}

/// A table with no primary key and no NOT NULL unique key cannot be cut into key ranges: the
/// plan makes it one chunk and warns naming it (a nullable UNIQUE key does not count).
#[test]
fn plan_reads_a_table_without_a_usable_key_as_one_chunk_and_warns() {
    let Some(db) = MyTestDb::create("my_plan_nokey") else {
        return;
    };
    db.exec(
        "CREATE TABLE no_key (a int, b varchar(40), c int, UNIQUE KEY (c)); \
         CREATE TEMPORARY TABLE digits (d int); \
         INSERT INTO digits VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9); \
         CREATE TEMPORARY TABLE digits2 AS SELECT * FROM digits; \
         CREATE TEMPORARY TABLE digits3 AS SELECT * FROM digits; \
         CREATE TEMPORARY TABLE digits4 AS SELECT * FROM digits; \
         INSERT INTO no_key (a, b, c) \
           SELECT n, CONCAT('row ', n, ' padding padding padding'), IF(n % 2 = 0, n, NULL) \
             FROM (SELECT 1 + a.d + 10 * b.d + 100 * c.d + 1000 * e.d AS n \
                     FROM digits a, digits2 b, digits3 c, digits4 e) g \
            WHERE n <= 3000; \
         INSERT INTO no_key VALUES (1, 'duplicate of row 1', NULL); \
         ANALYZE TABLE no_key;",
    );
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM no_key").as_deref(),
        Some("3001"),
        "table error in this test, not haul"
    );
    let r = run(&["plan", db.url(), "--json", "--chunk-bytes", "16KiB"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let plans = r.events_of("plan");
    assert_eq!(plans.len(), 1, "{}", r.stdout);
    let plan = &plans[0]["data"];
    let tables = plan["tables"].as_array().expect("tables");
    let t = tables
        .iter()
        .find(|t| t["name"] == "no_key")
        .unwrap_or_else(|| panic!("no_key not planned: {plan}"));
    // `chunks` is the list of planned chunks (a count is accepted too).
    let chunks = t["chunks"]
        .as_array()
        .map(|c| c.len() as u64)
        .or_else(|| t["chunks"].as_u64());
    assert_eq!(chunks, Some(1), "no_key must be one chunk: {t}");
    let warnings: Vec<String> = t["warnings"]
        .as_array()
        .into_iter()
        .chain(plan["warnings"].as_array())
        .flatten()
        .filter_map(|w| w.as_str().map(str::to_string))
        .collect();
    assert!(
        warnings.iter().any(|w| names(w, "no_key")),
        "no warning names no_key: {warnings:#?}"
    );
}
