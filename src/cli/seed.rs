//! `dbtc seed`: loads every selected, enabled seed's CSV into its relation.

use std::time::Instant;

use super::console::{Say, finish, justified};
use super::{Common, Session};
use crate::db::NodeKey;
use crate::exec::seed::{SeedSpec, load_seed, seed_spec};
use crate::graph::select;
use crate::jinja::nodes::{node_config, node_info, node_relation};
use crate::project::nodes::ResourceType;
use crate::project::profiles::target;

/// `<msg> ....... [<status>]`, dots up to dbt's 80 columns.
pub fn run(common: &Common, full_refresh: bool) -> i32 {
    let session = match Session::load(common) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let (db, project) = (&session.db, session.project);
    let diagnostics = crate::compile::project_diagnostics(db, project);
    let errors: Vec<_> = diagnostics
        .iter()
        .filter(|d| d.is_error())
        .cloned()
        .collect();
    if !errors.is_empty() {
        session.report(&errors);
        return 1;
    }
    let target = match target(db, project) {
        Ok(t) => t.clone(),
        Err(d) => {
            session.report(std::slice::from_ref(&**d));
            return 2;
        }
    };
    let root = project.root(db).clone();
    let mut adapter = match crate::exec::connect(&target, &root) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: cannot connect to target `{}`: {e}", target.name);
            return 2;
        }
    };
    let mut specs: Vec<SeedSpec> = Vec::new();
    for uid in select(db, project, &common.select, &common.exclude) {
        let key = NodeKey::new(db, uid.clone());
        let Some(node) = node_info(db, project, key).clone() else {
            continue;
        };
        if node.resource_type != ResourceType::Seed {
            continue;
        }
        let (Some(file), Some(rel)) = (node.file, node_relation(db, project, key)) else {
            continue;
        };
        let csv = file.path(db).clone();
        let schema = rel.schema.clone().unwrap_or_else(|| target.schema.clone());
        let alias = rel.identifier.clone().unwrap_or_else(|| node.name.clone());
        specs.push(seed_spec(
            &uid,
            &csv,
            node_config(db, project, key),
            &schema,
            &alias,
        ));
    }
    specs.sort_by(|a, b| a.unique_id.cmp(&b.unique_id));
    let printer = Say {
        quiet: common.quiet,
    };
    let say = |line: &str| printer.line(line);
    if specs.is_empty() {
        say("Nothing to do. Try checking your model configs and model specification args");
        return 0;
    }
    let started = Instant::now();
    let total = specs.len();
    say(&format!(
        "Concurrency: 1 threads (target='{}')",
        target.name
    ));
    say("");
    let mut failures: Vec<(String, String)> = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        let name = spec.display_name();
        say(&justified(
            &format!("{} of {total} START seed file {name}", i + 1),
            "RUN",
        ));
        let t = Instant::now();
        let result = load_seed(adapter.as_mut(), spec, full_refresh);
        let secs = t.elapsed().as_secs_f64();
        match result {
            Ok(rows) => say(&justified(
                &format!("{} of {total} OK loaded seed file {name}", i + 1),
                &format!("INSERT {rows} in {secs:.2}s"),
            )),
            Err(e) => {
                say(&justified(
                    &format!("{} of {total} ERROR loading seed file {name}", i + 1),
                    &format!("ERROR in {secs:.2}s"),
                ));
                failures.push((spec.unique_id.clone(), e));
            }
        }
    }
    say("");
    say(&format!(
        "Finished running {total} seed{} in {:.2}s.",
        if total == 1 { "" } else { "s" },
        started.elapsed().as_secs_f64()
    ));
    finish(
        &printer,
        "seed",
        &failures,
        total - failures.len(),
        0,
        total,
    )
}
