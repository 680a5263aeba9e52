//! `api.Relation`-like objects: what `ref()`, `source()` and `this` return. They render as
//! `"database"."schema"."identifier"` with dbt's quoting and `include()` rules.

use std::fmt;
use std::sync::Arc;

use minijinja::value::{Enumerator, Kwargs, Object, ObjectRepr, Value};
use minijinja::{Error, ErrorKind, State};

/// Position-free description of a relation.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct RelationData {
    pub database: Option<String>,
    pub schema: Option<String>,
    pub identifier: Option<String>,
    pub quote_database: bool,
    pub quote_schema: bool,
    pub quote_identifier: bool,
    pub include_database: bool,
    pub include_schema: bool,
    pub include_identifier: bool,
    /// "table", "view", "cte", ... (None when unknown).
    pub kind: Option<String>,
    /// Set for ephemeral models: renders as `__dbt__cte__<name>`.
    pub cte_name: Option<String>,
    pub quote_char: char,
}

impl RelationData {
    pub fn new(database: &str, schema: &str, identifier: &str) -> RelationData {
        RelationData {
            database: Some(database.to_string()),
            schema: Some(schema.to_string()),
            identifier: Some(identifier.to_string()),
            quote_database: true,
            quote_schema: true,
            quote_identifier: true,
            include_database: true,
            include_schema: true,
            include_identifier: true,
            kind: None,
            cte_name: None,
            quote_char: '"',
        }
    }

    fn quoted(&self, part: &str, quote: bool) -> String {
        if quote {
            format!("{q}{part}{q}", q = self.quote_char)
        } else {
            part.to_string()
        }
    }

    /// The relation as SQL text.
    pub fn render(&self) -> String {
        if let Some(cte) = &self.cte_name {
            return cte.clone();
        }
        let mut parts = Vec::new();
        if self.include_database
            && let Some(d) = self.database.as_deref().filter(|d| !d.is_empty())
        {
            parts.push(self.quoted(d, self.quote_database));
        }
        if self.include_schema
            && let Some(s) = self.schema.as_deref().filter(|s| !s.is_empty())
        {
            parts.push(self.quoted(s, self.quote_schema));
        }
        if self.include_identifier
            && let Some(i) = &self.identifier
        {
            parts.push(self.quoted(i, self.quote_identifier));
        }
        parts.join(".")
    }
}

/// The Jinja object for a relation. Like dbt's `BaseRelation` it is a mapping (dbt_utils
/// checks `obj is mapping and obj.get('metadata', {}).get('type', '').endswith('Relation')`).
#[derive(Debug, Clone)]
pub struct Relation(pub RelationData, pub Arc<str>);

impl Relation {
    /// A relation of the generic class (`BaseRelation`).
    pub fn value(data: RelationData) -> Value {
        Value::from_object(Relation(data, Arc::from("BaseRelation")))
    }

    /// A relation of the adapter's class (`DuckDBRelation`, `PostgresRelation`, ...).
    pub fn for_adapter(data: RelationData, adapter_type: &str) -> Value {
        Value::from_object(Relation(data, Arc::from(relation_class(adapter_type))))
    }

    fn with(&self, data: RelationData) -> Value {
        Value::from_object(Relation(data, Arc::clone(&self.1)))
    }
}

/// The Python class name of an adapter's relations.
pub fn relation_class(adapter_type: &str) -> String {
    let name = match adapter_type {
        "duckdb" => "DuckDB",
        "postgres" => "Postgres",
        "bigquery" => "BigQuery",
        "snowflake" => "Snowflake",
        "redshift" => "Redshift",
        "databricks" => "Databricks",
        "spark" => "Spark",
        "trino" => "Trino",
        "" => "Base",
        other => {
            let mut c = other.chars();
            return c
                .next()
                .map(|f| format!("{}{}Relation", f.to_uppercase(), c.as_str()))
                .unwrap_or_else(|| "BaseRelation".into());
        }
    };
    format!("{name}Relation")
}

fn opt(s: &Option<String>) -> Value {
    s.clone().map(Value::from).unwrap_or(Value::from(()))
}

fn policy(database: bool, schema: bool, identifier: bool) -> Value {
    crate::jinja::to_value(serde_json::json!({
        "database": database, "schema": schema, "identifier": identifier
    }))
}

/// `relation.path`: renders as Python's `Path(database='d', schema='s', identifier='t')`.
#[derive(Debug)]
struct RelationPath(RelationData);

impl Object for RelationPath {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        Some(match key.as_str()? {
            "database" => opt(&self.0.database),
            "schema" => opt(&self.0.schema),
            "identifier" => opt(&self.0.identifier),
            _ => return None,
        })
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Str(&["database", "schema", "identifier"])
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let py = |s: &Option<String>| match s {
            Some(s) => format!("'{s}'"),
            None => "None".into(),
        };
        write!(
            f,
            "Path(database={}, schema={}, identifier={})",
            py(&self.0.database),
            py(&self.0.schema),
            py(&self.0.identifier)
        )
    }
}

/// The keys of a relation as a mapping.
const KEYS: &[&str] = &[
    "path",
    "type",
    "quote_policy",
    "include_policy",
    "quote_character",
    "metadata",
];

impl Object for Relation {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let d = &self.0;
        Some(match key.as_str()? {
            "database" => opt(&d.database),
            "schema" => opt(&d.schema),
            "identifier" | "name" | "table" => opt(&d.identifier),
            "type" => opt(&d.kind),
            "is_table" => Value::from(d.kind.as_deref() == Some("table")),
            "is_view" => Value::from(d.kind.as_deref() == Some("view")),
            "is_materialized_view" => Value::from(d.kind.as_deref() == Some("materialized_view")),
            "is_cte" => Value::from(d.cte_name.is_some()),
            "quote_character" => Value::from(d.quote_char.to_string()),
            "path" => Value::from_object(RelationPath(d.clone())),
            "quote_policy" => policy(d.quote_database, d.quote_schema, d.quote_identifier),
            "include_policy" => policy(d.include_database, d.include_schema, d.include_identifier),
            "metadata" => crate::jinja::to_value(serde_json::json!({"type": &*self.1})),
            "limit" | "event_time_filter" => Value::from(()),
            "require_alias" => Value::from(true),
            _ => return None,
        })
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Str(KEYS)
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        let mut d = self.0.clone();
        let kwargs = args
            .iter()
            .find(|a| a.is_kwargs())
            .and_then(|a| Kwargs::try_from(a.clone()).ok());
        let flag = |name: &str, current: bool| -> bool {
            kwargs
                .as_ref()
                .and_then(|k| k.get::<Option<bool>>(name).ok().flatten())
                .unwrap_or(current)
        };
        match method {
            "get" => {
                let key = args.first().cloned().unwrap_or_default();
                return Ok(self
                    .get_value(&key)
                    .or_else(|| args.get(1).cloned())
                    .unwrap_or(Value::from(())));
            }
            "keys" => {
                return Ok(Value::from_iter(KEYS.iter().copied()));
            }
            "include" => {
                d.include_database = flag("database", d.include_database);
                d.include_schema = flag("schema", d.include_schema);
                d.include_identifier = flag("identifier", d.include_identifier);
            }
            "quote" => {
                d.quote_database = flag("database", d.quote_database);
                d.quote_schema = flag("schema", d.quote_schema);
                d.quote_identifier = flag("identifier", d.quote_identifier);
            }
            "incorporate" => {
                if let Some(k) = &kwargs {
                    if let Ok(Some(t)) = k.get::<Option<String>>("type") {
                        d.kind = Some(t);
                    }
                    if let Ok(Some(path)) = k.get::<Option<Value>>("path") {
                        for (field, slot) in [
                            ("database", &mut d.database),
                            ("schema", &mut d.schema),
                            ("identifier", &mut d.identifier),
                        ] {
                            if let Ok(v) = path.get_attr(field)
                                && let Some(s) = v.as_str()
                            {
                                *slot = Some(s.to_string());
                            }
                        }
                    }
                }
            }
            "render" => return Ok(Value::from(d.render())),
            "render_limited" => return Ok(Value::from(d.render())),
            "to_dict" => {
                return Ok(crate::jinja::to_value(serde_json::json!({
                    "path": {"database": d.database, "schema": d.schema, "identifier": d.identifier},
                    "type": d.kind,
                    "quote_character": d.quote_char.to_string(),
                    "metadata": {"type": &*self.1},
                })));
            }
            "without_identifier" => d.include_identifier = false,
            "replace_path" => {
                if let Some(k) = &kwargs {
                    for (field, slot) in [
                        ("database", &mut d.database),
                        ("schema", &mut d.schema),
                        ("identifier", &mut d.identifier),
                    ] {
                        if let Ok(Some(s)) = k.get::<Option<String>>(field) {
                            *slot = Some(s);
                        }
                    }
                }
            }
            _ => {
                return Err(Error::new(
                    ErrorKind::UnknownMethod,
                    format!("Relation has no method `{method}`"),
                ));
            }
        }
        if let Some(k) = kwargs {
            let _ = k.assert_all_used();
        }
        Ok(self.with(d))
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.render())
    }
}

/// `api`: the adapter's classes as dbt exposes them to Jinja (`api.Relation`).
#[derive(Debug)]
pub struct Api;

impl Object for Api {
    /// Python objects are true in a condition (minijinja's default for a map-like object
    /// without entries is false).
    fn is_true(self: &Arc<Self>) -> bool {
        true
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        match key.as_str()? {
            "Relation" => Some(Value::from_object(RelationApi)),
            _ => None,
        }
    }
}

/// `api.Relation`: `create(database=, schema=, identifier=, type=, quote_policy=,
/// include_policy=)` and `add_ephemeral_prefix(name)`.
#[derive(Debug)]
struct RelationApi;

impl Object for RelationApi {
    /// Python objects are true in a condition (minijinja's default for a map-like object
    /// without entries is false).
    fn is_true(self: &Arc<Self>) -> bool {
        true
    }

    fn call_method(
        self: &Arc<Self>,
        state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        let kwargs = args
            .iter()
            .find(|a| a.is_kwargs())
            .and_then(|a| Kwargs::try_from(a.clone()).ok());
        let positional: Vec<&Value> = args.iter().filter(|a| !a.is_kwargs()).collect();
        match method {
            "add_ephemeral_prefix" => {
                let name = positional
                    .first()
                    .map(|v| v.to_string())
                    .unwrap_or_default();
                Ok(Value::from(format!("__dbt__cte__{name}")))
            }
            "create" => {
                let get = |name: &str, idx: usize| -> Option<String> {
                    kwargs
                        .as_ref()
                        .and_then(|k| k.get::<Option<Value>>(name).ok().flatten())
                        .or_else(|| positional.get(idx).map(|v| (*v).clone()))
                        .filter(|v| !v.is_none() && !v.is_undefined())
                        .map(|v| v.to_string())
                };
                let mut d = RelationData {
                    database: get("database", 0),
                    schema: get("schema", 1),
                    identifier: get("identifier", 2),
                    quote_database: true,
                    quote_schema: true,
                    quote_identifier: true,
                    include_database: true,
                    include_schema: true,
                    include_identifier: true,
                    kind: get("type", 3),
                    cte_name: None,
                    quote_char: '"',
                };
                for (kw, quote) in [("quote_policy", true), ("include_policy", false)] {
                    let Some(p) = kwargs
                        .as_ref()
                        .and_then(|k| k.get::<Option<Value>>(kw).ok().flatten())
                    else {
                        continue;
                    };
                    let (db, sc, id) = if quote {
                        (
                            &mut d.quote_database,
                            &mut d.quote_schema,
                            &mut d.quote_identifier,
                        )
                    } else {
                        (
                            &mut d.include_database,
                            &mut d.include_schema,
                            &mut d.include_identifier,
                        )
                    };
                    for (field, slot) in [("database", db), ("schema", sc), ("identifier", id)] {
                        if let Ok(v) = p.get_item(&Value::from(field))
                            && !v.is_undefined()
                            && !v.is_none()
                        {
                            *slot = v.is_true();
                        }
                    }
                }
                if let Some(k) = &kwargs {
                    let _ = k.assert_all_used();
                }
                let adapter = crate::jinja::context::render_state(state)
                    .map(|rs| rs.input.adapter_type.clone())
                    .unwrap_or_default();
                Ok(Relation::for_adapter(d, &adapter))
            }
            _ => Err(Error::new(
                ErrorKind::UnknownMethod,
                format!("api.Relation has no method `{method}`"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relations_are_python_mappings() {
        assert_eq!(relation_class("duckdb"), "DuckDBRelation");
        assert_eq!(relation_class("sqlserver"), "SqlserverRelation");
        let rel = Relation::for_adapter(RelationData::new("d", "s", "t"), "postgres");
        let env = minijinja::Environment::new();
        let out = env
            .render_str(
                "{{ r is mapping }} {{ r.metadata.type }} {{ r.path }} {{ r.quote_policy.schema }} {{ r }}",
                minijinja::context! { r => rel },
            )
            .unwrap();
        assert_eq!(
            out,
            "True PostgresRelation Path(database='d', schema='s', identifier='t') True \"d\".\"s\".\"t\""
        );
    }
}
