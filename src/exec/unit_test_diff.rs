//! Comparing a unit test's actual rows with the expected ones, order-insensitively, and
//! the failure message dbt prints: `actual differs from expected:` and a table of the rows
//! in daff's terminal layout (`@@` header, `→` a changed row with `expected→actual` cells,
//! `---` a missing row, `+++` an extra row (their booleans in lower case, as daff prints
//! them), cells padded per column, `\r\n` line ends).
//! Changed rows are paired by their first column, a simplification of daff's alignment.

use serde_json::Value;

use super::unit_test::Table;

/// A value as the diff prints it (Python's spelling of booleans, `NULL`).
fn cell(v: &Value) -> String {
    match v {
        Value::Null => "NULL".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A value of a row missing from one side: daff spells its booleans and nulls in lower
/// case there.
fn whole(v: &Value) -> String {
    match v {
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".into(),
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
    let changed: Vec<bool> = (0..names.len())
        .map(|i| {
            lines
                .iter()
                .any(|(_, m, cells)| m == "→" && cells.get(i).is_some_and(|c| c.contains('→')))
        })
        .collect();
    let mut table: Vec<Vec<String>> = vec![
        std::iter::once("@@".to_string())
            .chain(names.iter().cloned())
            .collect(),
    ];
    // Rows: the changed ones, one unchanged row of context around them, `...` for the
    // unchanged rows left out.
    let active_rows: Vec<bool> = lines.iter().map(|(_, m, _)| !m.is_empty()).collect();
    let mut dots_last = false;
    for ((_, marker, cells), shown) in lines.into_iter().zip(spread(&active_rows)) {
        match shown {
            Shown::Unit => {
                table.push(std::iter::once(marker).chain(cells).collect());
                dots_last = false;
            }
            Shown::Dots if !dots_last => {
                table.push(vec!["...".to_string(); names.len() + 1]);
                dots_last = true;
            }
            _ => {}
        }
    }
    // Columns: when cells changed, the key columns, the changed ones and one column of
    // context around them; each run of the others is one `...` column.
    if changed.iter().any(|c| *c) {
        let key_columns = key_columns(&e, &a, &changed);
        let active: Vec<bool> = (0..names.len())
            .map(|i| changed[i] || key_columns.contains(&i))
            .collect();
        let shown = spread(&active);
        let mut keep: Vec<Option<usize>> = vec![Some(0)];
        let mut previous_hidden = false;
        for (i, s) in shown.iter().enumerate() {
            let visible = *s == Shown::Unit;
            if visible {
                keep.push(Some(i + 1));
            } else if !previous_hidden {
                keep.push(None);
            }
            previous_hidden = !visible;
        }
        table = table
            .into_iter()
            .map(|row| {
                let dots = row.first().is_some_and(|c| c == "...");
                keep.iter()
                    .map(|k| match k {
                        Some(i) if !dots || *i == 0 => row[*i].clone(),
                        _ => "...".to_string(),
                    })
                    .collect()
            })
            .collect();
    }
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

/// How a row or column of the diff shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shown {
    /// Changed, a key, or within one unit of a changed one.
    Unit,
    /// Two units from a changed one (or the first unit): stands for those left out.
    Dots,
    Hidden,
}

/// daff's context rule: around each active unit, one unit of context on each side; the
/// next one marks the gap (`...`), as does the first unit when it is not context.
fn spread(active: &[bool]) -> Vec<Shown> {
    let n = active.len();
    let mut before: Vec<Option<usize>> = vec![None; n];
    let mut last: Option<usize> = None;
    for i in 0..n {
        before[i] = last.map(|l| i - l);
        if active[i] {
            last = Some(i);
        }
    }
    let mut after: Vec<Option<usize>> = vec![None; n];
    let mut next: Option<usize> = None;
    for i in (0..n).rev() {
        after[i] = next.map(|x| x - i);
        if active[i] {
            next = Some(i);
        }
    }
    (0..n)
        .map(|i| {
            // The start of the table counts as an active unit two places before the first.
            let from_start = before[i].unwrap_or(i + 2);
            let dists = [Some(from_start), after[i]];
            if active[i] || dists.iter().flatten().any(|d| *d <= 1) {
                Shown::Unit
            } else if dists.iter().flatten().any(|d| *d == 2) {
                Shown::Dots
            } else {
                Shown::Hidden
            }
        })
        .collect()
}

/// The columns that identify a row (daff's index): the shortest run of the unchanged
/// columns, in order, whose values are unique on both sides.
fn key_columns(expected: &[&Vec<Value>], actual: &[&Vec<Value>], changed: &[bool]) -> Vec<usize> {
    let candidates: Vec<usize> = (0..changed.len()).filter(|i| !changed[*i]).collect();
    let unique = |rows: &[&Vec<Value>], cols: &[usize]| {
        let mut seen = std::collections::HashSet::new();
        rows.iter().all(|r| {
            let k: Vec<String> = cols
                .iter()
                .map(|c| r.get(*c).map(cell).unwrap_or_default())
                .collect();
            seen.insert(k)
        })
    };
    for n in 1..=candidates.len() {
        let cols = &candidates[..n];
        if unique(expected, cols) && unique(actual, cols) {
            return cols.to_vec();
        }
    }
    candidates
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
        // daff's output for the same tables (dbt renders its diff with daff).
        let five = |rows: Value| -> Table {
            let rows: Vec<Vec<Value>> = serde_json::from_value(rows).unwrap();
            (["a", "b", "c", "d", "e"].map(String::from).to_vec(), rows)
        };
        let body = |m: Option<String>| {
            m.unwrap()
                .trim_start_matches("\n\nactual differs from expected:\n\n")
                .to_string()
        };
        let got = diff(
            &five(json!([[1, 9, 3, 4, 5], [2, 2, 3, 4, 5]])),
            &five(json!([[1, 2, 3, 4, 5], [2, 2, 3, 4, 5]])),
        );
        assert_eq!(
            body(got),
            "@@,a,b  ,c,...\r\n→ ,1,2→9,3,...\r\n  ,2,2  ,3,...\r\n\n"
        );
        let got = diff(
            &five(json!([[1, 2, 3, 4, 9]])),
            &five(json!([[1, 2, 3, 4, 5]])),
        );
        assert_eq!(body(got), "@@,a,b,...,d,e\r\n→ ,1,2,...,4,5→9\r\n\n");
        let rows = |changed: &[i64]| -> Table {
            let rows = (1..=7)
                .map(|i| {
                    vec![
                        json!(i),
                        json!(if changed.contains(&i) { "y" } else { "x" }),
                    ]
                })
                .collect();
            (vec!["a".into(), "b".into()], rows)
        };
        let got = diff(&rows(&[4]), &rows(&[]));
        assert_eq!(
            body(got),
            "@@ ,a  ,b\r\n...,...,...\r\n   ,3  ,x\r\n→  ,4  ,x→y\r\n   ,5  ,x\r\n...,...,...\r\n\n"
        );
        let got = diff(
            &five(json!([[1, 2.5, "q", 4, 5]])),
            &five(json!([[1, 1.5, null, 4, 5]])),
        );
        assert_eq!(
            body(got),
            "@@,a,b      ,c     ,d,...\r\n→ ,1,1.5→2.5,NULL→q,4,...\r\n\n"
        );
        let a = table(json!([[1, "a"], [1, "a"]]));
        let e = table(json!([[1, "a"]]));
        assert!(diff(&a, &e).unwrap().contains("+++,1"));
    }
}
