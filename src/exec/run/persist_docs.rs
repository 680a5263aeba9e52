//! `persist_docs` as dbt-duckdb does it (the Postgres way): with `relation: true` and a
//! description, `comment on <table|view> <relation> is <description>`; with
//! `columns: true`, `comment on column <relation>.<column> is <description>` for each
//! documented column the relation has (names compared exactly; a column with
//! `quote: true` is quoted). Comments are dollar-quoted, so any text but the quoting label
//! itself can be embedded.

use serde_json::{Map, Value};

use super::super::{Adapter, Relation};

const LABEL: &str = "$dbt_comment_literal_block$";

/// A documented column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnDoc {
    pub name: String,
    pub description: String,
    pub quote: bool,
}

/// What a node persists: its description (when `relation: true`) and its columns' (when
/// `columns: true`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersistDocs {
    pub relation: Option<String>,
    pub columns: Vec<ColumnDoc>,
}

impl PersistDocs {
    /// From the node's `persist_docs` config, its description and its yml columns (both
    /// with `doc()` rendered by `describe`). None when nothing is to be persisted.
    pub fn plan(
        config: &Map<String, Value>,
        description: &str,
        columns: &Value,
        describe: &dyn Fn(&str) -> String,
    ) -> Option<PersistDocs> {
        let persist = config.get("persist_docs")?.as_object()?;
        let on = |key: &str| persist.get(key).is_some_and(truthy);
        let relation = (on("relation") && !description.is_empty()).then(|| describe(description));
        let columns = if on("columns") {
            columns
                .as_array()
                .map(|cols| {
                    cols.iter()
                        .filter_map(|c| {
                            Some(ColumnDoc {
                                name: c.get("name")?.as_str()?.to_string(),
                                description: describe(
                                    c.get("description").and_then(Value::as_str).unwrap_or(""),
                                ),
                                quote: c.get("quote").is_some_and(truthy),
                            })
                        })
                        .collect()
                })
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        (relation.is_some() || !columns.is_empty()).then_some(PersistDocs { relation, columns })
    }

    /// The `comment on` statements for `relation` (of `kind`, `table` or `view`), whose
    /// columns are `existing`.
    pub fn statements(
        &self,
        adapter: &dyn Adapter,
        relation: &Relation,
        kind: &str,
        existing: &[String],
    ) -> Result<Vec<String>, String> {
        let rendered = adapter.render_relation(relation);
        let mut out = Vec::new();
        if let Some(text) = &self.relation {
            out.push(format!("comment on {kind} {rendered} is {}", escape(text)?));
        }
        for col in &self.columns {
            if !existing.contains(&col.name) {
                continue;
            }
            let name = if col.quote {
                adapter.quote(&col.name)
            } else {
                col.name.clone()
            };
            out.push(format!(
                "comment on column {rendered}.{name} is {}",
                escape(&col.description)?
            ));
        }
        Ok(out)
    }

    /// Comments `relation` (and its columns) in the database; returns the statements run.
    pub fn apply(
        &self,
        adapter: &mut dyn Adapter,
        relation: &Relation,
    ) -> Result<Vec<String>, String> {
        let kind = adapter
            .relation_kind(relation)?
            .unwrap_or_else(|| "table".into());
        let existing: Vec<String> = if self.columns.is_empty() {
            Vec::new()
        } else {
            adapter
                .columns(relation)?
                .into_iter()
                .map(|c| c.name)
                .collect()
        };
        let statements = self.statements(adapter, relation, &kind, &existing)?;
        for sql in &statements {
            adapter.execute(sql)?;
        }
        Ok(statements)
    }
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::String(s) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

/// A dollar-quoted comment (dbt refuses text containing the label).
fn escape(text: &str) -> Result<String, String> {
    if text.contains(LABEL) {
        return Err(format!("The string {LABEL} is not allowed in comments."));
    }
    Ok(format!("{LABEL}{text}{LABEL}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn plans_only_what_is_enabled() {
        let cols = json!([{"name": "id", "description": "the key"}, {"name": "x"}]);
        let id = |s: &str| s.to_string();
        let cfg = json!({"persist_docs": {"relation": true}});
        let p = PersistDocs::plan(cfg.as_object().unwrap(), "a model", &cols, &id).unwrap();
        assert_eq!(p.relation.as_deref(), Some("a model"));
        assert!(p.columns.is_empty());
        let cfg = json!({"persist_docs": {"relation": true, "columns": true}});
        let p = PersistDocs::plan(cfg.as_object().unwrap(), "", &cols, &id).unwrap();
        assert_eq!(p.relation, None);
        assert_eq!(p.columns.len(), 2);
        assert_eq!(p.columns[1].description, "");
        let cfg = json!({"persist_docs": {}});
        assert!(PersistDocs::plan(cfg.as_object().unwrap(), "d", &cols, &id).is_none());
    }

    #[test]
    fn the_quoting_label_is_refused() {
        assert!(escape("a $dbt_comment_literal_block$ b").is_err());
        assert_eq!(
            escape("it's").unwrap(),
            "$dbt_comment_literal_block$it's$dbt_comment_literal_block$"
        );
    }
}
