//! `target/run_results.json` in dbt's schema (v6), written by `seed`, `run`, `test`,
//! `snapshot`, `build` and `run-operation`.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

/// dbt's node statuses as they appear in run_results.json.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// A seed, model or snapshot built.
    Success,
    Error,
    Skipped,
    /// Test outcomes.
    Pass,
    Warn,
    Fail,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Success => "success",
            Status::Error => "error",
            Status::Skipped => "skipped",
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
        }
    }

    /// Counted as ERROR in the summary line (and makes the exit code 1).
    pub fn is_error(self) -> bool {
        matches!(self, Status::Error | Status::Fail)
    }
}

/// One node's result.
#[derive(Debug, Clone)]
pub struct NodeResult {
    pub unique_id: String,
    pub status: Status,
    pub started_at: DateTime<Utc>,
    pub completed_at: DateTime<Utc>,
    /// None: not executed (skipped), so no timing entries.
    pub executed: bool,
    pub adapter_response: Value,
    pub message: Option<String>,
    /// Tests only: the number of failing rows dbt reports.
    pub failures: Option<i64>,
    /// dbt's `compiled`: null for seeds, false for skipped nodes, true otherwise.
    pub compiled: Option<bool>,
    /// Empty when not compiled.
    pub compiled_code: String,
    pub relation_name: Option<String>,
}

fn time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

impl NodeResult {
    pub fn execution_time(&self) -> f64 {
        (self.completed_at - self.started_at)
            .to_std()
            .map_or(0.0, |d| d.as_secs_f64())
    }

    /// The result as run_results.json lists it; `thread_id` is the thread that ran it
    /// (`Thread-1 (worker)`, `main` for project hooks, as dbt names them).
    pub fn to_json(&self, thread_id: &str) -> Value {
        let timing = if self.executed {
            json!([
                {"name": "compile", "started_at": time(&self.started_at), "completed_at": time(&self.started_at)},
                {"name": "execute", "started_at": time(&self.started_at), "completed_at": time(&self.completed_at)},
            ])
        } else {
            json!([])
        };
        json!({
            "status": self.status.as_str(),
            "timing": timing,
            "thread_id": thread_id,
            "execution_time": if self.executed { self.execution_time() } else { 0.0 },
            "adapter_response": self.adapter_response,
            "message": self.message,
            "failures": self.failures,
            "unique_id": self.unique_id,
            "compiled": self.compiled,
            "compiled_code": self.compiled_code,
            "relation_name": self.relation_name,
            "batch_results": null,
        })
    }
}

/// The whole file: metadata, results (each with its thread), elapsed_time and the
/// invocation's args.
pub fn run_results(
    results: &[(NodeResult, String)],
    started_at: DateTime<Utc>,
    elapsed: f64,
    args: Map<String, Value>,
) -> Value {
    json!({
        "metadata": {
            "dbt_schema_version": "https://schemas.getdbt.com/dbt/run-results/v6.json",
            "dbt_version": concat!("dbtc-", env!("CARGO_PKG_VERSION")),
            "generated_at": time(&Utc::now()),
            "invocation_id": crate::jinja::context::invocation_id(),
            "invocation_started_at": time(&started_at),
            "env": {},
        },
        "results": results.iter().map(|(r, thread)| r.to_json(thread)).collect::<Vec<_>>(),
        "elapsed_time": elapsed,
        "args": args,
    })
}
