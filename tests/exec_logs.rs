//! The outputs of execution commands beyond their console lines: `--log-format json` (one
//! dbt-style event per line), `logs/dbtc.log` (appended per invocation, with the SQL run)
//! and the progress bar (only on a terminal, never mixed into the lines).

mod common;

use std::path::Path;
use std::process::Command;

use common::fixture_copy;
use serde_json::Value;

fn dbtc(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_dbtc"))
        .args(args)
        .arg("--project-dir")
        .arg(dir)
        .arg("--profiles-dir")
        .arg(dir)
        .output()
        .expect("run dbtc");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
    )
}

/// Timings vary between runs.
fn masked(line: &str) -> String {
    let re = regex::Regex::new(r"\d+\.\d+s").expect("regex");
    let hours = regex::Regex::new(r"in \d+ hours .*").expect("regex");
    hours
        .replace_all(&re.replace_all(line, "Ts"), "in TIME")
        .to_string()
}

#[test]
fn json_log_format_is_one_event_per_line() {
    let (_tmp, dir) = fixture_copy("ops");
    let (code, text) = dbtc(&dir, &["build"]);
    assert_eq!(code, 0, "{text}");
    let (code, json) = dbtc(&dir, &["build", "--log-format", "json"]);
    assert_eq!(code, 0, "{json}");
    let doc: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("target/run_results.json")).expect("results"),
    )
    .expect("json");
    let invocation = doc["metadata"]["invocation_id"].as_str().expect("id");
    let events: Vec<Value> = json
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect();
    for e in &events {
        let info = &e["info"];
        for key in ["name", "code", "level", "msg", "ts", "thread"] {
            assert!(info[key].is_string(), "{key} in {e}");
        }
        assert_eq!(info["invocation_id"], invocation, "{e}");
        assert!(e["data"].is_object(), "{e}");
    }
    // The same lines as the text output, in the same order.
    let msgs: Vec<String> = events
        .iter()
        .map(|e| masked(e["info"]["msg"].as_str().unwrap_or_default()))
        .collect();
    let lines: Vec<String> = text.lines().map(masked).collect();
    assert_eq!(msgs, lines);
    // Node events carry the node, its status and execution time.
    let result = events
        .iter()
        .find(|e| {
            e["info"]["name"] == "LogModelResult"
                && e["data"]["node_info"]["unique_id"] == "model.ops.tea_prices"
        })
        .expect("a LogModelResult for tea_prices");
    assert_eq!(result["data"]["status"], "success");
    assert_eq!(result["data"]["node_info"]["node_status"], "success");
    assert!(result["data"]["execution_time"].as_f64().is_some());
    assert!(
        result["info"]["thread"]
            .as_str()
            .is_some_and(|t| t.starts_with("Thread-") && t.ends_with(" (worker)")),
        "{result}"
    );
    let start = events
        .iter()
        .find(|e| {
            e["info"]["name"] == "LogStartLine"
                && e["data"]["node_info"]["unique_id"] == "seed.ops.teas"
        })
        .expect("a LogStartLine for the seed");
    assert_eq!(start["data"]["node_info"]["node_status"], "started");
    let names: Vec<&str> = events
        .iter()
        .filter_map(|e| e["info"]["name"].as_str())
        .collect();
    for name in [
        "LogHookStartLine",
        "LogHookEndLine",
        "LogSeedResult",
        "FinishedRunningStats",
        "StatsLine",
    ] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
    let stats = events
        .iter()
        .find(|e| e["info"]["name"] == "StatsLine")
        .expect("stats");
    assert_eq!(stats["data"]["stats"]["pass"], 8);
}

#[test]
fn thread_ids_name_the_workers() {
    let (_tmp, dir) = fixture_copy("ops");
    let (code, text) = dbtc(&dir, &["build", "--threads", "2"]);
    assert_eq!(code, 0, "{text}");
    let doc: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("target/run_results.json")).expect("results"),
    )
    .expect("json");
    for r in doc["results"].as_array().expect("results") {
        let thread = r["thread_id"].as_str().expect("thread_id");
        if r["unique_id"]
            .as_str()
            .is_some_and(|u| u.starts_with("operation."))
        {
            assert_eq!(thread, "main");
        } else {
            assert!(
                thread == "Thread-1 (worker)" || thread == "Thread-2 (worker)",
                "{r}"
            );
        }
    }
}

#[test]
fn log_file_gets_every_invocation_and_the_sql() {
    let (tmp, dir) = fixture_copy("ops");
    for _ in 0..2 {
        let (code, text) = dbtc(&dir, &["seed", "-q"]);
        assert_eq!(code, 0, "{text}");
        assert_eq!(text, "", "--quiet prints nothing on success");
    }
    let log = std::fs::read_to_string(dir.join("logs/dbtc.log")).expect("log");
    let headers = log.lines().filter(|l| l.starts_with("=====")).count();
    assert_eq!(headers, 2, "{log}");
    assert_eq!(
        log.matches("[info ] [Thread-1 (worker)]: 1 of 1 OK loaded seed file main.teas")
            .count(),
        2,
        "{log}"
    );
    assert!(
        log.contains("[debug] [Thread-1 (worker)]: On seed.ops.teas:"),
        "{log}"
    );
    assert!(log.contains("SQL status: OK"), "{log}");
    // --log-path puts it elsewhere.
    let other = tmp.path().join("elsewhere");
    let (code, _) = dbtc(
        &dir,
        &["seed", "--log-path", other.to_str().expect("utf-8")],
    );
    assert_eq!(code, 0);
    assert!(other.join("dbtc.log").exists());
    let again = std::fs::read_to_string(dir.join("logs/dbtc.log")).expect("log");
    assert_eq!(again, log);
}

/// Runs dbtc under `script` (a pseudo-terminal); None when `script` is missing.
fn on_terminal(dir: &Path, args: &str) -> Option<String> {
    let bin = env!("CARGO_BIN_EXE_dbtc");
    let cmd = format!(
        "{bin} {args} --project-dir {0} --profiles-dir {0}",
        dir.display()
    );
    let out = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .output()
        .ok()?;
    Some(String::from_utf8_lossy(&out.stdout).to_string())
}

#[test]
fn progress_bar_only_on_a_terminal() {
    let (_tmp, dir) = fixture_copy("ops");
    let Some(tty) = on_terminal(&dir, "build") else {
        eprintln!("`script` is not installed: the terminal case is not checked");
        return;
    };
    let bar = |s: &str| s.contains('█') || s.contains('░');
    assert!(bar(&tty), "no progress bar on a terminal:\n{tty}");
    // Every line is printed whole above the bar.
    let ansi = regex::Regex::new(r"\x1b\[[0-9;?]*[A-Za-z]").expect("regex");
    let clean = ansi.replace_all(&tty, "");
    let (code, plain) = dbtc(&dir, &["build"]);
    assert_eq!(code, 0);
    assert!(!bar(&plain), "a bar without a terminal:\n{plain}");
    let clean = masked(&clean);
    for line in plain.lines().filter(|l| l.contains(" OK ")) {
        let line = masked(line);
        assert!(clean.contains(&line), "{line} not whole in:\n{clean}");
    }
    let json = on_terminal(&dir, "build --log-format json").expect("script");
    assert!(!bar(&json), "a bar with --log-format json:\n{json}");
}
