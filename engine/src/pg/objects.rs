//! The objects around the tables that a restore needs (sequences, views) and the ones haul
//! does not recreate (triggers, policies, functions, extensions, grants, …), read from the
//! source catalog at dump time so a load can recreate the first and report the second.

use serde::{Deserialize, Serialize};
use tokio_postgres::Client;
use tokio_postgres::types::Oid;

use crate::error::{EngineError, Result};

/// A sequence and the value it had when the dump read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SequenceDdl {
    pub schema: String,
    pub name: String,
    /// `smallint`, `integer` or `bigint`.
    pub data_type: String,
    pub start: i64,
    pub increment: i64,
    pub min: i64,
    pub max: i64,
    pub cache: i64,
    pub cycle: bool,
    /// `last_value` as the dump saw it; with `is_called = false` the next `nextval` returns it.
    pub last_value: i64,
    pub is_called: bool,
    /// The column that owns it (`serial`, `OWNED BY`, identity): `(schema, table, column)`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub owned_by: Option<(String, String, String)>,
    /// The sequence behind an identity column: created by the column, never alone.
    #[serde(default)]
    pub identity: bool,
}

/// A view or materialized view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewDdl {
    pub schema: String,
    pub name: String,
    pub materialized: bool,
    /// `pg_get_viewdef`: the `SELECT …` body.
    pub definition: String,
    /// `reloptions` (e.g. `security_barrier=true`, `check_option=local`).
    #[serde(default)]
    pub options: Vec<String>,
}

/// Sequences owned by the selected tables (serial, identity, `OWNED BY`), those their column
/// defaults call, and free-standing ones (owned by no table).
pub async fn load_sequences(client: &Client, table_oids: &[Oid]) -> Result<Vec<SequenceDdl>> {
    let rows = client
        .query(
            "WITH owner AS ( \
               SELECT d.objid AS seq, d.refobjid AS rel, d.refobjsubid AS att, d.deptype \
                 FROM pg_catalog.pg_depend d \
                WHERE d.classid = 'pg_catalog.pg_class'::regclass \
                  AND d.refclassid = 'pg_catalog.pg_class'::regclass \
                  AND d.deptype IN ('a', 'i') AND d.refobjsubid > 0), \
             used AS ( \
               SELECT d.refobjid AS seq FROM pg_catalog.pg_depend d \
                 JOIN pg_catalog.pg_attrdef ad ON ad.oid = d.objid \
                WHERE d.classid = 'pg_catalog.pg_attrdef'::regclass \
                  AND d.refclassid = 'pg_catalog.pg_class'::regclass \
                  AND ad.adrelid = ANY($1)) \
             SELECT n.nspname::text, c.relname::text, pg_catalog.format_type(s.seqtypid, NULL), \
                    s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle, \
                    on_.nspname::text, oc.relname::text, oa.attname::text, o.deptype = 'i' \
               FROM pg_catalog.pg_sequence s \
               JOIN pg_catalog.pg_class c ON c.oid = s.seqrelid \
               JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
               LEFT JOIN owner o ON o.seq = c.oid \
               LEFT JOIN pg_catalog.pg_class oc ON oc.oid = o.rel \
               LEFT JOIN pg_catalog.pg_namespace on_ ON on_.oid = oc.relnamespace \
               LEFT JOIN pg_catalog.pg_attribute oa ON oa.attrelid = o.rel AND oa.attnum = o.att \
              WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') \
                AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e \
                                 WHERE e.classid = 'pg_catalog.pg_class'::regclass \
                                   AND e.objid = c.oid AND e.deptype = 'e') \
                AND (o.rel = ANY($1) OR o.seq IS NULL OR c.oid IN (SELECT seq FROM used)) \
              ORDER BY 1, 2",
            &[&table_oids],
        )
        .await
        .map_err(|e| EngineError::pg("reading sequences", e))?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let schema: String = r.get(0);
        let name: String = r.get(1);
        // The sequence's own relation holds its current state; it is not MVCC, so this is the
        // value now, at or past the snapshot's, which is what a restore must start after.
        let state = client
            .query_one(
                &format!(
                    "SELECT last_value, is_called FROM {}",
                    crate::pg::qualified(&schema, &name)
                ),
                &[],
            )
            .await
            .map_err(|e| EngineError::pg(format!("reading sequence {schema}.{name}"), e))?;
        let owned_by = match (r.get(9), r.get(10), r.get(11)) {
            (Some(s), Some(t), Some(c)) => Some((s, t, c)),
            _ => None,
        };
        out.push(SequenceDdl {
            schema,
            name,
            data_type: r.get(2),
            start: r.get(3),
            increment: r.get(4),
            min: r.get(5),
            max: r.get(6),
            cache: r.get(7),
            cycle: r.get(8),
            last_value: state.get(0),
            is_called: state.get(1),
            identity: r.get::<_, Option<bool>>(12).unwrap_or(false),
            owned_by,
        });
    }
    Ok(out)
}

/// Views and materialized views in user schemas (not owned by an extension) whose rows come
/// only from the selected tables and from other such views; the others are returned as
/// not-recreated lines (they would fail on a target that lacks what they read).
pub async fn load_views(
    client: &Client,
    table_oids: &[Oid],
) -> Result<(Vec<ViewDdl>, Vec<String>)> {
    let rows = client
        .query(
            "SELECT c.oid, n.nspname::text, c.relname::text, c.relkind = 'm', \
                    pg_catalog.pg_get_viewdef(c.oid, false), \
                    COALESCE(c.reloptions::text[], ARRAY[]::text[]), \
                    ARRAY(SELECT DISTINCT d.refobjid FROM pg_catalog.pg_rewrite r \
                            JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_rewrite'::regclass \
                                 AND d.objid = r.oid AND d.refclassid = 'pg_catalog.pg_class'::regclass \
                           WHERE r.ev_class = c.oid AND d.refobjid <> c.oid) \
               FROM pg_catalog.pg_class c \
               JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
              WHERE c.relkind IN ('v', 'm') \
                AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'haul') \
                AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)' \
                AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e \
                                 WHERE e.classid = 'pg_catalog.pg_class'::regclass \
                                   AND e.objid = c.oid AND e.deptype = 'e') \
              ORDER BY c.oid",
            &[],
        )
        .await
        .map_err(|e| EngineError::pg("reading views", e))?;
    let mut pending: Vec<(Oid, ViewDdl, Vec<Oid>)> = rows
        .iter()
        .map(|r| {
            let v = ViewDdl {
                schema: r.get(1),
                name: r.get(2),
                materialized: r.get(3),
                definition: r.get(4),
                options: r.get(5),
            };
            (r.get(0), v, r.get(6))
        })
        .collect();
    // A view is kept when everything it reads is a selected table or a kept view.
    let mut available: std::collections::HashSet<Oid> = table_oids.iter().copied().collect();
    let mut kept = Vec::new();
    loop {
        let before = kept.len();
        let mut rest = Vec::new();
        for (oid, v, deps) in pending {
            if deps.iter().all(|d| available.contains(d)) {
                available.insert(oid);
                kept.push(v);
            } else {
                rest.push((oid, v, deps));
            }
        }
        pending = rest;
        if kept.len() == before {
            break;
        }
    }
    let skipped = pending
        .iter()
        .map(|(_, v, _)| {
            format!(
                "{} {}.{} (it reads tables or views that are not dumped)",
                if v.materialized {
                    "materialized view"
                } else {
                    "view"
                },
                v.schema,
                v.name
            )
        })
        .collect();
    Ok((kept, skipped))
}

/// What a load will not recreate, one line per object, so the load's report can list it
/// instead of dropping it silently: triggers, row-level security and policies, rules and
/// grants on the selected tables, comments on them, and the database's user functions,
/// procedures and extensions.
pub async fn not_recreated(client: &Client, table_oids: &[Oid]) -> Result<Vec<String>> {
    let rows = client
        .query(
            "SELECT 'trigger ' || pg_catalog.quote_ident(t.tgname) || ' on ' || c.oid::regclass::text \
               FROM pg_catalog.pg_trigger t JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid \
              WHERE t.tgrelid = ANY($1) AND NOT t.tgisinternal AND t.tgparentid = 0 \
             UNION ALL \
             SELECT 'policy ' || pg_catalog.quote_ident(p.polname) || ' on ' || p.polrelid::regclass::text \
               FROM pg_catalog.pg_policy p WHERE p.polrelid = ANY($1) \
             UNION ALL \
             SELECT 'row level security on ' || c.oid::regclass::text \
               FROM pg_catalog.pg_class c WHERE c.oid = ANY($1) AND c.relrowsecurity \
             UNION ALL \
             SELECT 'rule ' || pg_catalog.quote_ident(r.rulename) || ' on ' || r.ev_class::regclass::text \
               FROM pg_catalog.pg_rewrite r WHERE r.ev_class = ANY($1) AND r.rulename <> '_RETURN' \
             UNION ALL \
             SELECT 'grants on ' || c.oid::regclass::text || ': ' || c.relacl::text \
               FROM pg_catalog.pg_class c WHERE c.oid = ANY($1) AND c.relacl IS NOT NULL \
             UNION ALL \
             SELECT 'comment on ' || CASE WHEN d.objsubid = 0 THEN 'table ' || d.objoid::regclass::text \
                    ELSE 'column ' || d.objoid::regclass::text || '.' || \
                         pg_catalog.quote_ident((SELECT a.attname FROM pg_catalog.pg_attribute a \
                                                  WHERE a.attrelid = d.objoid AND a.attnum = d.objsubid)) END \
               FROM pg_catalog.pg_description d \
              WHERE d.classoid = 'pg_catalog.pg_class'::regclass AND d.objoid = ANY($1) \
             UNION ALL \
             SELECT CASE p.prokind WHEN 'p' THEN 'procedure ' WHEN 'a' THEN 'aggregate ' ELSE 'function ' END \
                    || p.oid::regprocedure::text \
               FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace \
              WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') \
                AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e \
                                 WHERE e.classid = 'pg_catalog.pg_proc'::regclass \
                                   AND e.objid = p.oid AND e.deptype = 'e') \
             UNION ALL \
             SELECT 'extension ' || pg_catalog.quote_ident(x.extname) || ' ' || x.extversion \
               FROM pg_catalog.pg_extension x WHERE x.extname <> 'plpgsql'",
            &[&table_oids],
        )
        .await
        .map_err(|e| EngineError::pg("listing objects a load does not recreate", e))?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}
