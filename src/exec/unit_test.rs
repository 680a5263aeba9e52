//! Running a unit test as dbt-core's `unit` materialization does: each `given` input
//! becomes a CTE of its rows (every column of the input's relation, typed by the
//! database, the columns not given null), the model's SQL runs over them, and its rows
//! are compared with the expected ones (order-insensitive). A difference fails the test
//! with a diff of the two; a bad definition (an unknown column, an input relation that
//! does not exist) is an error, as in dbt.

use serde_json::{Map, Value};

use super::unit_test_render::{InputPlan, UnitTestPlan};
use super::{Adapter, Column, Relation};
use crate::jinja::relation::RelationData;
use crate::project::unit_test_rows::Rows;

/// How a unit test ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitStatus {
    Pass,
    Fail,
    Error,
}

/// A finished unit test: its status, dbt's message (the diff of a failure, the error),
/// the compiled SQL (model SQL with the fixture CTEs) and the SQL executed.
#[derive(Debug, Clone)]
pub struct UnitRun {
    pub status: UnitStatus,
    pub message: Option<String>,
    pub compiled_sql: Option<String>,
    pub executed_sql: Option<String>,
}

impl UnitRun {
    fn error(message: String, compiled_sql: Option<String>) -> UnitRun {
        UnitRun {
            status: UnitStatus::Error,
            message: Some(message),
            compiled_sql,
            executed_sql: None,
        }
    }
}

/// Runs a planned unit test on `adapter`.
pub fn run_unit_test(adapter: &mut dyn Adapter, plan: &UnitTestPlan) -> UnitRun {
    let test = &plan.test;
    let run_name = test.run_name();
    let heading = |kind: &str, resource: &str, name: &str| {
        format!(
            "{kind} Error in {resource} {name} ({})",
            test.original_file_path
        )
    };
    let indent = |text: &str, by: &str| text.lines().collect::<Vec<_>>().join(&format!("\n{by}"));
    let main_sql = match &plan.main_sql {
        Ok(sql) => sql.clone(),
        Err(e) => {
            let msg = format!(
                "{}\n  {}",
                heading("Compilation", "unit_test", &run_name),
                indent(e, "  ")
            );
            return UnitRun::error(msg, None);
        }
    };
    // The fixtures: compiled with the test, before the materialization runs.
    let mut ctes = Vec::new();
    for input in &plan.inputs {
        match fixture_sql(adapter, plan, input) {
            Ok(sql) => ctes.push(format!(
                " {} as (\n-- Fixture for {}\n{sql}\n)",
                input.cte_name, input.node_name
            )),
            Err(e) => {
                let msg = format!(
                    "{}\n  {}",
                    heading("Compilation", "model", &input.node_name),
                    indent(&e, "  ")
                );
                return UnitRun::error(msg, None);
            }
        }
    }
    let compiled = crate::jinja::nodes::inject_ctes(&main_sql, &ctes);
    match materialize(adapter, plan, &compiled) {
        Ok((executed, rows)) => {
            let (actual, expected) = rows;
            let diff = super::unit_test_diff::diff(&actual, &expected);
            UnitRun {
                status: if diff.is_some() {
                    UnitStatus::Fail
                } else {
                    UnitStatus::Pass
                },
                message: diff,
                compiled_sql: Some(compiled),
                executed_sql: Some(executed),
            }
        }
        Err((kind, e)) => {
            let inner = format!(
                "{}\n    {}",
                heading(kind, "unit_test", &run_name),
                indent(&e, "    ")
            );
            let msg = format!(
                "{}\n  An error occurred during execution of unit test '{}'. There may be an error in the unit test definition: check the data types.\n   {inner}",
                heading("Runtime", "unit_test", &run_name),
                test.name
            );
            UnitRun::error(msg, Some(compiled))
        }
    }
}

/// The compared rows: (column names, rows) of the actual and of the expected output.
pub type Table = (Vec<String>, Vec<Vec<Value>>);

type Materialized = (String, (Table, Table));

/// The `unit` materialization: the model's columns from an empty temporary table, the
/// expected rows typed by them, then one query returning both sides.
fn materialize(
    adapter: &mut dyn Adapter,
    plan: &UnitTestPlan,
    compiled: &str,
) -> Result<Materialized, (&'static str, String)> {
    let test = &plan.test;
    let runtime = |e: String| ("Runtime", e);
    let temp = format!("{}__dbt_tmp", test.run_name());
    let quoted_temp = adapter.quote(&temp);
    adapter
        .execute(&format!(
            "create temporary table {quoted_temp} as select * from (\n{compiled}\n) as __dbt_sbq\nwhere false\nlimit 0"
        ))
        .map_err(runtime)?;
    let columns = adapter.temp_columns(&temp);
    let _ = adapter.execute(&format!("drop table if exists {quoted_temp}"));
    let columns = columns.map_err(runtime)?;
    let types: Map<String, Value> = columns
        .iter()
        .map(|c| (c.name.to_lowercase(), Value::String(c.data_type.clone())))
        .collect();
    let quoted = |name: &str| {
        columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
            .map(|c| adapter.quote(&c.name))
    };
    let expected_names: Vec<String> = match &test.expect {
        Rows::List(rows) if !rows.is_empty() => rows[0].keys().cloned().collect(),
        _ => columns.iter().map(|c| c.name.clone()).collect(),
    };
    let mut expected_quoted = Vec::new();
    for name in &expected_names {
        match quoted(name) {
            Some(q) => expected_quoted.push(q),
            None => {
                return Err((
                    "Compilation",
                    invalid_column(name, "expected output", &columns),
                ));
            }
        }
    }
    let expected_sql = match &test.expect {
        Rows::Sql(sql) => sql.clone(),
        Rows::List(rows) if rows.is_empty() => {
            "select * from dbt_internal_unit_test_actual\nlimit 0".to_string()
        }
        Rows::List(rows) => {
            let mut selects = Vec::new();
            for row in rows {
                let mut parts = Vec::new();
                for (name, value) in row {
                    let lower = name.to_lowercase();
                    let Some(Value::String(ty)) = types.get(&lower) else {
                        return Err((
                            "Compilation",
                            invalid_column(&lower, "expected output", &columns),
                        ));
                    };
                    let q = quoted(name).unwrap_or_else(|| adapter.quote(name));
                    parts.push(format!("{} as {q}", typed_literal(value, ty)));
                }
                selects.push(format!("select {}", parts.join(", ")));
            }
            selects.join("\nunion all\n")
        }
    };
    let cols = expected_quoted.join(", ");
    let marker = adapter.quote("actual_or_expected");
    let sql = format!(
        "-- Build actual result given inputs\nwith dbt_internal_unit_test_actual as (\n  select\n    {cols}, 'actual' as {marker}\n  from (\n    {compiled}\n  ) _dbt_internal_unit_test_actual\n),\n-- Build expected result\ndbt_internal_unit_test_expected as (\n  select\n    {cols}, 'expected' as {marker}\n  from (\n    {expected_sql}\n  ) _dbt_internal_unit_test_expected\n)\n-- Union actual and expected results\nselect * from dbt_internal_unit_test_actual\nunion all\nselect * from dbt_internal_unit_test_expected"
    );
    let result = adapter.query(&sql).map_err(runtime)?;
    let names: Vec<String> = result
        .columns
        .iter()
        .map(|c| c.name.to_lowercase())
        .filter(|n| n != "actual_or_expected")
        .collect();
    let side = |which: &str| -> Vec<Vec<Value>> {
        result
            .rows
            .iter()
            .filter(|r| r.last().and_then(Value::as_str) == Some(which))
            .map(|r| r[..r.len().saturating_sub(1)].to_vec())
            .collect()
    };
    let actual = (names.clone(), side("actual"));
    let expected = (names, side("expected"));
    Ok((sql, (actual, expected)))
}

/// dbt's message for a fixture column the relation does not have.
fn invalid_column(name: &str, fixture: &str, columns: &[Column]) -> String {
    let accepted: Vec<String> = columns
        .iter()
        .map(|c| format!("'{}'", c.name.to_lowercase()))
        .collect();
    format!(
        "Invalid column name: '{name}' in unit test fixture for {fixture}.\nAccepted columns for {fixture} are: [{}]",
        accepted.join(", ")
    )
}

/// The rows of one input as SQL: a `select` per row over every column of the input's
/// relation (cast to its type; null when not given), or the input's own SQL.
fn fixture_sql(
    adapter: &mut dyn Adapter,
    plan: &UnitTestPlan,
    input: &InputPlan,
) -> Result<String, String> {
    let given = &plan.test.given[input.given];
    let rows = match &given.rows {
        Rows::Sql(sql) => return Ok(sql.clone()),
        Rows::List(rows) => rows,
    };
    let rel = input.relation.as_ref();
    let columns = match rel.and_then(|r| Some((r.schema.clone()?, r.identifier.clone()?))) {
        Some((schema, identifier)) => adapter.columns(&Relation {
            database: None,
            schema,
            identifier,
        })?,
        None => Vec::new(),
    };
    if columns.is_empty() {
        return Err(format!(
            "Not able to get columns for unit test '{}' from relation {} because the relation doesn't exist",
            input.node_name,
            rel.map_or_else(|| input.node_name.clone(), RelationData::render)
        ));
    }
    let fixture = format!("'{}'", input.node_name);
    let mut selects = Vec::new();
    for row in rows {
        let mut given_values: Map<String, Value> = Map::new();
        for (name, value) in row {
            let lower = name.to_lowercase();
            if !columns.iter().any(|c| c.name.to_lowercase() == lower) {
                return Err(invalid_column(&lower, &fixture, &columns));
            }
            given_values.insert(lower, value.clone());
        }
        let parts: Vec<String> = columns
            .iter()
            .map(|c| {
                let value = given_values
                    .get(&c.name.to_lowercase())
                    .unwrap_or(&Value::Null);
                format!(
                    "{} as {}",
                    typed_literal(value, &c.data_type),
                    adapter.quote(&c.name)
                )
            })
            .collect();
        selects.push(format!("select {}", parts.join(", ")));
    }
    if selects.is_empty() {
        let parts: Vec<String> = columns
            .iter()
            .map(|c| {
                format!(
                    "cast(null as {}) as {}",
                    c.data_type,
                    adapter.quote(&c.name)
                )
            })
            .collect();
        return Ok(format!("select {}\nlimit 0", parts.join(", ")));
    }
    Ok(selects.join("\nunion all\n"))
}

/// A fixture value as dbt's `format_row` writes it: `cast(<literal> as <type>)`, strings
/// quoted (and a `character varying(n)` type without its length, so nothing is cut).
fn typed_literal(value: &Value, data_type: &str) -> String {
    let literal = match value {
        Value::Null => "null".to_string(),
        Value::String(s) => format!("'{}'", s.replace('\'', "''")),
        Value::Bool(true) => "True".to_string(),
        Value::Bool(false) => "False".to_string(),
        Value::Number(n) => n.to_string(),
        other => format!("'{}'", other.to_string().replace('\'', "''")),
    };
    let ty = if value.is_string() && data_type.contains("varying") {
        data_type.split('(').next().unwrap_or(data_type).trim()
    } else {
        data_type
    };
    format!("cast({literal} as {ty})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_are_cast_like_dbt() {
        assert_eq!(
            typed_literal(&Value::from("it's"), "character varying(10)"),
            "cast('it''s' as character varying)"
        );
        assert_eq!(
            typed_literal(&Value::Null, "INTEGER"),
            "cast(null as INTEGER)"
        );
        assert_eq!(
            typed_literal(&Value::from(2.5), "DOUBLE"),
            "cast(2.5 as DOUBLE)"
        );
        assert_eq!(
            typed_literal(&Value::Bool(true), "BOOLEAN"),
            "cast(True as BOOLEAN)"
        );
    }
}
