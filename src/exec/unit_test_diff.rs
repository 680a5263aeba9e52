//! Comparing a unit test's actual rows with the expected ones, order-insensitively, and
//! the failure message dbt prints: `actual differs from expected:` and a table of the rows
//! in daff's terminal layout (`@@` header, `→` a changed row with `expected→actual` cells,
//! `---` a missing row, `+++` an extra row (their booleans in lower case, as daff prints
//! them), cells padded per column, `\r\n` line ends).
//! Changed rows are paired by their first column, a simplification of daff's alignment.

use serde_json::Value;

use super::unit_test::Table;

/// A value as the diff prints it (Python's spelling of booleans; null empty).
fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A value of a row missing from one side: daff spells its booleans in lower case.
fn whole(v: &Value) -> String {
    match v {
        Value::Bool(b) => b.to_string(),
        other => cell(other),
    }
}

fn key(row: &[Value]) -> Vec<(u8, String)> {
    row.iter()
        .map(|v| match v {
            Value::Null => (0, String::new()),
            Value::Number(n) => (1, format!("{:>40}", n.as_f64().unwrap_or(0.0))),
            other => (2, cell(other)),
        })
        .collect()
}

/// One row of the diff: (sort key, marker, cells).
type Line = (Vec<(u8, String)>, String, Vec<String>);

/// None when both sides hold the same rows (as multisets); else dbt's failure message.
pub fn diff(actual: &Table, expected: &Table) -> Option<String> {
    let (names, actual_rows) = actual;
    let expected_rows = &expected.1;
    let mut a: Vec<&Vec<Value>> = actual_rows.iter().collect();
    let mut e: Vec<&Vec<Value>> = expected_rows.iter().collect();
    a.sort_by_key(|r| key(r));
    e.sort_by_key(|r| key(r));
    if a == e {
        return None;
    }
    let mut lines: Vec<Line> = Vec::new();
    let mut extra: Vec<&Vec<Value>> = Vec::new();
    let mut remaining = a.clone();
    let mut missing: Vec<&Vec<Value>> = Vec::new();
    for row in &e {
        match remaining.iter().position(|r| r == row) {
            Some(i) => {
                remaining.remove(i);
                lines.push((key(row), String::new(), row.iter().map(cell).collect()));
            }
            None => missing.push(row),
        }
    }
    extra.extend(remaining);
    for row in missing {
        let pair = extra
            .iter()
            .position(|r| !r.is_empty() && !row.is_empty() && r[0] == row[0]);
        match pair {
            Some(i) => {
                let other = extra.remove(i);
                let cells = row
                    .iter()
                    .zip(other.iter())
                    .map(|(x, y)| {
                        if x == y {
                            cell(x)
                        } else {
                            format!("{}→{}", cell(x), cell(y))
                        }
                    })
                    .collect();
                lines.push((key(row), "→".into(), cells));
            }
            None => lines.push((key(row), "---".into(), row.iter().map(whole).collect())),
        }
    }
    for row in extra {
        lines.push((key(row), "+++".into(), row.iter().map(whole).collect()));
    }
    lines.sort_by(|x, y| x.0.cmp(&y.0));
    let mut table: Vec<Vec<String>> = vec![
        std::iter::once("@@".to_string())
            .chain(names.iter().cloned())
            .collect(),
    ];
    table.extend(
        lines
            .into_iter()
            .map(|(_, marker, cells)| std::iter::once(marker).chain(cells).collect()),
    );
    let widths: Vec<usize> = (0..table[0].len())
        .map(|i| {
            table
                .iter()
                .map(|r| r.get(i).map_or(0, |c| c.chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let rendered: Vec<String> = table
        .iter()
        .map(|r| {
            r.iter()
                .enumerate()
                .map(|(i, c)| {
                    if i + 1 == r.len() {
                        c.clone()
                    } else {
                        format!("{c:<w$}", w = widths[i])
                    }
                })
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect();
    Some(format!(
        "\n\nactual differs from expected:\n\n{}\r\n\n",
        rendered.join("\r\n")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn table(rows: Value) -> Table {
        let rows: Vec<Vec<Value>> = serde_json::from_value(rows).unwrap();
        (vec!["customer_id".into(), "tier".into()], rows)
    }

    #[test]
    fn same_rows_in_any_order_pass() {
        let a = table(json!([[1, "a"], [2, "b"]]));
        let e = table(json!([[2, "b"], [1, "a"]]));
        assert_eq!(diff(&a, &e), None);
    }

    #[test]
    fn changed_missing_and_extra_rows() {
        let a = table(json!([[10, "big"], [11, "small"]]));
        let e = table(json!([[10, "small"], [11, "small"], [12, "small"]]));
        let msg = diff(&a, &e).unwrap();
        assert_eq!(
            msg,
            "\n\nactual differs from expected:\n\n@@ ,customer_id,tier\r\n→  ,10         ,small→big\r\n   ,11         ,small\r\n---,12         ,small\r\n\n"
        );
        let a = table(json!([[1, "a"], [1, "a"]]));
        let e = table(json!([[1, "a"]]));
        assert!(diff(&a, &e).unwrap().contains("+++,1"));
    }
}
