//! `haul sync postgres:// postgres://`: the migration playbook under concurrent writes (dump,
//! load, syncs, a last sync with --deletes, then diff and a row-by-row comparison agree), the
//! watermark continuing without --since, ties at the boundary, kill -9 and resume, and errors.

mod common;
mod sync_support;

use std::io::BufRead;
use std::time::Duration;

use common::{run, spawn};
use haul_testdata::PgTestDb;
use sync_support::*;

const FIXTURE: &str = "
CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, n bigint, updated_at timestamptz NOT NULL);
INSERT INTO items SELECT g, 'name ' || g, g, '2024-01-01'::timestamptz + g * interval '1 s'
  FROM generate_series(1, 3000) g;
ANALYZE;
";

fn pair(tag: &str) -> Option<(PgTestDb, PgTestDb)> {
    let src = PgTestDb::create(&format!("{tag}_src"))?;
    let dst = PgTestDb::create(&format!("{tag}_dst"))?;
    src.exec(FIXTURE);
    Some((src, dst))
}

fn copy(src: &PgTestDb, dst: &PgTestDb) {
    let r = run(&["copy", src.url(), dst.url(), "--chunk-bytes", "16KiB", "-q"]);
    expect_code(&r, 0, "haul copy");
}

#[test]
fn dump_load_and_syncs_under_writes_end_equal() {
    let Some((src, dst)) = pair("sync_play") else {
        return;
    };
    let writer = Writer::pg(src.url());
    std::thread::sleep(Duration::from_millis(200));
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("d");
    let dir = dir.to_str().expect("utf-8");
    let r = run(&["dump", src.url(), dir, "--chunk-bytes", "16KiB", "-q"]);
    expect_code(&r, 0, "dump");
    let r = run(&["load", dir, dst.url(), "-q"]);
    expect_code(&r, 0, "load");
    let first = sync(src.url(), dst.url(), &["--since-dump", dir]);
    expect_code(&first, 0, "first sync (from the dump's time)");
    assert!(
        table_event(&first, "public.items")["upserted"].as_u64() > Some(0),
        "rows written during and after the dump are caught up: {}",
        first.stdout
    );
    std::thread::sleep(Duration::from_millis(300));
    let second = sync(src.url(), dst.url(), &[]);
    expect_code(&second, 0, "second sync (from the watermark)");
    assert!(table_event(&second, "public.items")["upserted"].as_u64() > Some(0));
    let ops = writer.stop();
    assert!(ops > 30, "the writer was busy ({ops} operations)");
    // Writes paused: without --deletes the target still has rows deleted from the source.
    let before = sync(src.url(), dst.url(), &[]);
    expect_code(&before, 0, "sync without --deletes");
    let diff = run(&["diff", src.url(), dst.url(), "-q"]);
    expect_code(&diff, 1, "diff before the last sync --deletes");
    let last = sync(src.url(), dst.url(), &["--deletes"]);
    expect_code(&last, 0, "last sync with --deletes");
    let t = table_event(&last, "public.items");
    assert!(t["deleted"].as_u64() > Some(0), "{t}");
    let diff = run(&["diff", src.url(), dst.url()]);
    expect_code(&diff, 0, "diff after the last sync");
    assert_same_rows(&pg_rows(&src), &pg_rows(&dst));
}

#[test]
fn the_watermark_continues_and_ties_at_the_boundary_are_kept() {
    let Some((src, dst)) = pair("sync_mark") else {
        return;
    };
    copy(&src, &dst);
    let none = sync(src.url(), dst.url(), &[]);
    expect_code(&none, 2, "a first sync without --since");
    assert!(
        none.stderr.contains("no watermark") && none.stderr.contains("--since"),
        "{}",
        none.stderr
    );
    // The newest row is at 2024-01-01 00:50:00 (id 3000): the watermark becomes that.
    src.exec("UPDATE items SET name = 'early', updated_at = '2024-01-01 00:40:00+00' WHERE id = 5");
    let first = sync(src.url(), dst.url(), &["--since", "2024-01-01 00:39:00+00"]);
    expect_code(&first, 0, "sync --since");
    let t = table_event(&first, "public.items");
    // id 5 and ids 2341..=3000 (00:39:01 .. 00:50:00).
    assert_eq!(t["upserted"], 661, "{t}");
    assert_eq!(
        dst.scalar("SELECT name FROM items WHERE id = 5").as_deref(),
        Some("early")
    );
    // Written after that run: one row stamped exactly at the watermark (a tie), one inside
    // the overlap, and one older than watermark − overlap, which no window covers.
    src.exec(
        "UPDATE items SET name = 'tie' WHERE id = 3000; \
         UPDATE items SET name = 'overlap', updated_at = '2024-01-01 00:46:00+00' WHERE id = 7; \
         UPDATE items SET name = 'too old', updated_at = '2024-01-01 00:10:00+00' WHERE id = 8",
    );
    let next = sync(src.url(), dst.url(), &[]);
    expect_code(&next, 0, "sync from the watermark");
    let names =
        dst.query("SELECT id::text, name FROM items WHERE id IN (7, 8, 3000) ORDER BY items.id");
    let got: Vec<Option<String>> = names.into_iter().map(|r| r[1].clone()).collect();
    assert_eq!(
        got,
        vec![
            Some("overlap".to_string()),
            Some("name 8".to_string()),
            Some("tie".to_string())
        ]
    );
    let t = table_event(&next, "public.items");
    assert!(
        t["lower"]
            .as_str()
            .unwrap_or_default()
            .contains("300 seconds"),
        "{t}"
    );
}

#[test]
fn kill_9_mid_sync_then_rerun_resumes_the_same_window() {
    let Some((src, dst)) = pair("sync_kill") else {
        return;
    };
    src.exec(
        "INSERT INTO items SELECT g, 'more ' || g, g, '2024-02-01'::timestamptz + g * interval '1 ms' \
           FROM generate_series(3001, 40000) g; ANALYZE",
    );
    copy(&src, &dst);
    src.exec("UPDATE items SET n = -n, updated_at = updated_at + interval '1 year'");
    let args = [
        "sync",
        src.url(),
        dst.url(),
        "--column",
        "updated_at",
        "--since",
        "2024-06-01",
        "--json",
        "--jobs",
        "2",
        "--chunk-bytes",
        "16KiB",
    ];
    let mut child = spawn(&args);
    let stdout = child.stdout.take().expect("stdout");
    let mut seen = 0;
    for line in std::io::BufReader::new(stdout).lines() {
        if line.expect("line").contains("\"type\":\"chunk_done\"") {
            seen += 1;
            if seen >= 3 {
                let _ = child.kill();
                break;
            }
        }
    }
    let _ = child.wait();
    assert!(seen >= 3, "the sync was killed after some chunks");
    let applied: i64 = dst
        .scalar("SELECT count(*) FROM haul.sync_chunks")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    assert!(applied >= 3, "chunks recorded before the kill: {applied}");
    let negated: i64 = dst
        .scalar("SELECT count(*) FROM items WHERE n < 0")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    assert!(negated > 0 && negated < 40000, "partly applied: {negated}");
    // Written between the runs: a resumed run keeps its window, and the watermark
    // does not move until every chunk is applied.
    let rerun = run(&args);
    expect_code(&rerun, 0, "the rerun");
    let t = table_event(&rerun, "public.items");
    assert_eq!(t["resumed"], true, "{t}");
    let redone = rerun.events_of("chunk_done").len() as i64;
    let chunks = t["chunks"].as_i64().unwrap_or(0);
    assert_eq!(redone + applied, chunks, "only the chunks not yet applied");
    assert_eq!(
        dst.scalar("SELECT count(*) FROM haul.sync_chunks")
            .as_deref(),
        Some("0")
    );
    let diff = run(&["diff", src.url(), dst.url(), "-q"]);
    expect_code(&diff, 0, "diff after the resumed sync");
    assert_same_rows(&pg_rows(&src), &pg_rows(&dst));
    assert_eq!(
        dst.scalar("SELECT count(*) - count(DISTINCT id) FROM items")
            .as_deref(),
        Some("0")
    );
}

#[test]
fn bad_columns_and_tables_are_named() {
    let Some((src, dst)) = pair("sync_err") else {
        return;
    };
    src.exec("CREATE TABLE nokey (a int, updated_at timestamptz)");
    copy(&src, &dst);
    let r = run(&[
        "sync",
        src.url(),
        dst.url(),
        "--column",
        "changed",
        "--since",
        "2024-01-01",
        "--tables",
        "items",
    ]);
    expect_code(&r, 2, "a missing column");
    assert!(
        r.stderr.contains("public.items has no column `changed`"),
        "{}",
        r.stderr
    );
    let r = run(&[
        "sync",
        src.url(),
        dst.url(),
        "--column",
        "name",
        "--since",
        "2024-01-01",
        "--tables",
        "items",
    ]);
    expect_code(&r, 2, "a text column");
    assert!(
        r.stderr.contains("column `name` of public.items is text"),
        "{}",
        r.stderr
    );
    let r = sync(src.url(), dst.url(), &["--since", "2024-01-01"]);
    expect_code(&r, 2, "a table without a key");
    assert!(
        r.stderr.contains("public.nokey has no primary key"),
        "{}",
        r.stderr
    );
    dst.exec("DROP TABLE nokey; ALTER TABLE items DROP COLUMN n");
    let r = sync(
        src.url(),
        dst.url(),
        &["--since", "2024-01-01", "--tables", "items", "nokey"],
    );
    expect_code(&r, 2, "missing table and column in the target");
    assert!(
        r.stderr.contains("column `n` is missing in the target"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("public.nokey does not exist in the target"),
        "{}",
        r.stderr
    );
}

#[test]
fn an_integer_column_is_a_watermark_too() {
    let Some((src, dst)) = pair("sync_int") else {
        return;
    };
    copy(&src, &dst);
    src.exec("UPDATE items SET name = 'v' || n, n = n + 10000 WHERE id % 100 = 0");
    let r = run(&[
        "sync",
        src.url(),
        dst.url(),
        "--column",
        "n",
        "--since",
        "3000",
        "--json",
    ]);
    expect_code(&r, 0, "sync --column n --since 3000");
    let t = table_event(&r, "public.items");
    assert_eq!(
        (&t["upserted"], &t["high"]),
        (&30.into(), &"13000".into()),
        "{t}"
    );
    // The next run starts at the watermark itself (no overlap for integers): only the row
    // whose counter passed it.
    src.exec("UPDATE items SET name = 'again', n = 20000 WHERE id = 1");
    let r = run(&["sync", src.url(), dst.url(), "--column", "n", "--json"]);
    expect_code(&r, 0, "sync from the integer watermark");
    let t = table_event(&r, "public.items");
    assert_eq!(
        (&t["upserted"], &t["lower"]),
        (&1.into(), &"13000".into()),
        "{t}"
    );
    let diff = run(&["diff", src.url(), dst.url(), "-q"]);
    expect_code(&diff, 0, "diff after the integer syncs");
    let r = run(&[
        "sync",
        src.url(),
        dst.url(),
        "--column",
        "n",
        "--since",
        "soon",
    ]);
    expect_code(&r, 2, "a time for an integer column");
    assert!(
        r.stderr.contains("`soon` is not an integer"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_sync_moves_the_targets_sequences_past_the_rows_it_wrote() {
    let Some(src) = PgTestDb::create("syncseq_src") else {
        return;
    };
    let Some(dst) = PgTestDb::create("syncseq_dst") else {
        return;
    };
    let table = "CREATE TABLE ids (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v text, \
                 updated_at timestamptz NOT NULL DEFAULT now())";
    src.exec(table);
    src.exec("INSERT INTO ids (v) SELECT 'v' || g FROM generate_series(1, 120) g");
    dst.exec(table);
    let r = run(&[
        "sync",
        src.url(),
        dst.url(),
        "--column",
        "updated_at",
        "--since",
        "2000-01-01 00:00:00+00",
    ]);
    expect_code(&r, 0, "sync");
    assert_eq!(
        dst.scalar("INSERT INTO ids (v) VALUES ('after') RETURNING id")
            .as_deref(),
        Some("121")
    );
}
