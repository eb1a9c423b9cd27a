//! Opening the database (schema, WAL, busy timeout) and recording a run in one transaction.
//!
//! Writers on one host also take an advisory lock on `<file>.lock` (the
//! operating system's `flock`, released however the process ends) around
//! setting the file up and around each record: SQLite's busy timeout alone
//! let a run fail with "database is locked" when four runs finished at once
//! on a loaded machine (the WAL switch and a first schema race past it).

use std::fs::{File, OpenOptions};
use std::path::Path;
use std::time::Duration;

use hil_report::{ExitCode, Outcome, RunReport};
use rusqlite::{params, Connection, TransactionBehavior};

/// Why the history could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error(
        "run history {path}: {source}; check the file (or move it away to start a new history)"
    )]
    Sqlite {
        path: String,
        source: rusqlite::Error,
    },
    #[error("run history {path}: schema version {found}, this hil knows {SCHEMA}; use the hil that wrote it or start a new file")]
    Schema { path: String, found: i64 },
    #[error("run history {path}: cannot lock {path}.lock: {source}")]
    Lock {
        path: String,
        source: std::io::Error,
    },
}

/// Waits for, then holds, the host's write lock of the history at `path`
/// (released when the file is dropped).
fn write_lock(path: &str) -> Result<File, HistoryError> {
    let lock = |source| HistoryError::Lock {
        path: path.to_owned(),
        source,
    };
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(format!("{path}.lock"))
        .map_err(lock)?;
    file.lock().map_err(lock)?;
    Ok(file)
}

impl HistoryError {
    /// The history is a record of the run: failing to keep it is a failure
    /// while running (exit 3), like any report file.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::RigError
    }
}

/// Version of the tables below (`PRAGMA user_version`).
pub const SCHEMA: i64 = 1;

const TABLES: &str = "
CREATE TABLE IF NOT EXISTS runs (
    run_id      TEXT PRIMARY KEY,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    command     TEXT NOT NULL,
    host        TEXT NOT NULL,
    partition   TEXT,
    status      TEXT NOT NULL,
    exit_code   INTEGER,
    hil_version TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS results (
    run_id      TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
    rig         TEXT NOT NULL,
    case_id     TEXT NOT NULL,
    status      TEXT NOT NULL,
    flaky       INTEGER NOT NULL,
    attempts    INTEGER NOT NULL,
    quarantined INTEGER NOT NULL,
    duration_ms REAL NOT NULL,
    message     TEXT,
    PRIMARY KEY (run_id, rig, case_id)
);
CREATE INDEX IF NOT EXISTS results_by_case ON results (case_id, rig);
";

/// An open history.
pub struct History {
    pub(crate) conn: Connection,
    pub(crate) path: String,
}

impl History {
    /// Opens (creating) the history at `path`. Concurrent writers wait for
    /// each other (the host's write lock, then SQLite's 30 s busy timeout)
    /// instead of failing.
    pub fn open(path: &Path) -> Result<History, HistoryError> {
        let label = path.display().to_string();
        let err = |source| HistoryError::Sqlite {
            path: label.clone(),
            source,
        };
        if let Some(parent) = path.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        let _writing = write_lock(&label)?;
        let conn = Connection::open(path).map_err(err)?;
        conn.busy_timeout(Duration::from_secs(30)).map_err(err)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(err)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(err)?;
        let found: i64 = conn
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(err)?;
        if found > SCHEMA {
            return Err(HistoryError::Schema { path: label, found });
        }
        if found < SCHEMA {
            // Creating the tables is one write transaction, so two runs
            // opening a fresh file at once do not both create them.
            conn.execute_batch(&format!(
                "BEGIN IMMEDIATE; {TABLES} PRAGMA user_version = {SCHEMA}; COMMIT;"
            ))
            .map_err(err)?;
        }
        Ok(History { conn, path: label })
    }

    pub(crate) fn err(&self, source: rusqlite::Error) -> HistoryError {
        HistoryError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    /// Records `report` (a run, or a merged set) in one transaction;
    /// recording the same run again replaces it.
    pub fn record(&mut self, report: &RunReport) -> Result<(), HistoryError> {
        let path = self.path.clone();
        let err = |source| HistoryError::Sqlite {
            path: path.clone(),
            source,
        };
        let _writing = write_lock(&path)?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        let run = &report.run;
        tx.execute("DELETE FROM runs WHERE run_id = ?1", params![run.run_id])
            .map_err(err)?;
        tx.execute(
            "INSERT INTO runs (run_id, started_at, finished_at, command, host, partition, status, exit_code, hil_version)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                run.run_id,
                run.started_at,
                report.finished_at,
                run.command,
                run.host,
                run.partition.map(|p| p.to_string()),
                report.status.as_str(),
                report.exit_code,
                run.hil_version
            ],
        )
        .map_err(err)?;
        {
            let mut insert = tx
                .prepare(
                    "INSERT OR REPLACE INTO results (run_id, rig, case_id, status, flaky, attempts, quarantined, duration_ms, message)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )
                .map_err(err)?;
            for case in &report.cases {
                let quarantined = case.quarantine.is_some()
                    && matches!(case.outcome, Outcome::Failed { .. } | Outcome::Error { .. });
                insert
                    .execute(params![
                        run.run_id,
                        case.rig,
                        case.case_id,
                        case.outcome.status(),
                        case.flaky,
                        case.attempts.len() as i64 + 1,
                        quarantined,
                        case.duration_ms,
                        case.outcome.detail()
                    ])
                    .map_err(err)?;
            }
        }
        tx.commit().map_err(err)
    }

    /// `PRAGMA integrity_check`: `ok`, or what SQLite found.
    pub fn integrity(&self) -> Result<String, HistoryError> {
        self.conn
            .query_row("PRAGMA integrity_check", [], |row| row.get(0))
            .map_err(|e| self.err(e))
    }
}
