//! Hand-written expected column lineage (`lineage.sql`) compared with dbtc's.
//!
//! Format: `-- name: X`, the SQL, `-- expect:`, then one line per output column:
//! `col: table.column kind, table.column kind` (kind: copy, transform, filter; an empty
//! list means no upstream column).

use std::collections::BTreeSet;
use std::fmt::Write as _;

use dbtc::sql::QueryAnalysis;

use crate::provider::node_id;

pub struct Case {
    pub name: String,
    pub sql: String,
    /// (output column, {(node, column lowercased, kind)}) in output order.
    pub expect: Vec<(String, BTreeSet<Edge>)>,
}

pub type Edge = (String, String, String);

pub fn load(text: &str) -> Vec<Case> {
    let mut out: Vec<Case> = Vec::new();
    let mut in_expect = false;
    for line in text.lines() {
        let t = line.trim();
        if let Some(name) = t.strip_prefix("-- name:") {
            out.push(Case {
                name: name.trim().to_string(),
                sql: String::new(),
                expect: Vec::new(),
            });
            in_expect = false;
        } else if t == "-- expect:" {
            in_expect = true;
        } else if let Some(case) = out.last_mut() {
            if !in_expect {
                case.sql.push_str(line);
                case.sql.push('\n');
            } else if let Some((col, edges)) = t.split_once(':') {
                let set = edges
                    .split(',')
                    .map(str::trim)
                    .filter(|e| !e.is_empty())
                    .map(|e| {
                        let (tc, kind) = e.rsplit_once(' ').expect("`table.column kind`");
                        let (table, column) = tc.trim().split_once('.').expect("table.column");
                        (
                            node_id(table),
                            column.to_ascii_lowercase(),
                            kind.to_string(),
                        )
                    })
                    .collect();
                case.expect.push((col.trim().to_string(), set));
            }
        }
    }
    for c in &mut out {
        c.sql = c.sql.trim().trim_end_matches(';').to_string();
    }
    out
}

#[derive(Default)]
pub struct Score {
    pub cases: usize,
    pub cases_exact: usize,
    pub columns: usize,
    pub columns_exact: usize,
    pub edges_expected: usize,
    pub edges_found: usize,
    pub edges_dbtc: usize,
    pub detail: String,
}

/// Compares one case; appends its disagreements to `score.detail`.
pub fn score(case: &Case, got: &QueryAnalysis, score: &mut Score) {
    score.cases += 1;
    let mut all_exact = true;
    let mut detail = String::new();
    for (col, want) in &case.expect {
        score.columns += 1;
        score.edges_expected += want.len();
        let have: BTreeSet<Edge> = got
            .schema
            .as_ref()
            .and_then(|s| s.column(col))
            .map(|c| {
                c.lineage
                    .iter()
                    .map(|e| {
                        (
                            e.node.to_string(),
                            e.column.to_ascii_lowercase(),
                            e.kind.as_str().to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        score.edges_dbtc += have.len();
        score.edges_found += want.intersection(&have).count();
        if &have == want {
            score.columns_exact += 1;
        } else {
            all_exact = false;
            let show = |s: &BTreeSet<Edge>| {
                s.iter()
                    .map(|(n, c, k)| format!("{}.{c} {k}", n.trim_start_matches("model.t.")))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let missing: BTreeSet<Edge> = want.difference(&have).cloned().collect();
            let extra: BTreeSet<Edge> = have.difference(want).cloned().collect();
            let _ = writeln!(
                detail,
                "    {col}: missing [{}] extra [{}]",
                show(&missing),
                show(&extra)
            );
        }
    }
    if all_exact {
        score.cases_exact += 1;
    } else {
        let _ = writeln!(score.detail, "  {}:\n{detail}", case.name);
    }
}
