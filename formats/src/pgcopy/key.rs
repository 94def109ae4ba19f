//! Renders a failed row's key columns from its raw bytes, like PostgreSQL's `Key (id)=(5)`
//! detail: `(a, b)=(1, 'x')`. Error path only; it may allocate.

use std::fmt::Write as _;

use arrow_schema::Schema;

use super::numeric::Numeric;
use crate::pgtypes::PgKind;

/// Splits a complete row (field count first) into its fields; `None` for NULL.
fn fields(row: &[u8]) -> Option<Vec<Option<&[u8]>>> {
    let (count, mut rest) = row.split_first_chunk::<2>()?;
    let count = usize::try_from(i16::from_be_bytes(*count)).ok()?;
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let (len, tail) = rest.split_first_chunk::<4>()?;
        let len = i32::from_be_bytes(*len);
        if len < 0 {
            out.push(None);
            rest = tail;
        } else {
            let (v, tail) = tail.split_at_checked(len as usize)?;
            out.push(Some(v));
            rest = tail;
        }
    }
    Some(out)
}

/// `(a, b)=(1, 'x')` for the key columns of `row`, or `None` without key columns.
pub(crate) fn render_key(
    schema: &Schema,
    kinds: &[PgKind],
    key_columns: &[usize],
    row: &[u8],
) -> Option<String> {
    if key_columns.is_empty() {
        return None;
    }
    let values = fields(row)?;
    let mut names = String::new();
    let mut rendered = String::new();
    for (n, &c) in key_columns.iter().enumerate() {
        if n > 0 {
            names.push_str(", ");
            rendered.push_str(", ");
        }
        names.push_str(schema.fields().get(c).map_or("?", |f| f.name().as_str()));
        match (kinds.get(c), values.get(c)) {
            (_, Some(None)) => rendered.push_str("NULL"),
            (Some(kind), Some(Some(v))) => render_value(kind, v, &mut rendered),
            _ => rendered.push('?'),
        }
    }
    Some(format!("({names})=({rendered})"))
}

/// One value as SQL-literal-like text: numbers bare, everything else single-quoted.
fn render_value(kind: &PgKind, v: &[u8], out: &mut String) {
    if !try_render(kind, v, out) {
        out.push('?');
    }
}

fn try_render(kind: &PgKind, v: &[u8], out: &mut String) -> bool {
    match kind {
        PgKind::Bool => match v {
            [b] => out.push_str(if *b != 0 { "true" } else { "false" }),
            _ => return false,
        },
        PgKind::Int2 => match v.try_into() {
            Ok(b) => {
                let _ = write!(out, "{}", i16::from_be_bytes(b));
            }
            Err(_) => return false,
        },
        PgKind::Int4 => match v.try_into() {
            Ok(b) => {
                let _ = write!(out, "{}", i32::from_be_bytes(b));
            }
            Err(_) => return false,
        },
        PgKind::Int8 => match v.try_into() {
            Ok(b) => {
                let _ = write!(out, "{}", i64::from_be_bytes(b));
            }
            Err(_) => return false,
        },
        PgKind::Float4 => match v.try_into() {
            Ok(b) => float(f64::from(f32::from_bits(u32::from_be_bytes(b))), out),
            Err(_) => return false,
        },
        PgKind::Float8 => match v.try_into() {
            Ok(b) => float(f64::from_bits(u64::from_be_bytes(b)), out),
            Err(_) => return false,
        },
        PgKind::Decimal { .. } | PgKind::NumericText => {
            let mut text = Vec::new();
            match Numeric::parse(v).and_then(|n| n.write_text(&mut text)) {
                Ok(()) => out.push_str(&String::from_utf8_lossy(&text)),
                Err(_) => return false,
            }
        }
        PgKind::Money { scale } => match v.try_into() {
            Ok(b) => scaled(i64::from_be_bytes(b), *scale, out),
            Err(_) => return false,
        },
        PgKind::Text | PgKind::Json => quoted(&String::from_utf8_lossy(v), out),
        PgKind::Jsonb => match v.split_first() {
            Some((1, text)) => quoted(&String::from_utf8_lossy(text), out),
            _ => return false,
        },
        PgKind::Uuid => {
            if v.len() != 16 {
                return false;
            }
            out.push('\'');
            for (i, b) in v.iter().enumerate() {
                if matches!(i, 4 | 6 | 8 | 10) {
                    out.push('-');
                }
                let _ = write!(out, "{b:02x}");
            }
            out.push('\'');
        }
        PgKind::Date => match v.try_into() {
            Ok(b) => {
                out.push('\'');
                date(i32::from_be_bytes(b), out);
                out.push('\'');
            }
            Err(_) => return false,
        },
        PgKind::Time => match v.try_into() {
            Ok(b) => {
                out.push('\'');
                time_of_day(i64::from_be_bytes(b), out);
                out.push('\'');
            }
            Err(_) => return false,
        },
        PgKind::Timestamp | PgKind::TimestampTz => match v.try_into() {
            Ok(b) => {
                out.push('\'');
                timestamp(i64::from_be_bytes(b), out);
                if *kind == PgKind::TimestampTz && !out.ends_with("infinity") {
                    out.push_str("+00");
                }
                out.push('\'');
            }
            Err(_) => return false,
        },
        _ => return false,
    }
    true
}

fn float(x: f64, out: &mut String) {
    if x.is_nan() {
        out.push_str("'NaN'");
    } else if x.is_infinite() {
        out.push_str(if x > 0.0 { "'Infinity'" } else { "'-Infinity'" });
    } else {
        let _ = write!(out, "{x}");
    }
}

fn scaled(units: i64, scale: i8, out: &mut String) {
    let digits = units.unsigned_abs().to_string();
    let sign = if units < 0 { "-" } else { "" };
    if scale <= 0 {
        let _ = write!(
            out,
            "{sign}{digits}{}",
            "0".repeat(usize::from(scale.unsigned_abs()))
        );
        return;
    }
    let scale = scale as usize;
    let padded = format!("{digits:0>width$}", width = scale + 1);
    let (int, frac) = padded.split_at(padded.len() - scale);
    let _ = write!(out, "{sign}{int}.{frac}");
}

fn quoted(s: &str, out: &mut String) {
    out.push('\'');
    for c in s.chars() {
        if c == '\'' {
            out.push('\'');
        }
        out.push(c);
    }
    out.push('\'');
}

/// Civil date from days since 1970-01-01 (proleptic Gregorian; H. Hinnant's algorithm).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// A PostgreSQL date (days since 2000-01-01) as PostgreSQL prints it (ISO, `BC` for year ≤ 0).
fn date(pg_days: i32, out: &mut String) {
    match pg_days {
        i32::MAX => out.push_str("infinity"),
        i32::MIN => out.push_str("-infinity"),
        d => ymd(i64::from(d) + 10_957, out),
    }
}

fn ymd(unix_days: i64, out: &mut String) {
    let (y, m, d) = civil(unix_days);
    if y <= 0 {
        let _ = write!(out, "{:04}-{m:02}-{d:02} BC", 1 - y);
    } else {
        let _ = write!(out, "{y:04}-{m:02}-{d:02}");
    }
}

fn time_of_day(micros: i64, out: &mut String) {
    let secs = micros.div_euclid(1_000_000);
    let frac = micros.rem_euclid(1_000_000);
    let _ = write!(
        out,
        "{:02}:{:02}:{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    );
    if frac != 0 {
        let f = format!("{frac:06}");
        out.push('.');
        out.push_str(f.trim_end_matches('0'));
    }
}

/// A PostgreSQL timestamp (µs since 2000-01-01) as PostgreSQL prints it.
fn timestamp(pg_micros: i64, out: &mut String) {
    match pg_micros {
        i64::MAX => out.push_str("infinity"),
        i64::MIN => out.push_str("-infinity"),
        t => {
            let day = 86_400_000_000;
            let days = t.div_euclid(day);
            let within = t.rem_euclid(day);
            let bc_at = out.len();
            ymd(days + 10_957, out);
            // PostgreSQL puts BC after the time: `0044-03-15 12:00:00 BC`.
            let bc = out[bc_at..].ends_with(" BC");
            if bc {
                out.truncate(out.len() - 3);
            }
            out.push(' ');
            time_of_day(within, out);
            if bc {
                out.push_str(" BC");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_times_render_like_postgres() {
        let mut s = String::new();
        date(0, &mut s);
        assert_eq!(s, "2000-01-01");
        s.clear();
        // Values from PostgreSQL: '0044-03-15 BC'::date - '1970-01-01' = -735160 days, and
        // extract(epoch from '0044-03-15 12:00:00 BC'::timestamp) = -63517780800 s.
        date(-735_160 - 10_957, &mut s);
        assert_eq!(s, "0044-03-15 BC");
        s.clear();
        timestamp(-63_517_780_800_000_000 - 946_684_800_000_000, &mut s);
        assert_eq!(s, "0044-03-15 12:00:00 BC");
        s.clear();
        date(2_932_897 - 10_957, &mut s);
        assert_eq!(s, "10000-01-01");
        s.clear();
        date(i32::MAX, &mut s);
        assert_eq!(s, "infinity");
        s.clear();
        timestamp(-1, &mut s);
        assert_eq!(s, "1999-12-31 23:59:59.999999");
        s.clear();
        timestamp(1_500_000, &mut s);
        assert_eq!(s, "2000-01-01 00:00:01.5");
        s.clear();
        scaled(-5, 2, &mut s);
        assert_eq!(s, "-0.05");
    }
}
