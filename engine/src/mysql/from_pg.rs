//! A PostgreSQL dump as MySQL/MariaDB sees it (docs/types.md, "PostgreSQL → MySQL"): each
//! table's MySQL definition, written in `SHOW CREATE TABLE`'s layout so the MySQL load path
//! takes it as it takes a MySQL dump's (secondary keys and foreign keys after the rows), and
//! each column's MySQL kind.
//!
//! Tables keep their names (the PostgreSQL schema is dropped; two tables of the same name in
//! different schemas are an error naming them). Text compares byte-wise (`utf8mb4_bin`), as in
//! PostgreSQL, so unique keys accept the same values. What does not translate (CHECK
//! constraints, expression and partial indexes, generated-column expressions, expression
//! defaults, views, sequences that are not a column's identity) is listed in `not_recreated`.
//!
//! Names (`names`): a table or column name MySQL cannot hold (a trailing space, a character
//! outside the BMP) or two columns of a table differing only in case stop the load before
//! anything is created; an index or foreign key name MySQL would take for another (names
//! compare without case; `PRIMARY` is the primary key's) or cannot hold is suffixed with a hash
//! and listed in `not_recreated` as renamed.

use std::collections::{BTreeMap, HashMap, HashSet};

use haul_formats::mytypes::MyKind;
use haul_formats::pgtypes::{META_PG_ENUM, PgKind, ReadAs};

use crate::error::{EngineError, Result};
use crate::manifest::Manifest;
use crate::mysql::catalog::{MyColumnDdl, MyForeignKey, MyIndexDdl, MyIndexPart, MyTableDdl};
use crate::mysql::names::{self, Names, Rules};
use crate::mysql::{quote_ident, quote_literal};
use crate::plan::{ColumnPlan, TablePlan};

/// The longest VARCHAR haul creates: 768 utf8mb4 characters are InnoDB's 3072-byte key limit.
const MAX_VARCHAR: u32 = 768;

/// What an unconstrained PostgreSQL `numeric` (no precision, or more than 76 digits) becomes
/// in MySQL. Chosen for a load or copy; a rerun of the job must keep it (the tables exist).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum NumericAs {
    /// `DECIMAL(65,30)`: a value that does not fit (NaN, ±Infinity, more than 35 digits before
    /// the point or 30 after it) fails its chunk naming the column and key.
    #[default]
    Decimal,
    /// `LONGTEXT` (`VARCHAR(768)` in a key) holding PostgreSQL's exact text: `123.4500`, `NaN`,
    /// `Infinity`, any number of digits (`--numeric-as-text`).
    Text,
}

impl NumericAs {
    /// How a target column of `data_type` (`information_schema.COLUMNS.DATA_TYPE`) holds an
    /// unconstrained numeric.
    pub fn of_target(data_type: &str) -> Self {
        match data_type.to_ascii_lowercase().as_str() {
            "char" | "varchar" | "tinytext" | "text" | "mediumtext" | "longtext" => Self::Text,
            _ => Self::Decimal,
        }
    }

    /// The run's flag, in words.
    fn flag(self) -> &'static str {
        match self {
            Self::Decimal => "without --numeric-as-text",
            Self::Text => "with --numeric-as-text",
        }
    }
}

/// True for a column carried as an unconstrained numeric's exact text (not a column forced to
/// text with `--as-text`).
pub fn is_numeric_text(c: &ColumnPlan) -> bool {
    c.kind == PgKind::NumericText && c.read_as == ReadAs::Native
}

/// A MySQL-shaped copy of a PostgreSQL dump's manifest, with unconstrained numerics as
/// `numeric` says.
pub fn my_manifest(m: &Manifest, numeric: NumericAs) -> Result<Manifest> {
    names::check_my_names(&m.tables)?;
    let mut seen: HashMap<&str, &str> = HashMap::new();
    for t in &m.tables {
        if let Some(other) = seen.insert(t.name.as_str(), t.schema.as_str()) {
            return Err(EngineError::Target(format!(
                "tables {other}.{0} and {1}.{0} would both be `{0}` in MySQL (one database, no schemas); load them separately with --tables",
                t.name, t.schema
            )));
        }
    }
    let mut out = m.clone();
    let mut notes = Vec::new();
    for p in &m.partitioned {
        notes.push(format!(
            "partitioned table {}.{}: its partitions are loaded as separate tables",
            p.schema, p.name
        ));
    }
    for v in &m.views {
        notes.push(format!(
            "view {}.{} (PostgreSQL SQL is not translated)",
            v.schema, v.name
        ));
    }
    // InnoDB's foreign key names are unique in the database.
    let mut fk_names = Names::new(
        Rules::Mysql,
        "is taken by another foreign key of the database: MySQL compares them without case",
    );
    for t in &mut out.tables {
        let (ddl, kinds) = table_ddl(t, m, numeric, &mut notes, &mut fk_names)?;
        for (c, k) in t.columns.iter_mut().zip(kinds) {
            c.mysql = Some(k);
        }
        t.mysql = Some(ddl);
    }
    out.not_recreated.extend(notes);
    Ok(out)
}

/// A column's MySQL type and kind.
fn column_type(
    t: &TablePlan,
    i: usize,
    key_columns: &HashSet<&str>,
    numeric: NumericAs,
) -> Result<(String, MyKind)> {
    let c = &t.columns[i];
    let pg = t
        .ddl
        .columns
        .get(i)
        .map(|d| d.pg_type.as_str())
        .unwrap_or("");
    let text = |n: Option<u32>| match n {
        Some(n) if n <= MAX_VARCHAR => (format!("varchar({n})"), MyKind::Text),
        _ if key_columns.contains(c.name.as_str()) => {
            (format!("varchar({MAX_VARCHAR})"), MyKind::Text)
        }
        _ => ("longtext".to_string(), MyKind::Text),
    };
    if c.read_as != ReadAs::Native {
        return Ok(text(None));
    }
    let int = |bytes| MyKind::Int {
        bytes,
        unsigned: false,
    };
    Ok(match &c.kind {
        PgKind::Bool => ("tinyint(1)".into(), int(1)),
        PgKind::Int2 => ("smallint".into(), int(2)),
        PgKind::Int4 => ("int".into(), int(4)),
        PgKind::Int8 => ("bigint".into(), int(8)),
        PgKind::Float4 => ("float".into(), MyKind::Float),
        PgKind::Float8 => ("double".into(), MyKind::Double),
        PgKind::Decimal { precision, scale } => {
            if *precision > 65 || *scale < 0 || *scale > 30 {
                return Err(EngineError::Target(format!(
                    "{}.{}: numeric({precision},{scale}) does not fit MySQL's DECIMAL (at most 65 digits, 30 after the point)",
                    t.display_name(),
                    c.name
                )));
            }
            (
                format!("decimal({precision},{scale})"),
                MyKind::Decimal {
                    precision: *precision,
                    scale: *scale,
                },
            )
        }
        PgKind::NumericText if numeric == NumericAs::Text => text(None),
        // Every value must fit: one that does not fails its chunk naming the column and the
        // flag (`sink::mysql`).
        PgKind::NumericText => (
            "decimal(65,30)".into(),
            MyKind::Decimal {
                precision: 65,
                scale: 30,
            },
        ),
        PgKind::Money { scale } => (
            format!("decimal(19,{scale})"),
            MyKind::Decimal {
                precision: 19,
                scale: *scale,
            },
        ),
        PgKind::Text => {
            let field = t.arrow_schema.field_with_name(&c.name).ok();
            if let Some(labels) = field
                .and_then(|f| f.metadata().get(META_PG_ENUM))
                .and_then(|l| serde_json::from_str::<Vec<String>>(l).ok())
            {
                let list: Vec<String> = labels.iter().map(|l| quote_literal(l)).collect();
                (format!("enum({})", list.join(",")), MyKind::Enum { labels })
            } else {
                text(varchar_len(pg))
            }
        }
        PgKind::Bytea => ("longblob".into(), MyKind::Binary),
        PgKind::Date => ("date".into(), MyKind::Date),
        PgKind::Time => ("time(6)".into(), MyKind::Time),
        PgKind::Timestamp | PgKind::TimestampTz => ("datetime(6)".into(), MyKind::DateTime),
        PgKind::TimeTz => ("varchar(32)".into(), MyKind::Text),
        PgKind::Interval => ("varchar(80)".into(), MyKind::Text),
        PgKind::Uuid => ("char(36)".into(), MyKind::Text),
        PgKind::Json | PgKind::Jsonb | PgKind::Array { .. } => ("json".into(), MyKind::Json),
        _ => text(None),
    })
}

/// Column types of a MySQL database: table → its columns' (name, `DATA_TYPE`), in order.
pub type TargetColumns = BTreeMap<String, Vec<(String, String)>>;

fn target_type<'a>(target: &'a TargetColumns, table: &str, column: &str) -> Option<&'a str> {
    target
        .get(table)?
        .iter()
        .find(|(n, _)| n == column)
        .map(|(_, t)| t.as_str())
}

/// Reads each unconstrained numeric as the target holds it: `verify --against` does not know
/// whether the load or copy ran with `--numeric-as-text`, the column's type says.
pub fn follow_target(my_m: &mut Manifest, target: &TargetColumns) {
    for t in &mut my_m.tables {
        for c in t.columns.iter_mut().filter(|c| is_numeric_text(c)) {
            if target_type(target, &t.name, &c.name).map(NumericAs::of_target)
                == Some(NumericAs::Text)
            {
                c.mysql = Some(MyKind::Text);
            }
        }
    }
}

/// For a rerun of job `job`: fails when a table the job created (`created`) holds an
/// unconstrained numeric in the other form than `numeric` asks — the first run had the other
/// `--numeric-as-text` — naming the columns and the two ways on. Resuming would load the rest
/// of the rows into columns of the first run's type, and a finished job would be reported done
/// although its columns are not what this run asks for.
pub fn check_rerun(
    m: &Manifest,
    numeric: NumericAs,
    created: &[String],
    target: &TargetColumns,
    job: &str,
) -> Result<()> {
    let mut other = Vec::new();
    for t in m.tables.iter().filter(|t| created.contains(&t.name)) {
        for c in t.columns.iter().filter(|c| is_numeric_text(c)) {
            if let Some(ty) = target_type(target, &t.name, &c.name)
                && NumericAs::of_target(ty) != numeric
            {
                other.push(format!("`{}`.`{}` is {ty}", t.name, c.name));
            }
        }
    }
    if other.is_empty() {
        return Ok(());
    }
    let first = match numeric {
        NumericAs::Text => NumericAs::Decimal,
        NumericAs::Decimal => NumericAs::Text,
    };
    Err(EngineError::Target(format!(
        "job {job} was started {} ({} in the target); rerun {} to go on with it, or add --if-exists replace to recreate its tables {}",
        first.flag(),
        other.join(", "),
        first.flag(),
        numeric.flag()
    )))
}

/// `n` of `character varying(n)` / `character(n)`.
fn varchar_len(pg_type: &str) -> Option<u32> {
    let rest = pg_type
        .strip_prefix("character varying(")
        .or_else(|| pg_type.strip_prefix("character("))?;
    rest.split(')').next()?.parse().ok()
}

/// The column names inside `(…)` of a constraint or index definition, if each is a plain
/// (possibly quoted) column name.
fn column_list(def: &str, after: &str) -> Option<Vec<String>> {
    let start = def.find(after)? + after.len();
    let rest = &def[start..];
    let open = rest.find('(')?;
    let close = rest[open..].find(')')? + open;
    let inner = &rest[open + 1..close];
    inner
        .split(',')
        .map(|p| {
            let p = p.trim();
            let p = p
                .strip_suffix(" ASC")
                .or_else(|| p.strip_suffix(" DESC"))
                .unwrap_or(p);
            if let Some(q) = p.strip_prefix('"').and_then(|q| q.strip_suffix('"')) {
                Some(q.replace("\"\"", "\""))
            } else if !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                Some(p.to_string())
            } else {
                None
            }
        })
        .collect()
}

fn table_ddl(
    t: &TablePlan,
    m: &Manifest,
    numeric: NumericAs,
    notes: &mut Vec<String>,
    fk_names: &mut Names,
) -> Result<(MyTableDdl, Vec<MyKind>)> {
    let name = t.display_name();
    let mut index_names = Names::new(
        Rules::Mysql,
        "is taken by another index of the table: MySQL compares index names without case, and `PRIMARY` is the primary key's",
    );
    index_names.reserve("PRIMARY");
    // Primary key and unique indexes: their columns must be short enough to index whole.
    let pk: Option<Vec<String>> = t
        .ddl
        .constraints
        .iter()
        .find(|c| c.kind == "p")
        .and_then(|c| column_list(&c.definition, "PRIMARY KEY"));
    let mut indexes = Vec::new();
    for ix in t.ddl.indexes.iter().filter(|i| !i.primary) {
        let simple = ix.definition.contains(" USING btree (")
            && !ix.definition.contains(" WHERE ")
            && !ix.definition.contains(" INCLUDE ");
        match column_list(&ix.definition, " USING btree").filter(|_| simple) {
            Some(cols) => {
                let my_name = index_names.fit_noted(
                    &ix.name,
                    || format!("index `{}` of `{name}`", ix.name),
                    notes,
                );
                indexes.push((my_name, ix.unique, cols));
            }
            None => notes.push(format!(
                "index {} of {name} (`{}`): only plain B-tree column indexes are carried to MySQL",
                ix.name, ix.definition
            )),
        }
    }
    let key_columns: HashSet<&str> = pk
        .iter()
        .flatten()
        .chain(indexes.iter().filter(|i| i.1).flat_map(|i| i.2.iter()))
        .map(String::as_str)
        .collect();
    let mut lines = Vec::new();
    let mut columns = Vec::new();
    let mut kinds = Vec::new();
    let mut auto_increment = None;
    for (i, c) in t.columns.iter().enumerate() {
        let (ty, kind) = column_type(t, i, &key_columns, numeric)?;
        let d = t.ddl.columns.get(i);
        let not_null = !c.nullable || d.is_some_and(|d| d.not_null);
        let first_of_pk = pk.as_ref().and_then(|p| p.first()) == Some(&c.name);
        let serial = d.is_some_and(|d| {
            d.identity.is_some()
                || d.default
                    .as_deref()
                    .is_some_and(|x| x.starts_with("nextval("))
        });
        let auto = serial && first_of_pk && matches!(kind, MyKind::Int { .. });
        if serial && !auto {
            notes.push(format!(
                "{name}.{}: its sequence default is not recreated (MySQL's AUTO_INCREMENT must lead the primary key)",
                c.name
            ));
        }
        if auto {
            auto_increment = next_value(m, t, &c.name);
        }
        if let Some(g) = d.and_then(|d| d.generated.as_ref()) {
            notes.push(format!(
                "generated column {name}.{} is loaded as a plain column (its expression `{g}` is not translated)",
                c.name
            ));
        }
        let default = if auto {
            None
        } else {
            d.and_then(|d| d.default.as_deref()).and_then(|x| {
                let got = translate_default(x, &kind);
                if got.is_none() && !x.starts_with("nextval(") {
                    notes.push(format!(
                        "default of {name}.{} (`{x}`) is not recreated",
                        c.name
                    ));
                }
                got
            })
        };
        let mut line = format!("  {} {ty}", quote_ident(&c.name));
        if not_null {
            line.push_str(" NOT NULL");
        }
        if let Some(x) = &default {
            line.push_str(&format!(" DEFAULT {x}"));
        }
        if auto {
            line.push_str(" AUTO_INCREMENT");
        }
        lines.push(line);
        columns.push(MyColumnDdl {
            name: c.name.clone(),
            column_type: ty,
            nullable: !not_null,
            default,
            extra: if auto {
                "auto_increment".into()
            } else {
                String::new()
            },
            generated: None,
            charset: None,
            collation: None,
        });
        kinds.push(kind);
    }
    for c in t
        .ddl
        .constraints
        .iter()
        .filter(|c| c.kind == "c" || c.kind == "x")
    {
        notes.push(format!(
            "constraint {} of {name} (`{}`) is not translated to MySQL",
            c.name, c.definition
        ));
    }
    let mut my_indexes = Vec::new();
    if let Some(pk) = &pk {
        let cols: Vec<String> = pk.iter().map(|c| quote_ident(c)).collect();
        lines.push(format!("  PRIMARY KEY ({})", cols.join(",")));
        my_indexes.push(index("PRIMARY", true, true, pk));
    }
    for (ix, unique, cols) in &indexes {
        let quoted: Vec<String> = cols.iter().map(|c| quote_ident(c)).collect();
        lines.push(format!(
            "  {}KEY {} ({})",
            if *unique { "UNIQUE " } else { "" },
            quote_ident(ix),
            quoted.join(",")
        ));
        my_indexes.push(index(ix, false, *unique, cols));
    }
    let mut fks = Vec::new();
    for c in t.ddl.constraints.iter().filter(|c| c.kind == "f") {
        match foreign_key(&c.name, &c.definition) {
            Some(mut fk) => {
                fk.name = fk_names.fit_noted(
                    &c.name,
                    || format!("foreign key `{}` of `{name}`", c.name),
                    notes,
                );
                let cols: Vec<String> = fk.columns.iter().map(|c| quote_ident(c)).collect();
                let refs: Vec<String> = fk.ref_columns.iter().map(|c| quote_ident(c)).collect();
                lines.push(format!(
                    "  CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({}) ON DELETE {} ON UPDATE {}",
                    quote_ident(&fk.name),
                    cols.join(","),
                    quote_ident(&fk.ref_table),
                    refs.join(","),
                    fk.on_delete,
                    fk.on_update
                ));
                fks.push(fk);
            }
            None => notes.push(format!(
                "foreign key {} of {name} (`{}`) is not translated to MySQL",
                c.name, c.definition
            )),
        }
    }
    let mut create = format!("CREATE TABLE {} (\n", quote_ident(&t.name));
    create.push_str(&lines.join(",\n"));
    create.push_str("\n) ENGINE=InnoDB");
    if let Some(n) = auto_increment {
        create.push_str(&format!(" AUTO_INCREMENT={n}"));
    }
    create.push_str(" DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin");
    Ok((
        MyTableDdl {
            create,
            engine: "InnoDB".into(),
            collation: Some("utf8mb4_bin".into()),
            columns,
            indexes: my_indexes,
            foreign_keys: fks,
            auto_increment,
        },
        kinds,
    ))
}

fn index(name: &str, primary: bool, unique: bool, cols: &[String]) -> MyIndexDdl {
    MyIndexDdl {
        name: name.to_string(),
        primary,
        unique,
        index_type: "BTREE".into(),
        columns: cols
            .iter()
            .map(|c| MyIndexPart {
                column: c.clone(),
                prefix: None,
            })
            .collect(),
    }
}

/// The next value of the sequence behind `table.column` (identity or serial).
fn next_value(m: &Manifest, t: &TablePlan, column: &str) -> Option<u64> {
    let s = m.sequences.iter().find(|s| {
        s.owned_by
            .as_ref()
            .is_some_and(|(sch, tab, col)| *sch == t.schema && *tab == t.name && col == column)
    })?;
    let next = if s.is_called {
        s.last_value.checked_add(s.increment)?
    } else {
        s.last_value
    };
    u64::try_from(next).ok()
}

/// `FOREIGN KEY (a, b) REFERENCES schema.t(x, y) [ON UPDATE …] [ON DELETE …]`.
fn foreign_key(name: &str, def: &str) -> Option<MyForeignKey> {
    let columns = column_list(def, "FOREIGN KEY")?;
    let refs_at = def.find("REFERENCES ")? + "REFERENCES ".len();
    let rest = &def[refs_at..];
    let open = rest.find('(')?;
    let target = rest[..open].trim();
    let table = target.rsplit('.').next()?.trim_matches('"').to_string();
    let ref_columns = column_list(rest, "")?;
    let action = |what: &str| {
        def.find(what)
            .map(|i| {
                let tail = &def[i + what.len()..];
                [
                    "NO ACTION",
                    "RESTRICT",
                    "CASCADE",
                    "SET NULL",
                    "SET DEFAULT",
                ]
                .into_iter()
                .find(|a| tail.trim_start().starts_with(a))
                .unwrap_or("NO ACTION")
            })
            .unwrap_or("NO ACTION")
            .to_string()
    };
    Some(MyForeignKey {
        name: name.to_string(),
        columns,
        ref_db: String::new(),
        ref_table: table,
        ref_columns,
        on_update: action("ON UPDATE"),
        on_delete: action("ON DELETE"),
    })
}

/// A PostgreSQL default as a MySQL one, when it is a literal or the current time.
fn translate_default(d: &str, kind: &MyKind) -> Option<String> {
    let lower = d.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "now()" | "current_timestamp" | "clock_timestamp()"
    ) {
        return matches!(kind, MyKind::DateTime).then(|| "CURRENT_TIMESTAMP(6)".to_string());
    }
    // `'text'::type` → the literal; plain numbers as they are.
    let literal = match d.split_once("::") {
        Some((lit, _)) => lit,
        None => d,
    };
    let literal = literal.trim_start_matches('(').trim_end_matches(')');
    if let Some(inner) = literal
        .strip_prefix('\'')
        .and_then(|s| s.strip_suffix('\''))
    {
        if matches!(kind, MyKind::Json | MyKind::Binary) {
            return None;
        }
        return Some(quote_literal(&inner.replace("''", "'")));
    }
    let numeric = !literal.is_empty()
        && literal
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'.' | b'e' | b'E' | b'+'));
    match (lower.as_str(), kind) {
        ("true", MyKind::Int { .. }) => Some("1".into()),
        ("false", MyKind::Int { .. }) => Some("0".into()),
        _ if numeric
            && matches!(
                kind,
                MyKind::Int { .. } | MyKind::Decimal { .. } | MyKind::Float | MyKind::Double
            ) =>
        {
            Some(literal.to_string())
        }
        // A numeric default of a numeric kept as text (`--numeric-as-text`).
        (_, MyKind::Text) if numeric => Some(quote_literal(literal)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions_parse() {
        assert_eq!(
            column_list("PRIMARY KEY (id, \"Odd\"\"Name\")", "PRIMARY KEY"),
            Some(vec!["id".to_string(), "Odd\"Name".to_string()])
        );
        assert_eq!(
            column_list(
                "CREATE INDEX i ON public.t USING btree (lower(v))",
                " USING btree"
            ),
            None
        );
        let fk = foreign_key(
            "f",
            "FOREIGN KEY (a, b) REFERENCES sales.parent(x, y) ON DELETE CASCADE",
        )
        .expect("parses");
        assert_eq!(fk.ref_table, "parent");
        assert_eq!(fk.columns, ["a", "b"]);
        assert_eq!(fk.ref_columns, ["x", "y"]);
        assert_eq!(fk.on_delete, "CASCADE");
        assert_eq!(fk.on_update, "NO ACTION");
    }

    #[test]
    fn defaults_translate_when_literal() {
        let int = MyKind::Int {
            bytes: 4,
            unsigned: false,
        };
        assert_eq!(
            translate_default("'it''s'::text", &MyKind::Text),
            Some("'it''s'".into())
        );
        assert_eq!(translate_default("42", &int), Some("42".into()));
        assert_eq!(translate_default("(-1)", &int), Some("-1".into()));
        assert_eq!(
            translate_default("now()", &MyKind::DateTime),
            Some("CURRENT_TIMESTAMP(6)".into())
        );
        assert_eq!(translate_default("gen_random_uuid()", &MyKind::Text), None);
        // An unconstrained numeric kept as text keeps its numeric default, quoted.
        assert_eq!(
            translate_default("(-1.50)", &MyKind::Text),
            Some("'-1.50'".into())
        );
    }

    #[test]
    fn target_types_say_how_numerics_are_held() {
        assert_eq!(NumericAs::of_target("longtext"), NumericAs::Text);
        assert_eq!(NumericAs::of_target("VARCHAR"), NumericAs::Text);
        assert_eq!(NumericAs::of_target("decimal"), NumericAs::Decimal);
        assert_eq!(NumericAs::of_target("double"), NumericAs::Decimal);
    }
}
