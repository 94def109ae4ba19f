//! `haul diff` with MySQL/MariaDB on either side: MySQL → MySQL, and across engines after a
//! `haul copy` either way (PostgreSQL → MySQL, MySQL → PostgreSQL): equal after the copy, the
//! three corrupted rows reported exactly, repaired exactly by `--apply`, then equal again.
//! Text keys are compared by value, not by the servers' orderings.

mod common;
mod diff_support;

use std::collections::BTreeMap;

use common::run;
use diff_support::*;
use haul_testdata::{MyTestDb, PgTestDb};

const MY_FIXTURE: &str = "
CREATE TABLE items (id int PRIMARY KEY, name varchar(40) NOT NULL, price decimal(10,2),
                    u bigint unsigned, at timestamp(6) NULL, tm time(6), bin varbinary(8),
                    en enum('a','b'), js json);
INSERT INTO items SELECT seq, concat('name ', seq), seq * 1.25, seq * 1000000000000,
                         from_unixtime(1700000000 + seq), sec_to_time(seq * 7), unhex(hex(seq)),
                         IF(seq % 2, 'a', 'b'), json_object('g', seq)
  FROM seq_1_to_3000;
CREATE TABLE words (w varchar(30) PRIMARY KEY, n int);
INSERT INTO words SELECT concat(IF(seq % 2, 'Zeta ', 'alpha '), seq), seq FROM seq_1_to_5000;
CREATE TABLE log (a int, b varchar(5));
INSERT INTO log SELECT seq % 10, 'x' FROM seq_1_to_200;
";

const PG_FIXTURE: &str = "
CREATE TABLE items (id int PRIMARY KEY, name varchar(40) NOT NULL, price numeric(10,2),
                    at timestamptz, span interval, tags int[], uid uuid, doc jsonb);
INSERT INTO items SELECT g, 'name ' || g, g * 1.25, '2024-01-01'::timestamptz + g * interval '1 min',
                         g * interval '1 second', ARRAY[g, NULL], md5(g::text)::uuid,
                         jsonb_build_object('g', g)
  FROM generate_series(1, 3000) g;
CREATE TABLE words (w varchar(30) PRIMARY KEY, n int);
INSERT INTO words SELECT CASE WHEN g % 2 = 1 THEN 'Zeta ' ELSE 'alpha ' END || g, g
  FROM generate_series(1, 5000) g;
ANALYZE;
";

const CORRUPT: &str = "UPDATE items SET name = 'changed' WHERE id = 42; \
     DELETE FROM items WHERE id = 17; INSERT INTO items (id, name) VALUES (9001, 'extra')";

fn my_rows(db: &MyTestDb) -> BTreeMap<String, String> {
    db.query_strings(
        "SELECT id, CONCAT_WS('|', name, price, u, at, tm, HEX(bin), en, js) FROM items",
    )
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
fn mysql_to_mysql_three_rows_reported_and_repaired() {
    let (Some(src), Some(dst)) = (MyTestDb::create("dm_src"), MyTestDb::create("dm_dst")) else {
        return;
    };
    src.exec(MY_FIXTURE);
    let r = run(&["copy", src.url(), dst.url(), "--chunk-bytes", "32KiB", "-q"]);
    expect_code(&r, 0, "haul copy");
    let equal = diff(src.url(), dst.url(), &["--json"]);
    expect_code(&equal, 0, "diff of a fresh copy");
    assert!(equal.events_of("chunk_done").len() > 3, "{}", equal.stdout);
    let table = format!("{}.items", src.name());
    assert_eq!(table_event(&equal, &table)["source_rows"], 3000);

    dst.exec(CORRUPT);
    expect_three(src.url(), dst.url(), &table, "name");
    let before = my_rows(&dst);
    expect_repaired(src.url(), dst.url(), &table);
    let after = my_rows(&dst);
    let rewritten: Vec<&String> = after
        .iter()
        .filter(|(id, v)| before.get(*id) != Some(*v))
        .map(|(id, _)| id)
        .collect();
    assert_eq!(
        rewritten,
        ["17", "42"],
        "only the repaired rows differ from before"
    );
    assert_eq!(after.len(), 3000);
    assert_eq!(after, my_rows(&src));

    // A table without a key: reported with its counts, not repaired.
    dst.exec("INSERT INTO log VALUES (4, 'x')");
    let r = diff(src.url(), dst.url(), &["--json", "--apply"]);
    expect_code(&r, 1, "diff --apply with a keyless difference");
    assert_eq!(
        json_rows(&r),
        [(
            "extra".into(),
            format!("{}.log", src.name()),
            "(a, b)=(4, 'x')".into(),
            vec![]
        )]
    );
    let row = &r.events_of("diff_row")[0]["data"];
    assert_eq!(
        (&row["source_count"], &row["target_count"]),
        (&20.into(), &21.into())
    );
}

#[test]
fn postgresql_to_mysql_after_a_copy() {
    let (Some(src), Some(dst)) = (PgTestDb::create("dpm_src"), MyTestDb::create("dpm_dst")) else {
        return;
    };
    src.exec(PG_FIXTURE);
    let r = run(&["copy", src.url(), dst.url(), "--chunk-bytes", "32KiB", "-q"]);
    expect_code(&r, 0, "haul copy");
    let equal = diff(src.url(), dst.url(), &["--json"]);
    expect_code(&equal, 0, "diff of a fresh copy");
    assert_eq!(summary(&equal)["equal"], true);

    dst.exec(&format!(
        "{CORRUPT}; UPDATE words SET n = -1 WHERE w = 'Zeta 7'"
    ));
    let r = diff(src.url(), dst.url(), &["--json", "--tables", "words"]);
    expect_code(&r, 1, "diff of words");
    assert_eq!(
        json_rows(&r),
        [(
            "changed".into(),
            "public.words".into(),
            "(w)=('Zeta 7')".into(),
            vec!["n".into()]
        )]
    );
    dst.exec("UPDATE words SET n = 7 WHERE w = 'Zeta 7'");
    expect_three(src.url(), dst.url(), "public.items", "name");
    expect_repaired(src.url(), dst.url(), "public.items");
    assert_eq!(
        dst.scalar("SELECT CONCAT(name, '|', uid, '|', span) FROM items WHERE id = 17"),
        src.scalar("SELECT name || '|' || uid || '|' || span FROM items WHERE id = 17")
    );
}

#[test]
fn mysql_to_postgresql_after_a_copy() {
    let (Some(src), Some(dst)) = (MyTestDb::create("dmp_src"), PgTestDb::create("dmp_dst")) else {
        return;
    };
    src.exec(MY_FIXTURE);
    let r = run(&["copy", src.url(), dst.url(), "--chunk-bytes", "32KiB", "-q"]);
    expect_code(&r, 0, "haul copy");
    let equal = diff(src.url(), dst.url(), &["--json"]);
    expect_code(&equal, 0, "diff of a fresh copy");
    assert_eq!(summary(&equal)["equal"], true);

    // Text keys collate differently in MariaDB (case-insensitive) and PostgreSQL: the table
    // is compared whole, by key value.
    dst.exec(&format!(
        "{CORRUPT}; DELETE FROM words WHERE w = 'alpha 10'; INSERT INTO words VALUES ('beta', 1)"
    ));
    let words = format!("{}.words", src.name());
    let r = diff(src.url(), dst.url(), &["--json", "--tables", "words"]);
    expect_code(&r, 1, "diff of words");
    assert_eq!(
        json_rows(&r),
        [
            ("extra".into(), words.clone(), "(w)=('beta')".into(), vec![]),
            (
                "missing".into(),
                words.clone(),
                "(w)=('alpha 10')".into(),
                vec![]
            ),
        ]
    );
    assert!(
        r.events_of("chunk_done")
            .iter()
            .any(|e| e["data"]["chunk"] == format!("{words}#*"))
    );

    let table = format!("{}.items", src.name());
    let xmins = |db: &PgTestDb| -> BTreeMap<String, String> {
        db.query("SELECT id::text, xmin::text FROM items")
            .into_iter()
            .map(|r| {
                (
                    r[0].clone().unwrap_or_default(),
                    r[1].clone().unwrap_or_default(),
                )
            })
            .collect()
    };
    let r = diff(src.url(), dst.url(), &["--json", "--tables", "items"]);
    expect_code(&r, 1, "diff of items");
    assert_eq!(json_rows(&r), three(&table, "name"));
    let before = xmins(&dst);
    let a = diff(src.url(), dst.url(), &["--apply"]);
    expect_code(&a, 0, "diff --apply");
    let after = xmins(&dst);
    let rewritten: Vec<&String> = after
        .iter()
        .filter(|(id, x)| before.get(*id) != Some(*x))
        .map(|(id, _)| id)
        .collect();
    assert_eq!(rewritten, ["17", "42"]);
    let again = diff(src.url(), dst.url(), &[]);
    expect_code(&again, 0, "diff after --apply");
    assert_eq!(
        dst.scalar("SELECT count(*) FROM words WHERE w = 'beta'")
            .as_deref(),
        Some("0")
    );
}
