//! Names across engines (docs/types.md, "Names" in each cross-engine section): MySQL names
//! PostgreSQL would cut to 63 bytes are refused before anything is created, long index and
//! constraint names are shortened and reported, and PostgreSQL names MySQL cannot tell apart
//! or hold are refused (columns) or renamed and reported (indexes).

mod common;

use common::run;
use haul_testdata::{MyTestDb, PgTestDb};

/// A name of exactly `n` characters starting with `head`.
fn name_of(head: &str, n: usize) -> String {
    let mut s = head.to_string();
    while s.chars().count() < n {
        s.push('x');
    }
    s
}

/// The tables of `public` in a PostgreSQL database.
fn pg_tables(db: &PgTestDb) -> Vec<String> {
    db.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
        .into_iter()
        .filter_map(|r| r[0].clone())
        .collect()
}

/// The tables of a MySQL database, haul's journal left out, in byte order.
fn my_tables(db: &MyTestDb) -> Vec<String> {
    let mut names: Vec<String> = db
        .query_strings(
            "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() \
             AND TABLE_NAME NOT LIKE '\\_haul%'",
        )
        .into_iter()
        .filter_map(|r| r[0].clone())
        .collect();
    names.sort();
    names
}

#[test]
fn mysql_names_longer_than_63_bytes_are_refused_before_anything_is_created() {
    let (Some(src), Some(dst)) = (MyTestDb::create("id_long_src"), PgTestDb::create("id_long"))
    else {
        return;
    };
    let long_table = name_of("orders_", 64);
    let long_column = name_of("amount_", 64);
    src.exec(&format!(
        "CREATE TABLE `{long_table}` (id int PRIMARY KEY, v int);
         CREATE TABLE wide (id int PRIMARY KEY, `{long_column}` int);
         CREATE TABLE fine (id int PRIMARY KEY, v varchar(10));
         INSERT INTO `{long_table}` VALUES (1, 1);
         INSERT INTO wide VALUES (1, 2);
         INSERT INTO fine VALUES (1, 'a'), (2, 'b');"
    ));
    let refused = |r: &common::Run| {
        assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
        for want in [
            format!("table `{long_table}` (64 bytes)"),
            format!("column `wide`.`{long_column}` (64 bytes)"),
            "63 bytes".to_string(),
            "rename them in MySQL".to_string(),
            format!("--exclude '{long_table}' --exclude 'wide'"),
        ] {
            assert!(r.stderr.contains(&want), "no {want:?} in {}", r.stderr);
        }
        assert!(!r.stderr.contains("'fine'"), "{}", r.stderr);
        assert_eq!(pg_tables(&dst), Vec::<String>::new(), "a table was created");
    };
    refused(&run(&["copy", src.url(), dst.url()]));

    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("d");
    let d = dir.to_str().expect("utf-8");
    let r = run(&["dump", src.url(), d]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    refused(&run(&["load", d, dst.url()]));

    // The way out the message gives works.
    let r = run(&[
        "copy",
        src.url(),
        dst.url(),
        "--exclude",
        &long_table,
        "--exclude",
        "wide",
    ]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(pg_tables(&dst), ["fine"]);
}

#[test]
fn a_multibyte_mysql_name_over_63_bytes_is_refused() {
    let (Some(src), Some(dst)) = (MyTestDb::create("id_mb_src"), PgTestDb::create("id_mb")) else {
        return;
    };
    // 40 characters, 80 bytes: within MySQL's 64 characters, past PostgreSQL's 63 bytes.
    let table = "é".repeat(40);
    let column = "ж".repeat(32);
    assert_eq!((table.chars().count(), table.len()), (40, 80));
    src.exec(&format!(
        "CREATE TABLE `{table}` (id int PRIMARY KEY, `{column}` int);
         INSERT INTO `{table}` VALUES (1, 1);"
    ));
    let r = run(&["copy", src.url(), dst.url()]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    for want in [
        format!("table `{table}` (40 characters, 80 bytes)"),
        format!("column `{table}`.`{column}` (32 characters, 64 bytes)"),
        format!("--exclude '{table}'"),
    ] {
        assert!(r.stderr.contains(&want), "no {want:?} in {}", r.stderr);
    }
    assert_eq!(pg_tables(&dst), Vec::<String>::new(), "a table was created");
}

#[test]
fn long_mysql_index_and_key_names_are_shortened_reported_and_verify() {
    let (Some(src), Some(copied), Some(loaded)) = (
        MyTestDb::create("id_ix_src"),
        PgTestDb::create("id_ix_copied"),
        PgTestDb::create("id_ix_loaded"),
    ) else {
        return;
    };
    // Two 64-character index names that agree in their first 60 characters, and a foreign
    // key whose PostgreSQL name (`items_` + its name) is past 63 bytes.
    let ix1 = name_of("by_value_", 63) + "1";
    let ix2 = name_of("by_value_", 63) + "2";
    let fk = name_of("items_parent_", 60);
    src.exec(&format!(
        "CREATE TABLE parent (id int PRIMARY KEY);
         CREATE TABLE items (id int PRIMARY KEY, parent_id int, v varchar(20), w int,
           KEY `{ix1}` (v), UNIQUE KEY `{ix2}` (w), KEY by_parent (parent_id),
           CONSTRAINT `{fk}` FOREIGN KEY (parent_id) REFERENCES parent (id));
         INSERT INTO parent SELECT seq FROM seq_1_to_10;
         INSERT INTO items SELECT seq, 1 + seq % 10, concat('v', seq), seq FROM seq_1_to_3000;"
    ));
    let r = run(&["copy", src.url(), copied.url(), "--json"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let notes: Vec<String> = r.events_of("copy_report")[0]["data"]["not_recreated"]
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|n| n.as_str().map(str::to_string))
        .collect();
    let renamed: Vec<&String> = notes.iter().filter(|n| n.starts_with("renamed:")).collect();
    assert_eq!(renamed.len(), 3, "{notes:?}");
    for want in [
        format!("index `{ix1}` of `items`"),
        format!("index `{ix2}` of `items`"),
        format!("foreign key `{fk}` of `items`"),
    ] {
        assert!(
            renamed
                .iter()
                .any(|n| n.contains(&want) && n.contains("63 bytes")),
            "no {want:?} in {renamed:?}"
        );
    }

    // The indexes and the key exist under names that fit, each one distinct, as reported.
    let indexes = |db: &PgTestDb| -> Vec<(String, String)> {
        db.query("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'items' ORDER BY 1")
            .into_iter()
            .map(|r| (r[0].clone().expect("name"), r[1].clone().expect("def")))
            .collect()
    };
    let got = indexes(&copied);
    assert_eq!(got.len(), 4, "{got:?}");
    for (name, def) in &got {
        assert!(name.len() <= 63, "{name}");
        let short = name.starts_with("items_by_value_xxx");
        assert_eq!(
            short,
            renamed.iter().any(|n| n.contains(&format!("`{name}`"))),
            "{name} is renamed but not reported, or reported but not renamed"
        );
        if short {
            assert!(def.contains("(v)") || def.contains("UNIQUE"), "{def}");
        }
    }
    assert!(got.iter().any(|(n, _)| n == "items_by_parent"), "{got:?}");
    assert!(got.iter().any(|(n, _)| n == "items_pkey"), "{got:?}");
    let fks = copied.query(
        "SELECT conname FROM pg_constraint WHERE conrelid = 'public.items'::regclass AND contype = 'f'",
    );
    assert_eq!(fks.len(), 1, "{fks:?}");
    let fk_name = fks[0][0].clone().expect("a name");
    assert!(fk_name.len() <= 63, "{fk_name}");
    assert!(renamed.iter().any(|n| n.contains(&format!("`{fk_name}`"))));
    assert!(
        common::try_exec(
            copied.url(),
            "INSERT INTO items VALUES (9999, 99, 'x', 9999)"
        )
        .is_err(),
        "the foreign key does not hold"
    );
    assert!(
        common::try_exec(copied.url(), "INSERT INTO items VALUES (9999, 1, 'x', 5)").is_err(),
        "the unique index does not hold"
    );

    // A dump loaded into PostgreSQL gets the same names and verifies against the dump.
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("d");
    let d = dir.to_str().expect("utf-8");
    let r = run(&["dump", src.url(), d, "--chunk-bytes", "16KiB"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let r = run(&["load", d, loaded.url()]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("renamed: index"), "{}", r.stdout);
    assert_eq!(
        indexes(&loaded),
        got,
        "the shortened names differ between runs"
    );
    let v = run(&["verify", d, "--against", loaded.url()]);
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);
    let v = run(&["verify", d, "--against", copied.url()]);
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);
}

#[test]
fn postgresql_columns_mysql_cannot_tell_apart_or_hold_are_refused() {
    let (Some(src), Some(dst)) = (PgTestDb::create("id_case_src"), MyTestDb::create("id_case"))
    else {
        return;
    };
    src.exec(
        r#"CREATE TABLE mixed (id int PRIMARY KEY, "a" int, "A" int);
           CREATE TABLE spaced (id int PRIMARY KEY, "x " int);
           CREATE TABLE fine (id int PRIMARY KEY, a int);
           INSERT INTO mixed VALUES (1, 1, 2);
           INSERT INTO spaced VALUES (1, 1);
           INSERT INTO fine VALUES (1, 1);"#,
    );
    let refused = |r: &common::Run| {
        assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
        for want in [
            "table `public.mixed` has columns `a` and `A`",
            "column `public.spaced`.`x ` ends with a space",
            "--exclude 'public.mixed' --exclude 'public.spaced'",
        ] {
            assert!(r.stderr.contains(want), "no {want:?} in {}", r.stderr);
        }
        assert_eq!(my_tables(&dst), Vec::<String>::new(), "a table was created");
    };
    refused(&run(&["copy", src.url(), dst.url()]));
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("d");
    let d = dir.to_str().expect("utf-8");
    let r = run(&["dump", src.url(), d]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    refused(&run(&["load", d, dst.url()]));
}

#[test]
fn postgresql_index_names_differing_in_case_are_renamed_and_tables_follow_the_server() {
    let (Some(src), Some(dst), Some(copied)) = (
        PgTestDb::create("id_ixc_src"),
        MyTestDb::create("id_ixc"),
        MyTestDb::create("id_ixc_copied"),
    ) else {
        return;
    };
    // The journal as an older haul created it (chunk ids compared without case): `public.t#…`
    // and `public.T#…` must still be two chunks.
    dst.exec(
        "CREATE TABLE `_haul_chunks` (job varchar(64) NOT NULL, chunk varchar(700) NOT NULL, \
         table_name varchar(200) NOT NULL, `rows` bigint unsigned NOT NULL, \
         checksum char(32) NOT NULL, PRIMARY KEY (job, chunk)) \
         ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci",
    );
    src.exec(
        r#"CREATE TABLE t (id int PRIMARY KEY, a int, b int);
           CREATE INDEX ix ON t (a);
           CREATE UNIQUE INDEX "IX" ON t (b);
           CREATE INDEX "Primary" ON t (a, b);
           CREATE TABLE "T" (id int PRIMARY KEY);
           INSERT INTO t SELECT g, g % 7, g FROM generate_series(1, 500) g;
           INSERT INTO "T" VALUES (1), (2);"#,
    );
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("d");
    let d = dir.to_str().expect("utf-8");
    let r = run(&["dump", src.url(), d]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let r = run(&["load", d, dst.url(), "--json"]);
    let lctn = dst
        .scalar("SELECT @@lower_case_table_names")
        .expect("a setting");
    if lctn != "0" {
        // The server folds table names: `t` and `T` would be one table.
        assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
        assert!(
            r.stdout.contains("tables `public.t` and `public.T`")
                || r.stdout.contains("tables `public.T` and `public.t`"),
            "{}",
            r.stdout
        );
        assert_eq!(my_tables(&dst), Vec::<String>::new());
        return;
    }
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(my_tables(&dst), ["T", "t"]);
    // Of `ix` and `IX`, the first in the catalog's order keeps its name, the other gets a hash.
    let notes = r.events_of("load_report")[0]["data"]["not_recreated"].to_string();
    assert!(
        notes.contains("renamed: index `Primary` of `public.t`"),
        "{notes}"
    );
    let upper = notes.contains("renamed: index `IX` of `public.t`");
    let lower = notes.contains("renamed: index `ix` of `public.t`");
    assert!(
        upper != lower,
        "exactly one of ix and IX is renamed: {notes}"
    );
    let (kept, renamed) = if upper { ("ix", "IX_") } else { ("IX", "ix_") };
    let keys: Vec<String> = dst
        .query_strings(
            "SELECT DISTINCT INDEX_NAME FROM information_schema.STATISTICS \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 't' ORDER BY 1",
        )
        .into_iter()
        .filter_map(|r| r[0].clone())
        .collect();
    assert_eq!(keys.len(), 4, "{keys:?}");
    assert!(keys.iter().any(|k| k == kept) && keys.iter().any(|k| k == "PRIMARY"));
    assert!(
        keys.iter().any(|k| k.starts_with(renamed))
            && keys.iter().any(|k| k.starts_with("Primary_")),
        "{keys:?}"
    );
    assert!(dst.try_exec("INSERT INTO t VALUES (9999, 1, 5)").is_err());
    let v = run(&["verify", d, "--against", dst.url()]);
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);

    // A copy (a new journal) renames the same index.
    let r = run(&["copy", src.url(), copied.url()]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(my_tables(&copied), ["T", "t"]);
    assert_eq!(copied.scalar("SELECT COUNT(*) FROM t"), Some("500".into()));
    assert_eq!(copied.scalar("SELECT COUNT(*) FROM T"), Some("2".into()));
    let copied_keys: Vec<String> = copied
        .query_strings(
            "SELECT DISTINCT INDEX_NAME FROM information_schema.STATISTICS \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 't' ORDER BY 1",
        )
        .into_iter()
        .filter_map(|r| r[0].clone())
        .collect();
    assert_eq!(copied_keys, keys);
}
