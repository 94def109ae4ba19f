//! The PostgreSQL → Arrow type table: one reviewed line per type (DESIGN.md §4, docs/types.md).
//!
//! A column's catalog description ([`PgColumnType`]) resolves to a [`PgKind`], which says two
//! things at once: what the binary `COPY` stream carries for the column (the decoder's job) and
//! which Arrow type holds it (the Parquet file's job). Types with no faithful Arrow home travel as
//! their exact PostgreSQL text form ([`PgKind::Text`] plus [`ReadAs::OutputText`]): the server
//! renders them, the field metadata names the source type, and the planner warns.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_schema::extension::{Json, Uuid};
use arrow_schema::{DataType, Field, Fields, TimeUnit};
use serde::{Deserialize, Serialize};

/// Field metadata key: the source type as PostgreSQL spells it (`format_type`), e.g. `numeric(12,2)`.
pub const META_PG_TYPE: &str = "haul.pg.type";
/// Field metadata key: set to `text` when a value travels as its PostgreSQL text form.
pub const META_CARRIED_AS: &str = "haul.carried_as";
/// Field metadata key: a domain's name when the column's type is a domain.
pub const META_PG_DOMAIN: &str = "haul.pg.domain";
/// Field metadata key: an enum's labels, as a JSON array in sort order.
pub const META_PG_ENUM: &str = "haul.pg.enum_labels";
/// Field metadata key: how ±infinity is stored (dates and timestamps).
pub const META_INFINITY: &str = "haul.infinity";
/// Field metadata key: marks a Utf8 column that holds exact decimal text (unconstrained numeric).
pub const META_DECIMAL_TEXT: &str = "haul.decimal_text";

/// Days between 1970-01-01 (Arrow) and 2000-01-01 (PostgreSQL).
pub const PG_EPOCH_DAYS: i32 = 10_957;
/// Microseconds between 1970-01-01 (Arrow) and 2000-01-01 (PostgreSQL).
pub const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;

/// What the binary COPY stream carries for a column, and which Arrow type holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum PgKind {
    /// `bool` → Boolean.
    Bool,
    /// `int2` → Int16.
    Int2,
    /// `int4` → Int32.
    Int4,
    /// `int8` → Int64.
    Int8,
    /// `float4` → Float32 (NaN, ±Inf, −0 kept bit for bit).
    Float4,
    /// `float8` → Float64.
    Float8,
    /// `numeric(p,s)` with p ≤ 76 → Decimal128 (p ≤ 38) or Decimal256. NaN cannot be held: it is
    /// a value error that names the column (carry the column as text instead).
    Decimal { precision: u8, scale: i8 },
    /// Unconstrained `numeric` (or p > 76) → Utf8 holding PostgreSQL's exact text, `NaN`,
    /// `Infinity` and `-Infinity` included.
    NumericText,
    /// `money` (an int8 count of the smallest currency unit) → Decimal128(19, scale).
    Money { scale: i8 },
    /// `text`, `varchar`, `bpchar`, `name`, enum labels, and every type carried as text → Utf8.
    Text,
    /// `bytea` → Binary.
    Bytea,
    /// `date` → Date32 (days since 1970); ±infinity → i32::MAX / i32::MIN.
    Date,
    /// `time` → Time64(µs).
    Time,
    /// `timetz` → Struct { time: Time64(µs), utc_offset_seconds: Int32 (east positive) }.
    TimeTz,
    /// `timestamp` → Timestamp(µs, no zone); ±infinity → i64::MAX / i64::MIN.
    Timestamp,
    /// `timestamptz` → Timestamp(µs, "UTC"); ±infinity → i64::MAX / i64::MIN.
    TimestampTz,
    /// `interval` → Struct { months: Int32, days: Int32, micros: Int64 }.
    Interval,
    /// `uuid` → FixedSizeBinary(16) with the `arrow.uuid` extension.
    Uuid,
    /// `json` → Utf8 with the `arrow.json` extension, text exactly as stored.
    Json,
    /// `jsonb` → Utf8 with the `arrow.json` extension (the wire's version byte is dropped).
    Jsonb,
    /// An array of `dims` dimensions (lower bounds 1) → `dims` nested Lists of the element kind.
    Array { element: Box<PgKind>, dims: u8 },
}

/// How the dump's `SELECT` list reads a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadAs {
    /// The column itself, in its binary send format.
    Native,
    /// The type's output text, rendered by the server (`CASE WHEN c IS NULL THEN NULL ELSE
    /// format('%s', c) END`, which calls the type's output function; `c::text` can differ, e.g.
    /// `inet`'s text cast always adds the mask length).
    OutputText,
    /// The value cast with `::text` (composite types, whose `IS NULL` is true for a row of NULLs,
    /// so the `CASE` form would lose them; their text cast is the output function).
    CastText,
}

/// Type category from `pg_type.typtype`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PgTypType {
    /// Base type (`b`).
    Base,
    /// Composite (`c`).
    Composite,
    /// Domain (`d`) — resolved to its base type before it gets here.
    Domain,
    /// Enum (`e`).
    Enum,
    /// Pseudo type (`p`).
    Pseudo,
    /// Range (`r`).
    Range,
    /// Multirange (`m`).
    Multirange,
}

impl PgTypType {
    /// Parses `pg_type.typtype`.
    pub fn from_char(c: char) -> Self {
        match c {
            'c' => Self::Composite,
            'd' => Self::Domain,
            'e' => Self::Enum,
            'p' => Self::Pseudo,
            'r' => Self::Range,
            'm' => Self::Multirange,
            _ => Self::Base,
        }
    }
}

/// What the catalog says about one column's type, after domains are resolved to their base.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgColumnType {
    /// `format_type(atttypid, atttypmod)`, e.g. `character varying(20)` or `public.mood[]`.
    pub display: String,
    /// OID of the (domain-resolved) base type; for arrays, the array type's OID.
    pub oid: u32,
    /// `typname` of the base type (`int4`, `_int4`, `mood`, ...).
    pub name: String,
    /// Category of the base type (for arrays: of the element type).
    pub typtype: PgTypType,
    /// `atttypmod` (or the domain's `typtypmod`), −1 when absent.
    pub typmod: i32,
    /// For arrays: the element type (domain-resolved).
    pub element: Option<Box<PgColumnType>>,
    /// `attndims` (declared dimensions; 0 when not declared).
    pub ndims: i32,
    /// The domain's qualified name when the column's declared type is a domain.
    pub domain: Option<String>,
    /// Enum labels in sort order when the (element) type is an enum.
    pub enum_labels: Option<Vec<String>>,
}

/// A column resolved to how haul carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedColumn {
    /// What the wire carries and the Arrow type that holds it.
    pub kind: PgKind,
    /// How the dump query reads it.
    pub read_as: ReadAs,
    /// Set when the value travels as text although the source type is not a text type: the
    /// planner turns it into a warning naming `table.column`.
    pub text_reason: Option<String>,
}

/// `money`'s decimal scale depends on `lc_monetary`; the catalog reader asks the server and
/// passes it here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResolveOptions {
    /// Fraction digits of `money` on this server (2 in most locales).
    pub money_scale: i8,
    /// Carry the column as its text form whatever its type (`--as-text`).
    pub force_text: bool,
}

impl Default for ResolveOptions {
    fn default() -> Self {
        Self {
            money_scale: 2,
            force_text: false,
        }
    }
}

// Builtin type OIDs (pg_type.dat); stable across PostgreSQL versions.
const BOOL: u32 = 16;
const BYTEA: u32 = 17;
const NAME: u32 = 19;
const INT8: u32 = 20;
const INT2: u32 = 21;
const INT4: u32 = 23;
const TEXT: u32 = 25;
const JSON: u32 = 114;
const FLOAT4: u32 = 700;
const FLOAT8: u32 = 701;
const MONEY: u32 = 790;
const BPCHAR: u32 = 1042;
const VARCHAR: u32 = 1043;
const DATE: u32 = 1082;
const TIME: u32 = 1083;
const TIMESTAMP: u32 = 1114;
const TIMESTAMPTZ: u32 = 1184;
const INTERVAL: u32 = 1186;
const TIMETZ: u32 = 1266;
const NUMERIC: u32 = 1700;
const UUID: u32 = 2950;
const JSONB: u32 = 3802;

/// Types whose natural Arrow home is their exact text; carried as text, with a note in `plan`.
const TEXT_FORM: &[(&str, &str)] = &[
    ("inet", "no Arrow network-address type"),
    ("cidr", "no Arrow network-address type"),
    ("macaddr", "no Arrow MAC-address type"),
    ("macaddr8", "no Arrow MAC-address type"),
    ("bit", "no Arrow bit-string type"),
    ("varbit", "no Arrow bit-string type"),
    ("xml", "no Arrow XML type"),
];

/// The type table proper: a builtin scalar type's OID → its kind. `None` for types carried as
/// text (and for those that need the typmod: numeric, money).
fn builtin_scalar(oid: u32) -> Option<PgKind> {
    Some(match oid {
        BOOL => PgKind::Bool,
        INT2 => PgKind::Int2,
        INT4 => PgKind::Int4,
        INT8 => PgKind::Int8,
        FLOAT4 => PgKind::Float4,
        FLOAT8 => PgKind::Float8,
        TEXT | VARCHAR | BPCHAR | NAME => PgKind::Text,
        BYTEA => PgKind::Bytea,
        DATE => PgKind::Date,
        TIME => PgKind::Time,
        TIMETZ => PgKind::TimeTz,
        TIMESTAMP => PgKind::Timestamp,
        TIMESTAMPTZ => PgKind::TimestampTz,
        INTERVAL => PgKind::Interval,
        UUID => PgKind::Uuid,
        JSON => PgKind::Json,
        JSONB => PgKind::Jsonb,
        _ => return None,
    })
}

/// Resolves a scalar (non-array) type; `Err(reason)` means "carry as text because …".
fn resolve_scalar(t: &PgColumnType, opts: ResolveOptions) -> Result<PgKind, String> {
    if t.typtype == PgTypType::Enum {
        return Ok(PgKind::Text);
    }
    match t.oid {
        NUMERIC => {
            // typmod = ((precision << 16) | scale) + VARHDRSZ; −1 means unconstrained.
            if t.typmod < 4 {
                return Ok(PgKind::NumericText);
            }
            let m = t.typmod - 4;
            let precision = (m >> 16) & 0xffff;
            // The scale is an 11-bit signed field since PG 15 (negative scales allowed).
            let raw_scale = m & 0x7ff;
            let scale = if raw_scale & 0x400 != 0 {
                raw_scale - 0x800
            } else {
                raw_scale
            };
            // Parquet stores no negative scale, and Arrow no scale above the precision; both
            // PostgreSQL forms still fit a decimal exactly:
            // - numeric(p,s<0) holds integers of at most p−s digits → Decimal(p−s, 0);
            // - numeric(p,s>p) holds values below 10^(p−s) with s fraction digits → Decimal(s, s).
            let (precision, scale) = if scale < 0 {
                (precision - scale, 0)
            } else {
                (precision.max(scale), scale)
            };
            if (1..=76).contains(&precision) && (0..=76).contains(&scale) {
                Ok(PgKind::Decimal {
                    precision: precision as u8,
                    scale: scale as i8,
                })
            } else {
                Ok(PgKind::NumericText)
            }
        }
        MONEY => Ok(PgKind::Money {
            scale: opts.money_scale,
        }),
        oid => match builtin_scalar(oid) {
            Some(kind) => Ok(kind),
            None => Err(match TEXT_FORM.iter().find(|(n, _)| *n == t.name) {
                Some((_, why)) => (*why).to_string(),
                None => match t.typtype {
                    PgTypType::Composite => "composite type".to_string(),
                    PgTypType::Range | PgTypType::Multirange => "range type".to_string(),
                    _ => "no lossless Arrow mapping".to_string(),
                },
            }),
        },
    }
}

/// Resolves a column's type to how haul carries it. Never fails: anything without a faithful
/// Arrow mapping is carried as its exact text form, with a reason for the planner's warning.
pub fn resolve(t: &PgColumnType, opts: ResolveOptions) -> ResolvedColumn {
    let text = |reason: String, read_as: ReadAs| ResolvedColumn {
        kind: PgKind::Text,
        read_as,
        text_reason: Some(reason),
    };
    let read_text = if t.typtype == PgTypType::Composite && t.element.is_none() {
        ReadAs::CastText
    } else {
        ReadAs::OutputText
    };
    if opts.force_text {
        return text("--as-text".to_string(), read_text);
    }
    match &t.element {
        None => match resolve_scalar(t, opts) {
            Ok(kind) => {
                let text_reason = (kind == PgKind::NumericText)
                    .then(|| "unconstrained numeric: exact decimal text".to_string());
                ResolvedColumn {
                    kind,
                    read_as: ReadAs::Native,
                    text_reason,
                }
            }
            Err(reason) => text(reason, read_text),
        },
        Some(element) => match resolve_scalar(element, opts) {
            Ok(kind) => ResolvedColumn {
                kind: PgKind::Array {
                    element: Box::new(kind),
                    dims: t.ndims.clamp(1, 6) as u8,
                },
                read_as: ReadAs::Native,
                text_reason: None,
            },
            Err(reason) => text(format!("array of {}: {reason}", element.display), read_text),
        },
    }
}

impl PgKind {
    /// The Arrow type that holds this kind.
    pub fn arrow_type(&self) -> DataType {
        match self {
            PgKind::Bool => DataType::Boolean,
            PgKind::Int2 => DataType::Int16,
            PgKind::Int4 => DataType::Int32,
            PgKind::Int8 => DataType::Int64,
            PgKind::Float4 => DataType::Float32,
            PgKind::Float8 => DataType::Float64,
            PgKind::Decimal { precision, scale } if *precision <= 38 => {
                DataType::Decimal128(*precision, *scale)
            }
            PgKind::Decimal { precision, scale } => DataType::Decimal256(*precision, *scale),
            PgKind::Money { scale } => DataType::Decimal128(19, *scale),
            PgKind::NumericText | PgKind::Text | PgKind::Json | PgKind::Jsonb => DataType::Utf8,
            PgKind::Bytea => DataType::Binary,
            PgKind::Date => DataType::Date32,
            PgKind::Time => DataType::Time64(TimeUnit::Microsecond),
            PgKind::TimeTz => DataType::Struct(timetz_fields()),
            PgKind::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, None),
            PgKind::TimestampTz => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            PgKind::Interval => DataType::Struct(interval_fields()),
            PgKind::Uuid => DataType::FixedSizeBinary(16),
            PgKind::Array { element, dims } => {
                let mut dt = element.arrow_type();
                let mut item = element.item_field(dt);
                for _ in 1..*dims {
                    item = Field::new("item", DataType::List(Arc::new(item)), true);
                }
                dt = DataType::List(Arc::new(item));
                dt
            }
        }
    }

    /// The list item field for an element of this kind (extension types kept on elements).
    fn item_field(&self, dt: DataType) -> Field {
        let f = Field::new("item", dt, true);
        match self {
            PgKind::Uuid => f.with_extension_type(Uuid),
            PgKind::Json | PgKind::Jsonb => f.with_extension_type(Json::default()),
            PgKind::NumericText => f.with_metadata(HashMap::from([(
                META_DECIMAL_TEXT.to_string(),
                "true".to_string(),
            )])),
            _ => f,
        }
    }

    /// True for kinds whose values are text on the wire (UTF-8 checked on decode).
    pub fn is_text(&self) -> bool {
        matches!(
            self,
            PgKind::Text | PgKind::NumericText | PgKind::Json | PgKind::Jsonb
        )
    }
}

/// Fields of the `timetz` struct.
pub fn timetz_fields() -> Fields {
    Fields::from(vec![
        Field::new("time", DataType::Time64(TimeUnit::Microsecond), false),
        Field::new("utc_offset_seconds", DataType::Int32, false),
    ])
}

/// Fields of the `interval` struct.
pub fn interval_fields() -> Fields {
    Fields::from(vec![
        Field::new("months", DataType::Int32, false),
        Field::new("days", DataType::Int32, false),
        Field::new("micros", DataType::Int64, false),
    ])
}

/// Builds the Arrow field for a column: name, type, nullability and the metadata that lets a
/// load recreate the source type exactly.
pub fn arrow_field(
    name: &str,
    t: &PgColumnType,
    resolved: &ResolvedColumn,
    nullable: bool,
) -> Field {
    let mut meta = HashMap::new();
    meta.insert(META_PG_TYPE.to_string(), t.display.clone());
    if let Some(domain) = &t.domain {
        meta.insert(META_PG_DOMAIN.to_string(), domain.clone());
    }
    let labels = t
        .enum_labels
        .as_ref()
        .or_else(|| t.element.as_ref().and_then(|e| e.enum_labels.as_ref()));
    if let Some(labels) = labels {
        let json = serde_json::to_string(labels).expect("a list of strings serializes");
        meta.insert(META_PG_ENUM.to_string(), json);
    }
    if resolved.text_reason.is_some() && resolved.kind == PgKind::Text {
        meta.insert(META_CARRIED_AS.to_string(), "text".to_string());
    }
    match &resolved.kind {
        PgKind::Date => {
            meta.insert(META_INFINITY.to_string(), "i32::MAX/i32::MIN".to_string());
        }
        PgKind::Timestamp | PgKind::TimestampTz => {
            meta.insert(META_INFINITY.to_string(), "i64::MAX/i64::MIN".to_string());
        }
        PgKind::NumericText => {
            meta.insert(META_DECIMAL_TEXT.to_string(), "true".to_string());
        }
        _ => {}
    }
    let field = Field::new(name, resolved.kind.arrow_type(), nullable);
    let field = match resolved.kind {
        PgKind::Uuid => field.with_extension_type(Uuid),
        PgKind::Json | PgKind::Jsonb => field.with_extension_type(Json::default()),
        _ => field,
    };
    let mut all = field.metadata().clone();
    all.extend(meta);
    field.with_metadata(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scalar(oid: u32, name: &str, typmod: i32) -> PgColumnType {
        PgColumnType {
            display: name.to_string(),
            oid,
            name: name.to_string(),
            typtype: PgTypType::Base,
            typmod,
            element: None,
            ndims: 0,
            domain: None,
            enum_labels: None,
        }
    }

    #[test]
    fn numeric_typmods() {
        let opts = ResolveOptions::default();
        // numeric(10,2): typmod = (10 << 16 | 2) + 4
        let r = resolve(&scalar(NUMERIC, "numeric", ((10 << 16) | 2) + 4), opts);
        assert_eq!(
            r.kind,
            PgKind::Decimal {
                precision: 10,
                scale: 2
            }
        );
        assert_eq!(r.kind.arrow_type(), DataType::Decimal128(10, 2));
        let r = resolve(&scalar(NUMERIC, "numeric", ((60 << 16) | 5) + 4), opts);
        assert_eq!(r.kind.arrow_type(), DataType::Decimal256(60, 5));
        let r = resolve(&scalar(NUMERIC, "numeric", -1), opts);
        assert_eq!(r.kind, PgKind::NumericText);
        assert!(r.text_reason.is_some());
        let r = resolve(&scalar(NUMERIC, "numeric", ((900 << 16) | 5) + 4), opts);
        assert_eq!(r.kind, PgKind::NumericText);
        // numeric(5,-2) (PG 15+): scale stored as an 11-bit two's complement field; integers
        // of up to 7 digits, held at scale 0 (Parquet has no negative scales)
        let neg = ((5 << 16) | (0x800 - 2)) + 4;
        let r = resolve(&scalar(NUMERIC, "numeric", neg), opts);
        assert_eq!(
            r.kind,
            PgKind::Decimal {
                precision: 7,
                scale: 0
            }
        );
        // numeric(3,5): values below 0.01 with 5 fraction digits
        let r = resolve(&scalar(NUMERIC, "numeric", ((3 << 16) | 5) + 4), opts);
        assert_eq!(
            r.kind,
            PgKind::Decimal {
                precision: 5,
                scale: 5
            }
        );
    }

    #[test]
    fn unknown_types_travel_as_output_text() {
        let mut t = scalar(3904, "int4range", -1);
        t.typtype = PgTypType::Range;
        let r = resolve(&t, ResolveOptions::default());
        assert_eq!(r.kind, PgKind::Text);
        assert_eq!(r.read_as, ReadAs::OutputText);
        assert_eq!(r.text_reason.as_deref(), Some("range type"));
        let inet = resolve(&scalar(869, "inet", -1), ResolveOptions::default());
        assert_eq!(inet.read_as, ReadAs::OutputText);
        let mut comp = scalar(99999, "pair", -1);
        comp.typtype = PgTypType::Composite;
        assert_eq!(
            resolve(&comp, ResolveOptions::default()).read_as,
            ReadAs::CastText
        );
    }

    #[test]
    fn arrays_nest_by_declared_dims() {
        let mut t = scalar(1007, "_int4", -1);
        t.element = Some(Box::new(scalar(INT4, "int4", -1)));
        t.ndims = 2;
        let r = resolve(&t, ResolveOptions::default());
        let DataType::List(inner) = r.kind.arrow_type() else {
            panic!("list expected")
        };
        assert!(matches!(inner.data_type(), DataType::List(_)));
        // arrays of types carried as text travel as one text value (exact array literal)
        t.element = Some(Box::new(scalar(869, "inet", -1)));
        let r = resolve(&t, ResolveOptions::default());
        assert_eq!(r.kind, PgKind::Text);
        assert_eq!(r.read_as, ReadAs::OutputText);
    }

    #[test]
    fn field_metadata_names_the_source_type() {
        let t = scalar(UUID, "uuid", -1);
        let r = resolve(&t, ResolveOptions::default());
        let f = arrow_field("id", &t, &r, false);
        assert_eq!(f.extension_type_name(), Some("arrow.uuid"));
        assert_eq!(
            f.metadata().get(META_PG_TYPE).map(String::as_str),
            Some("uuid")
        );
    }
}
