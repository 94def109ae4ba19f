//! `ParquetSink`: one zstd Parquet file per chunk, written `name.tmp` → fsync → rename →
//! fsync the directory, so a file under its final name is always complete.

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use arrow_schema::SchemaRef;
use haul_formats::checksum::{ChunkDigest, RowHasher};
use haul_formats::parquet_io::{ParquetCompression, writer_properties};
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;
use tokio::sync::mpsc;

use crate::error::{EngineError, Result};
use crate::manifest::{sync_dir, tmp_path};
use crate::plan::{ChunkSpec, TablePlan};
use crate::sink::Receipt;
use crate::source::ChunkMsg;

/// Writes chunk files under a dump directory.
#[derive(Debug, Clone)]
pub struct ParquetSink {
    dir: PathBuf,
    props: WriterProperties,
}

impl ParquetSink {
    /// A sink writing under `dir` with `compression`.
    pub fn new(dir: impl Into<PathBuf>, compression: ParquetCompression) -> Self {
        Self {
            dir: dir.into(),
            props: writer_properties(compression),
        }
    }

    /// Consumes the chunk's batches on a blocking thread (Parquet encoding and zstd are CPU
    /// work), hashing each row for the receipt, and commits the file after `End`.
    pub async fn write_chunk(
        &self,
        table: &TablePlan,
        chunk: &ChunkSpec,
        rx: mpsc::Receiver<ChunkMsg>,
    ) -> Result<Receipt> {
        let path = self.dir.join(&chunk.file);
        let schema = table.schema_ref();
        let props = self.props.clone();
        let id = chunk.id.clone();
        tokio::task::spawn_blocking(move || write_file(&path, schema, props, rx, &id))
            .await
            .map_err(|e| {
                EngineError::Other(format!("chunk `{}`: writer thread failed: {e}", chunk.id))
            })?
    }
}

/// Removes the temporary file unless the write committed.
struct TmpGuard<'a>(Option<&'a Path>);

impl Drop for TmpGuard<'_> {
    fn drop(&mut self) {
        if let Some(p) = self.0 {
            let _ = fs::remove_file(p);
        }
    }
}

fn write_file(
    path: &Path,
    schema: SchemaRef,
    props: WriterProperties,
    mut rx: mpsc::Receiver<ChunkMsg>,
    chunk: &str,
) -> Result<Receipt> {
    let parent = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(|e| EngineError::io("creating directory", parent, e))?;
    let tmp = tmp_path(path);
    let file = File::create(&tmp).map_err(|e| EngineError::io("creating", &tmp, e))?;
    let mut guard = TmpGuard(Some(&tmp));
    let handle = file
        .try_clone()
        .map_err(|e| EngineError::io("opening", &tmp, e))?;
    let parquet_err = |e: parquet::errors::ParquetError| match e {
        parquet::errors::ParquetError::External(inner) => {
            match inner.downcast::<std::io::Error>() {
                Ok(io) => EngineError::io("writing", &tmp, *io),
                Err(other) => EngineError::Other(format!("writing `{}`: {other}", tmp.display())),
            }
        }
        e => EngineError::Format {
            chunk: chunk.to_string(),
            cause: Box::new(e.into()),
        },
    };
    let fmt_err = |e| EngineError::Format {
        chunk: chunk.to_string(),
        cause: Box::new(e),
    };
    let mut hasher = RowHasher::try_new(&schema).map_err(fmt_err)?;
    let mut writer = ArrowWriter::try_new(file, schema, Some(props)).map_err(parquet_err)?;
    let mut digest = ChunkDigest::default();
    let sent_rows = loop {
        match rx.blocking_recv() {
            Some(ChunkMsg::Batch(batch)) => {
                hasher.digest_batch(&batch, &mut digest).map_err(fmt_err)?;
                writer.write(&batch).map_err(parquet_err)?;
            }
            Some(ChunkMsg::End { rows }) => break rows,
            None => {
                return Err(EngineError::Other(
                    "the read stopped before the end of the chunk; nothing was written".into(),
                ));
            }
        }
    };
    let meta = writer.close().map_err(parquet_err)?;
    let file_rows = meta.file_metadata().num_rows() as u64;
    if file_rows != sent_rows || digest.rows != sent_rows {
        return Err(EngineError::Other(format!(
            "row count mismatch: read {sent_rows}, hashed {}, file holds {file_rows}",
            digest.rows
        )));
    }
    handle
        .sync_all()
        .map_err(|e| EngineError::io("syncing", &tmp, e))?;
    let bytes = handle
        .metadata()
        .map_err(|e| EngineError::io("reading size of", &tmp, e))?
        .len();
    fs::rename(&tmp, path).map_err(|e| EngineError::io("renaming into place", path, e))?;
    guard.0 = None;
    sync_dir(parent)?;
    Ok(Receipt {
        rows: sent_rows,
        bytes,
        digest,
    })
}
