//! `dbtc show`: runs a selected node's compiled SQL (or `--inline` SQL, Jinja included)
//! with a row limit and prints the rows as dbt does (agate's `print_table`: text
//! left-aligned, other columns right-aligned, numbers with the column's decimal places,
//! at most 3, and thousands separators).

use serde_json::Value;

use super::{Common, Session};
use crate::db::NodeKey;
use crate::exec::Adapter;
use crate::graph::select;
use crate::jinja::inline::render_inline;
use crate::jinja::nodes::{compiled_sql, node_info, node_relation};
use crate::project::nodes::ResourceType;
use crate::project::profiles::target;

pub fn run(common: &Common, inline: Option<&str>, limit: i64) -> i32 {
    let session = match Session::load(common) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let (db, project) = (&session.db, session.project);
    let target = match target(db, project) {
        Ok(t) => t.clone(),
        Err(d) => {
            session.report(std::slice::from_ref(&**d));
            return 2;
        }
    };
    let mut previews: Vec<(String, String)> = Vec::new();
    if let Some(inline) = inline {
        match render_inline(db, project, inline) {
            Ok(sql) => previews.push(("Previewing inline node:".into(), sql)),
            Err(e) => {
                eprintln!("error: {e}");
                return 1;
            }
        }
    } else {
        for uid in select(db, project, &common.select, &common.exclude) {
            let key = NodeKey::new(db, uid.as_str());
            let Some(node) = node_info(db, project, key) else {
                continue;
            };
            if !matches!(
                node.resource_type,
                ResourceType::Model | ResourceType::Seed | ResourceType::Snapshot
            ) {
                continue;
            }
            if node.resource_type == ResourceType::Seed {
                if let Some(rel) = node_relation(db, project, key) {
                    previews.push((
                        format!("Previewing node '{}':", node.name),
                        format!("select * from {}", rel.render()),
                    ));
                }
                continue;
            }
            let rendered = compiled_sql(db, project, key);
            match &rendered.sql {
                Some(sql) => {
                    previews.push((format!("Previewing node '{}':", node.name), sql.to_string()))
                }
                None => {
                    session.report(&rendered.diagnostics);
                    return 1;
                }
            }
        }
    }
    if previews.is_empty() {
        eprintln!("error: nothing to show: pass --inline SQL or --select a model");
        return 2;
    }
    let mut adapter = match crate::exec::connect(&target, project.root(db)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: cannot connect to target `{}`: {e}", target.name);
            return 2;
        }
    };
    let mut code = 0;
    for (heading, sql) in previews {
        match preview(adapter.as_mut(), &sql, limit) {
            Ok(table) => println!("{heading}\n{table}"),
            Err(e) => {
                eprintln!("error: Runtime Error\n  {}", e.replace('\n', "\n  "));
                code = 1;
            }
        }
    }
    code
}

/// A column's kind as agate sees it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Number,
    Boolean,
    Text,
    Other,
}

fn kind(data_type: &str) -> Kind {
    let t = data_type.to_ascii_uppercase();
    let numeric = [
        "TINYINT",
        "SMALLINT",
        "INTEGER",
        "BIGINT",
        "HUGEINT",
        "UTINYINT",
        "USMALLINT",
        "UINTEGER",
        "UBIGINT",
        "UHUGEINT",
        "FLOAT",
        "DOUBLE",
        "REAL",
    ];
    if numeric.contains(&t.as_str()) || t.starts_with("DECIMAL") {
        Kind::Number
    } else if t == "BOOLEAN" {
        Kind::Boolean
    } else if t == "VARCHAR" {
        Kind::Text
    } else {
        Kind::Other
    }
}

/// Runs the query with the limit and formats the rows.
fn preview(adapter: &mut dyn Adapter, sql: &str, limit: i64) -> Result<String, String> {
    let limited = if limit < 0 {
        format!("select * from (\n{sql}\n) as model_limit_subq")
    } else {
        format!("select * from (\n{sql}\n) as model_limit_subq\nlimit {limit}")
    };
    let described = adapter.query(&format!("DESCRIBE ({limited})"))?;
    let columns: Vec<(String, Kind)> = described
        .rows
        .iter()
        .map(|r| {
            (
                r[0].as_str().unwrap_or_default().to_string(),
                kind(r[1].as_str().unwrap_or_default()),
            )
        })
        .collect();
    // Everything but booleans as text, so every type prints as DuckDB writes it.
    let casts: Vec<String> = columns
        .iter()
        .map(|(name, k)| {
            let q = adapter.quote(name);
            if *k == Kind::Boolean {
                q
            } else {
                format!("cast({q} as varchar)")
            }
        })
        .collect();
    let rows = adapter
        .query(&format!(
            "select {} from ({limited}) as q",
            casts.join(", ")
        ))?
        .rows;
    let cells: Vec<Vec<Option<String>>> = rows
        .iter()
        .map(|r| {
            r.iter()
                .map(|v| match v {
                    Value::Null => None,
                    Value::Bool(b) => Some(if *b { "True" } else { "False" }.to_string()),
                    Value::String(s) => Some(s.clone()),
                    other => Some(other.to_string()),
                })
                .collect()
        })
        .collect();
    Ok(print_table(&columns, &cells))
}

/// Decimal places of a number written as text, trailing zeros ignored.
fn places(text: &str) -> usize {
    text.split_once('.')
        .map_or(0, |(_, frac)| frac.trim_end_matches('0').len())
}

/// A number with `places` decimals and thousands separators (agate's `#,##0.00`).
fn format_number(text: &str, places: usize, ellipsis: bool) -> String {
    let Ok(value) = text.parse::<f64>() else {
        return text.to_string();
    };
    let fixed = format!("{:.*}", places, value.abs());
    let (int, frac) = fixed.split_once('.').unwrap_or((&fixed, ""));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if value < 0.0 && fixed.chars().any(|c| c.is_ascii_digit() && c != '0') {
        "-"
    } else {
        ""
    };
    let mut out = format!("{sign}{grouped}");
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    if ellipsis {
        out.push('…');
    }
    out
}

fn print_table(columns: &[(String, Kind)], rows: &[Vec<Option<String>>]) -> String {
    let mut formatted: Vec<Vec<String>> = vec![Vec::new(); rows.len()];
    let mut widths: Vec<usize> = columns.iter().map(|(n, _)| n.chars().count()).collect();
    for (j, (_, k)) in columns.iter().enumerate() {
        let max = rows
            .iter()
            .filter_map(|r| r[j].as_deref())
            .map(places)
            .max()
            .unwrap_or(0);
        for (i, row) in rows.iter().enumerate() {
            let cell = match (&row[j], k) {
                (None, _) => String::new(),
                (Some(v), Kind::Number) => format_number(v, max.min(3), max > 3),
                (Some(v), _) => v.clone(),
            };
            widths[j] = widths[j].max(cell.chars().count());
            formatted[i].push(cell);
        }
    }
    let line = |cells: &[String]| -> String {
        let parts: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(j, c)| {
                let pad = " ".repeat(widths[j].saturating_sub(c.chars().count()));
                if columns[j].1 == Kind::Text {
                    format!(" {c}{pad} ")
                } else {
                    format!(" {pad}{c} ")
                }
            })
            .collect();
        format!("|{}|", parts.join("|"))
    };
    let header: Vec<String> = columns.iter().map(|(n, _)| n.clone()).collect();
    let divider: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    let mut out = vec![line(&header), format!("| {} |", divider.join(" | "))];
    out.extend(formatted.iter().map(|r| line(r)));
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_agate_prints_them() {
        assert_eq!(format_number("10.5", 2, false), "10.50");
        assert_eq!(format_number("1234567", 0, false), "1,234,567");
        assert_eq!(format_number("-1234.5", 1, false), "-1,234.5");
        assert_eq!(format_number("0.30000000000000004", 3, true), "0.300…");
        assert_eq!(places("20.0"), 0);
        assert_eq!(places("5.25"), 2);
    }

    #[test]
    fn table_layout() {
        let columns = vec![
            ("id".to_string(), Kind::Number),
            ("s".to_string(), Kind::Text),
        ];
        let rows = vec![vec![Some("1".to_string()), None]];
        assert_eq!(
            print_table(&columns, &rows),
            "| id | s |\n| -- | - |\n|  1 |   |"
        );
    }
}
