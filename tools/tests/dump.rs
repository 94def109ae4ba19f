//! `haul dump` / `haul verify` / `haul plan` end to end, through the real binary against the
//! real PostgreSQL.

mod common;

use std::collections::BTreeSet;
use std::io::{Read, Seek, SeekFrom, Write};

use common::{int_column, read_table, run, tmp_files};
use haul_testdata::PgTestDb;

const FIXTURE: &str = r#"
CREATE TABLE orders (id bigint PRIMARY KEY, customer text NOT NULL, total numeric(12,2), placed timestamptz);
INSERT INTO orders SELECT g, 'customer ' || (g % 97), (g * 1.25)::numeric(12,2), '2024-01-01'::timestamptz + g * interval '1 minute'
  FROM generate_series(1, 12000) g;
CREATE TABLE events (at timestamptz, payload jsonb);
INSERT INTO events SELECT '2024-01-01'::timestamptz + g * interval '1 second', jsonb_build_object('n', g, 'tag', 't' || (g % 5))
  FROM generate_series(1, 6000) g;
CREATE TABLE tiny (k text PRIMARY KEY);
INSERT INTO tiny VALUES ('a'), ('b');
CREATE TABLE parted (id int NOT NULL, d date NOT NULL, PRIMARY KEY (id, d)) PARTITION BY RANGE (d);
CREATE TABLE parted_2023 PARTITION OF parted FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE parted_2024 PARTITION OF parted FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
INSERT INTO parted SELECT g, '2023-01-01'::date + (g % 700) FROM generate_series(1, 3000) g;
ANALYZE;
"#;

fn dump_json(db: &PgTestDb, dir: &std::path::Path, extra: &[&str]) -> common::Run {
    let mut args = vec![
        "dump",
        db.url(),
        dir.to_str().expect("utf-8 path"),
        "--json",
        "--chunk-bytes",
        "64KiB",
    ];
    args.extend_from_slice(extra);
    run(&args)
}

#[test]
fn dump_writes_every_row_once_and_verify_agrees() {
    let Some(db) = PgTestDb::create("dump_basic") else {
        return;
    };
    db.exec(FIXTURE);
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("out");
    let r = dump_json(&db, &dir, &["--jobs", "2"]);
    assert_eq!(r.code, 0, "stderr: {}\nstdout: {}", r.stderr, r.stdout);

    // The event stream: started, per-chunk and per-table events, finished ok.
    let started = &r.events_of("started")[0]["data"];
    // orders, events, tiny, and parted's two partitions (never the parent itself)
    assert_eq!(started["tables"], 5);
    assert_eq!(started["resumed"], false);
    let chunks = started["chunks"].as_u64().expect("chunks");
    assert!(chunks >= 5, "orders should be split: {chunks} chunks");
    assert_eq!(r.events_of("chunk_done").len() as u64, chunks);
    assert_eq!(r.events_of("table_done").len(), 5);
    let finished = &r.events_of("finished")[0]["data"];
    assert_eq!(finished["ok"], true);
    assert_eq!(finished["rows"], 12000 + 6000 + 2 + 3000);
    for e in r.events_of("chunk_done") {
        assert_eq!(e["data"]["checksum"].as_str().expect("checksum").len(), 32);
    }

    // Every id exactly once, read back from the files.
    let ids = int_column(&read_table(&dir, "public.orders"), "id");
    assert_eq!(ids.len(), 12000);
    assert_eq!(
        ids.iter().copied().collect::<BTreeSet<_>>(),
        (1..=12000).collect()
    );
    let ev: usize = read_table(&dir, "public.events")
        .iter()
        .map(|b| b.num_rows())
        .sum();
    assert_eq!(ev, 6000);
    assert!(tmp_files(&dir).is_empty());

    let v = run(&["verify", dir.to_str().expect("path")]);
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);
    assert!(v.stdout.contains("all match"), "{}", v.stdout);
    let vj = run(&["verify", dir.to_str().expect("path"), "--json"]);
    assert_eq!(vj.code, 0);
    let report = &vj.events_of("verified")[0]["data"];
    assert_eq!(report["rows"], 21002);
    assert_eq!(report["problems"].as_array().map(Vec::len), Some(0));

    // Running the same dump again resumes a finished dump: nothing to do, same result.
    let again = dump_json(&db, &dir, &[]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(again.events_of("chunk_done").len(), 0);
    assert_eq!(
        again.events_of("started")[0]["data"]["chunks_done"].as_u64(),
        Some(chunks)
    );
}

#[test]
fn verify_reports_each_damaged_chunk_and_exits_1() {
    let Some(db) = PgTestDb::create("dump_verify") else {
        return;
    };
    db.exec(FIXTURE);
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("out");
    let r = dump_json(&db, &dir, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let done: Vec<serde_json::Value> = r.events_of("chunk_done");
    let orders: Vec<&serde_json::Value> = done
        .iter()
        .filter(|e| e["data"]["table"] == "public.orders")
        .collect();
    assert!(orders.len() >= 3);
    let file_of = |e: &serde_json::Value| {
        let id = e["data"]["chunk"].as_str().expect("chunk").to_string();
        let idx = id.rsplit('#').next().expect("index").to_string();
        (id, dir.join("public.orders").join(format!("{idx}.parquet")))
    };

    // 1. flip one byte in the middle of a file (a data page)
    let (flipped_id, flipped) = file_of(orders[0]);
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&flipped)
        .expect("open");
    let len = f.metadata().expect("meta").len();
    f.seek(SeekFrom::Start(len / 3)).expect("seek");
    let mut b = [0u8; 1];
    f.read_exact(&mut b).expect("read");
    f.seek(SeekFrom::Start(len / 3)).expect("seek");
    f.write_all(&[b[0] ^ 0x5a]).expect("write");
    drop(f);
    // 2. delete another
    let (deleted_id, deleted) = file_of(orders[1]);
    std::fs::remove_file(&deleted).expect("delete");
    // 3. truncate the journal's last record
    let journal = dir.join("chunks.jsonl");
    let text = std::fs::read_to_string(&journal).expect("journal");
    let last_line_len = text.trim_end().rsplit('\n').next().expect("line").len();
    let last_id = serde_json::from_str::<serde_json::Value>(
        text.trim_end().rsplit('\n').next().expect("line"),
    )
    .expect("json")["chunk"]
        .as_str()
        .expect("chunk")
        .to_string();
    std::fs::write(&journal, &text.as_bytes()[..text.len() - last_line_len / 2]).expect("truncate");

    let v = run(&["verify", dir.to_str().expect("path")]);
    assert_eq!(v.code, 1, "{}{}", v.stdout, v.stderr);
    let bad: Vec<&str> = v.stdout.lines().filter(|l| l.starts_with("BAD ")).collect();
    let line_for = |id: &str| bad.iter().find(|l| l.contains(&format!(" {id} "))).copied();
    let flipped_line =
        line_for(&flipped_id).unwrap_or_else(|| panic!("no line for {flipped_id}: {}", v.stdout));
    assert!(
        flipped_line.contains("checksum differs") || flipped_line.contains("unreadable"),
        "{flipped_line}"
    );
    assert!(
        line_for(&deleted_id)
            .expect("deleted chunk reported")
            .contains("file missing")
    );
    assert!(
        line_for(&last_id)
            .expect("unrecorded chunk reported")
            .contains("no journal record")
    );
    assert!(bad.iter().any(|l| l.contains("torn")), "{}", v.stdout);
    // One line per bad chunk (plus the torn-journal line), nothing about healthy chunks.
    assert_eq!(bad.len(), 4, "{}", v.stdout);

    // Rerunning the dump repairs exactly those chunks.
    let r2 = dump_json(&db, &dir, &[]);
    assert_eq!(r2.code, 0, "{}", r2.stderr);
    let redone: BTreeSet<String> = r2
        .events_of("chunk_done")
        .iter()
        .map(|e| e["data"]["chunk"].as_str().expect("chunk").to_string())
        .collect();
    assert!(
        redone.contains(&deleted_id) && redone.contains(&last_id),
        "{redone:?}"
    );
    let v2 = run(&["verify", dir.to_str().expect("path")]);
    // The flipped file still has its (valid) record, so verify still flags it: a dump never
    // silently trusts a file whose record it cannot reproduce.
    assert_eq!(v2.code, 1, "{}", v2.stdout);
    assert!(v2.stdout.contains(&flipped_id));
}

#[test]
fn a_directory_from_another_source_schema_or_options_is_refused() {
    let (Some(a), Some(b)) = (
        PgTestDb::create("dump_src_a"),
        PgTestDb::create("dump_src_b"),
    ) else {
        return;
    };
    a.exec(FIXTURE);
    b.exec(FIXTURE);
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("out");
    assert_eq!(dump_json(&a, &dir, &[]).code, 0);

    let other = dump_json(&b, &dir, &[]);
    assert_eq!(other.code, 2, "{}", other.stderr);
    assert!(other.stderr.contains("another source"), "{}", other.stderr);
    assert!(other.stderr.contains("--restart"), "{}", other.stderr);

    let opts = dump_json(&a, &dir, &["--chunk-bytes", "1MiB"]);
    assert_eq!(opts.code, 2);
    assert!(opts.stderr.contains("--chunk-bytes"), "{}", opts.stderr);

    a.exec("ALTER TABLE orders ADD COLUMN note text");
    let schema = dump_json(&a, &dir, &[]);
    assert_eq!(schema.code, 2);
    assert!(
        schema.stderr.contains("different schema"),
        "{}",
        schema.stderr
    );

    let restart = dump_json(&a, &dir, &["--restart"]);
    assert_eq!(restart.code, 0, "{}", restart.stderr);
    assert_eq!(run(&["verify", dir.to_str().expect("path")]).code, 0);

    let junk = tmp.path().join("junk");
    std::fs::create_dir_all(&junk).expect("mkdir");
    std::fs::write(junk.join("notes.txt"), "keep me").expect("write");
    let refused = dump_json(&a, &junk, &[]);
    assert_eq!(refused.code, 2);
    assert!(refused.stderr.contains("not empty"), "{}", refused.stderr);
    assert!(junk.join("notes.txt").exists());
}

#[test]
fn plan_json_lists_tables_splits_types_and_warnings() {
    let Some(db) = PgTestDb::create("plan_json") else {
        return;
    };
    db.exec(FIXTURE);
    db.exec(
        "CREATE TABLE odd (id int PRIMARY KEY, addr inet, span int4range); \
         CREATE MATERIALIZED VIEW totals AS SELECT count(*) AS n FROM orders",
    );
    let r = run(&["plan", db.url(), "--json", "--chunk-bytes", "64KiB"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let plan = &r.events_of("plan")[0]["data"];
    let tables = plan["tables"].as_array().expect("tables");
    let orders = tables
        .iter()
        .find(|t| t["name"] == "orders")
        .expect("orders");
    assert_eq!(orders["split"], "int_ranges");
    assert!(orders["chunks"].as_array().expect("chunks").len() >= 3);
    assert!(
        orders["split_reason"]
            .as_str()
            .expect("reason")
            .contains("id")
    );
    let fields = orders["arrow_schema"]["fields"].as_array().expect("fields");
    assert_eq!(fields.len(), 4);
    let warnings: Vec<&str> = plan["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .filter_map(|w| w.as_str())
        .collect();
    assert!(
        warnings.iter().any(|w| w.contains("public.odd.addr")),
        "{warnings:?}"
    );
    assert!(
        warnings.iter().any(|w| w.contains("public.odd.span")),
        "{warnings:?}"
    );

    let text = run(&["plan", db.url()]);
    assert_eq!(text.code, 0);
    assert!(text.stdout.contains("public.orders"));
    assert!(text.stdout.contains("Decimal128(12, 2)"), "{}", text.stdout);
    assert!(text.stdout.contains("carried as text"), "{}", text.stdout);
}

#[test]
fn quiet_prints_nothing_and_text_mode_prints_a_summary() {
    let Some(db) = PgTestDb::create("dump_quiet") else {
        return;
    };
    db.exec(FIXTURE);
    let tmp = tempfile::tempdir().expect("tempdir");
    let q = run(&[
        "dump",
        db.url(),
        tmp.path().join("q").to_str().expect("p"),
        "--quiet",
    ]);
    assert_eq!(q.code, 0, "{}", q.stderr);
    assert!(q.stdout.is_empty() && q.stderr.is_empty(), "{q:?}");
    let t = run(&["dump", db.url(), tmp.path().join("t").to_str().expect("p")]);
    assert_eq!(t.code, 0, "{}", t.stderr);
    assert!(t.stdout.contains("dump finished"), "{}", t.stdout);
    assert!(t.stdout.contains("public.orders"), "{}", t.stdout);
}
