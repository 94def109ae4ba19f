//! `haul sync`: arguments to options, the run, and the report (text or `--json` events).

use anyhow::Context;
use haul_engine::sync::{Since, SyncOptions, SyncReport};

use crate::cli::SyncArgs;
use crate::output::{group_digits, json_line, name_width};
use crate::{OK, PARTIAL, cancel_on_ctrl_c, observer};

pub(crate) async fn run(args: SyncArgs, json: bool, quiet: bool) -> anyhow::Result<u8> {
    let src = crate::database_source(&args.source)?;
    let dst = crate::database_url(&args.target, "target")?;
    let since = match (args.since, args.since_dump) {
        (Some(t), _) => Since::Value(t),
        (None, Some(dir)) => Since::Dump(dir),
        (None, None) => Since::Watermark,
    };
    let opts = SyncOptions {
        selection: crate::selection(&args.select),
        jobs: usize::from(args.jobs),
        column: args.column,
        since,
        overlap: args.overlap,
        deletes: args.deletes,
        ..SyncOptions::default()
    };
    let cancel = cancel_on_ctrl_c(quiet || json);
    let (observer, ticker) = observer(json, quiet);
    let result = haul_engine::sync::sync(&src, &dst, &opts, observer, cancel).await;
    ticker.abort();
    let report = result.with_context(|| format!("syncing {dst} from {src}"))?;
    if json {
        for t in &report.tables {
            json_line("sync_table", t);
        }
        json_line(
            "sync",
            &serde_json::json!({
                "source": report.source,
                "target": report.target,
                "snapshot": report.snapshot,
                "column": report.column,
                "ok": report.ok(),
                "tables": report.tables.len(),
                "upserted": report.tables.iter().map(|t| t.upserted).sum::<u64>(),
                "deleted": report.tables.iter().filter_map(|t| t.deleted).sum::<u64>(),
                "failed_chunks": report.failed_chunks,
                "seconds": report.seconds,
            }),
        );
    } else if !quiet {
        print_text(&report);
    }
    Ok(if report.ok() { OK } else { PARTIAL })
}

fn print_text(r: &SyncReport) {
    let w = name_width(r.tables.iter().map(|t| t.table.as_str()));
    println!(
        "{:<w$}  {:>10}  {:>10}  window ({} > … <= …)",
        "table", "upserted", "deleted", r.column
    );
    for t in &r.tables {
        let deleted = t.deleted.map_or("-".to_string(), group_digits);
        let high = t.high.as_deref().unwrap_or("(empty table)");
        println!(
            "{:<w$}  {:>10}  {:>10}  {} .. {high}{}",
            t.table,
            group_digits(t.upserted),
            deleted,
            t.lower,
            if t.resumed { " (resumed)" } else { "" }
        );
    }
    for f in &r.failed_chunks {
        println!("FAILED {}  {}", f.chunk, f.error);
    }
    if r.ok() {
        println!(
            "sync finished in {:.1}s; the next `haul sync` without --since continues from the recorded watermark",
            r.seconds
        );
    } else {
        println!(
            "sync finished with {} failed chunk(s): rerun the same command to resume the same window (the watermark did not move)",
            r.failed_chunks.len()
        );
    }
}
