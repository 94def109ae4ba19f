//! The type contract (docs/types.md), end to end: each row is a SQL literal and the value that
//! must be read back from the Parquet file `haul dump` writes — the real binary against the real
//! PostgreSQL, in the style of sqlx `tests/postgres/types.rs`.
//!
//! Every case is a table `<name> (id int PRIMARY KEY, v <type>)` holding its literals (ids
//! 1..=n) and one NULL (id n+1). After the dump each table's `v` field is checked for its Arrow
//! type, nullability and metadata (`haul.pg.type` = PostgreSQL's `format_type`), then every
//! value, exactly: floats bit for bit, decimals as unscaled integers with precision and scale.
//!
//! The expected values are written independently of haul: dates and timestamps are computed by
//! hand ([`days`], [`ts`]) and the table itself is first checked against PostgreSQL (`extract(epoch
//! …)`, the type's output text), so a wrong row in this file fails as "table error", not as a
//! haul bug.

mod common;
mod types_support;

use std::fs::File;
use std::path::Path;

use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::LogicalType;
use types_support::cases::*;
use types_support::*;

#[test]
fn numbers_bool_ints_floats_numeric_money() {
    check_cases("types_numbers", NUMBERS, no_extra);
}

#[test]
fn text_bytes_uuid_json_enums_domains() {
    check_cases("types_texts", TEXTS, uuid_is_a_parquet_uuid);
}

#[test]
fn dates_times_timestamps_intervals() {
    check_cases("types_temporal", TEMPORAL, no_extra);
}

#[test]
fn arrays_nest_by_declared_dimensions() {
    check_cases("types_arrays", ARRAYS, no_extra);
}

#[test]
fn other_types_travel_as_their_output_text() {
    check_cases("types_as_text", AS_TEXT, no_extra);
}

fn no_extra(_: &Path, _: &mut Vec<String>) {}

/// docs/types.md: `uuid` is "Parquet logical type UUID" (what DuckDB and Spark read as UUID).
fn uuid_is_a_parquet_uuid(dir: &Path, failures: &mut Vec<String>) {
    let Some(file) = parquet_files(&dir.join("public.t_uuid")).into_iter().next() else {
        return; // reported by the value checks
    };
    let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(&file).expect("open"))
        .expect("parquet");
    let schema = reader.metadata().file_metadata().schema_descr();
    let v = (0..schema.num_columns())
        .map(|i| schema.column(i))
        .find(|c| c.name() == "v")
        .expect("column v");
    if v.logical_type_ref() != Some(&LogicalType::Uuid) {
        failures.push(format!(
            "uuid (t_uuid): Parquet logical type: expected UUID, got {:?}",
            v.logical_type_ref()
        ));
    }
}
