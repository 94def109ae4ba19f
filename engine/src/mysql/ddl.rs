//! DDL for a MySQL/MariaDB target from a MySQL dump: the table as `SHOW CREATE TABLE` wrote
//! it, minus secondary indexes and foreign keys, which are added after the rows (one `ALTER
//! TABLE` per table for the indexes, so InnoDB sorts each index once instead of maintaining it
//! row by row), the way myloader's `--innodb-optimize-keys` does.

use crate::mysql::catalog::MyTableDdl;
use crate::mysql::quote_ident;

/// A table's DDL split for a load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitDdl {
    /// `CREATE TABLE` with columns, primary key, CHECKs and table options.
    pub create: String,
    /// Secondary index clauses (`ADD UNIQUE KEY …`, `ADD KEY …`, `ADD FULLTEXT KEY …`).
    pub indexes: Vec<String>,
    /// Foreign key clauses (`ADD CONSTRAINT … FOREIGN KEY …`).
    pub foreign_keys: Vec<String>,
}

/// Splits `SHOW CREATE TABLE` output: every definition is on its own line, indented by two.
pub fn split_create(ddl: &MyTableDdl) -> SplitDdl {
    let mut keep: Vec<&str> = Vec::new();
    let mut indexes = Vec::new();
    let mut foreign_keys = Vec::new();
    let lines: Vec<&str> = ddl.create.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let body = line.trim().trim_end_matches(',');
        let is_definition = i > 0 && line.starts_with("  ");
        if is_definition
            && (body.starts_with("KEY ")
                || body.starts_with("UNIQUE KEY ")
                || body.starts_with("FULLTEXT KEY ")
                || body.starts_with("SPATIAL KEY ")
                || body.starts_with("INDEX "))
        {
            indexes.push(format!("ADD {body}"));
        } else if is_definition && body.starts_with("CONSTRAINT ") && body.contains(" FOREIGN KEY ")
        {
            foreign_keys.push(format!("ADD {body}"));
        } else {
            keep.push(line);
        }
    }
    // The last kept definition before the closing `)` must lose its comma.
    let mut out: Vec<String> = keep.iter().map(|l| l.to_string()).collect();
    if let Some(close) = out.iter().rposition(|l| l.starts_with(')'))
        && close > 0
        && let Some(prev) = out.get_mut(close - 1)
        && prev.ends_with(',')
    {
        prev.pop();
    }
    SplitDdl {
        create: out.join("\n"),
        indexes,
        foreign_keys,
    }
}

/// `ALTER TABLE t ADD …, ADD …`.
pub fn alter(table: &str, clauses: &[String]) -> String {
    format!("ALTER TABLE {} {}", quote_ident(table), clauses.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secondary_indexes_and_foreign_keys_move_after_the_rows() {
        let ddl = MyTableDdl {
            create: "CREATE TABLE `t` (\n  `id` int(11) NOT NULL AUTO_INCREMENT,\n  `p` int(11) DEFAULT NULL,\n  `doc` longtext CHECK (json_valid(`doc`)),\n  PRIMARY KEY (`id`),\n  UNIQUE KEY `u` (`p`),\n  KEY `k` (`p`,`id`),\n  CONSTRAINT `fk` FOREIGN KEY (`p`) REFERENCES `parent` (`id`) ON DELETE CASCADE,\n  CONSTRAINT `c` CHECK (`p` > 0)\n) ENGINE=InnoDB AUTO_INCREMENT=7 DEFAULT CHARSET=utf8mb4".into(),
            ..Default::default()
        };
        let s = split_create(&ddl);
        assert_eq!(
            s.create,
            "CREATE TABLE `t` (\n  `id` int(11) NOT NULL AUTO_INCREMENT,\n  `p` int(11) DEFAULT NULL,\n  `doc` longtext CHECK (json_valid(`doc`)),\n  PRIMARY KEY (`id`),\n  CONSTRAINT `c` CHECK (`p` > 0)\n) ENGINE=InnoDB AUTO_INCREMENT=7 DEFAULT CHARSET=utf8mb4"
        );
        assert_eq!(
            s.indexes,
            ["ADD UNIQUE KEY `u` (`p`)", "ADD KEY `k` (`p`,`id`)"]
        );
        assert_eq!(
            s.foreign_keys,
            ["ADD CONSTRAINT `fk` FOREIGN KEY (`p`) REFERENCES `parent` (`id`) ON DELETE CASCADE"]
        );
    }

    #[test]
    fn a_table_whose_last_definition_moves_keeps_valid_syntax() {
        let ddl = MyTableDdl {
            create: "CREATE TABLE `t` (\n  `id` int(11) NOT NULL,\n  PRIMARY KEY (`id`),\n  KEY `k` (`id`)\n) ENGINE=InnoDB".into(),
            ..Default::default()
        };
        assert_eq!(
            split_create(&ddl).create,
            "CREATE TABLE `t` (\n  `id` int(11) NOT NULL,\n  PRIMARY KEY (`id`)\n) ENGINE=InnoDB"
        );
    }
}
