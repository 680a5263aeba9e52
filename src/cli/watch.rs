//! `dbtc watch`: compile, then recompile on every change and print one summary per cycle.

use std::ops::ControlFlow;
use std::time::Duration;

use super::{Common, LogFormat, Session};
use crate::compile::default_threads;
use crate::watch::{CycleReport, WatchOptions, watch};

pub fn run(common: &Common, max_cycles: Option<usize>, debounce_ms: u64) -> i32 {
    let session = match Session::load_logged(common) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let Session {
        mut db, project, ..
    } = session;
    let root = project.root(&db).clone();
    let opts = WatchOptions {
        debounce: Duration::from_millis(debounce_ms.max(1)),
        max_cycles,
        threads: default_threads(),
        select: common.select.clone(),
        exclude: common.exclude.clone(),
        write_artifacts: true,
        stop: None,
    };
    let format = common.log_format;
    let quiet = common.quiet;
    let print = |report: &CycleReport| {
        match format {
            LogFormat::Json => println!("{}", report.to_json(&root)),
            LogFormat::Text => {
                // Rendered as `Session::report` does (the database is borrowed by the loop).
                let read = |p: &std::path::Path| std::fs::read_to_string(p).ok();
                for d in &report.new_diagnostics {
                    eprintln!("{}\n", d.render(&root, &read));
                }
                for e in &report.write_errors {
                    eprintln!("error: {e}");
                }
                if !quiet || !report.new_diagnostics.is_empty() || report.internal_error.is_some() {
                    println!("{}", report.summary());
                }
                if report.cycle == 0 && !quiet {
                    println!("watching {} (Ctrl-C to stop)", root.display());
                }
            }
        }
        ControlFlow::Continue(())
    };
    // Ctrl-C ends the process through the default SIGINT handler; artifacts are written
    // through a temporary file and a rename, so none is ever left half-written.
    match watch(&mut db, project, &opts, print) {
        Ok(_) => 0,
        Err(e) => {
            eprintln!("error: {e}");
            2
        }
    }
}
