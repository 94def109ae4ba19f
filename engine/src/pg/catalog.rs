//! Reading a PostgreSQL database's catalog: which tables exist, their columns and types, keys,
//! sizes, and the DDL a later load needs (constraints, indexes, partitioning, enums, domains).
//!
//! Every query here is a catalog read; run them inside the run's snapshot transaction so what
//! the plan says matches what the workers read.

use std::collections::{BTreeMap, HashMap, HashSet};

use haul_formats::pgtypes::{PgColumnType, PgTypType};
use serde::{Deserialize, Serialize};
use tokio_postgres::Client;
use tokio_postgres::types::Oid;

use crate::error::{EngineError, Result};
use crate::select::TableFilter;

/// One table as the catalog describes it.
#[derive(Debug, Clone)]
pub struct PgTable {
    pub oid: Oid,
    pub schema: String,
    pub name: String,
    /// For a partition: its direct parent `(schema, name)` and its bound (`FOR VALUES …`).
    pub partition_of: Option<PartitionOf>,
    /// Estimated rows from `pg_class.reltuples`, `None` when never analyzed.
    pub reltuples: Option<f64>,
    /// Heap (main fork) bytes.
    pub heap_bytes: u64,
    /// Heap + TOAST bytes (`pg_table_size`).
    pub total_bytes: u64,
    pub columns: Vec<PgColumn>,
    pub key: Option<PgKey>,
    /// `pg_stats.correlation` of the key's first column (physical vs key order), when
    /// analyzed: near ±1 the heap is in key order and key ranges read it sequentially.
    pub key_correlation: Option<f64>,
    pub ddl: TableDdl,
}

/// A partition's place in its hierarchy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionOf {
    pub parent_schema: String,
    pub parent_name: String,
    pub bound: String,
}

/// One column.
#[derive(Debug, Clone)]
pub struct PgColumn {
    pub name: String,
    pub ty: PgColumnType,
    pub not_null: bool,
    /// The type without modifiers (`format_type(atttypid, NULL)`), for casting literals.
    pub cast_type: String,
}

/// The key the planner splits on: a primary key or a NOT NULL unique index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PgKey {
    /// Column names, in key order.
    pub columns: Vec<String>,
    /// Positions of the key columns in the table's column list.
    pub positions: Vec<usize>,
    /// `primary key "orders_pkey"` or `unique index "orders_code_key"`.
    pub source: String,
}

/// What a load needs to recreate a table (issue 3 builds on this).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableDdl {
    pub columns: Vec<ColumnDdl>,
    pub constraints: Vec<ConstraintDdl>,
    pub indexes: Vec<IndexDdl>,
    /// For a partitioned table: `pg_get_partkeydef` (e.g. `RANGE (created_at)`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub partition_key: Option<String>,
}

/// A column's definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnDdl {
    pub name: String,
    /// `format_type(atttypid, atttypmod)`.
    pub pg_type: String,
    pub not_null: bool,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub default: Option<String>,
    /// `a` (ALWAYS) or `d` (BY DEFAULT) for identity columns.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub identity: Option<String>,
    /// The generation expression of a `GENERATED ALWAYS AS (…) STORED` column.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub generated: Option<String>,
    /// A non-default collation.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub collation: Option<String>,
}

/// A table constraint (`pg_get_constraintdef`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConstraintDdl {
    pub name: String,
    /// `p`, `u`, `f`, `c`, `x`, `t`.
    pub kind: String,
    pub definition: String,
    /// False when inherited from a parent (a partition's copy of the parent's constraint).
    pub local: bool,
}

/// An index (`pg_get_indexdef`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexDdl {
    pub name: String,
    pub definition: String,
    pub primary: bool,
    pub unique: bool,
    /// The constraint the index backs, if any.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub constraint: Option<String>,
    /// A partition's copy of its parent's index (created with the parent's, never alone).
    #[serde(default)]
    pub inherited: bool,
}

/// An enum type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnumDdl {
    pub schema: String,
    pub name: String,
    pub labels: Vec<String>,
}

/// A domain type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainDdl {
    pub schema: String,
    pub name: String,
    pub base_type: String,
    pub not_null: bool,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub default: Option<String>,
    pub constraints: Vec<String>,
}

/// A partitioned (parent) table: no data of its own; its leaves are dumped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionedDdl {
    pub schema: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub partition_of: Option<PartitionOf>,
    pub ddl: TableDdl,
}

/// Everything the catalog read returns.
#[derive(Debug, Clone, Default)]
pub struct PgCatalog {
    pub tables: Vec<PgTable>,
    pub partitioned: Vec<PartitionedDdl>,
    pub enums: Vec<EnumDdl>,
    pub domains: Vec<DomainDdl>,
    pub sequences: Vec<crate::pg::objects::SequenceDdl>,
    pub views: Vec<crate::pg::objects::ViewDdl>,
    /// Objects a load does not recreate, said in words (triggers, policies, functions, …).
    pub not_recreated: Vec<String>,
    pub server_version_num: i32,
    pub money_scale: i8,
}

/// A row of the table listing.
#[derive(Debug, Clone)]
pub struct TableListing {
    pub oid: Oid,
    pub schema: String,
    pub name: String,
    /// `r` (table) or `p` (partitioned).
    pub relkind: char,
    /// Direct parent's OID for partitions.
    pub parent: Option<Oid>,
}

/// Lists the user tables (ordinary and partitioned), skipping system schemas and tables owned
/// by extensions.
pub async fn list_tables(client: &Client) -> Result<Vec<TableListing>> {
    let rows = client
        .query(
            "SELECT c.oid, n.nspname::text, c.relname::text, c.relkind::text, \
                    (SELECT i.inhparent FROM pg_catalog.pg_inherits i \
                      WHERE i.inhrelid = c.oid AND c.relispartition) \
               FROM pg_catalog.pg_class c \
               JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
              WHERE c.relkind IN ('r', 'p') \
                AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'haul') \
                AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)' \
                AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d \
                                 WHERE d.classid = 'pg_catalog.pg_class'::regclass \
                                   AND d.objid = c.oid AND d.deptype = 'e') \
              ORDER BY n.nspname, c.relname",
            &[],
        )
        .await
        .map_err(|e| EngineError::pg("listing tables", e))?;
    Ok(rows
        .iter()
        .map(|r| TableListing {
            oid: r.get(0),
            schema: r.get(1),
            name: r.get(2),
            relkind: r.get::<_, String>(3).chars().next().unwrap_or('r'),
            parent: r.get(4),
        })
        .collect())
}

/// Relations that hold rows haul does not dump: foreign tables (their data lives elsewhere) and
/// materialized views (their rows are derived; refresh them after a load). Returned as
/// `(what, schema, name)` so `plan` and `dump` can say so instead of skipping them silently.
pub async fn list_skipped(
    client: &Client,
    filter: &TableFilter,
) -> Result<Vec<(String, String, String)>> {
    let rows = client
        .query(
            "SELECT CASE c.relkind WHEN 'f' THEN 'foreign table' ELSE 'materialized view' END, \
                    n.nspname::text, c.relname::text \
               FROM pg_catalog.pg_class c \
               JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
              WHERE c.relkind IN ('f', 'm') \
                AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'haul') \
                AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)' \
              ORDER BY 2, 3",
            &[],
        )
        .await
        .map_err(|e| EngineError::pg("listing foreign tables and materialized views", e))?;
    Ok(rows
        .iter()
        .map(|r| {
            (
                r.get::<_, String>(0),
                r.get::<_, String>(1),
                r.get::<_, String>(2),
            )
        })
        .filter(|(_, s, t)| filter.includes(s, t) && !filter.excludes(s, t))
        .collect())
}

/// Applies `--tables`/`--exclude` to a listing: partitioned parents never carry data, so a
/// parent that is selected brings its leaves in; an excluded parent takes its leaves out.
/// Returns the leaves (and plain tables) to dump and the partitioned parents involved.
pub fn select_tables(
    listing: &[TableListing],
    filter: &TableFilter,
) -> Result<(Vec<TableListing>, Vec<TableListing>)> {
    let by_oid: HashMap<Oid, &TableListing> = listing.iter().map(|t| (t.oid, t)).collect();
    let ancestors = |t: &TableListing| {
        let mut out = Vec::new();
        let mut cur = t.parent;
        while let Some(p) = cur.and_then(|oid| by_oid.get(&oid)) {
            out.push(*p);
            cur = p.parent;
        }
        out
    };
    let mut leaves = Vec::new();
    let mut parents: BTreeMap<Oid, TableListing> = BTreeMap::new();
    for t in listing.iter().filter(|t| t.relkind == 'r') {
        let chain = ancestors(t);
        let included = filter.includes(&t.schema, &t.name)
            || chain.iter().any(|p| filter.includes(&p.schema, &p.name));
        let excluded = filter.excludes(&t.schema, &t.name)
            || chain.iter().any(|p| filter.excludes(&p.schema, &p.name));
        if included && !excluded {
            for p in &chain {
                parents.insert(p.oid, (*p).clone());
            }
            leaves.push(t.clone());
        }
    }
    filter.check_all_matched(listing.iter().map(|t| (t.schema.as_str(), t.name.as_str())))?;
    if leaves.is_empty() {
        return Err(EngineError::Usage(if filter.is_empty() {
            "the database has no tables to dump".to_string()
        } else {
            format!("no table left to dump after {}", filter.describe())
        }));
    }
    Ok((leaves, parents.into_values().collect()))
}

/// reltuples, heap bytes, total bytes, partition key, partition bound.
type SizeRow = (f64, i64, i64, Option<String>, Option<String>);

/// A type as read from pg_type.
#[derive(Debug, Clone)]
struct TypeRow {
    name: String,
    display: String,
    typtype: char,
    basetype: Oid,
    typtypmod: i32,
    elem: Oid,
    is_array: bool,
    qualified: String,
}

/// Reads columns, types, keys, sizes and DDL for the selected tables and parents.
pub async fn describe(
    client: &Client,
    tables: &[TableListing],
    parents: &[TableListing],
) -> Result<PgCatalog> {
    let server_version_num: i32 = client
        .query_one("SELECT current_setting('server_version_num')::int", &[])
        .await
        .map_err(|e| EngineError::pg("reading the server version", e))?
        .get(0);
    let money_scale: i32 = client
        .query_one("SELECT scale('1'::money::numeric)", &[])
        .await
        .map_err(|e| EngineError::pg("reading money's scale", e))?
        .get(0);

    let oids: Vec<Oid> = tables.iter().chain(parents).map(|t| t.oid).collect();
    let sizes = client
        .query(
            "SELECT c.oid, c.reltuples::float8, pg_catalog.pg_relation_size(c.oid), \
                    pg_catalog.pg_table_size(c.oid), \
                    CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END, \
                    CASE WHEN c.relispartition THEN pg_catalog.pg_get_expr(c.relpartbound, c.oid) END \
               FROM pg_catalog.pg_class c WHERE c.oid = ANY($1)",
            &[&oids],
        )
        .await
        .map_err(|e| EngineError::pg("reading table sizes", e))?;
    let mut size_of: HashMap<Oid, SizeRow> = HashMap::new();
    for r in &sizes {
        size_of.insert(r.get(0), (r.get(1), r.get(2), r.get(3), r.get(4), r.get(5)));
    }

    let cols = client
        .query(
            "SELECT a.attrelid, a.attname::text, a.atttypid, a.atttypmod, a.attnotnull, a.attndims, \
                    pg_catalog.format_type(a.atttypid, a.atttypmod), \
                    pg_catalog.pg_get_expr(ad.adbin, ad.adrelid), a.attidentity::text, \
                    a.attgenerated::text, \
                    CASE WHEN a.attcollation <> t.typcollation AND a.attcollation <> 0 \
                         THEN (SELECT pg_catalog.quote_ident(co.collname) FROM pg_catalog.pg_collation co \
                                WHERE co.oid = a.attcollation) END, \
                    pg_catalog.format_type(a.atttypid, NULL) \
               FROM pg_catalog.pg_attribute a \
               JOIN pg_catalog.pg_type t ON t.oid = a.atttypid \
               LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum \
              WHERE a.attrelid = ANY($1) AND a.attnum > 0 AND NOT a.attisdropped \
              ORDER BY a.attrelid, a.attnum",
            &[&oids],
        )
        .await
        .map_err(|e| EngineError::pg("reading columns", e))?;

    let types = load_types(client, cols.iter().map(|r| r.get::<_, Oid>(2)).collect()).await?;
    let enum_oids: Vec<Oid> = types
        .iter()
        .filter(|(_, t)| t.typtype == 'e')
        .map(|(oid, _)| *oid)
        .collect();
    let labels = load_enum_labels(client, &enum_oids).await?;

    let mut columns: HashMap<Oid, Vec<PgColumn>> = HashMap::new();
    let mut column_ddl: HashMap<Oid, Vec<ColumnDdl>> = HashMap::new();
    for r in &cols {
        let rel: Oid = r.get(0);
        let name: String = r.get(1);
        let typmod: i32 = r.get(3);
        let ndims: i32 = r.get(5);
        let display: String = r.get(6);
        let ty = resolve_type(r.get(2), typmod, ndims, display.clone(), &types, &labels);
        let identity: String = r.get(8);
        let generated: String = r.get(9);
        let default: Option<String> = r.get(7);
        let not_null: bool = r.get(4);
        columns.entry(rel).or_default().push(PgColumn {
            name: name.clone(),
            ty,
            not_null,
            cast_type: r.get(11),
        });
        column_ddl.entry(rel).or_default().push(ColumnDdl {
            name,
            pg_type: display,
            not_null,
            default: if generated.is_empty() {
                default.clone()
            } else {
                None
            },
            identity: (!identity.is_empty()).then_some(identity),
            generated: if generated.is_empty() { None } else { default },
            collation: r.get(10),
        });
    }

    let (constraints, indexes, keys) =
        load_constraints_and_indexes(client, &oids, &columns).await?;

    let by_oid: HashMap<Oid, &TableListing> =
        tables.iter().chain(parents).map(|t| (t.oid, t)).collect();
    let partition_of = |t: &TableListing, bound: &Option<String>| -> Option<PartitionOf> {
        let p = by_oid.get(&t.parent?)?;
        Some(PartitionOf {
            parent_schema: p.schema.clone(),
            parent_name: p.name.clone(),
            bound: bound.clone().unwrap_or_default(),
        })
    };
    let ddl_of = |oid: Oid, partkey: Option<String>| TableDdl {
        columns: column_ddl.get(&oid).cloned().unwrap_or_default(),
        constraints: constraints.get(&oid).cloned().unwrap_or_default(),
        indexes: indexes.get(&oid).cloned().unwrap_or_default(),
        partition_key: partkey,
    };

    let mut out = PgCatalog {
        server_version_num,
        money_scale: money_scale.clamp(0, 18) as i8,
        ..Default::default()
    };
    for t in tables {
        let Some((reltuples, heap, total, _, bound)) = size_of.get(&t.oid).cloned() else {
            return Err(EngineError::SourceChanged(format!(
                "table {}.{} disappeared while it was being described (dropped by another session?)",
                t.schema, t.name
            )));
        };
        out.tables.push(PgTable {
            oid: t.oid,
            schema: t.schema.clone(),
            name: t.name.clone(),
            partition_of: partition_of(t, &bound),
            reltuples: (reltuples >= 0.0).then_some(reltuples),
            heap_bytes: heap.max(0) as u64,
            total_bytes: total.max(0) as u64,
            columns: columns.remove(&t.oid).unwrap_or_default(),
            key: keys.get(&t.oid).cloned(),
            key_correlation: None,
            ddl: ddl_of(t.oid, None),
        });
    }
    for p in parents {
        let (_, _, _, partkey, bound) = size_of.get(&p.oid).cloned().unwrap_or_default();
        out.partitioned.push(PartitionedDdl {
            schema: p.schema.clone(),
            name: p.name.clone(),
            partition_of: partition_of(p, &bound),
            ddl: ddl_of(p.oid, partkey),
        });
    }
    load_key_correlations(client, &mut out.tables).await?;
    let table_oids: Vec<Oid> = tables.iter().chain(parents).map(|t| t.oid).collect();
    out.sequences = crate::pg::objects::load_sequences(client, &table_oids).await?;
    let (views, views_skipped) = crate::pg::objects::load_views(client, &table_oids).await?;
    out.views = views;
    out.not_recreated = crate::pg::objects::not_recreated(client, &table_oids).await?;
    out.not_recreated.extend(views_skipped);
    let (enums, domains) = load_user_types(client, &types).await?;
    out.enums = enums;
    out.domains = domains;
    Ok(out)
}

/// Fills `key_correlation` from `pg_stats` for tables with a key.
async fn load_key_correlations(client: &Client, tables: &mut [PgTable]) -> Result<()> {
    let wanted: Vec<(String, String, String)> = tables
        .iter()
        .filter_map(|t| {
            Some((
                t.schema.clone(),
                t.name.clone(),
                t.key.as_ref()?.columns[0].clone(),
            ))
        })
        .collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let schemas: Vec<&str> = wanted.iter().map(|w| w.0.as_str()).collect();
    let names: Vec<&str> = wanted.iter().map(|w| w.1.as_str()).collect();
    let cols: Vec<&str> = wanted.iter().map(|w| w.2.as_str()).collect();
    let rows = client
        .query(
            "SELECT s.schemaname::text, s.tablename::text, s.correlation::float8 \
               FROM pg_catalog.pg_stats s \
               JOIN unnest($1::text[], $2::text[], $3::text[]) AS w(sch, tab, col) \
                 ON s.schemaname = w.sch AND s.tablename = w.tab AND s.attname = w.col \
              WHERE NOT s.inherited AND s.correlation IS NOT NULL",
            &[&schemas, &names, &cols],
        )
        .await
        .map_err(|e| EngineError::pg("reading key statistics", e))?;
    let found: HashMap<(String, String), f64> = rows
        .iter()
        .map(|r| ((r.get(0), r.get(1)), r.get(2)))
        .collect();
    for t in tables.iter_mut() {
        t.key_correlation = found.get(&(t.schema.clone(), t.name.clone())).copied();
    }
    Ok(())
}

/// Loads pg_type rows for `oids` and, transitively, their base and element types.
async fn load_types(client: &Client, mut pending: Vec<Oid>) -> Result<HashMap<Oid, TypeRow>> {
    let mut types: HashMap<Oid, TypeRow> = HashMap::new();
    while !pending.is_empty() {
        pending.sort_unstable();
        pending.dedup();
        let rows = client
            .query(
                "SELECT t.oid, t.typname::text, pg_catalog.format_type(t.oid, NULL), t.typtype::text, \
                        t.typbasetype, t.typtypmod, t.typelem, \
                        (t.typcategory = 'A' AND t.typelem <> 0 AND t.typlen = -1), \
                        pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(t.typname) \
                   FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace \
                  WHERE t.oid = ANY($1)",
                &[&pending],
            )
            .await
            .map_err(|e| EngineError::pg("reading types", e))?;
        let mut next = Vec::new();
        for r in rows {
            let oid: Oid = r.get(0);
            let row = TypeRow {
                name: r.get(1),
                display: r.get(2),
                typtype: r.get::<_, String>(3).chars().next().unwrap_or('b'),
                basetype: r.get(4),
                typtypmod: r.get(5),
                elem: r.get(6),
                is_array: r.get(7),
                qualified: r.get(8),
            };
            for dep in [row.basetype, if row.is_array { row.elem } else { 0 }] {
                if dep != 0 && !types.contains_key(&dep) {
                    next.push(dep);
                }
            }
            types.insert(oid, row);
        }
        pending = next;
    }
    Ok(types)
}

async fn load_enum_labels(client: &Client, oids: &[Oid]) -> Result<HashMap<Oid, Vec<String>>> {
    let mut out: HashMap<Oid, Vec<String>> = HashMap::new();
    if oids.is_empty() {
        return Ok(out);
    }
    let rows = client
        .query(
            "SELECT enumtypid, enumlabel::text FROM pg_catalog.pg_enum \
              WHERE enumtypid = ANY($1) ORDER BY enumtypid, enumsortorder",
            &[&oids],
        )
        .await
        .map_err(|e| EngineError::pg("reading enum labels", e))?;
    for r in rows {
        out.entry(r.get(0)).or_default().push(r.get(1));
    }
    Ok(out)
}

/// Resolves a column type: domains to their base (keeping the domain's name and typmod),
/// arrays to their element (itself resolved).
fn resolve_type(
    oid: Oid,
    typmod: i32,
    ndims: i32,
    display: String,
    types: &HashMap<Oid, TypeRow>,
    labels: &HashMap<Oid, Vec<String>>,
) -> PgColumnType {
    let mut domain = None;
    let mut cur = oid;
    let mut typmod = typmod;
    // Domains may stack; the outermost name is the one the column declares.
    while let Some(t) = types.get(&cur).filter(|t| t.typtype == 'd') {
        domain.get_or_insert_with(|| t.qualified.clone());
        if typmod < 0 {
            typmod = t.typtypmod;
        }
        cur = t.basetype;
    }
    let Some(t) = types.get(&cur) else {
        return PgColumnType {
            display,
            oid: cur,
            name: String::new(),
            typtype: PgTypType::Pseudo,
            typmod,
            element: None,
            ndims,
            domain,
            enum_labels: None,
        };
    };
    let element = t.is_array.then(|| {
        // An array's typmod applies to its elements.
        Box::new(resolve_type(
            t.elem,
            typmod,
            0,
            String::new(),
            types,
            labels,
        ))
    });
    let element = element.map(|mut e| {
        if e.display.is_empty() {
            e.display = types
                .get(&t.elem)
                .map(|x| x.display.clone())
                .unwrap_or_default();
        }
        e
    });
    let typtype = match &element {
        Some(e) => e.typtype,
        None => PgTypType::from_char(t.typtype),
    };
    PgColumnType {
        display: if display.is_empty() {
            t.display.clone()
        } else {
            display
        },
        oid: cur,
        name: t.name.clone(),
        typtype,
        typmod,
        element,
        ndims,
        domain,
        enum_labels: labels.get(&cur).cloned(),
    }
}

type ConstraintsIndexesKeys = (
    HashMap<Oid, Vec<ConstraintDdl>>,
    HashMap<Oid, Vec<IndexDdl>>,
    HashMap<Oid, PgKey>,
);

async fn load_constraints_and_indexes(
    client: &Client,
    oids: &[Oid],
    columns: &HashMap<Oid, Vec<PgColumn>>,
) -> Result<ConstraintsIndexesKeys> {
    let rows = client
        .query(
            "SELECT conrelid, conname::text, contype::text, \
                    pg_catalog.pg_get_constraintdef(oid, true), conislocal \
               FROM pg_catalog.pg_constraint WHERE conrelid = ANY($1) \
              ORDER BY conrelid, contype, conname",
            &[&oids],
        )
        .await
        .map_err(|e| EngineError::pg("reading constraints", e))?;
    let mut constraints: HashMap<Oid, Vec<ConstraintDdl>> = HashMap::new();
    for r in rows {
        constraints
            .entry(r.get(0))
            .or_default()
            .push(ConstraintDdl {
                name: r.get(1),
                kind: r.get(2),
                definition: r.get(3),
                local: r.get(4),
            });
    }

    let rows = client
        .query(
            "SELECT i.indrelid, ic.relname::text, pg_catalog.pg_get_indexdef(i.indexrelid), \
                    i.indisprimary, i.indisunique, i.indisvalid, \
                    i.indpred IS NULL AND i.indexprs IS NULL, \
                    i.indkey::int2[], \
                    (SELECT con.conname::text FROM pg_catalog.pg_constraint con \
                      WHERE con.conindid = i.indexrelid AND con.conrelid = i.indrelid LIMIT 1), \
                    ic.relispartition \
               FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid \
              WHERE i.indrelid = ANY($1) ORDER BY i.indrelid, ic.relname",
            &[&oids],
        )
        .await
        .map_err(|e| EngineError::pg("reading indexes", e))?;

    // attnum → position in the column list needs the attnums; re-read them cheaply.
    let attnums = client
        .query(
            "SELECT attrelid, attnum FROM pg_catalog.pg_attribute \
              WHERE attrelid = ANY($1) AND attnum > 0 AND NOT attisdropped \
              ORDER BY attrelid, attnum",
            &[&oids],
        )
        .await
        .map_err(|e| EngineError::pg("reading column numbers", e))?;
    let mut position: HashMap<(Oid, i16), usize> = HashMap::new();
    let mut counters: HashMap<Oid, usize> = HashMap::new();
    for r in attnums {
        let rel: Oid = r.get(0);
        let n = counters.entry(rel).or_default();
        position.insert((rel, r.get(1)), *n);
        *n += 1;
    }

    let mut indexes: HashMap<Oid, Vec<IndexDdl>> = HashMap::new();
    let mut candidates: HashMap<Oid, Vec<(bool, PgKey)>> = HashMap::new();
    for r in rows {
        let rel: Oid = r.get(0);
        let name: String = r.get(1);
        let primary: bool = r.get(3);
        let unique: bool = r.get(4);
        let valid: bool = r.get(5);
        let plain: bool = r.get(6);
        let keys: Vec<i16> = r.get(7);
        indexes.entry(rel).or_default().push(IndexDdl {
            name: name.clone(),
            definition: r.get(2),
            primary,
            unique,
            constraint: r.get(8),
            inherited: r.get(9),
        });
        if !(unique && valid && plain) || keys.is_empty() {
            continue;
        }
        let Some(cols) = columns.get(&rel) else {
            continue;
        };
        let positions: Option<Vec<usize>> = keys
            .iter()
            .map(|k| position.get(&(rel, *k)).copied())
            .collect();
        let Some(positions) = positions else { continue };
        if !positions.iter().all(|p| cols[*p].not_null) {
            continue;
        }
        let key = PgKey {
            columns: positions.iter().map(|p| cols[*p].name.clone()).collect(),
            positions,
            source: if primary {
                format!("primary key {}", crate::pg::quote_ident(&name))
            } else {
                format!("unique index {}", crate::pg::quote_ident(&name))
            },
        };
        candidates.entry(rel).or_default().push((primary, key));
    }
    let mut keys = HashMap::new();
    for (rel, mut cands) in candidates {
        // Primary key first, then the narrowest unique index, then by name for stability.
        cands.sort_by(|(pa, a), (pb, b)| {
            pb.cmp(pa)
                .then(a.columns.len().cmp(&b.columns.len()))
                .then(a.source.cmp(&b.source))
        });
        if let Some((_, key)) = cands.into_iter().next() {
            keys.insert(rel, key);
        }
    }
    Ok((constraints, indexes, keys))
}

/// Enum and domain definitions for the user types the selected columns use.
async fn load_user_types(
    client: &Client,
    types: &HashMap<Oid, TypeRow>,
) -> Result<(Vec<EnumDdl>, Vec<DomainDdl>)> {
    let wanted: Vec<Oid> = types
        .iter()
        .filter(|(_, t)| matches!(t.typtype, 'e' | 'd'))
        .map(|(oid, _)| *oid)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    if wanted.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let rows = client
        .query(
            "SELECT t.oid, n.nspname::text, t.typname::text, t.typtype::text, \
                    pg_catalog.format_type(t.typbasetype, t.typtypmod), t.typnotnull, t.typdefault, \
                    ARRAY(SELECT pg_catalog.pg_get_constraintdef(c.oid, true) \
                            FROM pg_catalog.pg_constraint c WHERE c.contypid = t.oid ORDER BY c.conname), \
                    ARRAY(SELECT e.enumlabel::text FROM pg_catalog.pg_enum e \
                           WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder) \
               FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace \
              WHERE t.oid = ANY($1) ORDER BY n.nspname, t.typname",
            &[&wanted],
        )
        .await
        .map_err(|e| EngineError::pg("reading enum and domain definitions", e))?;
    let mut enums = Vec::new();
    let mut domains = Vec::new();
    for r in rows {
        let kind: String = r.get(3);
        if kind == "e" {
            enums.push(EnumDdl {
                schema: r.get(1),
                name: r.get(2),
                labels: r.get(8),
            });
        } else {
            domains.push(DomainDdl {
                schema: r.get(1),
                name: r.get(2),
                base_type: r.get(4),
                not_null: r.get(5),
                default: r.get(6),
                constraints: r.get(7),
            });
        }
    }
    Ok((enums, domains))
}
