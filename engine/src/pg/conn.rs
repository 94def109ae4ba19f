//! Opening PostgreSQL sessions the way haul needs them.

use tokio_postgres::{Client, NoTls};

use crate::endpoint::PgEndpoint;
use crate::error::{EngineError, Result, pg_message};

/// Session settings for every haul connection: unambiguous text forms (ISO dates, UTC,
/// round-trip floats), an empty search_path so `format_type` and the `pg_get_*def` functions
/// schema-qualify every user object (as pg_dump does; `pg_catalog` is still searched), no
/// timeouts that would kill a long COPY, row security off so a policy makes the read fail
/// loudly instead of silently returning fewer rows.
const SESSION_SETUP: &str = "SET client_encoding = 'UTF8'; \
     SET search_path = ''; \
     SET DateStyle = 'ISO, YMD'; \
     SET IntervalStyle = 'postgres'; \
     SET TimeZone = 'UTC'; \
     SET extra_float_digits = 3; \
     SET standard_conforming_strings = on; \
     SET statement_timeout = 0; \
     SET lock_timeout = 0; \
     SET idle_in_transaction_session_timeout = 0; \
     SET synchronize_seqscans = off; \
     SET row_security = off;";

/// Connects and applies haul's session settings. The connection runs on its own task.
pub async fn connect(endpoint: &PgEndpoint) -> Result<Client> {
    let (client, connection) = endpoint
        .config
        .connect(NoTls)
        .await
        .map_err(|e| connect_error(endpoint, &e))?;
    tokio::spawn(async move {
        // The client sees a closed connection as an error on its next call; nothing to do here.
        let _ = connection.await;
    });
    client
        .batch_execute(SESSION_SETUP)
        .await
        .map_err(|e| EngineError::pg(format!("setting up a session on {endpoint}"), e))?;
    Ok(client)
}

/// Turns a connection failure into one line that says what to do.
fn connect_error(endpoint: &PgEndpoint, e: &tokio_postgres::Error) -> EngineError {
    let reason = match e.code().map(|c| c.code()) {
        Some("28P01") => format!(
            "{} — check the password (URL, PGPASSWORD or ~/.pgpass)",
            pg_message(e)
        ),
        Some("28000") => format!("{} — check the user name and pg_hba.conf", pg_message(e)),
        Some("3D000") => format!(
            "{} — check the database name in the URL (`psql -l` lists them)",
            pg_message(e)
        ),
        Some("53300") => format!(
            "{} — the server has no free connection slots",
            pg_message(e)
        ),
        Some(_) => pg_message(e),
        None => {
            let msg = pg_message(e);
            if msg.contains("Connection refused") || msg.contains("connection refused") {
                format!("{msg} — is the server running and listening on that host and port?")
            } else if msg.contains("TLS") || msg.contains("tls") {
                format!("{msg} — haul connects without TLS; use sslmode=disable or prefer")
            } else {
                msg
            }
        }
    };
    EngineError::Connect {
        endpoint: endpoint.to_string(),
        reason,
    }
}
