//! The process-wide minijinja environment. Macro templates are content-addressed
//! (`package.name#hash`), so compiled templates are shared by every render and can never be
//! stale; what differs per render lives in the root context object (see `context`).

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, RwLock};

use minijinja::value::{Kwargs, Rest, Value};
use minijinja::{Environment, Error, ErrorKind, State, UndefinedBehavior};

use super::compat;
use super::context::{COMPILER_ERROR_PREFIX, RETURN_MARKER, compiler_error, render_state};

static SOURCES: LazyLock<RwLock<HashMap<String, Arc<str>>>> = LazyLock::new(Default::default);

/// Makes a macro template available to the environment under its content-addressed name.
pub fn register_template(name: &str, text: &Arc<str>) {
    if SOURCES
        .read()
        .map(|m| m.contains_key(name))
        .unwrap_or(false)
    {
        return;
    }
    if let Ok(mut map) = SOURCES.write() {
        map.entry(name.to_string())
            .or_insert_with(|| Arc::clone(text));
    }
}

/// The shared environment.
pub static ENV: LazyLock<Environment<'static>> = LazyLock::new(build_env);

fn build_env() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Lenient);
    env.set_recursion_limit(500);
    env.set_loader(|name| {
        Ok(SOURCES
            .read()
            .ok()
            .and_then(|m| m.get(name).map(|s| s.to_string())))
    });
    env.set_unknown_method_callback(compat::unknown_method);
    minijinja_contrib::add_to_environment(&mut env);
    env.add_function("__dbtc_list", compat::make_list);
    env.add_function("__dbtc_dict", compat::make_dict);
    env.add_function("__dbtc_fmt", compat::percent_format);
    env.add_function("__dbtc_discard", |_: Value| Value::from(()));
    // Jinja2 filters minijinja does not have.
    env.add_filter(
        "replace",
        |s: Value, old: String, new: String, count: Option<i64>| -> Value {
            let text = s.to_string();
            let out = match count {
                Some(n) if n >= 0 => text.replacen(&old, &new, n as usize),
                _ => text.replace(&old, &new),
            };
            if s.is_safe() {
                Value::from_safe_string(out)
            } else {
                Value::from(out)
            }
        },
    );
    env.add_filter(
        "truncate",
        |state: &mut State, value: &Value, args: Rest<Value>| -> Result<Value, Error> {
            // Jinja2's truncate(length, killwords, end, leeway) also takes positionals.
            let mut named: Vec<(String, Value)> = Vec::new();
            for (i, arg) in args.iter().enumerate() {
                if arg.is_kwargs() {
                    let kw = Kwargs::try_from(arg.clone())?;
                    for k in kw.args() {
                        named.push((k.to_string(), kw.peek::<Value>(k)?));
                    }
                } else if let Some(name) = ["length", "killwords", "end", "leeway"].get(i) {
                    named.push(((*name).to_string(), arg.clone()));
                }
            }
            minijinja_contrib::filters::truncate(state, value, Kwargs::from_iter(named))
        },
    );
    env.add_filter("wordcount", |s: &str| {
        s.split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .filter(|w| !w.is_empty())
            .count()
    });
    env.add_filter(
        "center",
        |state: &mut State, s: Value, width: Option<i64>| -> Result<Value, Error> {
            let width = Value::from(width.unwrap_or(80));
            compat::unknown_method(state, &Value::from(s.to_string()), "center", &[width])
        },
    );
    env.add_function(
        "return",
        |state: &State, value: Option<Value>| -> Result<Value, Error> {
            let rs = render_state(state)?;
            let mut returns = rs.returns.lock().unwrap_or_else(|e| e.into_inner());
            match returns.last_mut() {
                Some(slot) => {
                    *slot = Some(value.unwrap_or(Value::from(())));
                    Err(Error::new(ErrorKind::InvalidOperation, RETURN_MARKER))
                }
                None => Ok(value.unwrap_or(Value::from(()))),
            }
        },
    );
    env.add_function(
        "fromjson",
        |s: String, default: Option<Value>| -> Result<Value, Error> {
            match serde_json::from_str::<serde_json::Value>(&s) {
                Ok(v) => Ok(crate::jinja::to_value(v)),
                Err(e) => default.ok_or_else(|| compiler_error(format!("fromjson: {e}"))),
            }
        },
    );
    env.add_function(
        "tojson",
        |v: Value, kwargs: Kwargs| -> Result<Value, Error> {
            let sort = kwargs.get::<Option<bool>>("sort_keys")?.unwrap_or(false);
            let _ = kwargs.assert_all_used();
            let json = serde_json::to_value(&v).map_err(|e| compiler_error(e.to_string()))?;
            let json = if sort { sort_json(json) } else { json };
            Ok(Value::from(py_json(&json)))
        },
    );
    env.add_function("fromyaml", |s: String| -> Result<Value, Error> {
        crate::project::yaml::parse_yaml(&s, std::path::Path::new("<fromyaml>"))
            .map(crate::jinja::to_value)
            .map_err(|d| compiler_error(d.message))
    });
    env.add_function("toyaml", |v: Value| -> Result<Value, Error> {
        let json = serde_json::to_value(&v).map_err(|e| compiler_error(e.to_string()))?;
        Ok(Value::from(to_yaml(&json, 0)))
    });
    env.add_function("local_md5", |s: String| {
        crate::project::generic_tests::md5_hex(&s)
    });
    env.add_function("zip", |args: Rest<Value>| -> Result<Value, Error> {
        let lists: Vec<Vec<Value>> = args
            .iter()
            .map(|a| a.try_iter().map(|i| i.collect()))
            .collect::<Result<_, _>>()?;
        let n = lists.iter().map(Vec::len).min().unwrap_or(0);
        Ok(Value::from(
            (0..n)
                .map(|i| compat::tuple(lists.iter().map(|l| l[i].clone()).collect()))
                .collect::<Vec<_>>(),
        ))
    });
    env.add_function("set", |v: Option<Value>| -> Result<Value, Error> {
        super::pyset::new_set(v.as_ref())
    });
    // `log(msg, info=False)` and `print(msg)`: tracing events (`info`, `print` fields) that
    // the running command's console shows (info and print) or logs (the rest).
    env.add_function(
        "log",
        |msg: Value, info: Option<Value>, kwargs: Kwargs| -> Value {
            let info = info
                .or_else(|| kwargs.get::<Option<Value>>("info").ok().flatten())
                .is_some_and(|v| v.is_true());
            tracing::info!(target: "dbtc::jinja", info, print = false, "{msg}");
            Value::from("")
        },
    );
    env.add_function("print", |msg: Value| -> Value {
        tracing::info!(target: "dbtc::jinja", info = true, print = true, "{msg}");
        Value::from("")
    });
    env.add_global("exceptions", Value::from_object(Exceptions));
    env.add_global("modules", super::pymodules::modules());
    env.add_global("api", Value::from_object(super::relation::Api));
    env
}

fn sort_json(v: serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Object(map) => {
            let mut entries: Vec<_> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            serde_json::Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, sort_json(v)))
                    .collect(),
            )
        }
        serde_json::Value::Array(a) => {
            serde_json::Value::Array(a.into_iter().map(sort_json).collect())
        }
        other => other,
    }
}

/// JSON as Python's `json.dumps` writes it (`", "` and `": "` separators).
fn py_json(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Array(a) => {
            format!("[{}]", a.iter().map(py_json).collect::<Vec<_>>().join(", "))
        }
        serde_json::Value::Object(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("{}: {}", serde_json::Value::String(k.clone()), py_json(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => other.to_string(),
    }
}

fn to_yaml(v: &serde_json::Value, indent: usize) -> String {
    let pad = " ".repeat(indent);
    match v {
        serde_json::Value::Object(m) if !m.is_empty() => m
            .iter()
            .map(|(k, v)| match v {
                serde_json::Value::Object(inner) if !inner.is_empty() => {
                    format!("{pad}{k}:\n{}", to_yaml(v, indent + 2))
                }
                serde_json::Value::Array(inner) if !inner.is_empty() => {
                    format!("{pad}{k}:\n{}", to_yaml(v, indent))
                }
                _ => format!("{pad}{k}: {}\n", to_yaml(v, 0).trim_end()),
            })
            .collect(),
        serde_json::Value::Array(a) if !a.is_empty() => a
            .iter()
            .map(|v| format!("{pad}- {}\n", to_yaml(v, indent + 2).trim()))
            .collect(),
        serde_json::Value::String(s) => format!("{s}\n"),
        serde_json::Value::Null => "null\n".into(),
        other => format!("{other}\n"),
    }
}

#[derive(Debug)]
struct Exceptions;

impl minijinja::value::Object for Exceptions {
    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        let msg = args.first().map(|v| v.to_string()).unwrap_or_default();
        match method {
            "raise_compiler_error"
            | "raise_not_implemented"
            | "raise_database_error"
            | "raise_fail_fast_error" => Err(compiler_error(msg)),
            "warn" => {
                tracing::warn!(target: "dbtc::jinja", "{msg}");
                Ok(Value::from(""))
            }
            _ => Err(Error::new(
                ErrorKind::UnknownMethod,
                format!("exceptions has no `{method}`"),
            )),
        }
    }
}

/// True when `err` is the unwinding of `return()`.
pub fn is_return(err: &Error) -> bool {
    err.detail().is_some_and(|d| d.starts_with(RETURN_MARKER))
}

/// The user-facing message of a render error, with minijinja's noise removed.
pub fn error_message(err: &Error) -> String {
    let detail = err.detail().unwrap_or("");
    if let Some(msg) = detail.strip_prefix(COMPILER_ERROR_PREFIX) {
        return msg.to_string();
    }
    match err.kind() {
        ErrorKind::UnknownFunction => format!("{detail}: the function or macro is not defined")
            .trim_start_matches(": ")
            .to_string(),
        ErrorKind::SyntaxError => format!("Jinja syntax error: {detail}"),
        _ => {
            let kind = err.kind().to_string();
            if detail.is_empty() {
                kind
            } else {
                format!("{kind}: {detail}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(tmpl: &str) -> String {
        let tmpl = compat::rewrite_template(tmpl);
        ENV.render_str(&tmpl, ())
            .unwrap_or_else(|e| format!("ERR {e}"))
    }

    #[test]
    fn jinja2_filters_minijinja_lacks() {
        assert_eq!(render("{{ 'aaa' | replace('a', 'b', 2) }}"), "bba");
        assert_eq!(render("{{ 'a\tb' | replace('\t', ' ') }}"), "a b");
        assert_eq!(render("{{ 'x' | center(5) }}|"), "  x  |");
        assert_eq!(render("{{ 'a b-c' | wordcount }}"), "3");
        assert_eq!(
            render("{{ 'hello world' | truncate(8, true, '...', 0) }}"),
            "hello..."
        );
    }
}
