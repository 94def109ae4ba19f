//! `haul load` killed with SIGKILL at the worst moments, and a target backend terminated
//! mid-COPY: the rerun (or the retry) ends with every row of the dump exactly once — in a
//! table without any key, where a duplicated or lost chunk could not be told apart by a
//! constraint — and `haul.chunks` holds one row per chunk.

mod common;
mod load_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::run;
use haul_testdata::PgTestDb;
use load_support::*;

/// 20k narrow rows, no key, every value 20 times.
const BAG: &str = "
CREATE TABLE bag (v int, w text);
INSERT INTO bag SELECT g % 1000, 'w' || (g % 7) FROM generate_series(1, 20000) g;
";

/// A source holding `sql`, dumped with `chunk_bytes`; returns it with the dump's chunk count.
fn dumped(tag: &str, sql: &str, chunk_bytes: &str) -> Option<(PgTestDb, tempfile::TempDir, usize)> {
    let src = PgTestDb::create(tag)?;
    src.exec(sql);
    src.exec("ANALYZE");
    let tmp = tempfile::tempdir().expect("tempdir");
    dump(&src, &tmp.path().join("d"), chunk_bytes);
    let chunks = journal_chunks(&tmp.path().join("d")).len();
    assert!(
        chunks >= 10,
        "the dump should have ≥ 10 chunks, has {chunks}"
    );
    Some((src, tmp, chunks))
}

fn load_args<'a>(dir: &'a std::path::Path, url: &'a str) -> Vec<&'a str> {
    vec!["load", p(dir), url, "--jobs", "2", "--json"]
}

/// Starts `haul ARGS…` and sends SIGINT (a terminal's Ctrl-C) after `after_chunks` more
/// `chunk_done` events; returns its exit code and stderr.
fn run_and_interrupt(args: &[&str], after_chunks: usize) -> (Option<i32>, String) {
    let mut child = common::spawn(args);
    let stdout = child.stdout.take().expect("stdout");
    let mut seen = 0;
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(stdout));
    for line in lines.by_ref() {
        seen += usize::from(line.expect("line").contains("\"type\":\"chunk_done\""));
        if seen >= after_chunks {
            let status = std::process::Command::new("kill")
                .args(["-INT", &child.id().to_string()])
                .status()
                .expect("kill runs");
            assert!(status.success());
            break;
        }
    }
    lines.for_each(drop);
    let out = child.wait_with_output().expect("wait");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// After a kill: what `haul.chunks` says is loaded is exactly what the table holds.
fn journal_matches_table(dst: &PgTestDb, table: &str, when: &str) -> u64 {
    if !exists(dst, "haul.chunks") || !exists(dst, table) {
        return 0;
    }
    let recorded: u64 = dst
        .scalar(&format!(
            "SELECT coalesce(sum(rows), 0) FROM haul.chunks WHERE table_name = {}",
            lit(&format!("public.{table}"))
        ))
        .and_then(|n| n.parse().ok())
        .expect("a sum");
    assert_eq!(
        count(dst, table),
        recorded,
        "{when}: the rows in {table} must be exactly those of the chunks haul.chunks records"
    );
    recorded
}

/// The end state: the target's rows are the source's as a multiset, and every chunk of the
/// dump is recorded once.
fn assert_exactly_once(src: &PgTestDb, dst: &PgTestDb, dir: &std::path::Path, table: &str) {
    assert_eq!(count(dst, table), count(src, table), "{table}: count(*)");
    let per_value = format!("SELECT v, count(*) FROM {table} GROUP BY v ORDER BY v");
    assert!(
        src.query(&per_value) == dst.query(&per_value),
        "{table}: the multiset of rows differs"
    );
    assert_eq!(rows_of(dst, table), rows_of(src, table), "{table}: rows");
    let (per_table, twice, chunks) = target_journal(dst);
    assert!(twice.is_empty(), "chunks recorded twice: {twice:?}");
    let recorded: std::collections::BTreeSet<String> = chunks.into_iter().collect();
    assert_eq!(
        recorded,
        journal_chunks(dir),
        "haul.chunks holds each dumped chunk"
    );
    assert_eq!(
        per_table.get(&format!("public.{table}")).copied(),
        Some(count(src, table)),
        "haul.chunks rows of {table}"
    );
}

#[test]
fn kill_9_before_and_after_the_first_chunks_and_ctrl_c_then_rerun_loads_each_chunk_once() {
    let Some((src, tmp, chunks)) = dumped("lcrash_src", BAG, "16KiB") else {
        return;
    };
    let Some(dst) = PgTestDb::create("lcrash_dst") else {
        return;
    };
    let dir = tmp.path().join("d");
    let args = load_args(&dir, dst.url());

    // Before any chunk commits: the schema is there, no row is.
    let k = run_and_kill(&args, |e| e["type"] == "started");
    assert!(
        k.killed,
        "the load ended before the kill: {:?} {}",
        k.status, k.stderr
    );
    journal_matches_table(&dst, "bag", "killed at `started`");

    // After a few chunks, with the other worker mid-chunk.
    let mut seen = 0;
    let k = run_and_kill(&args, |e| {
        seen += usize::from(e["type"] == "chunk_done");
        seen >= 3
    });
    assert!(
        k.killed,
        "the load ended before the kill: {:?} {}",
        k.status, k.stderr
    );
    let loaded = journal_matches_table(&dst, "bag", "killed after 3 chunks");
    assert!(loaded > 0, "chunks were committed before the kill");
    let after_kill = journal_rows(&dst) as usize;
    assert!(
        after_kill >= 3 && after_kill < chunks,
        "{after_kill} of {chunks}"
    );

    // Ctrl-C after two more chunks: workers stop, exit 130, what committed stays recorded.
    let (code, stderr) = run_and_interrupt(&args, 2);
    assert_eq!(code, Some(130), "Ctrl-C: {stderr}");
    assert!(
        stderr.contains("rerun"),
        "Ctrl-C says how to go on: {stderr}"
    );
    journal_matches_table(&dst, "bag", "after Ctrl-C");
    let committed = journal_rows(&dst) as usize;
    assert!(committed < chunks, "{committed} of {chunks}");

    let r = run(&args);
    expect_code(&r, 0, "the rerun");
    let started = &r.events_of("started")[0]["data"];
    assert_eq!(started["resumed"], true, "{started}");
    let skipped = started["chunks_done"].as_u64().expect("chunks_done") as usize;
    assert!(
        skipped >= committed,
        "resume skips the committed chunks: {started}"
    );
    assert_eq!(
        skipped + r.events_of("chunk_done").len(),
        chunks,
        "each chunk committed once over both runs"
    );
    assert_exactly_once(&src, &dst, &dir, "bag");
}

#[test]
fn kill_9_during_post_data_then_rerun_finishes_the_indexes() {
    let sql = format!(
        "{BAG} CREATE INDEX bag_v ON bag (v); CREATE INDEX bag_w ON bag (w); \
         CREATE INDEX bag_vw ON bag (v, w); CREATE INDEX bag_expr ON bag ((v * 2)); \
         CREATE INDEX bag_wv ON bag (w, v)"
    );
    let Some((src, tmp, _)) = dumped("lcrash_post_src", &sql, "16KiB") else {
        return;
    };
    let Some(dst) = PgTestDb::create("lcrash_post_dst") else {
        return;
    };
    let dir = tmp.path().join("d");
    let args = load_args(&dir, dst.url());
    let k = run_and_kill(&args, |e| e["type"] == "step_done");
    assert!(
        k.killed,
        "the load should be killed after its first post-data step, mid post-data: {:?} {}",
        k.status, k.stderr
    );
    assert_eq!(
        k.count("chunk_done"),
        journal_chunks(&dir).len(),
        "the rows were all in"
    );
    assert_ne!(
        dst.scalar("SELECT phase FROM haul.loads").as_deref(),
        Some("done"),
        "killed mid post-data, the job is not done"
    );

    let r = run(&args);
    expect_code(&r, 0, "the rerun after a kill in post-data");
    assert_eq!(
        r.events_of("chunk_done").len(),
        0,
        "no chunk is loaded again"
    );
    assert_exactly_once(&src, &dst, &dir, "bag");
    let (a, b) = (describe(&src), describe(&dst));
    assert_eq!(a.indexes, b.indexes, "every index, once");
    assert!(b.invalid_indexes.is_empty(), "{:?}", b.invalid_indexes);
    assert_eq!(
        dst.scalar("SELECT phase FROM haul.loads").as_deref(),
        Some("done")
    );
}

#[test]
fn a_target_backend_terminated_mid_copy_is_retried_and_the_rows_are_exact() {
    let sql = "CREATE TABLE wide (v int, pad text); \
               INSERT INTO wide SELECT g % 1000, repeat(md5(g::text), 4) FROM generate_series(1, 20000) g";
    let Some((src, tmp, _)) = dumped("lcrash_term_src", sql, "64KiB") else {
        return;
    };
    let Some(dst) = PgTestDb::create("lcrash_term_dst") else {
        return;
    };
    let dir = tmp.path().join("d");
    let args = load_args(&dir, dst.url());

    // Terminates the first backend it sees running a COPY … FROM STDIN into the target.
    let stop = Arc::new(AtomicBool::new(false));
    let killer = {
        let stop = stop.clone();
        let url = dst.url().to_string();
        let db = dst.name().to_string();
        std::thread::spawn(move || {
            haul_testdata::block_on(async move {
                let (c, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                    .await
                    .expect("connect");
                tokio::spawn(conn);
                let deadline = Instant::now() + Duration::from_secs(60);
                while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
                    let n: i64 = c
                        .query_one(
                            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
                              WHERE datname = $1 AND pid <> pg_backend_pid() AND state = 'active' \
                                AND query ILIKE 'COPY%FROM STDIN%'",
                            &[&db],
                        )
                        .await
                        .expect("poll")
                        .get(0);
                    if n > 0 {
                        return n;
                    }
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
                0
            })
        })
    };
    let out = common::haul().args(&args).output().expect("haul runs");
    stop.store(true, Ordering::Relaxed);
    let killed = killer.join().expect("killer");
    let r = common::Run::from(out);
    assert!(
        killed > 0,
        "no COPY backend was seen to terminate:\n{}",
        r.stderr
    );
    expect_code(&r, 0, "a load whose COPY backend was terminated");
    assert!(
        r.events_of("chunk_failed")
            .iter()
            .any(|e| e["data"]["retrying"] == true),
        "the failed attempt is reported and retried:\n{}",
        r.stdout
    );
    assert_exactly_once(&src, &dst, &dir, "wide");
}
