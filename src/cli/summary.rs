//! The closing lines of an execution command (`Finished running ...`, `Completed ...`,
//! each failure and warning, `Done. PASS=...`) and the `args` of run_results.json.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::Common;
use super::console::Console;
use super::execute::{Flags, Verb};
use super::jobs::{Done, Job, Work};
use crate::artifacts::run_results::{NodeResult, Status};

/// `Finished running 3 project hooks, 1 seed, 2 view models in 0 hours ...`: the counts
/// of what ran, sorted by name as dbt sorts them.
pub fn finished_line(kinds: &BTreeMap<String, usize>, elapsed: f64) -> String {
    format!(
        "Finished running {}{} ({elapsed:.2}s).",
        stat_line(kinds),
        humanized(elapsed)
    )
}

/// `3 project hooks, 1 seed, 2 view models`.
pub fn stat_line(kinds: &BTreeMap<String, usize>) -> String {
    let parts: Vec<String> = kinds
        .iter()
        .map(|(kind, n)| {
            let kind = if kind == "test" { "data test" } else { kind };
            format!("{n} {kind}{}", if *n == 1 { "" } else { "s" })
        })
        .collect();
    parts.join(", ")
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// `Done. PASS=... TOTAL=...` over the nodes' and the hooks' results.
fn done_line(statuses: &[Status]) -> (String, usize) {
    let count = |f: &dyn Fn(Status) -> bool| statuses.iter().filter(|s| f(**s)).count();
    let errors = count(&|s| s.is_error());
    let line = format!(
        "Done. PASS={} WARN={} ERROR={errors} SKIP={} NO-OP=0 TOTAL={}",
        count(&|s| matches!(s, Status::Success | Status::Pass)),
        count(&|s| s == Status::Warn),
        count(&|s| s == Status::Skipped),
        statuses.len()
    );
    (line, errors)
}

/// The lines dbt prints after Ctrl-C (it does not list failures then).
pub fn interrupted(console: &Console, done: &[(Job, Done)], hooks: &[(NodeResult, String)]) {
    let statuses: Vec<Status> = hooks
        .iter()
        .map(|(r, _)| r.status)
        .chain(done.iter().map(|(_, d)| d.result.status))
        .collect();
    console.line("");
    console.error("Exited because of keyboard interrupt");
    console.line("");
    console.error(&done_line(&statuses).0);
}

/// The closing lines after the run (hooks counted as dbt counts them); returns the exit
/// code.
pub fn summary(
    console: &Console,
    done: &[(Job, Done)],
    hooks: &[(NodeResult, String)],
    compiled_at: &dyn Fn(&str) -> Option<std::path::PathBuf>,
) -> i32 {
    let statuses: Vec<Status> = hooks
        .iter()
        .map(|(r, _)| r.status)
        .chain(done.iter().map(|(_, d)| d.result.status))
        .collect();
    let count = |f: &dyn Fn(Status) -> bool| statuses.iter().filter(|s| f(**s)).count();
    let errors = count(&|s| s.is_error());
    let warnings = count(&|s| s == Status::Warn);
    // dbt lists a hook skipped after a failing one among the errors (its message says so).
    let skipped_hooks = hooks
        .iter()
        .filter(|(r, _)| r.status == Status::Skipped)
        .count();
    console.line("");
    if errors + skipped_hooks > 0 {
        console.error(&format!(
            "Completed with {}, 0 partial successes, and {}:",
            plural(errors + skipped_hooks, "error"),
            plural(warnings, "warning")
        ));
    } else {
        let msg = if warnings > 0 {
            format!("Completed with {}:", plural(warnings, "warning"))
        } else {
            "Completed successfully".to_string()
        };
        console.emit(
            &super::console::Event::new(
                "EndOfRunSummary",
                "Z030",
                super::console::Level::Info,
                msg,
            )
            .with_data(
                json!({"num_errors": 0, "num_warnings": warnings, "keyboard_interrupt": false}),
            ),
        );
    }
    let (start_hooks, end_hooks): (Vec<_>, Vec<_>) = hooks
        .iter()
        .partition(|(r, _)| !r.unique_id.contains("-on-run-end-"));
    hook_failures(console, &start_hooks);
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
                console.line(&line);
            } else {
                console.error(&line);
            }
        }
    }
    hook_failures(console, &end_hooks);
    console.line("");
    let (line, _) = done_line(&statuses);
    console.emit(
        &super::console::Event::new("StatsLine", "Z023", super::console::Level::Info, line)
            .with_data(json!({
                "stats": {
                    "error": errors,
                    "pass": count(&|s| matches!(s, Status::Success | Status::Pass)),
                    "warn": warnings,
                    "skip": count(&|s| s == Status::Skipped),
                    "noop": 0,
                    "total": statuses.len(),
                }
            })),
    );
    i32::from(errors > 0)
}

/// The failures of project hooks as dbt prints them (`Failure in operation ...`; a hook
/// skipped after a failure only in the log file).
fn hook_failures(console: &Console, hooks: &[&(NodeResult, String)]) {
    for (hook, _) in hooks {
        let message = hook.message.clone().unwrap_or_default();
        match hook.status {
            Status::Error => {
                let name = hook.unique_id.rsplit('.').next().unwrap_or_default();
                console.error("");
                console.error(&format!("Failure in operation {name} (./dbt_project.yml)"));
                console.error(&format!("  {message}"));
            }
            Status::Skipped => console.debug(&message),
            _ => {}
        }
    }
}

/// dbt's `humanize_execution_time`: ` in 0 hours 0 minutes and 0.35 seconds`.
pub fn humanized(secs: f64) -> String {
    let minutes = (secs / 60.0).floor();
    let (hours, minutes) = ((minutes / 60.0).floor(), minutes % 60.0);
    format!(
        " in {hours} hours {minutes} minutes and {:.2} seconds",
        secs - (secs / 60.0).floor() * 60.0
    )
}

/// The `args` of run_results.json: the flags of this invocation.
pub fn invocation_args(
    common: &Common,
    verb: Verb,
    flags: Flags,
) -> serde_json::Map<String, Value> {
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
