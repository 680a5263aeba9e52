//! `dbtc run`: builds every selected, enabled model in DAG order (single-threaded).

use std::collections::{BTreeSet, HashMap};
use std::time::Instant;

use super::console::{Say, finish, justified};
use super::{Common, Session};
use crate::compile::compile_project;
use crate::db::NodeKey;
use crate::exec::Relation;
use crate::exec::run::{BuildOutcome, Materialization, build_model, dag_order};
use crate::graph::{dag, select};
use crate::jinja::nodes::{compiled_sql, node_config, node_info, node_relation};
use crate::project::nodes::ResourceType;
use crate::project::profiles::target;

/// `<msg> ....... [<status>]`, dots up to dbt's 80 columns.
/// One model to build.
struct Job {
    unique_id: String,
    relation: Relation,
    /// None: a materialization `dbtc run` cannot build yet (its name).
    materialization: Result<Materialization, String>,
    introspective: bool,
}

impl Job {
    fn display_name(&self) -> String {
        format!("{}.{}", self.relation.schema, self.relation.identifier)
    }
    fn kind(&self) -> &str {
        match &self.materialization {
            Ok(m) => m.name(),
            Err(name) => name,
        }
    }
}

pub fn run(common: &Common) -> i32 {
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
    let output = compile_project(db, project, Some(&selected));
    if output.error_count() > 0 {
        session.report(&output.diagnostics);
        eprintln!(
            "error: the project has {} compile error(s); nothing was run",
            output.error_count()
        );
        return 1;
    }
    let compiled: HashMap<&str, &str> = output
        .nodes
        .iter()
        .filter_map(|n| Some((n.unique_id.as_str(), n.sql.as_deref()?)))
        .collect();
    let selected: BTreeSet<String> = selected.into_iter().collect();
    let graph = dag(db, project);
    let all: Vec<String> = graph.parents.keys().cloned().collect();
    let order = dag_order(&all, &graph.parents);
    let mut jobs: Vec<Job> = Vec::new();
    for uid in &order {
        if !selected.contains(uid) {
            continue;
        }
        let key = NodeKey::new(db, uid.clone());
        let Some(node) = node_info(db, project, key).clone() else {
            continue;
        };
        if node.resource_type != ResourceType::Model {
            continue;
        }
        let config = node_config(db, project, key);
        let materialized = config
            .get("materialized")
            .and_then(|v| v.as_str())
            .unwrap_or("view")
            .to_string();
        if materialized == "ephemeral" {
            continue;
        }
        let Some(rel) = node_relation(db, project, key) else {
            continue;
        };
        jobs.push(Job {
            unique_id: uid.clone(),
            relation: Relation {
                database: None,
                schema: rel.schema.clone().unwrap_or_else(|| target.schema.clone()),
                identifier: rel.identifier.clone().unwrap_or_else(|| node.name.clone()),
            },
            materialization: Materialization::parse(&materialized).ok_or(materialized),
            introspective: compiled_sql(db, project, key).introspective,
        });
    }
    let printer = Say {
        quiet: common.quiet,
    };
    let say = |line: &str| printer.line(line);
    if jobs.is_empty() {
        session.report(&output.diagnostics);
        say("Nothing to do. Try checking your model configs and model specification args");
        return 0;
    }
    let root = project.root(db).clone();
    let mut adapter = match crate::exec::connect(&target, &root) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: cannot connect to target `{}`: {e}", target.name);
            return 2;
        }
    };
    session.report(&output.diagnostics);
    let started = Instant::now();
    let total = jobs.len();
    let mut kinds: std::collections::BTreeMap<String, usize> = Default::default();
    for job in &jobs {
        *kinds.entry(job.kind().to_string()).or_default() += 1;
    }
    say(&format!(
        "Concurrency: 1 threads (target='{}')",
        target.name
    ));
    say("");
    // Nodes that failed or were skipped: their descendants are skipped.
    let mut bad: BTreeSet<String> = BTreeSet::new();
    let mut jobs_by_id: HashMap<String, Job> =
        jobs.into_iter().map(|j| (j.unique_id.clone(), j)).collect();
    let (mut pass, mut skip) = (0usize, 0usize);
    let mut failures: Vec<(String, String)> = Vec::new();
    let mut index = 0usize;
    for uid in &order {
        let upstream_bad = graph
            .parents
            .get(uid)
            .is_some_and(|ps| ps.iter().any(|p| bad.contains(p)));
        let Some(job) = jobs_by_id.remove(uid) else {
            // Not built here (ephemeral, unselected, seeds...): only carries failures.
            if upstream_bad {
                bad.insert(uid.clone());
            }
            continue;
        };
        index += 1;
        let name = job.display_name();
        let prefix = format!("{index} of {total}");
        let skip_reason = if upstream_bad {
            Some(None)
        } else if job.introspective {
            Some(Some(
                "introspective model (rendering it needs the database): not supported yet",
            ))
        } else if job.materialization.is_err() {
            Some(Some("materialization not supported yet"))
        } else if job.materialization == Ok(Materialization::Incremental)
            && matches!(adapter.relation_exists(&job.relation), Ok(true))
        {
            Some(Some("incremental runs not supported yet"))
        } else {
            None
        };
        if let Some(reason) = skip_reason {
            bad.insert(uid.clone());
            skip += 1;
            let msg = match reason {
                Some(r) => format!("{prefix} SKIP relation {name} ({r})"),
                None => format!("{prefix} SKIP relation {name}"),
            };
            say(&justified(&msg, "SKIP"));
            continue;
        }
        let kind = job.kind().to_string();
        say(&justified(
            &format!("{prefix} START sql {kind} model {name}"),
            "RUN",
        ));
        let t = Instant::now();
        let Some(sql) = compiled.get(uid.as_str()) else {
            bad.insert(uid.clone());
            skip += 1;
            say(&justified(
                &format!("{prefix} SKIP relation {name} (no compiled SQL)"),
                "SKIP",
            ));
            continue;
        };
        let result = match job.materialization {
            Ok(m) => build_model(adapter.as_mut(), &job.relation, m, sql),
            Err(_) => unreachable!("skipped above"),
        };
        let secs = t.elapsed().as_secs_f64();
        match result {
            Ok(BuildOutcome::Built(status)) => {
                pass += 1;
                say(&justified(
                    &format!("{prefix} OK created sql {kind} model {name}"),
                    &format!("{status} in {secs:.2}s"),
                ));
            }
            Ok(BuildOutcome::Skipped(reason)) => {
                bad.insert(uid.clone());
                skip += 1;
                say(&justified(
                    &format!("{prefix} SKIP relation {name} ({reason})"),
                    "SKIP",
                ));
            }
            Err(e) => {
                bad.insert(uid.clone());
                say(&justified(
                    &format!("{prefix} ERROR creating sql {kind} model {name}"),
                    &format!("ERROR in {secs:.2}s"),
                ));
                failures.push((uid.clone(), e));
            }
        }
    }
    say("");
    // As dbt: one count per materialization, in name order.
    let parts: Vec<String> = kinds
        .iter()
        .map(|(kind, n)| format!("{n} {kind} model{}", if *n == 1 { "" } else { "s" }))
        .collect();
    say(&format!(
        "Finished running {} in {:.2}s.",
        parts.join(", "),
        started.elapsed().as_secs_f64()
    ));
    finish(&printer, "model", &failures, pass, skip, total)
}
