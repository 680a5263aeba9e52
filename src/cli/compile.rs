//! `dbtc parse` and `dbtc compile`.

use std::time::Instant;

use super::{Common, LogFormat, Session, compile_live};
use crate::artifacts::compile_cache;
use crate::artifacts::compiled_path;
use crate::artifacts::manifest::{Recompiled, manifest_top, write_manifest_with_top};
use crate::artifacts::write::{write_files, write_files_stat};
use crate::compile::{compile_project, compiled_files, default_threads, warm_parallel_with};
use crate::graph::select;

/// `full_refresh`: `compile --full-refresh` (incremental models render as on their first
/// build).
pub fn run(common: &Common, write_compiled: bool, full_refresh: bool) -> i32 {
    let start = Instant::now();
    let session = match Session::load(common) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let (db, project) = (&session.db, session.project);
    let target_dir = session.target_dir();
    let cache_key = if write_compiled {
        // The target's state: a build between two compiles changes what they render.
        let cli = format!(
            "{:?}|{:?}|{full_refresh}|{}",
            common.select,
            common.exclude,
            compile_live::stamp_input(db, project)
        );
        compile_cache::key(db, project, &cli)
    } else {
        None
    };
    if let Some(key) = &cache_key
        && let Some(stamp) = compile_cache::lookup(&target_dir, key)
    {
        eprint!(
            "{}",
            match common.log_format {
                LogFormat::Json => &stamp.report_json,
                LogFormat::Text => &stamp.report_text,
            }
        );
        if !common.quiet {
            let (nodes, errors, warnings) = stamp.summary;
            println!(
                "compiled {nodes} nodes (unchanged since the last compile: 0 files written) in {:.2}s: {errors} errors, {warnings} warnings",
                start.elapsed().as_secs_f64()
            );
        }
        std::mem::forget(session);
        return stamp.exit_code;
    }
    compile_cache::invalidate(&target_dir);
    let threads = default_threads();
    // Beside the analysis: target/compiled (it needs only the compiled SQL) and the
    // manifest's top-level keys other than nodes and sources.
    let (selected, files_written, top) = warm_parallel_with(db, project, threads, |db| {
        let selected = select(db, project, &common.select, &common.exclude);
        // The files' sizes and modification times are read as they are written, for the
        // compile cache's stamp.
        let written = || -> Result<(usize, Outputs), String> {
            if !write_compiled {
                return Ok((0, Outputs::default()));
            }
            let compiled = compiled_files(db, project, &selected, &target_dir);
            let files: Vec<_> = compiled
                .iter()
                .map(|(p, sql)| (p.clone(), sql.as_bytes()))
                .collect();
            let (written, stats) = write_files_stat(files, 1)?;
            tracing::info!(elapsed = ?start.elapsed(), "compiled files written");
            let mut outputs = Outputs::default();
            for ((path, _), stat) in compiled.into_iter().zip(stats) {
                match stat {
                    Some((len, mtime)) => outputs.known.push((path, len, mtime)),
                    None => outputs.others.push(path),
                }
            }
            Ok((written, outputs))
        };
        let written = written();
        (selected, written, manifest_top(db, project))
    });
    tracing::info!(elapsed = ?start.elapsed(), "rendered");
    let (mut written, mut outputs) = match files_written {
        Ok(done) => done,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    // Nodes whose render queries data, and incremental models whose table exists:
    // rendered again with the database, as dbt compiles.
    let plan = if write_compiled {
        compile_live::plan(db, project, &selected, full_refresh)
    } else {
        compile_live::LivePlan::default()
    };
    let mut reusable = true;
    let mut recompiled = Recompiled::new();
    let mut live_nodes = std::collections::BTreeSet::new();
    let mut live_warnings = Vec::new();
    if !plan.is_empty() {
        let root = project.root(db).clone();
        let live = compile_live::render_with_database(db, project, &plan, &root);
        reusable = live.reusable;
        let files: Vec<_> = live
            .nodes
            .iter()
            .filter_map(|(uid, r)| {
                Some((
                    compiled_path(db, project, &target_dir, uid)?,
                    r.node.sql.as_deref()?.as_bytes(),
                ))
            })
            .collect();
        outputs.others.extend(files.iter().map(|(p, _)| p.clone()));
        match write_files(files, 1) {
            Ok(n) => written += n,
            Err(e) => {
                eprintln!("error: {e}");
                return 2;
            }
        }
        live_nodes = live.nodes.keys().cloned().collect();
        live_warnings = live.warnings;
        recompiled = live
            .nodes
            .into_iter()
            .filter_map(|(uid, r)| Some((uid, (r.node.sql?.to_string(), r.extra_ctes))))
            .collect();
    }
    // lineage.json and the compile's diagnostics are gathered on their own threads while
    // the manifest is built.
    let (manifest, lineage, output) = std::thread::scope(|scope| {
        let lineage = write_compiled.then(|| {
            let (db, path) = (db.clone(), target_dir.join("lineage.json"));
            scope.spawn(move || crate::artifacts::lineage::write_lineage(&db, project, &path))
        });
        let output = {
            let (db, selected) = (db.clone(), &selected);
            scope.spawn(move || compile_project(&db, project, Some(selected)))
        };
        let manifest = write_manifest_with_top(
            db,
            project,
            write_compiled,
            threads,
            &target_dir.join("manifest.json"),
            top,
            &recompiled,
        );
        let lineage = lineage.map_or(Ok(()), |h| {
            h.join()
                .unwrap_or_else(|_| Err("lineage writer panicked".into()))
        });
        let output = output
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e));
        (manifest, lineage, output)
    });
    if let Err(e) = manifest.and(lineage) {
        eprintln!("error: {e}");
        return 2;
    }
    let mut output = output;
    if !live_nodes.is_empty() {
        // Their ahead-of-time warnings ("rendered without a database") no longer hold.
        output.diagnostics.retain(|d| {
            !(d.node.as_ref().is_some_and(|n| live_nodes.contains(n))
                && d.hint
                    .as_deref()
                    .is_some_and(|h| h.starts_with("rendered without a database")))
        });
    }
    output.diagnostics.extend(live_warnings);
    tracing::info!(elapsed = ?start.elapsed(), "manifest and lineage written");
    let errors = output.error_count();
    let warnings = output.diagnostics.len() - errors;
    let (report_text, report_json) = session.render_report(&output.diagnostics);
    eprint!(
        "{}",
        match common.log_format {
            LogFormat::Json => &report_json,
            LogFormat::Text => &report_text,
        }
    );
    // A compile that read the database is not reusable unless the key holds its state.
    if let Some(key) = cache_key.as_ref().filter(|_| reusable) {
        outputs.others.push(target_dir.join("manifest.json"));
        outputs.others.push(target_dir.join("lineage.json"));
        let stamp = compile_cache::Stamp {
            key: String::new(),
            outputs: Vec::new(),
            report_text,
            report_json,
            summary: (selected.len(), errors, warnings),
            exit_code: i32::from(errors > 0),
        };
        compile_cache::record(&target_dir, key, outputs.known, &outputs.others, stamp);
    }
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

/// The files a compile wrote, for its stamp: those whose size and modification time were
/// read as they were written, and the others.
#[derive(Default)]
struct Outputs {
    known: Vec<(std::path::PathBuf, u64, u128)>,
    others: Vec<std::path::PathBuf>,
}
