//! The driver shared by `seed`, `run`, `test` and `build`: plans the selected nodes in DAG
//! order (with dbt's test edges for `build`), runs them one at a time, skips the
//! descendants of failures, prints dbt's console lines and writes run_results.json and
//! target/run/**.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Instant;

use chrono::Utc;
use serde_json::{Value, json};

use super::console::Say;
use super::jobs::{Done, Incremental, Job, Work};
use super::workers::{Opener, run_jobs};
use super::{Common, Session};
use crate::artifacts::run_results::{NodeResult, Status, run_results};
use crate::artifacts::write::{write_bytes, write_files};
use crate::artifacts::{compiled_path, run_path};
use crate::compile::compile_project;
use crate::db::NodeKey;
use crate::exec::Relation;
use crate::exec::duckdb::DuckDbAdapter;
use crate::exec::run::incremental::IncrementalConfig;
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
    fn name(self) -> &'static str {
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
        let output = compile_project(db, project, Some(&selected));
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
    let order = dag_order(&all, &parents);
    let mut jobs: HashMap<String, Job> = HashMap::new();
    let mut job_order: Vec<String> = Vec::new();
    for uid in &order {
        if !selected.contains(uid) {
            continue;
        }
        let key = NodeKey::new(db, uid.clone());
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
    let printer = Say {
        quiet: common.quiet,
    };
    let say = |line: &str| printer.line(line);
    session.report(&diagnostics);
    if jobs.is_empty() {
        say("Nothing to do. Try checking your model configs and model specification args");
        return 0;
    }
    let root = project.root(db).clone();
    let threads = flags
        .threads
        .unwrap_or(usize::try_from(target.threads).unwrap_or(1))
        .max(1);
    let opener = match opener(&target, &root, &jobs) {
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
    say(&format!(
        "Concurrency: {threads} threads (target='{}')",
        target.name
    ));
    say("");
    let target_dir = session.target_dir();
    let say_sync = |line: &str| printer.line(line);
    // Just-in-time renders share one clone of the database (renders are short; the
    // clone is Send, not Sync).
    let jit_db = std::sync::Mutex::new(db.clone());
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
            // Introspective nodes are analyzed now, in `unsafe` mode: findings warn only.
            for finding in crate::sql::analysis::just_in_time_findings(&*db, project, key, &sql) {
                printer.line(&format!(
                    "Warning: {uid} (analyzed just in time): {finding}"
                ));
            }
            Ok(sql)
        };
    let done = match run_jobs(
        jobs,
        &order,
        &parents,
        &compiled,
        Some(&jit),
        threads,
        opener.as_ref(),
        flags,
        &say_sync,
    ) {
        Ok(done) => done,
        Err(e) => {
            eprintln!("error: cannot connect to target `{}`: {e}", target.name);
            return 2;
        }
    };
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
    let elapsed = started.elapsed().as_secs_f64();
    say("");
    let parts: Vec<String> = kinds
        .iter()
        .map(|(kind, n)| {
            let kind = if kind == "test" { "data test" } else { kind };
            format!("{n} {kind}{}", if *n == 1 { "" } else { "s" })
        })
        .collect();
    say(&format!(
        "Finished running {}{} ({elapsed:.2}s).",
        parts.join(", "),
        humanized(elapsed)
    ));
    let mut artifact_errors = Vec::new();
    for files in [compiled_files, run_files] {
        if let Err(e) = write_files(files, 1) {
            artifact_errors.push(e);
        }
    }
    let results: Vec<NodeResult> = done.iter().map(|(_, d)| d.result.clone()).collect();
    let doc = run_results(
        &results,
        started_at,
        elapsed,
        invocation_args(common, verb, flags),
    );
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
    summary(&printer, &done, &compiled_at)
}

/// Opens the connections of the workers: DuckDB connections share one database instance
/// (the file is locked per process); other adapters connect once per worker. Creates the
/// schemas of the jobs first, as dbt does before a run, so that workers never race to
/// create one.
fn opener<'a>(
    target: &'a crate::project::profiles::Target,
    root: &'a std::path::Path,
    jobs: &HashMap<String, Job>,
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
        return Ok(Box::new(move || {
            let conn = base.lock().unwrap_or_else(|e| e.into_inner()).try_clone()?;
            Ok(Box::new(conn) as Box<dyn crate::exec::Adapter>)
        }));
    }
    create(crate::exec::connect(target, root)?.as_mut())?;
    Ok(Box::new(move || crate::exec::connect(target, root)))
}

/// The closing lines (`Completed ...`, each failure and warning, `Done. PASS=...`);
/// returns the exit code.
fn summary(
    say: &Say,
    done: &[(Job, Done)],
    compiled_at: &dyn Fn(&str) -> Option<std::path::PathBuf>,
) -> i32 {
    let count =
        |f: &dyn Fn(Status) -> bool| done.iter().filter(|(_, d)| f(d.result.status)).count();
    let errors = count(&|s| s.is_error());
    let warnings = count(&|s| s == Status::Warn);
    let passed = count(&|s| matches!(s, Status::Success | Status::Pass));
    let skipped = count(&|s| s == Status::Skipped);
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    say.line("");
    if errors > 0 {
        println!(
            "Completed with {}, 0 partial successes, and {}:",
            plural(errors, "error"),
            plural(warnings, "warning")
        );
    } else if warnings > 0 {
        say.line(&format!("Completed with {}:", plural(warnings, "warning")));
    } else {
        say.line("Completed successfully");
    }
    let failing = done.iter().filter(|(_, d)| d.result.status.is_error());
    let warning = done.iter().filter(|(_, d)| d.result.status == Status::Warn);
    for (job, d) in failing.chain(warning) {
        let is_warning = d.result.status == Status::Warn;
        let heading = format!(
            "{} in {} {} ({})",
            if is_warning { "Warning" } else { "Failure" },
            job.resource(),
            job.name,
            job.original_file_path
        );
        let message = d.result.message.clone().unwrap_or_default();
        let mut lines = vec![String::new(), heading];
        lines.push(if is_warning {
            message
        } else {
            format!("  {message}")
        });
        if matches!(job.work, Work::Test(_))
            && let Some(path) = compiled_at(&job.unique_id)
        {
            lines.push(String::new());
            lines.push(format!("  compiled code at {}", path.display()));
        }
        if let (Work::Test(c), Some(rel)) = (&job.work, &d.result.relation_name)
            && c.store_failures
        {
            let q = format!("select * from {rel}");
            let border = "-".repeat(q.len());
            lines.push(String::new());
            lines.push(format!(
                "  See test failures:\n  {border}\n  {q}\n  {border}"
            ));
        }
        for line in lines {
            if is_warning {
                say.line(&line);
            } else {
                println!("{line}");
            }
        }
    }
    say.line("");
    say.line(&format!(
        "Done. PASS={passed} WARN={warnings} ERROR={errors} SKIP={skipped} NO-OP=0 TOTAL={}",
        done.len()
    ));
    i32::from(errors > 0)
}

/// dbt's `humanize_execution_time`: ` in 0 hours 0 minutes and 0.35 seconds`.
fn humanized(secs: f64) -> String {
    let minutes = (secs / 60.0).floor();
    let (hours, minutes) = ((minutes / 60.0).floor(), minutes % 60.0);
    format!(
        " in {hours} hours {minutes} minutes and {:.2} seconds",
        secs - (secs / 60.0).floor() * 60.0
    )
}

/// The `args` of run_results.json: the flags of this invocation.
fn invocation_args(common: &Common, verb: Verb, flags: Flags) -> serde_json::Map<String, Value> {
    let mut args = serde_json::Map::new();
    args.insert("which".into(), json!(verb.name()));
    args.insert("select".into(), json!(common.select));
    args.insert("exclude".into(), json!(common.exclude));
    args.insert("project_dir".into(), json!(common.project_dir));
    args.insert("profiles_dir".into(), json!(common.profiles_dir));
    args.insert("target".into(), json!(common.target));
    args.insert("target_path".into(), json!(common.target_path));
    args.insert(
        "vars".into(),
        common.vars.as_ref().map_or(json!({}), |v| json!(v)),
    );
    args.insert("full_refresh".into(), json!(flags.full_refresh));
    args.insert("store_failures".into(), json!(flags.store_failures));
    let command: Vec<String> = std::env::args().collect();
    args.insert("invocation_command".into(), json!(command.join(" ")));
    args
}
