//! Schemas that do not come from analysis: seeds (the CSV, typed as `dbtc seed` loads it),
//! declared `columns:` with `data_type` in properties yml, and sources' columns as the
//! target database has them (`crate::sql::source_catalog`).

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::db::{Db, NodeKey, Project};
use crate::sql::Dialect;
use crate::sql::schema::{Column, RelationSchema};
use crate::sql::types::SqlType;

/// A seed's columns: the CSV header, each typed by `column_types` or by the same
/// inference the seed loader uses. None when the CSV cannot be read.
pub fn seed_schema(
    csv: &str,
    config: &Map<String, Value>,
    dialect: Option<Dialect>,
) -> Option<RelationSchema> {
    let delimiter = config
        .get("delimiter")
        .and_then(Value::as_str)
        .and_then(|d| d.bytes().next())
        .unwrap_or(b',');
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(csv.as_bytes());
    let header: Vec<String> = reader.headers().ok()?.iter().map(str::to_string).collect();
    let rows: Vec<Vec<Option<String>>> = reader
        .records()
        .filter_map(Result::ok)
        .map(|r| {
            (0..header.len())
                .map(|i| r.get(i).filter(|v| !v.is_empty()).map(str::to_string))
                .collect()
        })
        .collect();
    let column_types = config.get("column_types").and_then(Value::as_object);
    let columns = header
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let declared = column_types.and_then(|t| {
                t.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
                    .and_then(|(_, v)| v.as_str())
            });
            let ty = match declared {
                Some(t) => declared_type(t, dialect),
                None => {
                    let inferred =
                        crate::exec::seed::infer_type(rows.iter().map(|r| r[i].as_deref()));
                    SqlType::parse(inferred).unwrap_or(SqlType::Unknown)
                }
            };
            Column {
                name: name.clone(),
                ty,
                lineage: Vec::new(),
            }
        })
        .collect();
    Some(RelationSchema { columns })
}

/// Declared columns, when every one has a `data_type` (otherwise the declaration is
/// documentation, not a schema: the relation may have more columns).
/// Types are read as the target's dialect spells them (`character varying(255)`, `jsonb`
/// on Postgres).
pub fn declared_schema(columns: &Value, dialect: Option<Dialect>) -> Option<Arc<RelationSchema>> {
    let entries: Vec<&Value> = match columns {
        Value::Array(a) => a.iter().collect(),
        Value::Object(o) => o.values().collect(),
        _ => return None,
    };
    if entries.is_empty() {
        return None;
    }
    let mut out = Vec::new();
    for e in entries {
        let name = e.get("name").and_then(Value::as_str)?;
        let ty = e.get("data_type").and_then(Value::as_str)?;
        out.push(Column {
            name: name.to_string(),
            ty: declared_type(ty, dialect),
            lineage: Vec::new(),
        });
    }
    Some(Arc::new(RelationSchema { columns: out }))
}

/// A type as the target's dialect spells it (unknown when dbtc does not know it).
pub(crate) fn declared_type(text: &str, dialect: Option<Dialect>) -> SqlType {
    if dialect == Some(Dialect::Postgres) {
        let pg = crate::sql::pg::catalog();
        return pg
            .typname_of_text(text)
            .map_or(SqlType::Unknown, |t| pg.sql_type(&t));
    }
    SqlType::parse(text).unwrap_or(SqlType::Unknown)
}

/// The database's columns of a source (see `crate::sql::source_catalog`): None when the
/// source declares a type for every column it lists, or the relation is not known there.
fn catalog_columns(db: &dyn Db, project: Project, key: NodeKey) -> Option<Arc<RelationSchema>> {
    let catalog = crate::sql::source_catalog::for_project(db, project)?;
    let rel = crate::jinja::nodes::node_relation(db, project, key).as_ref()?;
    catalog.lookup(
        rel.database.as_deref(),
        rel.schema.as_deref()?,
        rel.identifier.as_deref()?,
    )
}

/// A source's columns. Declared `columns:` that all have a `data_type` are the schema
/// (a partial one: the relation may have more). Otherwise the target database's columns
/// (live or cached), each typed as declared when its declaration has a `data_type`
/// (declared columns the database lacks are kept too); without them, the source is
/// opaque.
pub fn source_schema(
    db: &dyn Db,
    project: Project,
    key: NodeKey,
    columns: &Value,
    dialect: Option<Dialect>,
) -> Option<Arc<RelationSchema>> {
    if let Some(declared) = declared_schema(columns, dialect) {
        return Some(declared);
    }
    let found = catalog_columns(db, project, key)?;
    let entries: Vec<&Value> = match columns {
        Value::Array(a) => a.iter().collect(),
        Value::Object(o) => o.values().collect(),
        _ => Vec::new(),
    };
    let declared: Vec<(&str, &str)> = entries
        .iter()
        .filter_map(|e| {
            Some((
                e.get("name").and_then(Value::as_str)?,
                e.get("data_type").and_then(Value::as_str)?,
            ))
        })
        .collect();
    let declared_type_of = |name: &str| {
        declared
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, t)| declared_type(t, dialect))
    };
    let mut out: Vec<Column> = found
        .columns
        .iter()
        .map(|c| Column {
            name: c.name.clone(),
            ty: declared_type_of(&c.name).unwrap_or_else(|| c.ty.clone()),
            lineage: Vec::new(),
        })
        .collect();
    for (name, ty) in &declared {
        if !out.iter().any(|c| c.name.eq_ignore_ascii_case(name)) {
            out.push(Column {
                name: name.to_string(),
                ty: declared_type(ty, dialect),
                lineage: Vec::new(),
            });
        }
    }
    Some(Arc::new(RelationSchema { columns: out }))
}

/// Whether a source's schema lists all its columns: when it comes from the database.
pub fn source_complete(db: &dyn Db, project: Project, key: NodeKey, columns: &Value) -> bool {
    declared_schema(columns, None).is_none() && catalog_columns(db, project, key).is_some()
}
