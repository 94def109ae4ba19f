//! `haul plan` and `haul dump` of a MySQL/MariaDB source against the real server: chunking by
//! integer, composite and text keys (every row exactly once), one snapshot for every worker,
//! kill -9 and resume, and the errors a user meets first (credentials, database, URL).

mod common;

use std::collections::BTreeSet;
use std::io::BufRead;

use arrow::array::{Array, AsArray};
use arrow::datatypes::{Int32Type, UInt64Type};
use common::{read_table, run, spawn, tmp_files};
use haul_testdata::MyTestDb;

/// Every value of a UInt64 / Int32 / Utf8 column of a table, as text.
fn column_text(dir: &std::path::Path, table_dir: &str, col: &str) -> Vec<String> {
    let mut out = Vec::new();
    for b in read_table(dir, table_dir) {
        let c = b.column_by_name(col).expect("column");
        for i in 0..c.len() {
            out.push(match c.data_type() {
                arrow::datatypes::DataType::UInt64 => {
                    c.as_primitive::<UInt64Type>().value(i).to_string()
                }
                arrow::datatypes::DataType::Int32 => {
                    c.as_primitive::<Int32Type>().value(i).to_string()
                }
                arrow::datatypes::DataType::Utf8 => c.as_string::<i32>().value(i).to_string(),
                t => panic!("{col}: {t}"),
            });
        }
    }
    out
}

fn fixture(db: &MyTestDb) {
    db.exec(
        "CREATE TABLE ints (id bigint unsigned PRIMARY KEY, pad char(200)); \
         INSERT INTO ints SELECT seq * 1000 + 18446744073700000000, repeat('x', 200) FROM seq_1_to_6000; \
         CREATE TABLE words (k varchar(40) CHARACTER SET latin1 COLLATE latin1_swedish_ci, \
           n int, pad char(200), PRIMARY KEY (k, n)); \
         INSERT INTO words SELECT concat(char(65 + seq % 26), 'é', seq DIV 7), seq % 7, repeat('y', 200) \
           FROM seq_1_to_6000; \
         CREATE TABLE pairs (a int, b varchar(10), pad char(200), PRIMARY KEY (a, b)); \
         INSERT INTO pairs SELECT seq DIV 3, concat('b', seq % 3), repeat('z', 200) FROM seq_1_to_6000; \
         ANALYZE TABLE ints, words, pairs;",
    );
}

#[test]
fn chunked_keys_give_every_row_exactly_once_and_verify() {
    let Some(db) = MyTestDb::create("my_chunks") else {
        return;
    };
    fixture(&db);
    let plan = run(&["plan", db.url(), "--json", "--chunk-bytes", "256KiB"]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    let tables = plan.events_of("plan")[0]["data"]["tables"].clone();
    for t in tables.as_array().expect("tables") {
        let chunks = t["chunks"].as_array().expect("chunks").len();
        assert!(chunks > 2, "{} was not split: {t}", t["name"]);
    }
    let by_name = |n: &str| {
        tables
            .as_array()
            .expect("tables")
            .iter()
            .find(|t| t["name"] == n)
            .cloned()
            .expect("table")
    };
    assert_eq!(by_name("ints")["split"], "int_ranges");
    assert_eq!(by_name("pairs")["split"], "int_ranges");
    assert_eq!(by_name("words")["split"], "sampled_ranges");

    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("d");
    let d = dir.to_str().expect("utf-8");
    let r = run(&[
        "dump",
        db.url(),
        d,
        "--chunk-bytes",
        "256KiB",
        "--jobs",
        "3",
    ]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let v = run(&["verify", d]);
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);

    let ids = column_text(&dir, &format!("{}.ints", db.name()), "id");
    let want: BTreeSet<String> = (1..=6000u64)
        .map(|s| (s * 1000 + 18_446_744_073_700_000_000).to_string())
        .collect();
    assert_eq!(ids.len(), 6000, "rows lost or duplicated");
    assert_eq!(ids.iter().cloned().collect::<BTreeSet<_>>(), want);

    for (table, cols) in [("words", ["k", "n"]), ("pairs", ["a", "b"])] {
        let td = format!("{}.{table}", db.name());
        let a = column_text(&dir, &td, cols[0]);
        let b = column_text(&dir, &td, cols[1]);
        let keys: BTreeSet<(String, String)> = a.into_iter().zip(b).collect();
        assert_eq!(keys.len(), 6000, "{table}: rows lost or duplicated");
        let server = db.query_strings(&format!(
            "SELECT CAST({0} AS CHAR), CAST({1} AS CHAR) FROM {table}",
            cols[0], cols[1]
        ));
        let server: BTreeSet<(String, String)> = server
            .into_iter()
            .map(|r| (r[0].clone().expect("key"), r[1].clone().expect("key")))
            .collect();
        assert_eq!(
            keys, server,
            "{table}: the dump's keys differ from the table's"
        );
    }
}

/// Rows written after the snapshot was taken are in no chunk, whichever worker reads it
/// later; the manifest records the snapshot.
#[test]
fn every_worker_reads_the_same_snapshot() {
    let Some(db) = MyTestDb::create("my_snapshot") else {
        return;
    };
    fixture(&db);
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("d");
    let d = dir.to_str().expect("utf-8");
    let mut child = spawn(&[
        "dump",
        db.url(),
        d,
        "--json",
        "--jobs",
        "1",
        "--chunk-bytes",
        "16KiB",
    ]);
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = std::io::BufReader::new(stdout).lines();
    // Once the snapshot exists, change every table; the dump must not see it.
    for line in lines.by_ref() {
        if line.expect("line").contains("\"type\":\"started\"") {
            break;
        }
    }
    db.exec(
        "INSERT INTO ints VALUES (1, 'late'); DELETE FROM pairs WHERE a < 100; \
         UPDATE words SET pad = 'changed';",
    );
    let after = lines
        .map_while(Result::ok)
        .filter(|l| l.contains("\"type\":\"chunk_done\""))
        .count();
    assert!(child.wait().expect("wait").success());
    assert!(
        after > 10,
        "only {after} chunks were read after the writes: the test proves nothing"
    );
    let ids = column_text(&dir, &format!("{}.ints", db.name()), "id");
    assert_eq!(ids.len(), 6000);
    assert!(
        !ids.contains(&"1".to_string()),
        "a row inserted after the snapshot was dumped"
    );
    let pairs = column_text(&dir, &format!("{}.pairs", db.name()), "a");
    assert_eq!(
        pairs.len(),
        6000,
        "rows deleted after the snapshot are missing"
    );
    let pads = column_text(&dir, &format!("{}.words", db.name()), "k");
    assert_eq!(pads.len(), 6000);
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).expect("m"))
            .expect("json");
    assert_eq!(manifest["source"]["engine"], "mysql");
    assert!(manifest["snapshots"][0]["taken_at"].as_str().is_some());
    assert!(manifest["snapshots"][0].get("consistent").is_none());
}

#[test]
fn kill_9_then_resume_ends_with_every_row_once() {
    let Some(db) = MyTestDb::create("my_crash") else {
        return;
    };
    fixture(&db);
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("d");
    let d = dir.to_str().expect("utf-8");
    let args = [
        "dump",
        db.url(),
        d,
        "--json",
        "--jobs",
        "2",
        "--chunk-bytes",
        "32KiB",
    ];
    for after in [0usize, 4, 12] {
        let mut child = spawn(&args);
        let stdout = child.stdout.take().expect("stdout");
        let mut seen = 0;
        for line in std::io::BufReader::new(stdout).lines() {
            let line = line.expect("line");
            seen += usize::from(line.contains("\"type\":\"chunk_done\""));
            let trigger = if after == 0 {
                line.contains("\"type\":\"started\"")
            } else {
                seen >= after
            };
            if trigger {
                let _ = child.kill();
                break;
            }
        }
        let _ = child.wait();
    }
    let r = run(&args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.events_of("started")[0]["data"]["resumed"], true);
    assert!(tmp_files(&dir).is_empty(), "temporary files left behind");
    let v = run(&["verify", d]);
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);
    let ids = column_text(&dir, &format!("{}.ints", db.name()), "id");
    assert_eq!(ids.len(), 6000);
    assert_eq!(ids.iter().collect::<BTreeSet<_>>().len(), 6000);
}

#[test]
fn connection_errors_are_one_clear_line() {
    let Some(db) = MyTestDb::create("my_errors") else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tempdir");
    let base = db.url().rsplit_once('/').expect("url").0.to_string();
    let host = base
        .split_once('@')
        .map(|(_, h)| h)
        .unwrap_or("127.0.0.1:3306");

    let bad_user = format!("mysql://haul_nobody:wrong@{host}/{}", db.name());
    let r = run(&["plan", &bad_user]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("Access denied"), "{}", r.stderr);
    assert!(r.stderr.contains("password"), "{}", r.stderr);
    assert!(
        !r.stderr.contains("wrong"),
        "the password was printed: {}",
        r.stderr
    );

    let missing = format!("{base}/haul_no_such_db_xyz");
    let dir = tmp.path().join("d");
    let r = run(&["dump", &missing, dir.to_str().expect("utf-8")]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("haul_no_such_db_xyz"), "{}", r.stderr);
    assert!(!dir.exists(), "a failed connection left a directory behind");

    let r = run(&["plan", &base]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("name the database"), "{}", r.stderr);
}
