//! Generic tests declared in properties yml, named and hashed exactly as dbt-core does
//! (so unique_ids, compiled file names and aliases match).

use indexmap::IndexMap;
use md5::{Digest, Md5};
use serde_json::Value;

use super::nodes::TestInfo;
use super::properties::{TestDef, TestTarget};

/// Test entry keys that are configs, not macro arguments.
const CONFIG_ARGS: &[&str] = &[
    "severity",
    "tags",
    "enabled",
    "where",
    "limit",
    "warn_if",
    "error_if",
    "fail_calc",
    "store_failures",
    "store_failures_as",
    "meta",
    "database",
    "schema",
    "alias",
];

pub fn md5_hex(s: &str) -> String {
    let digest = Md5::digest(s.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Python's `str.isprintable()` for one character, which `repr()` keeps as is: not a
/// control (C0, C1, DEL), separator other than the space, surrogate, private-use or
/// format character (the format characters below 0x10000; unassigned code points are
/// not checked).
fn py_printable(c: char) -> bool {
    let n = c as u32;
    !(n < 0x20
        || (0x7f..0xa0).contains(&n)
        || matches!(
            n,
            0xa0 | 0xad
                | 0x600..=0x605
                | 0x61c
                | 0x6dd
                | 0x70f
                | 0x1680
                | 0x180e
                | 0x2000..=0x200f
                | 0x2028..=0x202f
                | 0x205f..=0x2064
                | 0x2066..=0x206f
                | 0x3000
                | 0xd800..=0xdfff
                | 0xe000..=0xf8ff
                | 0xfeff
                | 0xfff9..=0xfffb
        ))
}

/// Python's `repr()` of a str.
pub fn py_repr_str(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if !py_printable(c) => {
                let n = c as u32;
                out.push_str(&if n < 0x100 {
                    format!("\\x{n:02x}")
                } else if n < 0x10000 {
                    format!("\\u{n:04x}")
                } else {
                    format!("\\U{n:08x}")
                });
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Python's `str()` of a YAML value (what dbt gets from PyYAML).
pub fn py_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => py_repr(other),
    }
}

/// Python's `repr()` of a YAML value.
pub fn py_repr(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => {
            if n.is_f64() {
                let f = n.as_f64().unwrap_or(0.0);
                if f.fract() == 0.0 && f.abs() < 1e16 {
                    format!("{f:.1}")
                } else {
                    format!("{f}")
                }
            } else {
                n.to_string()
            }
        }
        Value::String(s) => py_repr_str(s),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(py_repr).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(map) => format!(
            "{{{}}}",
            map.iter()
                .map(|(k, v)| format!("{}: {}", py_repr_str(k), py_repr(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// dbt's `get_hashable_md`: sorted keys, every scalar as its str().
fn hashable(v: &Value) -> Value {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            Value::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), hashable(&map[k])))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(hashable).collect()),
        other => Value::String(py_str(other)),
    }
}

/// Builds a test instance from a yml entry (dbt's TestBuilder), or None if malformed.
pub fn build_test(def: &TestDef) -> Option<TestInfo> {
    let (full_test_name, args) = match &def.entry {
        Value::String(s) => (s.clone(), serde_json::Map::new()),
        Value::Object(map) if map.contains_key("test_name") => {
            let mut args = map.clone();
            let name = args.shift_remove("test_name")?.as_str()?.to_string();
            (name, args)
        }
        Value::Object(map) if map.len() == 1 => {
            let (name, args) = map.iter().next()?;
            match args {
                Value::Object(a) => (name.clone(), a.clone()),
                Value::Null => (name.clone(), serde_json::Map::new()),
                _ => return None,
            }
        }
        _ => return None,
    };
    let mut args: IndexMap<String, Value> = args.into_iter().collect();
    if let Some(col) = &def.column_name {
        args.insert("column_name".into(), Value::String(col.clone()));
    }
    if let Some(Value::Object(arguments)) = args.shift_remove("arguments") {
        for (k, v) in arguments {
            args.insert(k, v);
        }
    }
    let (model_str, attached_name, is_source) = match &def.target {
        TestTarget::Node { name, .. } => (format!("ref('{name}')"), name.clone(), false),
        TestTarget::Source { source, table } => (
            format!("source('{source}', '{table}')"),
            format!("{source}.{table}"),
            true,
        ),
    };
    args.insert(
        "model".into(),
        Value::String(format!("{{{{ get_where_subquery({model_str}) }}}}")),
    );
    let (namespace, test_name) = match full_test_name.split_once('.') {
        Some((ns, n)) => (Some(ns.to_string()), n.to_string()),
        None => (None, full_test_name.clone()),
    };
    let mut config: IndexMap<String, Value> = IndexMap::new();
    for key in CONFIG_ARGS {
        let mut value = args.shift_remove(*key);
        if value.as_ref().is_none_or(is_falsy)
            && let Some(Value::Object(cfg)) = args.get_mut("config")
        {
            value = cfg.shift_remove(*key);
        }
        if let Some(v) = value
            && !v.is_null()
        {
            config.insert(key.to_string(), v);
        }
    }
    if let Some(Value::Object(cfg)) = args.shift_remove("config") {
        for (k, v) in cfg {
            if !v.is_null() {
                config.insert(k, v);
            }
        }
    }
    let description = match args.shift_remove("description") {
        Some(Value::String(s)) => s,
        _ => String::new(),
    };
    let custom_name = match args.shift_remove("name") {
        Some(Value::String(s)) => Some(s),
        _ => None,
    };
    let mut info = TestInfo {
        namespace,
        test_name,
        kwargs: args,
        config,
        column_name: def.column_name.clone(),
        attached_name,
        attached_is_source: is_source,
        description,
    };
    if let Some(name) = custom_name {
        info.config
            .insert("__custom_name".into(), Value::String(name));
    }
    Some(info)
}

fn is_falsy(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        Value::Number(n) => n.as_f64() == Some(0.0),
    }
}

/// (short name for the compiled file and alias, full name for unique_id/fqn, 10-char hash).
pub fn test_names(info: &TestInfo) -> (String, String, String) {
    let (short, full) = if let Some(Value::String(custom)) = info.config.get("__custom_name") {
        (custom.clone(), custom.clone())
    } else {
        synthesize(info)
    };
    let metadata = serde_json::json!({
        "namespace": info.namespace.clone().map(Value::String).unwrap_or(Value::Null),
        "name": info.test_name,
        "kwargs": Value::Object(info.kwargs.clone().into_iter().collect()),
    });
    let hash_string = format!("{full}{}", py_repr(&hashable(&metadata)));
    let digest = md5_hex(&hash_string);
    (short, full, digest[digest.len() - 10..].to_string())
}

fn synthesize(info: &TestInfo) -> (String, String) {
    let mut name = info.test_name.clone();
    let mut target = info.attached_name.clone();
    if info.attached_is_source {
        name = format!("source_{name}");
        target = target.replacen('.', "_", 1);
    }
    if let Some(ns) = &info.namespace {
        name = format!("{ns}_{name}");
    }
    let mut keys: Vec<&String> = info.kwargs.keys().collect();
    keys.sort();
    let mut flat = Vec::new();
    for key in keys {
        if key == "model" {
            continue;
        }
        match &info.kwargs[key] {
            Value::Object(map) => flat.extend(map.values().map(py_str)),
            Value::Array(items) => flat.extend(items.iter().map(py_str)),
            other => flat.push(py_str(other)),
        }
    }
    let clean: Vec<String> = flat.iter().map(|s| clean_arg(s)).collect();
    let unique = clean.join("__");
    let identifier = format!("{name}_{target}");
    let full = format!("{identifier}_{unique}");
    if full.len() >= 64 {
        let trunc: String = identifier.chars().take(30).collect();
        (format!("{trunc}_{}", md5_hex(&full)), full)
    } else {
        (full.clone(), full)
    }
}

fn clean_arg(s: &str) -> String {
    let mut out = String::new();
    let mut in_bad = false;
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c);
            in_bad = false;
        } else if !in_bad {
            out.push('_');
            in_bad = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_repr_escapes_control_characters_like_python() {
        // repr() of these in Python 3.11
        assert_eq!(
            py_repr_str("\u{1}\u{7f}\u{85}\u{a0}é\u{200b}\u{3000}x"),
            "'\\x01\\x7f\\x85\\xa0é\\u200b\\u3000x'"
        );
    }

    #[test]
    fn python_repr_quotes_like_python() {
        assert_eq!(py_repr_str("a'b"), "\"a'b\"");
        assert_eq!(py_repr_str("a\"b'c"), "'a\"b\\'c'");
        assert_eq!(
            py_repr(&serde_json::json!({"a": [1, true, null]})),
            "{'a': [1, True, None]}"
        );
    }

    #[test]
    fn clean_collapses_runs() {
        assert_eq!(clean_arg("a, b-c"), "a_b_c");
    }
}
