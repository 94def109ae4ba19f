//! MySQL/MariaDB: connections, catalog, planner and the consistent snapshot of a dump.

pub mod catalog;
pub mod conn;
pub mod copy;
pub mod ddl;
pub mod from_pg;
pub mod load;
pub mod open;
pub mod planner;
pub mod snapshot;
pub mod target;
pub mod to_pg;

/// `` `name` `` with backticks doubled.
pub fn quote_ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// `` `db`.`table` ``.
pub fn qualified(db: &str, table: &str) -> String {
    format!("{}.{}", quote_ident(db), quote_ident(table))
}

/// A string literal safe under any `sql_mode` (`NO_BACKSLASH_ESCAPES` included): quotes are
/// doubled and the text is given as a hex literal when it holds a backslash or a control byte.
pub fn quote_literal(s: &str) -> String {
    if s.bytes().any(|b| b == b'\\' || b < 0x20) {
        let hex: String = s.bytes().map(|b| format!("{b:02X}")).collect();
        return format!("CONVERT(X'{hex}' USING utf8mb4)");
    }
    format!("'{}'", s.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(quote_ident("a`b"), "`a``b`");
        assert_eq!(quote_literal("it's"), "'it''s'");
        assert_eq!(quote_literal("a\\b"), "CONVERT(X'615C62' USING utf8mb4)");
    }
}
