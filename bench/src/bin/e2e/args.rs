//! The runner's command line.

use std::path::PathBuf;

use clap::Parser;
use serde::Serialize;

/// End-to-end benchmark of haul dump, load and copy against COPY, pg_dump, pg_restore and
/// pgcopydb on TPC-H data in PostgreSQL, and against mydumper, myloader and pgloader on the
/// same data in MySQL/MariaDB.
#[derive(Debug, Clone, Parser, Serialize)]
#[command(name = "haul-e2e", max_term_width = 100)]
pub struct Args {
    /// TPC-H scale factor of the timed runs (fractions allowed: 0.1).
    #[arg(long, default_value_t = 1.0)]
    pub scale: f64,

    /// Server to use; databases `haul_bench_tpch_sf<scale>` are created on it.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    pub pg_url: String,

    /// Comparisons to run (comma-separated): dump (lineitem: haul dump against COPY TO and
    /// pg_dump), load (whole db: haul load against pg_restore and COPY FROM files), copy (whole
    /// db: haul copy against pgcopydb clone); on MySQL/MariaDB (--my-url), whole db: my-dump
    /// (haul dump against mydumper), my-load (haul load against myloader), my-copy (haul copy
    /// MySQL → PostgreSQL against pgloader).
    #[arg(long, value_delimiter = ',', default_value = "dump,load,copy")]
    pub compare: Vec<String>,

    /// Timed repetitions of each variant.
    #[arg(long, default_value_t = 3)]
    pub reps: usize,

    /// Only these variants of the compared ones (comma-separated): copy, copy2, haul, pg_dump,
    /// pg_dump_z0, rss (dump); haul_load, pg_restore, copy_from, copy_from_pk (load); haul_copy,
    /// pgcopydb (copy); haul_my_dump, mydumper, mydumper_c, mydumper_rows (my-dump);
    /// haul_my_load, myloader, myloader_rows (my-load); haul_my_copy, pgloader (my-copy).
    /// Default: all.
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,

    /// Scales at which haul dump runs once more for the peak-RSS-versus-table-size check.
    #[arg(long, value_delimiter = ',', default_value = "0.1,1")]
    pub rss_scales: Vec<f64>,

    /// Runs of haul at each --rss-scales scale.
    #[arg(long, default_value_t = 1)]
    pub rss_reps: usize,

    /// --jobs for haul, -j for pg_dump and pg_restore, sessions of copy_from, --table-jobs and
    /// --index-jobs for pgcopydb, -t for mydumper and myloader, workers and max parallel
    /// create index for pgloader.
    #[arg(long, default_value_t = 2)]
    pub jobs: u16,

    /// The haul binary to measure (default: `cargo build --release -p haul`, then
    /// `$CARGO_TARGET_DIR/release/haul`).
    #[arg(long)]
    pub haul: Option<PathBuf>,

    /// Extra arguments appended to `haul dump` (e.g. `--haul-arg=--chunk-bytes=64MiB`), also
    /// to the untimed dumps that haul_load and haul_my_load load, and to haul_my_dump.
    #[arg(long = "haul-arg", allow_hyphen_values = true)]
    pub haul_args: Vec<String>,

    /// Extra arguments appended to `haul load`.
    #[arg(long = "haul-load-arg", allow_hyphen_values = true)]
    pub haul_load_args: Vec<String>,

    /// Extra arguments appended to `haul copy`.
    #[arg(long = "haul-copy-arg", allow_hyphen_values = true)]
    pub haul_copy_args: Vec<String>,

    /// The pgcopydb binary (Debian package `pgcopydb`); if it does not run, the copy
    /// comparison measures haul copy alone.
    #[arg(long, default_value = "pgcopydb")]
    pub pgcopydb: String,

    /// MySQL/MariaDB server of the my-* comparisons; databases `haul_bench_tpch_sf<scale>`
    /// and `haul_bench_tmp_target` are created on it. Give a password in `MYSQL_PWD` (read by
    /// haul, mydumper, myloader and the runner), not in the URL.
    #[arg(long, default_value = "mysql://root@127.0.0.1:3306")]
    pub my_url: String,

    /// The mydumper binary (Debian package `mydumper`); if it does not run, the mydumper
    /// variants (and myloader's, which load its dumps) are skipped.
    #[arg(long, default_value = "mydumper")]
    pub mydumper: String,

    /// The myloader binary (Debian package `mydumper`).
    #[arg(long, default_value = "myloader")]
    pub myloader: String,

    /// The pgloader binary (Debian package `pgloader`).
    #[arg(long, default_value = "pgloader")]
    pub pgloader: String,

    /// Rows per chunk of mydumper_rows (`mydumper -r`); 0: an eighth of lineitem's rows.
    #[arg(long, default_value_t = 0)]
    pub mydumper_rows: u64,

    /// Where dump output goes (one subdirectory per run, removed after measuring).
    #[arg(long, default_value = "/tmp/haul-e2e")]
    pub work_dir: PathBuf,

    /// Where the binary COPY files of copy_from go; the server's OS user must be able to read
    /// them (the runner makes this directory 755 and the files 644).
    #[arg(long, default_value = "/tmp/haul-bench-copy")]
    pub stage_dir: PathBuf,

    /// Keep every run's dump output under --work-dir, the prepared dumps and staged files.
    #[arg(long)]
    pub keep: bool,

    /// Where the JSON record goes.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/results"))]
    pub results_dir: PathBuf,

    /// Regenerate the data set even if a complete one exists.
    #[arg(long)]
    pub reload: bool,

    /// Concurrent COPY streams when loading (default: number of cores).
    #[arg(long)]
    pub load_streams: Option<usize>,

    /// Skip the untimed warm-up COPY that fills the page cache.
    #[arg(long)]
    pub no_warmup: bool,

    /// Before each repetition, wait until the machine is below this busy % over 1 s…
    #[arg(long, default_value_t = 20.0)]
    pub quiet_pct: f64,

    /// …for at most this many seconds.
    #[arg(long, default_value_t = 30)]
    pub quiet_wait: u64,

    /// Extra attempts for a repetition found noisy.
    #[arg(long, default_value_t = 1)]
    pub retries: usize,

    /// CPU timeline sampling interval in ms (0 = off).
    #[arg(long, default_value_t = 250)]
    pub sample_ms: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_parse() {
        let a = Args::try_parse_from([
            "haul-e2e",
            "--scale",
            "0.1",
            "--only",
            "copy,haul",
            "--rss-scales",
            "0.01,0.1",
        ])
        .expect("parses");
        assert_eq!(a.scale, 0.1);
        assert_eq!(a.only, ["copy", "haul"]);
        assert_eq!(a.rss_scales, [0.01, 0.1]);
        assert_eq!(a.compare, ["dump", "load", "copy"]);
        let a = Args::try_parse_from(["haul-e2e", "--compare", "load,copy"]).expect("parses");
        assert_eq!(a.compare, ["load", "copy"]);
        assert!(a.only.is_empty());
        let a = Args::try_parse_from(["haul-e2e", "--compare", "my-dump,my-copy"]).expect("parses");
        assert_eq!(a.compare, ["my-dump", "my-copy"]);
        assert_eq!(a.my_url, "mysql://root@127.0.0.1:3306");
    }
}
