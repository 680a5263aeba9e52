//! Findings in a generic data test's compiled SQL, placed where the user declared the
//! test: its entry in the properties yml (the SQL comes from the test's macro, which the
//! user did not write). A token of the finding that is one of the test's arguments (a
//! misspelled `field:`) is pointed at directly; an unknown column that is the column the
//! test is declared on gets a label at that column's `name:`.

use crate::db::Db;
use crate::diagnostics::{Diagnostic, Span};
use crate::project::nodes::{NodeInfo, TestInfo};
use crate::sql::bind::SqlDiagnostic;

/// `test not_null on orders.id`, `test dbt_utils.expression_is_true on source raw.orders`.
fn describe(test: &TestInfo) -> String {
    let name = match &test.namespace {
        Some(ns) => format!("{ns}.{}", test.test_name),
        None => test.test_name.clone(),
    };
    let on = if test.attached_is_source {
        format!("source {}", test.attached_name)
    } else {
        test.attached_name.clone()
    };
    match &test.column_name {
        Some(col) => format!("test {name} on {on}.{col}"),
        None => format!("test {name} on {on}"),
    }
}

fn unquote(token: &str) -> &str {
    let t = token.trim();
    t.strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .unwrap_or(t)
}

/// The generic test `node`'s findings on its compiled `sql`, as diagnostics at its yml
/// entry. One diagnostic per distinct finding: the test's macro often repeats a column
/// (`where x is null ... group by x`), and every copy points at the same entry.
pub fn generic_test_diagnostics(
    db: &dyn Db,
    node: &NodeInfo,
    sql: &str,
    found: &[SqlDiagnostic],
    error: bool,
) -> Vec<Diagnostic> {
    let Some(test) = &node.test else {
        return Vec::new();
    };
    if found.is_empty() {
        // Locating the test in its yml scans the file: only for tests with findings
        // (done for every test, it made a 10k-model cold compile four times slower).
        return Vec::new();
    }
    let file = node.file;
    let path = file.map(|f| f.path(db).clone());
    let text = file.map(|f| f.text(db).clone());
    let origin = text
        .as_deref()
        .and_then(|t| super::test_origin::locate(t, test));
    let what = describe(test);
    let mut seen: Vec<(&str, &str)> = Vec::new();
    let mut out = Vec::new();
    for d in found {
        if seen.contains(&(d.code, d.message.as_str())) {
            continue;
        }
        seen.push((d.code, d.message.as_str()));
        let compiled = Span::from_range(sql, d.start, d.end);
        let message = format!(
            "{} (in {what}; compiled SQL {}:{})",
            d.message, compiled.line, compiled.column
        );
        let mut diag = if error {
            Diagnostic::error(d.code, message)
        } else {
            Diagnostic::warning(d.code, message)
        }
        .for_node(node.unique_id.clone());
        let token = unquote(sql.get(d.start..d.end).unwrap_or(""));
        let on_column = test
            .column_name
            .as_deref()
            .is_some_and(|c| !token.is_empty() && c.eq_ignore_ascii_case(token));
        if let (Some(path), Some(text)) = (&path, &text) {
            let span = origin.as_ref().map(|o| {
                o.item
                    .as_ref()
                    .filter(|_| !on_column)
                    .and_then(|r| super::test_origin::token_in(text, r, token))
                    .unwrap_or_else(|| o.entry.clone())
            });
            diag = diag.at(path.clone(), span.clone());
            if on_column
                && let Some(col) = origin.as_ref().and_then(|o| o.column.clone())
                && span.as_ref() != Some(&col)
            {
                diag = diag.with_label(
                    path.clone(),
                    col,
                    format!("the test is declared on column `{token}`"),
                );
            }
        }
        let mut hint = d.hint.clone();
        if on_column && d.code == crate::diagnostics::codes::UNKNOWN_COLUMN {
            let fix = format!(
                "`{}` has no column `{token}`: fix the column's name in the properties file, \
                 or add the column to `{}`",
                test.attached_name, test.attached_name
            );
            hint = Some(match hint {
                Some(h) => format!("{h} {fix}"),
                None => fix,
            });
        }
        if let Some(h) = hint {
            diag = diag.with_hint(h);
        }
        out.push(diag);
    }
    out
}
