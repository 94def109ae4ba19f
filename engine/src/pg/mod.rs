//! PostgreSQL: connections, catalog, planning queries, snapshots.

pub mod catalog;
pub mod conn;
pub mod ddl;
pub mod objects;
pub mod planner;
pub mod snapshot;
pub mod target;

/// Quotes an identifier: `"a""b"`.
pub fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// Quotes a string literal (standard_conforming_strings is on in haul's sessions): `'it''s'`.
pub fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// `"schema"."table"`.
pub fn qualified(schema: &str, table: &str) -> String {
    format!("{}.{}", quote_ident(schema), quote_ident(table))
}
