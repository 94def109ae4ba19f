//! `haul load` and `haul verify --against` end to end: PostgreSQL → Parquet → PostgreSQL through
//! the real binary, compared object by object and row by row with the source; what exists in
//! the target (`--if-exists`), and bad input.

mod common;
mod load_support;
mod types_support;

use haul_testdata::{PgTestDb, pg_admin_url, with_dbname};
#[path = "load_support/type_cases.rs"]
mod type_cases;

use load_support::*;
use type_cases::type_cases;

/// A keyed table split into several chunks at 8KiB, a small one, and a keyless one.
const SMALL: &str = "
CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, price numeric(8,2));
INSERT INTO items SELECT g, 'item ' || g, g * 0.5 FROM generate_series(1, 500) g;
CREATE TABLE extra (k text PRIMARY KEY);
INSERT INTO extra SELECT 'k' || g FROM generate_series(1, 20) g;
CREATE TABLE heap (v int, w text);
INSERT INTO heap SELECT g % 100, 'w' || (g % 7) FROM generate_series(1, 3000) g;
ANALYZE;
";

/// The same `items` the dump has, holding three rows of its own.
const ITEMS_BEFORE: &str = "
CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, price numeric(8,2));
INSERT INTO items VALUES (10001, 'old 1', 1), (10002, 'old 2', 2), (10003, 'old 3', 3);
";

/// A source with [`SMALL`] dumped into a temp dir (8KiB chunks).
fn small_dump(tag: &str) -> Option<(PgTestDb, tempfile::TempDir)> {
    let src = PgTestDb::create(tag)?;
    src.exec(SMALL);
    let tmp = tempfile::tempdir().expect("tempdir");
    dump(&src, &tmp.path().join("d"), "8KiB");
    Some((src, tmp))
}

#[test]
fn fixture_round_trip_recreates_tables_keys_indexes_constraints_sequences_and_views() {
    let (Some(src), Some(dst)) = (
        PgTestDb::create("load_rt_src"),
        PgTestDb::create("load_rt_dst"),
    ) else {
        return;
    };
    src.exec(FIXTURE);
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("d");
    dump(&src, &dir, CHUNK_BYTES);
    let orders = journal_chunks(&dir)
        .iter()
        .filter(|c| c.starts_with("public.orders#"))
        .count();
    assert!(orders >= 3, "orders should be split: {orders} chunk(s)");

    let r = load(&dir, dst.url(), &["--jobs", "2"]);
    expect_code(&r, 0, "haul load");
    assert_same_database(&src, &dst, "PG → Parquet → PG");

    // Triggers and functions are reported, never silently dropped.
    assert!(r.stdout.contains("not recreated by haul"), "{}", r.stdout);
    let report: Vec<&str> = r
        .stdout
        .lines()
        .skip_while(|l| !l.contains("not recreated by haul"))
        .collect();
    assert!(
        report
            .iter()
            .any(|l| l.contains("trigger") && l.contains("tags_fill_note")),
        "the trigger is not in the report:\n{}",
        r.stdout
    );
    assert!(
        report
            .iter()
            .any(|l| l.contains("function") && l.contains("fill_note()")),
        "the function is not in the report:\n{}",
        r.stdout
    );
    // …and not recreated.
    assert_eq!(
        dst.scalar("SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal")
            .as_deref(),
        Some("0")
    );
    // The sequences continue where the source's would.
    for (seq, next) in [
        ("invoice_no", "135"),
        ("spare_seq", "1"),
        ("notes_id_seq", "61"),
    ] {
        assert_eq!(
            dst.scalar(&format!("SELECT nextval('{seq}')")).as_deref(),
            Some(next),
            "nextval('{seq}') in the target"
        );
    }
    assert_eq!(
        dst.scalar("INSERT INTO tickets (title) VALUES ('new') RETURNING id")
            .as_deref(),
        Some("1400"),
        "the identity column continues after the source's last value"
    );
}

/// Rows of the type tables that were created: each case's literals plus its NULL row.
fn literals_loaded(cases: &[type_cases::TypeCase], tables: &[String]) -> usize {
    cases
        .iter()
        .filter(|c| tables.contains(&c.table))
        .map(|c| c.literals.len() + 1)
        .sum()
}

/// PG → Parquet → PG (`load`) and PG → PG (`copy`) of every type of the type table.
#[test]
fn every_type_of_the_type_table_round_trips() {
    let (Some(src), Some(dst), Some(copy_dst)) = (
        PgTestDb::create("load_types_src"),
        PgTestDb::create("load_types_dst"),
        PgTestDb::create("load_types_copy"),
    ) else {
        return;
    };
    let cases = type_cases();
    let literals: usize = cases.iter().map(|c| c.literals.len()).sum();
    assert!(
        cases.len() > 60 && literals > 200,
        "type table: {} cases, {literals} literals",
        cases.len()
    );
    eprintln!("{} type cases, {literals} literals", cases.len());
    src.exec(types_support::USER_TYPES);
    for sql in types_support::USER_TYPES_LATER {
        src.exec(sql);
    }
    let version: u32 = src
        .scalar("SHOW server_version_num")
        .and_then(|v| v.parse().ok())
        .expect("server_version_num");
    let mut tables = Vec::new();
    for c in &cases {
        if version < c.min_version {
            eprintln!(
                "skipping {} ({}): needs server_version_num ≥ {}",
                c.ty, c.table, c.min_version
            );
            continue;
        }
        if let Some(ext) = &c.extension {
            let sql = format!("CREATE EXTENSION IF NOT EXISTS {ext}");
            if let Err(e) = common::try_exec(src.url(), &sql) {
                eprintln!("skipping {} ({}): {sql} failed: {e}", c.ty, c.table);
                continue;
            }
            // Extensions are not recreated by haul: the target gets it first, as a user would.
            dst.exec(&sql);
            copy_dst.exec(&sql);
        }
        let values: Vec<String> = c
            .literals
            .iter()
            .enumerate()
            .map(|(i, l)| format!("({}, {l})", i + 1))
            .chain([format!("({}, NULL)", c.literals.len() + 1)])
            .collect();
        src.exec(&format!(
            "CREATE TABLE {t} (id int PRIMARY KEY, v {ty}); INSERT INTO {t} VALUES {};",
            values.join(", "),
            t = c.table,
            ty = c.ty
        ));
        tables.push(c.table.clone());
    }
    // haul does not recreate composite types (it says so): the user creates them first.
    dst.exec("CREATE TYPE pair AS (a int, b text)");
    copy_dst.exec("CREATE TYPE pair AS (a int, b text)");

    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("d");
    dump(&src, &dir, "128MiB");
    let r = load(&dir, dst.url(), &["--jobs", "2"]);
    expect_code(&r, 0, "haul load of the type table");
    let r = common::run(&["copy", src.url(), copy_dst.url(), "--jobs", "2"]);
    expect_code(&r, 0, "haul copy of the type table");
    for (how, target) in [("load", &dst), ("copy", &copy_dst)] {
        let failures = type_table_differences(&src, target, &tables);
        assert!(
            failures.is_empty(),
            "{} difference(s) after the {how}:\n  {}",
            failures.len(),
            failures.join("\n  ")
        );
    }
    let total = literals_loaded(&cases, &tables);
    assert_eq!(
        src.scalar(&format!(
            "SELECT ({})",
            tables
                .iter()
                .map(|t| format!("(SELECT count(*) FROM {t})"))
                .collect::<Vec<_>>()
                .join(" + ")
        ))
        .and_then(|v| v.parse::<usize>().ok()),
        Some(total),
        "rows of the type table in the source"
    );
}

/// Column types and every row (as text) that differ between `src` and `dst`.
fn type_table_differences(src: &PgTestDb, dst: &PgTestDb, tables: &[String]) -> Vec<String> {
    let types_sql = "SET search_path = ''; \
        SELECT c.relname::text || '.' || a.attname::text, \
               pg_catalog.format_type(a.atttypid, a.atttypmod) \
          FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid \
         WHERE c.relnamespace = 'public'::pg_catalog.regnamespace AND c.relkind = 'r' \
           AND a.attnum > 0 AND NOT a.attisdropped ORDER BY 1";
    let mut failures = Vec::new();
    let (st, dt) = (src.query(types_sql), dst.query(types_sql));
    if st != dt {
        for row in st.iter().filter(|r| !dt.contains(r)) {
            failures.push(format!(
                "column type in the source, not in the target: {row:?}"
            ));
        }
        for row in dt.iter().filter(|r| !st.contains(r)) {
            failures.push(format!(
                "column type in the target, not in the source: {row:?}"
            ));
        }
    }
    // Every row as text, all tables in one query per side.
    let sql: Vec<String> = tables
        .iter()
        .map(|t| format!("SELECT {} AS tbl, id, t::text FROM {t} t", lit(t)))
        .collect();
    let rows = |db: &PgTestDb| -> std::collections::BTreeMap<(String, i64), Option<String>> {
        db.query(&sql.join(" UNION ALL "))
            .into_iter()
            .map(|r| {
                let id = r[1].as_deref().and_then(|v| v.parse().ok()).expect("an id");
                ((r[0].clone().expect("a table"), id), r[2].clone())
            })
            .collect()
    };
    let (a, b) = (rows(src), rows(dst));
    let show = |v: Option<&Option<String>>| types_support::short(&format!("{v:?}"), 200);
    for key in a.keys().chain(b.keys().filter(|k| !a.contains_key(*k))) {
        let (x, y) = (a.get(key), b.get(key));
        if x != y {
            failures.push(format!(
                "{} id {}: source {}, target {}",
                key.0,
                key.1,
                show(x),
                show(y)
            ));
        }
    }
    failures
}

/// Puts `dst` back to holding only `setup` (haul's journal and the dump's tables dropped), so
/// one target serves each `--if-exists` case in turn.
fn reset(dst: &PgTestDb, setup: &str) {
    dst.exec("DROP SCHEMA IF EXISTS haul CASCADE; DROP TABLE IF EXISTS items, extra, heap CASCADE");
    dst.exec(setup);
}

#[test]
fn if_exists_error_truncate_append_replace_and_a_type_mismatch() {
    let Some((src, tmp)) = small_dump("load_ie_src") else {
        return;
    };
    let Some(dst) = PgTestDb::create("load_ie_dst") else {
        return;
    };
    let dir = tmp.path().join("d");
    let same_as_source = |tables: &[&str], mode: &str| {
        for t in tables {
            assert_eq!(
                rows_of(&dst, t),
                rows_of(&src, t),
                "--if-exists {mode}: {t}"
            );
        }
    };

    // error (the default): exit 2 naming the existing table, nothing changed.
    reset(&dst, ITEMS_BEFORE);
    let r = load(&dir, dst.url(), &[]);
    expect_code(&r, 2, "load into a target that has `items`");
    let line = error_line(&r);
    assert!(
        line.contains("items"),
        "the message names the table: {line}"
    );
    assert!(
        !line.contains("extra") && !line.contains("heap"),
        "only existing tables are named: {line}"
    );
    assert_eq!(count(&dst, "items"), 3, "the existing rows are untouched");
    assert!(!exists(&dst, "public.extra") && !exists(&dst, "public.heap"));
    assert_eq!(journal_rows(&dst), 0);

    // truncate: the target's rows are gone, the dump's are in.
    reset(&dst, ITEMS_BEFORE);
    let r = load(&dir, dst.url(), &["--if-exists", "truncate", "--json"]);
    expect_code(&r, 0, "--if-exists truncate");
    assert_eq!(
        r.events_of("load_report")[0]["data"]["ok"],
        true,
        "{}",
        r.stdout
    );
    same_as_source(&["items", "extra", "heap"], "truncate");

    // append: the target's rows are kept, the dump's added once.
    reset(&dst, ITEMS_BEFORE);
    let r = load(&dir, dst.url(), &["--if-exists", "append"]);
    expect_code(&r, 0, "--if-exists append");
    assert_eq!(count(&dst, "items"), 503);
    assert_eq!(
        rows_of(&dst, "(SELECT * FROM items WHERE id > 10000)").0,
        "3",
        "the target's own rows are kept"
    );
    assert_eq!(
        rows_of(&dst, "(SELECT * FROM items WHERE id <= 500)"),
        rows_of(&src, "items"),
        "every dumped row is appended once"
    );
    same_as_source(&["extra", "heap"], "append");

    // replace: a table of another definition is dropped and created from the dump.
    reset(
        &dst,
        "CREATE TABLE items (id text, other int); INSERT INTO items VALUES ('x', 1)",
    );
    let r = load(&dir, dst.url(), &["--if-exists", "replace"]);
    expect_code(&r, 0, "--if-exists replace");
    assert_same_database(&src, &dst, "--if-exists replace");

    // A column of another type: refused before anything changes, naming table and column.
    for mode in ["append", "truncate"] {
        reset(&dst, &ITEMS_BEFORE.replace("name text", "name varchar(10)"));
        let r = load(&dir, dst.url(), &["--if-exists", mode]);
        expect_code(
            &r,
            2,
            &format!("--if-exists {mode} into a different column type"),
        );
        let line = error_line(&r);
        assert!(
            line.contains("items")
                && ["`name`", "\"name\"", " name "]
                    .iter()
                    .any(|n| line.contains(n)),
            "--if-exists {mode}: the message names table and column: {line}"
        );
        assert_eq!(
            count(&dst, "items"),
            3,
            "--if-exists {mode}: rows unchanged"
        );
        assert!(
            !exists(&dst, "public.extra") && !exists(&dst, "public.heap"),
            "--if-exists {mode}: nothing was created"
        );
        assert_eq!(
            journal_rows(&dst),
            0,
            "--if-exists {mode}: no chunk recorded"
        );
    }
}

#[test]
fn a_second_identical_load_says_already_loaded_and_duplicates_nothing() {
    let Some((src, tmp)) = small_dump("load_again_src") else {
        return;
    };
    let Some(dst) = PgTestDb::create("load_again") else {
        return;
    };
    let dir = tmp.path().join("d");
    let chunks = journal_chunks(&dir).len() as u64;
    let first = load(&dir, dst.url(), &["--json"]);
    expect_code(&first, 0, "first load");
    let report = &first.events_of("load_report");
    assert_eq!(report.len(), 1, "one load_report event: {}", first.stdout);
    assert_eq!(report[0]["data"]["ok"], true);
    assert_eq!(report[0]["data"]["already_loaded"], false);
    assert_eq!(journal_rows(&dst), chunks, "one haul.chunks row per chunk");
    let want: Vec<_> = ["items", "extra", "heap"]
        .iter()
        .map(|t| rows_of(&src, t))
        .collect();
    let same = |what: &str| {
        let got: Vec<_> = ["items", "extra", "heap"]
            .iter()
            .map(|t| rows_of(&dst, t))
            .collect();
        assert_eq!(got, want, "{what}: the target's rows");
    };
    same("first load");

    let again = load(&dir, dst.url(), &["--json"]);
    expect_code(&again, 0, "the same load again");
    assert!(
        again
            .events_of("warning")
            .iter()
            .any(|w| w["data"]["message"]
                .as_str()
                .unwrap_or("")
                .contains("already loaded")),
        "{}",
        again.stdout
    );
    assert_eq!(
        again.events_of("load_report")[0]["data"]["already_loaded"],
        true
    );
    assert_eq!(again.events_of("chunk_done").len(), 0);
    same("second load");

    for mode in ["error", "append"] {
        let text = load(&dir, dst.url(), &["--if-exists", mode]);
        expect_code(
            &text,
            0,
            &format!("--if-exists {mode} after a finished load"),
        );
        assert!(
            format!("{}{}", text.stdout, text.stderr).contains("already loaded"),
            "--if-exists {mode}: {}{}",
            text.stdout,
            text.stderr
        );
        same(&format!("--if-exists {mode} again"));
    }
    for mode in ["replace", "truncate"] {
        let reload = load(&dir, dst.url(), &["--if-exists", mode, "--json"]);
        expect_code(
            &reload,
            0,
            &format!("--if-exists {mode} after a finished load"),
        );
        assert_eq!(
            reload.events_of("chunk_done").len() as u64,
            chunks,
            "--if-exists {mode} loads every chunk again"
        );
        same(&format!("--if-exists {mode} reload"));
        assert_eq!(
            journal_rows(&dst),
            chunks,
            "--if-exists {mode}: haul.chunks"
        );
    }
}

#[test]
fn an_unfinished_dump_needs_partial_and_then_loads_only_recorded_chunks() {
    let Some((src, tmp)) = small_dump("load_partial_src") else {
        return;
    };
    let Some(dst) = PgTestDb::create("load_partial") else {
        return;
    };
    let dir = tmp.path().join("d");
    // Forget the journal's last record: that chunk was "never recorded".
    let text = std::fs::read_to_string(dir.join("chunks.jsonl")).expect("journal");
    let mut lines: Vec<&str> = text.lines().collect();
    let last: serde_json::Value =
        serde_json::from_str(lines.pop().expect("a record")).expect("json");
    std::fs::write(dir.join("chunks.jsonl"), lines.join("\n") + "\n").expect("write");
    let lost_chunk = last["chunk"].as_str().expect("chunk").to_string();
    let lost_rows = last["rows"].as_u64().expect("rows");
    let lost_table = lost_chunk.split('#').next().expect("table").to_string();

    let r = load(&dir, dst.url(), &[]);
    expect_code(&r, 2, "load of an unfinished dump");
    assert!(error_line(&r).contains("--partial"), "{}", r.stderr);
    assert!(!exists(&dst, "public.items"), "nothing was created");

    let r = load(&dir, dst.url(), &["--partial", "--json"]);
    expect_code(&r, 0, "--partial");
    for t in ["items", "extra", "heap"] {
        let want = count(&src, t)
            - if lost_table == format!("public.{t}") {
                lost_rows
            } else {
                0
            };
        assert_eq!(
            count(&dst, t),
            want,
            "{t}: only the recorded chunks' rows ({lost_chunk} lost)"
        );
    }
    assert_eq!(journal_rows(&dst), lines.len() as u64);
}

/// A login role dropped at the end of the test.
struct Role(String);
impl Drop for Role {
    fn drop(&mut self) {
        let _ = common::try_exec(&pg_admin_url(), &format!("DROP ROLE IF EXISTS {}", self.0));
    }
}

#[test]
fn a_missing_target_database_or_a_role_without_create_permission() {
    let Some((_src, tmp)) = small_dump("load_perm_src") else {
        return;
    };
    let url = with_dbname(&pg_admin_url(), "haul_no_such_load_target");
    let r = load(&tmp.path().join("d"), &url, &[]);
    expect_code(&r, 2, "load into a missing database");
    let line = error_line(&r);
    assert!(line.contains("haul_no_such_load_target"), "{line}");

    let Some(dst) = PgTestDb::create("load_perm") else {
        return;
    };
    let role = Role(format!("haul_t_noperm_{}", std::process::id()));
    dst.exec(&format!(
        "DROP ROLE IF EXISTS {r}; CREATE ROLE {r} LOGIN; \
         REVOKE CREATE ON DATABASE \"{db}\" FROM PUBLIC; REVOKE CREATE ON SCHEMA public FROM PUBLIC",
        r = role.0,
        db = dst.name()
    ));
    let url = dst.url().replacen("postgres@", &format!("{}@", role.0), 1);
    let r = load(&tmp.path().join("d"), &url, &[]);
    expect_code(&r, 2, "load as a role without CREATE");
    let line = error_line(&r);
    assert!(line.contains("permission"), "{line}");
    assert!(!exists(&dst, "public.items"));
}

#[test]
fn a_column_of_a_type_haul_does_not_create_names_the_table() {
    let (Some(src), Some(dst)) = (
        PgTestDb::create("load_composite_src"),
        PgTestDb::create("load_composite"),
    ) else {
        return;
    };
    src.exec(
        "CREATE TYPE pair AS (a int, b text); \
         CREATE TABLE pairs (id int PRIMARY KEY, p pair); \
         INSERT INTO pairs VALUES (1, ROW(1, 'x')), (2, NULL); \
         CREATE TABLE plain (id int PRIMARY KEY); INSERT INTO plain VALUES (1)",
    );
    let tmp = tempfile::tempdir().expect("tempdir");
    dump(&src, &tmp.path().join("d"), "128MiB");
    let r = load(&tmp.path().join("d"), dst.url(), &[]);
    expect_code(&r, 2, "load of a composite-typed column");
    let line = error_line(&r);
    assert!(
        line.contains("pairs"),
        "the message names the table: {line}"
    );
    assert!(
        !exists(&dst, "public.plain") && !exists(&dst, "public.pairs"),
        "nothing was created"
    );
}

#[test]
fn a_directory_that_is_not_a_dump() {
    let Some(dst) = PgTestDb::create("load_notdump") else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(tmp.path().join("notes.txt"), "not a dump").expect("write");
    let r = load(tmp.path(), dst.url(), &[]);
    expect_code(&r, 2, "load of a directory that is not a dump");
    error_line(&r);
    let r = load(&tmp.path().join("missing"), dst.url(), &[]);
    expect_code(&r, 2, "load of a missing directory");
    error_line(&r);
    assert!(tmp.path().join("notes.txt").exists());
}

#[test]
fn verify_against_the_target_names_the_chunk_that_differs() {
    let Some((_src, tmp)) = small_dump("load_vfy_src") else {
        return;
    };
    let Some(dst) = PgTestDb::create("load_vfy") else {
        return;
    };
    let dir = tmp.path().join("d");
    expect_code(&load(&dir, dst.url(), &[]), 0, "haul load");
    let verify = || common::run(&["verify", p(&dir), "--against", dst.url()]);
    let bad_lines = |r: &common::Run| -> Vec<String> {
        r.stdout
            .lines()
            .filter(|l| l.starts_with("BAD "))
            .map(str::to_string)
            .collect()
    };
    let ok = verify();
    expect_code(&ok, 0, "verify --against right after the load");
    assert!(bad_lines(&ok).is_empty(), "{}", ok.stdout);

    // One changed value: exactly its chunk is reported.
    let chunk = chunk_holding(&dir, "public.items", 250);
    dst.exec("UPDATE items SET price = price + 1 WHERE id = 250");
    let r = verify();
    expect_code(&r, 1, "verify --against after an UPDATE");
    let bad = bad_lines(&r);
    assert_eq!(bad.len(), 1, "one BAD line expected:\n{}", r.stdout);
    assert!(
        bad[0].split_whitespace().nth(1) == Some(chunk.as_str()),
        "the line names {chunk}: {}",
        bad[0]
    );
    dst.exec("UPDATE items SET price = price - 1 WHERE id = 250");
    expect_code(&verify(), 0, "verify --against after undoing the UPDATE");

    // A row gone from a keyless (ctid-split) table: the table is named.
    dst.exec("DELETE FROM heap WHERE ctid = (SELECT min(ctid) FROM heap)");
    let r = verify();
    expect_code(
        &r,
        1,
        "verify --against after a DELETE from a keyless table",
    );
    let bad = bad_lines(&r);
    assert!(!bad.is_empty(), "{}", r.stdout);
    assert!(
        bad.iter().all(|l| l.contains("public.heap")),
        "only public.heap is reported:\n{}",
        r.stdout
    );
}
