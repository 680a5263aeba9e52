//! GROUP BY: the grouping keys of an aggregated SELECT, and the check that every column
//! outside an aggregate is grouped.

use std::collections::HashSet;
use std::ops::ControlFlow;

use sqlparser::ast::{Expr, Query, Visit, Visitor};

use crate::sql::catalog::FunctionKind;

/// What an aggregated SELECT groups by: expressions (normalized text) and the columns
/// among them (scope item, column index).
#[derive(Debug, Default)]
pub struct GroupKeys {
    pub texts: HashSet<String>,
    pub columns: HashSet<(usize, usize)>,
}

/// Text of an expression for matching a SELECT expression with a GROUP BY expression:
/// lowercase, without whitespace, without table qualifiers (both sides bind to the same
/// column, which this approximates; a mismatch only ever hides an error).
pub fn normalize(expr: &Expr) -> String {
    let text = match expr {
        Expr::CompoundIdentifier(parts) => parts.last().map_or(String::new(), |p| p.value.clone()),
        Expr::Nested(inner) => return normalize(inner),
        e => e.to_string(),
    };
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_alphanumeric() || c == '_' || c == '"' {
            word.push(c.to_ascii_lowercase());
            continue;
        }
        if c == '.' && !word.is_empty() && !word.chars().all(|w| w.is_ascii_digit()) {
            // `t.col` -> `col`: drop the qualifier.
            word.clear();
            continue;
        }
        out.push_str(&word.replace('"', ""));
        word.clear();
        if !c.is_whitespace() {
            out.push(c);
        }
        let _ = chars.peek();
    }
    out.push_str(&word.replace('"', ""));
    out
}

/// Whether an expression calls an aggregate function outside any subquery and outside a
/// window (`sum(x) over (...)` is a window function).
pub fn contains_aggregate(expr: &Expr, kind: &dyn Fn(&str) -> Option<FunctionKind>) -> bool {
    struct Finder<'c> {
        kind: &'c dyn Fn(&str) -> Option<FunctionKind>,
        depth: usize,
        found: bool,
    }
    impl Visitor for Finder<'_> {
        type Break = ();
        fn pre_visit_query(&mut self, _q: &Query) -> ControlFlow<()> {
            self.depth += 1;
            ControlFlow::Continue(())
        }
        fn post_visit_query(&mut self, _q: &Query) -> ControlFlow<()> {
            self.depth -= 1;
            ControlFlow::Continue(())
        }
        fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
            if self.depth == 0
                && let Expr::Function(f) = expr
                && f.over.is_none()
                && let Some(name) = f.name.0.last().and_then(|p| p.as_ident())
                && (self.kind)(&name.value.to_ascii_lowercase()) == Some(FunctionKind::Aggregate)
            {
                self.found = true;
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(())
        }
    }
    let mut finder = Finder {
        kind,
        depth: 0,
        found: false,
    };
    let _ = expr.visit(&mut finder);
    finder.found
}
