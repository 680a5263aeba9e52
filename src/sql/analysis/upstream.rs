//! Schemas that do not come from analysis: seeds (the CSV, typed as `dbtc seed` loads it),
//! and declared `columns:` with `data_type` in properties yml.

use std::sync::Arc;

use serde_json::{Map, Value};

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

fn declared_type(text: &str, dialect: Option<Dialect>) -> SqlType {
    if dialect == Some(Dialect::Postgres) {
        let pg = crate::sql::pg::catalog();
        return pg
            .typname_of_text(text)
            .map_or(SqlType::Unknown, |t| pg.sql_type(&t));
    }
    SqlType::parse(text).unwrap_or(SqlType::Unknown)
}
