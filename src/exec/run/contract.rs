//! An enforced model contract (`contract: {enforced: true}`), as dbt-core and dbt-duckdb
//! enforce it: before building, the names and types of the columns the model's SQL
//! returns must match its yml `columns:` (`data_type` each, compared as the warehouse
//! names them: `cast(null as <data_type>)` against the query's own columns), else the
//! model fails with dbt's mismatch table. A table is then created with the declared
//! columns, types and constraints and filled with `insert into ... (select <columns>
//! from (<sql>) as model_subq)`; a view is only checked.

use serde_json::Value;

use super::super::{Adapter, Column};

/// Why a contract check failed: the contract does not hold (dbt's message), the
/// database could not describe the columns, or the contract uses what dbtc does not
/// support yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Breach {
    Contract(String),
    Database(String),
    Unsupported(String),
}

/// A contracted column from yml.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractColumn {
    pub name: String,
    pub data_type: Option<String>,
    pub quote: bool,
    /// Its `constraints:` entries as written.
    pub constraints: Vec<Value>,
}

/// A model's enforced contract.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contract {
    pub columns: Vec<ContractColumn>,
    /// The model-level `constraints:` entries.
    pub constraints: Vec<Value>,
}

impl Contract {
    /// From the node's yml `columns:` and model-level `constraints:`.
    pub fn from_yml(columns: &Value, constraints: &Value) -> Contract {
        let columns = columns
            .as_array()
            .map(|cols| {
                cols.iter()
                    .filter_map(|c| {
                        Some(ContractColumn {
                            name: c.get("name")?.as_str()?.to_string(),
                            data_type: c.get("data_type").and_then(scalar_text),
                            quote: c.get("quote").and_then(Value::as_bool).unwrap_or(false),
                            constraints: c
                                .get("constraints")
                                .and_then(Value::as_array)
                                .cloned()
                                .unwrap_or_default(),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        Contract {
            columns,
            constraints: constraints.as_array().cloned().unwrap_or_default(),
        }
    }

    fn column_name(&self, adapter: &dyn Adapter, col: &ContractColumn) -> String {
        if col.quote {
            adapter.quote(&col.name)
        } else {
            col.name.clone()
        }
    }

    /// Checks the columns `sql` returns against the contract (dbt's
    /// `assert_columns_equivalent`).
    pub fn check(&self, adapter: &mut dyn Adapter, sql: &str) -> Result<(), Breach> {
        if self.columns.is_empty() {
            return Err(Breach::Contract(
                "This model has an enforced contract, and its 'columns' specification is missing"
                    .into(),
            ));
        }
        let references = self
            .columns
            .iter()
            .flat_map(|c| &c.constraints)
            .chain(&self.constraints)
            .any(|c| text(c, "type") == "foreign_key" && !text(c, "to").is_empty());
        if references {
            return Err(Breach::Unsupported(
                "foreign_key constraints with `to:` are not supported yet (write the \
                 reference in `expression:`)"
                    .into(),
            ));
        }
        let missing: Vec<String> = self
            .columns
            .iter()
            .filter(|c| c.data_type.is_none())
            .map(|c| format!("'{}'", c.name))
            .collect();
        if !missing.is_empty() {
            return Err(Breach::Contract(format!(
                "Contracted models require data_type to be defined for each column. Please \
                 ensure that the column name and data_type are defined within the YAML \
                 configuration for the [{}] column(s).",
                missing.join(", ")
            )));
        }
        let sql_columns = query_columns(adapter, sql).map_err(Breach::Database)?;
        let casts: Vec<String> = self
            .columns
            .iter()
            .map(|c| {
                format!(
                    "cast(null as {}) as {}",
                    c.data_type.as_deref().unwrap_or_default(),
                    self.column_name(adapter, c)
                )
            })
            .collect();
        let yml_columns = query_columns(adapter, &format!("select {}", casts.join(", ")))
            .map_err(Breach::Database)?;
        let same = sql_columns.len() == yml_columns.len()
            && sql_columns.iter().all(|s| {
                yml_columns
                    .iter()
                    .find(|y| y.name == s.name)
                    .is_some_and(|y| y.data_type == s.data_type)
            });
        if same {
            Ok(())
        } else {
            Err(Breach::Contract(mismatch_message(
                &yml_columns,
                &sql_columns,
            )))
        }
    }

    /// The statements that create `relation` (rendered) with the contract's columns and
    /// constraints and fill it from `sql`.
    pub fn create_table_sql(&self, adapter: &dyn Adapter, relation: &str, sql: &str) -> String {
        let mut defs: Vec<String> = self
            .columns
            .iter()
            .map(|c| {
                let mut def = format!(
                    "{} {}",
                    self.column_name(adapter, c),
                    c.data_type.as_deref().unwrap_or_default()
                );
                for constraint in c.constraints.iter().filter_map(column_constraint) {
                    def.push(' ');
                    def.push_str(&constraint);
                }
                def
            })
            .collect();
        defs.extend(self.constraints.iter().filter_map(model_constraint));
        let names: Vec<String> = self
            .columns
            .iter()
            .map(|c| self.column_name(adapter, c))
            .collect();
        let names = names.join(", ");
        format!(
            "create table {relation} (\n    {}\n);\ninsert into {relation} ({names}) (\n    \
             select {names}\n    from (\n{sql}\n    ) as model_subq\n);",
            defs.join(",\n    ")
        )
    }
}

/// A yml scalar as text (a number written as a type is kept as written).
fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The columns (name, type) a query returns, without running it.
fn query_columns(adapter: &mut dyn Adapter, sql: &str) -> Result<Vec<Column>, String> {
    let empty = format!("select * from (\n{sql}\n) as __dbt_sbq\nwhere false\nlimit 0");
    if adapter.adapter_type() == "duckdb" {
        let described = adapter.query(&format!("describe ({empty})"))?;
        Ok(described
            .rows
            .iter()
            .filter_map(|row| {
                Some(Column {
                    name: row.first()?.as_str()?.to_string(),
                    data_type: row.get(1)?.as_str()?.to_string(),
                })
            })
            .collect())
    } else if adapter.adapter_type() == "postgres" {
        let mut columns = adapter.query(&empty)?.columns;
        for c in &mut columns {
            c.data_type = psycopg2_name(&c.data_type);
        }
        Ok(columns)
    } else {
        Ok(adapter.query(&empty)?.columns)
    }
}

/// dbt-postgres names a query's column types by psycopg2's type casters, so `int2` and
/// `int4` are both `INTEGER`, and the character types `STRING`, which dbt's `Column`
/// labels `TEXT`.
fn psycopg2_name(typname: &str) -> String {
    match typname {
        "bool" => "BOOLEAN",
        "int8" => "LONGINTEGER",
        "int2" | "int4" => "INTEGER",
        "text" | "varchar" | "bpchar" | "char" | "name" => "TEXT",
        "float4" | "float8" => "FLOAT",
        "numeric" => "DECIMAL",
        "date" => "DATE",
        "time" => "TIME",
        "timestamp" => "DATETIME",
        "timestamptz" => "DATETIMETZ",
        "interval" => "INTERVAL",
        "json" => "JSON",
        "jsonb" => "JSONB",
        "bytea" => "BINARY",
        "oid" => "ROWID",
        other => return other.to_uppercase(),
    }
    .to_string()
}

fn text<'a>(c: &'a Value, key: &str) -> &'a str {
    c.get(key).and_then(Value::as_str).unwrap_or("")
}

fn list(c: &Value, key: &str) -> Vec<String> {
    c.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// A column constraint as DDL (dbt's `render_column_constraint`).
fn column_constraint(c: &Value) -> Option<String> {
    let expression = text(c, "expression");
    let rendered = match text(c, "type") {
        "check" if !expression.is_empty() => format!("check ({expression})"),
        "not_null" => format!("not null {expression}"),
        "unique" => format!("unique {expression}"),
        "primary_key" => format!("primary key {expression}"),
        "foreign_key" => {
            let (to, to_columns) = (text(c, "to"), list(c, "to_columns"));
            if !to.is_empty() && !to_columns.is_empty() {
                format!("references {to} ({})", to_columns.join(", "))
            } else {
                format!("references {expression}")
            }
        }
        "custom" if !expression.is_empty() => expression.to_string(),
        _ => return None,
    };
    Some(rendered.trim().to_string())
}

/// A model-level constraint as DDL (dbt's `render_model_constraint`).
fn model_constraint(c: &Value) -> Option<String> {
    let name = text(c, "name");
    let prefix = if name.is_empty() {
        String::new()
    } else {
        format!("constraint {name} ")
    };
    let columns = list(c, "columns").join(", ");
    let expression = text(c, "expression");
    let spaced = if expression.is_empty() {
        String::new()
    } else {
        format!(" {expression}")
    };
    Some(match text(c, "type") {
        "check" if !expression.is_empty() => format!("{prefix}check ({expression})"),
        "unique" => format!("{prefix}unique{spaced} ({columns})"),
        "primary_key" => format!("{prefix}primary key{spaced} ({columns})"),
        "foreign_key" => {
            let (to, to_columns) = (text(c, "to"), list(c, "to_columns"));
            if !to.is_empty() && !to_columns.is_empty() {
                format!(
                    "{prefix}foreign key ({columns}) references {to} ({})",
                    to_columns.join(", ")
                )
            } else if !expression.is_empty() {
                format!("{prefix}foreign key ({columns}) references {expression}")
            } else {
                return None;
            }
        }
        "custom" if !expression.is_empty() => format!("{prefix}{expression}"),
        _ => return None,
    })
}

/// dbt's contract error: the mismatches sorted by column name, as an agate table.
fn mismatch_message(yml: &[Column], sql: &[Column]) -> String {
    let mut rows: Vec<[String; 4]> = Vec::new();
    for s in sql {
        match yml.iter().find(|y| y.name == s.name) {
            Some(y) if y.data_type == s.data_type => {}
            Some(y) => rows.push([
                s.name.clone(),
                s.data_type.clone(),
                y.data_type.clone(),
                "data type mismatch".into(),
            ]),
            None => rows.push([
                s.name.clone(),
                s.data_type.clone(),
                String::new(),
                "missing in contract".into(),
            ]),
        }
    }
    for y in yml {
        if !sql.iter().any(|s| s.name == y.name) {
            rows.push([
                y.name.clone(),
                String::new(),
                y.data_type.clone(),
                "missing in definition".into(),
            ]);
        }
    }
    rows.sort_by(|a, b| a[0].cmp(&b[0]));
    let header = [
        "column_name",
        "definition_type",
        "contract_type",
        "mismatch_reason",
    ];
    let width = |i: usize| {
        rows.iter()
            .map(|r| r[i].chars().count())
            .chain([header[i].len()])
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..4).map(width).collect();
    let line = |cells: &[&str]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        format!("| {} |", padded.join(" | "))
    };
    let dashes: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    let dashes: Vec<&str> = dashes.iter().map(String::as_str).collect();
    let mut out = vec![line(&header), line(&dashes)];
    for r in &rows {
        out.push(line(&[&r[0], &r[1], &r[2], &r[3]]));
    }
    format!(
        "This model has an enforced contract that failed.\nPlease ensure the name, data_type, \
         and number of columns in your contract match the columns in your model's \
         definition.\n\n{}\n",
        out.join("\n")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn constraints_render_as_dbt_does() {
        let c = json!({"type": "check", "expression": "id > 0"});
        assert_eq!(column_constraint(&c).unwrap(), "check (id > 0)");
        assert_eq!(
            column_constraint(&json!({"type": "not_null"})).unwrap(),
            "not null"
        );
        let m = json!({"type": "primary_key", "columns": ["a", "b"], "name": "pk"});
        assert_eq!(
            model_constraint(&m).unwrap(),
            "constraint pk primary key (a, b)"
        );
        assert!(column_constraint(&json!({"type": "check"})).is_none());
    }

    fn memory() -> crate::exec::duckdb::DuckDbAdapter {
        crate::exec::duckdb::DuckDbAdapter::open(
            &crate::project::profiles::Target::fallback("t"),
            std::path::Path::new("."),
        )
        .unwrap()
    }

    #[test]
    fn checks_names_and_types_in_duckdb() {
        let contract = Contract::from_yml(
            &json!([{"name": "id", "data_type": "int"}, {"name": "name", "data_type": "text"}]),
            &Value::Null,
        );
        let mut adapter = memory();
        assert_eq!(
            contract.check(&mut adapter, "select 1 as id, 'a' as name"),
            Ok(())
        );
        let Err(Breach::Contract(message)) =
            contract.check(&mut adapter, "select 'x' as id, 'a' as name")
        else {
            panic!("a type mismatch must break the contract");
        };
        assert!(
            message.contains("| id          | VARCHAR         | INTEGER       |"),
            "{message}"
        );
        let untyped = Contract::from_yml(&json!([{"name": "id"}]), &Value::Null);
        assert!(matches!(
            untyped.check(&mut adapter, "select 1 as id"),
            Err(Breach::Contract(m)) if m.contains("['id'] column(s)")
        ));
    }

    #[test]
    fn references_to_other_models_are_refused() {
        let contract = Contract::from_yml(
            &json!([{"name": "id", "data_type": "int", "constraints": [
                {"type": "foreign_key", "to": "ref('parent')", "to_columns": ["id"]}
            ]}]),
            &Value::Null,
        );
        let mut adapter = memory();
        assert!(matches!(
            contract.check(&mut adapter, "select 1 as id"),
            Err(Breach::Unsupported(_))
        ));
    }

    #[test]
    fn mismatches_are_tabulated_by_name() {
        let col = |n: &str, t: &str| Column {
            name: n.into(),
            data_type: t.into(),
        };
        let msg = mismatch_message(
            &[col("id", "INTEGER"), col("b", "VARCHAR")],
            &[col("id", "VARCHAR"), col("c", "DATE")],
        );
        let table: Vec<&str> = msg.lines().skip(3).collect();
        assert_eq!(
            table[0],
            "| column_name | definition_type | contract_type | mismatch_reason       |"
        );
        assert!(table[2].starts_with("| b "));
        assert!(table[3].contains("missing in contract"));
        assert!(table[4].contains("data type mismatch"));
    }
}
