//! The type table's cases as the load round trip needs them: table, type, literals and what
//! the case requires. The expected Arrow values are not needed here: a load is checked
//! against the source database itself.

/// One column type of the dump tests' table.
#[derive(Debug, Clone)]
pub struct TypeCase {
    pub table: String,
    pub ty: String,
    /// SQL literals, in id order (ids 1..=n; the tests add a NULL as id n+1).
    pub literals: Vec<String>,
    /// `Requires::Pg(n)`: the least `server_version_num`.
    pub min_version: u32,
    /// `Requires::Extension(name)`.
    pub extension: Option<String>,
}

/// Every case of the type table (tools/tests/types_support/cases.rs), in order.
pub fn type_cases() -> Vec<TypeCase> {
    use crate::types_support::Requires;
    use crate::types_support::cases::{ARRAYS, AS_TEXT, NUMBERS, TEMPORAL, TEXTS};
    [NUMBERS, TEXTS, TEMPORAL, ARRAYS, AS_TEXT]
        .iter()
        .flat_map(|cases| cases.iter())
        .map(|c| TypeCase {
            table: c.table().to_string(),
            ty: c.ty().to_string(),
            literals: c.literals().map(str::to_string).collect(),
            min_version: match c.needs() {
                Requires::Pg(n) => n,
                _ => 0,
            },
            extension: match c.needs() {
                Requires::Extension(e) => Some(e.to_string()),
                _ => None,
            },
        })
        .collect()
}
