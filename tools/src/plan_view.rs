//! `haul plan` as text.

use arrow_schema_display::type_name;
use haul_engine::dump::PlanReport;

use crate::output::{group_digits, human_bytes};

/// Prints the plan: one block per table (size, split and why, chunks, columns with their Arrow
/// types), then warnings.
pub fn print_plan(p: &PlanReport) {
    println!(
        "source: {} (PostgreSQL {}), {} table(s) to dump, {} chunk(s)",
        p.source.url,
        p.source.server_version,
        p.tables.len(),
        p.tables.iter().map(|t| t.chunks.len()).sum::<usize>()
    );
    for t in &p.tables {
        let rows = if t.rows_guessed {
            format!(
                "~{} rows (guessed from size: never analyzed)",
                group_digits(t.estimated_rows)
            )
        } else {
            format!("~{} rows", group_digits(t.estimated_rows))
        };
        println!();
        println!(
            "{}  {rows}, {}, {} chunk(s)",
            t.display_name(),
            human_bytes(t.estimated_bytes),
            t.chunks.len()
        );
        if let Some(parent) = &t.partition_of {
            println!(
                "  partition of {}.{} {}",
                parent.parent_schema, parent.parent_name, parent.bound
            );
        }
        println!("  split: {}", t.split_reason);
        let w = t.columns.iter().map(|c| c.name.len()).max().unwrap_or(4);
        for (c, f) in t.columns.iter().zip(t.arrow_schema.fields()) {
            println!(
                "    {:<w$}  {:<28} -> {}{}",
                c.name,
                c.source_type,
                type_name(f),
                if c.nullable { "" } else { " not null" }
            );
        }
    }
    if !p.partitioned.is_empty() {
        println!();
        for pt in &p.partitioned {
            println!(
                "{}.{} is partitioned ({}): its rows are dumped from its partitions",
                pt.schema,
                pt.name,
                pt.ddl.partition_key.as_deref().unwrap_or("?")
            );
        }
    }
    if !p.warnings.is_empty() {
        println!();
        println!("warnings:");
        for w in &p.warnings {
            println!("  {w}");
        }
    }
}

mod arrow_schema_display {
    use arrow_schema::{DataType, Field, TimeUnit};

    /// `Int32`, `Decimal128(15, 2)`, `Timestamp(µs, UTC)`, `List<Int32>`, `FixedSizeBinary(16) [arrow.uuid]`.
    pub fn type_name(f: &Field) -> String {
        let base = data_type(f.data_type());
        match f.extension_type_name() {
            Some(ext) => format!("{base} [{ext}]"),
            None => base,
        }
    }

    fn data_type(t: &DataType) -> String {
        match t {
            DataType::List(item) => format!("List<{}>", type_name(item)),
            DataType::Struct(fields) => format!(
                "Struct<{}>",
                fields
                    .iter()
                    .map(|f| format!("{}: {}", f.name(), data_type(f.data_type())))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            DataType::Timestamp(unit, tz) => {
                let u = match unit {
                    TimeUnit::Second => "s",
                    TimeUnit::Millisecond => "ms",
                    TimeUnit::Microsecond => "µs",
                    TimeUnit::Nanosecond => "ns",
                };
                match tz {
                    Some(tz) => format!("Timestamp({u}, {tz})"),
                    None => format!("Timestamp({u})"),
                }
            }
            other => other.to_string(),
        }
    }
}
