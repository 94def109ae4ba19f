//! MySQL/MariaDB: connections, catalog, planner and the consistent snapshot of a dump.

pub mod catalog;
pub mod conn;
pub mod copy;
pub mod ddl;
pub mod from_pg;
pub mod load;
pub mod names;
pub mod open;
pub mod planner;
pub mod snapshot;
pub mod target;
pub mod to_pg;

use arrow_array::{Array, RecordBatch};

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

/// `(a, b)=(1, 'x')`: the key columns (`key`, indices into the batch) of row `row` of `batch`,
/// as the PostgreSQL source names a failed row's key; `None` without key columns.
pub(crate) fn render_key(batch: &RecordBatch, key: &[usize], row: usize) -> Option<String> {
    if key.is_empty() {
        return None;
    }
    let schema = batch.schema();
    let mut names = Vec::new();
    let mut values = Vec::new();
    for &k in key {
        let col = batch.columns().get(k)?;
        names.push(schema.field(k).name().clone());
        values.push(if col.is_null(row) {
            "NULL".to_string()
        } else {
            let text = arrow::util::display::array_value_to_string(col, row).ok()?;
            if col.data_type().is_numeric() {
                text
            } else {
                format!("'{}'", text.replace('\'', "''"))
            }
        });
    }
    Some(format!("({})=({})", names.join(", "), values.join(", ")))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::{Int32Array, StringArray};
    use arrow_schema::{DataType, Field, Schema};

    use super::*;

    #[test]
    fn keys_render_as_postgresql_names_them() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int32, true),
            Field::new("name", DataType::Utf8, true),
        ]));
        let batch = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(Int32Array::from(vec![Some(5), None])),
                Arc::new(StringArray::from(vec!["it's", "x"])),
            ],
        )
        .expect("batch");
        assert_eq!(
            render_key(&batch, &[0, 1], 0).as_deref(),
            Some("(id, name)=(5, 'it''s')")
        );
        assert_eq!(render_key(&batch, &[0], 1).as_deref(), Some("(id)=(NULL)"));
        assert_eq!(render_key(&batch, &[], 0), None);
    }

    #[test]
    fn quoting() {
        assert_eq!(quote_ident("a`b"), "`a``b`");
        assert_eq!(quote_literal("it's"), "'it''s'");
        assert_eq!(quote_literal("a\\b"), "CONVERT(X'615C62' USING utf8mb4)");
    }
}
