//! `--tables` / `--exclude`: which tables a run covers.
//!
//! A pattern with a dot (`sales.order*`) matches `schema.table`; a pattern without one
//! (`order*`) matches the table name in any schema. `*`, `?` and `[…]` are globs; matching is
//! case-sensitive, as PostgreSQL stores names. Every `--tables` pattern must match at least one
//! table, so a typo is an error rather than a silently smaller dump.

use globset::{Glob, GlobMatcher};

use crate::error::{EngineError, Result};

#[derive(Debug, Clone)]
struct Pattern {
    text: String,
    qualified: bool,
    matcher: GlobMatcher,
}

impl Pattern {
    fn parse(text: &str) -> Result<Self> {
        let glob = Glob::new(text)
            .map_err(|e| EngineError::Usage(format!("invalid table pattern `{text}`: {e}")))?;
        Ok(Self {
            text: text.to_string(),
            qualified: text.contains('.'),
            matcher: glob.compile_matcher(),
        })
    }

    fn matches(&self, schema: &str, table: &str) -> bool {
        if self.qualified {
            self.matcher.is_match(format!("{schema}.{table}"))
        } else {
            self.matcher.is_match(table)
        }
    }
}

/// Include and exclude patterns.
#[derive(Debug, Clone, Default)]
pub struct TableFilter {
    include: Vec<Pattern>,
    exclude: Vec<Pattern>,
}

impl TableFilter {
    /// Builds a filter; no include pattern means every table.
    pub fn try_new(include: &[String], exclude: &[String]) -> Result<Self> {
        Ok(Self {
            include: include
                .iter()
                .map(|p| Pattern::parse(p))
                .collect::<Result<_>>()?,
            exclude: exclude
                .iter()
                .map(|p| Pattern::parse(p))
                .collect::<Result<_>>()?,
        })
    }

    /// True when no pattern was given.
    pub fn is_empty(&self) -> bool {
        self.include.is_empty() && self.exclude.is_empty()
    }

    /// Whether an include pattern (or none at all) selects the table.
    pub fn includes(&self, schema: &str, table: &str) -> bool {
        self.include.is_empty() || self.include.iter().any(|p| p.matches(schema, table))
    }

    /// Whether an exclude pattern drops the table.
    pub fn excludes(&self, schema: &str, table: &str) -> bool {
        self.exclude.iter().any(|p| p.matches(schema, table))
    }

    /// Errors when an include pattern matches none of `tables`, naming it.
    pub fn check_all_matched<'a>(
        &self,
        tables: impl Iterator<Item = (&'a str, &'a str)> + Clone,
    ) -> Result<()> {
        for p in &self.include {
            if !tables.clone().any(|(s, t)| p.matches(s, t)) {
                let hint = if p.qualified {
                    "patterns with a dot match schema.table"
                } else {
                    "patterns without a dot match the table name in any schema"
                };
                return Err(EngineError::Usage(format!(
                    "--tables `{}` matches no table ({hint}; names are case-sensitive; `haul plan` lists the tables)",
                    p.text
                )));
            }
        }
        Ok(())
    }

    /// The patterns, for messages.
    pub fn describe(&self) -> String {
        let inc: Vec<&str> = self.include.iter().map(|p| p.text.as_str()).collect();
        let exc: Vec<&str> = self.exclude.iter().map(|p| p.text.as_str()).collect();
        format!("--tables {:?} --exclude {:?}", inc, exc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qualified_and_bare_patterns() {
        let f = TableFilter::try_new(&["sales.ord*".into(), "Users".into()], &["*_old".into()])
            .expect("valid");
        assert!(f.includes("sales", "orders"));
        assert!(!f.includes("public", "orders"));
        assert!(f.includes("any", "Users"));
        assert!(!f.includes("any", "users"));
        assert!(f.excludes("x", "orders_old"));
        let tables = [("public", "a")];
        assert!(f.check_all_matched(tables.iter().copied()).is_err());
    }
}
