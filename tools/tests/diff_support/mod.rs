//! Helpers shared by the `haul diff` tests: running diff, and reading what it reported from
//! its text and `--json` output.

#![allow(dead_code)]

use serde_json::Value;

use crate::common::{Run, run};

/// Runs `haul diff SRC DST EXTRA…` (with `--chunk-bytes 32KiB` unless `extra` sets it).
pub fn diff(src: &str, dst: &str, extra: &[&str]) -> Run {
    let mut args = vec!["diff", src, dst];
    if !extra.contains(&"--chunk-bytes") {
        args.extend(["--chunk-bytes", "32KiB"]);
    }
    args.extend_from_slice(extra);
    run(&args)
}

/// Fails with the run's output unless it exited with `code`.
pub fn expect_code(r: &Run, code: i32, what: &str) {
    assert_eq!(
        r.code, code,
        "{what}: exit {} (wanted {code})\nstdout:\n{}\nstderr:\n{}",
        r.code, r.stdout, r.stderr
    );
}

/// One `diff_row` event as `(kind, table, text, changed columns)`, sorted.
pub type RowLine = (String, String, String, Vec<String>);

/// The `diff_row` events of a `--json` run.
pub fn json_rows(r: &Run) -> Vec<RowLine> {
    let mut rows: Vec<RowLine> = r
        .events_of("diff_row")
        .iter()
        .map(|e| {
            let d = &e["data"];
            let cols = d["columns"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|c| c.as_str().unwrap_or_default().to_string())
                        .collect()
                })
                .unwrap_or_default();
            (
                d["kind"].as_str().unwrap_or_default().to_string(),
                d["table"].as_str().unwrap_or_default().to_string(),
                d["text"].as_str().unwrap_or_default().to_string(),
                cols,
            )
        })
        .collect();
    rows.sort();
    rows
}

/// The row lines of a text run (`KIND  table  key  [columns: …]`), as `(kind, table, rest)`.
pub fn text_rows(r: &Run) -> Vec<(String, String, String)> {
    let mut rows: Vec<(String, String, String)> = r
        .stdout
        .lines()
        .filter(|l| {
            l.starts_with("MISSING ") || l.starts_with("EXTRA ") || l.starts_with("CHANGED ")
        })
        .map(|l| {
            let mut parts = l.splitn(2, ' ');
            let kind = parts.next().unwrap_or_default().to_string();
            let rest = parts.next().unwrap_or_default().trim_start();
            let (table, rest) = rest.split_once(' ').unwrap_or((rest, ""));
            (kind, table.to_string(), rest.trim_start().to_string())
        })
        .collect();
    rows.sort();
    rows
}

/// The `diff_table` event of `table`.
pub fn table_event(r: &Run, table: &str) -> Value {
    r.events_of("diff_table")
        .into_iter()
        .find(|e| e["data"]["table"] == table)
        .unwrap_or_else(|| panic!("no diff_table event for {table}:\n{}", r.stdout))["data"]
        .clone()
}

/// The final `diff` event.
pub fn summary(r: &Run) -> Value {
    let s = r.events_of("diff");
    assert_eq!(s.len(), 1, "one diff event:\n{}", r.stdout);
    s[0]["data"].clone()
}

/// The three differences the corruption tests make, as `json_rows` reports them: `17`
/// missing, `42` changed in `column`, `9001` extra.
pub fn three(table: &str, column: &str) -> Vec<RowLine> {
    let mut v = vec![
        (
            "changed".into(),
            table.into(),
            "(id)=(42)".into(),
            vec![column.to_string()],
        ),
        ("extra".into(), table.into(), "(id)=(9001)".into(), vec![]),
        ("missing".into(), table.into(), "(id)=(17)".into(), vec![]),
    ];
    v.sort();
    v
}

/// The same three as text lines.
pub fn three_text(table: &str, column: &str) -> Vec<(String, String, String)> {
    let mut v = vec![
        (
            "CHANGED".into(),
            table.into(),
            format!("(id)=(42)  columns: {column}"),
        ),
        ("EXTRA".into(), table.into(), "(id)=(9001)".into()),
        ("MISSING".into(), table.into(), "(id)=(17)".into()),
    ];
    v.sort();
    v
}

/// Checks a corrupted run in both forms: exactly the three rows, exit 1; returns the JSON run.
pub fn expect_three(src: &str, dst: &str, table: &str, column: &str) -> Run {
    let text = diff(src, dst, &[]);
    expect_code(&text, 1, "diff of the corrupted target");
    assert_eq!(
        text_rows(&text),
        three_text(table, column),
        "{}",
        text.stdout
    );
    let json = diff(src, dst, &["--json"]);
    expect_code(&json, 1, "diff --json of the corrupted target");
    assert_eq!(json_rows(&json), three(table, column), "{}", json.stdout);
    let t = table_event(&json, table);
    assert_eq!(
        (&t["status"], &t["missing"], &t["extra"], &t["changed"]),
        (
            &Value::from("differs"),
            &Value::from(1),
            &Value::from(1),
            &Value::from(1)
        ),
        "{t}"
    );
    assert_eq!(summary(&json)["equal"], false);
    json
}

/// `--apply` repairs the three rows (two written, one deleted), then a second diff is equal.
pub fn expect_repaired(src: &str, dst: &str, table: &str) {
    let r = diff(src, dst, &["--apply", "--json"]);
    expect_code(&r, 0, "diff --apply");
    let t = table_event(&r, table);
    assert_eq!(t["applied"]["upserted"], 2, "{t}");
    assert_eq!(t["applied"]["deleted"], 1, "{t}");
    assert_eq!(summary(&r)["repaired"], true);
    let again = diff(src, dst, &[]);
    expect_code(&again, 0, "diff after --apply");
    assert!(text_rows(&again).is_empty(), "{}", again.stdout);
    assert!(again.stdout.contains("equal:"), "{}", again.stdout);
}
