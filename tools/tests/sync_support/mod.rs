//! Helpers shared by the `haul sync` tests: a writer changing the source while haul runs, and
//! an independent row-by-row comparison of the two sides.

#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::common::{Run, run};

/// Rows in the fixture table.
pub const ROWS: i64 = 3000;

/// Runs `haul sync SRC DST --column updated_at EXTRA… --json --chunk-bytes 16KiB`.
pub fn sync(src: &str, dst: &str, extra: &[&str]) -> Run {
    let mut args = vec![
        "sync",
        src,
        dst,
        "--column",
        "updated_at",
        "--json",
        "--chunk-bytes",
        "16KiB",
    ];
    args.extend_from_slice(extra);
    run(&args)
}

/// Fails with the run's output unless it exited with `code`.
pub fn expect_code(r: &Run, code: i32, what: &str) {
    assert_eq!(
        r.code, code,
        "{what}: exit {} (wanted {code})\nstdout:\n{}\nstderr:\n{}",
        r.code, r.stdout, r.stderr
    );
}

/// The `sync_table` event of `table`.
pub fn table_event(r: &Run, table: &str) -> serde_json::Value {
    r.events_of("sync_table")
        .into_iter()
        .find(|e| e["data"]["table"] == table)
        .unwrap_or_else(|| panic!("no sync_table event for {table}:\n{}", r.stdout))["data"]
        .clone()
}

/// The step of the writer's `i`-th operation: insert a new row, update one (bumping
/// updated_at) or delete one. Returns SQL in the dialect both engines read.
pub fn op(i: i64, now: &str) -> String {
    let id = (i * 7919) % ROWS + 1;
    match i % 3 {
        0 => format!(
            "INSERT INTO items (id, name, n, updated_at) VALUES ({}, 'new {i}', {i}, {now})",
            ROWS * 10 + i
        ),
        1 => format!(
            "UPDATE items SET n = n + {i}, name = 'upd {i}', updated_at = {now} WHERE id = {id}"
        ),
        _ => format!("DELETE FROM items WHERE id = {}", id + 1),
    }
}

/// A writer running [`op`] against the source on its own connection until stopped.
pub struct Writer {
    stop: Arc<AtomicBool>,
    handle: JoinHandle<i64>,
}

impl Writer {
    /// On PostgreSQL, with `clock_timestamp()` as each row's time.
    pub fn pg(url: &str) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let url = url.to_string();
        let handle = std::thread::spawn(move || {
            haul_testdata::block_on(async move {
                let (c, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                    .await
                    .expect("connect");
                tokio::spawn(conn);
                let mut i = 0;
                while !s.load(Ordering::Relaxed) {
                    i += 1;
                    c.batch_execute(&op(i, "clock_timestamp()"))
                        .await
                        .expect("write");
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
                i
            })
        });
        Self { stop, handle }
    }

    /// On MySQL/MariaDB (a session per statement), with `UTC_TIMESTAMP(6)`.
    pub fn mysql(db: &haul_testdata::mysql::MyTestDb) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let url = db.url().to_string();
        let handle = std::thread::spawn(move || {
            let mut i = 0;
            while !s.load(Ordering::Relaxed) {
                i += 1;
                haul_testdata::mysql::exec_at(&url, &op(i, "UTC_TIMESTAMP(6)")).expect("write");
            }
            i
        });
        Self { stop, handle }
    }

    /// Stops the writer and returns how many operations it made.
    pub fn stop(self) -> i64 {
        self.stop.store(true, Ordering::Relaxed);
        self.handle.join().expect("writer")
    }
}

/// Every row of `items` ordered by id, as text, from a PostgreSQL database.
pub fn pg_rows(db: &haul_testdata::PgTestDb) -> Vec<Vec<Option<String>>> {
    db.query(
        "SELECT id::text, name, n::text, \
                to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') \
           FROM items ORDER BY items.id",
    )
}

/// Every row of `items` ordered by id, as text, from a MySQL database.
pub fn my_rows(db: &haul_testdata::mysql::MyTestDb) -> Vec<Vec<Option<String>>> {
    db.query_strings(
        "SELECT CAST(id AS CHAR), name, CAST(n AS CHAR), \
                DATE_FORMAT(updated_at, '%Y-%m-%d %H:%i:%s.%f') FROM items ORDER BY items.id",
    )
}

/// Compares two row lists row by row, naming the first difference.
pub fn assert_same_rows(src: &[Vec<Option<String>>], dst: &[Vec<Option<String>>]) {
    for (a, b) in src.iter().zip(dst) {
        assert_eq!(a, b, "first differing row (source, target)");
    }
    assert_eq!(src.len(), dst.len(), "row counts (source, target)");
}
