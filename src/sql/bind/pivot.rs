//! PIVOT FROM items (`t PIVOT (sum(x) [AS a], ... FOR k IN ('v1' [AS n], ...))`), with
//! DuckDB's output schema when the IN list holds literals: the input columns no aggregate
//! or pivot column mentions (the implicit GROUP BY), then one column per value and
//! aggregate, named `value` (one unaliased aggregate), `value_alias` or `value_<aggregate
//! text>`, typed as the aggregate. Without literal values (an ENUM type, a subquery, `ANY`)
//! the columns depend on the data and the item stays opaque; the input and the expressions
//! over it are bound either way, so their errors are reported.

use std::sync::Arc;

use sqlparser::ast::{
    Expr, ExprWithAlias, PivotValueSource, Spanned, TableAlias, TableFactor, Value,
};

use super::expr::{BExpr, ExprCtx};
use super::naming::column_name;
use super::scope::{BoundColumn, Lineage, Scope, ScopeItem, as_filter, transformed};
use super::{Binder, BoundQuery};
use crate::diagnostics::codes;
use crate::sql::schema::LineageEdge;

/// The input of a PIVOT or UNPIVOT, bound in a scope whose columns carry tag lineage (one
/// synthetic edge per column), so the lineage of an expression over it says which input
/// columns it reads.
pub(crate) struct TaggedInput<'p> {
    pub scope: Scope<'p>,
    /// Visible input columns in `*` order: (item, tag); merged USING columns are left out.
    pub visible: Vec<(usize, usize)>,
    /// The real columns, by tag.
    pub real: Vec<BoundColumn>,
    pub opaque: bool,
    node: Arc<str>,
}

impl TaggedInput<'_> {
    /// The input columns (by tag) an expression's lineage reads.
    pub fn read(&self, lineage: &Lineage) -> Vec<usize> {
        let mut out: Vec<usize> = lineage
            .iter()
            .filter(|e| e.node == self.node)
            .filter_map(|e| e.column.parse().ok())
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Tag lineage mapped back to the real lineage of the columns it names (an edge keeps
    /// the stronger kind of the two); other edges (outer references) stay as they are.
    pub fn real_lineage(&self, lineage: &Lineage) -> Lineage {
        let mut out = Lineage::new();
        for e in lineage {
            if e.node != self.node {
                out.insert(e.clone());
                continue;
            }
            let Some(col) = e
                .column
                .parse::<usize>()
                .ok()
                .and_then(|i| self.real.get(i))
            else {
                continue;
            };
            out.extend(col.lineage.iter().map(|r| LineageEdge {
                kind: r.kind.max(e.kind),
                ..r.clone()
            }));
        }
        out
    }
}

impl Binder<'_> {
    /// Binds the input relation of a PIVOT/UNPIVOT into a tagged scope.
    pub(crate) fn tagged_input<'p>(
        &mut self,
        factor: &TableFactor,
        table: &TableFactor,
        scope: &Scope<'p>,
        filters: &mut Lineage,
    ) -> TaggedInput<'p> {
        let node: Arc<str> = Arc::from(format!("\u{0}pivot{:p}", factor as *const TableFactor));
        let mut items: Vec<ScopeItem> = self.factor(table, scope, filters);
        let opaque = items.iter().any(|i| i.opaque);
        let mut visible = Vec::new();
        let mut real = Vec::new();
        for (i, item) in items.iter_mut().enumerate() {
            for (c, col) in item.columns.iter_mut().enumerate() {
                let tag = real.len();
                real.push(col.clone());
                if !item.merged.contains(&c) {
                    visible.push((i, tag));
                }
                col.lineage = Lineage::from([LineageEdge {
                    node: node.clone(),
                    column: Arc::from(tag.to_string()),
                    kind: crate::sql::schema::LineageKind::Copy,
                }]);
            }
        }
        let mut inner = Scope::with_parent(scope.parent);
        inner.items = items;
        TaggedInput {
            scope: inner,
            visible,
            real,
            opaque,
            node,
        }
    }

    /// A PIVOT FROM item.
    pub(crate) fn pivot_item(
        &mut self,
        factor: &TableFactor,
        scope: &Scope<'_>,
        filters: &mut Lineage,
    ) -> ScopeItem {
        self.pivot_grouped(factor, None, scope, filters)
    }

    /// A PIVOT; `group_by` lists the group columns of DuckDB's PIVOT statement (`GROUP BY
    /// g`), else they are the input columns nothing else reads.
    pub(crate) fn pivot_grouped(
        &mut self,
        factor: &TableFactor,
        group_by: Option<&[Expr]>,
        scope: &Scope<'_>,
        filters: &mut Lineage,
    ) -> ScopeItem {
        let TableFactor::Pivot {
            table,
            aggregate_functions,
            value_column,
            value_source,
            alias,
            ..
        } = factor
        else {
            return self.opaque_item(None, None);
        };
        let input = self.tagged_input(factor, table, scope, filters);
        let plain = ExprCtx::plain(&input.scope);
        let pivots: Vec<BExpr> = value_column.iter().map(|e| self.expr(e, &plain)).collect();
        let agg = ExprCtx {
            allow_agg: true,
            ..ExprCtx::plain(&input.scope)
        };
        // DuckDB binds the aggregates once per pivot value: when the values come from the
        // data there may be none (an empty table), and then only an unknown function (a
        // catalog lookup made before) is an error.
        let mark = self.diagnostics.len();
        let aggregates: Vec<BExpr> = aggregate_functions
            .iter()
            .map(|a| self.expr(&a.expr, &agg))
            .collect();
        for (a, b) in aggregate_functions.iter().zip(&aggregates) {
            self.check_pivot_aggregate(&a.expr, b);
        }
        if !matches!(value_source, PivotValueSource::List(_)) {
            let found = self.diagnostics.split_off(mark);
            self.diagnostics.extend(
                found
                    .into_iter()
                    .filter(|d| d.code == codes::UNKNOWN_FUNCTION),
            );
        }
        for e in value_column {
            self.check_unqualified(e);
        }
        let explicit: Option<Vec<BoundColumn>> = group_by.map(|keys| {
            keys.iter()
                .map(|k| {
                    let b = self.expr(k, &plain);
                    BoundColumn {
                        name: b.column_name.clone().unwrap_or_else(|| column_name(k)),
                        ty: b.typed.ty.clone(),
                        lineage: input.real_lineage(&b.lineage),
                    }
                })
                .collect()
        });
        let names = self.pivot_value_names(value_column.len(), value_source);
        if input.opaque {
            return self.opaque_pivot(alias.as_ref());
        }
        let Some(values) = names else {
            return self.opaque_pivot(alias.as_ref());
        };

        let groups: Vec<BoundColumn> = match explicit {
            Some(cols) => cols,
            None => {
                let mut read: Vec<usize> = Vec::new();
                for b in pivots.iter().chain(&aggregates) {
                    read.extend(input.read(&b.lineage));
                }
                let mut cols: Vec<BoundColumn> = Vec::new();
                for &(_, tag) in &input.visible {
                    let col = &input.real[tag];
                    if read.contains(&tag) {
                        continue;
                    }
                    if cols.iter().any(|c| c.name.eq_ignore_ascii_case(&col.name)) {
                        self.error_at(
                            codes::AMBIGUOUS_COLUMN,
                            &table.span(),
                            format!(
                                "ambiguous reference to column name \"{}\" in the PIVOT input",
                                col.name
                            ),
                            Some("qualify or rename one of the columns before the PIVOT".into()),
                        );
                        return self.opaque_pivot(alias.as_ref());
                    }
                    cols.push(col.clone());
                }
                cols
            }
        };
        let mut group_filter = Lineage::new();
        for g in &groups {
            group_filter.extend(as_filter(&g.lineage));
        }
        let mut columns: Vec<BoundColumn> = groups
            .into_iter()
            .map(|mut g| {
                g.lineage.extend(group_filter.iter().cloned());
                g
            })
            .collect();
        let mut pivot_lineage = Lineage::new();
        for p in &pivots {
            pivot_lineage.extend(transformed(&input.real_lineage(&p.lineage)));
        }
        for value in &values {
            for (a, b) in aggregate_functions.iter().zip(&aggregates) {
                let name = pivot_column_name(value, a, aggregate_functions.len());
                let mut lineage = transformed(&input.real_lineage(&b.lineage));
                lineage.extend(pivot_lineage.iter().cloned());
                lineage.extend(group_filter.iter().cloned());
                columns.push(BoundColumn {
                    name,
                    ty: b.typed.ty.clone(),
                    lineage,
                });
            }
        }
        self.derived_item(
            BoundQuery {
                columns,
                opaque: false,
            },
            alias.as_ref(),
            None,
        )
    }

    fn opaque_pivot(&mut self, alias: Option<&TableAlias>) -> ScopeItem {
        self.opaque = true;
        self.opaque_item(alias, None)
    }

    /// DuckDB's rules for a PIVOT aggregate expression: an aggregate, no window function,
    /// no column outside the aggregate, no qualified column.
    fn check_pivot_aggregate(&mut self, e: &Expr, b: &BExpr) {
        if b.window {
            self.error_at(
                codes::AGGREGATE_MISUSE,
                e,
                "a PIVOT expression cannot contain window functions".into(),
                None,
            );
        } else if !b.agg {
            self.error_at(
                codes::AGGREGATE_MISUSE,
                e,
                "a PIVOT expression must contain exactly one aggregate".into(),
                Some("wrap the value in an aggregate, e.g. sum(x) or first(x)".into()),
            );
        }
        self.check_unqualified(e);
    }

    /// DuckDB refuses qualified column references (`t.x`) in PIVOT expressions.
    fn check_unqualified(&mut self, e: &Expr) {
        use std::ops::ControlFlow;
        let mut found: Option<Expr> = None;
        let mut subquery = false;
        let _ = sqlparser::ast::visit_expressions(e, |x| {
            match x {
                Expr::CompoundIdentifier(_) if found.is_none() => found = Some(x.clone()),
                Expr::Subquery(_)
                | Expr::Exists { .. }
                | Expr::Lambda(_)
                | Expr::In {
                    target: sqlparser::ast::InTarget::Subquery(_),
                    ..
                } => subquery = true,
                _ => {}
            }
            ControlFlow::<()>::Continue(())
        });
        if let (Some(q), false) = (found, subquery) {
            self.error_at(
                codes::UNKNOWN_COLUMN,
                &q,
                "a PIVOT expression cannot contain qualified columns".into(),
                Some("refer to the column by its name alone".into()),
            );
        }
    }

    /// The names of the IN-list values (joined with `_` for several pivot columns), or None
    /// when they are not literals (their columns depend on the data). Reports DuckDB's
    /// errors on the list: expressions, rows of the wrong length, repeated values.
    fn pivot_value_names(
        &mut self,
        width: usize,
        source: &PivotValueSource,
    ) -> Option<Vec<String>> {
        let PivotValueSource::List(list) = source else {
            return None;
        };
        let mut names = Vec::new();
        let mut seen: Vec<String> = Vec::new();
        let mut known = true;
        for ExprWithAlias { expr, alias } in list {
            let row: Vec<&Expr> = match unnest_parens(expr) {
                Expr::Tuple(items) => items.iter().map(unnest_parens).collect(),
                e => vec![e],
            };
            if row.len() != width {
                self.error_at(
                    codes::TYPE_MISMATCH,
                    expr,
                    format!(
                        "PIVOT IN list: a row of {} values for {} pivot columns",
                        row.len(),
                        width
                    ),
                    None,
                );
                return None;
            }
            let mut parts = Vec::new();
            for v in &row {
                match value_name(v) {
                    ValueName::Name(n) => parts.push(n),
                    ValueName::Unknown => known = false,
                    ValueName::Invalid => {
                        self.error_at(
                            codes::TYPE_MISMATCH,
                            *v,
                            "a PIVOT IN list must contain literal values or columns".into(),
                            None,
                        );
                        return None;
                    }
                }
            }
            if !known {
                continue;
            }
            let value = parts.join("_");
            if seen.contains(&value) {
                self.error_at(
                    codes::TYPE_MISMATCH,
                    expr,
                    format!("the value \"{value}\" is listed more than once in the PIVOT IN list"),
                    None,
                );
                return None;
            }
            seen.push(value.clone());
            names.push(alias.as_ref().map_or(value, |a| a.value.clone()));
        }
        (known && !names.is_empty()).then_some(names)
    }
}

fn unnest_parens(e: &Expr) -> &Expr {
    match e {
        Expr::Nested(inner) => unnest_parens(inner),
        e => e,
    }
}

enum ValueName {
    Name(String),
    /// A cast, a typed literal, a float: the name is not known here.
    Unknown,
    /// An expression DuckDB refuses in the IN list.
    Invalid,
}

/// The column name DuckDB gives an IN-list value (its text as a VARCHAR).
fn value_name(e: &Expr) -> ValueName {
    let plain_number = |n: &str| {
        let (int, frac) = n.split_once('.').unwrap_or((n, ""));
        !int.is_empty()
            && int.bytes().all(|b| b.is_ascii_digit())
            && (int == "0" || !int.starts_with('0'))
            && frac.bytes().all(|b| b.is_ascii_digit())
            && (n.contains('.') != frac.is_empty())
    };
    match e {
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) if !s.is_empty() => ValueName::Name(s.clone()),
            Value::Number(n, _) if plain_number(n) => ValueName::Name(n.clone()),
            Value::Boolean(b) => ValueName::Name(b.to_string()),
            Value::Null => ValueName::Name("NULL".into()),
            _ => ValueName::Unknown,
        },
        Expr::UnaryOp {
            op: sqlparser::ast::UnaryOperator::Minus,
            expr,
        } => match &**expr {
            Expr::Value(v) => match &v.value {
                Value::Number(n, _)
                    if plain_number(n) && n.bytes().any(|b| b != b'0' && b != b'.') =>
                {
                    ValueName::Name(format!("-{n}"))
                }
                _ => ValueName::Unknown,
            },
            _ => ValueName::Unknown,
        },
        // A bare name is read as its text (DuckDB would expand an ENUM type of that name,
        // which the project's SQL does not show).
        Expr::Identifier(i) => ValueName::Name(i.value.clone()),
        Expr::BinaryOp { .. }
        | Expr::Function(_)
        | Expr::Array(_)
        | Expr::CompoundIdentifier(_) => ValueName::Invalid,
        _ => ValueName::Unknown,
    }
}

/// `value` for a single unaliased aggregate, else `value_alias` or `value_<aggregate text>`.
fn pivot_column_name(value: &str, agg: &ExprWithAlias, count: usize) -> String {
    match &agg.alias {
        Some(a) => format!("{value}_{}", a.value),
        None if count == 1 => value.to_string(),
        None => format!("{value}_{}", column_name(&agg.expr)),
    }
}
