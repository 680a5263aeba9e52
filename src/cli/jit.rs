//! Just-in-time rendering during a run (issue 4, item 5): an introspective node (its render
//! queries data) is rendered once its parents are built, on a helper thread whose queries
//! this worker answers through its own connection, so they see what the run built. The
//! result is executed as any node; a render that fails is the node's error.

use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use serde_json::json;

use super::console::justified;
use super::execute::Flags;
use super::jobs::{Done, Job, Work};
use crate::artifacts::run_results::{NodeResult, Status};
use crate::exec::run::Materialization;
use crate::exec::{Adapter, Column, QueryResult, Relation};
use crate::jinja::live::{Live, LiveDb};

/// Renders a node by unique_id just in time: `(unique_id, this_exists, live)` to its
/// compiled SQL (ephemeral CTEs injected) or the render's error.
pub type JitRender<'a> = dyn Fn(&str, bool, Live) -> Result<String, String> + Sync + 'a;

enum Request {
    Query(String),
    Kind(String, String),
    Columns(String, String),
}

enum Answer {
    Query(Result<QueryResult, String>),
    Kind(Result<Option<String>, String>),
    Columns(Result<Vec<Column>, String>),
}

/// The live database of a render thread: each request goes to the worker that owns the
/// connection, with the channel to answer on.
#[derive(Debug)]
struct Remote(Mutex<Sender<(Request, Sender<Answer>)>>);

impl Remote {
    fn ask(&self, request: Request) -> Result<Answer, String> {
        let (tx, rx) = mpsc::channel();
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .send((request, tx))
            .map_err(|_| "the run's connection is closed".to_string())?;
        rx.recv()
            .map_err(|_| "the run's connection is closed".to_string())
    }
}

const UNEXPECTED: &str = "unexpected answer from the run's connection";

impl LiveDb for Remote {
    fn query(&self, sql: &str) -> Result<QueryResult, String> {
        match self.ask(Request::Query(sql.to_string()))? {
            Answer::Query(r) => r,
            _ => Err(UNEXPECTED.into()),
        }
    }

    fn relation_kind(&self, schema: &str, identifier: &str) -> Result<Option<String>, String> {
        match self.ask(Request::Kind(schema.into(), identifier.into()))? {
            Answer::Kind(r) => r,
            _ => Err(UNEXPECTED.into()),
        }
    }

    fn columns(&self, schema: &str, identifier: &str) -> Result<Vec<Column>, String> {
        match self.ask(Request::Columns(schema.into(), identifier.into()))? {
            Answer::Columns(r) => r,
            _ => Err(UNEXPECTED.into()),
        }
    }
}

fn answer(adapter: &mut dyn Adapter, request: Request) -> Answer {
    let relation = |schema: String, identifier: String| Relation {
        database: None,
        schema,
        identifier,
    };
    match request {
        Request::Query(sql) => Answer::Query(adapter.query(&sql)),
        Request::Kind(s, i) => Answer::Kind(adapter.relation_kind(&relation(s, i))),
        Request::Columns(s, i) => Answer::Columns(adapter.columns(&relation(s, i))),
    }
}

/// Renders `uid` on a helper thread while answering its queries through `adapter`.
pub fn render_live(
    adapter: &mut dyn Adapter,
    render: &JitRender<'_>,
    uid: &str,
    this_exists: bool,
) -> Result<String, String> {
    let (tx, rx) = mpsc::channel::<(Request, Sender<Answer>)>();
    let live: Live = Arc::new(Remote(Mutex::new(tx)));
    std::thread::scope(|scope| {
        let handle = scope.spawn(move || render(uid, this_exists, live));
        // The render's values may outlive it (cached macro state), so the channel is not
        // a reliable end signal: poll the thread as well.
        loop {
            match rx.recv_timeout(Duration::from_millis(5)) {
                Ok((request, reply)) => {
                    let _ = reply.send(answer(adapter, request));
                }
                Err(mpsc::RecvTimeoutError::Timeout) if !handle.is_finished() => {}
                Err(_) => break,
            }
        }
        handle
            .join()
            .unwrap_or_else(|_| Err("the render panicked".to_string()))
    })
}

/// For an introspective job that is to run: its SQL rendered just in time (the job then
/// counts as rendered; an incremental model gets the render for both of its paths). None
/// for other jobs.
pub fn prepare(
    adapter: &mut dyn Adapter,
    render: Option<&JitRender<'_>>,
    job: &mut Job,
    upstream_bad: bool,
    flags: Flags,
) -> Option<Result<String, String>> {
    let render = render?;
    if !job.introspective || upstream_bad {
        return None;
    }
    let this_exists = match &job.work {
        Work::Model {
            materialization: Ok(Materialization::Incremental),
            incremental: Some(inc),
        } => {
            let full_refresh = inc
                .config
                .as_ref()
                .ok()
                .and_then(|c| c.full_refresh)
                .unwrap_or(flags.full_refresh);
            !full_refresh
                && matches!(adapter.relation_kind(&job.relation), Ok(Some(k)) if k == "table")
        }
        Work::Model { .. } | Work::Test(_) => false,
        _ => return None,
    };
    let rendered = render_live(adapter, render, &job.unique_id, this_exists);
    if let Ok(sql) = &rendered {
        job.introspective = false;
        if let Work::Model {
            incremental: Some(inc),
            ..
        } = &mut job.work
        {
            inc.sql = Ok(sql.clone());
        }
    }
    Some(rendered)
}

/// The message of a failed just-in-time render, worded as dbt words it: a query that failed
/// in the database is a `Runtime Error` carrying the database's message alone; anything
/// else is a `Compilation Error`.
fn error_message(job: &Job, e: &str) -> String {
    let e = e.strip_prefix("invalid operation: ").unwrap_or(e);
    let (kind, body) = match e.strip_prefix("Database Error\n") {
        Some(db) => {
            let db = db.rsplit_once(" (in macro `").map_or(db, |(text, _)| text);
            let db = db.strip_prefix("  ").unwrap_or(db);
            ("Runtime", db.lines().collect::<Vec<_>>().join("\n  "))
        }
        None => ("Compilation", e.lines().collect::<Vec<_>>().join("\n  ")),
    };
    format!(
        "{kind} Error in {} {} ({})\n  {body}",
        job.resource(),
        job.name,
        job.original_file_path
    )
}

/// The result of a job whose just-in-time render failed: an error, as dbt reports a
/// compilation error found during a run.
pub fn render_error(job: &Job, e: &str, prefix: &str, say: &dyn Fn(&str)) -> Done {
    let what = match job.work {
        Work::Test(_) => job.name.clone(),
        _ => format!("creating sql {} {}", job.kind(), job.display()),
    };
    say(&justified(
        &format!("{prefix} ERROR {what}"),
        "ERROR in 0.00s",
    ));
    let now = Utc::now();
    Done {
        result: NodeResult {
            unique_id: job.unique_id.clone(),
            status: Status::Error,
            started_at: now,
            completed_at: now,
            executed: true,
            adapter_response: json!({}),
            message: Some(error_message(job, e)),
            failures: None,
            compiled: Some(false),
            compiled_code: String::new(),
            relation_name: matches!(job.work, Work::Model { .. })
                .then(|| job.relation_name.clone()),
        },
        executed_sql: None,
        compiled_sql: None,
    }
}
