//! The events of one node while a worker runs it: `run_job` prints plain lines (`START`,
//! then its result); here they become dbt's structured events, with the node's
//! `node_info`, and the finished node moves the progress bar. With `--log-format json`
//! the last line of a node is held until its result is known, so that it carries the
//! status and execution time as dbt's `LogModelResult` and friends do.

use std::sync::Mutex;

use chrono::{SecondsFormat, Utc};
use serde_json::{Value, json};

use super::console::{Console, Event, Level};
use super::jobs::{Job, Work};
use crate::artifacts::run_results::{NodeResult, Status};

/// The lines of one running node.
pub struct NodeLines<'a> {
    console: &'a Console,
    start_marker: String,
    node: NodeMeta,
    index: usize,
    total: usize,
    started_at: String,
    pending: Mutex<Option<String>>,
}

/// What dbt's `node_info` says about a node.
struct NodeMeta {
    unique_id: String,
    name: String,
    resource_type: &'static str,
    materialized: String,
    path: String,
    schema: String,
    alias: String,
    relation_name: String,
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Micros, false)
}

impl<'a> NodeLines<'a> {
    /// `prefix` is the `i of n` of the node's lines.
    pub fn new(console: &'a Console, job: &Job, prefix: &str) -> NodeLines<'a> {
        console.started(&job.unique_id);
        let mut parts = prefix.split(" of ");
        let mut num = || {
            parts
                .next()
                .and_then(|n| n.trim().parse().ok())
                .unwrap_or(0)
        };
        let (index, total) = (num(), num());
        let materialized = match &job.work {
            Work::Model {
                materialization, ..
            } => match materialization {
                Ok(m) => m.name().to_string(),
                Err(name) => name.clone(),
            },
            other => match other {
                Work::Seed(_) => "seed".into(),
                Work::Test(_) => "test".into(),
                Work::UnitTest(_) => "unit".into(),
                _ => "snapshot".into(),
            },
        };
        NodeLines {
            console,
            start_marker: format!("{prefix} START "),
            node: NodeMeta {
                unique_id: job.unique_id.clone(),
                name: job.name.clone(),
                resource_type: job.resource(),
                materialized,
                path: job.original_file_path.clone(),
                schema: job.relation.schema.clone(),
                alias: job.relation.identifier.clone(),
                relation_name: job.relation_name.clone(),
            },
            index,
            total,
            started_at: now(),
            pending: Mutex::new(None),
        }
    }

    fn node_info(&self, status: &str, finished_at: &str) -> Value {
        let n = &self.node;
        json!({
            "materialized": n.materialized,
            "meta": {},
            "node_name": n.name,
            "node_path": n.path,
            "node_relation": {
                "alias": n.alias,
                "database": super::run_hooks::database_of(&n.relation_name),
                "schema": n.schema,
                "relation_name": n.relation_name,
            },
            "node_started_at": self.started_at,
            "node_finished_at": finished_at,
            "node_status": status,
            "resource_type": n.resource_type,
            "unique_id": n.unique_id,
        })
    }

    fn data(&self, status: &str, finished_at: &str) -> Value {
        json!({
            "index": self.index,
            "total": self.total,
            "node_info": self.node_info(status, finished_at),
        })
    }

    /// A line printed by `run_job`.
    pub fn say(&self, line: &str) {
        if line.starts_with(&self.start_marker) {
            let event = Event::new("LogStartLine", "Q011", Level::Info, line)
                .with_data(self.data("started", ""));
            self.console.emit(&event);
            return;
        }
        if !self.console.json {
            // Text: print now (the result line is the last one; its data only matters
            // in JSON).
            self.console
                .emit(&Event::new("NodeLine", "Z050", Level::Info, line));
            return;
        }
        let previous = self
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .replace(line.to_string());
        if let Some(previous) = previous {
            let event = Event::new("NodeLine", "Z050", Level::Info, previous)
                .with_data(self.data("started", ""));
            self.console.emit(&event);
        }
    }

    /// The node finished with `result`: its held line goes out as the result event, and
    /// the progress bar moves.
    pub fn finish(&self, result: &NodeResult) {
        let pending = self
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(line) = pending {
            let (name, code) = match (result.status, self.node.resource_type) {
                (Status::Skipped, _) => ("SkippingDetails", "Q034"),
                (_, "test") => ("LogTestResult", "Q007"),
                (_, "seed") => ("LogSeedResult", "Q016"),
                (_, "snapshot") => ("LogSnapshotResult", "Q015"),
                _ => ("LogModelResult", "Q012"),
            };
            let level = match result.status {
                Status::Error | Status::Fail => Level::Error,
                Status::Warn => Level::Warn,
                _ => Level::Info,
            };
            let status = result.status.as_str();
            let mut data = self.data(status, &now());
            data["status"] = json!(status);
            data["execution_time"] = json!(if result.executed {
                result.execution_time()
            } else {
                0.0
            });
            data["failures"] = json!(result.failures);
            data["message"] = json!(result.message);
            self.console
                .emit(&Event::new(name, code, level, line).with_data(data));
        }
        self.console.advance(&self.node.unique_id);
    }
}
