//! The questions asked of the history: per case × rig over its last N runs, and per run over the last N runs.

use rusqlite::params;

use crate::store::{History, HistoryError};

/// One case on one rig over its last N runs.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseStats {
    pub case_id: String,
    pub rig: String,
    /// Runs that ran it (at most N).
    pub runs: usize,
    pub passed: usize,
    /// Failed or errored (quarantined ones included).
    pub failed: usize,
    /// Passed only on a retry.
    pub flaky: usize,
    /// Status in the newest run.
    pub last_status: String,
    /// The first run of the current streak of failures, if it fails now.
    pub failing_since: Option<String>,
    /// Milliseconds, oldest run first.
    pub durations: Vec<f64>,
}

impl CaseStats {
    /// Passed (flaky passes included) per run, 0..=1.
    pub fn pass_rate(&self) -> f64 {
        if self.runs == 0 {
            0.0
        } else {
            self.passed as f64 / self.runs as f64
        }
    }

    /// Flaky passes per run, 0..=1.
    pub fn flaky_rate(&self) -> f64 {
        if self.runs == 0 {
            0.0
        } else {
            self.flaky as f64 / self.runs as f64
        }
    }
}

/// One run, as a point of a trend.
#[derive(Debug, Clone, PartialEq)]
pub struct RunPoint {
    pub run_id: String,
    pub started_at: String,
    pub host: String,
    pub total: usize,
    pub passed: usize,
    pub failed: usize,
    pub flaky: usize,
    /// Sum of the case durations, milliseconds.
    pub duration_ms: f64,
}

impl History {
    /// Every case × rig whose id matches `case` (SQL `GLOB`, `*` wildcard;
    /// all when `None`) on `rig` (all when `None`), over its last `last` runs.
    pub fn cases(
        &self,
        case: Option<&str>,
        rig: Option<&str>,
        last: usize,
    ) -> Result<Vec<CaseStats>, HistoryError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT r.case_id, r.rig, r.status, r.flaky, r.duration_ms, r.run_id
                 FROM results r JOIN runs u ON u.run_id = r.run_id
                 WHERE r.case_id GLOB ?1 AND r.rig GLOB ?2 AND r.status != 'skipped'
                 ORDER BY r.case_id, r.rig, u.started_at DESC, u.run_id DESC",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![case.unwrap_or("*"), rig.unwrap_or("*")], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, bool>(3)?,
                    row.get::<_, f64>(4)?,
                    row.get::<_, String>(5)?,
                ))
            })
            .map_err(|e| self.err(e))?;
        let mut out: Vec<CaseStats> = Vec::new();
        // Rows come newest first within each case × rig.
        let mut streak_open = false;
        for row in rows {
            let (case_id, rig, status, flaky, duration, run_id) = row.map_err(|e| self.err(e))?;
            let same = out
                .last()
                .is_some_and(|s| s.case_id == case_id && s.rig == rig);
            if !same {
                streak_open = status != "passed";
                out.push(CaseStats {
                    case_id,
                    rig,
                    runs: 0,
                    passed: 0,
                    failed: 0,
                    flaky: 0,
                    last_status: status.clone(),
                    failing_since: None,
                    durations: Vec::new(),
                });
            }
            let stats = out.last_mut().expect("pushed above");
            if stats.runs >= last {
                continue;
            }
            stats.runs += 1;
            if status == "passed" {
                stats.passed += 1;
                streak_open = false;
            } else {
                stats.failed += 1;
                if streak_open {
                    stats.failing_since = Some(run_id);
                }
            }
            stats.flaky += usize::from(flaky);
            stats.durations.insert(0, duration);
        }
        Ok(out)
    }

    /// The last `last` runs, oldest first.
    pub fn runs(&self, last: usize) -> Result<Vec<RunPoint>, HistoryError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT u.run_id, u.started_at, u.host,
                        COUNT(r.case_id),
                        COALESCE(SUM(r.status = 'passed'), 0),
                        COALESCE(SUM(r.status IN ('failed', 'error')), 0),
                        COALESCE(SUM(r.flaky), 0),
                        COALESCE(SUM(r.duration_ms), 0.0)
                 FROM runs u LEFT JOIN results r ON r.run_id = u.run_id
                 GROUP BY u.run_id
                 ORDER BY u.started_at DESC, u.run_id DESC
                 LIMIT ?1",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![last as i64], |row| {
                Ok(RunPoint {
                    run_id: row.get(0)?,
                    started_at: row.get(1)?,
                    host: row.get(2)?,
                    total: row.get::<_, i64>(3)? as usize,
                    passed: row.get::<_, i64>(4)? as usize,
                    failed: row.get::<_, i64>(5)? as usize,
                    flaky: row.get::<_, i64>(6)? as usize,
                    duration_ms: row.get(7)?,
                })
            })
            .map_err(|e| self.err(e))?;
        let mut points = rows
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.err(e))?;
        points.reverse();
        Ok(points)
    }
}
