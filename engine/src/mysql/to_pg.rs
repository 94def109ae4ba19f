//! A MySQL dump as PostgreSQL sees it (docs/types.md, "MySQL → PostgreSQL"): each table's
//! PostgreSQL definition (types, NOT NULL, literal defaults, AUTO_INCREMENT as an identity,
//! ENUM as text with a CHECK, primary/unique/secondary indexes, foreign keys), and the batch
//! conversions between the dump's Arrow types and the PostgreSQL kinds' (`to_pg`, and back
//! for verify).
//!
//! Tables go into schema `public`. What does not translate is listed in the manifest's
//! `not_recreated` and reported by the load: generated columns (loaded as plain columns, since
//! their MySQL expressions are not PostgreSQL), FULLTEXT and SPATIAL indexes, column defaults
//! that are expressions, ON UPDATE clauses.
//!
//! Names (`names`): a table or column name over PostgreSQL's 63 bytes stops the load before
//! anything is created; index, constraint and sequence names over it are shortened with a
//! hash and listed in `not_recreated` as renamed.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::DurationMicrosecondType;
use arrow_array::{Array, ArrayRef, Int32Array, Int64Array, RecordBatch, StructArray};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use haul_formats::FormatError;
use haul_formats::mytypes::MyKind;
use haul_formats::pgtypes::{PgKind, interval_fields};

use crate::error::{EngineError, Result};
use crate::manifest::Manifest;
use crate::mysql::catalog::MyTableDdl;
use crate::mysql::names::{self, Names, Rules};
use crate::pg::catalog::{ColumnDdl, ConstraintDdl, IndexDdl, TableDdl};
use crate::pg::objects::SequenceDdl;
use crate::pg::{qualified, quote_ident, quote_literal};
use crate::plan::{ColumnPlan, KeyPlan, TablePlan};

/// The schema MySQL tables are created in.
pub const PG_SCHEMA: &str = "public";

/// PostgreSQL's spelling (`format_type`) of a kind from a MySQL column.
pub fn pg_type(kind: &PgKind, my: Option<&MyKind>, column_type: &str) -> String {
    match kind {
        PgKind::Bool => "boolean".into(),
        PgKind::Int2 => "smallint".into(),
        PgKind::Int4 => "integer".into(),
        PgKind::Int8 => "bigint".into(),
        PgKind::Float4 => "real".into(),
        PgKind::Float8 => "double precision".into(),
        PgKind::Decimal { precision, scale } => format!("numeric({precision},{scale})"),
        PgKind::Text => match (my, varchar_len(column_type)) {
            (Some(MyKind::Text), Some(n)) => format!("character varying({n})"),
            _ => "text".into(),
        },
        PgKind::Bytea => "bytea".into(),
        PgKind::Date => "date".into(),
        PgKind::Timestamp => "timestamp without time zone".into(),
        PgKind::TimestampTz => "timestamp with time zone".into(),
        PgKind::Interval => "interval".into(),
        PgKind::Json => "json".into(),
        PgKind::Jsonb => "jsonb".into(),
        PgKind::Array { .. } => "text[]".into(),
        _ => "text".into(),
    }
}

/// `n` of `varchar(n)` / `char(n)`.
fn varchar_len(column_type: &str) -> Option<u32> {
    let rest = column_type
        .strip_prefix("varchar(")
        .or_else(|| column_type.strip_prefix("char("))?;
    rest.split(')').next()?.parse().ok()
}

/// A PostgreSQL-shaped copy of a MySQL dump's manifest: tables in `public`, PostgreSQL DDL,
/// identity sequences; what cannot be carried is added to `not_recreated`.
pub fn pg_manifest(m: &Manifest) -> Result<Manifest> {
    names::check_pg_names(&m.tables)?;
    let mut out = m.clone();
    let mut notes = Vec::new();
    let mut sequences = Vec::new();
    // Tables, indexes and sequences share the schema's namespace.
    let mut relations = Names::new(
        Rules::Postgres,
        "is taken by another table, index or sequence of the schema",
    );
    for t in &m.tables {
        relations.reserve(&t.name);
    }
    for t in &mut out.tables {
        let Some(my) = t.mysql.clone() else {
            return Err(EngineError::Target(format!(
                "{}: the dump has no MySQL definition for this table",
                t.display_name()
            )));
        };
        t.schema = PG_SCHEMA.to_string();
        t.ddl = table_ddl(t, &my, &mut notes, &mut sequences, &mut relations);
        if let Some(k) = &mut t.key {
            k.cast_types = k
                .positions
                .iter()
                .map(|&i| plain_type(&t.columns[i]))
                .collect();
        }
    }
    out.sequences = sequences;
    out.not_recreated.extend(notes);
    Ok(out)
}

fn plain_type(c: &ColumnPlan) -> String {
    let t = pg_type(&c.kind, c.mysql.as_ref(), &c.source_type);
    match t.split_once('(') {
        Some((base, _)) if !t.ends_with("[]") => base.to_string(),
        _ => t,
    }
}

fn table_ddl(
    t: &TablePlan,
    my: &MyTableDdl,
    notes: &mut Vec<String>,
    sequences: &mut Vec<SequenceDdl>,
    relations: &mut Names,
) -> TableDdl {
    let name = &t.name;
    let mut ddl = TableDdl::default();
    let mut constraints = Names::new(
        Rules::Postgres,
        "is taken by another constraint of the table",
    );
    for (c, mc) in t.columns.iter().zip(&my.columns) {
        let ty = pg_type(&c.kind, c.mysql.as_ref(), &mc.column_type);
        if let Some(expr) = &mc.generated {
            notes.push(format!(
                "generated column {name}.{} is loaded as a plain column (its MySQL expression `{expr}` is not translated)",
                c.name
            ));
        }
        let auto = mc.extra.to_ascii_lowercase().contains("auto_increment");
        if mc.extra.to_ascii_lowercase().contains("on update") {
            notes.push(format!(
                "{name}.{}: `{}` is not recreated (PostgreSQL needs a trigger for it)",
                c.name, mc.extra
            ));
        }
        let default = if auto || mc.generated.is_some() {
            None
        } else {
            mc.default
                .as_deref()
                .and_then(|d| translate_default(d, &c.kind))
                .or_else(|| {
                    if let Some(d) = mc.default.as_deref().filter(|d| *d != "NULL") {
                        notes.push(format!(
                            "default of {name}.{} (`{d}`) is not recreated",
                            c.name
                        ));
                    }
                    None
                })
        };
        if auto {
            let seq = relations.fit_noted(
                &format!("{name}_{}_seq", c.name),
                || format!("the sequence of identity column `{name}`.`{}`", c.name),
                notes,
            );
            let last = my.auto_increment.unwrap_or(1).saturating_sub(1);
            sequences.push(SequenceDdl {
                schema: PG_SCHEMA.into(),
                name: seq,
                data_type: if ty == "bigint" { "bigint" } else { "integer" }.into(),
                start: 1,
                increment: 1,
                min: 1,
                max: if ty == "bigint" {
                    i64::MAX
                } else {
                    i64::from(i32::MAX)
                },
                cache: 1,
                cycle: false,
                last_value: last.max(1) as i64,
                is_called: last >= 1,
                owned_by: Some((PG_SCHEMA.into(), name.clone(), c.name.clone())),
                identity: true,
            });
        }
        ddl.columns.push(ColumnDdl {
            name: c.name.clone(),
            pg_type: ty,
            not_null: !mc.nullable,
            default,
            identity: auto.then(|| "d".to_string()),
            generated: None,
            collation: None,
        });
        if let Some(MyKind::Enum { labels }) = &c.mysql {
            let list: Vec<String> = labels.iter().map(|l| quote_literal(l)).collect();
            ddl.constraints.push(ConstraintDdl {
                name: constraints.fit_noted(
                    &format!("{name}_{}_check", c.name),
                    || format!("the CHECK of ENUM column `{name}`.`{}`", c.name),
                    notes,
                ),
                kind: "c".into(),
                definition: format!("CHECK ({} IN ({}))", quote_ident(&c.name), list.join(", ")),
                local: true,
            });
        }
    }
    for ix in &my.indexes {
        let cols: Vec<String> = ix.columns.iter().map(|p| quote_ident(&p.column)).collect();
        if ix.index_type != "BTREE" && ix.index_type != "HASH" {
            notes.push(format!(
                "{} index `{}` of {name} is not recreated",
                ix.index_type, ix.name
            ));
            continue;
        }
        let wanted = if ix.primary {
            format!("{name}_pkey")
        } else {
            format!("{name}_{}", ix.name)
        };
        let ix_name = relations.fit_noted(
            &wanted,
            || format!("index `{}` of `{name}`", ix.name),
            notes,
        );
        if ix.primary {
            constraints.reserve(&ix_name);
        }
        let definition = format!(
            "CREATE {}INDEX {} ON {} USING btree ({})",
            if ix.unique { "UNIQUE " } else { "" },
            quote_ident(&ix_name),
            qualified(PG_SCHEMA, name),
            cols.join(", ")
        );
        if ix.primary {
            ddl.constraints.push(ConstraintDdl {
                name: ix_name.clone(),
                kind: "p".into(),
                definition: format!("PRIMARY KEY ({})", cols.join(", ")),
                local: true,
            });
        }
        ddl.indexes.push(IndexDdl {
            name: ix_name.clone(),
            definition,
            primary: ix.primary,
            unique: ix.unique,
            constraint: ix.primary.then_some(ix_name),
            inherited: false,
        });
    }
    for fk in &my.foreign_keys {
        let cols: Vec<String> = fk.columns.iter().map(|c| quote_ident(c)).collect();
        let refs: Vec<String> = fk.ref_columns.iter().map(|c| quote_ident(c)).collect();
        ddl.constraints.push(ConstraintDdl {
            name: constraints.fit_noted(
                &format!("{name}_{}", fk.name),
                || format!("foreign key `{}` of `{name}`", fk.name),
                notes,
            ),
            kind: "f".into(),
            definition: format!(
                "FOREIGN KEY ({}) REFERENCES {}({}) ON UPDATE {} ON DELETE {}",
                cols.join(", "),
                qualified(PG_SCHEMA, &fk.ref_table),
                refs.join(", "),
                fk.on_update,
                fk.on_delete
            ),
            local: true,
        });
    }
    ddl
}

/// A MySQL column default as a PostgreSQL one, when it is a literal or the current time.
fn translate_default(d: &str, kind: &PgKind) -> Option<String> {
    let lower = d.to_ascii_lowercase();
    if lower == "null" {
        return None;
    }
    if lower.starts_with("current_timestamp") {
        return matches!(kind, PgKind::Timestamp | PgKind::TimestampTz)
            .then(|| "CURRENT_TIMESTAMP".to_string());
    }
    let numeric = !d.is_empty()
        && d.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'.' | b'e' | b'E' | b'+'));
    let numeric_kind = matches!(
        kind,
        PgKind::Int2
            | PgKind::Int4
            | PgKind::Int8
            | PgKind::Float4
            | PgKind::Float8
            | PgKind::Decimal { .. }
    );
    if numeric && numeric_kind {
        return Some(d.to_string());
    }
    // MariaDB quotes string defaults ('abc', quotes doubled); MySQL gives them bare.
    let text = match d.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
        Some(inner) => inner.replace("''", "'"),
        None => d.to_string(),
    };
    match kind {
        PgKind::Text | PgKind::Date | PgKind::Timestamp | PgKind::TimestampTz => {
            Some(quote_literal(&text))
        }
        _ => None,
    }
}

/// The Arrow schema of the PostgreSQL kinds of `table`'s columns (what the COPY encoder and
/// decoder work in).
pub fn pg_schema(table: &TablePlan) -> SchemaRef {
    let fields: Vec<Field> = table
        .columns
        .iter()
        .map(|c| Field::new(&c.name, c.kind.arrow_type(), true))
        .collect();
    Arc::new(Schema::new(fields))
}

/// Converts a batch from the dump's Arrow types into `target`'s (the PostgreSQL kinds'):
/// integers widen, BIGINT UNSIGNED becomes Decimal(20,0), TIME becomes an interval.
pub fn to_pg(batch: &RecordBatch, target: &SchemaRef) -> Result<RecordBatch> {
    convert(batch, target).map_err(|e| match e {
        EngineError::Format { cause, .. } => EngineError::Other(cause.to_string()),
        e => e,
    })
}

/// The inverse of [`to_pg`], for reading a target back into the dump's schema (`verify
/// --against`): a PostgreSQL target of a MySQL dump, or a MySQL target of a PostgreSQL dump
/// (intervals and timetz from their text, arrays from their JSON). A value the dump's type
/// cannot hold, or text haul did not write, is an error; one from the text parsers names chunk
/// `chunk`, the column and the row's key (`key`: the key columns' indices in `batch`).
pub fn from_pg(
    batch: &RecordBatch,
    target: &SchemaRef,
    key: &[usize],
    chunk: &str,
) -> Result<RecordBatch> {
    convert(batch, target).map_err(|e| match e {
        EngineError::Format { cause, .. } => {
            let mut cause = *cause;
            if let FormatError::Value { row, key: k, .. } = &mut cause {
                let index = usize::try_from(*row).unwrap_or(0).saturating_sub(1);
                *k = crate::mysql::render_key(batch, key, index);
            }
            EngineError::Format {
                chunk: chunk.to_string(),
                cause: Box::new(cause),
            }
        }
        e => e,
    })
}

fn convert(batch: &RecordBatch, target: &SchemaRef) -> Result<RecordBatch> {
    let cols: Vec<ArrayRef> = batch
        .columns()
        .iter()
        .zip(target.fields())
        .map(|(a, f)| convert_array(a, f.data_type(), f.name()))
        .collect::<Result<_>>()?;
    RecordBatch::try_new(target.clone(), cols)
        .map_err(|e| EngineError::Other(format!("converting a batch: {e}")))
}

fn convert_array(a: &ArrayRef, to: &DataType, column: &str) -> Result<ArrayRef> {
    if a.data_type() == to {
        return Ok(a.clone());
    }
    let bad = |e: String| EngineError::Other(format!("column `{column}`: {e}"));
    match (a.data_type(), to) {
        (DataType::Duration(TimeUnit::Microsecond), DataType::Struct(_)) => {
            let d = a.as_primitive::<DurationMicrosecondType>();
            let zeros = Int32Array::from(vec![0; d.len()]);
            let micros = Int64Array::from_iter(d.iter());
            let s = StructArray::try_new(
                interval_fields(),
                vec![
                    Arc::new(zeros.clone()) as ArrayRef,
                    Arc::new(zeros),
                    Arc::new(micros),
                ],
                d.nulls().cloned(),
            )
            .map_err(|e| bad(e.to_string()))?;
            Ok(Arc::new(s))
        }
        (DataType::Struct(_), DataType::Duration(TimeUnit::Microsecond)) => {
            let s = a.as_struct();
            let months = s.column(0).as_primitive::<arrow_array::types::Int32Type>();
            let days = s.column(1).as_primitive::<arrow_array::types::Int32Type>();
            let micros = s.column(2).as_primitive::<arrow_array::types::Int64Type>();
            let mut out = arrow_array::builder::DurationMicrosecondBuilder::new();
            for i in 0..s.len() {
                if s.is_null(i) {
                    out.append_null();
                    continue;
                }
                if months.value(i) != 0 || days.value(i) != 0 {
                    return Err(bad(format!(
                        "interval with {} months and {} days in a TIME column",
                        months.value(i),
                        days.value(i)
                    )));
                }
                out.append_value(micros.value(i));
            }
            Ok(Arc::new(out.finish()))
        }
        (DataType::Duration(TimeUnit::Microsecond), DataType::Time64(TimeUnit::Microsecond)) => {
            let d = a.as_primitive::<DurationMicrosecondType>();
            let mut out = arrow_array::builder::Time64MicrosecondBuilder::new();
            for v in d.iter() {
                match v {
                    Some(v) if (0..=86_400_000_000).contains(&v) => out.append_value(v),
                    Some(v) => return Err(bad(format!("TIME {v} µs is not a time of day"))),
                    None => out.append_null(),
                }
            }
            Ok(Arc::new(out.finish()))
        }
        (DataType::Utf8, DataType::FixedSizeBinary(16)) => {
            let t = a.as_string::<i32>();
            let mut out = arrow_array::builder::FixedSizeBinaryBuilder::new(16);
            for v in t.iter() {
                match v {
                    Some(v) => {
                        let hex: String = v.chars().filter(|c| *c != '-').collect();
                        let mut bytes = [0u8; 16];
                        for (i, b) in bytes.iter_mut().enumerate() {
                            *b = hex
                                .get(2 * i..2 * i + 2)
                                .and_then(|h| u8::from_str_radix(h, 16).ok())
                                .ok_or_else(|| bad(format!("`{v}` is not a uuid")))?;
                        }
                        out.append_value(bytes).map_err(|e| bad(e.to_string()))?;
                    }
                    None => out.append_null(),
                }
            }
            Ok(Arc::new(out.finish()))
        }
        (
            DataType::Timestamp(TimeUnit::Microsecond, None),
            DataType::Timestamp(TimeUnit::Microsecond, Some(tz)),
        ) => {
            // DATETIME holding the UTC wall clock of a timestamptz: the same microseconds.
            let t = a.as_primitive::<arrow_array::types::TimestampMicrosecondType>();
            Ok(Arc::new(t.clone().with_timezone(tz.clone())))
        }
        // PostgreSQL intervals and timetz stored as their text, arrays as JSON (verify of a
        // PostgreSQL dump against MySQL).
        (DataType::Utf8, DataType::Struct(_) | DataType::List(_)) => {
            haul_formats::mytext::parse::parse_column(column, a.as_string::<i32>(), to).map_err(
                |e| EngineError::Format {
                    chunk: String::new(),
                    cause: Box::new(e),
                },
            )
        }
        _ => {
            let opts = arrow::compute::CastOptions {
                safe: false,
                ..Default::default()
            };
            arrow::compute::cast_with_options(a, to, &opts).map_err(|e| bad(e.to_string()))
        }
    }
}

/// The PostgreSQL-shaped plan of a MySQL table for reading a PostgreSQL target: same chunks
/// and key, schema `public`, the kinds' Arrow schema.
pub fn pg_read_plan(t: &TablePlan) -> TablePlan {
    let schema = pg_schema(t);
    TablePlan {
        schema: PG_SCHEMA.into(),
        arrow_schema: schema.as_ref().clone(),
        key: t.key.as_ref().map(|k| KeyPlan {
            cast_types: k
                .positions
                .iter()
                .map(|&i| plain_type(&t.columns[i]))
                .collect(),
            ..k.clone()
        }),
        ..t.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_translate_when_literal() {
        assert_eq!(
            translate_default("'it''s'", &PgKind::Text),
            Some("'it''s'".into())
        );
        assert_eq!(translate_default("42", &PgKind::Int4), Some("42".into()));
        assert_eq!(
            translate_default("current_timestamp()", &PgKind::TimestampTz),
            Some("CURRENT_TIMESTAMP".into())
        );
        assert_eq!(translate_default("NULL", &PgKind::Int4), None);
        assert_eq!(translate_default("uuid()", &PgKind::Int4), None);
    }

    #[test]
    fn time_goes_to_an_interval_and_back() {
        let d: ArrayRef = Arc::new(arrow_array::DurationMicrosecondArray::from(vec![
            Some(-3_020_399_000_000),
            None,
            Some(90_000_500_000),
        ]));
        let pg = convert_array(&d, &DataType::Struct(interval_fields()), "t").expect("to pg");
        let back =
            convert_array(&pg, &DataType::Duration(TimeUnit::Microsecond), "t").expect("back");
        assert_eq!(&back, &d);
    }

    #[test]
    fn postgresql_text_and_json_from_mysql_read_back_with_the_key() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int32, false),
            Field::new("span", DataType::Struct(interval_fields()), true),
            Field::new(
                "tags",
                DataType::List(Arc::new(Field::new("item", DataType::Int32, true))),
                true,
            ),
        ]));
        let read = |span: &str, tags: &str| {
            let b = RecordBatch::try_new(
                Arc::new(Schema::new(vec![
                    Field::new("id", DataType::Int32, false),
                    Field::new("span", DataType::Utf8, true),
                    Field::new("tags", DataType::Utf8, true),
                ])),
                vec![
                    Arc::new(Int32Array::from(vec![7, 8])),
                    Arc::new(arrow_array::StringArray::from(vec![Some(span), None])),
                    Arc::new(arrow_array::StringArray::from(vec![Some(tags), None])),
                ],
            )
            .expect("batch");
            from_pg(&b, &schema, &[0], "public.t#00001")
        };
        let b = read("1 mon 2 days 00:00:03", "[1,null]").expect("reads back");
        let span = b.column(1).as_struct();
        assert_eq!(
            span.column(0)
                .as_primitive::<arrow_array::types::Int32Type>()
                .value(0),
            1
        );
        assert!(span.is_null(1));
        assert_eq!(b.column(2).as_list::<i32>().value(0).len(), 2);
        let e = read("1 mon", "[1,\"x\"]").expect_err("a string in an int[]");
        let text = e.to_string();
        assert!(
            text.contains("chunk `public.t#00001`")
                && text.contains("column `tags`")
                && text.contains("(key (id)=(7))"),
            "{text}"
        );
    }

    #[test]
    fn unsigned_bigint_goes_through_numeric() {
        let u: ArrayRef = Arc::new(arrow_array::UInt64Array::from(vec![u64::MAX, 0]));
        let pg = convert_array(&u, &DataType::Decimal128(20, 0), "u").expect("to pg");
        let back = convert_array(&pg, &DataType::UInt64, "u").expect("back");
        assert_eq!(&back, &u);
        let i: ArrayRef = Arc::new(arrow_array::Int16Array::from(vec![300]));
        assert!(convert_array(&i, &DataType::Int8, "i").is_err());
    }
}
