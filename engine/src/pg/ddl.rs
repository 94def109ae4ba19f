//! The SQL a load runs to recreate what a dump recorded (DESIGN.md §2 "Loading a target").
//!
//! Pure functions from the manifest's DDL records to statements, in three groups:
//! - **pre-data** (one transaction, before any row): schemas, enums, domains, free-standing
//!   sequences, tables (columns, defaults, NOT NULL, identity, generated, CHECK), partitioned
//!   parents before their partitions;
//! - **post-data** (after the rows, in parallel): primary keys and unique constraints as a
//!   unique index then `ADD CONSTRAINT … USING INDEX`, exclusion constraints, secondary indexes,
//!   then foreign keys `NOT VALID` + `VALIDATE`;
//! - **finishing**: sequence values, views (retried in dependency order by the caller), ANALYZE.

use crate::manifest::Manifest;
use crate::pg::catalog::{ColumnDdl, ConstraintDdl, IndexDdl, PartitionOf, TableDdl};
use crate::pg::objects::{SequenceDdl, ViewDdl};
use crate::pg::{qualified, quote_ident, quote_literal};

/// A relation the load creates, in creation order.
#[derive(Debug, Clone)]
pub struct TableDef<'a> {
    pub schema: &'a str,
    pub name: &'a str,
    pub partition_of: Option<&'a PartitionOf>,
    pub ddl: &'a TableDdl,
    /// True for a partitioned parent (no rows of its own).
    pub partitioned: bool,
}

impl TableDef<'_> {
    pub fn qualified(&self) -> String {
        qualified(self.schema, self.name)
    }

    pub fn display(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }
}

/// Every relation of the manifest, parents before children.
pub fn tables_in_order(m: &Manifest) -> Vec<TableDef<'_>> {
    let mut pending: Vec<TableDef<'_>> = m
        .partitioned
        .iter()
        .map(|p| TableDef {
            schema: &p.schema,
            name: &p.name,
            partition_of: p.partition_of.as_ref(),
            ddl: &p.ddl,
            partitioned: true,
        })
        .chain(m.tables.iter().map(|t| TableDef {
            schema: &t.schema,
            name: &t.name,
            partition_of: t.partition_of.as_ref(),
            ddl: &t.ddl,
            partitioned: false,
        }))
        .collect();
    let mut out: Vec<TableDef<'_>> = Vec::with_capacity(pending.len());
    while !pending.is_empty() {
        let before = pending.len();
        let mut rest = Vec::new();
        for t in pending {
            let ready = match t.partition_of {
                None => true,
                Some(p) => out
                    .iter()
                    .any(|o| o.schema == p.parent_schema && o.name == p.parent_name),
            };
            if ready {
                out.push(t);
            } else {
                rest.push(t);
            }
        }
        if rest.len() == before {
            // A parent outside the dump (cannot happen for dumps haul wrote): create the rest
            // as they are and let PostgreSQL name what is missing.
            out.extend(rest);
            break;
        }
        pending = rest;
    }
    out
}

/// Every schema the load needs, sorted.
pub fn schemas(m: &Manifest) -> Vec<String> {
    let mut s: Vec<String> = m
        .tables
        .iter()
        .map(|t| t.schema.clone())
        .chain(m.partitioned.iter().map(|p| p.schema.clone()))
        .chain(m.enums.iter().map(|e| e.schema.clone()))
        .chain(m.domains.iter().map(|d| d.schema.clone()))
        .chain(m.sequences.iter().map(|q| q.schema.clone()))
        .chain(m.views.iter().map(|v| v.schema.clone()))
        .collect();
    s.sort();
    s.dedup();
    s
}

/// `CREATE TYPE … AS ENUM (…)`.
pub fn create_enum(schema: &str, name: &str, labels: &[String]) -> String {
    let labels: Vec<String> = labels.iter().map(|l| quote_literal(l)).collect();
    format!(
        "CREATE TYPE {} AS ENUM ({})",
        qualified(schema, name),
        labels.join(", ")
    )
}

/// `CREATE DOMAIN …`.
pub fn create_domain(d: &crate::pg::catalog::DomainDdl) -> String {
    let mut sql = format!(
        "CREATE DOMAIN {} AS {}",
        qualified(&d.schema, &d.name),
        d.base_type
    );
    if let Some(def) = &d.default {
        sql.push_str(&format!(" DEFAULT {def}"));
    }
    if d.not_null {
        sql.push_str(" NOT NULL");
    }
    for c in &d.constraints {
        sql.push(' ');
        sql.push_str(c);
    }
    sql
}

fn sequence_options(s: &SequenceDdl) -> String {
    format!(
        "INCREMENT BY {} MINVALUE {} MAXVALUE {} START WITH {} CACHE {} {}",
        s.increment,
        s.min,
        s.max,
        s.start,
        s.cache,
        if s.cycle { "CYCLE" } else { "NO CYCLE" }
    )
}

/// `CREATE SEQUENCE …` for a sequence that is not an identity column's.
pub fn create_sequence(s: &SequenceDdl) -> String {
    format!(
        "CREATE SEQUENCE {} AS {} {}",
        qualified(&s.schema, &s.name),
        s.data_type,
        sequence_options(s)
    )
}

/// `ALTER SEQUENCE … OWNED BY …` (after the owning table exists).
pub fn sequence_owned_by(s: &SequenceDdl) -> Option<String> {
    let (schema, table, column) = s.owned_by.as_ref().filter(|_| !s.identity)?;
    Some(format!(
        "ALTER SEQUENCE {} OWNED BY {}.{}",
        qualified(&s.schema, &s.name),
        qualified(schema, table),
        quote_ident(column)
    ))
}

/// `SELECT setval(…)`: the sequence continues where the source's was.
pub fn set_sequence_value(s: &SequenceDdl) -> String {
    format!(
        "SELECT pg_catalog.setval({}, {}, {})",
        quote_literal(&qualified(&s.schema, &s.name)),
        s.last_value,
        s.is_called
    )
}

fn column_def(t: &TableDef<'_>, c: &ColumnDdl, sequences: &[SequenceDdl]) -> String {
    let mut sql = format!("{} {}", quote_ident(&c.name), c.pg_type);
    if let Some(coll) = &c.collation {
        sql.push_str(&format!(" COLLATE {coll}"));
    }
    if let Some(expr) = &c.generated {
        sql.push_str(&format!(" GENERATED ALWAYS AS ({expr}) STORED"));
    } else if let Some(def) = &c.default {
        sql.push_str(&format!(" DEFAULT {def}"));
    }
    if c.not_null {
        sql.push_str(" NOT NULL");
    }
    if let Some(kind) = &c.identity {
        let how = if kind == "a" { "ALWAYS" } else { "BY DEFAULT" };
        sql.push_str(&format!(" GENERATED {how} AS IDENTITY"));
        let seq = sequences.iter().find(|s| {
            s.identity
                && s.owned_by.as_ref().is_some_and(|(sch, tab, col)| {
                    sch == t.schema && tab == t.name && col == &c.name
                })
        });
        if let Some(s) = seq {
            sql.push_str(&format!(
                " (SEQUENCE NAME {} {})",
                qualified(&s.schema, &s.name),
                sequence_options(s)
            ));
        }
    }
    sql
}

/// `CREATE TABLE …`: columns, defaults, NOT NULL, identity, generated columns and local CHECK
/// constraints; a partition is created `PARTITION OF` its parent (its columns come from there).
pub fn create_table(t: &TableDef<'_>, sequences: &[SequenceDdl]) -> String {
    let checks: Vec<String> = t
        .ddl
        .constraints
        .iter()
        .filter(|c| c.kind == "c" && c.local)
        .map(|c| format!("CONSTRAINT {} {}", quote_ident(&c.name), c.definition))
        .collect();
    let mut sql = format!("CREATE TABLE {}", t.qualified());
    match t.partition_of {
        Some(p) => {
            sql.push_str(&format!(
                " PARTITION OF {}",
                qualified(&p.parent_schema, &p.parent_name)
            ));
            if !checks.is_empty() {
                sql.push_str(&format!(" ({})", checks.join(", ")));
            }
            sql.push(' ');
            sql.push_str(&p.bound);
        }
        None => {
            let mut items: Vec<String> = t
                .ddl
                .columns
                .iter()
                .map(|c| column_def(t, c, sequences))
                .collect();
            items.extend(checks);
            sql.push_str(&format!(" ({})", items.join(", ")));
        }
    }
    if let Some(key) = &t.ddl.partition_key {
        sql.push_str(&format!(" PARTITION BY {key}"));
    }
    sql
}

/// The constraint an index backs, if any.
fn constraint_of<'a>(ddl: &'a TableDdl, index: &IndexDdl) -> Option<&'a ConstraintDdl> {
    let name = index.constraint.as_ref()?;
    ddl.constraints.iter().find(|c| &c.name == name)
}

/// One post-data step: statements run in order on one connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// What it builds, for messages: `primary key "a_pkey" on public.a`.
    pub what: String,
    /// How to check whether it already exists (a resumed load skips it).
    pub exists: Existing,
    pub sql: Vec<String>,
}

/// How to tell that a step's object is already there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Existing {
    /// An index of that name in that schema.
    Index { schema: String, name: String },
    /// A (validated) constraint of that name on that table.
    Constraint {
        schema: String,
        table: String,
        name: String,
    },
    /// Always run (ANALYZE).
    Never,
}

/// Indexes and the constraints they back (primary key, unique, exclusion), for one relation.
pub fn index_steps(t: &TableDef<'_>) -> Vec<Step> {
    let mut out = Vec::new();
    for ix in t.ddl.indexes.iter().filter(|i| !i.inherited) {
        let con = constraint_of(t.ddl, ix);
        match con {
            Some(c) if c.kind == "p" || c.kind == "u" || c.kind == "x" => {
                let label = match c.kind.as_str() {
                    "p" => "primary key",
                    "u" => "unique constraint",
                    _ => "exclusion constraint",
                };
                let what = format!("{label} {} on {}", quote_ident(&c.name), t.display());
                let exists = Existing::Constraint {
                    schema: t.schema.to_string(),
                    table: t.name.to_string(),
                    name: c.name.clone(),
                };
                if c.kind == "x" || t.partitioned {
                    // USING INDEX takes neither exclusion constraints nor partitioned tables:
                    // the constraint builds its own index (on every partition, for a parent).
                    out.push(Step {
                        what,
                        exists,
                        sql: vec![add_constraint(t, c)],
                    });
                } else {
                    let kind = if c.kind == "p" {
                        "PRIMARY KEY"
                    } else {
                        "UNIQUE"
                    };
                    let mut add = format!(
                        "ALTER TABLE {} ADD CONSTRAINT {} {kind} USING INDEX {}",
                        t.qualified(),
                        quote_ident(&c.name),
                        quote_ident(&ix.name)
                    );
                    if c.definition.contains("DEFERRABLE")
                        && !c.definition.contains("NOT DEFERRABLE")
                    {
                        add.push_str(" DEFERRABLE");
                        if c.definition.contains("INITIALLY DEFERRED") {
                            add.push_str(" INITIALLY DEFERRED");
                        }
                    }
                    out.push(Step {
                        what,
                        exists,
                        sql: vec![ix.definition.clone(), add],
                    });
                }
            }
            _ => out.push(Step {
                what: format!("index {} on {}", quote_ident(&ix.name), t.display()),
                exists: Existing::Index {
                    schema: t.schema.to_string(),
                    name: ix.name.clone(),
                },
                // A parent's own index is defined `ON ONLY` (partition indexes attached one by
                // one); without ONLY, one statement builds it on every partition too.
                sql: vec![ix.definition.replacen(" ON ONLY ", " ON ", 1)],
            }),
        }
    }
    out
}

fn add_constraint(t: &TableDef<'_>, c: &ConstraintDdl) -> String {
    format!(
        "ALTER TABLE {} ADD CONSTRAINT {} {}",
        t.qualified(),
        quote_ident(&c.name),
        c.definition
    )
}

/// Foreign keys: added `NOT VALID` (no scan under the strong lock), then validated (a scan
/// that lets reads and writes go on). A partitioned table takes no `NOT VALID` key: added
/// validated in one go. A key the source had `NOT VALID` stays so.
pub fn foreign_key_steps(t: &TableDef<'_>) -> Vec<Step> {
    t.ddl
        .constraints
        .iter()
        .filter(|c| c.kind == "f" && c.local)
        .map(|c| {
            let exists = Existing::Constraint {
                schema: t.schema.to_string(),
                table: t.name.to_string(),
                name: c.name.clone(),
            };
            let what = format!("foreign key {} on {}", quote_ident(&c.name), t.display());
            let sql = if t.partitioned || c.definition.ends_with("NOT VALID") {
                vec![add_constraint(t, c)]
            } else {
                vec![
                    format!("{} NOT VALID", add_constraint(t, c)),
                    format!(
                        "ALTER TABLE {} VALIDATE CONSTRAINT {}",
                        t.qualified(),
                        quote_ident(&c.name)
                    ),
                ]
            };
            Step { what, exists, sql }
        })
        .collect()
}

/// `CREATE [MATERIALIZED] VIEW …`.
pub fn create_view(v: &ViewDdl) -> String {
    let kind = if v.materialized {
        "MATERIALIZED VIEW"
    } else {
        "VIEW"
    };
    let with = if v.options.is_empty() {
        String::new()
    } else {
        format!(" WITH ({})", v.options.join(", "))
    };
    let body = v.definition.trim().trim_end_matches(';');
    format!(
        "CREATE {kind} {}{with} AS {body}",
        qualified(&v.schema, &v.name)
    )
}

/// `DROP [MATERIALIZED] VIEW IF EXISTS …` (for `--if-exists replace`).
pub fn drop_view(v: &ViewDdl) -> String {
    let kind = if v.materialized {
        "MATERIALIZED VIEW"
    } else {
        "VIEW"
    };
    format!("DROP {kind} IF EXISTS {}", qualified(&v.schema, &v.name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pg::catalog::ColumnDdl;

    fn col(name: &str, ty: &str) -> ColumnDdl {
        ColumnDdl {
            name: name.into(),
            pg_type: ty.into(),
            not_null: false,
            default: None,
            identity: None,
            generated: None,
            collation: None,
        }
    }

    fn seq(identity: bool) -> SequenceDdl {
        SequenceDdl {
            schema: "public".into(),
            name: "t_id_seq".into(),
            data_type: "integer".into(),
            start: 100,
            increment: 5,
            min: 1,
            max: 2147483647,
            cache: 1,
            cycle: false,
            last_value: 105,
            is_called: true,
            owned_by: Some(("public".into(), "t".into(), "id".into())),
            identity,
        }
    }

    #[test]
    fn tables_carry_identity_generated_defaults_and_checks() {
        let mut id = col("id", "integer");
        id.not_null = true;
        id.identity = Some("d".into());
        let mut total = col("total", "numeric(10,2)");
        total.generated = Some("(price * 2)".into());
        let mut price = col("price", "numeric(10,2)");
        price.default = Some("0".into());
        price.collation = None;
        let ddl = TableDdl {
            columns: vec![id, price, total],
            constraints: vec![ConstraintDdl {
                name: "pos".into(),
                kind: "c".into(),
                definition: "CHECK (price >= 0)".into(),
                local: true,
            }],
            indexes: vec![],
            partition_key: None,
        };
        let t = TableDef {
            schema: "public",
            name: "t",
            partition_of: None,
            ddl: &ddl,
            partitioned: false,
        };
        assert_eq!(
            create_table(&t, &[seq(true)]),
            "CREATE TABLE \"public\".\"t\" (\"id\" integer NOT NULL GENERATED BY DEFAULT AS IDENTITY \
             (SEQUENCE NAME \"public\".\"t_id_seq\" INCREMENT BY 5 MINVALUE 1 MAXVALUE 2147483647 \
             START WITH 100 CACHE 1 NO CYCLE), \"price\" numeric(10,2) DEFAULT 0, \"total\" \
             numeric(10,2) GENERATED ALWAYS AS ((price * 2)) STORED, CONSTRAINT \"pos\" CHECK (price >= 0))"
        );
        assert_eq!(sequence_owned_by(&seq(true)), None);
        assert_eq!(
            sequence_owned_by(&seq(false)).expect("owned"),
            "ALTER SEQUENCE \"public\".\"t_id_seq\" OWNED BY \"public\".\"t\".\"id\""
        );
        assert_eq!(
            set_sequence_value(&seq(false)),
            "SELECT pg_catalog.setval('\"public\".\"t_id_seq\"', 105, true)"
        );
    }

    #[test]
    fn primary_keys_go_through_a_unique_index_and_partitioned_parents_do_not() {
        let ddl = TableDdl {
            columns: vec![col("id", "integer")],
            constraints: vec![ConstraintDdl {
                name: "t_pkey".into(),
                kind: "p".into(),
                definition: "PRIMARY KEY (id)".into(),
                local: true,
            }],
            indexes: vec![IndexDdl {
                name: "t_pkey".into(),
                definition: "CREATE UNIQUE INDEX t_pkey ON public.t USING btree (id)".into(),
                primary: true,
                unique: true,
                constraint: Some("t_pkey".into()),
                inherited: false,
            }],
            partition_key: None,
        };
        let mut t = TableDef {
            schema: "public",
            name: "t",
            partition_of: None,
            ddl: &ddl,
            partitioned: false,
        };
        let steps = index_steps(&t);
        assert_eq!(steps.len(), 1);
        assert_eq!(
            steps[0].sql,
            vec![
                "CREATE UNIQUE INDEX t_pkey ON public.t USING btree (id)".to_string(),
                "ALTER TABLE \"public\".\"t\" ADD CONSTRAINT \"t_pkey\" PRIMARY KEY USING INDEX \"t_pkey\""
                    .to_string()
            ]
        );
        t.partitioned = true;
        assert_eq!(
            index_steps(&t)[0].sql,
            vec![
                "ALTER TABLE \"public\".\"t\" ADD CONSTRAINT \"t_pkey\" PRIMARY KEY (id)"
                    .to_string()
            ]
        );
    }
}
