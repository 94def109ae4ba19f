//! Planner properties against the real PostgreSQL: every row falls in exactly one chunk, for
//! every kind of key and for tables without one, and the chosen split is the expected one.

use haul_engine::dump::{PlanReport, Selection, plan};
use haul_engine::endpoint::PgEndpoint;
use haul_engine::pg::planner::chunk_predicate;
use haul_engine::plan::{SplitKind, TablePlan};
use haul_testdata::{PgTestDb, block_on};

const FIXTURE: &str = r#"
CREATE TABLE ints (id bigint PRIMARY KEY, v text);
INSERT INTO ints SELECT g, md5(g::text) FROM generate_series(1, 20000) g;

CREATE TABLE comp (a int, b text, c int, PRIMARY KEY (a, b));
INSERT INTO comp SELECT g % 7, 'b' || g, g FROM generate_series(1, 12000) g;

CREATE TABLE texts (k text PRIMARY KEY, v int);
INSERT INTO texts SELECT md5(g::text) || ' it''s ' || g, g FROM generate_series(1, 12000) g;

CREATE TABLE uuids (id uuid PRIMARY KEY, v int);
INSERT INTO uuids SELECT md5(g::text)::uuid, g FROM generate_series(1, 12000) g;

CREATE TABLE skewed (id int PRIMARY KEY, v text);
INSERT INTO skewed SELECT g, repeat('x', 40) FROM generate_series(1, 15000) g;
INSERT INTO skewed VALUES (2000000000, 'far away');

CREATE TABLE keyless (a int, b text);
INSERT INTO keyless SELECT g % 100, repeat('y', 60) FROM generate_series(1, 15000) g;

CREATE TABLE uniq_notnull (code text NOT NULL UNIQUE, n int);
INSERT INTO uniq_notnull SELECT 'c' || g, g FROM generate_series(1, 12000) g;

CREATE TABLE empty_big_chunks (id int PRIMARY KEY);

CREATE SCHEMA "Odd Schema";
CREATE TABLE "Odd Schema"."Mixed.Case ""T""" ("Key Col" int PRIMARY KEY, "Val" text);
INSERT INTO "Odd Schema"."Mixed.Case ""T""" SELECT g, repeat('z', 50) FROM generate_series(1, 8000) g;

CREATE TABLE parted (id int NOT NULL, d date NOT NULL, pad text, PRIMARY KEY (id, d)) PARTITION BY RANGE (d);
CREATE TABLE parted_a PARTITION OF parted FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');
CREATE TABLE parted_b PARTITION OF parted FOR VALUES FROM ('2021-01-01') TO ('2022-01-01');
INSERT INTO parted SELECT g, '2020-01-01'::date + (g % 700), repeat('p', 40) FROM generate_series(1, 10000) g;
ANALYZE;
"#;

fn plan_of(db: &PgTestDb, tables: &[&str], chunk_bytes: u64) -> PlanReport {
    let src = PgEndpoint::parse(db.url()).expect("url");
    let sel = Selection {
        tables: tables.iter().map(|s| s.to_string()).collect(),
        chunk_bytes,
        ..Selection::default()
    };
    block_on(async move { plan(&src, &sel).await }).expect("plan")
}

fn qualified(t: &TablePlan) -> String {
    format!(
        "\"{}\".\"{}\"",
        t.schema.replace('"', "\"\""),
        t.name.replace('"', "\"\"")
    )
}

/// Counts rows that match zero or several chunk predicates (must be 0), and the total.
fn assert_partition(db: &PgTestDb, t: &TablePlan) {
    let preds: Vec<String> = t
        .chunks
        .iter()
        .map(|c| chunk_predicate(t.key.as_ref(), &c.range).unwrap_or_else(|| "true".into()))
        .collect();
    let hits = preds
        .iter()
        .map(|p| format!("(CASE WHEN {p} THEN 1 ELSE 0 END)"))
        .collect::<Vec<_>>()
        .join(" + ");
    let bad = db
        .scalar(&format!(
            "SELECT count(*) FROM ONLY {} WHERE ({hits}) <> 1",
            qualified(t)
        ))
        .expect("count");
    assert_eq!(
        bad,
        "0",
        "{}: rows in zero or several chunks",
        t.display_name()
    );
    let total: u64 = db
        .scalar(&format!("SELECT count(*) FROM ONLY {}", qualified(t)))
        .expect("count")
        .parse()
        .expect("int");
    let mut sum = 0u64;
    for p in &preds {
        let n: u64 = db
            .scalar(&format!(
                "SELECT count(*) FROM ONLY {} WHERE {p}",
                qualified(t)
            ))
            .expect("count")
            .parse()
            .expect("int");
        sum += n;
    }
    assert_eq!(
        sum,
        total,
        "{}: chunk counts add up to the table",
        t.display_name()
    );
}

#[test]
fn every_row_falls_in_exactly_one_chunk() {
    let Some(db) = PgTestDb::create("planner") else {
        return;
    };
    db.exec(FIXTURE);
    let report = plan_of(&db, &[], 64 * 1024);
    let by_name = |n: &str| {
        report
            .tables
            .iter()
            .find(|t| t.name == n)
            .unwrap_or_else(|| panic!("table {n} planned"))
    };
    let expect = [
        ("ints", SplitKind::IntRanges),
        ("comp", SplitKind::SampledRanges),
        ("texts", SplitKind::SampledRanges),
        ("uuids", SplitKind::SampledRanges),
        ("skewed", SplitKind::SampledRanges),
        ("keyless", SplitKind::Pages),
        ("uniq_notnull", SplitKind::SampledRanges),
        ("Mixed.Case \"T\"", SplitKind::IntRanges),
    ];
    for (name, split) in expect {
        let t = by_name(name);
        assert_eq!(t.split, split, "{name}: {}", t.split_reason);
        assert!(
            t.chunks.len() >= 3,
            "{name} should be split: {}",
            t.split_reason
        );
        assert_partition(&db, t);
    }
    // The skewed table must not end up as one giant chunk plus empty ones.
    let skewed = by_name("skewed");
    let counts: Vec<u64> = skewed
        .chunks
        .iter()
        .map(|c| {
            let p = chunk_predicate(skewed.key.as_ref(), &c.range).unwrap_or_else(|| "true".into());
            db.scalar(&format!("SELECT count(*) FROM skewed WHERE {p}"))
                .expect("count")
                .parse()
                .expect("int")
        })
        .collect();
    let max = *counts.iter().max().expect("chunks");
    assert!(max * 2 < 15001, "skewed key made a giant chunk: {counts:?}");

    // Partitioned: the leaves are dumped, the parent is not.
    assert!(report.tables.iter().any(|t| t.name == "parted_a"));
    assert!(report.tables.iter().all(|t| t.name != "parted"));
    assert!(report.partitioned.iter().any(|p| p.name == "parted"));
    for leaf in ["parted_a", "parted_b"] {
        assert_partition(&db, by_name(leaf));
    }

    let empty = by_name("empty_big_chunks");
    assert_eq!(empty.chunks.len(), 1);
    assert_partition(&db, empty);
}

#[test]
fn a_parent_pattern_selects_its_partitions_and_bad_patterns_are_errors() {
    let Some(db) = PgTestDb::create("planner_sel") else {
        return;
    };
    db.exec(FIXTURE);
    let report = plan_of(&db, &["parted"], 64 * 1024);
    let mut names: Vec<&str> = report.tables.iter().map(|t| t.name.as_str()).collect();
    names.sort();
    assert_eq!(names, ["parted_a", "parted_b"]);

    let report = plan_of(&db, &["Odd Schema.*"], 64 * 1024);
    assert_eq!(report.tables.len(), 1);

    let src = PgEndpoint::parse(db.url()).expect("url");
    let sel = Selection {
        tables: vec!["no_such_*".into()],
        ..Selection::default()
    };
    let err = block_on(async move { plan(&src, &sel).await }).expect_err("no match");
    assert!(err.to_string().contains("no_such_*"), "{err}");
}

#[test]
fn small_tables_are_one_chunk_and_say_why() {
    let Some(db) = PgTestDb::create("planner_small") else {
        return;
    };
    db.exec(FIXTURE);
    let report = plan_of(&db, &["ints"], 1 << 30);
    let t = &report.tables[0];
    assert_eq!(t.split, SplitKind::Whole);
    assert_eq!(t.chunks.len(), 1);
    assert!(t.split_reason.contains("fits"), "{}", t.split_reason);
}
