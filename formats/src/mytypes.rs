//! The MySQL/MariaDB → Arrow type table: one reviewed line per type (docs/types.md).
//!
//! A column's `information_schema.COLUMNS` description ([`MyColumnType`]) resolves to a
//! [`MyKind`], which fixes the Arrow type that holds it in a dump and how each value read over
//! the binary protocol is turned into it. Every field carries the source type as MySQL spells
//! it ([`META_MY_TYPE`]), so a MySQL target can recreate the exact column.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_schema::extension::Json;
use arrow_schema::{DataType, Field, TimeUnit};
use serde::{Deserialize, Serialize};

use crate::pgtypes::PgKind;

/// Field metadata key: `information_schema.COLUMNS.COLUMN_TYPE`, e.g. `int(10) unsigned`.
pub const META_MY_TYPE: &str = "haul.mysql.type";
/// Field metadata key: an ENUM's labels, a JSON array in definition order.
pub const META_MY_ENUM: &str = "haul.mysql.enum_labels";
/// Field metadata key: a SET's members, a JSON array in definition order.
pub const META_MY_SET: &str = "haul.mysql.set_members";
/// Field metadata key: a spatial column's SRID (decimal), `0` when none is declared.
pub const META_MY_SRID: &str = "haul.mysql.srid";
/// Field metadata key: a text column's character set (`utf8mb4`, `latin1`, …).
pub const META_MY_CHARSET: &str = "haul.mysql.charset";

/// How a MySQL column is held in Arrow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum MyKind {
    /// TINYINT (1 byte) .. BIGINT (8 bytes; MEDIUMINT is 3) → Int8..Int64 or UInt8..UInt64
    /// (MEDIUMINT → Int32/UInt32).
    Int { bytes: u8, unsigned: bool },
    /// DECIMAL(p,s) → Decimal128 (p ≤ 38) or Decimal256 (p ≤ 65).
    Decimal { precision: u8, scale: i8 },
    /// FLOAT → Float32, the stored bits (never the 6-digit text form).
    Float,
    /// DOUBLE → Float64.
    Double,
    /// BIT(n) → UInt64 holding the bits as an unsigned number.
    Bit { width: u8 },
    /// CHAR, VARCHAR, *TEXT in any character set → Utf8 (the server converts to utf8mb4).
    Text,
    /// BINARY, VARBINARY, *BLOB → Binary, bytes as stored.
    Binary,
    /// ENUM → Utf8 holding the label; the labels are in the field metadata.
    Enum { labels: Vec<String> },
    /// SET → List<Utf8> of the members present, in definition order; the empty set is `[]`.
    Set { members: Vec<String> },
    /// DATE → Date32.
    Date,
    /// DATETIME(fsp) → Timestamp(µs, no zone), the wall-clock value as stored.
    DateTime,
    /// TIMESTAMP(fsp) → Timestamp(µs, "UTC"), read with the session zone at UTC.
    Timestamp,
    /// TIME(fsp) → Duration(µs): negative and past 24 hours (±838:59:59).
    Time,
    /// YEAR → Int16 (0 for the zero year).
    Year,
    /// JSON (MySQL) or LONGTEXT with a `json_valid` CHECK (MariaDB) → Utf8 with `arrow.json`.
    Json,
    /// GEOMETRY and its subtypes → Binary holding standard WKB; the SRID is in the metadata.
    Geometry { srid: u32 },
}

/// What `information_schema.COLUMNS` says about one column.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MyColumnType {
    /// `DATA_TYPE`, lower case: `int`, `varchar`, `enum`, …
    pub data_type: String,
    /// `COLUMN_TYPE`: `int(10) unsigned`, `enum('a','b')`, `decimal(12,2)`, …
    pub column_type: String,
    /// `NUMERIC_PRECISION` (DECIMAL digits, BIT width).
    pub precision: Option<u64>,
    /// `NUMERIC_SCALE`.
    pub scale: Option<u64>,
    /// `CHARACTER_SET_NAME` (`None` for non-character columns).
    pub charset: Option<String>,
    /// MariaDB: a `json_valid(col)` CHECK constraint makes a LONGTEXT a JSON column.
    pub json_check: bool,
    /// Declared SRID of a spatial column.
    pub srid: Option<u32>,
}

/// Why a column cannot be dumped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsupportedType(pub String);

impl MyColumnType {
    /// The column's kind, or why it has none.
    pub fn resolve(&self) -> Result<MyKind, UnsupportedType> {
        let unsigned = self.column_type.contains("unsigned");
        let int = |bytes| Ok(MyKind::Int { bytes, unsigned });
        match self.data_type.as_str() {
            "tinyint" => int(1),
            "smallint" => int(2),
            "mediumint" => int(3),
            "int" | "integer" => int(4),
            "bigint" => int(8),
            "decimal" | "numeric" => {
                let p = self.precision.unwrap_or(10);
                let s = self.scale.unwrap_or(0);
                if p > 65 || s > 38 {
                    return Err(UnsupportedType(format!(
                        "{} is wider than DECIMAL(65,38)",
                        self.column_type
                    )));
                }
                Ok(MyKind::Decimal {
                    precision: p as u8,
                    scale: s as i8,
                })
            }
            "float" => Ok(MyKind::Float),
            "double" | "real" | "double precision" => Ok(MyKind::Double),
            "bit" => Ok(MyKind::Bit {
                width: self.precision.unwrap_or(1).clamp(1, 64) as u8,
            }),
            "char" | "varchar" | "tinytext" | "text" | "mediumtext" | "longtext" => {
                if self.json_check && self.data_type == "longtext" {
                    Ok(MyKind::Json)
                } else if self.charset.as_deref() == Some("binary") {
                    Ok(MyKind::Binary)
                } else {
                    Ok(MyKind::Text)
                }
            }
            "binary" | "varbinary" | "tinyblob" | "blob" | "mediumblob" | "longblob" => {
                Ok(MyKind::Binary)
            }
            "enum" => Ok(MyKind::Enum {
                labels: parse_labels(&self.column_type, "enum")?,
            }),
            "set" => Ok(MyKind::Set {
                members: parse_labels(&self.column_type, "set")?,
            }),
            "date" => Ok(MyKind::Date),
            "datetime" => Ok(MyKind::DateTime),
            "timestamp" => Ok(MyKind::Timestamp),
            "time" => Ok(MyKind::Time),
            "year" => Ok(MyKind::Year),
            "json" => Ok(MyKind::Json),
            // MariaDB's UUID, INET4 and INET6 travel as their text form.
            "uuid" | "inet4" | "inet6" => Ok(MyKind::Text),
            "geometry" | "point" | "linestring" | "polygon" | "multipoint" | "multilinestring"
            | "multipolygon" | "geometrycollection" | "geomcollection" => Ok(MyKind::Geometry {
                srid: self.srid.unwrap_or(0),
            }),
            other => Err(UnsupportedType(format!(
                "type `{other}` ({}) has no Arrow mapping in haul",
                self.column_type
            ))),
        }
    }
}

/// The quoted labels of `enum('a','b''c')` / `set(…)`. MySQL doubles a quote inside a label
/// and escapes a backslash as `\\`.
pub fn parse_labels(column_type: &str, what: &str) -> Result<Vec<String>, UnsupportedType> {
    let bad = || UnsupportedType(format!("cannot read the {what} labels of `{column_type}`"));
    let open = column_type.find('(').ok_or_else(bad)?;
    let body = column_type[open + 1..]
        .strip_suffix(')')
        .or_else(|| column_type[open + 1..].rsplit_once(')').map(|(b, _)| b))
        .ok_or_else(bad)?;
    let mut out = Vec::new();
    let mut chars = body.chars().peekable();
    loop {
        match chars.next() {
            None => break,
            Some('\'') => {}
            Some(',') | Some(' ') => continue,
            Some(_) => return Err(bad()),
        }
        let mut label = String::new();
        loop {
            match chars.next().ok_or_else(bad)? {
                '\'' if chars.peek() == Some(&'\'') => {
                    chars.next();
                    label.push('\'');
                }
                '\'' => break,
                '\\' => label.push(chars.next().ok_or_else(bad)?),
                c => label.push(c),
            }
        }
        out.push(label);
    }
    Ok(out)
}

impl MyKind {
    /// The Arrow type that holds the column.
    pub fn arrow_type(&self) -> DataType {
        match self {
            MyKind::Int { bytes, unsigned } => match (bytes, unsigned) {
                (1, false) => DataType::Int8,
                (1, true) => DataType::UInt8,
                (2, false) => DataType::Int16,
                (2, true) => DataType::UInt16,
                (3 | 4, false) => DataType::Int32,
                (3 | 4, true) => DataType::UInt32,
                (_, false) => DataType::Int64,
                (_, true) => DataType::UInt64,
            },
            MyKind::Decimal { precision, scale } if *precision <= 38 => {
                DataType::Decimal128((*precision).max(1), *scale)
            }
            MyKind::Decimal { precision, scale } => DataType::Decimal256(*precision, *scale),
            MyKind::Float => DataType::Float32,
            MyKind::Double => DataType::Float64,
            MyKind::Bit { .. } => DataType::UInt64,
            MyKind::Text | MyKind::Enum { .. } | MyKind::Json => DataType::Utf8,
            MyKind::Binary | MyKind::Geometry { .. } => DataType::Binary,
            MyKind::Set { .. } => {
                DataType::List(Arc::new(Field::new("item", DataType::Utf8, true)))
            }
            MyKind::Date => DataType::Date32,
            MyKind::DateTime => DataType::Timestamp(TimeUnit::Microsecond, None),
            MyKind::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            MyKind::Time => DataType::Duration(TimeUnit::Microsecond),
            MyKind::Year => DataType::Int16,
        }
    }

    /// True for the date and time kinds a zero date (`0000-00-00`) can appear in.
    pub fn has_zero_dates(&self) -> bool {
        matches!(self, MyKind::Date | MyKind::DateTime | MyKind::Timestamp)
    }

    /// How a PostgreSQL target holds the column (docs/types.md, "MySQL → PostgreSQL").
    pub fn pg_kind(&self) -> PgKind {
        match self {
            MyKind::Int { bytes, unsigned } => match (bytes, unsigned) {
                (1, _) | (2, false) => PgKind::Int2,
                (2, true) | (3, _) | (4, false) => PgKind::Int4,
                (4, true) | (8, false) => PgKind::Int8,
                _ => PgKind::Decimal {
                    precision: 20,
                    scale: 0,
                },
            },
            MyKind::Decimal { precision, scale } => PgKind::Decimal {
                precision: *precision,
                scale: *scale,
            },
            MyKind::Float => PgKind::Float4,
            MyKind::Double => PgKind::Float8,
            MyKind::Bit { width } if *width < 64 => PgKind::Int8,
            MyKind::Bit { .. } => PgKind::Decimal {
                precision: 20,
                scale: 0,
            },
            MyKind::Text | MyKind::Enum { .. } => PgKind::Text,
            MyKind::Binary | MyKind::Geometry { .. } => PgKind::Bytea,
            MyKind::Set { .. } => PgKind::Array {
                element: Box::new(PgKind::Text),
                dims: 1,
            },
            MyKind::Date => PgKind::Date,
            MyKind::DateTime => PgKind::Timestamp,
            MyKind::Timestamp => PgKind::TimestampTz,
            MyKind::Time => PgKind::Interval,
            MyKind::Year => PgKind::Int2,
            MyKind::Json => PgKind::Jsonb,
        }
    }
}

/// The Arrow field of a MySQL column: its kind's type and the metadata that describes it.
pub fn arrow_field(name: &str, kind: &MyKind, ty: &MyColumnType, nullable: bool) -> Field {
    let mut meta = HashMap::new();
    meta.insert(META_MY_TYPE.to_string(), ty.column_type.clone());
    match kind {
        MyKind::Enum { labels } => {
            meta.insert(META_MY_ENUM.into(), json_list(labels));
        }
        MyKind::Set { members } => {
            meta.insert(META_MY_SET.into(), json_list(members));
        }
        MyKind::Geometry { srid } => {
            meta.insert(META_MY_SRID.into(), srid.to_string());
        }
        MyKind::Text => {
            if let Some(cs) = &ty.charset {
                meta.insert(META_MY_CHARSET.into(), cs.clone());
            }
        }
        _ => {}
    }
    let field = Field::new(name, kind.arrow_type(), nullable).with_metadata(meta);
    if *kind == MyKind::Json {
        return field.with_extension_type(Json::default());
    }
    field
}

fn json_list(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(data_type: &str, column_type: &str) -> MyColumnType {
        MyColumnType {
            data_type: data_type.into(),
            column_type: column_type.into(),
            ..Default::default()
        }
    }

    #[test]
    fn integers_keep_their_sign_and_width() {
        let k = ty("bigint", "bigint(20) unsigned").resolve().expect("kind");
        assert_eq!(k.arrow_type(), DataType::UInt64);
        let k = ty("mediumint", "mediumint(9)").resolve().expect("kind");
        assert_eq!(k.arrow_type(), DataType::Int32);
        let k = ty("tinyint", "tinyint(1)").resolve().expect("kind");
        assert_eq!(k.arrow_type(), DataType::Int8);
    }

    #[test]
    fn labels_unquote() {
        assert_eq!(
            parse_labels("enum('a','b''c','d,e','\\\\')", "enum").expect("labels"),
            ["a", "b'c", "d,e", "\\"]
        );
        assert_eq!(parse_labels("set('')", "set").expect("labels"), [""]);
        assert!(parse_labels("enum", "enum").is_err());
    }

    #[test]
    fn decimals_pick_their_width() {
        let mut t = ty("decimal", "decimal(65,30)");
        t.precision = Some(65);
        t.scale = Some(30);
        assert_eq!(
            t.resolve().expect("kind").arrow_type(),
            DataType::Decimal256(65, 30)
        );
        t.precision = Some(12);
        t.scale = Some(2);
        assert_eq!(
            t.resolve().expect("kind").arrow_type(),
            DataType::Decimal128(12, 2)
        );
    }

    #[test]
    fn json_is_marked() {
        let mut t = ty("longtext", "longtext");
        t.json_check = true;
        let k = t.resolve().expect("kind");
        let f = arrow_field("doc", &k, &t, true);
        assert_eq!(
            f.metadata().get("ARROW:extension:name").map(String::as_str),
            Some("arrow.json")
        );
    }
}
