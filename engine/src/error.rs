//! The one error type of the engine. Context is added once, where it is known: a chunk error
//! names its chunk, a codec error its table and chunk, a database error its SQLSTATE.

use std::io;
use std::path::PathBuf;

use haul_formats::FormatError;

/// What went wrong, with where.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// Bad arguments: a malformed URL, a glob matching no table, an unknown option value.
    #[error("{0}")]
    Usage(String),

    /// Could not connect or authenticate.
    #[error("cannot connect to {endpoint}: {reason}")]
    Connect { endpoint: String, reason: String },

    /// A statement failed on a server; `what` says which step.
    #[error("{what}: {}", pg_message(source))]
    Postgres {
        what: String,
        source: tokio_postgres::Error,
    },

    /// A statement failed on a MySQL/MariaDB server; `what` says which step.
    #[error("{what}: {}", my_message(cause))]
    MySql {
        what: String,
        cause: mysql_async::Error,
    },

    /// A codec error inside a chunk.
    #[error("chunk `{chunk}`: {cause}")]
    Format {
        chunk: String,
        cause: Box<FormatError>,
    },

    /// A valid source value the planned Arrow type cannot hold; `hint` says how to carry it.
    #[error("chunk `{chunk}`: {cause}; {hint}")]
    Unrepresentable {
        chunk: String,
        cause: Box<FormatError>,
        hint: String,
    },

    /// A file-system error on a path.
    #[error("{what} `{}`: {}", path.display(), io_message(source))]
    Io {
        what: &'static str,
        path: PathBuf,
        source: io::Error,
    },

    /// The dump directory cannot be used as asked (another source, another schema, not a dump).
    #[error("{0}")]
    Directory(String),

    /// The manifest or journal is unreadable or inconsistent.
    #[error("manifest `{}`: {reason}", path.display())]
    Manifest { path: PathBuf, reason: String },

    /// The source changed under the run in a way that stops it (a table dropped or altered).
    #[error("{0}")]
    SourceChanged(String),

    /// An error tied to one chunk of one table.
    #[error("chunk `{chunk}`: {cause}")]
    Chunk {
        chunk: String,
        cause: Box<EngineError>,
    },

    /// The target cannot take the load as asked (tables exist, incompatible columns, a type
    /// it cannot create); nothing was changed.
    #[error("{0}")]
    Target(String),

    /// Rows read back do not match what the dump recorded for them.
    #[error("{0}")]
    ChecksumMismatch(String),

    /// A chunk's reader found its writer gone; the writer's own error says why.
    #[error("the chunk's writer stopped")]
    WriterStopped,

    /// The run was interrupted (Ctrl-C); everything committed so far is kept.
    #[error("interrupted")]
    Interrupted,

    /// Anything else the engine knows to be wrong, said plainly.
    #[error("{0}")]
    Other(String),
}

/// Result alias for the engine.
pub type Result<T, E = EngineError> = std::result::Result<T, E>;

impl EngineError {
    /// Wraps a database error with the step that failed.
    pub fn pg(what: impl Into<String>, source: tokio_postgres::Error) -> Self {
        Self::Postgres {
            what: what.into(),
            source,
        }
    }

    /// Wraps a MySQL/MariaDB error with the step that failed.
    pub fn my(what: impl Into<String>, cause: mysql_async::Error) -> Self {
        let what = what.into();
        // The driver refuses a packet over the server's max_allowed_packet (a row too large
        // to send or receive): retrying cannot help.
        if cause.to_string().contains("max_allowed_packet") {
            return Self::Target(format!(
                "{what}: a row is larger than the server's max_allowed_packet; raise it (`SET GLOBAL max_allowed_packet = 1073741824`, or max_allowed_packet under [mysqld] in my.cnf) and rerun the same command"
            ));
        }
        Self::MySql { what, cause }
    }

    /// Wraps an I/O error with what was being done to which path.
    pub fn io(what: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Self::Io {
            what,
            path: path.into(),
            source,
        }
    }

    /// Attaches a chunk id (once: an error that already names a chunk is left alone).
    pub fn in_chunk(self, chunk: &str) -> Self {
        match self {
            e @ (Self::Chunk { .. } | Self::Format { .. } | Self::Unrepresentable { .. }) => e,
            e => Self::Chunk {
                chunk: chunk.to_string(),
                cause: Box::new(e),
            },
        }
    }

    /// The message without the chunk id, for places that show the chunk next to it.
    pub fn detail(&self) -> String {
        match self {
            Self::Chunk { cause, .. } => cause.detail(),
            Self::Format { cause, .. } => cause.to_string(),
            Self::Unrepresentable { cause, hint, .. } => format!("{cause}; {hint}"),
            e => e.to_string(),
        }
    }

    /// The innermost error, through chunk wrappers.
    pub fn root(&self) -> &EngineError {
        match self {
            Self::Chunk { cause, .. } => cause.root(),
            e => e,
        }
    }

    /// True when retrying the same work may succeed: a dropped connection, a serialization
    /// failure or deadlock, a killed backend, an I/O hiccup on the wire.
    pub fn is_retryable(&self) -> bool {
        match self.root() {
            Self::Postgres { source, .. } => pg_is_retryable(source),
            Self::MySql { cause, .. } => my_is_retryable(cause),
            _ => false,
        }
    }

    /// True when the whole run must stop (no point going on with other chunks): disk full,
    /// the snapshot lost, the source altered, interrupted.
    pub fn is_fatal(&self) -> bool {
        match self.root() {
            Self::Io { source, .. } => is_disk_full(source),
            Self::SourceChanged(_) | Self::Interrupted | Self::Directory(_) | Self::Target(_) => {
                true
            }
            Self::Connect { .. } => true,
            _ => false,
        }
    }
}

/// True for "no space left" and "quota exceeded" errors.
pub fn is_disk_full(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded
    ) || matches!(e.raw_os_error(), Some(libc::ENOSPC) | Some(libc::EDQUOT))
}

fn io_message(e: &io::Error) -> String {
    if is_disk_full(e) {
        format!("{e} (disk full: free some space, then rerun the same command to resume)")
    } else if e.raw_os_error() == Some(libc::EROFS) {
        format!("{e} (the file system is read-only: choose a writable directory)")
    } else {
        e.to_string()
    }
}

/// SQLSTATE classes worth a retry: connection exceptions (08), serialization failure and
/// deadlock (40001, 40P01), operator intervention such as a terminated backend (57P01..03).
fn pg_is_retryable(e: &tokio_postgres::Error) -> bool {
    if e.is_closed() {
        return true;
    }
    match e.code() {
        Some(code) => {
            let c = code.code();
            c.starts_with("08") || c == "40001" || c == "40P01" || c.starts_with("57P")
        }
        // No SQLSTATE: an I/O error on the socket, an unexpected EOF.
        None => e.as_db_error().is_none(),
    }
}

/// Lost connections and the server's deadlock (1213) and lock wait timeout (1205).
fn my_is_retryable(e: &mysql_async::Error) -> bool {
    match e {
        mysql_async::Error::Io(_) => true,
        mysql_async::Error::Driver(mysql_async::DriverError::ConnectionClosed) => true,
        mysql_async::Error::Server(s) => matches!(s.code, 1205 | 1213 | 1927 | 2006 | 2013),
        _ => false,
    }
}

/// A MySQL error as one line: the server's message with its error code and SQLSTATE.
pub fn my_message(e: &mysql_async::Error) -> String {
    match e {
        mysql_async::Error::Server(s) => {
            format!(
                "{} (MySQL error {}, SQLSTATE {})",
                s.message, s.code, s.state
            )
        }
        mysql_async::Error::Io(io) => format!("connection lost: {io}"),
        e => e.to_string(),
    }
}

/// A database error as one line: the server's message with its SQLSTATE, detail and hint.
pub fn pg_message(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut s = format!("{} (SQLSTATE {})", db.message(), db.code().code());
            if let Some(d) = db.detail() {
                s.push_str(&format!("; {d}"));
            }
            if let Some(h) = db.hint() {
                s.push_str(&format!("; hint: {h}"));
            }
            s
        }
        None => {
            let mut s = e.to_string();
            let mut src = std::error::Error::source(e);
            while let Some(inner) = src {
                s.push_str(&format!(": {inner}"));
                src = inner.source();
            }
            s
        }
    }
}
