//! `dbtc parse` and `dbtc compile`.

use std::time::Instant;

use super::{Common, Session};
use crate::artifacts::write::{write_bytes, write_files};
use crate::artifacts::{compiled_path, manifest::manifest_bytes};
use crate::compile::{compile_project, default_threads, warm_parallel};
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
    let threads = default_threads();
    warm_parallel(db, project, threads);
    tracing::info!(elapsed = ?start.elapsed(), "rendered");
    let selected = select(db, project, &common.select, &common.exclude);
    let output = compile_project(db, project, Some(&selected));
    let target_dir = session.target_dir();
    let mut written = 0;
    if write_compiled {
        let files: Vec<_> = output
            .nodes
            .iter()
            .filter_map(|node| {
                Some((
                    compiled_path(db, project, &target_dir, &node.unique_id)?,
                    node.sql.as_deref()?.to_string(),
                ))
            })
            .collect();
        match write_files(files, threads) {
            Ok(n) => written = n,
            Err(e) => {
                eprintln!("error: {e}");
                return 2;
            }
        }
        tracing::info!(elapsed = ?start.elapsed(), "compiled files written");
    }
    if let Err(e) = write_bytes(
        &target_dir.join("manifest.json"),
        &manifest_bytes(db, project, write_compiled, threads),
    ) {
        eprintln!("error: {e}");
        return 2;
    }
    tracing::info!(elapsed = ?start.elapsed(), "manifest written");
    if write_compiled {
        let lineage = crate::artifacts::lineage::lineage_json(db, project);
        let bytes = serde_json::to_vec(&lineage).unwrap_or_default();
        if let Err(e) = write_bytes(&target_dir.join("lineage.json"), &bytes) {
            eprintln!("error: {e}");
            return 2;
        }
    }
    session.report(&output.diagnostics);
    let errors = output.error_count();
    let warnings = output.diagnostics.len() - errors;
    if !common.quiet {
        let verb = if write_compiled { "compiled" } else { "parsed" };
        println!(
            "{verb} {} nodes ({written} files written) in {:.2}s: {errors} errors, {warnings} warnings",
            selected.len(),
            start.elapsed().as_secs_f64()
        );
    }
    // The process exits next: freeing every memo one by one would only cost time.
    std::mem::forget(session);
    i32::from(errors > 0)
}
