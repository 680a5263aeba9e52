//! `adapter.get_columns_in_relation` answered ahead of time from inferred or declared
//! schemas (issue 3, schema-aware rendering): a model that lists a ref'd model's columns
//! (`dbt_utils.star`, ...) is then not introspective. In salsa the render depends on the
//! parents' columns, so only a change of their names or types re-renders it.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use minijinja::value::{Object, Value};
use minijinja::{Error, State};

/// Known relations of a render: `schema.identifier` (lowercase) -> columns (name, type).
pub type RelationColumns = HashMap<String, Arc<Vec<(String, String)>>>;

/// The key of a relation in [`RelationColumns`].
pub fn relation_key(schema: Option<&str>, identifier: Option<&str>) -> String {
    format!(
        "{}.{}",
        schema.unwrap_or_default().to_ascii_lowercase(),
        identifier.unwrap_or_default().to_ascii_lowercase()
    )
}

/// The columns of the relation value `relation`, when the render knows them.
pub fn lookup(known: &RelationColumns, relation: &Value) -> Option<Value> {
    let attr = |name: &str| {
        relation
            .get_attr(name)
            .ok()
            .filter(|v| !v.is_undefined() && !v.is_none())
            .map(|v| v.to_string())
    };
    let key = relation_key(attr("schema").as_deref(), attr("identifier").as_deref());
    let columns = known.get(&key)?;
    Some(column_list(columns))
}

/// dbt `Column` objects for (name, type) pairs.
pub fn column_list(columns: &[(String, String)]) -> Value {
    Value::from(
        columns
            .iter()
            .map(|(name, ty)| {
                Value::from_object(DbtColumn {
                    name: name.clone(),
                    data_type: ty.clone(),
                })
            })
            .collect::<Vec<_>>(),
    )
}

/// dbt's `Column`: `name`/`column`, `data_type`/`dtype`, `quoted`, and the type tests.
#[derive(Debug)]
struct DbtColumn {
    name: String,
    data_type: String,
}

impl DbtColumn {
    fn base_type(&self) -> String {
        let upper = self.data_type.to_ascii_uppercase();
        upper.split('(').next().unwrap_or("").trim().to_string()
    }

    /// dbt's `Column.is_string()`: these type names, case-insensitively.
    fn is_string(&self) -> bool {
        matches!(
            self.base_type().as_str(),
            "TEXT" | "CHARACTER VARYING" | "CHARACTER" | "VARCHAR"
        )
    }

    /// dbt's `Column.data_type`: strings are spelled `character varying(N)`, N the
    /// declared size or 256; every other type as the database names it.
    fn dbt_data_type(&self) -> String {
        if !self.is_string() {
            return self.data_type.clone();
        }
        let size = self
            .data_type
            .split_once('(')
            .and_then(|(_, rest)| rest.trim_end_matches(')').trim().parse::<u32>().ok())
            .unwrap_or(256);
        format!("character varying({size})")
    }
}

impl Object for DbtColumn {
    /// Python objects are true in a condition (minijinja's default for a map-like object
    /// without entries is false).
    fn is_true(self: &Arc<Self>) -> bool {
        true
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        Some(match key.as_str()? {
            "name" | "column" => Value::from(self.name.clone()),
            "data_type" => Value::from(self.dbt_data_type()),
            "dtype" => Value::from(self.data_type.clone()),
            "quoted" => Value::from(format!("\"{}\"", self.name.replace('"', "\"\""))),
            _ => return None,
        })
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        _args: &[Value],
    ) -> Result<Value, Error> {
        let base = self.base_type();
        let integer = matches!(
            base.as_str(),
            "TINYINT"
                | "SMALLINT"
                | "INTEGER"
                | "BIGINT"
                | "HUGEINT"
                | "UTINYINT"
                | "USMALLINT"
                | "UINTEGER"
                | "UBIGINT"
                | "UHUGEINT"
        );
        let float = matches!(base.as_str(), "FLOAT" | "DOUBLE" | "REAL");
        Ok(Value::from(match method {
            "is_string" => self.is_string(),
            "is_integer" => integer,
            "is_float" => float,
            "is_numeric" => base == "DECIMAL",
            "is_number" => integer || float || base == "DECIMAL",
            _ => {
                return Err(Error::new(
                    minijinja::ErrorKind::UnknownMethod,
                    format!("Column has no method `{method}`"),
                ));
            }
        }))
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<Column {} ({})>", self.name, self.data_type)
    }
}

/// The columns of the parents whose schemas are complete (analyzed models, seeds), by
/// relation: what `adapter.get_columns_in_relation` answers ahead of time.
pub fn parent_columns(
    db: &dyn crate::db::Db,
    project: crate::db::Project,
    resolved: &crate::jinja::nodes::ResolvedParents,
) -> RelationColumns {
    let uids = resolved
        .refs
        .iter()
        .filter_map(|(_, t)| t.as_ref().map(|(uid, _)| uid.clone()))
        .chain(resolved.sources.iter().filter_map(|(_, uid)| uid.clone()));
    let mut out = RelationColumns::new();
    for uid in uids {
        let pkey = crate::db::NodeKey::new(db, uid);
        let Some(rel) = crate::jinja::nodes::node_relation(db, project, pkey) else {
            continue;
        };
        let Some(up) = crate::sql::analysis::upstream_columns(db, project, pkey) else {
            continue;
        };
        if !up.complete || up.schema.columns.iter().any(|c| c.ty.is_unknown()) {
            continue;
        }
        let columns = up
            .schema
            .columns
            .iter()
            .map(|c| (c.name.clone(), c.ty.materialized().to_string()))
            .collect();
        out.insert(
            relation_key(rel.schema.as_deref(), rel.identifier.as_deref()),
            Arc::new(columns),
        );
    }
    out
}
