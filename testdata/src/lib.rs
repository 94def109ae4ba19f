//! Test helpers: a uniquely named database per test on the real servers, dropped afterwards.
//!
//! Server addresses come from `HAUL_TEST_PG_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`, a maintenance database the helper connects
//! to in order to create and drop test databases). When a server cannot be reached, a test is
//! skipped with a message — except under `CI=true`, where it fails.
//!
//! The helpers are synchronous (they run their own small runtime on a separate thread), so
//! they work the same from `#[test]` and `#[tokio::test]` functions.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

pub mod mysql;
pub use mysql::MyTestDb;

/// The admin URL of the test PostgreSQL server.
pub fn pg_admin_url() -> String {
    std::env::var("HAUL_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

/// True when running under CI (`CI=true`): unreachable servers fail tests instead of skipping.
pub fn in_ci() -> bool {
    std::env::var("CI")
        .map(|v| v == "true" || v == "1")
        .unwrap_or(false)
}

/// Replaces the database name of a `postgres://…/db[?…]` URL.
pub fn with_dbname(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let path_start = base[scheme_end..]
        .find('/')
        .map(|i| i + scheme_end)
        .unwrap_or(base.len());
    let mut out = format!("{}/{db}", &base[..path_start]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// Runs async work on a fresh current-thread runtime on its own OS thread and waits for it.
pub fn block_on<F, T>(f: F) -> T
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a test runtime")
            .block_on(f)
    })
    .join()
    .expect("the helper thread panicked")
}

async fn connect(url: String) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(client)
}

/// A database created for one test and dropped (with `FORCE`) when this value is dropped.
#[derive(Debug)]
pub struct PgTestDb {
    name: String,
    url: String,
    admin: String,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl PgTestDb {
    /// Creates `haul_t_<tag>_<unique>`; `None` (after printing why) when PostgreSQL is not
    /// reachable and not under CI.
    pub fn create(tag: &str) -> Option<Self> {
        let admin = pg_admin_url();
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
        let a = admin.clone();
        let n = name.clone();
        let created = block_on(async move {
            let client = connect(a).await?;
            client
                .batch_execute(&format!("CREATE DATABASE \"{n}\""))
                .await
        });
        match created {
            Ok(()) => Some(Self {
                url: with_dbname(&admin, &name),
                name,
                admin,
            }),
            Err(e) => {
                let msg =
                    format!("PostgreSQL not reachable at {admin} (set HAUL_TEST_PG_URL): {e}");
                if in_ci() {
                    panic!("{msg}");
                }
                eprintln!("skipping: {msg}");
                None
            }
        }
    }

    /// The test database's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The database name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Runs SQL (several statements allowed) in the test database.
    pub fn exec(&self, sql: &str) {
        let url = self.url.clone();
        let sql = sql.to_string();
        block_on(async move {
            let client = connect(url).await.expect("connect to the test database");
            client
                .batch_execute(&sql)
                .await
                .map_err(|e| format!("{e:?}"))
        })
        .unwrap_or_else(|e| panic!("SQL failed: {e}"));
    }

    /// Runs a query and returns every row as text columns (NULL → None).
    pub fn query(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        let url = self.url.clone();
        let sql = sql.to_string();
        block_on(async move {
            let client = connect(url).await.expect("connect to the test database");
            let msgs = client
                .simple_query(&sql)
                .await
                .map_err(|e| format!("{e:?}"))?;
            let mut rows = Vec::new();
            for m in msgs {
                if let tokio_postgres::SimpleQueryMessage::Row(r) = m {
                    rows.push((0..r.len()).map(|i| r.get(i).map(str::to_string)).collect());
                }
            }
            Ok::<_, String>(rows)
        })
        .unwrap_or_else(|e| panic!("query failed: {e}"))
    }

    /// The first column of the first row.
    pub fn scalar(&self, sql: &str) -> Option<String> {
        self.query(sql)
            .into_iter()
            .next()
            .and_then(|r| r.into_iter().next().flatten())
    }
}

impl Drop for PgTestDb {
    fn drop(&mut self) {
        let admin = self.admin.clone();
        let name = self.name.clone();
        let _ = block_on(async move {
            let client = connect(admin).await?;
            client
                .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .await
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_database_name() {
        assert_eq!(
            with_dbname("postgres://u@h:1/postgres", "x"),
            "postgres://u@h:1/x"
        );
        assert_eq!(
            with_dbname("postgres://u@h:1/postgres?sslmode=disable", "x"),
            "postgres://u@h:1/x?sslmode=disable"
        );
        assert_eq!(with_dbname("postgres://u@h:1", "x"), "postgres://u@h:1/x");
    }
}
