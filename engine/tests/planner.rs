//! Planner properties against the real PostgreSQL: every row falls in exactly one chunk, for
//! every kind of key and for tables without one, and the chosen split is the expected one.

use haul_engine::dump::{PlanReport, Selection, plan};
use haul_engine::endpoint::Endpoint;
use haul_engine::pg::planner::chunk_predicate;
use haul_engine::plan::{SplitKind, TablePlan};
use haul_testdata::{PgTestDb, block_on};

const FIXTURE: &str = r#"
CREATE TABLE ints (id bigint PRIMARY KEY, v text);
INSERT INTO ints SELECT g, md5(g::text) FROM generate_series(1, 20000) g;

CREATE TABLE comp (a int, b text, c int, PRIMARY KEY (a, b));
INSERT INTO comp SELECT g % 7, 'b' || g, g FROM generate_series(1, 12000) g ORDER BY 1, 2;

CREATE TABLE texts (k text PRIMARY KEY, v int);
INSERT INTO texts SELECT md5(g::text) || ' it''s ' || g, g FROM generate_series(1, 12000) g ORDER BY 1;

CREATE TABLE uuids (id uuid PRIMARY KEY, v int);
INSERT INTO uuids SELECT md5(g::text)::uuid, g FROM generate_series(1, 12000) g ORDER BY 1;

-- A key in random physical order: key ranges would each scan the whole heap.
CREATE TABLE scattered (id uuid PRIMARY KEY, pad text);
INSERT INTO scattered SELECT md5(g::text)::uuid, repeat('q', 40) FROM generate_series(1, 12000) g;

CREATE TABLE skewed (id int PRIMARY KEY, v text);
INSERT INTO skewed SELECT g, repeat('x', 40) FROM generate_series(1, 15000) g;
INSERT INTO skewed VALUES (2000000000, 'far away');

CREATE TABLE keyless (a int, b text);
INSERT INTO keyless SELECT g % 100, repeat('y', 60) FROM generate_series(1, 15000) g;

CREATE TABLE uniq_notnull (code text NOT NULL UNIQUE, n int);
INSERT INTO uniq_notnull SELECT 'c' || g, g FROM generate_series(1, 12000) g ORDER BY 1;

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
    let src = Endpoint::parse(db.url()).expect("url");
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
        ("scattered", SplitKind::Pages),
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
    assert!(
        by_name("scattered")
            .split_reason
            .contains("not in physical order"),
        "{}",
        by_name("scattered").split_reason
    );
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

    let src = Endpoint::parse(db.url()).expect("url");
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

/// Sampled boundaries (the path big tables take): ints of 1 to 6 digits, where text order and
/// numeric order differ, in single and composite keys. Every row must still fall in exactly one
/// chunk, and no chunk may swallow the table.
#[test]
fn sampled_boundaries_follow_key_order_not_text_order() {
    let Some(db) = PgTestDb::create("planner_sampled") else {
        return;
    };
    db.exec(
        "CREATE TABLE li (ok int, ln int, pad text, PRIMARY KEY (ok, ln)); \
         INSERT INTO li SELECT g / 4 + 1, g % 4, repeat('p', 30) FROM generate_series(0, 399999, 7) g; \
         CREATE TABLE skew (id int PRIMARY KEY, pad text); \
         INSERT INTO skew SELECT g, repeat('s', 30) FROM generate_series(1, 30000) g; \
         INSERT INTO skew SELECT 1000000 + g, 's' FROM generate_series(1, 50) g; \
         ANALYZE",
    );
    let src = Endpoint::parse(db.url()).expect("url");
    let sel = Selection {
        chunk_bytes: 256 * 1024,
        // Force TABLESAMPLE boundaries even on these small tables.
        exact_quantile_max_rows: 0,
        ..Selection::default()
    };
    let report = block_on(async move { plan(&src, &sel).await }).expect("plan");
    for t in &report.tables {
        assert_eq!(
            t.split,
            SplitKind::SampledRanges,
            "{}: {}",
            t.name,
            t.split_reason
        );
        assert!(t.split_reason.contains("sampled"), "{}", t.split_reason);
        assert!(t.chunks.len() >= 3, "{}: {}", t.name, t.split_reason);
        assert_partition(&db, t);
        let total: u64 = db
            .scalar(&format!("SELECT count(*) FROM {}", qualified(t)))
            .expect("count")
            .parse()
            .expect("int");
        for c in &t.chunks {
            let p = chunk_predicate(t.key.as_ref(), &c.range).unwrap_or_else(|| "true".into());
            let n: u64 = db
                .scalar(&format!("SELECT count(*) FROM {} WHERE {p}", qualified(t)))
                .expect("count")
                .parse()
                .expect("int");
            let ideal = total / t.chunks.len() as u64;
            assert!(
                n <= ideal * 3,
                "{}: chunk {} holds {n} rows, ideal {ideal}",
                t.name,
                c.id
            );
        }
    }
}
