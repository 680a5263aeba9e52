//! Pre- and post-hooks of models, seeds and snapshots, as dbt runs them: each hook is a
//! string or `{sql, transaction}` (`transaction` defaults to true), rendered in the node's
//! context, and run in order around the build: pre-hooks outside the transaction, then
//! those inside it, the build, post-hooks inside the transaction, then those outside it.
//! A hook that renders to nothing is not run. A hook whose render queries the database
//! (`run_query`, `adapter.get_relation`, `adapter.drop_relation`, ...) is rendered just
//! before it runs, with the run's connection answering its queries, as dbt renders every
//! hook inside the materialization.

use serde_json::{Map, Value};

use super::super::Adapter;
use super::around::Failure;

/// One hook's SQL and whether it runs inside the build's transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hook {
    /// The rendered SQL, or the template when `live`.
    pub sql: String,
    pub transaction: bool,
    /// Its render needs the database: `sql` is rendered when the hook runs.
    pub live: bool,
}

/// Renders a live hook's template with the connection answering its queries:
/// `(connection, template, this_exists)` to the SQL, or the render's message (a
/// query the database refused: `Database Error` and the database's message).
pub type LiveHook<'a> = dyn Fn(&mut dyn Adapter, &str, bool) -> Result<String, String> + 'a;

/// The hooks of one config key (`pre-hook` or `post-hook`), in order. An entry that is
/// neither a string nor a `{sql: ...}` mapping is an error naming it.
pub fn config_hooks(config: &Map<String, Value>, key: &str) -> Result<Vec<Hook>, String> {
    let entries: Vec<&Value> = match config.get(key) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.iter().collect(),
        Some(other) => vec![other],
    };
    let mut out = Vec::new();
    for entry in entries {
        match entry {
            Value::String(sql) => out.push(Hook {
                sql: sql.clone(),
                transaction: true,
                live: false,
            }),
            Value::Object(map) => {
                let sql = map.get("sql").and_then(Value::as_str).ok_or_else(|| {
                    format!("a `{key}` mapping needs a `sql` string, got {entry}")
                })?;
                let transaction = match map.get("transaction") {
                    None | Some(Value::Null) => true,
                    Some(Value::Bool(b)) => *b,
                    Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => true,
                    Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => false,
                    Some(other) => {
                        return Err(format!(
                            "`transaction` of a `{key}` must be true or false, got {other}"
                        ));
                    }
                };
                out.push(Hook {
                    sql: sql.to_string(),
                    transaction,
                    live: false,
                });
            }
            other => return Err(format!("a `{key}` must be SQL text, got {other}")),
        }
    }
    Ok(out)
}

/// The rendered hooks of a node for one build.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hooks {
    pub pre: Vec<Hook>,
    pub post: Vec<Hook>,
}

impl Hooks {
    pub fn is_empty(&self) -> bool {
        self.pre.is_empty() && self.post.is_empty()
    }
}

/// Runs the hooks of `hooks` whose `transaction` is `inside`, in order, rendering the
/// live ones with `live` (`this_exists`: what their `is_incremental()` answers); the
/// first failure stops and is the error.
pub fn run_hooks(
    adapter: &mut dyn Adapter,
    hooks: &[Hook],
    inside: bool,
    live: Option<&LiveHook<'_>>,
    this_exists: bool,
) -> Result<(), Failure> {
    for hook in hooks.iter().filter(|h| h.transaction == inside) {
        let rendered;
        let sql = if hook.live {
            let Some(live) = live else {
                return Err(Failure::Compilation(
                    "this hook queries the database while rendering (run_query, \
                     adapter.get_relation, ...): this command does not render hooks \
                     against the database (not supported yet)"
                        .into(),
                ));
            };
            rendered = live(adapter, &hook.sql, this_exists).map_err(render_failure)?;
            rendered.trim()
        } else {
            hook.sql.trim()
        };
        if !sql.is_empty() {
            adapter.execute(sql).map_err(Failure::Runtime)?;
        }
    }
    Ok(())
}

/// A live render's error as dbt reports it: a query the database refused is a runtime
/// error carrying the database's message alone; anything else a compilation error.
fn render_failure(e: String) -> Failure {
    let e = e.strip_prefix("invalid operation: ").unwrap_or(&e);
    match e.strip_prefix("Database Error\n") {
        Some(db) => {
            let db = db.rsplit_once(" (in macro `").map_or(db, |(text, _)| text);
            Failure::Runtime(db.strip_prefix("  ").unwrap_or(db).to_string())
        }
        None => Failure::Compilation(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strings_lists_and_mappings() {
        let config = json!({
            "pre-hook": ["select 1", {"sql": "select 2", "transaction": false}],
            "post-hook": "select 3",
        });
        let config = config.as_object().unwrap();
        let pre = config_hooks(config, "pre-hook").unwrap();
        assert_eq!(pre.len(), 2);
        assert!(pre[0].transaction);
        assert!(!pre[1].transaction);
        assert_eq!(pre[1].sql, "select 2");
        let post = config_hooks(config, "post-hook").unwrap();
        assert_eq!(post.len(), 1);
        assert_eq!(post[0].sql, "select 3");
        assert!(config_hooks(config, "other").unwrap().is_empty());
    }

    #[test]
    fn live_render_errors() {
        assert_eq!(
            render_failure("Database Error\n  Catalog Error: no t (in macro `run_query`)".into()),
            Failure::Runtime("Catalog Error: no t".into())
        );
        assert_eq!(
            render_failure("invalid operation: undefined value".into()),
            Failure::Compilation("undefined value".into())
        );
    }

    #[test]
    fn malformed_hooks_are_errors() {
        let config = json!({"pre-hook": [{"transaction": true}], "post-hook": [3]});
        let config = config.as_object().unwrap();
        assert!(config_hooks(config, "pre-hook").is_err());
        assert!(config_hooks(config, "post-hook").is_err());
    }
}
