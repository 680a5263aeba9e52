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

/// What a GROUP BY ordinal names once the SELECT list's stars are expanded.
pub enum OrdinalTarget<'e> {
    /// A column a star expands to (scope item, column index).
    Column(usize, usize),
    /// A SELECT expression.
    Expr(&'e Expr),
}

/// Whether a star item comes before the `n`-th SELECT item (1-based): the ordinal then
/// counts the star's columns, as DuckDB expands the list before resolving ordinals.
pub fn star_before(select: &sqlparser::ast::Select, n: usize) -> bool {
    use sqlparser::ast::SelectItem;
    select.projection.iter().take(n).any(|i| {
        matches!(
            i,
            SelectItem::Wildcard(_) | SelectItem::QualifiedWildcard(..)
        )
    })
}

/// The `n`-th (1-based) column of the expanded SELECT list, or None when it cannot be told
/// ahead of time (a star with EXCLUDE/REPLACE/..., over an opaque relation, `COLUMNS(...)`):
/// the caller then checks no grouping rather than risk a false error.
pub fn ordinal_target<'e>(
    select: &'e sqlparser::ast::Select,
    scope: &super::scope::Scope<'_>,
    n: usize,
) -> Option<OrdinalTarget<'e>> {
    use sqlparser::ast::{SelectItem, SelectItemQualifiedWildcardKind, WildcardAdditionalOptions};
    let plain = |o: &WildcardAdditionalOptions| {
        o.opt_ilike.is_none()
            && o.opt_exclude.is_none()
            && o.opt_except.is_none()
            && o.opt_replace.is_none()
            && o.opt_rename.is_none()
    };
    let mut seen = 0usize;
    for item in &select.projection {
        let columns: Vec<(usize, usize)> = match item {
            SelectItem::Wildcard(opts) if plain(opts) => {
                let mut out = Vec::new();
                for (i, it) in scope.items.iter().enumerate() {
                    if it.opaque {
                        return None;
                    }
                    out.extend(
                        (0..it.columns.len())
                            .filter(|c| !it.merged.contains(c))
                            .map(|c| (i, c)),
                    );
                }
                out
            }
            SelectItem::QualifiedWildcard(
                SelectItemQualifiedWildcardKind::ObjectName(name),
                opts,
            ) if plain(opts) => {
                let qualifier: Vec<String> = super::from::name_parts(name)
                    .into_iter()
                    .map(|i| i.value)
                    .collect();
                let (0, i) = scope.find_item(&qualifier)? else {
                    return None;
                };
                let it = &scope.items[i];
                if it.opaque {
                    return None;
                }
                (0..it.columns.len()).map(|c| (i, c)).collect()
            }
            SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => {
                if super::select::is_columns_call(e) {
                    return None;
                }
                seen += 1;
                if seen == n {
                    return Some(OrdinalTarget::Expr(e));
                }
                continue;
            }
            _ => return None,
        };
        if n - seen <= columns.len() {
            let (i, c) = columns[n - seen - 1];
            return Some(OrdinalTarget::Column(i, c));
        }
        seen += columns.len();
    }
    None
}
