//! Command-line arguments (clap derive).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use haul_formats::parquet_io::ParquetCompression;

const EXIT_CODES: &str = "\
Exit codes:
  0    done (and verified, for verify)
  1    finished, but some chunks failed (rerun the same command to resume; sync keeps
       its watermark until every chunk is applied), a load/copy
       step after the rows failed (listed as FAILED), verify found differences, or diff
       found differences (with --apply: some it could not repair)
  2    fatal: usage, connection, schema, directory, disk full, source changed, target
       tables exist (--if-exists error) or do not match; diff: a chunk could not be compared;
       sync: a table missing or without a key, a bad --column, no watermark and no --since
  130  interrupted (Ctrl-C); rerun the same command to resume

Passwords come from the URL, PGPASSWORD, ~/.pgpass or MYSQL_PWD and are never printed or stored.";

/// haul moves whole databases fast and provably: consistent chunked dumps to Parquet,
/// verified by row counts and checksums, resumable after a crash.
#[derive(Debug, Parser)]
#[command(name = "haul", version, after_help = EXIT_CODES, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// Emit JSON Lines events on stdout (`{"type": …, "data": {…}}`) instead of text.
    #[arg(long, global = true)]
    pub json: bool,

    /// No progress bars and no summary; errors are still printed.
    #[arg(long, short, global = true)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show how a dump would go: tables, sizes, chunk plan, Arrow types, warnings. Moves no data.
    Plan(PlanArgs),
    /// Dump a PostgreSQL or MySQL/MariaDB database into DIR: one zstd Parquet file per chunk, a manifest and a
    /// journal; rerun the same command to resume after a crash.
    Dump(DumpArgs),
    /// Re-read every chunk file of a dump and check rows and checksums against the journal;
    /// with --against, re-read the target database by the same chunks and compare.
    Verify(VerifyArgs),
    /// Load a dump directory into a PostgreSQL or MySQL/MariaDB database: schema, rows (binary
    /// COPY or LOAD DATA, each chunk exactly once), then keys, indexes, constraints, sequences,
    /// views; rerun to resume.
    Load(LoadArgs),
    /// Copy a database into another without files (PostgreSQL to PostgreSQL, MySQL to MySQL or
    /// PostgreSQL): one snapshot, chunks streamed into the target, schema as in `load`; rerun to
    /// resume.
    Copy(CopyArgs),
    /// Compare two databases (PostgreSQL or MySQL/MariaDB, any pair) row by row, each side in
    /// one snapshot: rows missing in the target, extra in it, and changed (key and columns).
    /// With --apply, make the target equal to the source for those rows.
    Diff(DiffArgs),
    /// Catch a target up with a source: rows whose --column is past the last watermark (or
    /// --since / --since-dump) are upserted by key, chunked and in parallel, and the new
    /// watermark is recorded in the target; --deletes also removes rows gone from the source.
    /// Rerun the same command to resume.
    Sync(SyncArgs),
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Source database URL.
    pub source: String,

    /// Target database URL (its tables created by `haul load` or `haul copy`).
    pub target: String,

    /// The column that grows when a row changes: a timestamp, date or integer column every
    /// synced table has (e.g. updated_at).
    #[arg(long, value_name = "COL")]
    pub column: String,

    /// Start of the first window: rows with COL > TIME (an integer for an integer column).
    /// Without it (and without --since-dump), the watermark the last sync recorded is used.
    #[arg(long, value_name = "TIME", conflicts_with = "since_dump")]
    pub since: Option<String>,

    /// Start from the snapshot time of the dump in DIR (the one the target was loaded from),
    /// minus --overlap.
    #[arg(long, value_name = "DIR")]
    pub since_dump: Option<PathBuf>,

    /// How far before the watermark (or dump time) a window starts, so rows committed late or
    /// stamped by a skewed clock are not lost: 300s, 5m, 2h, 1d; a count for an integer
    /// column. Default 5m (0 for an integer column).
    #[arg(long, value_name = "DURATION")]
    pub overlap: Option<String>,

    /// Also delete target rows whose keys the source no longer has (a comparison of the key
    /// columns of every chunk).
    #[arg(long)]
    pub deletes: bool,

    /// Parallel workers (a source session and a target writer each).
    #[arg(long, short, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub jobs: u16,

    #[command(flatten)]
    pub select: SelectArgs,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// Source database URL.
    pub source: String,

    /// Target database URL.
    pub target: String,

    /// Parallel workers (each with a session on both sides, plus a writer with --apply).
    #[arg(long, short, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub jobs: u16,

    #[command(flatten)]
    pub select: SelectArgs,

    /// Repair the target: upsert the source's missing and changed rows and delete the extra
    /// ones, by key, in one transaction per chunk (tables without a key are only reported).
    #[arg(long)]
    pub apply: bool,

    /// Differing rows listed per table; the rest are counted.
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub max_rows: usize,

    /// Keys per side held in memory while narrowing a differing chunk down (tests lower it to
    /// exercise the narrowing by key-hash buckets).
    #[arg(long, value_name = "N", default_value_t = haul_engine::diff::DEFAULT_MAP_CAP as u64, hide = true,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub map_cap: u64,
}

#[derive(Debug, Args)]
pub struct CopyArgs {
    /// Source database URL.
    pub source: String,

    /// Target database URL (the database must exist).
    pub target: String,

    /// Parallel workers (a source and a target connection each), for rows and index builds.
    #[arg(long, short, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub jobs: u16,

    #[command(flatten)]
    pub select: SelectArgs,

    /// What to do when a copied table already exists in the target.
    #[arg(long, value_enum, default_value = "error")]
    pub if_exists: IfExistsArg,

    /// Also write the dump (manifest, journal, Parquet files) into DIR while copying.
    #[arg(long, value_name = "DIR")]
    pub keep: Option<PathBuf>,

    /// Parquet compression of the --keep dump: zstd[:LEVEL], snappy, lz4 or none.
    #[arg(long, value_name = "CODEC", default_value = "zstd:3")]
    pub compression: ParquetCompression,

    /// PostgreSQL into MySQL: create unconstrained `numeric` columns as LONGTEXT holding
    /// PostgreSQL's exact text (`123.4500`, `NaN`, `Infinity`, any number of digits) instead of
    /// DECIMAL(65,30), which fails a chunk on a value it cannot hold.
    #[arg(long)]
    pub numeric_as_text: bool,
}

/// What to do with target tables that already exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum IfExistsArg {
    /// Stop with an error naming them; nothing is changed.
    Error,
    /// Empty them and load into them (their columns must match the dump's).
    Truncate,
    /// Load into them as they are (their columns must match the dump's).
    Append,
    /// Drop them and create them from the dump.
    Replace,
}

#[derive(Debug, Args)]
pub struct LoadArgs {
    /// A dump directory written by `haul dump`.
    pub dir: PathBuf,

    /// Target database URL, e.g. postgres://user@host:5432/db (the database must exist).
    pub target: String,

    /// Parallel workers (one target connection each), for rows and for index builds.
    #[arg(long, short, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub jobs: u16,

    /// What to do when a dumped table already exists in the target.
    #[arg(long, value_enum, default_value = "error")]
    pub if_exists: IfExistsArg,

    /// Load an unfinished dump: only its recorded chunks (the target misses the rest).
    #[arg(long)]
    pub partial: bool,

    /// PostgreSQL into MySQL: create unconstrained `numeric` columns as LONGTEXT holding
    /// PostgreSQL's exact text (`123.4500`, `NaN`, `Infinity`, any number of digits) instead of
    /// DECIMAL(65,30), which fails a chunk on a value it cannot hold.
    #[arg(long)]
    pub numeric_as_text: bool,
}

/// Which tables, and how they are read.
#[derive(Debug, Args)]
pub struct SelectArgs {
    /// Only tables matching GLOB (repeatable). `schema.table` if it has a dot, else the table
    /// name in any schema. A partitioned table brings its partitions.
    #[arg(long = "tables", short = 't', value_name = "GLOB", num_args = 1..)]
    pub tables: Vec<String>,

    /// Skip tables matching GLOB (repeatable).
    #[arg(long, value_name = "GLOB", num_args = 1..)]
    pub exclude: Vec<String>,

    /// Carry a column as its exact PostgreSQL text form whatever its type
    /// (`schema.table.column` or `table.column`, repeatable).
    #[arg(long = "as-text", value_name = "COLUMN", num_args = 1..)]
    pub as_text: Vec<String>,

    /// Target source bytes per chunk, e.g. 128MiB, 1GiB, 64KiB.
    #[arg(long, value_name = "SIZE", default_value = "128MiB", value_parser = parse_size)]
    pub chunk_bytes: u64,

    /// Seconds to wait for table locks at the start before giving up.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub lock_wait_timeout: u64,

    /// MySQL: what a zero or partial date (`0000-00-00`, `2024-00-10`) becomes: `error` stops
    /// the chunk naming table, column and key; `null` reads it as NULL.
    #[arg(long, value_enum, default_value = "error")]
    pub zero_dates: ZeroDatesArg,

    /// MySQL: `ftwrl` takes a brief FLUSH TABLES WITH READ LOCK so every worker reads one
    /// consistent snapshot (and blocks DDL for the run where allowed); `none` takes no lock and
    /// the dump is NOT consistent across tables.
    #[arg(long, value_enum, default_value = "ftwrl")]
    pub lock: LockArg,
}

/// `--zero-dates`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ZeroDatesArg {
    Error,
    Null,
}

/// `--lock`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum LockArg {
    Ftwrl,
    None,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Source database URL, e.g. postgres://user@host:5432/db or mysql://user@host:3306/db.
    pub source: String,

    #[command(flatten)]
    pub select: SelectArgs,
}

#[derive(Debug, Args)]
pub struct DumpArgs {
    /// Source database URL, e.g. postgres://user@host:5432/db or mysql://user@host:3306/db.
    pub source: String,

    /// Output directory (created if missing; must be empty or hold an earlier dump to resume).
    pub dir: PathBuf,

    /// Parallel workers (one database connection each, plus one holding the snapshot).
    #[arg(long, short, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub jobs: u16,

    #[command(flatten)]
    pub select: SelectArgs,

    /// Parquet compression: zstd[:LEVEL] (1-22), snappy, lz4 or none.
    #[arg(long, value_name = "CODEC", default_value = "zstd:3")]
    pub compression: ParquetCompression,

    /// Discard an earlier dump in DIR and start over.
    #[arg(long)]
    pub restart: bool,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// A dump directory.
    pub dir: PathBuf,

    /// Parallel file readers (or target sessions with --against).
    #[arg(long, short, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub jobs: u16,

    /// Compare a database (e.g. the target of a load or copy) with the dump instead of the
    /// files: re-read it by the dump's chunks and compare rows and checksums.
    #[arg(long, value_name = "URL")]
    pub against: Option<String>,
}

/// Parses `128MiB`, `1GiB`, `64KiB`, `1G`, `500M`, `4096`. K/M/G/T are binary (1024) units.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num
        .parse()
        .map_err(|_| format!("invalid size `{s}` (examples: 128MiB, 1GiB, 65536)"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        u => {
            return Err(format!(
                "unknown size unit `{u}` in `{s}` (use KiB, MiB, GiB)"
            ));
        }
    };
    let v = (n * mult as f64) as u64;
    if v == 0 {
        return Err(format!("size `{s}` must be positive"));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("128MiB"), Ok(128 << 20));
        assert_eq!(parse_size("64k"), Ok(64 << 10));
        assert_eq!(parse_size("1.5G"), Ok(3 << 29));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert!(parse_size("0").is_err());
        assert!(parse_size("12parsecs").is_err());
    }
}
