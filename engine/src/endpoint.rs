//! Where data comes from or goes: a database URL or a dump directory.
//!
//! Passwords come from the URL, `PGPASSWORD`, or `~/.pgpass` (`PGPASSFILE`), and are never
//! printed: [`Endpoint`]'s `Display` drops them.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use crate::error::{EngineError, Result};

/// A source or target.
#[derive(Debug, Clone)]
pub enum Endpoint {
    /// A PostgreSQL database.
    Postgres(Box<PgEndpoint>),
    /// A MySQL or MariaDB database.
    MySql(Box<MyEndpoint>),
    /// A dump directory.
    Dir(PathBuf),
}

/// A PostgreSQL connection description, password resolved, safe to display.
#[derive(Clone)]
pub struct PgEndpoint {
    pub(crate) config: tokio_postgres::Config,
    display: String,
}

impl fmt::Debug for PgEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PgEndpoint").field(&self.display).finish()
    }
}

impl fmt::Display for PgEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display)
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::Postgres(pg) => pg.fmt(f),
            Endpoint::MySql(my) => my.fmt(f),
            Endpoint::Dir(p) => write!(f, "{}", p.display()),
        }
    }
}

impl Endpoint {
    /// Parses `postgres://…`, `postgresql://…`, or a directory path.
    pub fn parse(s: &str) -> Result<Self> {
        let lower = s.to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            return PgEndpoint::parse(s).map(|p| Endpoint::Postgres(Box::new(p)));
        }
        if lower.starts_with("mysql://") || lower.starts_with("mariadb://") {
            return MyEndpoint::parse(s).map(|m| Endpoint::MySql(Box::new(m)));
        }
        if lower.contains("://") {
            return Err(EngineError::Usage(format!(
                "`{}`: unknown URL scheme (expected postgres://, mysql://, mariadb:// or a directory)",
                redact_url(s)
            )));
        }
        Ok(Endpoint::Dir(PathBuf::from(s)))
    }
}

impl PgEndpoint {
    /// Parses a `postgres://user[:password]@host[:port]/db[?…]` URL and fills in what libpq
    /// would: user from `PGUSER`/`USER`, host from `PGHOST` (else localhost), port from `PGPORT`,
    /// database = user, password from `PGPASSWORD` or the pgpass file.
    pub fn parse(url: &str) -> Result<Self> {
        let mut config = tokio_postgres::Config::from_str(url).map_err(|e| {
            EngineError::Usage(format!("invalid PostgreSQL URL `{}`: {e}", redact_url(url)))
        })?;
        if config.get_user().is_none() {
            let user = std::env::var("PGUSER")
                .or_else(|_| std::env::var("USER"))
                .unwrap_or_else(|_| "postgres".to_string());
            config.user(user);
        }
        if config.get_hosts().is_empty() {
            config.host(std::env::var("PGHOST").as_deref().unwrap_or("localhost"));
        }
        if config.get_ports().is_empty()
            && let Some(port) = std::env::var("PGPORT").ok().and_then(|p| p.parse().ok())
        {
            config.port(port);
        }
        if config.get_dbname().is_none() {
            let user = config.get_user().unwrap_or("postgres").to_string();
            config.dbname(user);
        }
        let host = match config.get_hosts().first() {
            Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
            #[cfg(unix)]
            Some(tokio_postgres::config::Host::Unix(p)) => p.display().to_string(),
            None => "localhost".to_string(),
        };
        let port = config.get_ports().first().copied().unwrap_or(5432);
        let user = config.get_user().unwrap_or_default().to_string();
        let db = config.get_dbname().unwrap_or_default().to_string();
        if config.get_password().is_none() {
            if let Ok(pw) = std::env::var("PGPASSWORD") {
                config.password(pw);
            } else if let Some(pw) = pgpass_lookup(&host, port, &db, &user) {
                config.password(pw);
            }
        }
        config.application_name("haul");
        config.connect_timeout(std::time::Duration::from_secs(15));
        config.keepalives_idle(std::time::Duration::from_secs(30));
        let display = format!("postgres://{user}@{host}:{port}/{db}");
        Ok(Self { config, display })
    }

    /// The database name.
    pub fn dbname(&self) -> &str {
        self.config.get_dbname().unwrap_or_default()
    }

    /// The user name.
    pub fn user(&self) -> &str {
        self.config.get_user().unwrap_or_default()
    }
}

/// A MySQL/MariaDB connection description, password resolved, safe to display.
#[derive(Clone)]
pub struct MyEndpoint {
    pub(crate) opts: mysql_async::Opts,
    display: String,
}

impl fmt::Debug for MyEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("MyEndpoint").field(&self.display).finish()
    }
}

impl fmt::Display for MyEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display)
    }
}

impl MyEndpoint {
    /// Parses `mysql://user[:password]@host[:port]/db[?…]` (or `mariadb://…`). The user
    /// defaults to `USER`, the password to `MYSQL_PWD`; the database is required.
    pub fn parse(url: &str) -> Result<Self> {
        let normalized = match url.split_once("://") {
            Some((_, rest)) => format!("mysql://{rest}"),
            None => url.to_string(),
        };
        let opts = mysql_async::Opts::from_url(&normalized).map_err(|e| {
            EngineError::Usage(format!("invalid MySQL URL `{}`: {e}", redact_url(url)))
        })?;
        let Some(db) = opts.db_name().filter(|d| !d.is_empty()).map(str::to_string) else {
            return Err(EngineError::Usage(format!(
                "`{}`: name the database in the URL (mysql://user@host:port/DATABASE)",
                redact_url(url)
            )));
        };
        let user = opts
            .user()
            .map(str::to_string)
            .or_else(|| std::env::var("USER").ok())
            .unwrap_or_else(|| "root".to_string());
        let pass = opts
            .pass()
            .map(str::to_string)
            .or_else(|| std::env::var("MYSQL_PWD").ok());
        let host = opts.ip_or_hostname().to_string();
        let port = opts.tcp_port();
        let builder = mysql_async::OptsBuilder::from_opts(opts)
            .user(Some(user.clone()))
            .pass(pass)
            .prefer_socket(false);
        let display = format!("mysql://{user}@{host}:{port}/{db}");
        Ok(Self {
            opts: builder.into(),
            display,
        })
    }

    /// The database name.
    pub fn dbname(&self) -> &str {
        self.opts.db_name().unwrap_or_default()
    }

    /// The user name.
    pub fn user(&self) -> &str {
        self.opts.user().unwrap_or_default()
    }
}

/// Looks a password up in the pgpass file (`PGPASSFILE` or `~/.pgpass`), libpq's format:
/// `host:port:database:user:password`, `*` matches anything, `\` escapes `:` and `\`.
fn pgpass_lookup(host: &str, port: u16, db: &str, user: &str) -> Option<String> {
    let path = match std::env::var_os("PGPASSFILE") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(std::env::var_os("HOME")?).join(".pgpass"),
    };
    let text = std::fs::read_to_string(path).ok()?;
    let port = port.to_string();
    let want = [host, port.as_str(), db, user];
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let fields = split_pgpass(line);
        if fields.len() != 5 {
            continue;
        }
        let matches = fields[..4]
            .iter()
            .zip(want)
            .all(|(f, w)| f == "*" || f == w || (w.starts_with('/') && f == "localhost"));
        if matches {
            return Some(fields[4].clone());
        }
    }
    None
}

fn split_pgpass(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    fields.last_mut().expect("never empty").push(n);
                }
            }
            ':' => fields.push(String::new()),
            c => fields.last_mut().expect("never empty").push(c),
        }
    }
    fields
}

/// Drops the password from a URL for messages.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    match authority.rfind('@') {
        Some(at) => {
            let userinfo = &authority[..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}{}{}", &url[..scheme_end + 3], user, &rest[at..])
        }
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact_url("postgres://u:secret@h:5/db"),
            "postgres://u@h:5/db"
        );
        assert_eq!(redact_url("postgres://h/db"), "postgres://h/db");
        let e = Endpoint::parse("postgres://u:secret@127.0.0.1:5433/db").expect("parses");
        assert_eq!(e.to_string(), "postgres://u@127.0.0.1:5433/db");
        assert!(!format!("{e:?}").contains("secret"));
    }

    #[test]
    fn pgpass_fields_unescape() {
        assert_eq!(
            split_pgpass(r"h:5432:db:u:p\:w\\d"),
            ["h", "5432", "db", "u", r"p:w\d"]
        );
    }

    #[test]
    fn parses_mysql_urls() {
        let e = Endpoint::parse("mariadb://u:secret@127.0.0.1:3307/shop").expect("parses");
        assert_eq!(e.to_string(), "mysql://u@127.0.0.1:3307/shop");
        assert!(!format!("{e:?}").contains("secret"));
        assert!(Endpoint::parse("mysql://u@127.0.0.1:3306").is_err());
    }

    #[test]
    fn rejects_unknown_schemes() {
        assert!(Endpoint::parse("oracle://x/y").is_err());
        assert!(matches!(Endpoint::parse("/tmp/dump"), Ok(Endpoint::Dir(_))));
    }
}
