//! The per-node file and code keys of manifest.json that dbt-core writes: `checksum`,
//! `raw_code` (as dbt stores it), `created_at`, `compiled_path`, `build_path`, `doc_blocks`.

use std::sync::LazyLock;

use indexmap::IndexMap;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::db::{Db, Project};
use crate::project::docs::DocBlock;
use crate::project::generic_tests::py_repr_str;
use crate::project::nodes::{NodeInfo, ResourceType};

/// dbt hashes a seed by its path instead of its contents from this size on (1 MiB).
const BIG_SEED_BYTES: usize = 1024 * 1024;

/// `created_at`: when this process started building manifests, in seconds since the epoch
/// (dbt writes each node's parse time; one instant keeps repeated manifests identical).
static CREATED_AT: LazyLock<f64> = LazyLock::new(|| {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
});

pub(super) fn created_at() -> Value {
    json!(*CREATED_AT)
}

fn sha256_hex(text: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(64);
    for b in Sha256::digest(text.as_bytes()) {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0xf)]));
    }
    out
}

/// dbt's `checksum`: sha256 of the file's text with surrounding whitespace stripped; none
/// for generic tests (built from yml); the path for big seeds.
pub(super) fn checksum(db: &dyn Db, node: &NodeInfo) -> Value {
    let Some(file) = node.file.filter(|_| node.test.is_none()) else {
        return json!({"name": "none", "checksum": ""});
    };
    let text = file.text(db);
    if node.resource_type == ResourceType::Seed && text.len() >= BIG_SEED_BYTES {
        return json!({"name": "path", "checksum": file.path(db).display().to_string()});
    }
    json!({"name": "sha256", "checksum": sha256_hex(text.trim())})
}

/// `raw_code` as dbt stores it: the file's stripped text, a snapshot block's body, or for a
/// generic test the call of its macro.
pub(super) fn raw_code(db: &dyn Db, node: &NodeInfo) -> Option<String> {
    if let Some(test) = &node.test {
        let name = match &test.namespace {
            Some(ns) => format!("{ns}.test_{}", test.test_name),
            None => format!("test_{}", test.test_name),
        };
        let configs: Vec<String> = test
            .config
            .iter()
            .filter(|(k, _)| !k.starts_with("__"))
            .map(|(k, v)| match v {
                Value::String(s) => format!("{k}=\"{}\"", s.replace('"', "\\\"")),
                other => format!("{k}={}", py_str(other)),
            })
            .collect();
        let config = if configs.is_empty() {
            String::new()
        } else {
            format!("{{{{ config({}) }}}}", configs.join(","))
        };
        return Some(format!(
            "{{{{ {name}(**_dbt_generic_test_kwargs) }}}}{config}"
        ));
    }
    match node.resource_type {
        ResourceType::Seed => Some(String::new()),
        ResourceType::Snapshot => crate::jinja::nodes::raw_code(db, node).map(|(raw, _)| raw),
        _ => node.file.map(|f| f.text(db).trim().to_string()),
    }
}

/// Python's `str()` of a YAML value (strings inside containers as their `repr()`).
fn py_str(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::Bool(b) => if *b { "True" } else { "False" }.into(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => py_repr_str(s),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(py_str).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("{}: {}", py_repr_str(k), py_str(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// `compiled_path`: `<target-path>/compiled/<package>/<path>` for a compiled node.
pub(super) fn compiled_path(db: &dyn Db, project: Project, uid: &str) -> Value {
    let target = crate::project::config::target_path(db, project);
    super::super::compiled_path(db, project, std::path::Path::new(&target), uid)
        .map_or(Value::Null, |p| p.display().to_string().into())
}

/// `doc_blocks`: the doc blocks the description reads with `doc('name')` or
/// `doc('package', 'name')`, as `doc.<package>.<name>`.
pub(super) fn doc_blocks(text: &str, package: &str, docs: &IndexMap<String, DocBlock>) -> Value {
    let mut out: Vec<Value> = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("doc(") {
        let before = &rest[..at];
        rest = &rest[at + 4..];
        if before.ends_with(|c: char| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let Some(end) = rest.find(')') else { break };
        let args: Vec<String> = rest[..end]
            .split(',')
            .map(|a| a.trim().trim_matches(['\'', '"']).to_string())
            .collect();
        let (pkg, name) = match args.as_slice() {
            [name] => (package.to_string(), name.clone()),
            [pkg, name] => (pkg.clone(), name.clone()),
            _ => continue,
        };
        // A name the node's package lacks resolves like dbt: any package that has it.
        let pkg = if docs.values().any(|d| d.package == pkg && d.name == name) {
            pkg
        } else {
            docs.values()
                .find(|d| d.name == name)
                .map_or(pkg, |d| d.package.clone())
        };
        let id = Value::from(format!("doc.{pkg}.{name}"));
        if !out.contains(&id) {
            out.push(id);
        }
    }
    Value::Array(out)
}

/// A macro's manifest entry. For a macro from a file: its path in its package, the block's
/// text (`macro_sql`) and dbt's defaults for the undocumented properties.
pub(super) fn macro_entry(
    db: &dyn Db,
    project: Project,
    package: &str,
    name: &str,
    loc: &crate::jinja::macros::MacroLoc,
) -> Value {
    let uid = format!("macro.{package}.{name}");
    let crate::jinja::macros::MacroLoc::File(file) = loc else {
        return json!({
            "unique_id": uid, "name": name, "package_name": package,
            "original_file_path": "<dbtc built-in>", "resource_type": "macro",
        });
    };
    let config = crate::project::config::project_config(db, project);
    let full = file.path(db);
    let path = config
        .package(package)
        .and_then(|p| full.strip_prefix(&p.root).ok())
        .unwrap_or(full)
        .display()
        .to_string();
    let text = file.text(db);
    let blocks = crate::jinja::blocks::find_blocks(text).0;
    // dbt strips a macro file's text before it cuts the blocks.
    let stripped_end = text.trim_end().len();
    let mut prev_end = text.len() - text.trim_start().len();
    let mut macro_sql = String::new();
    for b in &blocks {
        let (start, end) = dbt_block_span(&text[..stripped_end], b.start, b.end, prev_end);
        prev_end = end;
        if (b.kind == "macro" && b.name == name)
            || (b.kind == "test" && name.strip_prefix("test_") == Some(b.name.as_str()))
        {
            macro_sql = text.get(start..end).unwrap_or_default().to_string();
            break;
        }
    }
    let depends_on = super::macro_deps::macro_depends_on(db, project, package, name, &macro_sql);
    json!({
        "name": name,
        "resource_type": "macro",
        "package_name": package,
        "path": path,
        "original_file_path": path,
        "unique_id": uid,
        "macro_sql": macro_sql,
        "description": "",
        "meta": {},
        "docs": {"show": true, "node_color": null},
        "patch_path": null,
        "arguments": [],
        "created_at": created_at(),
        "supported_languages": null,
        "depends_on": {"macros": depends_on},
    })
}

/// A block's text as dbt's block parser cuts it: with whitespace control on the opening
/// tag (`{%-`) the whitespace before it (back to the previous block) belongs to the block,
/// and with it on the closing tag (`-%}`) the whitespace after it.
fn dbt_block_span(text: &str, start: usize, end: usize, prev_end: usize) -> (usize, usize) {
    let mut s = start;
    if text[start..].starts_with("{%-") {
        let before = &text[prev_end.min(start)..start];
        s = start - (before.len() - before.trim_end().len());
    }
    let mut e = end;
    if text[..end].ends_with("-%}") {
        let after = &text[end..];
        e = end + (after.len() - after.trim_start().len());
    }
    (s, e)
}

#[cfg(test)]
mod tests {
    #[test]
    fn block_whitespace_as_dbt() {
        let text = "x\n\n{%- macro a() -%}1{%- endmacro -%}\n\n{% macro b() %}2{% endmacro %}\n";
        let a = (
            text.find("{%- macro a").unwrap(),
            text.find("\n\n{% macro b").unwrap(),
        );
        assert_eq!(super::dbt_block_span(text, a.0, a.1, 0), (1, a.1 + 2));
        let b = (text.find("{% macro b").unwrap(), text.len() - 1);
        assert_eq!(super::dbt_block_span(text, b.0, b.1, a.1 + 2), b);
    }
}
