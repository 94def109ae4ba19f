//! Crash and resume with a real `kill -9`, and snapshot consistency under concurrent writes.

mod common;

use std::collections::BTreeMap;
use std::io::BufRead;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::{int_column, read_table, run, spawn, tmp_files};
use haul_testdata::PgTestDb;

/// Starts a dump and SIGKILLs it after `after_chunks` chunk_done events (0: right after start).
fn dump_and_kill(url: &str, dir: &std::path::Path, after_chunks: usize) -> usize {
    let dir = dir.to_str().expect("utf-8 path");
    let mut child = spawn(&[
        "dump",
        url,
        dir,
        "--json",
        "--jobs",
        "2",
        "--chunk-bytes",
        "32KiB",
    ]);
    let stdout = child.stdout.take().expect("stdout");
    let mut seen = 0;
    for line in std::io::BufReader::new(stdout).lines() {
        let line = line.expect("line");
        if line.contains("\"type\":\"chunk_done\"") {
            seen += 1;
        }
        let trigger = if after_chunks == 0 {
            line.contains("\"type\":\"started\"")
        } else {
            seen >= after_chunks
        };
        if trigger {
            // SIGKILL: no chance to clean up.
            let _ = child.kill();
            break;
        }
    }
    let _ = child.wait();
    seen
}

#[test]
fn kill_9_at_any_moment_then_resume_ends_with_every_row_once() {
    let Some(db) = PgTestDb::create("crash") else {
        return;
    };
    db.exec(
        "CREATE TABLE keyed (id int PRIMARY KEY, pad text); \
         INSERT INTO keyed SELECT g, repeat(md5(g::text), 3) FROM generate_series(1, 40000) g; \
         CREATE TABLE heap (n int, pad text); \
         INSERT INTO heap SELECT g, repeat(md5(g::text), 3) FROM generate_series(1, 20000) g; \
         ANALYZE",
    );
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("d");
    // Kill right after the start, then after a few chunks, then later again.
    for after in [0, 3, 11, 25] {
        dump_and_kill(db.url(), &dir, after);
    }
    let before: usize = std::fs::read_to_string(dir.join("chunks.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains("\"type\":\"done\""))
        .count();
    assert!(
        before > 0,
        "some chunks should have been committed before the kills"
    );

    let r = run(&[
        "dump",
        db.url(),
        dir.to_str().expect("p"),
        "--json",
        "--jobs",
        "2",
        "--chunk-bytes",
        "32KiB",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let started = &r.events_of("started")[0]["data"];
    assert_eq!(started["resumed"], true);
    let total = started["chunks"].as_u64().expect("chunks");
    let already = started["chunks_done"].as_u64().expect("done");
    assert!(
        already > 0 && already < total,
        "resume should skip done chunks: {already}/{total}"
    );
    // Only the unfinished chunks were redone (plus, for the ctid-split table, its whole set).
    let redone = r.events_of("chunk_done").len() as u64;
    assert_eq!(
        redone + already,
        total,
        "each chunk committed exactly once in the final run"
    );

    let ids = int_column(&read_table(&dir, "public.keyed"), "id");
    assert_eq!(ids.len(), 40000, "every keyed row exactly once");
    let mut counts: BTreeMap<i64, u32> = BTreeMap::new();
    for id in ids {
        *counts.entry(id).or_default() += 1;
    }
    assert!(counts.values().all(|c| *c == 1));
    assert_eq!(
        counts.keys().copied().collect::<Vec<_>>(),
        (1..=40000).collect::<Vec<_>>()
    );
    let ns = int_column(&read_table(&dir, "public.heap"), "n");
    assert_eq!(ns.len(), 20000, "every heap row exactly once");
    let mut ns_sorted = ns;
    ns_sorted.sort_unstable();
    assert_eq!(ns_sorted, (1..=20000).collect::<Vec<_>>());
    assert!(tmp_files(&dir).is_empty());
    assert_eq!(run(&["verify", dir.to_str().expect("p")]).code, 0);
}

#[test]
fn writes_during_the_dump_are_not_in_the_files() {
    let Some(db) = PgTestDb::create("snapshot") else {
        return;
    };
    const ACCOUNTS: i64 = 30000;
    db.exec(&format!(
        "CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL, pad text); \
         INSERT INTO accounts SELECT g, 100, repeat('x', 60) FROM generate_series(1, {ACCOUNTS}) g; \
         CREATE TABLE ledger (seq bigserial PRIMARY KEY, amount bigint); \
         ANALYZE"
    ));
    // A writer moves money between accounts (the total never changes) and logs each move,
    // in one transaction, for the whole dump.
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let stop = stop.clone();
        let url = db.url().to_string();
        std::thread::spawn(move || {
            haul_testdata::block_on(async move {
                let (c, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                    .await
                    .expect("connect");
                tokio::spawn(conn);
                let mut i: i64 = 0;
                while !stop.load(Ordering::Relaxed) {
                    i += 1;
                    let from = (i * 7919) % ACCOUNTS + 1;
                    let to = (i * 104729) % ACCOUNTS + 1;
                    c.batch_execute(&format!(
                        "BEGIN; UPDATE accounts SET balance = balance - {i} WHERE id = {from}; \
                         UPDATE accounts SET balance = balance + {i} WHERE id = {to}; \
                         INSERT INTO ledger (amount) VALUES ({i}); COMMIT"
                    ))
                    .await
                    .expect("transfer");
                }
                i
            })
        })
    };
    std::thread::sleep(Duration::from_millis(200));

    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("d");
    let path = dir.to_str().expect("utf-8 path");
    let mut child = spawn(&[
        "dump",
        db.url(),
        path,
        "--json",
        "--jobs",
        "2",
        "--chunk-bytes",
        "32KiB",
    ]);
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = std::io::BufReader::new(stdout).lines();
    for line in lines.by_ref() {
        if line.expect("line").contains("\"type\":\"started\"") {
            break;
        }
    }
    // After the snapshot: a row in the last key range of accounts; it must not be dumped.
    db.exec("INSERT INTO accounts VALUES (999999, 0, 'after the snapshot')");
    let rest: Vec<String> = lines.map(|l| l.expect("line")).collect();
    let out = child.wait_with_output().expect("wait");
    stop.store(true, Ordering::Relaxed);
    let transfers = writer.join().expect("writer");
    assert!(
        out.status.success(),
        "{}\n{}",
        rest.join("\n"),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        transfers > 10,
        "the writer should have been busy during the dump ({transfers})"
    );

    let accounts = read_table(&dir, "public.accounts");
    let ids = int_column(&accounts, "id");
    assert_eq!(
        ids.len() as i64,
        ACCOUNTS,
        "no row from after the snapshot, none lost"
    );
    assert!(!ids.contains(&999999));
    let total: i64 = int_column(&accounts, "balance").iter().sum();
    assert_eq!(
        total,
        ACCOUNTS * 100,
        "balances read across chunks and workers add up: one snapshot"
    );
    // The ledger is a gap-free prefix of the writer's sequence: the snapshot is a point in time.
    let mut seqs = int_column(&read_table(&dir, "public.ledger"), "seq");
    seqs.sort_unstable();
    let n = seqs.len() as i64;
    assert_eq!(seqs, (1..=n).collect::<Vec<_>>());
}

/// A running `haul dump --json` whose stdout is drained on a thread (so it never blocks on a
/// full pipe) after its first `chunk_done` event.
struct RunningDump {
    child: std::process::Child,
    rest: std::thread::JoinHandle<Vec<String>>,
}

impl RunningDump {
    fn start(url: &str, dir: &std::path::Path) -> Self {
        let dir = dir.to_str().expect("utf-8 path");
        let mut child = spawn(&[
            "dump",
            url,
            dir,
            "--json",
            "--jobs",
            "1",
            "--chunk-bytes",
            "32KiB",
        ]);
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = std::io::BufReader::new(stdout).lines();
        for line in lines.by_ref() {
            if line.expect("line").contains("\"type\":\"chunk_done\"") {
                break;
            }
        }
        let rest = std::thread::spawn(move || lines.map_while(Result::ok).collect());
        Self { child, rest }
    }

    /// Waits for the end: exit code, stderr, and the events after the first chunk.
    fn finish(self) -> (Option<i32>, String, Vec<String>) {
        let out = self.child.wait_with_output().expect("wait");
        let events = self.rest.join().expect("reader");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
            events,
        )
    }
}

#[test]
fn ctrl_c_stops_cleanly_with_exit_130_and_the_rerun_resumes() {
    let Some(db) = PgTestDb::create("sigint") else {
        return;
    };
    db.exec(
        "CREATE TABLE t (id int PRIMARY KEY, pad text); \
         INSERT INTO t SELECT g, repeat(md5(g::text), 4) FROM generate_series(1, 60000) g; ANALYZE",
    );
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("d");
    let running = RunningDump::start(db.url(), &dir);
    // SIGINT, as a terminal's Ctrl-C sends.
    let status = std::process::Command::new("kill")
        .args(["-INT", &running.child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let (code, stderr, _) = running.finish();
    assert_eq!(code, Some(130), "{stderr}");
    assert!(
        stderr.contains("rerun the same command to resume"),
        "{stderr}"
    );
    assert!(
        tmp_files(&dir).is_empty(),
        "temporary files left: {:?}",
        tmp_files(&dir)
    );

    let r = run(&[
        "dump",
        db.url(),
        dir.to_str().expect("p"),
        "--json",
        "--jobs",
        "1",
        "--chunk-bytes",
        "32KiB",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.events_of("started")[0]["data"]["chunks_done"]
            .as_u64()
            .expect("done")
            > 0
    );
    let ids = int_column(&read_table(&dir, "public.t"), "id");
    assert_eq!(ids.len(), 60000);
    assert_eq!(run(&["verify", dir.to_str().expect("p")]).code, 0);
}

#[test]
fn a_killed_backend_mid_chunk_is_retried_and_nothing_is_lost() {
    let Some(db) = PgTestDb::create("killed_backend") else {
        return;
    };
    db.exec(
        "CREATE TABLE t (id int PRIMARY KEY, pad text); \
         INSERT INTO t SELECT g, repeat(md5(g::text), 8) FROM generate_series(1, 60000) g; ANALYZE",
    );
    let tmp = tempfile::tempdir().expect("tempdir");
    // Terminate the backend running a chunk's COPY (not the snapshot holder, which is idle).
    // A COPY of one 32 KiB chunk is short: on a loaded machine the poll can miss every one of
    // them before the dump ends, so a dump that ended untouched is started again (fresh
    // directory) rather than failing the test.
    let mut attempt = 0;
    let (dir, running) = loop {
        attempt += 1;
        let dir = tmp.path().join(format!("d{attempt}"));
        let mut running = RunningDump::start(db.url(), &dir);
        let mut killed = 0;
        while killed == 0 && running.child.try_wait().expect("try_wait").is_none() {
            let n = db
                .scalar(&format!(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
                      WHERE datname = '{}' AND application_name = 'haul' AND query LIKE 'COPY (SELECT%' \
                        AND state = 'active'",
                    db.name()
                ))
                .unwrap_or_default();
            killed = n.parse::<u32>().unwrap_or(0);
            std::thread::sleep(Duration::from_millis(5));
        }
        if killed > 0 {
            break (dir, running);
        }
        let _ = running.finish();
        assert!(
            attempt < 5,
            "no running COPY to terminate in {attempt} dumps"
        );
    };
    let (code, stderr, events) = running.finish();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        events
            .iter()
            .any(|e| e.contains("\"type\":\"chunk_failed\"") && e.contains("\"retrying\":true")),
        "the failed attempt is reported as retried: {events:?}"
    );
    let ids = int_column(&read_table(&dir, "public.t"), "id");
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(
        (ids.len(), sorted.len()),
        (60000, 60000),
        "every row exactly once"
    );
    assert_eq!(run(&["verify", dir.to_str().expect("p")]).code, 0);
}
