//! `dbtc parse` and `dbtc compile`.

use std::time::Instant;

use super::{Common, Session};
use crate::artifacts::{compiled_path, manifest::manifest};
use crate::compile::compile_project;
use crate::graph::select;

pub fn run(common: &Common, write_compiled: bool) -> i32 {
    let start = Instant::now();
    let session = match Session::load(common) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let (db, project) = (&session.db, session.project);
    let selected = select(db, project, &common.select, &common.exclude);
    let output = compile_project(db, project, Some(&selected));
    let target_dir = session.target_dir();
    let mut written = 0;
    if write_compiled {
        for node in &output.nodes {
            let (Some(sql), Some(path)) = (
                &node.sql,
                compiled_path(db, project, &target_dir, &node.unique_id),
            ) else {
                continue;
            };
            if let Some(parent) = path.parent() {
                let _ = std::fs::create_dir_all(parent);
            }
            if let Err(e) = std::fs::write(&path, sql) {
                eprintln!("error: cannot write {}: {e}", path.display());
                return 2;
            }
            written += 1;
        }
    }
    let manifest = manifest(db, project, write_compiled);
    let _ = std::fs::create_dir_all(&target_dir);
    let text = serde_json::to_string_pretty(&manifest).unwrap_or_default();
    if let Err(e) = std::fs::write(target_dir.join("manifest.json"), text) {
        eprintln!("error: cannot write manifest.json: {e}");
        return 2;
    }
    session.report(&output.diagnostics);
    let errors = output.error_count();
    let warnings = output.diagnostics.len() - errors;
    if !common.quiet {
        let verb = if write_compiled { "compiled" } else { "parsed" };
        println!(
            "{verb} {} nodes ({} files written) in {:.2}s: {errors} errors, {warnings} warnings",
            selected.len(),
            written,
            start.elapsed().as_secs_f64()
        );
    }
    i32::from(errors > 0)
}
