//! `haul load`: arguments to options, the run, and the end-of-load report.

use anyhow::Context;
use haul_engine::endpoint::Endpoint;
use haul_engine::load::{IfExists, LoadOptions, LoadReport};
use haul_engine::mysql::from_pg::NumericAs;

use crate::cli::{CopyArgs, IfExistsArg, LoadArgs};
use crate::output::{json_line, print_summary};
use crate::{OK, PARTIAL, cancel_on_ctrl_c, observer};

pub(crate) async fn run(args: LoadArgs, json: bool, quiet: bool) -> anyhow::Result<u8> {
    let dst = crate::database_url(&args.target, "target")?;
    let opts = LoadOptions {
        jobs: usize::from(args.jobs),
        if_exists: if_exists(args.if_exists),
        partial: args.partial,
        numeric_as: numeric_as(args.numeric_as_text),
        ..LoadOptions::default()
    };
    if args.numeric_as_text && !matches!(dst, Endpoint::MySql(_)) {
        anyhow::bail!(haul_engine::EngineError::Usage(
            "--numeric-as-text is for a PostgreSQL dump loaded into MySQL/MariaDB".into()
        ));
    }
    let cancel = cancel_on_ctrl_c(quiet || json);
    let (observer, ticker) = observer(json, quiet);
    let result = match &dst {
        Endpoint::MySql(my) => {
            haul_engine::mysql::load::load(&args.dir, my, &opts, observer, cancel).await
        }
        Endpoint::Postgres(pg) => {
            haul_engine::load::load(&args.dir, pg, &opts, observer, cancel).await
        }
        Endpoint::Dir(p) => Err(haul_engine::EngineError::Usage(format!(
            "the target must be a database URL, got the path `{}`",
            p.display()
        ))),
    };
    ticker.abort();
    let report = result.with_context(|| format!("loading `{}` into {dst}", args.dir.display()))?;
    print_report("load", &report, json, quiet);
    Ok(if report.ok() { OK } else { PARTIAL })
}

fn numeric_as(text: bool) -> NumericAs {
    if text {
        NumericAs::Text
    } else {
        NumericAs::Decimal
    }
}

fn if_exists(a: IfExistsArg) -> IfExists {
    match a {
        IfExistsArg::Error => IfExists::Error,
        IfExistsArg::Truncate => IfExists::Truncate,
        IfExistsArg::Append => IfExists::Append,
        IfExistsArg::Replace => IfExists::Replace,
    }
}

/// `haul copy`.
pub(crate) async fn run_copy(args: CopyArgs, json: bool, quiet: bool) -> anyhow::Result<u8> {
    let src = crate::database_source(&args.source)?;
    let dst = crate::database_url(&args.target, "target")?;
    let opts = haul_engine::copy::CopyOptions {
        selection: crate::selection(&args.select),
        jobs: usize::from(args.jobs),
        if_exists: if_exists(args.if_exists),
        keep: args.keep.clone(),
        compression: args.compression,
        numeric_as: numeric_as(args.numeric_as_text),
        ..Default::default()
    };
    if args.numeric_as_text && !matches!((&src, &dst), (Endpoint::Postgres(_), Endpoint::MySql(_)))
    {
        anyhow::bail!(haul_engine::EngineError::Usage(
            "--numeric-as-text is for a copy from PostgreSQL into MySQL/MariaDB".into()
        ));
    }
    let cancel = cancel_on_ctrl_c(quiet || json);
    let (observer, ticker) = observer(json, quiet);
    let result = match (&src, &dst) {
        (Endpoint::Postgres(s), Endpoint::Postgres(d)) => {
            haul_engine::copy::copy(s, d, &opts, observer, cancel).await
        }
        (Endpoint::MySql(s), d) => {
            haul_engine::mysql::copy::copy(s, d, &opts, observer, cancel).await
        }
        (Endpoint::Postgres(s), Endpoint::MySql(d)) => {
            haul_engine::mysql::copy::copy_from_pg(s, d, &opts, observer, cancel).await
        }
        (s, d) => Err(haul_engine::EngineError::Usage(format!(
            "cannot copy {s} into {d}: the target must be a database URL"
        ))),
    };
    ticker.abort();
    let report = result.with_context(|| format!("copying {src} into {dst}"))?;
    print_report("copy", &report, json, quiet);
    Ok(if report.ok() { OK } else { PARTIAL })
}

/// The load's summary, its failed steps and what it did not recreate.
pub(crate) fn print_report(what: &str, report: &LoadReport, json: bool, quiet: bool) {
    if json {
        json_line(
            &format!("{what}_report"),
            &serde_json::json!({
                "ok": report.ok(),
                "already_loaded": report.already_loaded,
                "failed_steps": report.failed_steps,
                "not_recreated": report.not_recreated,
            }),
        );
        return;
    }
    if report.already_loaded {
        return;
    }
    if !quiet {
        print_summary(what, &report.summary);
    }
    for f in &report.failed_steps {
        println!("FAILED {}: {}", f.what, f.error);
    }
    if !report.not_recreated.is_empty() && !quiet {
        println!(
            "not recreated by haul ({}); recreate them from the source (e.g. `pg_dump --schema-only`) if you need them:",
            report.not_recreated.len()
        );
        for o in &report.not_recreated {
            println!("  {o}");
        }
    }
}
