//! The driver shared by `seed`, `run`, `test` and `build`: plans the selected nodes in DAG
//! order (with dbt's test edges for `build`), runs them one at a time, skips the
//! descendants of failures, prints dbt's console lines and writes run_results.json and
//! target/run/**. Project hooks run before and after the nodes (`run_hooks`); Ctrl-C stops
//! the run cleanly (`interrupt`).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Instant;

use chrono::Utc;
use serde_json::{Value, json};

use super::console::{Console, Event, Level};
use super::jobs::{Incremental, Job, Work};
use super::logged_adapter::Logged;
use super::run_hooks::{EndContext, HookKind, project_hooks, run_hooks};
use super::summary::{finished_line, invocation_args, summary};
use super::workers::{Opened, Opener, run_jobs_with_hooks};
use super::{Common, Session};
use crate::artifacts::run_results::run_results;
use crate::artifacts::write::{write_bytes, write_files};
use crate::artifacts::{compiled_path, run_path};
use crate::compile::compile_project;
use crate::db::NodeKey;
use crate::exec::Relation;
use crate::exec::duckdb::DuckDbAdapter;
use crate::exec::run::incremental::IncrementalConfig;
use crate::exec::run::node_render::render_in_node;
use crate::exec::run::snapshot::SnapshotConfig;
use crate::exec::run::{Materialization, dag_order};
use crate::exec::schedule::with_test_edges;
use crate::exec::seed::seed_spec;
use crate::exec::test::TestConfig;
use crate::graph::{dag, select};
use crate::jinja::incremental::{incremental_sql, live_sql, renders_live};
use crate::jinja::nodes::{node_config, node_info, node_relation};
use crate::project::nodes::ResourceType;
use crate::project::profiles::target;

/// The command being run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Seed,
    Run,
    Test,
    Snapshot,
    Build,
}

impl Verb {
    pub fn name(self) -> &'static str {
        match self {
            Verb::Seed => "seed",
            Verb::Run => "run",
            Verb::Test => "test",
            Verb::Snapshot => "snapshot",
            Verb::Build => "build",
        }
    }

    fn runs(self, rt: ResourceType) -> bool {
        match self {
            Verb::Seed => rt == ResourceType::Seed,
            Verb::Run => rt == ResourceType::Model,
            Verb::Test => rt == ResourceType::Test,
            Verb::Snapshot => rt == ResourceType::Snapshot,
            Verb::Build => matches!(
                rt,
                ResourceType::Seed
                    | ResourceType::Model
                    | ResourceType::Test
                    | ResourceType::Snapshot
            ),
        }
    }
}

/// Flags beyond the common ones.
#[derive(Debug, Clone, Copy, Default)]
pub struct Flags {
    pub full_refresh: bool,
    pub store_failures: bool,
    /// `--threads` (None: the profile's `threads`).
    pub threads: Option<usize>,
}

pub fn execute(common: &Common, verb: Verb, flags: Flags) -> i32 {
    let session = match Session::load(common) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let (db, project) = (&session.db, session.project);
    let target = match target(db, project) {
        Ok(t) => t.clone(),
        Err(d) => {
            session.report(std::slice::from_ref(&**d));
            return 2;
        }
    };
    let selected = select(db, project, &common.select, &common.exclude);
    let (diagnostics, compiled): (Vec<_>, HashMap<String, String>) = if verb == Verb::Seed {
        (
            crate::compile::project_diagnostics(db, project),
            HashMap::new(),
        )
    } else {
        let mut output = compile_project(db, project, Some(&selected));
        // A data test's static-analysis finding is an error of that test: it blocks the
        // commands that run tests (`test`, `build`), as a model's does, and is not this
        // command's concern when tests do not run (`run`, `snapshot`).
        if !verb.runs(ResourceType::Test) {
            output.diagnostics.retain(|d| {
                !(d.code.starts_with("E4")
                    && d.node.as_deref().is_some_and(|n| n.starts_with("test.")))
            });
        }
        let compiled = output
            .nodes
            .iter()
            .filter_map(|n| Some((n.unique_id.clone(), n.sql.as_deref()?.to_string())))
            .collect();
        (output.diagnostics, compiled)
    };
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    if errors > 0 {
        session.report(&diagnostics);
        eprintln!("error: the project has {errors} compile error(s); nothing was run");
        return 1;
    }
    let selected: BTreeSet<String> = selected.into_iter().collect();
    let graph = dag(db, project);
    let is_test = |id: &str| id.starts_with("test.");
    let parents = if verb == Verb::Build {
        with_test_edges(&graph.parents, &is_test)
    } else {
        graph.parents.clone()
    };
    let mut all: Vec<String> = parents.keys().cloned().collect();
    if verb == Verb::Seed {
        all.sort();
    }
    let mut parents = parents;
    let unit_jobs = if matches!(verb, Verb::Test | Verb::Build) {
        let (select, exclude) = (&common.select, &common.exclude);
        let models = (verb == Verb::Build).then_some(&selected);
        let schema = &target.schema;
        super::unit_test_job::add_unit_tests(
            db,
            project,
            select,
            exclude,
            models,
            &mut all,
            &mut parents,
            schema,
        )
    } else {
        Vec::new()
    };
    let order = dag_order(&all, &parents);
    let mut jobs: HashMap<String, Job> = HashMap::new();
    let mut job_order: Vec<String> = Vec::new();
    for uid in &order {
        if !selected.contains(uid) {
            continue;
        }
        let key = NodeKey::new(db, uid.as_str());
        let Some(node) = node_info(db, project, key).clone() else {
            continue;
        };
        if !verb.runs(node.resource_type) {
            continue;
        }
        let config = node_config(db, project, key);
        let Some(rel) = node_relation(db, project, key) else {
            continue;
        };
        let relation = Relation {
            database: None,
            schema: rel.schema.clone().unwrap_or_else(|| target.schema.clone()),
            identifier: rel.identifier.clone().unwrap_or_else(|| node.name.clone()),
        };
        let work = match node.resource_type {
            ResourceType::Seed => {
                let Some(file) = node.file else { continue };
                Work::Seed(seed_spec(
                    uid,
                    file.path(db),
                    config,
                    &relation.schema,
                    &relation.identifier,
                ))
            }
            ResourceType::Model => {
                let materialized = config
                    .get("materialized")
                    .and_then(Value::as_str)
                    .unwrap_or("view")
                    .to_string();
                if materialized == "ephemeral" {
                    continue;
                }
                let materialization = Materialization::parse(&materialized).ok_or(materialized);
                let incremental =
                    (materialization == Ok(Materialization::Incremental)).then(|| {
                        let rendered = incremental_sql(db, project, key);
                        Incremental {
                            config: IncrementalConfig::from_config(config),
                            sql: rendered.sql.as_deref().map(str::to_string).ok_or_else(|| {
                                rendered
                                    .diagnostics
                                    .first()
                                    .map_or("the model did not render".into(), |d| {
                                        d.message.clone()
                                    })
                            }),
                        }
                    });
                Work::Model {
                    materialization,
                    incremental,
                }
            }
            ResourceType::Test => Work::Test(TestConfig::from_config(config, flags.store_failures)),
            ResourceType::Snapshot => Work::Snapshot(SnapshotConfig::from_config(config)),
            _ => continue,
        };
        job_order.push(uid.clone());
        jobs.insert(
            uid.clone(),
            Job {
                unique_id: uid.clone(),
                name: node.name.clone(),
                original_file_path: node.original_file_path.clone(),
                relation_name: rel.render(),
                relation,
                introspective: renders_live(db, project, key),
                work,
                extras: crate::exec::run::extras::Extras::plan(db, project, key),
            },
        );
    }
    for job in unit_jobs {
        job_order.push(job.unique_id.clone());
        jobs.insert(job.unique_id.clone(), job);
    }
    let console = Console::new(common);
    let say = |line: &str| console.line(line);
    session.report(&diagnostics);
    if jobs.is_empty() {
        // A selected ephemeral model still gets its target/compiled file.
        let files = ephemeral_files(
            db,
            project,
            &session.target_dir(),
            &selected,
            &[],
            verb.runs(ResourceType::Model),
        );
        if let Err(e) = write_files(files, 1) {
            eprintln!("error: {e}");
        }
        console.emit(&Event::new(
            "NothingToDo",
            "Q035",
            Level::Warn,
            "Nothing to do. Try checking your model configs and model specification args",
        ));
        return 0;
    }
    let root = project.root(db).clone();
    let threads = flags
        .threads
        .unwrap_or(usize::try_from(target.threads).unwrap_or(1))
        .max(1);
    let opener = match opener(&target, &root, &jobs, &console) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: cannot connect to target `{}`: {e}", target.name);
            return 2;
        }
    };
    let started_at = Utc::now();
    let started = Instant::now();
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    for job in jobs.values() {
        *kinds.entry(job.kind()).or_default() += 1;
    }
    console.emit(
        &Event::new(
            "ConcurrencyLine",
            "Q027",
            Level::Info,
            format!("Concurrency: {threads} threads (target='{}')", target.name),
        )
        .with_data(json!({"num_threads": threads, "target_name": target.name})),
    );
    say("");
    let target_dir = session.target_dir();
    // Just-in-time renders and hooks share one clone of the database (renders are short;
    // the clone is Send, not Sync).
    let jit_db = std::sync::Mutex::new(db.clone());
    if let Err(e) = super::interrupt::install() {
        console.debug(&e);
    }
    let start_hooks = project_hooks(db, project, HookKind::Start);
    let end_hooks = project_hooks(db, project, HookKind::End);
    let mut hook_results = Vec::new();
    if !start_hooks.is_empty() {
        match opener() {
            Ok(mut c) => hook_results.extend(run_hooks(
                &jit_db,
                project,
                &console,
                c.adapter.as_mut(),
                HookKind::Start,
                &start_hooks,
                None,
            )),
            Err(e) => {
                eprintln!("error: cannot connect to target `{}`: {e}", target.name);
                return 2;
            }
        }
        say("");
    }
    let total_jobs = jobs.len();
    // What just-in-time analysis learns during the run (introspective nodes' schemas).
    let just_in_time = crate::sql::analysis::JustInTime::default();
    let in_run: std::collections::HashSet<String> = jobs.keys().cloned().collect();
    let jit =
        |uid: &str, this_exists: bool, live: crate::jinja::live::Live| -> Result<String, String> {
            let db = jit_db.lock().unwrap_or_else(|e| e.into_inner());
            let key = crate::db::NodeKey::new(&*db, uid.to_string());
            let rendered = live_sql(&*db, project, key, this_exists, live);
            let sql = rendered.sql.as_deref().map(str::to_string).ok_or_else(|| {
                rendered
                    .diagnostics
                    .first()
                    .map_or("the model did not render".into(), |d| d.message.clone())
            })?;
            // Introspective nodes are analyzed now, in `unsafe` mode, and their descendants
            // in this run with the schema now known: findings warn only.
            let runs = |u: &str| in_run.contains(u);
            for (node, finding) in
                just_in_time.after_render(&*db, project, key, &sql, !this_exists, &runs)
            {
                console.line(&format!(
                    "Warning: {node} (analyzed just in time): {finding}"
                ));
            }
            Ok(sql)
        };
    // A node hook that queries the database renders just before it runs, as dbt's do.
    let hook_jit = |uid: &str,
                    text: &str,
                    this_exists: bool,
                    live: crate::jinja::live::Live|
     -> Result<String, String> {
        let db = jit_db.lock().unwrap_or_else(|e| e.into_inner());
        let key = crate::db::NodeKey::new(&*db, uid.to_string());
        render_in_node(&*db, project, key, text, this_exists, Some(live))
            .map(Option::unwrap_or_default)
    };
    console.start_progress(total_jobs);
    let ran = run_jobs_with_hooks(
        jobs,
        &order,
        &parents,
        &compiled,
        Some(&jit),
        Some(&hook_jit),
        threads,
        opener.as_ref(),
        flags,
        &console,
    );
    console.finish_progress();
    let mut ran = match ran {
        Ok(ran) => ran,
        Err(e) => {
            eprintln!("error: cannot connect to target `{}`: {e}", target.name);
            return 2;
        }
    };
    if ran.interrupted {
        // As dbt: the nodes whose queries were cancelled are not reported.
        let cancelled = std::mem::take(&mut ran.cancelled);
        ran.done
            .retain(|(job, _)| !cancelled.contains(&job.unique_id));
    }
    let thread_of = |uid: &str| {
        ran.threads
            .get(uid)
            .cloned()
            .unwrap_or_else(|| "Thread-1 (worker)".into())
    };
    if !ran.interrupted && !end_hooks.is_empty() {
        say("");
        let database = ran
            .done
            .first()
            .map(|(j, _)| super::run_hooks::database_of(&j.relation_name))
            .unwrap_or_default();
        let node_extra =
            |uid: &str| super::run_hooks::node_extra(db, project, &target.schema, &database, uid);
        let end = EndContext::of(&ran.done, &hook_results, &thread_of, &node_extra);
        match opener() {
            Ok(mut c) => hook_results.extend(run_hooks(
                &jit_db,
                project,
                &console,
                c.adapter.as_mut(),
                HookKind::End,
                &end_hooks,
                Some(&end),
            )),
            Err(e) => console.error(&format!(
                "error: cannot connect to target `{}`: {e}",
                target.name
            )),
        }
    }
    // Ctrl-C during the on-run-end hooks ends the run as an interrupted one too.
    let interrupted = super::interrupt::interrupted();
    let done = ran.done;
    let mut run_files: Vec<(std::path::PathBuf, String)> = Vec::new();
    let mut compiled_files: Vec<(std::path::PathBuf, String)> = Vec::new();
    for (job, outcome) in &done {
        let uid = &job.unique_id;
        let sql = compiled.get(uid).map(String::as_str);
        if let (Some(sql), Some(path)) = (
            outcome.compiled_sql.as_deref().or(sql),
            compiled_path(db, project, &target_dir, uid),
        ) {
            compiled_files.push((path, sql.to_string()));
        }
        if let (Some(sql), Some(path)) = (
            &outcome.executed_sql,
            run_path(db, project, &target_dir, uid),
        ) {
            run_files.push((path, sql.clone()));
        }
    }
    if verb.runs(ResourceType::Model) || verb == Verb::Test {
        compiled_files.extend(ephemeral_files(
            db,
            project,
            &target_dir,
            &selected,
            &done,
            verb.runs(ResourceType::Model),
        ));
    }
    let elapsed = started.elapsed().as_secs_f64();
    if interrupted {
        // Only what finished, as dbt counts after Ctrl-C.
        kinds.clear();
        for (job, _) in &done {
            *kinds.entry(job.kind()).or_default() += 1;
        }
    }
    if !hook_results.is_empty() {
        *kinds.entry("project hook".into()).or_default() += hook_results.len();
    }
    let finished = finished_line(&kinds, elapsed);
    if interrupted {
        super::summary::interrupted(&console, &done, &hook_results);
    }
    say("");
    console.emit(
        &Event::new("FinishedRunningStats", "E047", Level::Info, finished).with_data(json!({
            "execution_time": elapsed,
            "stat_line": super::summary::stat_line(&kinds),
        })),
    );
    let mut artifact_errors = Vec::new();
    for files in [compiled_files, run_files] {
        if let Err(e) = write_files(files, 1) {
            artifact_errors.push(e);
        }
    }
    let (start_results, end_results) = hook_results.split_at(
        hook_results
            .iter()
            .position(|(r, _)| r.unique_id.contains("-on-run-end-"))
            .unwrap_or(hook_results.len()),
    );
    let results: Vec<_> = start_results
        .iter()
        .cloned()
        .chain(
            done.iter()
                .map(|(_, d)| (d.result.clone(), thread_of(&d.result.unique_id))),
        )
        .chain(end_results.iter().cloned())
        .collect();
    let mut doc = run_results(
        &results,
        started_at,
        elapsed,
        invocation_args(common, verb, flags),
    );
    super::run_hooks::uncompiled_skips(&mut doc);
    let bytes = serde_json::to_vec_pretty(&doc).unwrap_or_default();
    if let Err(e) = write_bytes(&target_dir.join("run_results.json"), &bytes) {
        artifact_errors.push(e);
    }
    for e in &artifact_errors {
        eprintln!("error: {e}");
    }
    let rel_target = target_dir
        .strip_prefix(&root)
        .map(|p| p.to_path_buf())
        .unwrap_or(target_dir.clone());
    let compiled_at = |uid: &str| compiled_path(db, project, &rel_target, uid);
    if interrupted {
        // dbt's exit code for a run stopped by Ctrl-C.
        return 2;
    }
    summary(&console, &done, &hook_results, &compiled_at)
}

/// target/compiled files of ephemeral models, as dbt writes them (never target/run): the
/// selected ones when the command runs models (`with_selected`), and those inlined, at any
/// depth, by a node that was compiled in this run.
fn ephemeral_files(
    db: &dyn crate::db::Db,
    project: crate::db::Project,
    target_dir: &std::path::Path,
    selected: &BTreeSet<String>,
    done: &[(Job, super::jobs::Done)],
    with_selected: bool,
) -> Vec<(std::path::PathBuf, String)> {
    use crate::jinja::nodes::rendered_node;
    let is_ephemeral = |uid: &str| {
        let key = NodeKey::new(db, uid.to_string());
        node_config(db, project, key)
            .get("materialized")
            .and_then(Value::as_str)
            == Some("ephemeral")
    };
    let mut stack: Vec<String> = Vec::new();
    if with_selected {
        stack.extend(selected.iter().filter(|u| is_ephemeral(u)).cloned());
    }
    for (job, outcome) in done {
        if outcome.result.compiled == Some(true) {
            let key = NodeKey::new(db, job.unique_id.as_str());
            stack.extend(rendered_node(db, project, key).ephemerals.iter().cloned());
        }
    }
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    while let Some(uid) = stack.pop() {
        if !seen.insert(uid.clone()) {
            continue;
        }
        let key = NodeKey::new(db, uid.as_str());
        stack.extend(rendered_node(db, project, key).ephemerals.iter().cloned());
        let sql = crate::jinja::nodes::compiled_sql(db, project, key)
            .sql
            .clone();
        if let (Some(sql), Some(path)) = (sql, compiled_path(db, project, target_dir, &uid)) {
            out.push((path, sql.to_string()));
        }
    }
    out
}

/// Opens the connections of the workers: DuckDB connections share one database instance
/// (the file is locked per process); other adapters connect once per worker. Creates the
/// schemas of the jobs first, as dbt does before a run, so that workers never race to
/// create one.
fn opener<'a>(
    target: &'a crate::project::profiles::Target,
    root: &'a std::path::Path,
    jobs: &HashMap<String, Job>,
    console: &std::sync::Arc<Console>,
) -> Result<Box<Opener<'a>>, String> {
    let schemas: BTreeSet<&str> = jobs
        .values()
        .filter(|j| match &j.work {
            Work::Test(config) => config.store_failures,
            _ => true,
        })
        .map(|j| j.relation.schema.as_str())
        .collect();
    let create = |adapter: &mut dyn crate::exec::Adapter| -> Result<(), String> {
        for schema in &schemas {
            adapter.execute(&format!(
                "CREATE SCHEMA IF NOT EXISTS {}",
                adapter.quote(schema)
            ))?;
        }
        Ok(())
    };
    if target.adapter_type == "duckdb" {
        let mut base = DuckDbAdapter::open(target, root)?;
        create(&mut base)?;
        let base = std::sync::Mutex::new(base);
        let console = std::sync::Arc::clone(console);
        return Ok(Box::new(move || {
            let conn = base.lock().unwrap_or_else(|e| e.into_inner()).try_clone()?;
            let handle = conn.interrupt_handle();
            Ok(Opened {
                adapter: Logged::wrap(Box::new(conn), std::sync::Arc::clone(&console)),
                cancel: Some(std::sync::Arc::new(move || handle.interrupt())),
            })
        }));
    }
    create(crate::exec::connect(target, root)?.as_mut())?;
    let console = std::sync::Arc::clone(console);
    Ok(Box::new(move || {
        let mut adapter = crate::exec::connect(target, root)?;
        let cancel = super::interrupt::backend_canceller(adapter.as_mut(), target, root);
        Ok(Opened {
            adapter: Logged::wrap(adapter, std::sync::Arc::clone(&console)),
            cancel,
        })
    }))
}
