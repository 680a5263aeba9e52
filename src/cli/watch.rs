//! `dbtc watch`: compile, then recompile on every change and print one summary per cycle;
//! with `--run`, also build what the cycle changed (see `watch_run`).

use std::ops::ControlFlow;
use std::time::Duration;

use super::watch_run::WatchRunner;
use super::{Common, LogFormat, Session};
use crate::compile::default_threads;
use crate::watch::{CycleReport, CycleView, WatchOptions, watch_with};

pub fn run(common: &Common, max_cycles: Option<usize>, debounce_ms: u64, build: bool) -> i32 {
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
    let mut runner = build.then(|| WatchRunner::new(common, None));
    let print = |report: &CycleReport, view: &CycleView<'_>| {
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
            }
        }
        if let Some(runner) = runner.as_mut() {
            let run = runner.after_cycle(report, view);
            match format {
                LogFormat::Json => {
                    let ran: Vec<_> = run
                        .ran
                        .iter()
                        .map(|(uid, status)| {
                            serde_json::json!({"unique_id": uid, "status": status.as_str()})
                        })
                        .collect();
                    println!(
                        "{}",
                        serde_json::json!({"cycle": report.cycle, "run": {"ran": ran, "note": run.note}})
                    );
                }
                LogFormat::Text => {
                    if let Some(note) = run.note {
                        println!("{note}");
                    }
                }
            }
        }
        if report.cycle == 0 && !quiet && format == LogFormat::Text {
            println!("watching {} (Ctrl-C to stop)", root.display());
        }
        ControlFlow::Continue(())
    };
    // Ctrl-C ends the process through the default SIGINT handler; artifacts are written
    // through a temporary file and a rename, so none is ever left half-written.
    match watch_with(&mut db, project, &opts, print) {
        Ok(_) => 0,
        Err(e) => {
            eprintln!("error: {e}");
            2
        }
    }
}
