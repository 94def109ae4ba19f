//! `PgSource`: a chunk of a PostgreSQL table as Arrow batches, via
//! `COPY (SELECT … WHERE <range>) TO STDOUT (FORMAT binary)` decoded straight into builders.

use futures_util::StreamExt;
use haul_formats::FormatError;
use haul_formats::pgcopy::PgCopyDecoder;
use haul_formats::pgtypes::ReadAs;
use tokio::sync::mpsc;

use crate::error::{EngineError, Result};
use crate::events::TableProgress;
use crate::pg::planner::chunk_predicate;
use crate::pg::snapshot::SnapshotWorker;
use crate::pg::{qualified, quote_ident};
use crate::plan::{ChunkSpec, TablePlan};
use crate::source::{BatchLimits, ChunkMsg};

/// The `COPY` statement that reads one chunk.
pub fn copy_sql(table: &TablePlan, chunk: &ChunkSpec) -> String {
    let cols: Vec<String> = table
        .columns
        .iter()
        .map(|c| {
            let q = quote_ident(&c.name);
            match c.read_as {
                ReadAs::Native => q,
                ReadAs::OutputText => {
                    format!("CASE WHEN {q} IS NULL THEN NULL ELSE pg_catalog.format('%s', {q}) END")
                }
                ReadAs::CastText => format!("{q}::text"),
            }
        })
        .collect();
    let mut sql = format!(
        "COPY (SELECT {} FROM ONLY {}",
        if cols.is_empty() {
            String::new()
        } else {
            cols.join(", ")
        },
        qualified(&table.schema, &table.name)
    );
    let preds: Vec<String> = chunk_predicate(table.key.as_ref(), &chunk.range)
        .into_iter()
        .chain(chunk.filter.iter().map(|f| format!("({f})")))
        .collect();
    if !preds.is_empty() {
        sql.push_str(" WHERE ");
        sql.push_str(&preds.join(" AND "));
    }
    sql.push_str(") TO STDOUT (FORMAT binary)");
    sql
}

/// Reads one chunk on `worker` and sends its batches to `tx`; returns (rows, COPY bytes).
///
/// If the sink goes away (its channel closes), reading stops and the error says so; the
/// caller should then report the sink's error, which is the real one.
pub async fn read_chunk(
    worker: &mut SnapshotWorker,
    table: &TablePlan,
    chunk: &ChunkSpec,
    limits: BatchLimits,
    tx: &mpsc::Sender<ChunkMsg>,
    progress: Option<&TableProgress>,
) -> Result<(u64, u64)> {
    worker.lock_table(&table.schema, &table.name).await?;
    read_chunk_on(worker.client(), table, chunk, limits, tx, progress).await
}

/// [`read_chunk`] on any session (the caller has its transaction and locks in place).
pub async fn read_chunk_on(
    client: &tokio_postgres::Client,
    table: &TablePlan,
    chunk: &ChunkSpec,
    limits: BatchLimits,
    tx: &mpsc::Sender<ChunkMsg>,
    progress: Option<&TableProgress>,
) -> Result<(u64, u64)> {
    let sql = copy_sql(table, chunk);
    let kinds = table.columns.iter().map(|c| c.kind.clone()).collect();
    let key_positions = table
        .key
        .as_ref()
        .map(|k| k.positions.clone())
        .unwrap_or_default();
    let mut decoder =
        PgCopyDecoder::try_new(table.schema_ref(), kinds, key_positions).map_err(|e| {
            EngineError::Format {
                chunk: chunk.id.clone(),
                cause: Box::new(e),
            }
        })?;
    let stream = client
        .copy_out(sql.as_str())
        .await
        .map_err(|e| EngineError::pg(format!("starting COPY of {}", table.display_name()), e))?;
    let mut stream = std::pin::pin!(stream);
    let mut rows = 0u64;
    let mut raw = 0u64;
    let mut batch_raw = 0u64;
    while let Some(msg) = stream.next().await {
        let bytes =
            msg.map_err(|e| EngineError::pg(format!("reading {}", table.display_name()), e))?;
        decoder
            .feed(&bytes)
            .map_err(|e| decode_error(table, chunk, e))?;
        raw += bytes.len() as u64;
        batch_raw += bytes.len() as u64;
        if decoder.buffered_rows() >= limits.rows || decoder.buffered_bytes() >= limits.bytes {
            rows += send_batch(&mut decoder, chunk, tx, progress, batch_raw).await?;
            batch_raw = 0;
        }
    }
    decoder
        .finish()
        .map_err(|e| decode_error(table, chunk, e))?;
    rows += send_batch(&mut decoder, chunk, tx, progress, batch_raw).await?;
    tx.send(ChunkMsg::End { rows })
        .await
        .map_err(|_| EngineError::WriterStopped)?;
    Ok((rows, raw))
}

async fn send_batch(
    decoder: &mut PgCopyDecoder,
    chunk: &ChunkSpec,
    tx: &mpsc::Sender<ChunkMsg>,
    progress: Option<&TableProgress>,
    raw_bytes: u64,
) -> Result<u64> {
    let batch = decoder.finish_batch().map_err(|e| EngineError::Format {
        chunk: chunk.id.clone(),
        cause: Box::new(e),
    })?;
    let Some(batch) = batch else { return Ok(0) };
    let n = batch.num_rows() as u64;
    if let Some(p) = progress {
        p.add(n, raw_bytes);
    }
    tx.send(ChunkMsg::Batch(batch))
        .await
        .map_err(|_| EngineError::WriterStopped)?;
    Ok(n)
}

/// A decoder error in context: a value the column's Arrow type cannot hold but its text form
/// can gets the exact option to rerun with.
fn decode_error(table: &TablePlan, chunk: &ChunkSpec, e: FormatError) -> EngineError {
    match &e {
        FormatError::Value {
            column,
            text_would_hold: true,
            ..
        } => EngineError::Unrepresentable {
            chunk: chunk.id.clone(),
            hint: format!(
                "to carry the column as its exact text, rerun with --as-text {}.{}.{column} --restart",
                table.schema, table.name
            ),
            cause: Box::new(e),
        },
        _ => EngineError::Format {
            chunk: chunk.id.clone(),
            cause: Box::new(e),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pg::catalog::TableDdl;
    use crate::plan::{ChunkRange, ColumnPlan, SplitKind};
    use haul_formats::pgtypes::PgKind;

    #[test]
    fn copy_sql_reads_text_forms_on_the_server() {
        let col = |name: &str, read_as| ColumnPlan {
            name: name.into(),
            source_type: "x".into(),
            kind: PgKind::Text,
            read_as,
            nullable: true,
            mysql: None,
        };
        let t = TablePlan {
            schema: "Sales".into(),
            name: "t".into(),
            dir: "Sales.t".into(),
            partition_of: None,
            columns: vec![
                col("id", ReadAs::Native),
                col("ip", ReadAs::OutputText),
                col("p", ReadAs::CastText),
            ],
            key: None,
            estimated_rows: 0,
            rows_guessed: false,
            estimated_bytes: 0,
            split: SplitKind::Pages,
            split_reason: String::new(),
            chunks: vec![],
            arrow_schema: arrow_schema::Schema::empty(),
            warnings: vec![],
            ddl: TableDdl::default(),
            mysql: None,
        };
        let c = ChunkSpec {
            id: "Sales.t#00001".into(),
            index: 1,
            file: "f".into(),
            range: ChunkRange::Pages {
                lo: Some(8),
                hi: None,
            },
            filter: None,
        };
        assert_eq!(
            copy_sql(&t, &c),
            "COPY (SELECT \"id\", CASE WHEN \"ip\" IS NULL THEN NULL ELSE pg_catalog.format('%s', \"ip\") END, \"p\"::text FROM ONLY \"Sales\".\"t\" WHERE ctid >= '(8,0)'::tid) TO STDOUT (FORMAT binary)"
        );
        // A sync window is ANDed to the range, and stands alone in a whole-table chunk.
        let windowed = ChunkSpec {
            filter: Some("\"id\" > 5 AND \"id\" <= 9".into()),
            ..c.clone()
        };
        assert!(
            copy_sql(&t, &windowed).ends_with(
                "WHERE ctid >= '(8,0)'::tid AND (\"id\" > 5 AND \"id\" <= 9)) TO STDOUT (FORMAT binary)"
            ),
            "{}",
            copy_sql(&t, &windowed)
        );
        let whole = ChunkSpec {
            range: ChunkRange::Whole,
            ..windowed
        };
        assert!(
            copy_sql(&t, &whole)
                .ends_with("\"t\" WHERE (\"id\" > 5 AND \"id\" <= 9)) TO STDOUT (FORMAT binary)"),
            "{}",
            copy_sql(&t, &whole)
        );
    }
}
