//! The SQL a unit test runs for its model, rendered as dbt renders it: the model's own
//! template, each `ref()`/`source()` that a `given` input stands for resolved to a CTE
//! (`__dbt__cte__<name>`), `this` to the `this` input's CTE when given, `var()` and
//! `env_var()` seeing the test's overrides and `is_incremental()` its override; other
//! macro overrides with a text or number value replace the macro where the model's own
//! SQL calls it (`name()`, `dbt.name()`, `package.name()`). The CTEs' bodies (the
//! fixture rows, typed by the inputs' columns) are built when the test runs.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use serde_json::{Value, json};

use crate::db::{Db, NodeKey, Project};
use crate::jinja::context::{Phase, RefTarget};
use crate::jinja::nodes::{
    base_input, node_config, node_info, node_relation, parsed_node, raw_code,
};
use crate::jinja::relation::RelationData;
use crate::jinja::render::render;
use crate::project::config::project_config;
use crate::project::nodes::node_index;
use crate::project::unit_tests::{InputKind, UnitTest};

/// One `given` input as the test's SQL uses it.
#[derive(Debug, Clone)]
pub struct InputPlan {
    /// Position in the test's `given` list.
    pub given: usize,
    /// The CTE the model's SQL reads instead of the input's relation.
    pub cte_name: String,
    /// The name of the node the input stands for (dbt's `model.name` in its fixture).
    pub node_name: String,
    /// The input's relation in the database (its columns type the rows), when it has one.
    pub relation: Option<RelationData>,
}

/// A unit test ready to run: the model's SQL with CTE references, and its inputs.
#[derive(Debug, Clone)]
pub struct UnitTestPlan {
    pub test: Arc<UnitTest>,
    /// The model's SQL with each input replaced by its CTE name (an error: why it could
    /// not render, as dbt's compilation error).
    pub main_sql: Result<String, String>,
    /// The inputs the SQL reads, in `given` order.
    pub inputs: Vec<InputPlan>,
    /// The tested model's relation (its schema names the temporary tables).
    pub model_relation: Option<RelationData>,
    pub model_name: String,
}

fn cte_name(kind: &InputKind, node_name: &str) -> String {
    match kind {
        InputKind::Source { source, table } => format!("__dbt__cte__{source}__{table}"),
        _ => format!("__dbt__cte__{node_name}"),
    }
}

fn cte_relation(name: &str) -> RelationData {
    RelationData {
        cte_name: Some(name.to_string()),
        kind: Some("cte".into()),
        ..RelationData::default()
    }
}

/// Plans a unit test: renders its model's SQL with the test's inputs and overrides.
pub fn plan(db: &dyn Db, project: Project, test: &Arc<UnitTest>) -> UnitTestPlan {
    let model_key = NodeKey::new(db, test.model_id.as_str());
    let model = node_info(db, project, model_key);
    let model_name = model
        .as_ref()
        .map_or_else(|| test.model.clone(), |m| m.name.clone());
    let mut inputs = Vec::new();
    for (i, given) in test.given.iter().enumerate() {
        let key = NodeKey::new(db, given.node.as_str());
        let node_name = node_info(db, project, key)
            .as_ref()
            .map_or_else(|| given.node.clone(), |n| n.name.clone());
        inputs.push(InputPlan {
            given: i,
            cte_name: cte_name(&given.kind, &node_name),
            node_name,
            relation: node_relation(db, project, key).clone(),
        });
    }
    let main_sql = match model.as_ref() {
        Some(node) => render_model(db, project, test, node, &inputs),
        None => Err(format!("model {} was not found", test.model)),
    };
    UnitTestPlan {
        test: Arc::clone(test),
        main_sql,
        inputs,
        model_relation: node_relation(db, project, model_key).clone(),
        model_name,
    }
}

fn render_model(
    db: &dyn Db,
    project: Project,
    test: &UnitTest,
    node: &crate::project::nodes::NodeInfo,
    inputs: &[InputPlan],
) -> Result<String, String> {
    let key = NodeKey::new(db, node.unique_id.as_str());
    let (text, origin) = raw_code(db, node).ok_or("the model has no SQL file")?;
    let text = with_macro_overrides(&text, test);
    let config = (**node_config(db, project, key)).clone();
    let mut input = base_input(db, project, node, Phase::Compile, config.clone());
    let by_node: HashMap<&str, &InputPlan> = inputs
        .iter()
        .map(|p| (test.given[p.given].node.as_str(), p))
        .collect();
    let this_input = inputs
        .iter()
        .find(|p| test.given[p.given].kind == InputKind::This);
    let this = match this_input {
        Some(p) => Some(cte_relation(&p.cte_name)),
        None => node_relation(db, project, key).clone(),
    };
    match test.macro_override("is_incremental") {
        Some(Value::Bool(true)) => {
            if let Some(t) = &this {
                input.existing_relations = Arc::new(BTreeSet::from([t.render()]));
            }
            input
                .config
                .insert("materialized".into(), json!("incremental"));
            input.config.insert("full_refresh".into(), json!(false));
        }
        Some(Value::Bool(false)) => {
            input.existing_relations = Arc::new(BTreeSet::new());
        }
        _ => {}
    }
    input.this = this;
    input.model = crate::jinja::to_value(json!({
        "unique_id": node.unique_id,
        "name": node.name,
        "package_name": node.package,
        "resource_type": node.resource_type.as_str(),
        "original_file_path": node.original_file_path,
        "path": node.path,
        "fqn": node.fqn,
        "config": config,
        "tags": config.get("tags").cloned().unwrap_or(json!([])),
        "meta": config.get("meta").cloned().unwrap_or(json!({})),
    }));
    if let Some(Value::Object(vars)) = test.overrides.get("vars") {
        input
            .vars
            .extend(vars.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    if let Some(Value::Object(env)) = test.overrides.get("env_vars") {
        let mut all = (*input.env).clone();
        for (k, v) in env {
            let text = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            all.insert(k.clone(), text);
        }
        input.env = Arc::new(all);
    }
    let index = node_index(db, project);
    let root = project_config(db, project).root.name.clone();
    let parsed = parsed_node(db, project, key);
    let not_found = |what: &str, name: &str| {
        format!(
            "Unit_Test '{}' ({}) depends on a {what} named '{name}' which was not found: give it as an input of the unit test",
            test.unique_id, test.original_file_path
        )
    };
    for call in &parsed.refs {
        let local = (node.package != root).then_some(node.package.as_str());
        let version = call.version.as_deref();
        let target = index
            .find_ref(
                &root,
                call.package.as_deref().or(local),
                &call.name,
                version,
            )
            .or_else(|| index.find_ref(&root, call.package.as_deref(), &call.name, version));
        let plan = target.and_then(|t| by_node.get(t.unique_id.as_str()));
        let Some(plan) = plan else {
            return Err(not_found("node", &call.name));
        };
        input.refs.insert(
            call.clone(),
            RefTarget {
                relation: cte_relation(&plan.cte_name),
                ephemeral: None,
            },
        );
    }
    for (source, table) in &parsed.sources {
        let plan = index
            .find_source(source, table)
            .and_then(|t| by_node.get(t.unique_id.as_str()));
        let Some(plan) = plan else {
            return Err(not_found("source", &format!("{source}.{table}")));
        };
        input.sources.insert(
            (source.clone(), table.clone()),
            cte_relation(&plan.cte_name),
        );
    }
    let name = format!("{}#unit", test.unique_id);
    let rendered = render(db, project, input, &name, &text, &origin);
    if rendered.collected.introspective {
        return Err(
            "the model's rendering queries the database (introspective): dbt does not unit test such models"
                .into(),
        );
    }
    rendered.output.map_err(|d| d.message)
}

fn is_identifier(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Replaces the calls `from(` (not part of a longer name) with `to(`.
fn replace_calls(text: &str, from: &str, to: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find(from) {
        let boundary = rest[..pos]
            .chars()
            .next_back()
            .is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'));
        out.push_str(&rest[..pos]);
        out.push_str(if boundary { to } else { from });
        rest = &rest[pos + from.len()..];
    }
    out.push_str(rest);
    out
}

/// The model's template with the test's macro overrides (text or number values) defined
/// in front of it, on its first line (so error lines stay right): `name` and
/// `dbt.name` override the global macro and its `dbt.` form, `package.name` that form
/// only, as dbt does. Macros called from other macros keep their definitions.
fn with_macro_overrides(text: &str, test: &UnitTest) -> String {
    let Some(Value::Object(macros)) = test.overrides.get("macros") else {
        return text.to_string();
    };
    let mut prefix = String::new();
    let mut body = text.to_string();
    for (i, (key, value)) in macros.iter().enumerate() {
        let literal = match value {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => continue,
        };
        let (package, name) = match key.split_once('.') {
            Some((p, n)) => (Some(p), n),
            None => (None, key.as_str()),
        };
        if key == "is_incremental" || !is_identifier(name) || !package.is_none_or(is_identifier) {
            continue;
        }
        let defined = match package {
            None | Some("dbt") => {
                body = replace_calls(&body, &format!("dbt.{name}("), &format!("{name}("));
                name.to_string()
            }
            Some(p) => {
                let local = format!("__dbtc_unit_override_{i}");
                body = replace_calls(&body, &format!("{p}.{name}("), &format!("{local}("));
                local
            }
        };
        prefix.push_str(&format!(
            "{{% macro {defined}(a=none, b=none, c=none, d=none, e=none, f=none) %}}{{% raw %}}{literal}{{% endraw %}}{{% endmacro %}}"
        ));
    }
    prefix + &body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_are_replaced_on_name_boundaries() {
        let text = "{{ dbt.now() }} {{ x.dbt.now() }} {{ mydbt.now() }} {{ u.now() }}";
        assert_eq!(
            replace_calls(text, "dbt.now(", "now("),
            "{{ now() }} {{ x.dbt.now() }} {{ mydbt.now() }} {{ u.now() }}"
        );
        assert!(is_identifier("current_timestamp"));
        assert!(!is_identifier("a-b"));
    }
}
