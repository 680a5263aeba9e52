//! Runs the planned jobs on `--threads` workers, each with its own connection, in DAG
//! order: a job starts once every job it depends on (through nodes that are not run,
//! such as ephemeral or unselected models) has finished; the descendants of a failed or
//! skipped job are skipped. Among the jobs that are ready, the first in the plan's order
//! starts first, so one worker runs them exactly in that order. Console lines are
//! numbered when a job starts, as dbt numbers them. Workers are named as dbt's threads
//! (`Thread-1 (worker)`, ...), the `thread_id` of their results. After Ctrl-C no job
//! starts (see `interrupt`).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Duration;

use indexmap::IndexMap;

use super::console::{Console, thread_name};
use super::execute::Flags;
use super::interrupt::{Cancel, Running, interrupted};
use super::jit::{JitRender, prepare, render_error, render_live};
use super::jobs::{Done, Job, run_job};
use super::node_events::NodeLines;
use crate::artifacts::run_results::Status;
use crate::exec::Adapter;
use crate::exec::run::hooks::LiveHook;
use crate::jinja::live::Live;

/// A worker's connection, and how to cancel the query running on it (None: the adapter
/// cannot cancel; the running node is left to finish).
pub struct Opened {
    pub adapter: Box<dyn Adapter>,
    pub cancel: Option<Cancel>,
}

/// Opens one connection per worker.
pub type Opener<'a> = dyn Fn() -> Result<Opened, String> + Sync + 'a;

/// What the workers did.
pub struct Ran {
    /// The jobs that finished, with their results, in the order they finished.
    pub done: Vec<(Job, Done)>,
    /// The worker that ran each job (`Thread-1 (worker)`), by unique_id.
    pub threads: HashMap<String, String>,
    /// Ctrl-C stopped the run: jobs that failed after it were cancelled.
    pub interrupted: bool,
    /// Jobs that ended in error after Ctrl-C (their queries were cancelled).
    pub cancelled: BTreeSet<String>,
}

struct State {
    /// Ready jobs by their position in the plan.
    ready: BTreeMap<usize, String>,
    /// Unfinished job parents of each waiting job.
    waiting: HashMap<String, usize>,
    jobs: HashMap<String, Job>,
    /// Jobs that failed or were skipped.
    bad: BTreeSet<String>,
    running: usize,
    started: usize,
    finished: Vec<(Job, Done)>,
    threads: HashMap<String, String>,
    cancelled: BTreeSet<String>,
    /// A worker could not connect: nothing more starts.
    error: Option<String>,
}

struct Shared<'a> {
    state: Mutex<State>,
    wake: Condvar,
    position: HashMap<String, usize>,
    job_parents: HashMap<String, BTreeSet<String>>,
    job_children: HashMap<String, Vec<String>>,
    compiled: &'a HashMap<String, String>,
    /// Renders introspective nodes just in time (None: they are skipped).
    jit: Option<&'a JitRender<'a>>,
    /// Renders the hooks that query the database (None: such hooks fail).
    hook_jit: Option<&'a HookJit<'a>>,
    total: usize,
}

impl Shared<'_> {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// For each node in `order`, the nearest jobs it depends on (parents that are jobs, and
/// the nearest jobs of parents that are not).
fn nearest_jobs(
    order: &[String],
    parents: &IndexMap<String, Vec<String>>,
    is_job: &dyn Fn(&str) -> bool,
) -> HashMap<String, BTreeSet<String>> {
    let mut out: HashMap<String, BTreeSet<String>> = HashMap::new();
    for uid in order {
        let mut set = BTreeSet::new();
        for p in parents.get(uid).into_iter().flatten() {
            if p == uid {
                continue;
            }
            if is_job(p) {
                set.insert(p.clone());
            } else if let Some(up) = out.get(p) {
                set.extend(up.iter().cloned());
            }
        }
        out.insert(uid.clone(), set);
    }
    out
}

/// Renders a node's hook against the run's connection: `(unique_id, template,
/// this_exists, live)` to its SQL or the render's error.
pub type HookJit<'a> = dyn Fn(&str, &str, bool, Live) -> Result<String, String> + Sync + 'a;

/// Runs `jobs` (keyed by unique_id) in the order of `order` on `threads` workers; returns
/// them with their results in the order they finished, or the error of a connection
/// that could not be opened. Console lines go to `console`. Hooks that query the
/// database fail (see [`run_jobs_with_hooks`]).
#[expect(clippy::too_many_arguments, reason = "the plan and the run's settings")]
pub fn run_jobs(
    jobs: HashMap<String, Job>,
    order: &[String],
    parents: &IndexMap<String, Vec<String>>,
    compiled: &HashMap<String, String>,
    jit: Option<&JitRender<'_>>,
    threads: usize,
    open: &Opener<'_>,
    flags: Flags,
    console: &Console,
) -> Result<Ran, String> {
    run_jobs_with_hooks(
        jobs, order, parents, compiled, jit, None, threads, open, flags, console,
    )
}

/// [`run_jobs`], with `hook_jit` rendering the node hooks that query the database, just
/// before each runs, against the worker's connection.
#[expect(clippy::too_many_arguments, reason = "the plan and the run's settings")]
pub fn run_jobs_with_hooks(
    jobs: HashMap<String, Job>,
    order: &[String],
    parents: &IndexMap<String, Vec<String>>,
    compiled: &HashMap<String, String>,
    jit: Option<&JitRender<'_>>,
    hook_jit: Option<&HookJit<'_>>,
    threads: usize,
    open: &Opener<'_>,
    flags: Flags,
    console: &Console,
) -> Result<Ran, String> {
    let is_job = |id: &str| jobs.contains_key(id);
    let nearest = nearest_jobs(order, parents, &is_job);
    let position: HashMap<String, usize> = order
        .iter()
        .enumerate()
        .filter(|(_, id)| is_job(id))
        .map(|(i, id)| (id.clone(), i))
        .collect();
    let job_parents: HashMap<String, BTreeSet<String>> =
        nearest.into_iter().filter(|(id, _)| is_job(id)).collect();
    let mut job_children: HashMap<String, Vec<String>> = HashMap::new();
    let mut waiting = HashMap::new();
    let mut ready = BTreeMap::new();
    for (id, ps) in &job_parents {
        for p in ps {
            job_children.entry(p.clone()).or_default().push(id.clone());
        }
        if ps.is_empty() {
            ready.insert(position[id], id.clone());
        } else {
            waiting.insert(id.clone(), ps.len());
        }
    }
    let total = jobs.len();
    let shared = Shared {
        state: Mutex::new(State {
            ready,
            waiting,
            jobs,
            bad: BTreeSet::new(),
            running: 0,
            started: 0,
            finished: Vec::new(),
            threads: HashMap::new(),
            cancelled: BTreeSet::new(),
            error: None,
        }),
        wake: Condvar::new(),
        position,
        job_parents,
        job_children,
        compiled,
        jit,
        hook_jit,
        total,
    };
    let workers = threads.clamp(1, total.max(1));
    std::thread::scope(|scope| {
        for i in 0..workers {
            let shared = &shared;
            let spawned = std::thread::Builder::new()
                .name(format!("Thread-{} (worker)", i + 1))
                .spawn_scoped(scope, move || worker(shared, open, flags, console));
            if let Err(e) = spawned {
                shared
                    .lock()
                    .error
                    .get_or_insert(format!("cannot start a worker thread: {e}"));
            }
        }
    });
    let state = shared.state.into_inner().unwrap_or_else(|e| e.into_inner());
    match state.error {
        Some(e) => Err(e),
        None => Ok(Ran {
            done: state.finished,
            threads: state.threads,
            interrupted: interrupted(),
            cancelled: state.cancelled,
        }),
    }
}

/// The next job to start (None: all done, or the run stopped).
fn next_job(shared: &Shared<'_>) -> Option<(Job, String, bool)> {
    let mut st = shared.lock();
    loop {
        if st.error.is_some() || interrupted() {
            return None;
        }
        if let Some((_, id)) = st.ready.pop_first() {
            let job = st.jobs.remove(&id)?;
            st.running += 1;
            st.started += 1;
            let upstream_bad = shared
                .job_parents
                .get(&id)
                .is_some_and(|ps| ps.iter().any(|p| st.bad.contains(p)));
            let prefix = format!("{} of {}", st.started, shared.total);
            return Some((job, prefix, upstream_bad));
        }
        if st.running == 0 {
            if st.jobs.is_empty() {
                return None;
            }
            // Only a cycle leaves jobs waiting with nothing running: run them in order.
            let stuck: Vec<String> = st.jobs.keys().cloned().collect();
            for id in stuck {
                st.ready.insert(shared.position[&id], id);
            }
            continue;
        }
        // Timed, so that Ctrl-C is seen while waiting.
        st = shared
            .wake
            .wait_timeout(st, Duration::from_millis(100))
            .unwrap_or_else(|e| e.into_inner())
            .0;
    }
}

fn worker(shared: &Shared<'_>, open: &Opener<'_>, flags: Flags, console: &Console) {
    let Opened {
        mut adapter,
        cancel,
    } = match open() {
        Ok(a) => a,
        Err(e) => {
            shared.lock().error.get_or_insert(e);
            shared.wake.notify_all();
            return;
        }
    };
    while let Some((mut job, prefix, upstream_bad)) = next_job(shared) {
        let running = Running::start(&job.unique_id, cancel.clone());
        if interrupted() {
            // Ctrl-C came while this job was handed out: it does not start.
            let mut st = shared.lock();
            st.running -= 1;
            drop(st);
            shared.wake.notify_all();
            break;
        }
        let lines = NodeLines::new(console, &job, &prefix);
        super::logged_adapter::set_node(Some(&job.unique_id));
        let say = &|line: &str| lines.say(line);
        let sql = shared.compiled.get(&job.unique_id).map(String::as_str);
        let jit = prepare(adapter.as_mut(), shared.jit, &mut job, upstream_bad, flags);
        let uid = job.unique_id.clone();
        let live_hook = shared.hook_jit.map(|hook_jit| {
            let uid = &uid;
            move |adapter: &mut dyn Adapter, text: &str, this_exists: bool| {
                let render =
                    |_: &str, this_exists: bool, live: Live| hook_jit(uid, text, this_exists, live);
                render_live(adapter, &render, uid, this_exists)
            }
        });
        let live_hook = live_hook.as_ref().map(|f| f as &LiveHook<'_>);
        let done = match &jit {
            Some(Err(e)) => render_error(&job, e, &prefix, say),
            Some(Ok(sql)) => {
                let mut done = run_job(
                    adapter.as_mut(),
                    &job,
                    Some(sql),
                    upstream_bad,
                    flags,
                    &prefix,
                    say,
                    live_hook,
                );
                done.compiled_sql.get_or_insert_with(|| sql.clone());
                done
            }
            None => run_job(
                adapter.as_mut(),
                &job,
                sql,
                upstream_bad,
                flags,
                &prefix,
                say,
                live_hook,
            ),
        };
        drop(running);
        super::logged_adapter::set_node(None);
        lines.finish(&done.result);
        let mut st = shared.lock();
        st.running -= 1;
        let id = job.unique_id.clone();
        if interrupted() && done.result.status.is_error() {
            st.cancelled.insert(id.clone());
        }
        st.threads.insert(id.clone(), thread_name());
        if done.result.status.is_error() || done.result.status == Status::Skipped {
            // `dbt test` and `dbt run` skip descendants of errors; in `build` a failing
            // test also skips what is built downstream of the data it tested.
            st.bad.insert(id.clone());
        }
        for child in shared.job_children.get(&id).into_iter().flatten() {
            if let Some(n) = st.waiting.get_mut(child) {
                *n -= 1;
                if *n == 0 {
                    st.waiting.remove(child);
                    st.ready.insert(shared.position[child], child.clone());
                }
            }
        }
        st.finished.push((job, done));
        drop(st);
        shared.wake.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_jobs_skip_nodes_that_do_not_run() {
        // a (job) -> e (ephemeral) -> b (job); c (job) -> b.
        let parents: IndexMap<String, Vec<String>> = [
            ("a", vec![]),
            ("e", vec!["a"]),
            ("c", vec![]),
            ("b", vec!["e", "c"]),
        ]
        .into_iter()
        .map(|(k, ps)| (k.to_string(), ps.into_iter().map(String::from).collect()))
        .collect();
        let order: Vec<String> = parents.keys().cloned().collect();
        let near = nearest_jobs(&order, &parents, &|id: &str| id != "e");
        let b: Vec<&String> = near["b"].iter().collect();
        assert_eq!(b, ["a", "c"]);
    }
}
