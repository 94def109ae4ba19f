//! Arrow → the text MySQL/MariaDB `LOAD DATA LOCAL INFILE` reads, row by row into a caller's
//! buffer.
//!
//! The engine's statement fixes the format:
//!
//! ```text
//! LOAD DATA LOCAL INFILE 'haul' INTO TABLE t CHARACTER SET utf8mb4
//!   FIELDS TERMINATED BY '\t' ESCAPED BY '\\' LINES TERMINATED BY '\n'
//!   (col1, @v2, …) SET col2 = UNHEX(@v2) …
//! ```
//!
//! Fields are separated by TAB and rows end with LF; NULL is `\N`. Inside a field, backslash,
//! TAB, LF, CR and NUL are written `\\ \t \n \r \0`, and nothing else is escaped (so a string
//! `\N` is `\\N`, not NULL). Each column is written in one [`MyTextForm`]: its natural text,
//! hex digits for `UNHEX()`, or a JSON document.
//!
//! ```text
//!  try_new   per column: Arrow type (+ extension) → Kind, checked against the form
//!  write_rows
//!    bind    per column, once per call: Kind + array → typed view (Col)
//!    rows    per row, per column: one match on the view, the value's text, escaped
//! ```
//!
//! Nothing in the row loop allocates: numbers and temporals are formatted on the stack, strings
//! are escaped straight from the array into `out`, JSON goes through one reused scratch buffer.
//! Views live in `view.rs`, value forms in `text.rs`, JSON in `json.rs`; `parse.rs` reads the
//! PostgreSQL-only forms (interval and timetz text, lists as JSON) back into Arrow.

mod json;
pub mod parse;
mod text;
mod view;

#[cfg(test)]
mod tests;

use std::ops::Range;

use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, Field, Fields, Schema, TimeUnit};

use self::text::Reason;
use self::view::{Col, Decs, View};
use crate::{FormatError, Result};

/// How one column is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MyTextForm {
    /// The value's natural text (see the type list), escaped.
    Text,
    /// Binary/FixedSizeBinary/Utf8 bytes as upper-case hex digits (the statement wraps the
    /// field in UNHEX()); empty value → empty field.
    Hex,
    /// Lists (any depth), structs and anything else as a JSON document (for MySQL JSON
    /// columns), escaped.
    Json,
}

/// Encodes record batches as `LOAD DATA` text for a list of columns, each in its form.
///
/// Text per Arrow type ([`MyTextForm::Text`]): Boolean `1`/`0`; integers in decimal; floats
/// as the shortest text that reads back to the same bits (`-0`, `5e-324`; NaN and ±Inf are
/// errors); decimals with exactly `scale` fraction digits; strings and binary escaped; dates
/// `YYYY-MM-DD` and timestamps `YYYY-MM-DD HH:MM:SS.ffffff` (UTC wall clock) in years
/// 0000..9999; durations `[-]H:MM:SS.ffffff` (MySQL TIME); times `HH:MM:SS.ffffff`; `arrow.uuid`
/// as UUID text; a PostgreSQL interval struct as PostgreSQL's interval text; a timetz struct as
/// `HH:MM:SS.ffffff+HH:MM`; a List<Utf8> as a SET value `a,b`; a Utf8 dictionary as its value.
///
/// ```
/// # use std::sync::Arc;
/// # use arrow_array::{Int32Array, RecordBatch, StringArray};
/// # use arrow_schema::{DataType, Field, Schema};
/// # use haul_formats::mytext::{MyTextEncoder, MyTextForm};
/// let schema = Arc::new(Schema::new(vec![
///     Field::new("id", DataType::Int32, false),
///     Field::new("s", DataType::Utf8, true),
/// ]));
/// let batch = RecordBatch::try_new(schema.clone(), vec![
///     Arc::new(Int32Array::from(vec![1, 2])),
///     Arc::new(StringArray::from(vec![Some("a\tb"), None])),
/// ])?;
/// let mut enc = MyTextEncoder::try_new(&schema, vec![(0, MyTextForm::Text), (1, MyTextForm::Text)])?;
/// let mut out = Vec::new();
/// enc.write_rows(&batch, 0, 2, &mut out)?;
/// assert_eq!(out, b"1\ta\\tb\n2\t\\N\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct MyTextEncoder {
    columns: Vec<Column>,
    /// A JSON document before it is escaped into the field.
    scratch: Vec<u8>,
}

#[derive(Debug)]
struct Column {
    index: usize,
    name: String,
    form: MyTextForm,
    /// The Arrow type `try_new` accepted; batches of another type must plan to the same kind.
    data_type: DataType,
    kind: Kind,
}

/// An integer type (also a dictionary's keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Int {
    I8,
    I16,
    I32,
    I64,
    U8,
    U16,
    U32,
    U64,
}

/// How an array holds bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    Utf8,
    LargeUtf8,
    Utf8View,
    Binary,
    LargeBinary,
    BinaryView,
}

/// What bytes mean: text, binary, or JSON text (`arrow.json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Text {
    Str,
    Bin,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ListLayout {
    List,
    Large,
    Fixed,
}

/// What a column (or a list item, or a struct member) holds, decided once from its type.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Bool,
    Int(Int),
    F32,
    F64,
    /// Decimal32..Decimal256: byte width and scale.
    Dec(u8, i8),
    Bytes(Layout, Text),
    Date32,
    Date64,
    Timestamp(TimeUnit),
    Duration(TimeUnit),
    Time(TimeUnit),
    FixedBin {
        uuid: bool,
    },
    /// Struct { months: Int32, days: Int32, micros: Int64 }: a PostgreSQL interval.
    Interval,
    /// Struct { time: Time64(µs), utc_offset_seconds: Int32 }: a PostgreSQL timetz.
    TimeTz,
    Dict(Int, Layout),
    List(ListLayout, Box<Kind>),
    Struct(Vec<Kind>),
}

fn int_kind(dt: &DataType) -> Option<Int> {
    Some(match dt {
        DataType::Int8 => Int::I8,
        DataType::Int16 => Int::I16,
        DataType::Int32 => Int::I32,
        DataType::Int64 => Int::I64,
        DataType::UInt8 => Int::U8,
        DataType::UInt16 => Int::U16,
        DataType::UInt32 => Int::U32,
        DataType::UInt64 => Int::U64,
        _ => return None,
    })
}

fn has_fields(fields: &Fields, want: &[(&str, DataType)]) -> bool {
    fields.len() == want.len()
        && fields
            .iter()
            .zip(want)
            .all(|(f, (n, t))| f.name() == n && f.data_type() == t)
}

/// The kind of a field's values, `None` for a type this codec has no text for.
fn plan(field: &Field) -> Option<Kind> {
    let ext = field.extension_type_name();
    let str_text = if ext == Some("arrow.json") {
        Text::Json
    } else {
        Text::Str
    };
    Some(match field.data_type() {
        DataType::Boolean => Kind::Bool,
        DataType::Float32 => Kind::F32,
        DataType::Float64 => Kind::F64,
        DataType::Decimal32(_, s) => Kind::Dec(4, *s),
        DataType::Decimal64(_, s) => Kind::Dec(8, *s),
        DataType::Decimal128(_, s) => Kind::Dec(16, *s),
        DataType::Decimal256(_, s) => Kind::Dec(32, *s),
        DataType::Utf8 => Kind::Bytes(Layout::Utf8, str_text),
        DataType::LargeUtf8 => Kind::Bytes(Layout::LargeUtf8, str_text),
        DataType::Utf8View => Kind::Bytes(Layout::Utf8View, str_text),
        DataType::Binary => Kind::Bytes(Layout::Binary, Text::Bin),
        DataType::LargeBinary => Kind::Bytes(Layout::LargeBinary, Text::Bin),
        DataType::BinaryView => Kind::Bytes(Layout::BinaryView, Text::Bin),
        DataType::Date32 => Kind::Date32,
        DataType::Date64 => Kind::Date64,
        DataType::Timestamp(u, _) => Kind::Timestamp(*u),
        DataType::Duration(u) => Kind::Duration(*u),
        DataType::Time32(u @ (TimeUnit::Second | TimeUnit::Millisecond))
        | DataType::Time64(u @ (TimeUnit::Microsecond | TimeUnit::Nanosecond)) => Kind::Time(*u),
        DataType::FixedSizeBinary(n) => Kind::FixedBin {
            uuid: *n == 16 && ext == Some("arrow.uuid"),
        },
        DataType::Dictionary(k, v) => Kind::Dict(
            int_kind(k)?,
            match v.as_ref() {
                DataType::Utf8 => Layout::Utf8,
                DataType::LargeUtf8 => Layout::LargeUtf8,
                DataType::Utf8View => Layout::Utf8View,
                _ => return None,
            },
        ),
        DataType::List(f) => Kind::List(ListLayout::List, Box::new(plan(f)?)),
        DataType::LargeList(f) => Kind::List(ListLayout::Large, Box::new(plan(f)?)),
        DataType::FixedSizeList(f, _) => Kind::List(ListLayout::Fixed, Box::new(plan(f)?)),
        DataType::Struct(fs) => {
            let (i32_, i64_) = (DataType::Int32, DataType::Int64);
            let time = DataType::Time64(TimeUnit::Microsecond);
            if has_fields(
                fs,
                &[("months", i32_.clone()), ("days", i32_), ("micros", i64_)],
            ) {
                Kind::Interval
            } else if has_fields(
                fs,
                &[("time", time), ("utc_offset_seconds", DataType::Int32)],
            ) {
                Kind::TimeTz
            } else {
                Kind::Struct(fs.iter().map(|f| plan(f)).collect::<Option<_>>()?)
            }
        }
        dt => Kind::Int(int_kind(dt)?),
    })
}

/// Whether `form` can write `kind`; `Err` says what to use instead.
fn check_form(kind: &Kind, form: MyTextForm) -> Result<(), &'static str> {
    match form {
        MyTextForm::Json => Ok(()),
        MyTextForm::Hex => match kind {
            Kind::Bytes(..) | Kind::FixedBin { .. } => Ok(()),
            _ => Err("hex is for binary and string columns"),
        },
        MyTextForm::Text => match kind {
            Kind::FixedBin { uuid: false } => Err("fixed-size binary is written as Hex"),
            Kind::List(_, item) if matches!(**item, Kind::Bytes(_, Text::Str | Text::Json)) => {
                Ok(())
            }
            Kind::List(..) => Err("only a list of strings (a SET) has a text form; use Json"),
            Kind::Struct(_) => Err("a struct has no text form; use Json"),
            _ => Ok(()),
        },
    }
}

impl MyTextEncoder {
    /// `columns`: which columns of each batch to write, in field order of the output, each with
    /// its form. Checks every (Arrow type, form) pair is supported; an unsupported one is
    /// [`FormatError::Unsupported`] naming the column and type.
    pub fn try_new(schema: &Schema, columns: Vec<(usize, MyTextForm)>) -> Result<Self> {
        if columns.is_empty() {
            return Err(FormatError::Unsupported(
                "LOAD DATA text without columns".into(),
            ));
        }
        let columns = columns
            .into_iter()
            .map(|(index, form)| {
                let field = schema.fields().get(index).ok_or_else(|| {
                    FormatError::Unsupported(format!(
                        "column {index} of a schema of {} fields",
                        schema.fields().len()
                    ))
                })?;
                let dt = field.data_type();
                let unsupported = |why: &str| {
                    FormatError::Unsupported(format!(
                        "column `{}`: Arrow type {dt} cannot be written as {form:?} for MySQL{why}",
                        field.name()
                    ))
                };
                let kind = plan(field).ok_or_else(|| unsupported(""))?;
                check_form(&kind, form).map_err(|why| unsupported(&format!(" ({why})")))?;
                Ok(Column {
                    index,
                    name: field.name().clone(),
                    form,
                    data_type: dt.clone(),
                    kind,
                })
            })
            .collect::<Result<_>>()?;
        Ok(Self {
            columns,
            scratch: Vec::new(),
        })
    }

    /// Appends rows `offset..offset+len` of `batch` to `out`, each ending with LF.
    ///
    /// A value MySQL cannot take (NaN/±Inf, a date or timestamp outside years 0000..9999,
    /// sub-microsecond nanoseconds, a SET member with a comma) is [`FormatError::Value`] naming
    /// the column and the row's index in `batch`; `out` then keeps the rows before the failing
    /// one and nothing of it. A batch whose columns differ from the schema's is
    /// [`FormatError::Unsupported`], with `out` untouched.
    pub fn write_rows(
        &mut self,
        batch: &RecordBatch,
        offset: usize,
        len: usize,
        out: &mut Vec<u8>,
    ) -> Result<()> {
        let end = offset
            .checked_add(len)
            .filter(|&end| end <= batch.num_rows())
            .ok_or_else(|| {
                FormatError::Unsupported(format!(
                    "rows {offset}..{offset}+{len} of a batch of {} rows",
                    batch.num_rows()
                ))
            })?;
        let cols = self
            .columns
            .iter()
            .map(|c| c.bind(batch))
            .collect::<Result<Vec<_>>>()?;
        for i in offset..end {
            let row_start = out.len();
            for (k, (col, column)) in cols.iter().zip(&self.columns).enumerate() {
                if k > 0 {
                    out.push(b'\t');
                }
                if let Err(reason) = field(col, column.form, i, out, &mut self.scratch) {
                    out.truncate(row_start);
                    return Err(FormatError::Value {
                        column: column.name.clone(),
                        row: i as u64,
                        key: None,
                        reason: reason.into_owned(),
                        text_would_hold: false,
                    });
                }
            }
            out.push(b'\n');
        }
        Ok(())
    }
}

impl Column {
    /// The typed view of this column's array in `batch`.
    fn bind<'a>(&self, batch: &'a RecordBatch) -> Result<Col<'a>> {
        let mismatch =
            |what: String| FormatError::Unsupported(format!("column `{}`: {what}", self.name));
        let array = batch
            .columns()
            .get(self.index)
            .ok_or_else(|| mismatch(format!("batch has only {} columns", batch.num_columns())))?;
        let dt = array.data_type();
        // Equal types are the norm; another (other field names, say) must plan the same.
        if *dt != self.data_type
            && plan(batch.schema_ref().field(self.index)).as_ref() != Some(&self.kind)
        {
            return Err(mismatch(format!(
                "batch type {dt} differs from the schema's {}",
                self.data_type
            )));
        }
        Col::bind(&self.kind, array.as_ref())
            .ok_or_else(|| mismatch(format!("array does not match its type {dt}")))
    }
}

// ---- Fields ----

/// Appends one field: `\N`, or value `i` of `col` in `form`, escaped.
#[inline]
fn field(
    col: &Col<'_>,
    form: MyTextForm,
    i: usize,
    out: &mut Vec<u8>,
    scratch: &mut Vec<u8>,
) -> Result<(), Reason> {
    if col.is_null(i) {
        out.extend_from_slice(b"\\N");
        return Ok(());
    }
    match (form, &col.view) {
        (MyTextForm::Text, View::Bytes(b, _)) => escape(b.get(i), out),
        (MyTextForm::Text, View::Dict { keys, values, .. }) => escape(values.get(keys.get(i)), out),
        (MyTextForm::Text, View::List { offsets, item }) => set(item, offsets.range(i), out)?,
        (MyTextForm::Text, v) => scalar(v, i, out)?,
        (MyTextForm::Hex, View::Bytes(b, _)) => text::hex(b.get(i), true, out),
        (MyTextForm::Hex, View::FixedBin(a, _)) => text::hex(a.value(i), true, out),
        (MyTextForm::Hex, _) => return Err("hex of a non-binary value".into()),
        (MyTextForm::Json, _) => {
            scratch.clear();
            json::value(col, i, scratch)?;
            escape(scratch, out);
        }
    }
    Ok(())
}

/// A SET value: the members joined by `,`.
fn set(item: &Col<'_>, members: Range<usize>, out: &mut Vec<u8>) -> Result<(), Reason> {
    let View::Bytes(b, _) = &item.view else {
        return Err("a SET of non-strings".into());
    };
    for (n, k) in members.enumerate() {
        if item.is_null(k) {
            return Err("a SET cannot hold a NULL member".into());
        }
        let m = b.get(k);
        if m.contains(&b',') {
            return Err("a SET member cannot contain `,`".into());
        }
        if n > 0 {
            out.push(b',');
        }
        escape(m, out);
    }
    Ok(())
}

/// The text of a value that needs no escaping: numbers, temporals, intervals, UUIDs.
fn scalar(v: &View<'_>, i: usize, out: &mut Vec<u8>) -> Result<(), Reason> {
    match v {
        View::Bool(a) => out.push(if a.value(i) { b'1' } else { b'0' }),
        View::Int(ints) => ints.text(i, out),
        View::F32(v) => text::f32_text(v[i], out)?,
        View::F64(v) => text::f64_text(v[i], out)?,
        View::Dec(Decs::D32(v), s) => text::i128_decimal(i128::from(v[i]), *s, out),
        View::Dec(Decs::D64(v), s) => text::i128_decimal(i128::from(v[i]), *s, out),
        View::Dec(Decs::D128(v), s) => text::i128_decimal(v[i], *s, out),
        View::Dec(Decs::D256(v), s) => text::i256_decimal(v[i], *s, out),
        View::Date32(v) => text::date_text(i64::from(v[i]), out)?,
        View::Date64(v) => text::date64_text(v[i], out)?,
        View::Timestamp(v, u) => text::timestamp_text(v[i], *u, out)?,
        View::Duration(v, u) => text::duration_text(v[i], *u, out)?,
        View::Time32(v, u) => text::time_text(i64::from(v[i]), *u, out)?,
        View::Time64(v, u) => text::time_text(v[i], *u, out)?,
        View::FixedBin(a, true) => text::uuid_text(a.value(i), out),
        View::Interval((months, days, micros)) => {
            if months.is_null(i) || days.is_null(i) || micros.is_null(i) {
                return Err("an interval with a NULL member".into());
            }
            text::interval_text(months.value(i), days.value(i), micros.value(i), out);
        }
        View::TimeTz(time, offset) => {
            if time.is_null(i) || offset.is_null(i) {
                return Err("a timetz with a NULL member".into());
            }
            text::timetz_text(time.value(i), offset.value(i), out)?;
        }
        View::FixedBin(_, false)
        | View::Bytes(..)
        | View::Dict { .. }
        | View::List { .. }
        | View::Struct(_) => return Err("not a scalar value".into()),
    }
    Ok(())
}

/// Appends `s` escaped for a field: `\` `\t` `\n` `\r` NUL as `\\ \t \n \r \0`.
#[inline]
fn escape(s: &[u8], out: &mut Vec<u8>) {
    let mut run = 0;
    for (k, &b) in s.iter().enumerate() {
        let e = match b {
            b'\\' => b'\\',
            b'\t' => b't',
            b'\n' => b'n',
            b'\r' => b'r',
            0 => b'0',
            _ => continue,
        };
        out.extend_from_slice(&s[run..k]);
        out.extend_from_slice(&[b'\\', e]);
        run = k + 1;
    }
    out.extend_from_slice(&s[run..]);
}
