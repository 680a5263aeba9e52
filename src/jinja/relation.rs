//! `api.Relation`-like objects: what `ref()`, `source()` and `this` return. They render as
//! `"database"."schema"."identifier"` with dbt's quoting and `include()` rules.

use std::fmt;
use std::sync::Arc;

use minijinja::value::{Enumerator, Kwargs, Object, Value};
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

/// The Jinja object for a relation.
#[derive(Debug, Clone)]
pub struct Relation(pub RelationData);

impl Relation {
    pub fn value(data: RelationData) -> Value {
        Value::from_object(Relation(data))
    }
}

fn opt(s: &Option<String>) -> Value {
    s.clone().map(Value::from).unwrap_or(Value::from(()))
}

impl Object for Relation {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let d = &self.0;
        Some(match key.as_str()? {
            "database" => opt(&d.database),
            "schema" => opt(&d.schema),
            "identifier" | "name" | "table" => opt(&d.identifier),
            "type" => opt(&d.kind),
            "is_table" => Value::from(d.kind.as_deref() == Some("table")),
            "is_view" => Value::from(d.kind.as_deref() == Some("view")),
            "is_cte" => Value::from(d.cte_name.is_some()),
            "quote_character" => Value::from(d.quote_char.to_string()),
            "path" => crate::jinja::to_value(serde_json::json!({
                "database": d.database, "schema": d.schema, "identifier": d.identifier
            })),
            _ => return None,
        })
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Str(&["database", "schema", "identifier", "name", "type"])
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
        Ok(Relation::value(d))
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.render())
    }
}
