//! `haul diff postgres:// postgres://`: equal databases exit 0; three rows corrupted by hand
//! are reported as exactly those keys and columns, in text and JSON, and `--apply` rewrites
//! exactly them; composite text keys, a table without a key, tables on one side only, the
//! narrowing of a chunk with many differences, and bad input.

mod common;
mod diff_support;

use std::collections::BTreeMap;

use common::run;
use diff_support::*;
use haul_testdata::PgTestDb;
use serde_json::Value;

const FIXTURE: &str = "
CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, price numeric(10,2),
                    at timestamptz, tags text[], doc jsonb);
INSERT INTO items SELECT g, 'name ' || g, g * 1.25, '2024-01-01'::timestamptz + g * interval '1 min',
                         ARRAY['a', g::text], jsonb_build_object('g', g)
  FROM generate_series(1, 3000) g;
CREATE TABLE pairs (k text, n int, v text, PRIMARY KEY (k, n));
INSERT INTO pairs SELECT 'key é ' || (g % 97), g, md5(g::text) FROM generate_series(1, 2000) g;
CREATE TABLE log (a int, b text);
INSERT INTO log SELECT g % 10, 'x' FROM generate_series(1, 200) g;
ANALYZE;
";

fn copied(tag: &str) -> Option<(PgTestDb, PgTestDb)> {
    let src = PgTestDb::create(&format!("{tag}_src"))?;
    let dst = PgTestDb::create(&format!("{tag}_dst"))?;
    src.exec(FIXTURE);
    let r = run(&["copy", src.url(), dst.url(), "--chunk-bytes", "32KiB", "-q"]);
    expect_code(&r, 0, "haul copy");
    Some((src, dst))
}

/// `id → xmin` of every row: the transaction that last wrote it.
fn xmins(db: &PgTestDb) -> BTreeMap<String, String> {
    db.query("SELECT id::text, xmin::text FROM items")
        .into_iter()
        .map(|r| {
            (
                r[0].clone().unwrap_or_default(),
                r[1].clone().unwrap_or_default(),
            )
        })
        .collect()
}

#[test]
fn three_corrupted_rows_are_reported_and_repaired_exactly() {
    let Some((src, dst)) = copied("diff3") else {
        return;
    };
    let equal = diff(src.url(), dst.url(), &["--json"]);
    expect_code(&equal, 0, "diff of a fresh copy");
    assert_eq!(summary(&equal)["equal"], true);
    assert!(json_rows(&equal).is_empty(), "{}", equal.stdout);
    assert_eq!(table_event(&equal, "public.items")["source_rows"], 3000);
    assert!(
        equal.events_of("chunk_done").len() > 3,
        "several chunks: {}",
        equal.stdout
    );

    dst.exec(
        "UPDATE items SET name = 'changed' WHERE id = 42; DELETE FROM items WHERE id = 17; \
         INSERT INTO items (id, name) VALUES (9001, 'extra')",
    );
    expect_three(src.url(), dst.url(), "public.items", "name");

    let before = xmins(&dst);
    expect_repaired(src.url(), dst.url(), "public.items");
    let after = xmins(&dst);
    let rewritten: Vec<&String> = after
        .iter()
        .filter(|(id, x)| before.get(*id) != Some(*x))
        .map(|(id, _)| id)
        .collect();
    assert_eq!(
        rewritten,
        ["17", "42"],
        "only the repaired rows were written"
    );
    assert!(!after.contains_key("9001"));
    assert_eq!(
        dst.scalar("SELECT name || '|' || price FROM items WHERE id = 42")
            .as_deref(),
        Some("name 42|52.50")
    );
}

#[test]
fn composite_text_keys_and_a_table_without_a_key() {
    let Some((src, dst)) = copied("diffck") else {
        return;
    };
    dst.exec(
        "UPDATE pairs SET v = 'other' WHERE k = 'key é 5' AND n = 5; \
         DELETE FROM log WHERE ctid = (SELECT min(ctid) FROM log WHERE a = 3); \
         INSERT INTO log VALUES (7, 'x'), (7, 'x'), (11, 'new')",
    );
    let r = diff(
        src.url(),
        dst.url(),
        &["--json", "--tables", "pairs", "log"],
    );
    expect_code(&r, 1, "diff");
    let rows = json_rows(&r);
    assert_eq!(
        rows,
        [
            (
                "changed".into(),
                "public.pairs".into(),
                "(k, n)=('key é 5', 5)".into(),
                vec!["v".into()]
            ),
            (
                "extra".into(),
                "public.log".into(),
                "(a, b)=(11, 'new')".into(),
                vec![]
            ),
            (
                "extra".into(),
                "public.log".into(),
                "(a, b)=(7, 'x')".into(),
                vec![]
            ),
            (
                "missing".into(),
                "public.log".into(),
                "(a, b)=(3, 'x')".into(),
                vec![]
            ),
        ]
    );
    let counts: Vec<(Value, Value)> = r
        .events_of("diff_row")
        .iter()
        .filter(|e| e["data"]["table"] == "public.log")
        .map(|e| {
            (
                e["data"]["source_count"].clone(),
                e["data"]["target_count"].clone(),
            )
        })
        .collect();
    assert!(counts.contains(&(20.into(), 22.into())), "{counts:?}");
    assert!(counts.contains(&(20.into(), 19.into())), "{counts:?}");
    let log = table_event(&r, "public.log");
    assert_eq!(
        (&log["missing"], &log["extra"], &log["keyed"]),
        (&1.into(), &3.into(), &false.into())
    );

    // --apply repairs the keyed table, reports the keyless one as not repairable: exit 1.
    let a = diff(
        src.url(),
        dst.url(),
        &["--apply", "--tables", "pairs", "log"],
    );
    expect_code(&a, 1, "diff --apply");
    assert!(
        a.stdout.contains("not repaired, no primary key"),
        "{}",
        a.stdout
    );
    let again = diff(
        src.url(),
        dst.url(),
        &["--json", "--tables", "pairs", "log"],
    );
    expect_code(&again, 1, "diff after --apply");
    assert_eq!(table_event(&again, "public.pairs")["status"], "equal");
    assert_eq!(table_event(&again, "public.log")["status"], "differs");
}

#[test]
fn tables_on_one_side_only_and_other_columns() {
    let Some((src, dst)) = copied("diffside") else {
        return;
    };
    dst.exec(
        "DROP TABLE log; CREATE TABLE only_here (x int); \
         ALTER TABLE pairs ALTER COLUMN v TYPE varchar(40)",
    );
    let r = diff(src.url(), dst.url(), &["--json"]);
    expect_code(&r, 1, "diff");
    assert_eq!(table_event(&r, "public.log")["status"], "missing_in_target");
    assert_eq!(
        table_event(&r, "public.only_here")["status"],
        "only_in_target"
    );
    let pairs = table_event(&r, "public.pairs");
    assert_eq!(pairs["status"], "columns_differ");
    assert!(
        pairs["detail"]
            .as_str()
            .is_some_and(|d| d.contains("`v` is text in the source but character varying(40)")),
        "{pairs}"
    );
    assert_eq!(table_event(&r, "public.items")["status"], "equal");
    let s = summary(&r);
    assert_eq!(
        (&s["missing_in_target"], &s["only_in_target"]),
        (&1.into(), &1.into())
    );
    // A pattern leaves the other tables out.
    let one = diff(src.url(), dst.url(), &["--tables", "items"]);
    expect_code(&one, 0, "diff of items only");
}

#[test]
fn many_differences_narrow_down_by_key_hash_within_the_memory_cap() {
    let Some((src, dst)) = copied("diffmany") else {
        return;
    };
    dst.exec(
        "UPDATE items SET price = 0 WHERE id % 7 = 0; DELETE FROM items WHERE id % 11 = 0; \
         INSERT INTO items (id, name) SELECT g, 'x' FROM generate_series(5001, 5150) g",
    );
    let changed = dst
        .scalar("SELECT count(*) FROM items WHERE price = 0")
        .expect("count");
    let totals = |r: &common::Run| {
        let t = table_event(r, "public.items");
        (
            t["missing"].clone(),
            t["extra"].clone(),
            t["changed"].clone(),
        )
    };
    let want = (
        Value::from(272),
        Value::from(150),
        Value::from(changed.parse::<u64>().expect("n")),
    );
    // One chunk of 3,000 rows, at most 60 keys per side in memory: narrowed by buckets.
    let small = [
        "--json",
        "--tables",
        "items",
        "--chunk-bytes",
        "64MiB",
        "--map-cap",
        "60",
    ];
    let r = diff(src.url(), dst.url(), &small);
    expect_code(&r, 1, "diff --map-cap 60");
    assert_eq!(totals(&r), want);
    let wide = diff(src.url(), dst.url(), &["--json", "--tables", "items"]);
    assert_eq!(totals(&wide), want);
    assert_eq!(json_rows(&r).len(), 100, "--max-rows 100 by default");
    let listed_all = diff(
        src.url(),
        dst.url(),
        &["--json", "--tables", "items", "--max-rows", "1000"],
    );
    assert_eq!(
        json_rows(&listed_all).len(),
        272 + 150 + want.2.as_u64().expect("n") as usize
    );

    let mut apply = small.to_vec();
    apply.push("--apply");
    let a = diff(src.url(), dst.url(), &apply);
    expect_code(&a, 0, "diff --apply --map-cap 60");
    let again = diff(src.url(), dst.url(), &["--tables", "items"]);
    expect_code(&again, 0, "diff after --apply");
    assert_eq!(
        dst.scalar("SELECT count(*) || ' ' || sum(price) FROM items"),
        src.scalar("SELECT count(*) || ' ' || sum(price) FROM items")
    );
}

#[test]
fn bad_input_exits_2_with_one_line() {
    let Some(db) = PgTestDb::create("diffbad") else {
        return;
    };
    db.exec("CREATE TABLE t (id int PRIMARY KEY)");
    let down = "postgres://postgres@127.0.0.1:1/nowhere";
    let r = diff(db.url(), down, &[]);
    expect_code(&r, 2, "unreachable target");
    assert_eq!(
        r.stderr.lines().filter(|l| l.starts_with("error:")).count(),
        1,
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("cannot connect to postgres://postgres@127.0.0.1:1/nowhere"),
        "{}",
        r.stderr
    );
    let r = diff(db.url(), db.url(), &["--tables", "nope*", "--json"]);
    expect_code(&r, 2, "unknown table pattern");
    assert!(
        r.stderr.contains("--tables `nope*` matches no table"),
        "{}",
        r.stderr
    );
    let err = r.events_of("error");
    assert_eq!(err.len(), 1, "{}", r.stdout);
    assert_eq!(err[0]["data"]["exit_code"], 2);
    let r = diff(db.url(), "/tmp/not-a-database", &[]);
    expect_code(&r, 2, "a directory as target");
    assert!(r.stderr.contains("must be a database URL"), "{}", r.stderr);
    // A database compared with itself is equal.
    let same = diff(db.url(), db.url(), &[]);
    expect_code(&same, 0, "diff of a database with itself");
}

#[test]
fn an_emptied_table_is_refilled_and_an_extra_one_emptied() {
    let Some((src, dst)) = copied("diffempty") else {
        return;
    };
    src.exec("CREATE TABLE gone (id bigint PRIMARY KEY, v text)");
    dst.exec(
        "TRUNCATE items; CREATE TABLE gone (id bigint PRIMARY KEY, v text); \
         INSERT INTO gone SELECT g, 'x' FROM generate_series(1, 2500) g",
    );
    let r = diff(
        src.url(),
        dst.url(),
        &["--json", "--max-rows", "2", "--tables", "items", "gone"],
    );
    expect_code(&r, 1, "diff");
    let items = table_event(&r, "public.items");
    assert_eq!(
        (
            &items["missing"],
            &items["target_rows"],
            &items["not_listed"]
        ),
        (&3000.into(), &0.into(), &2998.into())
    );
    let gone = table_event(&r, "public.gone");
    assert_eq!(
        (&gone["extra"], &gone["source_rows"]),
        (&2500.into(), &0.into())
    );
    assert_eq!(
        json_rows(&r),
        [
            (
                "extra".into(),
                "public.gone".into(),
                "(id)=(1)".into(),
                vec![]
            ),
            (
                "extra".into(),
                "public.gone".into(),
                "(id)=(2)".into(),
                vec![]
            ),
            (
                "missing".into(),
                "public.items".into(),
                "(id)=(1)".into(),
                vec![]
            ),
            (
                "missing".into(),
                "public.items".into(),
                "(id)=(2)".into(),
                vec![]
            ),
        ]
    );
    let a = diff(
        src.url(),
        dst.url(),
        &["--apply", "--json", "--tables", "items", "gone"],
    );
    expect_code(&a, 0, "diff --apply");
    assert_eq!(table_event(&a, "public.items")["applied"]["upserted"], 3000);
    assert_eq!(table_event(&a, "public.gone")["applied"]["deleted"], 2500);
    let again = diff(src.url(), dst.url(), &[]);
    expect_code(&again, 0, "diff after --apply");
    assert_eq!(
        dst.scalar("SELECT count(*) FROM gone").as_deref(),
        Some("0")
    );
}

#[test]
fn apply_moves_the_targets_sequences_past_the_rows_it_wrote() {
    let Some(src) = PgTestDb::create("diffseq_src") else {
        return;
    };
    let Some(dst) = PgTestDb::create("diffseq_dst") else {
        return;
    };
    let table = "CREATE TABLE ids (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, v text); \
                 CREATE TABLE sers (id serial PRIMARY KEY, v text);";
    src.exec(table);
    src.exec(
        "INSERT INTO ids (v) SELECT 'v' || g FROM generate_series(1, 150) g; \
         INSERT INTO sers (v) SELECT 'v' || g FROM generate_series(1, 80) g",
    );
    dst.exec(table);
    let a = diff(src.url(), dst.url(), &["--apply"]);
    expect_code(&a, 0, "diff --apply");
    // The target's own inserts continue after the repaired rows instead of colliding with them.
    assert_eq!(
        dst.scalar("INSERT INTO ids (v) VALUES ('after') RETURNING id")
            .as_deref(),
        Some("151")
    );
    assert_eq!(
        dst.scalar("INSERT INTO sers (v) VALUES ('after') RETURNING id")
            .as_deref(),
        Some("81")
    );
}
