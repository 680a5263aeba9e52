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
pub fn lookup(known: &RelationColumns, relation: &Value, postgres: bool) -> Option<Value> {
    let attr = |name: &str| {
        relation
            .get_attr(name)
            .ok()
            .filter(|v| !v.is_undefined() && !v.is_none())
            .map(|v| v.to_string())
    };
    let key = relation_key(attr("schema").as_deref(), attr("identifier").as_deref());
    let columns = known.get(&key)?;
    Some(column_list(columns, postgres))
}

/// dbt `Column` objects for (name, type) pairs; `postgres`: dbt-postgres's `Column`.
pub fn column_list(columns: &[(String, String)], postgres: bool) -> Value {
    Value::from(
        columns
            .iter()
            .map(|(name, ty)| Value::from_object(DbtColumn::new(name, ty, postgres)))
            .collect::<Vec<_>>(),
    )
}

/// dbt's `Column`: `name`/`column`, `data_type`/`dtype`, `quoted`, `char_size`,
/// `numeric_precision`/`numeric_scale`, the type tests and `string_size()`, `literal()`, ...
#[derive(Debug)]
struct DbtColumn {
    name: String,
    /// The type as the database gave it (`VARCHAR`, `character varying(30)`, ...).
    data_type: String,
    /// The type without its size (dbt-postgres's `dtype`).
    base: String,
    char_size: Option<u32>,
    numeric: Option<(u32, u32)>,
    postgres: bool,
}

impl DbtColumn {
    /// dbt's `Column.from_description`: `name(size)` or `name(precision,scale)`.
    fn new(name: &str, data_type: &str, postgres: bool) -> DbtColumn {
        let (base, size) = match data_type.split_once('(') {
            Some((b, rest)) => (b.trim(), Some(rest.trim_end_matches(')'))),
            None => (data_type.trim(), None),
        };
        let parts: Vec<Option<u32>> = size
            .map(|s| s.split(',').map(|p| p.trim().parse().ok()).collect())
            .unwrap_or_default();
        let (char_size, numeric) = match parts.as_slice() {
            [Some(n)] => (Some(*n), None),
            [Some(p), Some(s)] => (None, Some((*p, *s))),
            _ => (None, None),
        };
        DbtColumn {
            name: name.to_string(),
            data_type: data_type.to_string(),
            base: base.to_string(),
            char_size,
            numeric,
            postgres,
        }
    }

    fn base_type(&self) -> String {
        self.base.to_ascii_uppercase()
    }

    /// dbt's `Column.is_string()`: these type names, case-insensitively.
    fn is_string(&self) -> bool {
        matches!(
            self.base_type().as_str(),
            "TEXT" | "CHARACTER VARYING" | "CHARACTER" | "VARCHAR"
        )
    }

    /// dbt's `string_size()`: the declared size, 256 for `text` or none.
    fn string_size(&self) -> u32 {
        match self.char_size {
            Some(n) if !self.base.eq_ignore_ascii_case("text") => n,
            _ => 256,
        }
    }

    /// dbt's `Column.data_type`: strings are spelled `character varying(N)` (dbt-postgres
    /// keeps `text` and an unsized `character varying`), numerics with their precision
    /// and scale; every other type as the database names it.
    fn dbt_data_type(&self) -> String {
        let base = self.base.to_ascii_lowercase();
        if self.postgres
            && (base == "text" || (base == "character varying" && self.char_size.is_none()))
        {
            return self.base.clone();
        }
        if self.is_string() {
            return format!("character varying({})", self.string_size());
        }
        match (self.postgres, self.numeric) {
            (true, Some((p, s))) if self.is_numeric() => format!("{}({p},{s})", self.base),
            _ => self.data_type.clone(),
        }
    }

    /// dbt's `dtype`: dbt-postgres reads the type and its size apart.
    fn dtype(&self) -> String {
        if self.postgres {
            self.base.clone()
        } else {
            self.data_type.clone()
        }
    }

    fn is_integer(&self) -> bool {
        matches!(
            self.base_type().as_str(),
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
                | "INT2"
                | "INT4"
                | "INT8"
                | "SMALLSERIAL"
                | "SERIAL"
                | "BIGSERIAL"
                | "SERIAL2"
                | "SERIAL4"
                | "SERIAL8"
        )
    }

    fn is_float(&self) -> bool {
        matches!(
            self.base_type().as_str(),
            "FLOAT" | "DOUBLE" | "REAL" | "FLOAT4" | "FLOAT8" | "DOUBLE PRECISION"
        )
    }

    fn is_numeric(&self) -> bool {
        matches!(self.base_type().as_str(), "DECIMAL" | "NUMERIC")
    }
}

fn int_arg(args: &[Value], i: usize) -> Option<u32> {
    args.get(i)
        .and_then(|v| v.as_i64())
        .and_then(|n| u32::try_from(n).ok())
}

impl Object for DbtColumn {
    /// Python objects are true in a condition (minijinja's default for a map-like object
    /// without entries is false).
    fn is_true(self: &Arc<Self>) -> bool {
        true
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let opt = |v: Option<u32>| v.map_or(Value::from(()), Value::from);
        Some(match key.as_str()? {
            "name" | "column" => Value::from(self.name.clone()),
            "data_type" => Value::from(self.dbt_data_type()),
            "dtype" => Value::from(self.dtype()),
            "quoted" => Value::from(format!("\"{}\"", self.name.replace('"', "\"\""))),
            "char_size" => opt(self.char_size),
            "numeric_precision" => opt(self.numeric.map(|(p, _)| p)),
            "numeric_scale" => opt(self.numeric.map(|(_, s)| s)),
            _ => return None,
        })
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        let (integer, float, numeric) = (self.is_integer(), self.is_float(), self.is_numeric());
        let not_string = || {
            Error::new(
                minijinja::ErrorKind::InvalidOperation,
                "Called string_size() on non-string field!",
            )
        };
        Ok(match method {
            "is_string" => Value::from(self.is_string()),
            "is_integer" => Value::from(integer),
            "is_float" => Value::from(float),
            "is_numeric" => Value::from(numeric),
            "is_number" => Value::from(integer || float || numeric),
            "string_size" if self.is_string() => Value::from(self.string_size()),
            "string_size" => return Err(not_string()),
            "string_type" => Value::from(format!(
                "character varying({})",
                int_arg(args, 0).unwrap_or(256)
            )),
            "numeric_type" => {
                let dtype = args.first().map(|v| v.to_string()).unwrap_or_default();
                Value::from(match (int_arg(args, 1), int_arg(args, 2)) {
                    (Some(p), Some(s)) => format!("{dtype}({p},{s})"),
                    _ => dtype,
                })
            }
            "can_expand_to" => {
                let other = args
                    .first()
                    .and_then(|v| v.downcast_object_ref::<DbtColumn>());
                Value::from(other.is_some_and(|o| {
                    self.is_string() && o.is_string() && o.string_size() > self.string_size()
                }))
            }
            "literal" => Value::from(format!(
                "{}::{}",
                args.first().map(|v| v.to_string()).unwrap_or_default(),
                self.dbt_data_type()
            )),
            _ => {
                return Err(Error::new(
                    minijinja::ErrorKind::UnknownMethod,
                    format!("Column has no method `{method}`"),
                ));
            }
        })
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
    let postgres = crate::jinja::nodes::active_target(db, project).adapter_type == "postgres";
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
        let columns: Option<Vec<(String, String)>> = up
            .schema
            .columns
            .iter()
            .map(|c| {
                let ty = c.ty.materialized();
                let text = if postgres {
                    postgres_type(&ty)?
                } else {
                    ty.to_string()
                };
                Some((c.name.clone(), text))
            })
            .collect();
        // A type Postgres names in another way stays unknown: rendered just in time.
        let Some(columns) = columns else {
            continue;
        };
        out.insert(
            relation_key(rel.schema.as_deref(), rel.identifier.as_deref()),
            Arc::new(columns),
        );
    }
    out
}

/// The `data_type` (with its size) Postgres's information_schema gives a column of `ty`, as
/// dbt-postgres's `get_columns_in_relation` reads it; None for types spelled otherwise.
fn postgres_type(ty: &crate::sql::types::SqlType) -> Option<String> {
    use crate::sql::types::SqlType as T;
    Some(
        match ty {
            T::Boolean => "boolean",
            T::TinyInt | T::SmallInt | T::UTinyInt => "smallint",
            T::Integer | T::USmallInt => "integer",
            T::BigInt | T::UInteger => "bigint",
            T::HugeInt | T::UBigInt | T::UHugeInt => "numeric",
            T::Decimal { width, scale } => return Some(format!("numeric({width},{scale})")),
            T::Float => "real",
            T::Double => "double precision",
            T::Varchar => "text",
            T::Date => "date",
            T::Time => "time without time zone",
            T::Timestamp | T::TimestampS | T::TimestampMs | T::TimestampNs => {
                "timestamp without time zone"
            }
            T::TimestampTz => "timestamp with time zone",
            T::Interval => "interval",
            T::Uuid => "uuid",
            T::Json => "json",
            T::Blob => "bytea",
            // Postgres's own type names (the Postgres analysis spells types so).
            T::Other(name) => {
                let name = name.trim().to_ascii_lowercase();
                let (base, size) = match name.split_once('(') {
                    Some((b, rest)) => (b.trim().to_string(), format!("({rest}")),
                    None => (name.clone(), String::new()),
                };
                let base = match base.as_str() {
                    "int2" => "smallint",
                    "int" | "int4" => "integer",
                    "int8" => "bigint",
                    "float4" => "real",
                    "float8" | "float" => "double precision",
                    "bool" => "boolean",
                    "varchar" => "character varying",
                    "bpchar" | "char" => "character",
                    "decimal" => "numeric",
                    "timestamp" => "timestamp without time zone",
                    "timestamptz" => "timestamp with time zone",
                    "time" => "time without time zone",
                    "timetz" => "time with time zone",
                    other => other,
                };
                return Some(format!("{base}{size}"));
            }
            _ => return None,
        }
        .to_string(),
    )
}
