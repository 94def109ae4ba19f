//! A MySQL/MariaDB database per test, dropped afterwards: the counterpart of [`crate::PgTestDb`].
//!
//! The server comes from `HAUL_TEST_MYSQL_URL` (default `mysql://root@127.0.0.1:3306/mysql`, an
//! admin URL whose database the helper connects to in order to create and drop test databases).
//! When the server cannot be reached, [`MyTestDb::create`] prints why and returns `None` (the
//! test is skipped) — except under `CI=true` ([`crate::in_ci`]), where it panics.
//!
//! Every call opens its own connection (text protocol, `utf8mb4` connection character set) and
//! closes it, on the helper runtime of [`crate::block_on`], so it works from any test.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Opts, Row, Value};

use crate::{block_on, in_ci, with_dbname};

/// The admin URL of the test MySQL/MariaDB server.
pub fn mysql_admin_url() -> String {
    std::env::var("HAUL_TEST_MYSQL_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/mysql".to_string())
}

/// The longest database name MySQL accepts.
const MAX_NAME: usize = 64;

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// The server's message for an error (`ERROR 1064 (42000): You have an error …` for a server
/// error, the driver's text otherwise).
fn message(e: &mysql_async::Error) -> String {
    match e {
        mysql_async::Error::Server(s) => s.to_string(),
        other => other.to_string(),
    }
}

async fn connect(url: &str) -> Result<Conn, String> {
    let opts = Opts::from_url(url).map_err(|e| format!("bad MySQL URL: {e}"))?;
    Conn::new(opts).await.map_err(|e| message(&e))
}

/// Runs SQL on the database at `url` in a new session (for a test's own writer thread).
pub fn exec_at(url: &str, sql: &str) -> Result<(), String> {
    block_on(exec_on(url.to_string(), sql.to_string()))
}

/// Runs a batch of statements; every result set is read and dropped.
async fn exec_on(url: String, sql: String) -> Result<(), String> {
    let mut conn = connect(&url).await?;
    let result = conn.query_drop(sql).await.map_err(|e| message(&e));
    let _ = conn.disconnect().await;
    result
}

/// Runs a batch of statements and returns the rows of every result set, in order, each value
/// as text.
async fn query_on(url: String, sql: String) -> Result<Vec<Vec<Option<String>>>, String> {
    let mut conn = connect(&url).await?;
    let rows = async {
        let mut out = Vec::new();
        let mut result = conn.query_iter(sql).await.map_err(|e| message(&e))?;
        while !result.is_empty() {
            let rows: Vec<Row> = result.collect().await.map_err(|e| message(&e))?;
            out.extend(
                rows.into_iter()
                    .map(|r| r.unwrap().into_iter().map(text).collect()),
            );
        }
        Ok(out)
    }
    .await;
    let _ = conn.disconnect().await;
    rows
}

/// A text-protocol value as text: NULL → `None`; bytes as UTF-8, invalid sequences replaced by
/// U+FFFD (select `HEX(col)` for exact bytes).
fn text(v: Value) -> Option<String> {
    match v {
        Value::NULL => None,
        Value::Bytes(b) => Some(String::from_utf8_lossy(&b).into_owned()),
        // The text protocol sends every value as bytes; the others only come from prepared
        // statements, which this helper never uses.
        other => Some(other.as_sql(true)),
    }
}

/// A database created for one test (`CHARACTER SET utf8mb4`) and dropped when this value is
/// dropped.
#[derive(Debug)]
pub struct MyTestDb {
    name: String,
    url: String,
    admin: String,
}

impl MyTestDb {
    /// Creates `haul_t_<tag>_<pid>_<counter>_<nanos>` (at most 64 characters; the tag is cut
    /// to 24); `None` (after printing why) when the server is not reachable and not under CI.
    pub fn create(tag: &str) -> Option<Self> {
        let admin = mysql_admin_url();
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let tag: String = tag
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(24)
            .collect();
        let name = format!(
            "haul_t_{}_{}_{}_{}",
            tag.to_ascii_lowercase(),
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            nanos % 100_000
        );
        assert!(name.len() <= MAX_NAME, "database name too long: {name}");
        let created = block_on(exec_on(
            admin.clone(),
            format!("CREATE DATABASE `{name}` CHARACTER SET utf8mb4"),
        ));
        match created {
            Ok(()) => Some(Self {
                url: with_dbname(&admin, &name),
                name,
                admin,
            }),
            Err(e) => {
                let msg = format!(
                    "MySQL/MariaDB not reachable at {admin} (set HAUL_TEST_MYSQL_URL): {e}"
                );
                if in_ci() {
                    panic!("{msg}");
                }
                eprintln!("skipping: {msg}");
                None
            }
        }
    }

    /// The test database's URL (the admin URL with this database).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The database name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Runs SQL (several statements separated by `;` allowed, in one session) in the test
    /// database; panics with the server's message.
    pub fn exec(&self, sql: &str) {
        self.try_exec(sql)
            .unwrap_or_else(|e| panic!("SQL failed: {e}\n{sql}"));
    }

    /// Runs SQL (several statements allowed, in one session) and returns the server's message
    /// instead of panicking.
    pub fn try_exec(&self, sql: &str) -> Result<(), String> {
        block_on(exec_on(self.url.clone(), sql.to_string()))
    }

    /// Runs SQL (several statements allowed, in one session, e.g. `SET time_zone = …; SELECT …`)
    /// over the text protocol and returns the rows of every result set in order, each value as
    /// the server's text (NULL → `None`). Bytes that are not UTF-8 are replaced by U+FFFD:
    /// select `HEX(col)` to compare binary values exactly.
    pub fn query_strings(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        block_on(query_on(self.url.clone(), sql.to_string()))
            .unwrap_or_else(|e| panic!("query failed: {e}\n{sql}"))
    }

    /// The first column of the first row.
    pub fn scalar(&self, sql: &str) -> Option<String> {
        self.query_strings(sql)
            .into_iter()
            .next()
            .and_then(|r| r.into_iter().next().flatten())
    }
}

impl Drop for MyTestDb {
    fn drop(&mut self) {
        let _ = block_on(exec_on(
            self.admin.clone(),
            format!("DROP DATABASE IF EXISTS `{}`", self.name),
        ));
    }
}
