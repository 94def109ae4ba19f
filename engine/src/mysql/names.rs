//! Names across engines (docs/types.md, "Names" in each cross-engine section). PostgreSQL
//! keeps at most 63 bytes of a name (NAMEDATALEN − 1) and cuts a longer one without a word;
//! MySQL takes 64 characters of the Basic Multilingual Plane, none of them a trailing space,
//! and compares column and index names — and table names when `lower_case_table_names` is 1
//! or 2 — without case.
//!
//! A name that holds data (a table, a column) is never changed: one the target cannot hold as
//! it is stops the load or copy before any table is created, naming it and the way out. An
//! internal name (index, constraint, sequence) that does not fit or is taken gets a
//! deterministic replacement — the name cut on a character boundary, then `_` and eight hex
//! digits of a hash of the whole name — and is listed in the report as renamed.

use std::collections::HashMap;
use std::collections::HashSet;

use mysql_async::Conn;
use mysql_async::prelude::Queryable;
use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::error::{EngineError, Result};
use crate::manifest::Manifest;
use crate::plan::TablePlan;

/// PostgreSQL's longest name, in bytes (NAMEDATALEN − 1).
pub const PG_MAX_BYTES: usize = 63;
/// MySQL's longest name, in characters.
pub const MY_MAX_CHARS: usize = 64;
/// `_` and eight hex digits.
const SUFFIX_LEN: usize = 9;

/// Which engine's rules a name must follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rules {
    /// At most 63 bytes; names compare exactly (haul quotes them).
    Postgres,
    /// At most 64 characters, all in the BMP, no trailing space; names compare without case.
    Mysql,
}

impl Rules {
    /// Why the engine cannot take `name` as it is, if it cannot.
    pub fn problem(self, name: &str) -> Option<&'static str> {
        match self {
            Self::Postgres => (name.len() > PG_MAX_BYTES)
                .then_some("is longer than PostgreSQL's 63 bytes, which would cut it silently"),
            Self::Mysql if name.chars().count() > MY_MAX_CHARS => {
                Some("is longer than MySQL's 64 characters")
            }
            Self::Mysql if name.ends_with(' ') => {
                Some("ends with a space, which MySQL does not allow in names")
            }
            Self::Mysql if !name.chars().all(my_char) => Some(
                "has a character MySQL does not allow in names (one outside the Basic Multilingual Plane)",
            ),
            Self::Mysql => None,
        }
    }

    /// The form in which the engine compares two names.
    fn key(self, name: &str) -> String {
        match self {
            Self::Postgres => name.to_string(),
            Self::Mysql => fold(name),
        }
    }
}

/// A character MySQL allows in a quoted name.
fn my_char(c: char) -> bool {
    c != '\0' && u32::from(c) <= 0xFFFF
}

/// A name as MySQL compares column and index names (and table names under
/// `lower_case_table_names` 1 or 2): lowercase, character by character.
pub fn fold(name: &str) -> String {
    name.chars().flat_map(char::to_lowercase).collect()
}

/// `name` cut so that `_` and eight hex digits of a hash of the whole name (seeded with
/// `salt`) fit `rules`' limit after it; with MySQL's rules, characters it does not allow become
/// `_`. Deterministic, and the cut is on a character boundary.
pub fn shorten(name: &str, rules: Rules, salt: u64) -> String {
    let hash = xxh3_64_with_seed(name.as_bytes(), salt) >> 32;
    let mut prefix = String::new();
    for (i, c) in name.chars().enumerate() {
        let c = if rules == Rules::Mysql && !my_char(c) {
            '_'
        } else {
            c
        };
        let fits = match rules {
            Rules::Postgres => prefix.len() + c.len_utf8() + SUFFIX_LEN <= PG_MAX_BYTES,
            Rules::Mysql => i + 1 + SUFFIX_LEN <= MY_MAX_CHARS,
        };
        if !fits {
            break;
        }
        prefix.push(c);
    }
    format!("{prefix}_{hash:08x}")
}

/// The names taken in one namespace of the target: a schema's relations (tables, indexes,
/// sequences), a table's constraints or indexes, a database's foreign keys.
#[derive(Debug)]
pub struct Names {
    rules: Rules,
    /// Why a taken name cannot be used again, for the report.
    taken_why: &'static str,
    taken: HashSet<String>,
}

impl Names {
    /// An empty namespace; `taken_why` completes "`name` …" when a name is already used.
    pub fn new(rules: Rules, taken_why: &'static str) -> Self {
        Self {
            rules,
            taken_why,
            taken: HashSet::new(),
        }
    }

    /// Marks `name` as used (a table's name, MySQL's `PRIMARY`).
    pub fn reserve(&mut self, name: &str) {
        self.taken.insert(self.rules.key(name));
    }

    /// `wanted` when the target takes it and it is free; otherwise its [`shorten`]ed form,
    /// seeded anew until free, with why. Either is then used.
    pub fn fit(&mut self, wanted: &str) -> (String, Option<&'static str>) {
        let why = self.rules.problem(wanted).or_else(|| {
            self.taken
                .contains(&self.rules.key(wanted))
                .then_some(self.taken_why)
        });
        let name = match why {
            None => wanted.to_string(),
            Some(_) => (0..)
                .map(|salt| shorten(wanted, self.rules, salt))
                .find(|n| !self.taken.contains(&self.rules.key(n)))
                .expect("some seed gives a free name"),
        };
        self.reserve(&name);
        (name, why)
    }

    /// [`fit`](Self::fit), adding `renamed: <what> is created as …` to `notes` when the name
    /// changes.
    pub fn fit_noted(
        &mut self,
        wanted: &str,
        what: impl FnOnce() -> String,
        notes: &mut Vec<String>,
    ) -> String {
        let (name, why) = self.fit(wanted);
        if let Some(why) = why {
            notes.push(format!(
                "renamed: {} is created as `{name}` (`{wanted}` {why})",
                what()
            ));
        }
        name
    }
}

/// "64 bytes", or "40 characters, 80 bytes" when they differ.
fn size(name: &str) -> String {
    let chars = name.chars().count();
    if chars == name.len() {
        format!("{chars} bytes")
    } else {
        format!("{chars} characters, {} bytes", name.len())
    }
}

/// `--exclude 'a' --exclude 'b'`.
fn excludes(tables: &[String]) -> String {
    let flags: Vec<String> = tables.iter().map(|t| format!("--exclude '{t}'")).collect();
    flags.join(" ")
}

/// Refuses tables and columns of a MySQL dump whose names PostgreSQL would cut to 63 bytes
/// (two names that would become one after the cut are among them): one error naming each,
/// and the way out.
pub fn check_pg_names(tables: &[TablePlan]) -> Result<()> {
    let mut bad = Vec::new();
    let mut out = Vec::new();
    for t in tables {
        let before = bad.len();
        if t.name.len() > PG_MAX_BYTES {
            bad.push(format!("table `{}` ({})", t.name, size(&t.name)));
        }
        for c in t.columns.iter().filter(|c| c.name.len() > PG_MAX_BYTES) {
            bad.push(format!(
                "column `{}`.`{}` ({})",
                t.name,
                c.name,
                size(&c.name)
            ));
        }
        if bad.len() > before {
            out.push(t.name.clone());
        }
    }
    if bad.is_empty() {
        return Ok(());
    }
    Err(EngineError::Target(format!(
        "names longer than PostgreSQL's limit of 63 bytes, which it would cut silently: {}; rename them in MySQL, or leave their tables out when dumping or copying ({}); none of the tables was created",
        bad.join(", "),
        excludes(&out)
    )))
}

/// Refuses tables and columns of a PostgreSQL dump that MySQL cannot create as named: a name
/// ending with a space or holding a character outside the BMP, and two columns of a table
/// whose names differ only in case. One error naming each, and the way out.
pub fn check_my_names(tables: &[TablePlan]) -> Result<()> {
    let mut bad = Vec::new();
    let mut out = Vec::new();
    for t in tables {
        let before = bad.len();
        let table = t.display_name();
        if let Some(why) = Rules::Mysql.problem(&t.name) {
            bad.push(format!("table `{table}` {why}"));
        }
        let mut seen: HashMap<String, &str> = HashMap::new();
        for c in &t.columns {
            if let Some(why) = Rules::Mysql.problem(&c.name) {
                bad.push(format!("column `{table}`.`{}` {why}", c.name));
            }
            if let Some(first) = seen.insert(fold(&c.name), &c.name) {
                bad.push(format!(
                    "table `{table}` has columns `{first}` and `{}`, which MySQL cannot tell apart (its column names ignore case)",
                    c.name
                ));
            }
        }
        if bad.len() > before {
            out.push(table);
        }
    }
    if bad.is_empty() {
        return Ok(());
    }
    Err(EngineError::Target(format!(
        "{}; rename them in PostgreSQL, or leave their tables out when dumping or copying ({}); none of the tables was created",
        bad.join("; "),
        excludes(&out)
    )))
}

/// The first two tables a MySQL server with `lower_case_table_names` = `lctn` would take for
/// one (1 or 2: names compared in lowercase; 0: never).
pub fn table_case_clash(tables: &[TablePlan], lctn: u64) -> Option<(&TablePlan, &TablePlan)> {
    if lctn == 0 {
        return None;
    }
    let mut seen: HashMap<String, &TablePlan> = HashMap::new();
    tables
        .iter()
        .find_map(|t| seen.insert(fold(&t.name), t).map(|first| (first, t)))
}

/// Refuses a load or copy into a MySQL server whose `lower_case_table_names` would make two
/// of `m`'s tables one, naming both, before any table is created.
pub async fn check_table_case(conn: &mut Conn, m: &Manifest) -> Result<()> {
    let lctn: Option<u64> = conn
        .query_first("SELECT @@lower_case_table_names")
        .await
        .map_err(|e| EngineError::my("reading lower_case_table_names", e))?;
    let lctn = lctn.unwrap_or(0);
    match table_case_clash(&m.tables, lctn) {
        None => Ok(()),
        Some((a, b)) => Err(EngineError::Target(format!(
            "tables `{}` and `{}` would be one table `{}` in the target, whose lower_case_table_names is {lctn} (table names compared in lowercase); rename one in the source, or leave one out when dumping or copying (--exclude '{}'); none of the tables was created",
            a.display_name(),
            b.display_name(),
            fold(&b.name),
            b.display_name()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use haul_formats::pgtypes::{PgKind, ReadAs};

    use super::*;
    use crate::plan::{ColumnPlan, SplitKind};

    fn table(schema: &str, name: &str, columns: &[&str]) -> TablePlan {
        TablePlan {
            schema: schema.into(),
            name: name.into(),
            dir: String::new(),
            partition_of: None,
            columns: columns
                .iter()
                .map(|c| ColumnPlan {
                    name: c.to_string(),
                    source_type: "int".into(),
                    kind: PgKind::Int4,
                    read_as: ReadAs::Native,
                    nullable: true,
                    mysql: None,
                })
                .collect(),
            key: None,
            estimated_rows: 0,
            rows_guessed: false,
            estimated_bytes: 0,
            split: SplitKind::Whole,
            split_reason: String::new(),
            chunks: Vec::new(),
            arrow_schema: arrow_schema::Schema::empty(),
            warnings: Vec::new(),
            ddl: Default::default(),
            mysql: None,
        }
    }

    #[test]
    fn shortening_is_deterministic_and_fits() {
        let long = format!("orders_{}", "x".repeat(70));
        let a = shorten(&long, Rules::Postgres, 0);
        assert_eq!(a, shorten(&long, Rules::Postgres, 0), "deterministic");
        assert_eq!(a.len(), PG_MAX_BYTES);
        assert!(a.starts_with("orders_xxx"), "{a}");
        assert_ne!(a, shorten(&long, Rules::Postgres, 1), "the seed changes it");
        let my = shorten(&"é".repeat(70), Rules::Mysql, 0);
        assert_eq!(my.chars().count(), MY_MAX_CHARS);
    }

    #[test]
    fn names_sharing_a_long_prefix_stay_apart() {
        let base = "p".repeat(80);
        let mut names = Names::new(Rules::Postgres, "is taken");
        let mut got = HashSet::new();
        for i in 0..500 {
            let (n, why) = names.fit(&format!("{base}{i}"));
            assert!(why.is_some());
            assert!(n.len() <= PG_MAX_BYTES, "{n}");
            assert!(got.insert(n), "two names became one");
        }
        // A name that fits and is free is kept; one that is taken is replaced.
        assert_eq!(names.fit("t_pkey"), ("t_pkey".to_string(), None));
        let (again, why) = names.fit("t_pkey");
        assert_ne!(again, "t_pkey");
        assert_eq!(why, Some("is taken"));
    }

    #[test]
    fn shortening_never_splits_a_character() {
        // Every cut point lands next to or inside a multibyte character somewhere.
        for pad in 0..4 {
            for ch in ['é', '€', '𝄞'] {
                let name: String = "a".repeat(pad) + &ch.to_string().repeat(40);
                let s = shorten(&name, Rules::Postgres, 0);
                assert!(s.len() <= PG_MAX_BYTES, "{s}");
                let (prefix, hash) = s.rsplit_once('_').expect("a suffix");
                assert!(name.starts_with(prefix), "{s} is not a cut of {name}");
                assert_eq!(hash.len(), 8);
                assert!(PG_MAX_BYTES - s.len() < ch.len_utf8(), "cut too short: {s}");
            }
        }
    }

    #[test]
    fn mysql_names_compare_without_case_and_lose_what_mysql_refuses() {
        let mut ix = Names::new(Rules::Mysql, "is taken");
        ix.reserve("PRIMARY");
        assert_eq!(ix.fit("ix").1, None);
        let (upper, why) = ix.fit("IX");
        assert!(
            upper.starts_with("IX_") && why == Some("is taken"),
            "{upper}"
        );
        assert!(ix.fit("Primary").1.is_some());
        let (space, why) = ix.fit("by v ");
        assert!(why.is_some_and(|w| w.contains("space")));
        assert!(!space.ends_with(' '));
        let (astral, _) = ix.fit("tag😀");
        assert!(astral.starts_with("tag__"), "{astral}");
    }

    #[test]
    fn long_postgresql_names_are_refused_naming_them() {
        let ok = table("shop", "orders", &["id"]);
        let long_table = table("shop", &"t".repeat(64), &["id"]);
        let long_column = table("shop", "wide", &["id", &"c".repeat(64)]);
        let multibyte = table("shop", &"é".repeat(40), &["id"]);
        assert!(check_pg_names(std::slice::from_ref(&ok)).is_ok());
        assert!(check_pg_names(&[table("s", &"t".repeat(63), &[&"c".repeat(63)])]).is_ok());
        let e = check_pg_names(&[ok, long_table, long_column, multibyte])
            .expect_err("refused")
            .to_string();
        assert!(
            e.contains(&format!("table `{}` (64 bytes)", "t".repeat(64))),
            "{e}"
        );
        assert!(
            e.contains(&format!("column `wide`.`{}`", "c".repeat(64))),
            "{e}"
        );
        assert!(e.contains("(40 characters, 80 bytes)"), "{e}");
        assert!(
            e.contains("--exclude 'wide'") && !e.contains("'orders'"),
            "{e}"
        );
        assert!(e.contains("63 bytes"), "{e}");
    }

    #[test]
    fn names_mysql_cannot_create_are_refused_naming_them() {
        assert!(check_my_names(&[table("public", "t", &["a", "b"])]).is_ok());
        let e = check_my_names(&[table("public", "t", &["id", "a", "A"])])
            .expect_err("a and A")
            .to_string();
        assert!(e.contains("`public.t` has columns `a` and `A`"), "{e}");
        assert!(e.contains("--exclude 'public.t'"), "{e}");
        let e = check_my_names(&[table("public", "t ", &["x "])])
            .expect_err("trailing spaces")
            .to_string();
        assert!(e.contains("table `public.t ` ends with a space"), "{e}");
        assert!(
            e.contains("column `public.t `.`x ` ends with a space"),
            "{e}"
        );
    }

    #[test]
    fn tables_differing_in_case_clash_only_when_the_server_folds_them() {
        let tables = [
            table("public", "Orders", &[]),
            table("public", "items", &[]),
            table("public", "orders", &[]),
        ];
        assert!(table_case_clash(&tables, 0).is_none());
        for lctn in [1, 2] {
            let (a, b) = table_case_clash(&tables, lctn).expect("a clash");
            assert_eq!((a.name.as_str(), b.name.as_str()), ("Orders", "orders"));
        }
        assert!(table_case_clash(&tables[..2], 1).is_none());
    }
}
