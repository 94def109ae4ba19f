//! `haul verify DIR --against postgres://…|mysql://…`: re-read the target by the dump's chunk ranges,
//! into the manifest's Arrow schema, and compare each chunk's rows and checksum with what
//! the dump recorded (DESIGN.md §5). A table split by ctid pages cannot be re-read by the same
//! ranges on another server: it is compared whole (digests are sums, so the dump's chunk
//! digests add up to the table's).

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use haul_formats::checksum::{ChunkDigest, RowHasher};
use tokio::sync::mpsc;

use arrow_schema::SchemaRef;
use haul_formats::mytypes::MyKind;
use haul_formats::pgtypes::PgKind;

use crate::endpoint::{Endpoint, MyEndpoint, PgEndpoint};
use crate::error::{EngineError, Result};
use crate::manifest::{ChunkRecord, Journal, Manifest};
use crate::mysql::from_pg::NumericAs;
use crate::pg::snapshot::{SnapshotLeader, SnapshotWorker};
use crate::plan::{ChunkRange, ChunkSpec, SplitKind, TablePlan};
use crate::source::{BatchLimits, CHANNEL_DEPTH, ChunkMsg};
use crate::verify::{Problem, VerifyReport};

/// One comparison: a chunk, or a whole table.
struct Item {
    table: usize,
    chunk: ChunkSpec,
    expected: ChunkDigest,
}

/// A worker's session on the target, inside one snapshot.
enum Session {
    Pg(SnapshotWorker),
    MySql(mysql_async::Conn),
}

/// Compares the target `dst` with the dump in `dir`, with `jobs` sessions in one snapshot.
pub async fn verify_against(dir: &Path, dst: &Endpoint, jobs: usize) -> Result<VerifyReport> {
    let manifest = Manifest::read(dir)?;
    let engine = manifest.source.engine.as_str();
    match dst {
        Endpoint::Postgres(pg) if engine == "postgres" || engine == "mysql" => {
            verify_pg(dir, manifest, pg, jobs).await
        }
        Endpoint::MySql(my) if engine == "mysql" || engine == "postgres" => {
            verify_my(dir, manifest, my, jobs).await
        }
        Endpoint::Dir(p) => Err(EngineError::Usage(format!(
            "--against takes a database URL, got the path `{}`",
            p.display()
        ))),
        other => Err(EngineError::Target(format!(
            "`{}` is a dump of a {engine} database; verifying {other} against it is not supported yet (issue 4: cross-engine loads are next)",
            dir.display(),
        ))),
    }
}

fn new_report(manifest: &Manifest) -> VerifyReport {
    VerifyReport {
        chunks: 0,
        chunks_ok: 0,
        rows: 0,
        bytes: 0,
        finished: manifest.finished_at.is_some(),
        problems: Vec::new(),
    }
}

fn missing_table(t: &TablePlan, report: &mut VerifyReport) {
    report.chunks += t.chunks.len();
    report.problems.push(Problem {
        chunk: format!("{}#*", t.display_name()),
        file: t.display_name(),
        problem: "the table does not exist in the target".into(),
    });
}

async fn verify_my(
    dir: &Path,
    manifest: Manifest,
    dst: &MyEndpoint,
    jobs: usize,
) -> Result<VerifyReport> {
    let replay = Journal::replay(dir)?;
    let mut report = new_report(&manifest);
    let from_pg = manifest.source.engine == "postgres";
    let mut conn = crate::mysql::conn::connect(dst).await?;
    let present = crate::mysql::target::column_types(&mut conn, dst.dbname()).await?;
    let _ = conn.disconnect().await;
    // A PostgreSQL dump: read MySQL's types (unconstrained numerics as the target holds them:
    // DECIMAL, or text after `--numeric-as-text`), convert back to the dump's before hashing.
    let my_m = if from_pg {
        let mut my_m = crate::mysql::from_pg::my_manifest(&manifest, NumericAs::Decimal)?;
        crate::mysql::from_pg::follow_target(&mut my_m, &present);
        Some(my_m)
    } else {
        None
    };
    let mut items = Vec::new();
    for (ti, t) in manifest.tables.iter().enumerate() {
        if !present.contains_key(&t.name) {
            missing_table(t, &mut report);
            continue;
        }
        items.extend(items_of(ti, t, &replay.done, &mut report, from_pg));
    }
    // The dump's tables, read from the target database.
    let tables: Vec<(TablePlan, Option<SchemaRef>)> = match &my_m {
        None => manifest
            .tables
            .iter()
            .map(|t| {
                let read = TablePlan {
                    schema: dst.dbname().to_string(),
                    ..t.clone()
                };
                (read, None)
            })
            .collect(),
        Some(my_m) => my_m
            .tables
            .iter()
            .zip(&manifest.tables)
            .map(|(t, orig)| {
                let fields: Vec<arrow_schema::Field> = t
                    .columns
                    .iter()
                    .map(|c| {
                        let ty = c.mysql.as_ref().map(MyKind::arrow_type);
                        arrow_schema::Field::new(
                            &c.name,
                            ty.unwrap_or(arrow_schema::DataType::Utf8),
                            true,
                        )
                    })
                    .collect();
                let read = TablePlan {
                    schema: dst.dbname().to_string(),
                    arrow_schema: arrow_schema::Schema::new(fields),
                    ..t.clone()
                };
                (read, Some(orig.schema_ref()))
            })
            .collect(),
    };
    let mut sessions = Vec::new();
    for _ in 0..jobs.max(1) {
        let mut c = crate::mysql::conn::connect(dst).await?;
        use mysql_async::prelude::Queryable;
        c.query_drop(
            "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ; \
             START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY",
        )
        .await
        .map_err(|e| EngineError::my("starting a snapshot on the target", e))?;
        sessions.push(Session::MySql(c));
    }
    compare(tables, items, sessions, report).await
}

async fn verify_pg(
    dir: &Path,
    manifest: Manifest,
    dst: &PgEndpoint,
    jobs: usize,
) -> Result<VerifyReport> {
    let replay = Journal::replay(dir)?;
    let mut report = new_report(&manifest);
    let leader_client = crate::pg::conn::connect(dst).await?;
    let from_mysql = manifest.source.engine == "mysql";
    let pg_name = |t: &TablePlan| {
        let schema = if from_mysql {
            crate::mysql::to_pg::PG_SCHEMA.to_string()
        } else {
            t.schema.clone()
        };
        (schema, t.name.clone())
    };
    let names: Vec<(String, String)> = manifest.tables.iter().map(pg_name).collect();
    let present: HashSet<(String, String)> =
        crate::pg::target::existing_tables(&leader_client, &names).await?;
    let mut items = Vec::new();
    for (ti, t) in manifest.tables.iter().enumerate() {
        if !present.contains(&pg_name(t)) {
            missing_table(t, &mut report);
            continue;
        }
        items.extend(items_of(ti, t, &replay.done, &mut report, from_mysql));
    }
    let locked: Vec<(String, String)> = names.into_iter().filter(|n| present.contains(n)).collect();
    let leader = SnapshotLeader::start(leader_client, &locked, Duration::from_secs(60)).await?;
    let snapshot = leader.info.id.clone();

    let mut sessions = Vec::new();
    for _ in 0..jobs.max(1) {
        match SnapshotWorker::open(dst, &snapshot).await {
            Ok(w) => sessions.push(Session::Pg(w)),
            Err(e) => {
                leader.finish().await;
                return Err(e);
            }
        }
    }
    let tables = if manifest.source.engine == "mysql" {
        // Read PostgreSQL's kinds, then convert back into the dump's types before hashing.
        manifest
            .tables
            .iter()
            .map(|t| (crate::mysql::to_pg::pg_read_plan(t), Some(t.schema_ref())))
            .collect()
    } else {
        manifest.tables.iter().map(|t| (t.clone(), None)).collect()
    };
    let result = compare(tables, items, sessions, report).await;
    leader.finish().await;
    result
}

/// Runs the comparisons on the sessions (one worker each) and fills the report.
async fn compare(
    tables: Vec<(TablePlan, Option<SchemaRef>)>,
    items: Vec<Item>,
    sessions: Vec<Session>,
    mut report: VerifyReport,
) -> Result<VerifyReport> {
    let tables = Arc::new(tables);
    let queue = Arc::new(Mutex::new(items.into_iter().collect::<VecDeque<Item>>()));
    let results = Arc::new(Mutex::new(Vec::new()));
    let mut handles = Vec::new();
    for mut session in sessions {
        let (queue, results, tables) = (queue.clone(), results.clone(), tables.clone());
        handles.push(tokio::spawn(async move {
            loop {
                let Some(item) = queue.lock().expect("not poisoned").pop_front() else {
                    return Ok::<(), EngineError>(());
                };
                let (table, hash_as) = &tables[item.table];
                let got = digest_of(&mut session, table, hash_as.as_ref(), &item.chunk).await;
                if got
                    .as_ref()
                    .is_err_and(|e| e.is_retryable() || e.is_fatal())
                {
                    return got.map(|_| ());
                }
                results.lock().expect("not poisoned").push((item, got));
            }
        }));
    }
    let mut fatal = None;
    for h in handles {
        match h.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => fatal = fatal.or(Some(e)),
            Err(e) => fatal = fatal.or(Some(EngineError::Other(format!("a worker failed: {e}")))),
        }
    }
    if let Some(e) = fatal {
        return Err(e);
    }
    let mut results = std::mem::take(&mut *results.lock().expect("not poisoned"));
    results.sort_by(|a, b| a.0.chunk.id.cmp(&b.0.chunk.id));
    for (item, got) in results {
        let table = &tables[item.table].0;
        let n = if item.chunk.id.ends_with("#*") {
            table.chunks.len()
        } else {
            1
        };
        let problem = match got {
            Err(e) => Some(format!("cannot read it from the target: {}", e.detail())),
            Ok(d) if d == item.expected => None,
            Ok(d) => Some(if d.rows != item.expected.rows {
                format!(
                    "rows differ: the dump recorded {}, the target has {} (checksum {} vs {})",
                    item.expected.rows,
                    d.rows,
                    item.expected.sum_hex(),
                    d.sum_hex()
                )
            } else {
                format!(
                    "checksum differs with the same row count ({}): the dump recorded {}, the target has {}",
                    d.rows,
                    item.expected.sum_hex(),
                    d.sum_hex()
                )
            }),
        };
        match problem {
            None => {
                report.chunks_ok += n;
                report.rows += item.expected.rows;
            }
            Some(problem) => report.problems.push(Problem {
                chunk: item.chunk.id.clone(),
                file: table.display_name(),
                problem,
            }),
        }
    }
    Ok(report)
}

/// The comparisons of one table: per chunk, or whole for ctid-split tables.
fn items_of(
    ti: usize,
    t: &TablePlan,
    done: &BTreeMap<String, ChunkRecord>,
    report: &mut VerifyReport,
    cross_engine: bool,
) -> Vec<Item> {
    report.chunks += t.chunks.len();
    let mut missing = false;
    let mut per_chunk = Vec::new();
    for c in &t.chunks {
        let Some(rec) = done.get(&c.id) else {
            missing = true;
            report.problems.push(Problem {
                chunk: c.id.clone(),
                file: t.display_name(),
                problem:
                    "the dump has no record of this chunk (unfinished dump); nothing to compare"
                        .into(),
            });
            continue;
        };
        let expected = ChunkDigest {
            rows: rec.rows,
            sum: ChunkDigest::parse_sum_hex(&rec.checksum).unwrap_or_default(),
        };
        per_chunk.push(Item {
            table: ti,
            chunk: c.clone(),
            expected,
        });
    }
    // Across engines, text keys order by different collations, so a key range holds other rows
    // on the target: compare such tables whole (digests are sums).
    let whole = t.split == SplitKind::Pages || (cross_engine && !integer_key(t));
    if !whole || t.chunks.len() <= 1 {
        return per_chunk;
    }
    if missing {
        return Vec::new();
    }
    let mut whole = ChunkDigest::default();
    for i in &per_chunk {
        whole.merge(&i.expected);
    }
    vec![Item {
        table: ti,
        chunk: ChunkSpec {
            id: format!("{}#*", t.display_name()),
            index: 0,
            file: String::new(),
            range: ChunkRange::Whole,
            filter: None,
        },
        expected: whole,
    }]
}

/// True when the key's first column is an integer (ranges of it select the same rows on any
/// engine).
fn integer_key(t: &TablePlan) -> bool {
    let Some(k) = &t.key else { return false };
    let c = &t.columns[k.positions[0]];
    match &c.mysql {
        Some(m) => matches!(m, MyKind::Int { .. } | MyKind::Year | MyKind::Bit { .. }),
        None => matches!(c.kind, PgKind::Int2 | PgKind::Int4 | PgKind::Int8),
    }
}

/// Reads one range of the target and digests it by the manifest's schema.
async fn digest_of(
    session: &mut Session,
    table: &TablePlan,
    hash_as: Option<&SchemaRef>,
    chunk: &ChunkSpec,
) -> Result<ChunkDigest> {
    let (tx, mut rx) = mpsc::channel::<ChunkMsg>(CHANNEL_DEPTH);
    let hash_schema = hash_as.map(|s| s.as_ref()).unwrap_or(&table.arrow_schema);
    let mut hasher = RowHasher::try_new(hash_schema).map_err(|e| EngineError::Format {
        chunk: chunk.id.clone(),
        cause: Box::new(e),
    })?;
    let key = table
        .key
        .as_ref()
        .map(|k| k.positions.clone())
        .unwrap_or_default();
    let consume = async move {
        let mut digest = ChunkDigest::default();
        while let Some(msg) = rx.recv().await {
            if let ChunkMsg::Batch(b) = msg {
                let b = match hash_as {
                    Some(s) => crate::mysql::to_pg::from_pg(&b, s, &key, &chunk.id)?,
                    None => b,
                };
                hasher
                    .digest_batch(&b, &mut digest)
                    .map_err(|e| EngineError::Format {
                        chunk: chunk.id.clone(),
                        cause: Box::new(e),
                    })?;
            }
        }
        Ok::<ChunkDigest, EngineError>(digest)
    };
    let read = async move {
        let limits = BatchLimits::default();
        match session {
            Session::Pg(w) => crate::source::pg::read_chunk(w, table, chunk, limits, &tx, None)
                .await
                .map(|_| ()),
            Session::MySql(c) => crate::source::mysql::read_chunk(
                c,
                table,
                chunk,
                limits,
                crate::mysql::planner::ZeroDates::Error,
                &tx,
                None,
            )
            .await
            .map(|_| ()),
        }
    };
    let (read, digest) = tokio::join!(read, consume);
    read?;
    digest
}
