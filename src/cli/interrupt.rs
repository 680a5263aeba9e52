//! Ctrl-C (SIGINT) during `seed`, `run`, `test`, `snapshot` and `build`, as
//! dbt handles a keyboard interrupt: no new node starts, the queries running are
//! cancelled (DuckDB: the connection is interrupted; Postgres: `pg_cancel_backend` from a
//! new connection; the statement fails and its build rolls back, so the previous relation
//! stays), a `CANCEL query`
//! line is printed for each, run_results.json is written with what finished, and the
//! command exits 2 (dbt's exit code for an interrupted run). A second Ctrl-C exits at once.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use super::console::{Console, justified};

/// Cancels the query running on one connection.
pub type Cancel = Arc<dyn Fn() + Send + Sync>;

static INTERRUPTED: AtomicBool = AtomicBool::new(false);
static NEXT: AtomicU64 = AtomicU64::new(0);
/// The nodes running now: their unique_id and how to cancel their query.
static RUNNING: Mutex<BTreeMap<u64, (String, Option<Cancel>)>> = Mutex::new(BTreeMap::new());
static INSTALLED: OnceLock<Result<(), String>> = OnceLock::new();

/// Installs the handler (once per process). Before this, Ctrl-C ends the process at once,
/// as nothing has been written yet.
pub fn install() -> Result<(), String> {
    INSTALLED
        .get_or_init(|| {
            ctrlc::set_handler(on_interrupt).map_err(|e| format!("cannot handle Ctrl-C: {e}"))
        })
        .clone()
}

fn on_interrupt() {
    if INTERRUPTED.swap(true, Ordering::SeqCst) {
        // The second Ctrl-C: stop now.
        std::process::exit(2);
    }
    let running: Vec<(String, Option<Cancel>)> = RUNNING
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .values()
        .cloned()
        .collect();
    let console = Console::active();
    for (uid, cancel) in running {
        if let Some(cancel) = cancel {
            if let Some(c) = &console {
                c.error(&justified(&format!("CANCEL query {uid}"), "CANCEL"));
            }
            cancel();
        }
    }
}

/// For a Postgres connection: cancels its running query from another connection
/// (`pg_cancel_backend` of its backend's pid), as dbt-postgres cancels. None for other
/// adapters, or when the pid cannot be read.
pub fn backend_canceller(
    adapter: &mut dyn crate::exec::Adapter,
    target: &crate::project::profiles::Target,
    root: &std::path::Path,
) -> Option<Cancel> {
    if adapter.adapter_type() != "postgres" {
        return None;
    }
    let result = adapter.query("select pg_backend_pid()").ok()?;
    let pid = result.rows.first()?.first()?.as_i64()?;
    let (target, root) = (target.clone(), root.to_path_buf());
    Some(Arc::new(move || {
        if let Ok(mut other) = crate::exec::connect(&target, &root) {
            let _ = other.query(&format!("select pg_cancel_backend({pid})"));
        }
    }))
}

/// Whether Ctrl-C was pressed.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// A node running on a connection that `cancel` can interrupt; unregistered on drop.
pub struct Running(u64);

impl Running {
    pub fn start(unique_id: &str, cancel: Option<Cancel>) -> Running {
        let id = NEXT.fetch_add(1, Ordering::SeqCst);
        RUNNING
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, (unique_id.to_string(), cancel));
        Running(id)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        RUNNING
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.0);
    }
}
