//! The window of a sync, in the source's SQL: `col > lower AND col <= high`, where `lower` is
//! `since − overlap` and `high` is `max(col)` as the source's snapshot sees it.

use haul_formats::mytypes::MyKind;
use haul_formats::pgtypes::PgKind;
use mysql_async::prelude::Queryable;

use crate::diff::sides::ReadSession;
use crate::error::{EngineError, Result};
use crate::plan::TablePlan;

/// What the watermark column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ColKind {
    /// A date or timestamp: the overlap is a duration.
    Temporal,
    /// An integer (a version or sequence number): the overlap is a count.
    Integer,
}

/// The watermark column of a table, checked.
#[derive(Debug, Clone)]
pub(crate) struct WindowCol {
    pub name: String,
    pub kind: ColKind,
    /// The source's type, for casts (PostgreSQL `format_type`, MySQL kind).
    pub cast: String,
    pub mysql: bool,
}

/// Finds `column` in the source table `t` and checks its type.
pub(crate) fn window_col(t: &TablePlan, column: &str) -> Result<WindowCol> {
    let table = t.display_name();
    let i = t.columns.iter().position(|c| c.name == column).ok_or_else(|| {
        EngineError::Usage(format!(
            "table {table} has no column `{column}`: pass --column with a timestamp, date or integer column every synced table has (or leave the table out with --exclude {})",
            t.name
        ))
    })?;
    let c = &t.columns[i];
    let bad = || {
        EngineError::Usage(format!(
            "column `{column}` of {table} is {}, not a timestamp, date or integer: sync needs a column that grows when a row changes (e.g. updated_at)",
            c.source_type
        ))
    };
    let (kind, cast) = match &c.mysql {
        Some(MyKind::Int { .. }) => (ColKind::Integer, "SIGNED".to_string()),
        Some(MyKind::Date) => (ColKind::Temporal, "DATE".to_string()),
        Some(MyKind::DateTime | MyKind::Timestamp) => {
            (ColKind::Temporal, "DATETIME(6)".to_string())
        }
        Some(_) => return Err(bad()),
        None => {
            let ty = t
                .ddl
                .columns
                .get(i)
                .map(|d| d.pg_type.clone())
                .unwrap_or_else(|| c.source_type.clone());
            match c.kind {
                PgKind::Int2 | PgKind::Int4 | PgKind::Int8 => (ColKind::Integer, ty),
                PgKind::Date | PgKind::Timestamp | PgKind::TimestampTz => (ColKind::Temporal, ty),
                _ => return Err(bad()),
            }
        }
    };
    Ok(WindowCol {
        name: column.to_string(),
        kind,
        cast,
        mysql: c.mysql.is_some(),
    })
}

impl WindowCol {
    fn quoted(&self) -> String {
        if self.mysql {
            crate::mysql::quote_ident(&self.name)
        } else {
            crate::pg::quote_ident(&self.name)
        }
    }

    /// A value (a watermark, `--since`, a dump's time) as a literal of the column's type.
    fn value(&self, v: &str) -> Result<String> {
        if self.kind == ColKind::Integer {
            let n: i128 = v.trim().parse().map_err(|_| {
                EngineError::Usage(format!(
                    "`{v}` is not an integer, but column `{}` is: pass --since with an integer",
                    self.name
                ))
            })?;
            return Ok(n.to_string());
        }
        Ok(if self.mysql {
            // MySQL reads `2026-01-02 03:04:05.123456`, not ISO 8601's `T` and `Z` (UTC: the
            // session's zone is UTC, so TIMESTAMP columns compare in UTC).
            let v = v.trim().trim_end_matches('Z').replacen('T', " ", 1);
            format!("CAST({} AS {})", crate::mysql::quote_literal(&v), self.cast)
        } else {
            format!(
                "CAST({} AS {})",
                crate::pg::quote_literal(v.trim()),
                self.cast
            )
        })
    }

    /// The lower bound `since − overlap` (seconds for a temporal column, a count for an
    /// integer one).
    pub(crate) fn lower(&self, since: &str, overlap: i64) -> Result<String> {
        let v = self.value(since)?;
        Ok(match (self.kind, self.mysql) {
            (_, _) if overlap == 0 => v,
            (ColKind::Integer, _) => format!("{v} - {overlap}"),
            (ColKind::Temporal, true) => format!("{v} - INTERVAL {overlap} SECOND"),
            (ColKind::Temporal, false) => format!("{v} - interval '{overlap} seconds'"),
        })
    }

    /// The row filter of the window.
    pub(crate) fn filter(&self, lower: &str, high: &str) -> Result<String> {
        let c = self.quoted();
        Ok(format!("{c} > {lower} AND {c} <= {}", self.value(high)?))
    }

    /// `max(col)` in the session's snapshot, as text the column's type reads back exactly.
    pub(crate) async fn high(&self, s: &mut ReadSession, t: &TablePlan) -> Result<Option<String>> {
        let what = format!("reading max({}) of {}", self.name, t.display_name());
        match s {
            ReadSession::Pg(w) => {
                let sql = format!(
                    "SELECT max({})::text FROM ONLY {}",
                    self.quoted(),
                    crate::pg::qualified(&t.schema, &t.name)
                );
                let row = w
                    .client()
                    .query_one(sql.as_str(), &[])
                    .await
                    .map_err(|e| EngineError::pg(what, e))?;
                Ok(row.get(0))
            }
            ReadSession::MySql(c, _) => {
                let conn = c.conn.as_mut().expect("held until dropped");
                let sql = format!(
                    "SELECT CAST(MAX({}) AS CHAR) FROM {}",
                    self.quoted(),
                    crate::mysql::qualified(&t.schema, &t.name)
                );
                let v: Option<Option<String>> = conn
                    .query_first(sql)
                    .await
                    .map_err(|e| EngineError::my(what, e))?;
                Ok(v.flatten())
            }
        }
    }
}

/// Parses `--overlap`: `300`, `90s`, `5m`, `2h`, `1d` for a temporal column (seconds), a
/// plain count for an integer one.
pub(crate) fn overlap(arg: Option<&str>, kind: ColKind) -> Result<i64> {
    let Some(a) = arg else {
        return Ok(match kind {
            ColKind::Temporal => 300,
            ColKind::Integer => 0,
        });
    };
    let a = a.trim();
    let bad = || {
        EngineError::Usage(format!(
            "--overlap `{a}`: expected a duration such as 300s, 5m, 2h or 1d (a plain count for an integer column)"
        ))
    };
    let (num, mult) = match a.char_indices().last() {
        Some((i, 's')) => (&a[..i], 1),
        Some((i, 'm')) => (&a[..i], 60),
        Some((i, 'h')) => (&a[..i], 3600),
        Some((i, 'd')) => (&a[..i], 86_400),
        _ => (a, 1),
    };
    if kind == ColKind::Integer && num.len() != a.len() {
        return Err(bad());
    }
    let n: i64 = num.parse().map_err(|_| bad())?;
    if n < 0 {
        return Err(bad());
    }
    Ok(n * mult)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlaps_parse() {
        assert_eq!(overlap(None, ColKind::Temporal).expect("valid"), 300);
        assert_eq!(overlap(None, ColKind::Integer).expect("valid"), 0);
        assert_eq!(overlap(Some("5m"), ColKind::Temporal).expect("valid"), 300);
        assert_eq!(overlap(Some("2h"), ColKind::Temporal).expect("valid"), 7200);
        assert_eq!(overlap(Some("45"), ColKind::Temporal).expect("valid"), 45);
        assert_eq!(overlap(Some("10"), ColKind::Integer).expect("valid"), 10);
        assert!(overlap(Some("5m"), ColKind::Integer).is_err());
        assert!(overlap(Some("soon"), ColKind::Temporal).is_err());
        assert!(overlap(Some("-5"), ColKind::Temporal).is_err());
    }

    #[test]
    fn windows_in_each_dialect() {
        let pg = WindowCol {
            name: "updated_at".into(),
            kind: ColKind::Temporal,
            cast: "timestamp with time zone".into(),
            mysql: false,
        };
        let lower = pg.lower("2026-01-02T03:04:05Z", 300).expect("valid");
        assert_eq!(
            pg.filter(&lower, "2026-01-02 04:00:00+00").expect("valid"),
            "\"updated_at\" > CAST('2026-01-02T03:04:05Z' AS timestamp with time zone) - interval '300 seconds' \
             AND \"updated_at\" <= CAST('2026-01-02 04:00:00+00' AS timestamp with time zone)"
        );
        let my = WindowCol {
            name: "v".into(),
            kind: ColKind::Integer,
            cast: "SIGNED".into(),
            mysql: true,
        };
        assert_eq!(my.lower("17", 0).expect("valid"), "17");
        assert_eq!(
            my.filter("17 - 2", "40").expect("valid"),
            "`v` > 17 - 2 AND `v` <= 40"
        );
        assert!(my.lower("x'; DROP", 0).is_err());
    }
}
