//! `dbtc run-operation MACRO --args '{...}'`: calls a macro of the project (or of a
//! package: `package.macro`) with the arguments as keyword arguments, against the target:
//! its `run_query` calls and `statement` blocks run as it renders, `log(..., info=True)`
//! and `print` go to the console. Exit codes as dbt: 0, 1 when the macro fails, 2 for a
//! macro that does not exist, arguments that are not a YAML mapping, or an unusable
//! profile. Writes run_results.json with one result, as dbt does.

use std::sync::Mutex;
use std::time::Instant;

use chrono::Utc;
use serde_json::{Map, Value, json};

use super::console::{Console, Event, Level};
use super::live_template::{Template, jinja_string, render_with_connection};
use super::logged_adapter::Logged;
use super::{Common, Session};
use crate::artifacts::run_results::{NodeResult, Status, run_results};
use crate::artifacts::write::write_bytes;
use crate::jinja::macros::{INTERNAL_PACKAGE, macro_index};
use crate::project::profiles::target;

/// The `--args` as a mapping (dbt: YAML, so JSON too); None when they are not one.
fn parse_args(args: Option<&str>) -> Option<Map<String, Value>> {
    let Some(text) = args else {
        return Some(Map::new());
    };
    match crate::project::yaml::parse_yaml(text, std::path::Path::new("--args")) {
        Ok(Value::Object(map)) => Some(map),
        Ok(Value::Null) => Some(Map::new()),
        _ => None,
    }
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The Jinja that calls `package.name` with `args` as keyword arguments.
fn call_template(package: &str, name: &str, args: &Map<String, Value>) -> String {
    let kwargs: Vec<String> = args
        .keys()
        .map(|k| format!("{k}=__dbtc_args[{}]", jinja_string(k)))
        .collect();
    format!(
        "{{% set __dbtc_args = fromjson({}) %}}{{{{ {package}.{name}({}) }}}}",
        jinja_string(&Value::Object(args.clone()).to_string()),
        kwargs.join(", ")
    )
}

pub fn run(common: &Common, macro_arg: &str, args: Option<&str>) -> i32 {
    let Some(args) = parse_args(args) else {
        eprintln!("error: The YAML provided in the --args argument is not valid.");
        eprintln!("  hint: pass a mapping, e.g. --args '{{name: value}}'");
        return 2;
    };
    if let Some(bad) = args.keys().find(|k| !is_identifier(k)) {
        eprintln!("error: --args key `{bad}` is not a valid argument name");
        return 2;
    }
    let session = match Session::load(common) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let (db, project) = (&session.db, session.project);
    let diagnostics = crate::compile::project_diagnostics(db, project);
    if diagnostics.iter().any(|d| d.is_error()) {
        session.report(&diagnostics);
        return 2;
    }
    let target = match target(db, project) {
        Ok(t) => t.clone(),
        Err(d) => {
            session.report(std::slice::from_ref(&**d));
            return 2;
        }
    };
    let console = Console::new(common);
    let (package, name) = match macro_arg.split_once('.') {
        Some((p, n)) => (Some(p), n),
        None => (None, macro_arg),
    };
    let index = macro_index(db, project);
    let found = match package {
        Some(p) => index.get(p, name).map(|_| p.to_string()),
        None => index
            .resolve(&index.root_package, name)
            .map(|(p, _)| p)
            .or_else(|| {
                index
                    .packages
                    .iter()
                    .find(|(p, macros)| p.as_str() != INTERNAL_PACKAGE && macros.contains_key(name))
                    .map(|(p, _)| p.clone())
            }),
    };
    let Some(package) = found else {
        console.error(&format!(
            "Encountered an error:\nCompilation Error\n  dbt could not find a macro with the name '{name}' in any package. This can happen when calling a macro that does not exist. Check for typos and/or install package dependencies with \"dbt deps\"."
        ));
        return 2;
    };
    let root = project.root(db).clone();
    let started_at = Utc::now();
    let started = Instant::now();
    let mut adapter = match crate::exec::connect(&target, &root) {
        Ok(a) => Logged::wrap(a, std::sync::Arc::clone(&console)),
        Err(e) => {
            eprintln!("error: cannot connect to target `{}`: {e}", target.name);
            return 2;
        }
    };
    let unique_id = format!("macro.{package}.{name}");
    let source = call_template(&package, name, &args);
    let template = Template {
        unique_id: unique_id.clone(),
        package: index.root_package.clone(),
        name: name.to_string(),
        file: root.join("run-operation"),
        source: &source,
    };
    let jinja_db = Mutex::new(db.clone());
    let outcome = render_with_connection(&jinja_db, project, adapter.as_mut(), &template);
    drop(adapter);
    if let Err(e) = &outcome {
        // A failing query is a runtime error of the operation, as dbt words it.
        let e = match e.strip_prefix("Database Error") {
            Some(rest) => format!("Runtime Error{rest}"),
            None => e.clone(),
        };
        console.emit(&Event::new(
            "RunningOperationCaughtError",
            "Q001",
            Level::Error,
            format!("Encountered an error while running operation: {e}"),
        ));
    }
    let elapsed = started.elapsed().as_secs_f64();
    let result = NodeResult {
        unique_id,
        status: if outcome.is_ok() {
            Status::Success
        } else {
            Status::Error
        },
        started_at,
        completed_at: Utc::now(),
        executed: true,
        adapter_response: json!({}),
        message: None,
        failures: Some(i64::from(outcome.is_err())),
        compiled: Some(false),
        compiled_code: String::new(),
        relation_name: None,
    };
    let mut invocation = Map::new();
    invocation.insert("which".into(), json!("run-operation"));
    invocation.insert("macro".into(), json!(macro_arg));
    invocation.insert("args".into(), Value::Object(args));
    invocation.insert("project_dir".into(), json!(common.project_dir));
    invocation.insert("profiles_dir".into(), json!(common.profiles_dir));
    invocation.insert("target".into(), json!(common.target));
    invocation.insert(
        "vars".into(),
        common.vars.as_ref().map_or(json!({}), |v| json!(v)),
    );
    let mut doc = run_results(
        &[(result, "MainThread".to_string())],
        started_at,
        elapsed,
        invocation,
    );
    // dbt leaves run-operation's result uncompiled: no code.
    if let Some(r) = doc["results"].get_mut(0) {
        r["compiled_code"] = Value::Null;
    }
    let bytes = serde_json::to_vec_pretty(&doc).unwrap_or_default();
    if let Err(e) = write_bytes(&session.target_dir().join("run_results.json"), &bytes) {
        eprintln!("error: {e}");
    }
    i32::from(outcome.is_err())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn args_are_a_yaml_mapping() {
        let args = parse_args(Some("{name: audit, rows: 4}")).expect("mapping");
        assert_eq!(args["rows"], json!(4));
        assert!(parse_args(Some("[1, 2]")).is_none());
        assert!(parse_args(None).is_some_and(|m| m.is_empty()));
    }

    #[test]
    fn calls_with_keyword_arguments() {
        let args = parse_args(Some(r#"{"who": "it's"}"#)).expect("mapping");
        assert_eq!(
            call_template("ops", "say_hello", &args),
            r#"{% set __dbtc_args = fromjson('{"who":"it\'s"}') %}{{ ops.say_hello(who=__dbtc_args['who']) }}"#
        );
        assert!(is_identifier("rows_2") && !is_identifier("2rows") && !is_identifier("a-b"));
    }
}
