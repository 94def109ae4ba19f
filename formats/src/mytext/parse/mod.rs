//! The way back: text MySQL returns for a value the encoder wrote, parsed into the Arrow type
//! the encoder was given — for the PostgreSQL types MySQL has no column type of its own for.
//!
//! ```text
//!  interval  Utf8 `1 year 2 mons 3 days 04:05:06.000007`  ─► Struct {months, days, micros}
//!  timetz    Utf8 `12:34:56.000000+05:30`                 ─► Struct {time, utc_offset_seconds}
//!  arrays    JSON `[[1,null],[3,4]]`, `["\\x00ff"]`, `[]`  ─► List (nested once per level)
//! ```
//!
//! `verify --against mysql://…` hashes what it reads back in the dump's own types, so every
//! parse is exact: a value the encoder could not have written (a stray word in an interval, a
//! decimal with more digits than its scale, a number where a string is due, a list where a
//! scalar is due) is an error naming the column and row, never a rounded or guessed value.
//! JSON is read as RFC 8259 with whitespace anywhere (MySQL's JSON type re-spaces it);
//! `arrow.json` list items keep their exact JSON text.

mod json;
mod text;

use std::borrow::Cow;
use std::sync::Arc;

use arrow_array::builder::{
    BinaryBuilder, BooleanBuilder, Date32Builder, Decimal128Builder, Decimal256Builder,
    FixedSizeBinaryBuilder, Float32Builder, Float64Builder, Int16Builder, Int32Builder,
    Int64Builder, StringBuilder, Time64MicrosecondBuilder, TimestampMicrosecondBuilder,
};
use arrow_array::{ArrayRef, Int32Array, Int64Array, ListArray, StringArray, StructArray};
use arrow_buffer::{NullBuffer, OffsetBuffer};
use arrow_schema::{DataType, Field, Fields, TimeUnit};

use self::json::{Node, V, parse_document};
use self::text::{bytea, date, time_of_day, timestamp, uuid};
pub(crate) use self::text::{decimal, interval, timetz};
use crate::{FormatError, Result};

/// Parses a Utf8 column that the encoder wrote for `to` back into `to`: a PostgreSQL interval
/// or timetz struct from its text, or a list (any depth) from its JSON document. NULL stays
/// NULL. A value it cannot have written is [`FormatError::Value`] naming `column` and the row
/// (from 1, within `text`); a `to` it has no parser for is [`FormatError::Unsupported`].
pub fn parse_column(column: &str, text: &StringArray, to: &DataType) -> Result<ArrayRef> {
    let rows: Vec<(usize, Option<&str>)> = text.iter().enumerate().collect();
    match to {
        DataType::List(item) => {
            let mut docs = Vec::with_capacity(rows.len());
            for (row, v) in &rows {
                let node = match v {
                    None => None,
                    Some(s) => Some(parse_document(s, list_depth(to)).map_err(|why| {
                        value_error(
                            column,
                            *row,
                            format!("`{}` is not a JSON array: {why}", cut(s)),
                        )
                    })?),
                };
                docs.push((*row, node));
            }
            let items: Vec<(usize, Option<&Node<'_>>)> =
                docs.iter().map(|(r, n)| (*r, n.as_ref())).collect();
            list(column, &items, item)
        }
        _ => scalars(column, &rows, to),
    }
}

/// `row` is the index in the parsed array; errors count rows from 1.
fn value_error(column: &str, row: usize, reason: String) -> FormatError {
    FormatError::Value {
        column: column.to_string(),
        row: row as u64 + 1,
        key: None,
        reason,
        text_would_hold: false,
    }
}

/// The start of a long value, for error messages.
fn cut(s: &str) -> Cow<'_, str> {
    match s.char_indices().nth(60) {
        Some((at, _)) => Cow::Owned(format!("{}…", &s[..at])),
        None => Cow::Borrowed(s),
    }
}

fn list_depth(dt: &DataType) -> usize {
    match dt {
        DataType::List(item) => 1 + list_depth(item.data_type()),
        _ => 0,
    }
}

// ---- Lists ----

/// A list level: each item a JSON array (or null), its elements the next level.
fn list(column: &str, items: &[(usize, Option<&Node<'_>>)], item: &Arc<Field>) -> Result<ArrayRef> {
    let mut offsets = Vec::with_capacity(items.len() + 1);
    offsets.push(0i32);
    let mut valid = Vec::with_capacity(items.len());
    let mut children: Vec<(usize, Option<&Node<'_>>)> = Vec::new();
    for (row, node) in items {
        match node.map(|n| (&n.v, n.raw)) {
            None | Some((V::Null, _)) => valid.push(false),
            Some((V::Arr(elems), _)) => {
                valid.push(true);
                children.extend(elems.iter().map(|e| (*row, Some(e))));
            }
            Some((_, raw)) => {
                return Err(value_error(
                    column,
                    *row,
                    format!("`{}` where a list is due", cut(raw)),
                ));
            }
        }
        let end = i32::try_from(children.len())
            .map_err(|_| value_error(column, *row, "more than 2^31 list elements".into()))?;
        offsets.push(end);
    }
    let values = match item.data_type() {
        DataType::List(inner) => list(column, &children, inner)?,
        dt if item.extension_type_name() == Some("arrow.json") && *dt == DataType::Utf8 => {
            let mut b = StringBuilder::new();
            for (_, n) in &children {
                match n {
                    None | Some(Node { v: V::Null, .. }) => b.append_null(),
                    Some(n) => b.append_value(n.raw),
                }
            }
            Arc::new(b.finish())
        }
        DataType::Boolean => {
            let mut b = BooleanBuilder::with_capacity(children.len());
            for (row, n) in &children {
                match n.map(|n| &n.v) {
                    None | Some(V::Null) => b.append_null(),
                    Some(V::Bool(v)) => b.append_value(*v),
                    Some(_) => return Err(misplaced(column, *row, n, "true or false")),
                }
            }
            Arc::new(b.finish())
        }
        dt @ (DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::Float32
        | DataType::Float64
        | DataType::Decimal128(..)
        | DataType::Decimal256(..)) => {
            let mut texts = Vec::with_capacity(children.len());
            for (row, n) in &children {
                texts.push(match n {
                    None | Some(Node { v: V::Null, .. }) => (*row, None),
                    Some(Node { v: V::Num, raw }) => (*row, Some(*raw)),
                    Some(_) => return Err(misplaced(column, *row, n, "a number")),
                });
            }
            scalars(column, &texts, dt)?
        }
        dt => {
            let mut texts = Vec::with_capacity(children.len());
            for (row, n) in &children {
                texts.push(match n {
                    None | Some(Node { v: V::Null, .. }) => (*row, None),
                    Some(Node { v: V::Str(s), .. }) => (*row, Some(&**s)),
                    Some(_) => return Err(misplaced(column, *row, n, "a string")),
                });
            }
            scalars(column, &texts, dt)?
        }
    };
    let nulls = NullBuffer::from(valid);
    let nulls = (nulls.null_count() > 0).then_some(nulls);
    let array = ListArray::try_new(
        item.clone(),
        OffsetBuffer::new(offsets.into()),
        values,
        nulls,
    )?;
    Ok(Arc::new(array))
}

fn misplaced(column: &str, row: usize, n: &Option<&Node<'_>>, due: &str) -> FormatError {
    let raw = n.map_or("", |n| n.raw);
    value_error(column, row, format!("`{}` where {due} is due", cut(raw)))
}

// ---- Scalars from text ----

/// Texts (numbers' JSON text, or strings) into an array of `dt`.
fn scalars(column: &str, texts: &[(usize, Option<&str>)], dt: &DataType) -> Result<ArrayRef> {
    fn each<B>(
        column: &str,
        texts: &[(usize, Option<&str>)],
        b: &mut B,
        what: &str,
        mut push: impl FnMut(&mut B, Option<&str>) -> Option<()>,
    ) -> Result<()> {
        for (row, t) in texts {
            if push(b, *t).is_none() {
                return Err(value_error(
                    column,
                    *row,
                    format!("`{}` is not {what}", cut(t.unwrap_or(""))),
                ));
            }
        }
        Ok(())
    }
    let n = texts.len();
    macro_rules! build {
        ($builder:expr, $what:expr, |$v:ident| $parse:expr) => {{
            let mut b = $builder;
            each(column, texts, &mut b, $what, |b, t| {
                match t {
                    None => b.append_null(),
                    Some($v) => b.append_value($parse?),
                }
                Some(())
            })?;
            Arc::new(b.finish()) as ArrayRef
        }};
    }
    Ok(match dt {
        DataType::Utf8 => build!(StringBuilder::with_capacity(n, 0), "text", |v| Some(v)),
        DataType::Int16 => build!(Int16Builder::with_capacity(n), "a smallint", |v| v
            .parse()
            .ok()),
        DataType::Int32 => build!(Int32Builder::with_capacity(n), "an integer", |v| v
            .parse()
            .ok()),
        DataType::Int64 => build!(Int64Builder::with_capacity(n), "a bigint", |v| v
            .parse()
            .ok()),
        DataType::Float32 => build!(Float32Builder::with_capacity(n), "a real", |v| v
            .parse()
            .ok()),
        DataType::Float64 => build!(Float64Builder::with_capacity(n), "a double", |v| v
            .parse()
            .ok()),
        DataType::Decimal128(p, s) => {
            let what = format!("a numeric({p},{s})");
            let b = Decimal128Builder::with_capacity(n).with_precision_and_scale(*p, *s)?;
            build!(b, &what, |v| decimal(v, *p, *s).and_then(|d| d.to_i128()))
        }
        DataType::Decimal256(p, s) => {
            let what = format!("a numeric({p},{s})");
            let b = Decimal256Builder::with_capacity(n).with_precision_and_scale(*p, *s)?;
            build!(b, &what, |v| decimal(v, *p, *s))
        }
        DataType::Binary => build!(
            BinaryBuilder::with_capacity(n, 0),
            "bytea hex text (`\\x…`)",
            |v| bytea(v)
        ),
        DataType::FixedSizeBinary(16) => {
            let mut b = FixedSizeBinaryBuilder::with_capacity(n, 16);
            each(column, texts, &mut b, "a uuid", |b, t| {
                match t {
                    None => b.append_null(),
                    Some(v) => b.append_value(uuid(v)?).ok()?,
                }
                Some(())
            })?;
            Arc::new(b.finish())
        }
        DataType::Date32 => build!(
            Date32Builder::with_capacity(n),
            "a date (`YYYY-MM-DD`)",
            |v| date(v)
        ),
        DataType::Time64(TimeUnit::Microsecond) => {
            build!(
                Time64MicrosecondBuilder::with_capacity(n),
                "a time of day",
                |v| { time_of_day(v) }
            )
        }
        DataType::Timestamp(TimeUnit::Microsecond, tz) => {
            let b = TimestampMicrosecondBuilder::with_capacity(n).with_timezone_opt(tz.clone());
            build!(b, "a timestamp (`YYYY-MM-DD HH:MM:SS.ffffff`)", |v| {
                timestamp(v)
            })
        }
        DataType::Struct(fields) if is(fields, INTERVAL) => {
            let mut parts = Vec::with_capacity(n);
            each(
                column,
                texts,
                &mut parts,
                "PostgreSQL interval text",
                |p, t| {
                    p.push(match t {
                        None => None,
                        Some(t) => Some(interval(t)?),
                    });
                    Some(())
                },
            )?;
            let months = Int32Array::from_iter_values(parts.iter().map(|p| p.map_or(0, |p| p.0)));
            let days = Int32Array::from_iter_values(parts.iter().map(|p| p.map_or(0, |p| p.1)));
            let micros = Int64Array::from_iter_values(parts.iter().map(|p| p.map_or(0, |p| p.2)));
            let nulls = NullBuffer::from_iter(parts.iter().map(Option::is_some));
            let cols: Vec<ArrayRef> = vec![Arc::new(months), Arc::new(days), Arc::new(micros)];
            struct_array(fields, cols, nulls)?
        }
        DataType::Struct(fields) if is(fields, TIMETZ) => {
            let mut parts = Vec::with_capacity(n);
            each(
                column,
                texts,
                &mut parts,
                "PostgreSQL timetz text",
                |p, t| {
                    p.push(match t {
                        None => None,
                        Some(t) => Some(timetz(t)?),
                    });
                    Some(())
                },
            )?;
            let mut time = Time64MicrosecondBuilder::with_capacity(n);
            time.append_slice(
                &parts
                    .iter()
                    .map(|p| p.map_or(0, |p| p.0))
                    .collect::<Vec<_>>(),
            );
            let offset = Int32Array::from_iter_values(parts.iter().map(|p| p.map_or(0, |p| p.1)));
            let nulls = NullBuffer::from_iter(parts.iter().map(Option::is_some));
            let cols: Vec<ArrayRef> = vec![Arc::new(time.finish()), Arc::new(offset)];
            struct_array(fields, cols, nulls)?
        }
        other => {
            return Err(FormatError::Unsupported(format!(
                "column `{column}`: reading {other} back from MySQL text"
            )));
        }
    })
}

fn struct_array(fields: &Fields, cols: Vec<ArrayRef>, nulls: NullBuffer) -> Result<ArrayRef> {
    let nulls = (nulls.null_count() > 0).then_some(nulls);
    Ok(Arc::new(StructArray::try_new(fields.clone(), cols, nulls)?))
}

const INTERVAL: &[(&str, DataType)] = &[
    ("months", DataType::Int32),
    ("days", DataType::Int32),
    ("micros", DataType::Int64),
];
const TIMETZ: &[(&str, DataType)] = &[
    ("time", DataType::Time64(TimeUnit::Microsecond)),
    ("utc_offset_seconds", DataType::Int32),
];

fn is(fields: &Fields, want: &[(&str, DataType)]) -> bool {
    fields.len() == want.len()
        && fields
            .iter()
            .zip(want)
            .all(|(f, (n, t))| f.name() == n && f.data_type() == t)
}
