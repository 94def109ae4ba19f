//! Connecting to MySQL/MariaDB with the session settings every haul connection uses.

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Error as MyError};

use crate::endpoint::MyEndpoint;
use crate::error::{EngineError, Result, my_message};

/// Session settings: values in UTC (TIMESTAMP is converted to the session zone on the way
/// out), utf8mb4 results whatever the column's character set, and network timeouts long
/// enough for a slow sink (the server drops a connection whose client does not read for
/// `net_write_timeout` seconds).
const SESSION_INIT: &str = "SET time_zone = '+00:00', NAMES utf8mb4, \
     SESSION net_write_timeout = 3600, SESSION net_read_timeout = 3600";

/// Connects and applies the session settings; errors say what to check.
pub async fn connect(ep: &MyEndpoint) -> Result<Conn> {
    let mut conn = Conn::new(ep.opts.clone())
        .await
        .map_err(|e| connect_error(ep, e))?;
    conn.query_drop(SESSION_INIT)
        .await
        .map_err(|e| EngineError::my("setting up the session", e))?;
    Ok(conn)
}

fn connect_error(ep: &MyEndpoint, e: MyError) -> EngineError {
    let reason = match &e {
        MyError::Server(s) if s.code == 1045 || s.code == 1698 => format!(
            "{} (check the user and password in the URL or MYSQL_PWD)",
            s.message
        ),
        MyError::Server(s) if s.code == 1049 => {
            format!("{} (create it first, or check the name)", s.message)
        }
        MyError::Io(io) => format!("{io} (is the server running and reachable?)"),
        _ => my_message(&e),
    };
    EngineError::Connect {
        endpoint: ep.to_string(),
        reason,
    }
}

/// The server's version string (`10.11.19-MariaDB-…`, `8.0.36`).
pub async fn server_version(conn: &mut Conn) -> Result<String> {
    let v: Option<String> = conn
        .query_first("SELECT VERSION()")
        .await
        .map_err(|e| EngineError::my("reading the server version", e))?;
    Ok(v.unwrap_or_default())
}

/// True for MariaDB (its version string says so).
pub fn is_mariadb(version: &str) -> bool {
    version.to_ascii_lowercase().contains("mariadb")
}
