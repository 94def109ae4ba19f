//! Reading a MySQL/MariaDB database's catalog from `information_schema`: tables, columns and
//! their types, keys, sizes, and the DDL a later load needs (indexes, foreign keys,
//! AUTO_INCREMENT, generated columns).
//!
//! Catalog reads run on the leader while it holds the global read lock (or the DDL lock), so
//! what the plan says is what the workers' snapshots see.

use std::collections::{BTreeMap, HashMap};

use haul_formats::mytypes::{MyColumnType, MyKind};
use mysql_async::Conn;
use mysql_async::prelude::Queryable;
use serde::{Deserialize, Serialize};

use crate::error::{EngineError, Result};
use crate::mysql::{qualified, quote_literal};
use crate::select::TableFilter;

/// One table as the catalog describes it.
#[derive(Debug, Clone)]
pub struct MyTable {
    pub db: String,
    pub name: String,
    /// Estimated rows (`TABLE_ROWS`: exact for MyISAM, a statistic for InnoDB).
    pub table_rows: u64,
    /// `DATA_LENGTH`.
    pub data_bytes: u64,
    pub columns: Vec<MyColumn>,
    pub key: Option<MyKey>,
    pub ddl: MyTableDdl,
}

/// One column.
#[derive(Debug, Clone)]
pub struct MyColumn {
    pub name: String,
    pub ty: MyColumnType,
    /// The column's kind, or why it cannot be dumped.
    pub kind: std::result::Result<MyKind, String>,
    pub nullable: bool,
}

/// The key the planner splits on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MyKey {
    pub columns: Vec<String>,
    pub positions: Vec<usize>,
    /// `primary key` or `unique index "code"`.
    pub source: String,
}

/// What a load needs to recreate a MySQL table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyTableDdl {
    /// `SHOW CREATE TABLE`, as the server wrote it.
    pub create: String,
    pub engine: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub collation: Option<String>,
    pub columns: Vec<MyColumnDdl>,
    pub indexes: Vec<MyIndexDdl>,
    #[serde(default)]
    pub foreign_keys: Vec<MyForeignKey>,
    /// The next AUTO_INCREMENT value.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub auto_increment: Option<u64>,
}

/// A column's definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyColumnDdl {
    pub name: String,
    /// `COLUMN_TYPE`.
    pub column_type: String,
    pub nullable: bool,
    /// `COLUMN_DEFAULT` as the server reports it.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub default: Option<String>,
    /// `EXTRA`: `auto_increment`, `on update current_timestamp()`, `STORED GENERATED`, …
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub extra: String,
    /// The expression of a generated column.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub generated: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub charset: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub collation: Option<String>,
}

/// An index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyIndexDdl {
    pub name: String,
    pub primary: bool,
    pub unique: bool,
    /// `BTREE`, `FULLTEXT`, `SPATIAL`, `HASH`.
    pub index_type: String,
    pub columns: Vec<MyIndexPart>,
}

/// One column of an index, with its prefix length for TEXT/BLOB keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyIndexPart {
    pub column: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub prefix: Option<u64>,
}

/// A foreign key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyForeignKey {
    pub name: String,
    pub columns: Vec<String>,
    pub ref_db: String,
    pub ref_table: String,
    pub ref_columns: Vec<String>,
    pub on_update: String,
    pub on_delete: String,
}

/// The selected tables plus notes about what is not dumped.
#[derive(Debug, Clone, Default)]
pub struct MyCatalog {
    pub tables: Vec<MyTable>,
    /// Objects a load does not recreate (views, triggers, routines, events), in words.
    pub not_recreated: Vec<String>,
    /// Tables whose rows are not snapshot-consistent (not InnoDB), for a warning.
    pub non_transactional: Vec<String>,
}

type TextRow = Vec<Option<String>>;

async fn rows(conn: &mut Conn, what: &str, sql: String) -> Result<Vec<TextRow>> {
    let rows: Vec<mysql_async::Row> = conn
        .query(sql)
        .await
        .map_err(|e| EngineError::my(format!("reading the catalog ({what})"), e))?;
    Ok(rows
        .into_iter()
        .map(|r| {
            r.unwrap_raw()
                .into_iter()
                .map(|v| match v {
                    Some(mysql_async::Value::Bytes(b)) => {
                        Some(String::from_utf8_lossy(&b).into_owned())
                    }
                    Some(mysql_async::Value::NULL) | None => None,
                    Some(other) => Some(other.as_sql(true).trim_matches('\'').to_string()),
                })
                .collect()
        })
        .collect())
}

fn text(r: &TextRow, i: usize) -> String {
    r.get(i).cloned().flatten().unwrap_or_default()
}

fn num(r: &TextRow, i: usize) -> Option<u64> {
    r.get(i).cloned().flatten().and_then(|s| s.parse().ok())
}

/// Reads the catalog of database `db`, keeping the tables `filter` selects.
pub async fn describe(
    conn: &mut Conn,
    db: &str,
    filter: &TableFilter,
    mariadb: bool,
) -> Result<MyCatalog> {
    let dbl = quote_literal(db);
    let listing = rows(
        conn,
        "tables",
        format!(
            "SELECT TABLE_NAME, TABLE_TYPE, ENGINE, TABLE_ROWS, DATA_LENGTH, AUTO_INCREMENT, \
             TABLE_COLLATION FROM information_schema.TABLES WHERE TABLE_SCHEMA = {dbl} \
             ORDER BY TABLE_NAME"
        ),
    )
    .await?;
    let mut out = MyCatalog::default();
    let mut selected = Vec::new();
    for r in &listing {
        let name = text(r, 0);
        let ty = text(r, 1);
        // haul's own journal tables in a database it loaded into are never dumped.
        if name.starts_with(crate::mysql::target::JOURNAL_PREFIX)
            || !filter.includes(db, &name)
            || filter.excludes(db, &name)
        {
            continue;
        }
        match ty.as_str() {
            "BASE TABLE" | "SYSTEM VERSIONED" => selected.push(r.clone()),
            "VIEW" => out.not_recreated.push(format!(
                "view {db}.{name} (not dumped: recreate it after the load)"
            )),
            other => out.not_recreated.push(format!(
                "{} {db}.{name} (not dumped)",
                other.to_ascii_lowercase()
            )),
        }
    }
    filter.check_all_matched(listing.iter().map(|r| (db, r[0].as_deref().unwrap_or(""))))?;

    let columns = rows(
        conn,
        "columns",
        format!(
            "SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, IS_NULLABLE, \
             NUMERIC_PRECISION, NUMERIC_SCALE, CHARACTER_SET_NAME, COLLATION_NAME, \
             COLUMN_DEFAULT, EXTRA, GENERATION_EXPRESSION \
             FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = {dbl} \
             ORDER BY TABLE_NAME, ORDINAL_POSITION"
        ),
    )
    .await?;
    let json_checks = if mariadb {
        json_checked_columns(conn, &dbl).await?
    } else {
        Default::default()
    };
    let srids = spatial_srids(conn, &dbl, mariadb).await;
    let mut by_table: BTreeMap<String, Vec<(MyColumn, MyColumnDdl)>> = BTreeMap::new();
    for r in &columns {
        let table = text(r, 0);
        let name = text(r, 1);
        let ty = MyColumnType {
            data_type: text(r, 2).to_ascii_lowercase(),
            column_type: text(r, 3),
            precision: num(r, 5),
            scale: num(r, 6),
            charset: r[7].clone(),
            json_check: json_checks.contains_key(&(table.clone(), name.clone())),
            srid: srids.get(&(table.clone(), name.clone())).copied(),
        };
        let nullable = text(r, 4) == "YES";
        let kind = ty.resolve().map_err(|e| e.0);
        let generated = r[11].clone().filter(|g| !g.is_empty());
        let ddl = MyColumnDdl {
            name: name.clone(),
            column_type: ty.column_type.clone(),
            nullable,
            default: r[9].clone(),
            extra: text(r, 10),
            generated,
            charset: r[7].clone(),
            collation: r[8].clone(),
        };
        let col = MyColumn {
            name,
            ty,
            kind,
            nullable,
        };
        by_table.entry(table).or_default().push((col, ddl));
    }

    let stats = rows(
        conn,
        "indexes",
        format!(
            "SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, COLUMN_NAME, SUB_PART, INDEX_TYPE \
             FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = {dbl} \
             ORDER BY TABLE_NAME, INDEX_NAME = 'PRIMARY' DESC, INDEX_NAME, SEQ_IN_INDEX"
        ),
    )
    .await?;
    let mut indexes: BTreeMap<String, Vec<MyIndexDdl>> = BTreeMap::new();
    for r in &stats {
        let list = indexes.entry(text(r, 0)).or_default();
        let name = text(r, 1);
        let part = MyIndexPart {
            column: text(r, 3),
            prefix: num(r, 4),
        };
        match list.last_mut() {
            Some(ix) if ix.name == name => ix.columns.push(part),
            _ => list.push(MyIndexDdl {
                primary: name == "PRIMARY",
                unique: text(r, 2) == "0",
                index_type: text(r, 5),
                name,
                columns: vec![part],
            }),
        }
    }
    let mut fks = foreign_keys(conn, &dbl).await?;

    for r in &selected {
        let name = text(r, 0);
        let engine = text(r, 2);
        let (columns, col_ddl): (Vec<MyColumn>, Vec<MyColumnDdl>) = by_table
            .remove(&name)
            .unwrap_or_default()
            .into_iter()
            .unzip();
        let idx = indexes.remove(&name).unwrap_or_default();
        let key = pick_key(&columns, &idx);
        let create = show_create(conn, db, &name).await?;
        if !engine.eq_ignore_ascii_case("InnoDB") {
            out.non_transactional
                .push(format!("{db}.{name} ({engine})"));
        }
        out.tables.push(MyTable {
            db: db.to_string(),
            table_rows: num(r, 3).unwrap_or(0),
            data_bytes: num(r, 4).unwrap_or(0),
            columns,
            key,
            ddl: MyTableDdl {
                create,
                engine,
                collation: r[6].clone(),
                columns: col_ddl,
                indexes: idx,
                foreign_keys: fks.remove(&name).unwrap_or_default(),
                auto_increment: num(r, 5),
            },
            name,
        });
    }
    for (kind, sql) in [
        (
            "trigger",
            format!(
                "SELECT CONCAT(TRIGGER_NAME, ' on ', EVENT_OBJECT_TABLE) FROM \
                 information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = {dbl}"
            ),
        ),
        (
            "routine",
            format!(
                "SELECT CONCAT(LOWER(ROUTINE_TYPE), ' ', ROUTINE_NAME) FROM \
                 information_schema.ROUTINES WHERE ROUTINE_SCHEMA = {dbl}"
            ),
        ),
        (
            "event",
            format!("SELECT EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = {dbl}"),
        ),
    ] {
        for r in rows(conn, kind, sql).await.unwrap_or_default() {
            out.not_recreated
                .push(format!("{kind} {} (not dumped)", text(&r, 0)));
        }
    }
    Ok(out)
}

/// The primary key, else the narrowest unique index over NOT NULL columns without prefixes.
fn pick_key(columns: &[MyColumn], indexes: &[MyIndexDdl]) -> Option<MyKey> {
    let position = |c: &str| columns.iter().position(|col| col.name == c);
    let usable = |ix: &&MyIndexDdl| {
        ix.unique
            && ix.index_type == "BTREE"
            && ix.columns.iter().all(|p| {
                p.prefix.is_none()
                    && position(&p.column)
                        .is_some_and(|i| !columns[i].nullable && columns[i].kind.is_ok())
            })
    };
    let pk = indexes.iter().find(|ix| ix.primary).filter(usable);
    let ix = pk.or_else(|| {
        indexes
            .iter()
            .filter(usable)
            .min_by_key(|ix| ix.columns.len())
    })?;
    Some(MyKey {
        columns: ix.columns.iter().map(|p| p.column.clone()).collect(),
        positions: ix
            .columns
            .iter()
            .filter_map(|p| position(&p.column))
            .collect(),
        source: if ix.primary {
            "primary key".into()
        } else {
            format!("unique index `{}`", ix.name)
        },
    })
}

async fn show_create(conn: &mut Conn, db: &str, table: &str) -> Result<String> {
    let r = rows(
        conn,
        "SHOW CREATE TABLE",
        format!("SHOW CREATE TABLE {}", qualified(db, table)),
    )
    .await?;
    Ok(r.first().map(|r| text(r, 1)).unwrap_or_default())
}

/// MariaDB's JSON is LONGTEXT plus a `json_valid(col)` CHECK named after the column.
async fn json_checked_columns(conn: &mut Conn, dbl: &str) -> Result<HashMap<(String, String), ()>> {
    let r = rows(
        conn,
        "check constraints",
        format!(
            "SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE FROM \
             information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = {dbl}"
        ),
    )
    .await?;
    Ok(r.iter()
        .filter(|r| {
            let clause = text(r, 2).replace(' ', "").to_ascii_lowercase();
            let col = text(r, 1).to_ascii_lowercase();
            clause == format!("json_valid(`{col}`)")
        })
        .map(|r| ((text(r, 0), text(r, 1)), ()))
        .collect())
}

/// Declared SRIDs of spatial columns (MySQL 8 `SRS_ID`, MariaDB `GEOMETRY_COLUMNS`); empty
/// when the server has neither.
async fn spatial_srids(
    conn: &mut Conn,
    dbl: &str,
    mariadb: bool,
) -> HashMap<(String, String), u32> {
    let sql = if mariadb {
        format!(
            "SELECT G_TABLE_NAME, G_GEOMETRY_COLUMN, SRID FROM information_schema.GEOMETRY_COLUMNS \
             WHERE G_TABLE_SCHEMA = {dbl}"
        )
    } else {
        format!(
            "SELECT TABLE_NAME, COLUMN_NAME, SRS_ID FROM information_schema.COLUMNS \
             WHERE TABLE_SCHEMA = {dbl} AND SRS_ID IS NOT NULL"
        )
    };
    rows(conn, "spatial columns", sql)
        .await
        .unwrap_or_default()
        .iter()
        .filter_map(|r| Some(((text(r, 0), text(r, 1)), num(r, 2)? as u32)))
        .collect()
}

async fn foreign_keys(conn: &mut Conn, dbl: &str) -> Result<HashMap<String, Vec<MyForeignKey>>> {
    let r = rows(
        conn,
        "foreign keys",
        format!(
            "SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME, k.REFERENCED_TABLE_SCHEMA, \
             k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME, r.UPDATE_RULE, r.DELETE_RULE \
             FROM information_schema.KEY_COLUMN_USAGE k \
             JOIN information_schema.REFERENTIAL_CONSTRAINTS r \
               ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME \
              AND r.TABLE_NAME = k.TABLE_NAME \
             WHERE k.TABLE_SCHEMA = {dbl} AND k.REFERENCED_TABLE_NAME IS NOT NULL \
             ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION"
        ),
    )
    .await?;
    let mut out: HashMap<String, Vec<MyForeignKey>> = HashMap::new();
    for r in &r {
        let list = out.entry(text(r, 0)).or_default();
        let name = text(r, 1);
        match list.last_mut() {
            Some(fk) if fk.name == name => {
                fk.columns.push(text(r, 2));
                fk.ref_columns.push(text(r, 5));
            }
            _ => list.push(MyForeignKey {
                name,
                columns: vec![text(r, 2)],
                ref_db: text(r, 3),
                ref_table: text(r, 4),
                ref_columns: vec![text(r, 5)],
                on_update: text(r, 6),
                on_delete: text(r, 7),
            }),
        }
    }
    Ok(out)
}
