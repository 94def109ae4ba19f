//! Shared helpers for the CLI tests: run the real `haul` binary, parse its `--json` events,
//! read the Parquet files it wrote.

#![allow(dead_code)]

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use arrow::array::RecordBatch;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::Value;

/// The built `haul` binary.
pub fn haul_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_haul"))
}

/// A `haul` command with no terminal (so no progress bars).
pub fn haul() -> Command {
    let mut c = Command::new(haul_bin());
    c.stdin(Stdio::null());
    c
}

/// Starts `haul ARGS…` with stdout and stderr piped, for runs read (or killed) while they go.
pub fn spawn(args: &[&str]) -> std::process::Child {
    haul()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("haul starts")
}

/// The result of one run.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Parses stdout as JSON Lines events.
    pub fn events(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect()
    }

    /// Events of one type.
    pub fn events_of(&self, kind: &str) -> Vec<Value> {
        self.events()
            .into_iter()
            .filter(|e| e["type"] == kind)
            .collect()
    }
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

/// Runs `haul ARGS…` to completion.
pub fn run(args: &[&str]) -> Run {
    haul().args(args).output().expect("haul runs").into()
}

/// Every chunk file of a dump, read back (table dir → batches), in file-name order.
pub fn read_table(dir: &Path, table_dir: &str) -> Vec<RecordBatch> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join(table_dir))
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "parquet"));
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(&f).expect("open"))
            .expect("parquet")
            .build()
            .expect("reader");
        for b in reader {
            out.push(b.expect("batch"));
        }
    }
    out
}

/// All values of an Int64/Int32 column across batches.
pub fn int_column(batches: &[RecordBatch], name: &str) -> Vec<i64> {
    use arrow::array::{Array, AsArray};
    use arrow::datatypes::{Int32Type, Int64Type};
    let mut out = Vec::new();
    for b in batches {
        let col = b
            .column_by_name(name)
            .unwrap_or_else(|| panic!("column {name}"));
        match col.data_type() {
            arrow::datatypes::DataType::Int64 => {
                let a = col.as_primitive::<Int64Type>();
                out.extend((0..a.len()).map(|i| a.value(i)));
            }
            arrow::datatypes::DataType::Int32 => {
                let a = col.as_primitive::<Int32Type>();
                out.extend((0..a.len()).map(|i| i64::from(a.value(i))));
            }
            t => panic!("column {name} is {t}"),
        }
    }
    out
}

/// Files under `dir` (recursively) whose name ends with `.tmp`.
pub fn tmp_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.to_string_lossy().ends_with(".tmp") {
                out.push(p);
            }
        }
    }
    out
}

/// Runs SQL in a database and returns the server's error instead of panicking (for optional
/// fixtures such as `CREATE EXTENSION hstore`).
pub fn try_exec(url: &str, sql: &str) -> Result<(), String> {
    let url = url.to_string();
    let sql = sql.to_string();
    haul_testdata::block_on(async move {
        let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
            .await
            .map_err(|e| e.to_string())?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        client.batch_execute(&sql).await.map_err(|e| {
            e.as_db_error()
                .map(|d| d.message().to_string())
                .unwrap_or_else(|| e.to_string())
        })
    })
}
