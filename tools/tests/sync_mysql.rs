//! `haul sync` with MySQL/MariaDB: MySQL → MySQL after a dump + load, and across engines (PostgreSQL → MySQL after
//! a dump + load, MySQL → PostgreSQL after a copy), each with a writer inserting, updating
//! and deleting on the source through two syncs, then a last sync with --deletes after which
//! `haul diff` and a row-by-row comparison agree.

mod common;
mod sync_support;

use std::time::Duration;

use common::run;
use haul_testdata::{MyTestDb, PgTestDb};
use sync_support::*;

const MY_FIXTURE: &str = "
CREATE TABLE items (id int PRIMARY KEY, name varchar(40) NOT NULL, n bigint,
                    updated_at datetime(6) NOT NULL);
INSERT INTO items SELECT seq, concat('name ', seq), seq,
                         TIMESTAMP '2024-01-01 00:00:00' + INTERVAL seq SECOND
  FROM seq_1_to_3000;
";

const PG_FIXTURE: &str = "
CREATE TABLE items (id int PRIMARY KEY, name varchar(40) NOT NULL, n bigint,
                    updated_at timestamptz NOT NULL);
INSERT INTO items SELECT g, 'name ' || g, g, '2024-01-01'::timestamptz + g * interval '1 s'
  FROM generate_series(1, 3000) g;
ANALYZE;
";

/// Two syncs while `writer` runs, then (writes paused) a last one with --deletes.
fn syncs_under_writes(src: &str, dst: &str, first: &[&str], writer: Writer) {
    let r = sync(src, dst, first);
    expect_code(&r, 0, "first sync");
    assert!(
        table_event(
            &r,
            r.events_of("sync_table")[0]["data"]["table"]
                .as_str()
                .unwrap_or("")
        )["upserted"]
            .as_u64()
            > Some(0),
        "{}",
        r.stdout
    );
    std::thread::sleep(Duration::from_millis(300));
    let r = sync(src, dst, &[]);
    expect_code(&r, 0, "second sync (from the watermark)");
    let ops = writer.stop();
    assert!(ops > 30, "the writer was busy ({ops} operations)");
    let r = sync(src, dst, &["--deletes"]);
    expect_code(&r, 0, "last sync with --deletes");
    let deleted: u64 = r
        .events_of("sync_table")
        .iter()
        .filter_map(|e| e["data"]["deleted"].as_u64())
        .sum();
    assert!(deleted > 0, "{}", r.stdout);
    let diff = run(&["diff", src, dst]);
    expect_code(&diff, 0, "diff after the last sync");
}

#[test]
fn mysql_to_mysql_syncs_under_writes_end_equal() {
    let (Some(src), Some(dst)) = (
        MyTestDb::create("sync_my_src"),
        MyTestDb::create("sync_my_dst"),
    ) else {
        return;
    };
    src.exec(MY_FIXTURE);
    let writer = Writer::mysql(&src);
    std::thread::sleep(Duration::from_millis(300));
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("d");
    let dir = dir.to_str().expect("utf-8");
    let r = run(&["dump", src.url(), dir, "--chunk-bytes", "16KiB", "-q"]);
    expect_code(&r, 0, "dump");
    let r = run(&["load", dir, dst.url(), "-q"]);
    expect_code(&r, 0, "load");
    syncs_under_writes(src.url(), dst.url(), &["--since-dump", dir], writer);
    assert_same_rows(&my_rows(&src), &my_rows(&dst));
    let state = dst.scalar("SELECT COUNT(*) FROM _haul_sync_state WHERE watermark IS NOT NULL");
    assert_eq!(state.as_deref(), Some("1"));
}

#[test]
fn postgres_to_mysql_dump_load_and_syncs_end_equal() {
    let (Some(src), Some(dst)) = (
        PgTestDb::create("sync_pm_src"),
        MyTestDb::create("sync_pm_dst"),
    ) else {
        return;
    };
    src.exec(PG_FIXTURE);
    let writer = Writer::pg(src.url());
    std::thread::sleep(Duration::from_millis(200));
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("d");
    let dir = dir.to_str().expect("utf-8");
    let r = run(&["dump", src.url(), dir, "--chunk-bytes", "16KiB", "-q"]);
    expect_code(&r, 0, "dump");
    let r = run(&["load", dir, dst.url(), "-q"]);
    expect_code(&r, 0, "load into MySQL");
    syncs_under_writes(src.url(), dst.url(), &["--since-dump", dir], writer);
    assert_same_rows(&pg_rows(&src), &my_rows(&dst));
}

#[test]
fn mysql_to_postgres_syncs_under_writes_end_equal() {
    let (Some(src), Some(dst)) = (
        MyTestDb::create("sync_mp_src"),
        PgTestDb::create("sync_mp_dst"),
    ) else {
        return;
    };
    src.exec(MY_FIXTURE);
    let r = run(&["copy", src.url(), dst.url(), "--chunk-bytes", "16KiB", "-q"]);
    expect_code(&r, 0, "copy into PostgreSQL");
    let writer = Writer::mysql(&src);
    std::thread::sleep(Duration::from_millis(300));
    syncs_under_writes(
        src.url(),
        dst.url(),
        &["--since", "2024-01-01 00:40:00"],
        writer,
    );
    // MySQL DATETIME is carried into PostgreSQL as timestamp (no zone): compare as stored.
    let dst_rows = dst.query(
        "SELECT id::text, name, n::text, to_char(updated_at, 'YYYY-MM-DD HH24:MI:SS.US') \
           FROM items ORDER BY items.id",
    );
    assert_same_rows(&my_rows(&src), &dst_rows);
}
