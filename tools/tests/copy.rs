//! `haul copy postgres://SRC postgres://DST`: the same result as dump + load without files,
//! the journal in the target, `--keep DIR` leaving a dump that verify and load accept, and a
//! copy killed with SIGKILL resumed to exactly one copy of every row.

mod common;
mod load_support;

use common::run;
use haul_testdata::PgTestDb;
use load_support::*;

fn copy(src: &PgTestDb, dst: &PgTestDb, extra: &[&str]) -> common::Run {
    let mut args = vec!["copy", src.url(), dst.url(), "--jobs", "2"];
    args.extend_from_slice(extra);
    run(&args)
}

#[test]
fn copy_reproduces_the_fixture() {
    let (Some(src), Some(dst)) = (PgTestDb::create("copy_src"), PgTestDb::create("copy_dst"))
    else {
        return;
    };
    src.exec(FIXTURE);
    let r = copy(&src, &dst, &["--chunk-bytes", CHUNK_BYTES, "--json"]);
    expect_code(&r, 0, "haul copy");
    let finished = r.events_of("finished");
    assert_eq!(finished.len(), 1, "{}", r.stdout);
    let rows: u64 = FIXTURE_ROWS.iter().map(|(_, n)| n).sum();
    assert_eq!(finished[0]["data"]["rows"], rows, "{}", finished[0]);
    assert_same_database(&src, &dst, "haul copy");
}

#[test]
fn copy_keep_writes_a_dump_that_verify_and_load_accept() {
    let (Some(src), Some(dst), Some(third)) = (
        PgTestDb::create("copy_keep_src"),
        PgTestDb::create("copy_keep_dst"),
        PgTestDb::create("copy_keep_third"),
    ) else {
        return;
    };
    src.exec(FIXTURE);
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("kept");
    let r = copy(
        &src,
        &dst,
        &["--chunk-bytes", CHUNK_BYTES, "--keep", p(&dir)],
    );
    expect_code(&r, 0, "haul copy --keep");
    assert_same_database(&src, &dst, "haul copy --keep");
    assert!(
        journal_chunks(&dir).len() >= FIXTURE_ROWS.len(),
        "the kept directory records every chunk"
    );

    let v = run(&["verify", p(&dir)]);
    expect_code(&v, 0, "haul verify of the kept directory");
    let v = run(&["verify", p(&dir), "--against", dst.url()]);
    expect_code(&v, 0, "haul verify --against the copy's target");

    let l = load(&dir, third.url(), &["--jobs", "2"]);
    expect_code(&l, 0, "haul load of the kept directory");
    assert_same_database(&src, &third, "haul load of the kept directory");
}

#[test]
fn kill_9_mid_copy_then_rerun_copies_each_row_once_from_a_new_snapshot() {
    let (Some(src), Some(dst)) = (
        PgTestDb::create("copy_crash_src"),
        PgTestDb::create("copy_crash_dst"),
    ) else {
        return;
    };
    src.exec(
        "CREATE TABLE bag (v int, w text); \
         INSERT INTO bag SELECT g % 1000, 'w' || (g % 7) FROM generate_series(1, 20000) g; \
         CREATE TABLE keyed (id int PRIMARY KEY, pad text); \
         INSERT INTO keyed SELECT g, md5(g::text) FROM generate_series(1, 6000) g; \
         ANALYZE",
    );
    let args = [
        "copy",
        src.url(),
        dst.url(),
        "--jobs",
        "2",
        "--chunk-bytes",
        "16KiB",
        "--json",
    ];
    let mut seen = 0;
    let k = run_and_kill(&args, |e| {
        seen += usize::from(e["type"] == "chunk_done");
        seen >= 3
    });
    assert!(
        k.killed,
        "the copy ended before the kill: {:?} {}",
        k.status, k.stderr
    );
    // What haul.chunks records is exactly what the tables hold.
    let (per_table, twice, _) = target_journal(&dst);
    assert!(twice.is_empty(), "{twice:?}");
    for t in ["bag", "keyed"] {
        if exists(&dst, t) {
            assert_eq!(
                count(&dst, t),
                per_table.get(&format!("public.{t}")).copied().unwrap_or(0),
                "{t} after the kill: rows = the recorded chunks' rows"
            );
        }
    }

    let r = run(&args);
    expect_code(&r, 0, "the rerun of the copy");
    assert!(
        r.events_of("warning").iter().any(|w| w["data"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("new snapshot")),
        "the resumed copy warns that it reads from a new snapshot:\n{}",
        r.stdout
    );
    for t in ["bag", "keyed"] {
        assert_eq!(count(&dst, t), count(&src, t), "{t}: count(*)");
        assert_eq!(
            rows_of(&dst, t),
            rows_of(&src, t),
            "{t}: every row exactly once"
        );
    }
    let per_value = "SELECT v, count(*) FROM bag GROUP BY v ORDER BY v";
    assert!(
        src.query(per_value) == dst.query(per_value),
        "bag: multiset"
    );
    let (per_table, twice, _) = target_journal(&dst);
    assert!(twice.is_empty(), "chunks recorded twice: {twice:?}");
    for t in ["bag", "keyed"] {
        assert_eq!(
            per_table.get(&format!("public.{t}")).copied(),
            Some(count(&src, t)),
            "haul.chunks rows of {t}"
        );
    }
}
