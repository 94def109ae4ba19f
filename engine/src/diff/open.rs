//! Opening a diff: the source's snapshot and plan (as `dump` takes them), the target's tables
//! paired with the source's, and the target's snapshot.

use std::collections::{BTreeMap, HashSet};

use arrow_schema::SchemaRef;

use crate::diff::chunk::TableCtx;
use crate::diff::sides::{
    Columns, Holder, Reader, SidePlan, collations_of, column_mismatch, my_read_plan, my_tables,
    only_in_target, open_my_target, open_pg_target, pg_tables, ranges_agree,
};
use crate::diff::{DiffOptions, TableDiff, TableStatus};
use crate::dump::{Selection, bare_manifest, new_manifest};
use crate::endpoint::{Endpoint, MyEndpoint, PgEndpoint};
use crate::error::{EngineError, Result};
use crate::manifest::{DumpSettings, Fingerprint, Manifest};
use crate::mysql::from_pg::NumericAs;
use crate::plan::{ChunkRange, ChunkSpec, SplitKind, TablePlan};
use crate::select::TableFilter;
use crate::upsert::UpsertTable;

/// Both sides open and the tables paired.
pub(crate) struct Opened {
    pub holders: Vec<Holder>,
    pub src: Reader,
    pub dst: Reader,
    /// Tables compared chunk by chunk.
    pub tables: Vec<TableCtx>,
    /// Tables reported without reading rows (missing on a side, other columns).
    pub statuses: Vec<TableDiff>,
    pub snapshot: String,
    pub warnings: Vec<String>,
}

/// The target, opened and paired with the source's tables.
struct Paired {
    holder: Holder,
    reader: Reader,
    tables: Vec<TableCtx>,
    statuses: Vec<TableDiff>,
}

/// The source, opened: its snapshot, plan and the columns of its tables.
struct Source {
    holder: Holder,
    reader: Reader,
    manifest: Manifest,
    /// Per table (in plan order): columns with type and collation, as the server reports them.
    columns: Vec<Columns>,
    snapshot: String,
    warnings: Vec<String>,
}

fn settings(sel: &Selection) -> (DumpSettings, Fingerprint) {
    (
        DumpSettings {
            tables: sel.tables.clone(),
            exclude: sel.exclude.clone(),
            as_text: sel.as_text.clone(),
            chunk_bytes: sel.chunk_bytes,
            compression: "none".into(),
            zero_dates: None,
        },
        Fingerprint {
            source: String::new(),
            schema: String::new(),
        },
    )
}

async fn open_pg_source(src: &PgEndpoint, sel: &Selection) -> Result<Source> {
    let opened = crate::dump::open_run(src, sel).await?;
    let planned = async {
        let tables = crate::pg::planner::plan_tables(
            opened.leader.client(),
            &opened.catalog,
            &sel.plan_options(),
        )
        .await?;
        let all = pg_tables(opened.leader.client()).await?;
        Ok::<_, EngineError>((tables, all))
    }
    .await;
    let (tables, all) = match planned {
        Ok(x) => x,
        Err(e) => {
            opened.leader.finish().await;
            return Err(e);
        }
    };
    let columns = tables
        .iter()
        .map(|t| {
            all.get(&(t.schema.clone(), t.name.clone()))
                .cloned()
                .unwrap_or_default()
        })
        .collect();
    let (s, f) = settings(sel);
    let manifest = new_manifest(&opened, s, f, tables);
    let snapshot = opened.leader.info.id.clone();
    let reader = Reader::Pg {
        ep: Box::new(src.clone()),
        snapshot: snapshot.clone(),
    };
    Ok(Source {
        holder: Holder::Pg(opened.leader),
        reader,
        manifest,
        columns,
        snapshot,
        warnings: opened.skipped,
    })
}

async fn open_my_source(
    src: &MyEndpoint,
    sel: &Selection,
    jobs: usize,
    block_ddl: bool,
) -> Result<Source> {
    let mut opened = crate::mysql::open::open_run(src, sel, jobs, block_ddl).await?;
    let planned = async {
        let tables = opened.plan(sel).await?;
        let mut conn = crate::mysql::conn::connect(src).await?;
        let all = my_tables(&mut conn, src.dbname()).await;
        let _ = conn.disconnect().await;
        Ok::<_, EngineError>((tables, all?))
    }
    .await;
    let (tables, all) = match planned {
        Ok(x) => x,
        Err(e) => {
            opened.leader.finish().await;
            return Err(e);
        }
    };
    let columns = tables
        .iter()
        .map(|t| all.get(&t.name).cloned().unwrap_or_default())
        .collect();
    let (s, f) = settings(sel);
    let mut manifest = bare_manifest(opened.source.clone(), s, f, tables);
    manifest.snapshots.push(opened.leader.info.clone());
    let snapshot = opened.leader.info.id.clone();
    let reader = Reader::MySql {
        pool: opened.take_pool(),
        zero_dates: sel.zero_dates,
    };
    let warnings = opened
        .warnings
        .into_iter()
        .filter(|w| !w.starts_with("DDL on the source tables"))
        .collect();
    Ok(Source {
        holder: Holder::MySql(opened.leader),
        reader,
        manifest,
        columns,
        snapshot,
        warnings,
    })
}

/// Opens both sides and pairs their tables.
pub(crate) async fn open(src: &Endpoint, dst: &Endpoint, opts: &DiffOptions) -> Result<Opened> {
    let sel = &opts.selection;
    let source = match src {
        Endpoint::Postgres(pg) => open_pg_source(pg, sel).await?,
        Endpoint::MySql(my) => {
            open_my_source(
                my,
                sel,
                opts.jobs.max(1),
                !matches!(dst, Endpoint::MySql(_)),
            )
            .await?
        }
        Endpoint::Dir(p) => return Err(crate::dump::not_a_source(p)),
    };
    let holder_reader = async {
        match dst {
            Endpoint::Postgres(pg) => pair_pg(&source, src, pg, opts).await,
            Endpoint::MySql(my) => pair_my(&source, src, my, opts).await,
            Endpoint::Dir(p) => Err(EngineError::Usage(format!(
                "the target must be a database URL (postgres://… or mysql://…), got the path `{}`",
                p.display()
            ))),
        }
    }
    .await;
    match holder_reader {
        Ok(p) => Ok(Opened {
            holders: vec![source.holder, p.holder],
            src: source.reader,
            dst: p.reader,
            tables: p.tables,
            statuses: p.statuses,
            snapshot: source.snapshot,
            warnings: source.warnings,
        }),
        Err(e) => {
            source.holder.finish().await;
            Err(e)
        }
    }
}

/// The chunks both sides read: the source's key ranges when they select the same rows on the
/// target, else the whole table in one comparison (digests are sums, so nothing is lost).
fn items(t: &TablePlan, aligned: bool) -> Vec<ChunkSpec> {
    if (aligned && t.split != SplitKind::Pages) || t.chunks.len() <= 1 {
        return t.chunks.clone();
    }
    vec![ChunkSpec {
        id: format!("{}#*", t.display_name()),
        index: 0,
        file: String::new(),
        range: ChunkRange::Whole,
        filter: None,
    }]
}

fn status(t: &TablePlan, target: &str, status: TableStatus, detail: String) -> TableDiff {
    TableDiff {
        table: t.display_name(),
        target: target.to_string(),
        status,
        detail: Some(detail),
        keyed: t.key.is_some(),
        ..TableDiff::default()
    }
}

fn ctx(t: &TablePlan, read: TablePlan, convert: Option<SchemaRef>, aligned: bool) -> TableCtx {
    let chunks = items(t, aligned);
    TableCtx {
        display: t.display_name(),
        src: SidePlan {
            plan: TablePlan {
                chunks: chunks.clone(),
                ..t.clone()
            },
            convert: None,
        },
        dst: SidePlan {
            plan: TablePlan { chunks, ..read },
            convert,
        },
        schema: t.schema_ref(),
        key: t
            .key
            .as_ref()
            .map(|k| k.positions.clone())
            .unwrap_or_default(),
        upsert: None,
    }
}

/// The source's column types as the target engine of the same kind would spell them.
fn source_types(t: &TablePlan) -> Vec<String> {
    match &t.mysql {
        Some(my) => t
            .columns
            .iter()
            .map(|c| {
                my.columns
                    .iter()
                    .find(|d| d.name == c.name)
                    .map(|d| d.column_type.clone())
                    .unwrap_or_else(|| c.source_type.clone())
            })
            .collect(),
        None => t
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                t.ddl
                    .columns
                    .get(i)
                    .map(|d| d.pg_type.clone())
                    .unwrap_or_else(|| c.source_type.clone())
            })
            .collect(),
    }
}

fn names(t: &TablePlan) -> Vec<String> {
    t.columns.iter().map(|c| c.name.clone()).collect()
}

async fn pair_pg(
    source: &Source,
    src: &Endpoint,
    dst: &PgEndpoint,
    opts: &DiffOptions,
) -> Result<Paired> {
    let from_mysql = matches!(src, Endpoint::MySql(_));
    let client = crate::pg::conn::connect(dst).await?;
    let all = pg_tables(&client).await?;
    let pg_m = if from_mysql {
        Some(crate::mysql::to_pg::pg_manifest(&source.manifest)?)
    } else {
        None
    };
    let mut tables = Vec::new();
    let mut statuses = Vec::new();
    let mut known = HashSet::new();
    for (i, t) in source.manifest.tables.iter().enumerate() {
        let name = match &pg_m {
            Some(_) => (crate::mysql::to_pg::PG_SCHEMA.to_string(), t.name.clone()),
            None => (t.schema.clone(), t.name.clone()),
        };
        let target = format!("{}.{}", name.0, name.1);
        known.insert((t.schema.clone(), t.name.clone()));
        let Some(cols) = all.get(&name) else {
            statuses.push(status(
                t,
                &target,
                TableStatus::MissingInTarget,
                format!("{target} does not exist in the target"),
            ));
            continue;
        };
        let types = source_types(t);
        let check_types = if from_mysql {
            None
        } else {
            Some(types.as_slice())
        };
        if let Some(why) = column_mismatch(&names(t), check_types, cols) {
            statuses.push(status(t, &target, TableStatus::ColumnsDiffer, why));
            continue;
        }
        let aligned = ranges_agree(t, !from_mysql, &collations_of(&source.columns[i]), cols);
        let mut c = match &pg_m {
            Some(_) => ctx(
                t,
                crate::mysql::to_pg::pg_read_plan(t),
                Some(t.schema_ref()),
                aligned,
            ),
            None => ctx(t, t.clone(), None, aligned),
        };
        if opts.apply && t.key.is_some() {
            let tcols = crate::pg::target::target_columns(&client, &name.0, &name.1).await?;
            let plan = match &pg_m {
                Some(m) => &m.tables[i],
                None => t,
            };
            c.upsert = Some(UpsertTable::pg(plan, &name.0, &name.1, &tcols, from_mysql)?);
        }
        tables.push(c);
    }
    let filter = TableFilter::try_new(&opts.selection.tables, &opts.selection.exclude)?;
    // Target tables are matched by --tables/--exclude as the source names its tables: a
    // MySQL source's database stands for `public`.
    let src_db = &source.manifest.source.database;
    let listed = all.keys().filter_map(|(s, t)| match from_mysql {
        true if s != crate::mysql::to_pg::PG_SCHEMA => None,
        true => Some((src_db.clone(), t.clone(), format!("{s}.{t}"))),
        false => Some((s.clone(), t.clone(), format!("{s}.{t}"))),
    });
    for extra in only_in_target(listed, &known, &filter) {
        statuses.push(only(&extra));
    }
    let locked: Vec<(String, String)> = tables
        .iter()
        .map(|c| (c.dst.plan.schema.clone(), c.dst.plan.name.clone()))
        .collect();
    drop(client);
    let (holder, reader) = open_pg_target(dst, &locked, &opts.selection).await?;
    Ok(Paired {
        holder,
        reader,
        tables,
        statuses,
    })
}

fn only(name: &str) -> TableDiff {
    TableDiff {
        table: name.to_string(),
        target: name.to_string(),
        status: TableStatus::OnlyInTarget,
        detail: Some(format!("{name} exists only in the target")),
        ..TableDiff::default()
    }
}

async fn pair_my(
    source: &Source,
    src: &Endpoint,
    dst: &MyEndpoint,
    opts: &DiffOptions,
) -> Result<Paired> {
    let from_pg = matches!(src, Endpoint::Postgres(_));
    let filter_schema = |t: &TablePlan| {
        if from_pg {
            String::new()
        } else {
            t.schema.clone()
        }
    };
    let db = dst.dbname().to_string();
    let mut conn = crate::mysql::conn::connect(dst).await?;
    let all: BTreeMap<String, Columns> = my_tables(&mut conn, &db).await?;
    if opts.apply {
        crate::mysql::target::check_local_infile(&mut conn, dst).await?;
    }
    let my_m = if from_pg {
        let mut m = crate::mysql::from_pg::my_manifest(&source.manifest, NumericAs::Decimal)?;
        let types: crate::mysql::from_pg::TargetColumns = all
            .iter()
            .map(|(t, cols)| {
                let cols = cols
                    .iter()
                    .map(|(n, ty, _)| (n.clone(), ty.split('(').next().unwrap_or(ty).to_string()))
                    .collect();
                (t.clone(), cols)
            })
            .collect();
        crate::mysql::from_pg::follow_target(&mut m, &types);
        Some(m)
    } else {
        None
    };
    let _ = conn.disconnect().await;
    let mut tables = Vec::new();
    let mut statuses = Vec::new();
    let mut known = HashSet::new();
    for (i, t) in source.manifest.tables.iter().enumerate() {
        let target = format!("{db}.{}", t.name);
        known.insert((filter_schema(t), t.name.clone()));
        let Some(cols) = all.get(&t.name) else {
            statuses.push(status(
                t,
                &target,
                TableStatus::MissingInTarget,
                format!("{target} does not exist in the target"),
            ));
            continue;
        };
        let types = source_types(t);
        let check_types = if from_pg {
            None
        } else {
            Some(types.as_slice())
        };
        if let Some(why) = column_mismatch(&names(t), check_types, cols) {
            statuses.push(status(t, &target, TableStatus::ColumnsDiffer, why));
            continue;
        }
        let aligned = ranges_agree(t, !from_pg, &collations_of(&source.columns[i]), cols);
        let mut c = match &my_m {
            Some(m) => ctx(
                t,
                my_read_plan(&m.tables[i], &db),
                Some(t.schema_ref()),
                aligned,
            ),
            None => ctx(
                t,
                TablePlan {
                    schema: db.clone(),
                    ..t.clone()
                },
                None,
                aligned,
            ),
        };
        if opts.apply && t.key.is_some() {
            let plan = match &my_m {
                Some(m) => &m.tables[i],
                None => t,
            };
            c.upsert = Some(UpsertTable::mysql(plan, &db, &t.name)?);
        }
        tables.push(c);
    }
    let filter = TableFilter::try_new(&opts.selection.tables, &opts.selection.exclude)?;
    // Target tables are matched by --tables/--exclude as the source names its tables: a MySQL
    // source's database stands for the target's; a PostgreSQL source's schemas are gone in
    // MySQL, so only patterns without a dot match there.
    let src_db = source.manifest.source.database.clone();
    let listed = all.keys().map(|t| {
        let schema = if from_pg {
            String::new()
        } else {
            src_db.clone()
        };
        (schema, t.clone(), format!("{db}.{t}"))
    });
    for extra in only_in_target(listed, &known, &filter) {
        statuses.push(only(&extra));
    }
    let (holder, reader) = open_my_target(dst, &opts.selection, opts.jobs.max(1)).await?;
    Ok(Paired {
        holder,
        reader,
        tables,
        statuses,
    })
}
