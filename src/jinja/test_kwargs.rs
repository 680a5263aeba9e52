//! The template of a generic test: its macro called with `**_dbt_generic_test_kwargs`.
//!
//! dbt renders every test argument (except a top-level `column_name`) as Jinja in the
//! test's own context before calling the macro: a lone `{{ expr }}` keeps the value's type,
//! `ref('x')`-like strings are wrapped in `{{ }}` first, and a string with Jinja inside
//! (`cast(d as date) = {{ dbt_date.yesterday() }}`) becomes its rendered text. dbtc writes
//! that as Jinja ahead of the call: each such string is a `{% set %}` block whose captured
//! output is the argument.

use indexmap::IndexMap;
use serde_json::Value;

/// Builds the Jinja expressions of test arguments, collecting the `{% set %}` blocks that
/// render arguments with Jinja inside them.
#[derive(Default)]
struct Args {
    blocks: String,
    count: usize,
}

impl Args {
    /// A JSON value as a Jinja literal (strings stay strings; nested items are rendered as
    /// arguments, as dbt does).
    fn literal(&mut self, v: &Value) -> String {
        match v {
            Value::Null => "none".into(),
            Value::Bool(b) => if *b { "true" } else { "false" }.into(),
            Value::Array(items) => {
                let items: Vec<String> = items.iter().map(|i| self.expr(i)).collect();
                format!("[{}]", items.join(", "))
            }
            Value::Object(map) => {
                let entries: Vec<String> = map
                    .iter()
                    .map(|(k, v)| format!("{}: {}", string_literal(k), self.expr(v)))
                    .collect();
                format!("{{{}}}", entries.join(", "))
            }
            other => other.to_string(),
        }
    }

    /// A test argument as a Jinja expression.
    fn expr(&mut self, v: &Value) -> String {
        let Value::String(s) = v else {
            return self.literal(v);
        };
        let t = s.trim();
        if let Some(inner) = t.strip_prefix("{{").and_then(|r| r.strip_suffix("}}"))
            && !inner.contains("{{")
            && !inner.contains("}}")
        {
            return format!("({})", inner.trim());
        }
        if looks_like_function(t) {
            return format!("({t})");
        }
        if has_jinja(s) {
            let name = format!("__dbtc_test_arg_{}", self.count);
            self.count += 1;
            self.blocks
                .push_str(&format!("{{% set {name} %}}{s}{{% endset %}}"));
            return name;
        }
        string_literal(s)
    }
}

/// A string as a Jinja string literal.
fn string_literal(s: &str) -> String {
    Value::String(s.to_string()).to_string()
}

/// dbt's test of whether a string needs rendering: an opening or closing Jinja delimiter.
fn has_jinja(s: &str) -> bool {
    ["{{", "{%", "{#", "}}", "%}", "#}"]
        .iter()
        .any(|d| s.contains(d))
}

/// dbt's `looks_like_func`: a test argument such as `ref('x')` is rendered as Jinja.
fn looks_like_function(s: &str) -> bool {
    ["env_var", "ref", "var", "source", "doc"].iter().any(|f| {
        s.strip_prefix(f)
            .map(str::trim_start)
            .is_some_and(|rest| rest.starts_with('(') && rest.ends_with(')') && rest.len() > 2)
    })
}

/// The template of a generic test calling `macro_name` with `kwargs`.
pub(super) fn generic_test_template(kwargs: &IndexMap<String, Value>, macro_name: &str) -> String {
    let mut args = Args::default();
    let mut entries = Vec::new();
    for (k, v) in kwargs {
        let expr = if k == "column_name" {
            args.literal(v)
        } else {
            args.expr(v)
        };
        entries.push(format!("{}: {}", string_literal(k), expr));
    }
    format!(
        "{}{{% set _dbt_generic_test_kwargs = {{{}}} %}}{{{{ {macro_name}(**_dbt_generic_test_kwargs) }}}}",
        args.blocks,
        entries.join(", ")
    )
}

/// A JSON value as a Jinja literal (a generated name passed to a macro).
pub(super) fn jinja_literal(v: &Value) -> String {
    Args::default().literal(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn template(kwargs: Value) -> String {
        let Value::Object(map) = kwargs else {
            unreachable!("an object")
        };
        generic_test_template(&map.into_iter().collect(), "test_t")
    }

    #[test]
    fn lone_expressions_and_function_like_strings_become_expressions() {
        let t = template(json!({"to": "ref('a')", "n": "{{ var('n') }}", "s": "plain"}));
        assert_eq!(
            t,
            "{% set _dbt_generic_test_kwargs = {\"to\": (ref('a')), \"n\": (var('n')), \
             \"s\": \"plain\"} %}{{ test_t(**_dbt_generic_test_kwargs) }}"
        );
    }

    #[test]
    fn strings_with_jinja_inside_are_rendered_by_set_blocks() {
        let t = template(json!({
            "column_name": "c",
            "cond": "d = {{ f() }}",
            "list": ["x {{ g() }}", "y"]
        }));
        assert_eq!(
            t,
            "{% set __dbtc_test_arg_0 %}d = {{ f() }}{% endset %}\
             {% set __dbtc_test_arg_1 %}x {{ g() }}{% endset %}\
             {% set _dbt_generic_test_kwargs = {\"column_name\": \"c\", \"cond\": __dbtc_test_arg_0, \
             \"list\": [__dbtc_test_arg_1, \"y\"]} %}{{ test_t(**_dbt_generic_test_kwargs) }}"
        );
    }

    #[test]
    fn column_name_is_never_rendered() {
        let t = template(json!({"column_name": "a {{ b }}"}));
        assert!(
            t.starts_with("{% set _dbt_generic_test_kwargs = {\"column_name\": \"a {{ b }}\"}")
        );
    }
}
