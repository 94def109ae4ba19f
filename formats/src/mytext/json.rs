//! A value as a JSON document, for MySQL JSON columns ([`MyTextForm::Json`]).
//!
//! Lists are arrays and structs objects (by field name); numbers are JSON numbers (decimals
//! with their exact digits, floats shortest round-trip); strings are escaped as serde_json
//! does; an `arrow.json` value is copied as is (it already is JSON); binary is a string of
//! lower-case hex after `\x` (PostgreSQL's bytea text); dates, times, timestamps, durations,
//! intervals and UUIDs are strings of their field text. The caller escapes the whole document
//! for the field.
//!
//! [`MyTextForm::Json`]: super::MyTextForm::Json

use super::Text;
use super::text::{self, Reason};
use super::view::{Col, View};

/// Appends the JSON of value `i` of `col` (`null` for a NULL).
pub(super) fn value(col: &Col<'_>, i: usize, out: &mut Vec<u8>) -> Result<(), Reason> {
    if col.is_null(i) {
        out.extend_from_slice(b"null");
        return Ok(());
    }
    match &col.view {
        View::Bool(a) => out.extend_from_slice(if a.value(i) { b"true" } else { b"false" }),
        View::Int(_) | View::F32(_) | View::F64(_) | View::Dec(..) => {
            super::scalar(&col.view, i, out)?;
        }
        View::Bytes(b, Text::Str) => string(b.get(i), out),
        View::Bytes(b, Text::Json) => out.extend_from_slice(b.get(i)),
        View::Bytes(b, Text::Bin) => bytea(b.get(i), out),
        View::Dict { keys, values, .. } => string(values.get(keys.get(i)), out),
        View::FixedBin(a, false) => bytea(a.value(i), out),
        View::List { offsets, item } => {
            out.push(b'[');
            for (n, k) in offsets.range(i).enumerate() {
                if n > 0 {
                    out.push(b',');
                }
                value(item, k, out)?;
            }
            out.push(b']');
        }
        View::Struct(fields) => {
            out.push(b'{');
            for (n, (name, field)) in fields.iter().enumerate() {
                if n > 0 {
                    out.push(b',');
                }
                string(name.as_bytes(), out);
                out.push(b':');
                value(field, i, out)?;
            }
            out.push(b'}');
        }
        // Temporals, intervals and UUIDs: their text needs no JSON escaping.
        _ => {
            out.push(b'"');
            super::scalar(&col.view, i, out)?;
            out.push(b'"');
        }
    }
    Ok(())
}

/// `"\x…"`: PostgreSQL's bytea hex text, as `to_json(bytea)` gives it.
fn bytea(b: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(b"\"\\\\x");
    text::hex(b, false, out);
    out.push(b'"');
}

/// A JSON string as serde_json writes it: `"` and `\` escaped with a backslash; U+0008,
/// U+0009, U+000A, U+000C, U+000D as `\b \t \n \f \r`; other control characters below U+0020
/// as `\u00xx` (lower-case hex); everything else, DEL and non-ASCII included, as is.
pub(super) fn string(s: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    let mut run = 0;
    for (k, &b) in s.iter().enumerate() {
        let short = match b {
            b'"' => b'"',
            b'\\' => b'\\',
            0x08 => b'b',
            b'\t' => b't',
            b'\n' => b'n',
            0x0c => b'f',
            b'\r' => b'r',
            0..0x20 => 0,
            _ => continue,
        };
        out.extend_from_slice(&s[run..k]);
        if short == 0 {
            out.extend_from_slice(b"\\u00");
            text::hex(&[b], false, out);
        } else {
            out.extend_from_slice(&[b'\\', short]);
        }
        run = k + 1;
    }
    out.extend_from_slice(&s[run..]);
    out.push(b'"');
}
