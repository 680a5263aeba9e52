//! `dbtc watch --run`: after a cycle without errors, builds on the target only the models
//! whose compiled SQL (or relation, or materialization) changed since they were last built,
//! and the descendants whose inputs changed: every model below one whose output schema
//! changed, and the tables and incremental models below one whose data changed (a view
//! reads its parents when queried, so it is rebuilt only when a parent's schema changed).
//! Introspective models are rendered just in time as in `dbtc run`. The jobs run through
//! the same workers as `dbtc run` (`run_jobs`), on a connection opened for the cycle and
//! closed after it, so the database file is not held between cycles. A failed model is
//! reported, and it and the descendants it skipped are tried again after the next cycle.
//!
//! The first cycle without errors builds the models whose relation does not exist yet (and
//! what they change below them); the others are taken as built from the current SQL.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use indexmap::IndexMap;
use serde_json::Value;

use super::Common;
use super::console::Console;
use super::execute::Flags;
use super::jobs::{Incremental, Job, Work};
use super::logged_adapter::Logged;
use super::workers::{Opened, Opener, run_jobs};
use crate::artifacts::run_results::Status;
use crate::db::{NodeKey, Project, RootDb};
use crate::exec::duckdb::DuckDbAdapter;
use crate::exec::run::Materialization;
use crate::exec::run::dag_order;
use crate::exec::run::incremental::IncrementalConfig;
use crate::exec::{Adapter, Relation};
use crate::jinja::incremental::{incremental_sql, live_sql, renders_live};
use crate::jinja::nodes::{node_config, node_info, node_relation};
use crate::project::nodes::ResourceType;
use crate::project::profiles::{Target, target};
use crate::recompile::{Path as RecompilePath, Recompiler};
use crate::sql::analysis::model_schema;
use crate::sql::schema::RelationSchema;
use crate::watch::{CycleReport, CycleView};

/// What a model was last built from (or, for an ephemeral model, last compiled to).
#[derive(Debug, Clone, PartialEq, Eq)]
struct ModelState {
    sql: Option<Arc<str>>,
    schema: Option<Arc<RelationSchema>>,
    relation: String,
    materialized: String,
}

/// What one `--run` step did.
#[derive(Debug, Default)]
pub struct CycleRun {
    /// The models run, with their status, in the order they finished.
    pub ran: Vec<(String, Status)>,
    /// Why nothing ran (errors in the cycle, no connection).
    pub note: Option<String>,
}

/// Keeps what the target holds between cycles.
pub struct WatchRunner {
    console: Arc<Console>,
    threads: Option<usize>,
    built: HashMap<String, ModelState>,
    /// Models to look at after the next cycle whatever it touches: they failed, were
    /// skipped, or changed in a cycle with errors (`all_pending`: every model).
    pending: BTreeSet<String>,
    all_pending: bool,
    /// The target was looked at (on the first cycle without errors).
    started: bool,
}

impl WatchRunner {
    pub fn new(common: &Common, threads: Option<usize>) -> WatchRunner {
        WatchRunner {
            console: Console::new(common),
            threads,
            built: HashMap::new(),
            pending: BTreeSet::new(),
            all_pending: false,
            started: false,
        }
    }

    /// Runs what the cycle changed (see the module doc).
    pub fn after_cycle(&mut self, report: &CycleReport, view: &CycleView<'_>) -> CycleRun {
        let Some(rec) = view.recompiler else {
            return CycleRun {
                note: Some("nothing run: the cycle failed".into()),
                ..CycleRun::default()
            };
        };
        let (db, project) = (view.db, view.project);
        let every = !self.started || rec.last_path == RecompilePath::Full || self.all_pending;
        let mut candidates: BTreeSet<String> = if every {
            rec.selected().iter().cloned().collect()
        } else {
            rec.last_touched.iter().cloned().collect()
        };
        candidates.extend(self.pending.iter().cloned());
        if report.errors > 0 || report.internal_error.is_some() {
            self.all_pending |= every;
            self.pending.extend(candidates);
            return CycleRun {
                note: Some(format!(
                    "nothing run: the project has {} error{}",
                    report.errors,
                    if report.errors == 1 { "" } else { "s" }
                )),
                ..CycleRun::default()
            };
        }
        let target = match target(db, project) {
            Ok(t) => t.clone(),
            Err(d) => {
                return CycleRun {
                    note: Some(format!("nothing run: {}", d.message)),
                    ..CycleRun::default()
                };
            }
        };
        let root = project.root(db).clone();
        let base = match Base::open(&target, &root) {
            Ok(b) => b,
            Err(e) => {
                self.pending.extend(candidates);
                return CycleRun {
                    note: Some(format!(
                        "nothing run: cannot connect to target `{}`: {e}",
                        target.name
                    )),
                    ..CycleRun::default()
                };
            }
        };
        if !self.started {
            // Models whose relation exists are taken as built from their current SQL.
            self.started = true;
            let existing = base.relations();
            for uid in &candidates {
                if let Some(state) = model_state(db, project, rec, uid)
                    && state.materialized != "ephemeral"
                    && existing.contains(&plain(&state.relation))
                {
                    self.built.insert(uid.clone(), state);
                }
            }
        }
        self.all_pending = false;
        self.pending.clear();
        let plan = self.plan(db, project, rec, &candidates);
        if plan.jobs.is_empty() {
            return CycleRun::default();
        }
        let run = self.run(db, project, &target, base, plan);
        for (uid, status) in &run.ran {
            if *status == Status::Success
                && let Some(state) = model_state(db, project, rec, uid)
            {
                self.built.insert(uid.clone(), state);
            } else {
                self.pending.insert(uid.clone());
            }
        }
        run
    }

    /// The models to build, in DAG order, and the parents among the nodes walked.
    fn plan(
        &self,
        db: &RootDb,
        project: Project,
        rec: &Recompiler,
        candidates: &BTreeSet<String>,
    ) -> Plan {
        let children = rec.children();
        let changed: BTreeSet<String> = candidates
            .iter()
            .filter(|uid| {
                model_state(db, project, rec, uid).is_some_and(|s| {
                    s.materialized != "ephemeral" && self.built.get(*uid) != Some(&s)
                })
            })
            .cloned()
            .collect();
        // Everything below a changed model, then decide in DAG order.
        let mut walked: BTreeSet<String> = changed.clone();
        let mut stack: Vec<String> = changed.iter().cloned().collect();
        while let Some(uid) = stack.pop() {
            for c in children.get(&uid).into_iter().flatten() {
                if walked.insert(c.clone()) {
                    stack.push(c.clone());
                }
            }
        }
        let mut parents: IndexMap<String, Vec<String>> = IndexMap::new();
        for uid in &walked {
            for c in children.get(uid).into_iter().flatten() {
                if walked.contains(c) {
                    parents.entry(c.clone()).or_default().push(uid.clone());
                }
            }
        }
        let ids: Vec<String> = rec
            .selected()
            .iter()
            .filter(|u| walked.contains(*u))
            .cloned()
            .collect();
        let order = dag_order(&ids, &parents);
        let (mut data_changed, mut schema_changed) = (BTreeSet::new(), BTreeSet::new());
        let mut jobs = Vec::new();
        for uid in &order {
            let Some(state) = model_state(db, project, rec, uid) else {
                continue;
            };
            let ps = parents.get(uid).map(Vec::as_slice).unwrap_or_default();
            let parent_data = ps.iter().any(|p| data_changed.contains(p));
            let parent_schema = ps.iter().any(|p| schema_changed.contains(p));
            if state.materialized == "ephemeral" {
                // Inlined into its children: passes its parents' changes on.
                if parent_data {
                    data_changed.insert(uid.clone());
                }
                if parent_schema {
                    schema_changed.insert(uid.clone());
                }
                continue;
            }
            let view = state.materialized == "view";
            if changed.contains(uid) || parent_schema || (parent_data && !view) {
                let before = self.built.get(uid);
                if before.is_none_or(|b| b.schema != state.schema || b.relation != state.relation) {
                    schema_changed.insert(uid.clone());
                }
                data_changed.insert(uid.clone());
                jobs.push(uid.clone());
            } else if parent_data {
                data_changed.insert(uid.clone());
            }
        }
        Plan {
            jobs,
            order,
            parents,
        }
    }

    fn run(
        &self,
        db: &RootDb,
        project: Project,
        target: &Target,
        base: Base,
        plan: Plan,
    ) -> CycleRun {
        let say = |line: &str| self.console.line(line);
        let mut jobs: HashMap<String, Job> = HashMap::new();
        let mut compiled: HashMap<String, String> = HashMap::new();
        for uid in &plan.jobs {
            if let Some((job, sql)) = plan_job(db, project, target, uid) {
                if let Some(sql) = sql {
                    compiled.insert(uid.clone(), sql);
                }
                jobs.insert(uid.clone(), job);
            }
        }
        if let Err(e) = base.create_schemas(&jobs) {
            return CycleRun {
                note: Some(format!("nothing run: {e}")),
                ..CycleRun::default()
            };
        }
        let n = jobs.len();
        say(&format!(
            "Running {n} model{} changed by this cycle",
            if n == 1 { "" } else { "s" }
        ));
        let started = Instant::now();
        // Just-in-time renders share one clone of the database, dropped with this call
        // (before the loop's next setter).
        let jit_db = Mutex::new(db.clone());
        // As in `dbtc run`: introspective models and their descendants in this cycle are
        // analyzed after the just-in-time render; findings warn.
        let just_in_time = crate::sql::analysis::JustInTime::default();
        let in_cycle: std::collections::HashSet<String> = jobs.keys().cloned().collect();
        let jit = |uid: &str,
                   this_exists: bool,
                   live: crate::jinja::live::Live|
         -> Result<String, String> {
            let db = jit_db.lock().unwrap_or_else(|e| e.into_inner());
            let key = NodeKey::new(&*db, uid.to_string());
            let rendered = live_sql(&*db, project, key, this_exists, live);
            let sql = rendered.sql.as_deref().map(str::to_string).ok_or_else(|| {
                rendered
                    .diagnostics
                    .first()
                    .map_or("the model did not render".into(), |d| d.message.clone())
            })?;
            let runs = |u: &str| in_cycle.contains(u);
            for (node, finding) in
                just_in_time.after_render(&*db, project, key, &sql, !this_exists, &runs)
            {
                say(&format!(
                    "Warning: {node} (analyzed just in time): {finding}"
                ));
            }
            Ok(sql)
        };
        let threads = self
            .threads
            .unwrap_or(usize::try_from(target.threads).unwrap_or(1))
            .max(1);
        let flags = Flags {
            full_refresh: false,
            store_failures: false,
            threads: Some(threads),
        };
        let opener = base.opener(&self.console);
        let ran = run_jobs(
            jobs,
            &plan.order,
            &plan.parents,
            &compiled,
            Some(&jit),
            threads,
            opener.as_ref(),
            flags,
            &self.console,
        );
        match ran {
            Ok(ran) => {
                let out: Vec<(String, Status)> = ran
                    .done
                    .iter()
                    .map(|(job, done)| (job.unique_id.clone(), done.result.status))
                    .collect();
                let count = |s: Status| out.iter().filter(|(_, x)| *x == s).count();
                say(&format!(
                    "Finished running {} model{} in {:.2}s: {} ok, {} error, {} skipped",
                    out.len(),
                    if out.len() == 1 { "" } else { "s" },
                    started.elapsed().as_secs_f64(),
                    count(Status::Success),
                    count(Status::Error),
                    count(Status::Skipped),
                ));
                CycleRun {
                    ran: out,
                    note: None,
                }
            }
            Err(e) => CycleRun {
                note: Some(format!(
                    "nothing run: cannot connect to target `{}`: {e}",
                    target.name
                )),
                ..CycleRun::default()
            },
        }
    }
}

/// A relation's name without quotes, lowercased: compares a rendered relation with the
/// database's catalog (a model with unusual quoting is at worst built again).
fn plain(relation: &str) -> String {
    relation.replace('"', "").to_lowercase()
}

struct Plan {
    /// The models to build.
    jobs: Vec<String>,
    /// Every node walked, in DAG order.
    order: Vec<String>,
    parents: IndexMap<String, Vec<String>>,
}

/// A model's current state (None for other nodes and unselected or failed ones).
fn model_state(db: &RootDb, project: Project, rec: &Recompiler, uid: &str) -> Option<ModelState> {
    let output = rec.node_output(uid)?;
    let key = NodeKey::new(db, uid.to_string());
    let node = node_info(db, project, key).as_ref()?;
    if node.resource_type != ResourceType::Model {
        return None;
    }
    let sql = output.compiled.as_ref()?.sql.clone();
    let materialized = node_config(db, project, key)
        .get("materialized")
        .and_then(Value::as_str)
        .unwrap_or("view")
        .to_string();
    let relation = node_relation(db, project, key)
        .as_ref()
        .map(|r| r.render())
        .unwrap_or_default();
    Some(ModelState {
        sql,
        schema: model_schema(db, project, key).clone(),
        relation,
        materialized,
    })
}

/// A model's job, as `dbtc run` plans it, and its compiled SQL.
fn plan_job(
    db: &RootDb,
    project: Project,
    target: &Target,
    uid: &str,
) -> Option<(Job, Option<String>)> {
    let key = NodeKey::new(db, uid.to_string());
    let node = node_info(db, project, key).clone()?;
    let config = node_config(db, project, key);
    let rel = node_relation(db, project, key).clone()?;
    let relation = Relation {
        database: None,
        schema: rel.schema.clone().unwrap_or_else(|| target.schema.clone()),
        identifier: rel.identifier.clone().unwrap_or_else(|| node.name.clone()),
    };
    let materialized = config
        .get("materialized")
        .and_then(Value::as_str)
        .unwrap_or("view")
        .to_string();
    let materialization = Materialization::parse(&materialized).ok_or(materialized);
    let incremental = (materialization == Ok(Materialization::Incremental)).then(|| {
        let rendered = incremental_sql(db, project, key);
        Incremental {
            config: IncrementalConfig::from_config(config),
            sql: rendered.sql.as_deref().map(str::to_string).ok_or_else(|| {
                rendered
                    .diagnostics
                    .first()
                    .map_or("the model did not render".into(), |d| d.message.clone())
            }),
        }
    });
    let sql = crate::jinja::nodes::compiled_sql(db, project, key)
        .sql
        .as_deref()
        .map(str::to_string);
    let job = Job {
        unique_id: uid.to_string(),
        name: node.name.clone(),
        original_file_path: node.original_file_path.clone(),
        relation_name: rel.render(),
        relation,
        introspective: renders_live(db, project, key),
        work: Work::Model {
            materialization,
            incremental,
        },
        extras: crate::exec::run::extras::Extras::plan(db, project, key),
    };
    Some((job, sql))
}

/// The cycle's connection to the target: a DuckDB database instance shared by the
/// workers (the file is locked per process), or the target to connect to once per worker.
enum Base<'a> {
    DuckDb(Mutex<DuckDbAdapter>),
    Other(&'a Target, &'a std::path::Path),
}

impl<'a> Base<'a> {
    fn open(target: &'a Target, root: &'a std::path::Path) -> Result<Base<'a>, String> {
        if target.adapter_type == "duckdb" {
            return Ok(Base::DuckDb(Mutex::new(DuckDbAdapter::open(target, root)?)));
        }
        crate::exec::connect(target, root)?;
        Ok(Base::Other(target, root))
    }

    fn with<T>(&self, f: impl FnOnce(&mut dyn Adapter) -> Result<T, String>) -> Result<T, String> {
        match self {
            Base::DuckDb(conn) => f(&mut *conn.lock().unwrap_or_else(|e| e.into_inner())),
            Base::Other(target, root) => f(crate::exec::connect(target, root)?.as_mut()),
        }
    }

    /// `database.schema.identifier` of every relation in the database, as [`plain`] spells
    /// a rendered relation.
    fn relations(&self) -> BTreeSet<String> {
        let rows = self.with(|a| {
            a.query("select table_catalog, table_schema, table_name from information_schema.tables")
        });
        let mut out = BTreeSet::new();
        for row in rows.map(|r| r.rows).unwrap_or_default() {
            let part = |i: usize| row.get(i).and_then(|v| v.as_str()).unwrap_or_default();
            out.insert(plain(&format!("{}.{}.{}", part(0), part(1), part(2))));
        }
        out
    }

    fn create_schemas(&self, jobs: &HashMap<String, Job>) -> Result<(), String> {
        let schemas: BTreeSet<&str> = jobs.values().map(|j| j.relation.schema.as_str()).collect();
        self.with(|a| {
            for schema in &schemas {
                a.execute(&format!("CREATE SCHEMA IF NOT EXISTS {}", a.quote(schema)))?;
            }
            Ok(())
        })
    }

    fn opener<'b>(&'b self, console: &Arc<Console>) -> Box<Opener<'b>> {
        let console = Arc::clone(console);
        Box::new(move || match self {
            Base::DuckDb(conn) => {
                let conn = conn.lock().unwrap_or_else(|e| e.into_inner()).try_clone()?;
                let handle = conn.interrupt_handle();
                Ok(Opened {
                    adapter: Logged::wrap(Box::new(conn), Arc::clone(&console)),
                    cancel: Some(Arc::new(move || handle.interrupt())),
                })
            }
            Base::Other(target, root) => Ok(Opened {
                adapter: Logged::wrap(crate::exec::connect(target, root)?, Arc::clone(&console)),
                cancel: None,
            }),
        })
    }
}
