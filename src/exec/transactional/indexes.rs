//! The `indexes` config of dbt-postgres: after a table is built (before it is renamed into
//! place), one `create [unique] index if not exists "<name>" on <table> [using <type>]
//! (<columns>)` per entry. As in dbt-postgres the name is the md5 of the columns, the
//! relation, `unique`, the type and the current UTC time (so a rebuilt table never
//! collides with the old one's index names).

use md5::{Digest, Md5};
use serde_json::{Map, Value};

use crate::exec::{Adapter, Relation};

/// One entry of `indexes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Index {
    pub columns: Vec<String>,
    pub unique: bool,
    /// The access method (`btree`, `hash`, `gist`, ...).
    pub method: Option<String>,
}

/// Reads `indexes` (a list of `{columns: [...], unique: bool, type: name}`), with an
/// error naming the entry that is not one.
pub fn from_config(config: &Map<String, Value>) -> Result<Vec<Index>, String> {
    let items = match config.get("indexes") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(other) => return Err(format!("`indexes` must be a list, got {other}")),
    };
    items
        .iter()
        .map(|item| {
            let Value::Object(entry) = item else {
                return Err(format!(
                    "Invalid index config:\n  Got: {item}\n  Expected a dictionary with at minimum a \"columns\" key"
                ));
            };
            let columns = match entry.get("columns") {
                Some(Value::Array(cols)) if !cols.is_empty() => cols
                    .iter()
                    .map(|c| {
                        c.as_str()
                            .map(str::to_string)
                            .ok_or_else(|| format!("Invalid index config: column {c} is not a name"))
                    })
                    .collect::<Result<Vec<_>, _>>()?,
                _ => {
                    return Err(format!(
                        "Invalid index config:\n  Got: {item}\n  Expected a dictionary with at minimum a \"columns\" key"
                    ));
                }
            };
            let unique = match entry.get("unique") {
                None | Some(Value::Null) => false,
                Some(Value::Bool(b)) => *b,
                Some(other) => {
                    return Err(format!("Invalid index config: `unique` must be true or false, got {other}"));
                }
            };
            let method = match entry.get("type") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) => Some(s.clone()),
                Some(other) => {
                    return Err(format!("Invalid index config: `type` must be a name, got {other}"));
                }
            };
            Ok(Index {
                columns,
                unique,
                method,
            })
        })
        .collect()
}

/// dbt-postgres's index name: md5 of `columns_<relation>_<unique>_<type>_<now>`.
fn index_name(index: &Index, rendered: &str) -> String {
    let now = chrono::Utc::now()
        .naive_utc()
        .format("%Y-%m-%dT%H:%M:%S%.6f")
        .to_string();
    let mut inputs = index.columns.clone();
    inputs.push(rendered.to_string());
    inputs.push(if index.unique { "True" } else { "False" }.into());
    inputs.push(index.method.clone().unwrap_or_else(|| "None".into()));
    inputs.push(now);
    format!("{:x}", Md5::digest(inputs.join("_").as_bytes()))
}

/// The `create index` statement of one index on `relation` (dbt-duckdb's shape, without
/// `if not exists` and access method, on DuckDB).
pub fn create_index_sql(adapter: &dyn Adapter, relation: &Relation, index: &Index) -> String {
    let rendered = adapter.render_relation(relation);
    if adapter.adapter_type() != "postgres" {
        return format!(
            "create {}index\n  \"{}\"\n  on {rendered}\n  ({})",
            if index.unique { "unique " } else { "" },
            index_name(index, &rendered),
            index.columns.join(", ")
        );
    }
    format!(
        "create {}index if not exists\n  \"{}\"\n  on {rendered} {}({})",
        if index.unique { "unique " } else { "" },
        index_name(index, &rendered),
        index
            .method
            .as_ref()
            .map(|m| format!("using {m}\n  "))
            .unwrap_or_default(),
        index.columns.join(", ")
    )
}

/// Creates every index on `relation`; returns the statements.
pub fn create_indexes(
    adapter: &mut dyn Adapter,
    relation: &Relation,
    indexes: &[Index],
) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for index in indexes {
        let sql = create_index_sql(adapter, relation, index);
        adapter.execute(&sql)?;
        out.push(sql);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::{Column, QueryResult};

    /// Names itself `postgres`; never runs anything.
    struct Postgres;

    impl Adapter for Postgres {
        fn adapter_type(&self) -> &'static str {
            "postgres"
        }
        fn execute(&mut self, _: &str) -> Result<(), String> {
            Ok(())
        }
        fn query(&mut self, _: &str) -> Result<QueryResult, String> {
            Ok(QueryResult::default())
        }
        fn relation_kind(&mut self, _: &Relation) -> Result<Option<String>, String> {
            Ok(None)
        }
        fn columns(&mut self, _: &Relation) -> Result<Vec<Column>, String> {
            Ok(Vec::new())
        }
    }

    #[test]
    fn reads_and_renders() {
        let config = serde_json::json!({"indexes": [
            {"columns": ["id"], "unique": true},
            {"columns": ["a", "b"], "type": "hash"},
        ]});
        let idx = from_config(config.as_object().unwrap()).unwrap();
        assert_eq!(idx.len(), 2);
        assert!(idx[0].unique && idx[1].method.as_deref() == Some("hash"));
        let rel = Relation {
            database: None,
            schema: "s".into(),
            identifier: "t".into(),
        };
        let duck = crate::exec::duckdb::DuckDbAdapter::in_memory().unwrap();
        let sql = create_index_sql(&duck, &rel, &idx[0]);
        assert!(sql.starts_with("create unique index\n  \""), "{sql}");
        assert!(sql.ends_with("on \"s\".\"t\"\n  (id)"), "{sql}");
        let sql = create_index_sql(&Postgres, &rel, &idx[1]);
        assert!(sql.starts_with("create index if not exists\n  \""), "{sql}");
        assert!(
            sql.ends_with("on \"s\".\"t\" using hash\n  (a, b)"),
            "{sql}"
        );
        for bad in [
            serde_json::json!({"indexes": [{"unique": true}]}),
            serde_json::json!({"indexes": ["id"]}),
            serde_json::json!({"indexes": [{"columns": ["id"], "unique": "yes"}]}),
        ] {
            assert!(from_config(bad.as_object().unwrap()).is_err(), "{bad}");
        }
    }
}
