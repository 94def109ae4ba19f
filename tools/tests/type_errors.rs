//! Values a column's Arrow type cannot hold (docs/types.md): the chunk fails naming table,
//! column and key and saying how to carry the column as text; `plan` warns about every column
//! carried as text.

mod common;
mod types_support;

use arrow::datatypes::DataType;
use common::{read_table, run};
use haul_testdata::PgTestDb;
use types_support::*;

#[test]
fn plan_warns_about_every_column_carried_as_text() {
    let Some(db) = PgTestDb::create("types_plan") else {
        return;
    };
    db.exec(USER_TYPES);
    db.exec(
        "CREATE TABLE mixed (id int PRIMARY KEY, n numeric, r int4range, p point, c pair, \
         tv tsvector, ia inet[], ip inet, mac macaddr, ok int, ts timestamptz, \
         amount numeric(12,2), tags text[], doc jsonb, e mood)",
    );
    let text_carried = ["n", "r", "p", "c", "tv", "ia", "ip", "mac"];
    let native = ["id", "ok", "ts", "amount", "tags", "doc", "e"];

    let r = run(&["plan", db.url(), "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let plan = &r.events_of("plan")[0]["data"];
    let warnings: Vec<String> = plan["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .map(|w| w.as_str().expect("a warning is text").to_string())
        .collect();
    for col in text_carried {
        let name = format!("public.mixed.{col}");
        assert!(
            warnings.iter().any(|w| names(w, &name)),
            "no warning names {name}: {warnings:#?}"
        );
    }
    for col in native {
        let name = format!("public.mixed.{col}");
        assert!(
            !warnings.iter().any(|w| names(w, &name)),
            "{name} is carried natively but plan warns: {warnings:#?}"
        );
    }
    let table = &plan["tables"][0];
    assert_eq!(
        table["warnings"].as_array().map(Vec::len),
        Some(text_carried.len())
    );

    // The text report says the same.
    let t = run(&["plan", db.url()]);
    assert_eq!(t.code, 0, "{}", t.stderr);
    for col in text_carried {
        assert!(
            names(&t.stdout, &format!("public.mixed.{col}")),
            "{}",
            t.stdout
        );
    }

    // --as-text adds its column to the warnings.
    let a = run(&[
        "plan",
        db.url(),
        "--json",
        "--as-text",
        "public.mixed.amount",
    ]);
    assert_eq!(a.code, 0, "{}", a.stderr);
    let w = a.events_of("plan")[0]["data"]["warnings"].to_string();
    assert!(names(&w, "public.mixed.amount"), "{w}");
}

/// Values docs/types.md says cannot be held: the chunk fails naming table, chunk, column and
/// key and suggests `--as-text`; the run goes on (exit 1); `--as-text … --restart` carries them.
/// Every shortfall is collected and reported together.
#[test]
fn values_that_cannot_be_held_fail_their_chunk_until_carried_as_text() {
    let Some(db) = PgTestDb::create("types_value_errors") else {
        return;
    };
    db.exec(
        "CREATE TABLE amounts (id int PRIMARY KEY, amount numeric(10,2)); \
         INSERT INTO amounts VALUES (1, 1.5), (7, 'NaN'), (8, 2); \
         CREATE TABLE grid (id int PRIMARY KEY, a int[]); \
         INSERT INTO grid VALUES (1, '{1}'), (3, '{{1,2},{3,4}}'); \
         CREATE TABLE shifted (k text PRIMARY KEY, a int[]); \
         INSERT INTO shifted VALUES ('x', '[0:1]={7,8}'); \
         CREATE TABLE far (id int PRIMARY KEY, ts timestamp); \
         INSERT INTO far VALUES (1, '2024-01-01'), (5, '294247-01-10 04:00:54.775808'); \
         CREATE TABLE fine (id int PRIMARY KEY, v text); \
         INSERT INTO fine VALUES (1, 'a');",
    );
    // (table, column, the row's key as the error shows it, the value's text form)
    let bad = [
        ("amounts", "amount", "(id)=(7)", "NaN"),
        ("grid", "a", "(id)=(3)", "{{1,2},{3,4}}"),
        ("shifted", "a", "(k)=(", "[0:1]={7,8}"),
        ("far", "ts", "(id)=(5)", "294247-01-10 04:00:54.775808"),
    ];
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("out");
    let dir_s = dir.to_str().expect("utf-8 path");
    let mut problems: Vec<String> = Vec::new();
    let mut check = |ok: bool, what: String| {
        if !ok {
            problems.push(what);
        }
    };

    let r = run(&["dump", db.url(), dir_s, "--json"]);
    assert_eq!(
        r.code, 1,
        "one failed chunk per bad table\n{}{}",
        r.stdout, r.stderr
    );
    let failed = r.events_of("chunk_failed");
    for (table, column, key, _) in bad {
        let Some(ev) = failed
            .iter()
            .find(|e| e["data"]["table"] == format!("public.{table}"))
        else {
            check(false, format!("--json: no chunk_failed for public.{table}"));
            continue;
        };
        let d = &ev["data"];
        let chunk = d["chunk"].as_str().unwrap_or_default();
        check(
            chunk.starts_with(&format!("public.{table}#")),
            format!("--json chunk_failed: chunk {chunk:?} is not a chunk of public.{table}"),
        );
        let err = d["error"].as_str().unwrap_or_default();
        check(
            names(err, column) && err.contains(key),
            format!(
                "--json chunk_failed for {table}: column {column} or key {key} not named: {err}"
            ),
        );
        check(
            err.contains("--as-text"),
            format!("--json chunk_failed for {table}: no --as-text suggestion: {err}"),
        );
        check(
            d["retrying"] == false,
            format!("--json chunk_failed for {table}: a value error is retried: {d}"),
        );
    }
    check(
        failed.len() == bad.len(),
        format!(
            "{} chunk_failed events, {} expected",
            failed.len(),
            bad.len()
        ),
    );
    let finished = &r.events_of("finished")[0]["data"];
    check(finished["ok"] == false, format!("finished.ok: {finished}"));
    check(
        finished["failed_chunks"].as_array().map(Vec::len) == Some(bad.len()),
        format!("finished.failed_chunks: {finished}"),
    );
    let fine: usize = read_table(&dir, "public.fine")
        .iter()
        .map(|b| b.num_rows())
        .sum();
    check(
        fine == 1,
        format!("the run goes on past failed chunks: public.fine has {fine} rows"),
    );

    // Rerun without --json: the failed chunks are tried again and reported on stderr.
    let again = run(&["dump", db.url(), dir_s, "--quiet"]);
    assert_eq!(again.code, 1, "{}", again.stderr);
    for (table, column, key, _) in bad {
        let line = again
            .stderr
            .lines()
            .find(|l| l.contains(&format!("public.{table}#")))
            .unwrap_or_default();
        check(
            names(line, column) && line.contains(key) && line.contains("--as-text"),
            format!(
                "stderr for public.{table}: column {column}, key {key} and --as-text expected: {line:?}"
            ),
        );
    }

    // Carried as text, every value arrives as PostgreSQL prints it.
    let as_text = [
        "public.amounts.amount",
        "public.grid.a",
        "shifted.a",
        "far.ts",
    ];
    let mut args = vec!["dump", db.url(), dir_s, "--quiet", "--restart", "--as-text"];
    args.extend(as_text);
    let fixed = run(&args);
    assert_eq!(fixed.code, 0, "{}", fixed.stderr);
    for (table, column, key, text) in bad {
        let batches = read_table(&dir, &format!("public.{table}"));
        let schema = batches[0].schema();
        let field = schema.field_with_name(column).expect("column");
        check(
            field.data_type() == &DataType::Utf8
                && field.metadata().get("haul.carried_as").map(String::as_str) == Some("text"),
            format!("--as-text {table}.{column}: {field:?}"),
        );
        let values: Vec<Val> = batches
            .iter()
            .flat_map(|b| {
                let col = b.column_by_name(column).expect("column").clone();
                (0..b.num_rows()).map(move |i| cell(col.as_ref(), i))
            })
            .collect();
        check(
            values.contains(&Val::Text(text.to_string())),
            format!("--as-text {table}.{column} (row {key}…): {text:?} not among {values:?}"),
        );
    }
    let amounts = read_table(&dir, "public.amounts");
    let pg_type = amounts[0]
        .schema()
        .field_with_name("amount")
        .expect("amount")
        .metadata()
        .get("haul.pg.type")
        .cloned();
    check(
        pg_type.as_deref() == Some("numeric(10,2)"),
        format!("--as-text keeps haul.pg.type = numeric(10,2): {pg_type:?}"),
    );
    assert!(
        problems.is_empty(),
        "{} problem(s):\n  {}",
        problems.len(),
        problems.join("\n  ")
    );
}

/// docs/types.md: ±infinity are i64::MAX / i64::MIN and "no real timestamp maps to them". The
/// one real timestamp whose microseconds since 1970 are exactly i64::MAX must therefore fail its
/// chunk (like any value past the range) rather than read back as +infinity.
#[test]
fn a_timestamp_equal_to_the_infinity_sentinel_is_not_silently_infinity() {
    let Some(db) = PgTestDb::create("types_sentinel") else {
        return;
    };
    db.exec(
        "CREATE TABLE edge (id int PRIMARY KEY, ts timestamp, tstz timestamptz); \
         INSERT INTO edge VALUES (1, 'infinity', 'infinity'), \
           (2, '294247-01-10 04:00:54.775807', '294247-01-10 04:00:54.775807+00');",
    );
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("out");
    let r = run(&[
        "dump",
        db.url(),
        dir.to_str().expect("utf-8 path"),
        "--quiet",
    ]);
    if r.code == 0 {
        let batches = read_table(&dir, "public.edge");
        let b = &batches[0];
        let ts = b.column_by_name("ts").expect("ts");
        panic!(
            "294247-01-10 04:00:54.775807 was dumped as {:?}, the same value as 'infinity' ({:?}): \
             the two can no longer be told apart",
            cell(ts.as_ref(), 1),
            cell(ts.as_ref(), 0)
        );
    }
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("(id)=(2)") && r.stderr.contains("--as-text"),
        "{}",
        r.stderr
    );
}
