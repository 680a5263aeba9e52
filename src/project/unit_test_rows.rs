//! The rows of a unit test's `given` input or `expect` output: `dict` (a YAML list of
//! mappings), `csv` (inline text or a fixture file) and `sql` (a query), normalized as
//! dbt normalizes them when it parses the test.

use serde_json::{Map, Value};

/// How a fixture's rows are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowsFormat {
    Dict,
    Csv,
    Sql,
}

impl RowsFormat {
    pub fn parse(text: &str) -> Option<RowsFormat> {
        Some(match text {
            "dict" => RowsFormat::Dict,
            "csv" => RowsFormat::Csv,
            "sql" => RowsFormat::Sql,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RowsFormat::Dict => "dict",
            RowsFormat::Csv => "csv",
            RowsFormat::Sql => "sql",
        }
    }
}

/// Normalized rows: a list of rows (column -> value, in written order), or a SQL query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rows {
    List(Vec<Map<String, Value>>),
    Sql(String),
}

impl Rows {
    pub fn to_value(&self) -> Value {
        match self {
            Rows::List(rows) => Value::Array(rows.iter().cloned().map(Value::Object).collect()),
            Rows::Sql(sql) => Value::String(sql.clone()),
        }
    }
}

/// A fixture file under a test path's `fixtures` folder, by name (its file stem).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixtureFile {
    pub name: String,
    pub is_csv: bool,
    pub text: String,
}

/// Reads CSV text (a header line, then rows) into rows of strings; empty values are null,
/// as dbt reads csv fixtures. Quoted fields may hold commas, doubled quotes and newlines.
pub fn csv_rows(text: &str) -> Result<Vec<Map<String, Value>>, String> {
    csv_rows_with(text, true)
}

/// [`csv_rows`], empty values kept as empty strings unless `empty_is_null` (dbt reads a
/// seed that stands for an input so).
pub fn csv_rows_with(text: &str, empty_is_null: bool) -> Result<Vec<Map<String, Value>>, String> {
    let records = csv_records(text)?;
    let mut iter = records.into_iter();
    let Some(header) = iter.next() else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for (i, record) in iter.enumerate() {
        if record.len() > header.len() {
            return Err(format!(
                "csv row {} has {} values but the header names {} columns",
                i + 1,
                record.len(),
                header.len()
            ));
        }
        let mut row = Map::new();
        for (j, name) in header.iter().enumerate() {
            let value = match record.get(j) {
                Some(v) if !v.is_empty() || !empty_is_null => Value::String(v.clone()),
                _ => Value::Null,
            };
            row.insert(name.clone(), value);
        }
        out.push(row);
    }
    Ok(out)
}

/// Splits CSV text into records of fields (RFC 4180 quoting; blank lines skipped).
fn csv_records(text: &str) -> Result<Vec<Vec<String>>, String> {
    let mut records = Vec::new();
    let mut record: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut in_quotes = false;
    let mut chars = text.chars().peekable();
    let mut line_has_content = false;
    while let Some(c) = chars.next() {
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    field.push('"');
                    chars.next();
                }
                '"' => in_quotes = false,
                other => field.push(other),
            }
            continue;
        }
        match c {
            '"' => {
                in_quotes = true;
                line_has_content = true;
            }
            ',' => {
                record.push(std::mem::take(&mut field));
                line_has_content = true;
            }
            '\r' => {}
            '\n' => {
                if line_has_content || !field.is_empty() {
                    record.push(std::mem::take(&mut field));
                    records.push(std::mem::take(&mut record));
                }
                line_has_content = false;
            }
            other => {
                field.push(other);
                line_has_content = true;
            }
        }
    }
    if in_quotes {
        return Err("a quoted csv value is not closed".into());
    }
    if line_has_content || !field.is_empty() {
        record.push(field);
        records.push(record);
    }
    Ok(records)
}

/// Moves the first row without nulls to the top (dbt does, so that databases typing a
/// column from its first value see a real one).
pub fn promote_full_row(rows: &mut [Map<String, Value>]) {
    if let Some(i) = rows.iter().position(|r| r.values().all(|v| !v.is_null())) {
        rows.swap(0, i);
    }
}

/// A fixture's `rows`/`format`/`fixture` keys, normalized: `Err` says what is wrong (the
/// caller adds where). `fixtures` finds a fixture file by name.
pub fn normalize_rows(
    entry: &Map<String, Value>,
    format: RowsFormat,
    fixtures: &dyn Fn(&str) -> Option<FixtureFile>,
) -> Result<Rows, String> {
    let rows = entry.get("rows").filter(|v| !v.is_null());
    let fixture = entry.get("fixture").and_then(Value::as_str);
    let from_file = |want_csv: bool| -> Result<String, String> {
        let name = fixture.unwrap_or_default();
        match fixtures(name) {
            Some(file) if file.is_csv == want_csv => Ok(file.text),
            _ => Err(format!(
                "fixture file '{name}' ({}) was not found in the `fixtures` folder of a test path",
                if want_csv { "csv" } else { "sql" }
            )),
        }
    };
    match format {
        RowsFormat::Dict => match rows {
            Some(Value::Array(items)) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    match item {
                        Value::Object(row) => out.push(row.clone()),
                        _ => {
                            return Err(format!(
                                "row {} is not a mapping of column names to values",
                                i + 1
                            ));
                        }
                    }
                }
                promote_full_row(&mut out);
                Ok(Rows::List(out))
            }
            _ => Err("rows do not match format dict: expected a list of mappings".into()),
        },
        RowsFormat::Csv => {
            let text = match (rows, fixture) {
                (Some(Value::String(text)), _) => text.clone(),
                (None, Some(_)) => from_file(true)?,
                _ => {
                    return Err("rows or fixture do not match format csv: expected a string".into());
                }
            };
            let mut out = csv_rows(&text)?;
            promote_full_row(&mut out);
            Ok(Rows::List(out))
        }
        RowsFormat::Sql => {
            let text = match (rows, fixture) {
                (Some(Value::String(text)), _) => text.clone(),
                (None, Some(_)) => from_file(false)?,
                _ => {
                    return Err("rows or fixture do not match format sql: expected a string".into());
                }
            };
            Ok(Rows::Sql(text.trim_end().to_string()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_with_quotes_and_empty_values() {
        let rows = csv_rows("a,b,c\n1,,\"x, \"\"y\"\"\"\n\n2,3,4\n").unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0]["a"], Value::from("1"));
        assert_eq!(rows[0]["b"], Value::Null);
        assert_eq!(rows[0]["c"], Value::from("x, \"y\""));
        assert_eq!(rows[1]["c"], Value::from("4"));
        assert!(csv_rows("a\n\"open").is_err());
        assert!(csv_rows("a\n1,2").is_err());
    }

    #[test]
    fn first_full_row_moves_up() {
        let mut rows = csv_rows("a,b\n1,\n2,3\n").unwrap();
        promote_full_row(&mut rows);
        assert_eq!(rows[0]["a"], Value::from("2"));
        assert_eq!(rows[1]["a"], Value::from("1"));
    }

    #[test]
    fn formats_and_errors() {
        let none = |_: &str| None;
        let entry: Map<String, Value> =
            serde_json::from_str(r#"{"rows": "select 1\n\n"}"#).unwrap();
        assert_eq!(
            normalize_rows(&entry, RowsFormat::Sql, &none).unwrap(),
            Rows::Sql("select 1".into())
        );
        let entry: Map<String, Value> = serde_json::from_str(r#"{"rows": "a\n1"}"#).unwrap();
        assert!(normalize_rows(&entry, RowsFormat::Dict, &none).is_err());
        let entry: Map<String, Value> = serde_json::from_str(r#"{"rows": [1]}"#).unwrap();
        assert!(normalize_rows(&entry, RowsFormat::Dict, &none).is_err());
        let entry: Map<String, Value> = serde_json::from_str(r#"{"fixture": "f"}"#).unwrap();
        assert!(normalize_rows(&entry, RowsFormat::Csv, &none).is_err());
        let file = |_: &str| {
            Some(FixtureFile {
                name: "f".into(),
                is_csv: true,
                text: "a\n7\n".into(),
            })
        };
        let Rows::List(rows) = normalize_rows(&entry, RowsFormat::Csv, &file).unwrap() else {
            panic!("csv gives rows")
        };
        assert_eq!(rows[0]["a"], Value::from("7"));
    }
}
