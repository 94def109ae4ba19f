//! `haul diff`: arguments to options, the run, and the report (text or `--json` events).

use anyhow::Context;
use haul_engine::diff::{DiffOptions, DiffReport, RowKind, TableDiff, TableStatus};

use crate::cli::DiffArgs;
use crate::output::{group_digits, json_line, name_width};
use crate::{OK, PARTIAL, cancel_on_ctrl_c, observer};

/// Exit code when a chunk could not be compared.
const FAILED: u8 = 2;

pub(crate) async fn run(args: DiffArgs, json: bool, quiet: bool) -> anyhow::Result<u8> {
    let src = crate::database_source(&args.source)?;
    let dst = crate::database_url(&args.target, "target")?;
    let opts = DiffOptions {
        selection: crate::selection(&args.select),
        jobs: usize::from(args.jobs),
        apply: args.apply,
        max_rows: args.max_rows,
        map_cap: usize::try_from(args.map_cap).unwrap_or(usize::MAX),
        ..DiffOptions::default()
    };
    let cancel = cancel_on_ctrl_c(quiet || json);
    let (observer, ticker) = observer(json, quiet);
    let result = haul_engine::diff::diff(&src, &dst, &opts, observer, cancel).await;
    ticker.abort();
    let report = result.with_context(|| {
        if args.apply {
            format!("repairing {dst} from {src}")
        } else {
            format!("comparing {src} with {dst}")
        }
    })?;
    if json {
        print_json(&report);
    } else {
        print_text(&report, quiet);
    }
    Ok(if !report.failed_chunks.is_empty() {
        FAILED
    } else if report.equal() || (report.apply && report.all_repaired()) {
        OK
    } else {
        PARTIAL
    })
}

fn print_json(r: &DiffReport) {
    for t in &r.tables {
        for row in &t.rows {
            json_line("diff_row", row);
        }
    }
    for t in &r.tables {
        json_line("diff_table", t);
    }
    let count = |s: TableStatus| r.tables.iter().filter(|t| t.status == s).count();
    json_line(
        "diff",
        &serde_json::json!({
            "source": r.source,
            "target": r.target,
            "snapshot": r.snapshot,
            "equal": r.equal(),
            "apply": r.apply,
            "repaired": r.apply && r.all_repaired(),
            "tables": r.tables.len(),
            "tables_differing": r.tables.iter().filter(|t| t.differs()).count(),
            "missing_in_target": count(TableStatus::MissingInTarget),
            "only_in_target": count(TableStatus::OnlyInTarget),
            "columns_differ": count(TableStatus::ColumnsDiffer),
            "rows_missing": r.tables.iter().map(|t| t.missing).sum::<u64>(),
            "rows_extra": r.tables.iter().map(|t| t.extra).sum::<u64>(),
            "rows_changed": r.tables.iter().map(|t| t.changed).sum::<u64>(),
            "failed_chunks": r.failed_chunks,
            "seconds": r.seconds,
        }),
    );
}

fn kind_word(k: RowKind) -> &'static str {
    match k {
        RowKind::Missing => "MISSING",
        RowKind::Extra => "EXTRA",
        RowKind::Changed => "CHANGED",
    }
}

fn result_word(t: &TableDiff) -> String {
    let base = match t.status {
        TableStatus::Equal => "equal".to_string(),
        TableStatus::Differs if t.repaired() => "repaired".to_string(),
        TableStatus::Differs if !t.keyed => "differs (no key: not repairable)".to_string(),
        TableStatus::Differs => "differs".to_string(),
        TableStatus::MissingInTarget => "missing in the target".to_string(),
        TableStatus::OnlyInTarget => "only in the target".to_string(),
        TableStatus::ColumnsDiffer => "columns differ".to_string(),
        TableStatus::Failed => "not compared (a chunk failed)".to_string(),
    };
    match (&t.detail, t.status) {
        (Some(d), TableStatus::ColumnsDiffer) => format!("{base}: {d}"),
        _ => base,
    }
}

fn print_text(r: &DiffReport, quiet: bool) {
    let w = name_width(r.tables.iter().map(|t| t.table.as_str()));
    for t in &r.tables {
        for row in &t.rows {
            let mut line = format!("{:<7}  {:<w$}  {}", kind_word(row.kind), t.table, row.text);
            if !row.columns.is_empty() {
                line.push_str(&format!("  columns: {}", row.columns.join(", ")));
            }
            if let (Some(s), Some(d)) = (row.source_count, row.target_count) {
                line.push_str(&format!("  (source has {s}, target {d})"));
            }
            println!("{line}");
        }
        if t.not_listed > 0 {
            println!(
                "{:<7}  {:<w$}  … and {} more differing row(s) (--max-rows lists more)",
                "",
                t.table,
                group_digits(t.not_listed)
            );
        }
    }
    for f in &r.failed_chunks {
        println!("FAILED   chunk `{}`: {}", f.chunk, f.error);
    }
    if quiet {
        return;
    }
    let num = |v: Option<u64>| v.map(group_digits).unwrap_or_else(|| "-".into());
    let cnt = |t: &TableDiff, v: u64| {
        if t.source_rows.is_some() {
            group_digits(v)
        } else {
            "-".into()
        }
    };
    println!(
        "{:<w$}  {:>12}  {:>12}  {:>8}  {:>8}  {:>8}  RESULT",
        "TABLE", "SOURCE ROWS", "TARGET ROWS", "MISSING", "EXTRA", "CHANGED"
    );
    for t in &r.tables {
        println!(
            "{:<w$}  {:>12}  {:>12}  {:>8}  {:>8}  {:>8}  {}",
            t.table,
            num(t.source_rows),
            num(t.target_rows),
            cnt(t, t.missing),
            cnt(t, t.extra),
            cnt(t, t.changed),
            result_word(t)
        );
    }
    let differing = r.tables.iter().filter(|t| t.differs()).count();
    let rows: u64 = r
        .tables
        .iter()
        .map(|t| t.missing + t.extra + t.changed)
        .sum();
    if r.equal() {
        println!(
            "equal: {} table(s), {} rows, in {:.1}s",
            r.tables.len(),
            group_digits(r.tables.iter().filter_map(|t| t.source_rows).sum()),
            r.seconds
        );
    } else {
        println!(
            "{differing} of {} table(s) differ, {} row(s) missing, extra or changed, in {:.1}s",
            r.tables.len(),
            group_digits(rows),
            r.seconds
        );
    }
    if r.apply {
        let upserted: u64 = r
            .tables
            .iter()
            .filter_map(|t| t.applied)
            .map(|a| a.upserted)
            .sum();
        let deleted: u64 = r
            .tables
            .iter()
            .filter_map(|t| t.applied)
            .map(|a| a.deleted)
            .sum();
        let repaired = r.tables.iter().filter(|t| t.repaired()).count();
        println!(
            "repaired {repaired} table(s): {} row(s) upserted, {} deleted{}",
            group_digits(upserted),
            group_digits(deleted),
            if r.all_repaired() {
                String::new()
            } else {
                "; the tables not marked repaired above still differ".into()
            }
        );
        let keyless: Vec<&str> = r
            .tables
            .iter()
            .filter(|t| t.status == TableStatus::Differs && !t.keyed)
            .map(|t| t.table.as_str())
            .collect();
        if !keyless.is_empty() {
            println!(
                "not repaired, no primary key or NOT NULL unique key to address rows by: {} (copy such a table again with `haul copy --tables … --if-exists truncate`)",
                keyless.join(", ")
            );
        }
    }
}
