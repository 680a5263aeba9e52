//! Queries: WITH (incl. recursive), set operations, VALUES, and the ORDER BY of a set
//! operation.

use sqlparser::ast::{Expr, OrderBy, Query, SetExpr, SetOperator, SetQuantifier, Spanned};

use super::scope::{BoundColumn, Scope, transformed};
use super::{Binder, BoundQuery, Cte};
use crate::diagnostics::codes;
use crate::sql::types::Typed;

impl Binder<'_> {
    /// Binds a query; `outer` is the enclosing scope for correlated references.
    pub(crate) fn query(&mut self, query: &Query, outer: Option<&Scope<'_>>) -> BoundQuery {
        let mark = self.ctes.len();
        if let Some(with) = &query.with {
            for cte in &with.cte_tables {
                let name = cte.alias.name.value.clone();
                let bound = if with.recursive {
                    self.recursive_cte(&name, &cte.query, &cte.alias.columns, outer)
                } else {
                    self.query(&cte.query, outer)
                };
                let names = if self.is_pg() {
                    &cte.alias.columns[..]
                } else {
                    &cte.alias.columns[..cte.alias.columns.len().min(bound.columns.len())]
                };
                let bound = self.rename_columns(bound, names, &cte.alias.name);
                self.ctes.push(Cte { name, query: bound });
            }
        }
        let bound = self.set_expr(&query.body, outer, query.order_by.as_ref());
        self.ctes.truncate(mark);
        bound
    }

    /// A recursive CTE: the anchor (left of the UNION) gives the columns the recursive part
    /// sees under the CTE's own name.
    fn recursive_cte(
        &mut self,
        name: &str,
        query: &Query,
        columns: &[sqlparser::ast::TableAliasColumnDef],
        outer: Option<&Scope<'_>>,
    ) -> BoundQuery {
        let SetExpr::SetOperation { left, .. } = query.body.as_ref() else {
            return self.query(query, outer);
        };
        let anchor = self.set_expr(left, outer, None);
        let names = &columns[..columns.len().min(anchor.columns.len())];
        let anchor = self.rename_columns(anchor, names, &sqlparser::ast::Ident::new(name));
        self.ctes.push(Cte {
            name: name.to_string(),
            query: anchor,
        });
        let full = self.query(query, outer);
        self.ctes.pop();
        full
    }

    /// Applies a column alias list `t(a, b)`: the first columns are renamed.
    pub(crate) fn rename_columns(
        &mut self,
        mut bound: BoundQuery,
        names: &[sqlparser::ast::TableAliasColumnDef],
        at: &sqlparser::ast::Ident,
    ) -> BoundQuery {
        if names.is_empty() || bound.opaque {
            return bound;
        }
        if names.len() > bound.columns.len() {
            self.error_at(
                codes::SET_OP_ARITY,
                at,
                format!(
                    "table \"{}\" has {} columns available but {} columns specified",
                    at.value,
                    bound.columns.len(),
                    names.len()
                ),
                None,
            );
        }
        for (col, def) in bound.columns.iter_mut().zip(names) {
            col.name = def.name.value.clone();
            if let Some(dt) = &def.data_type {
                col.ty = self.cast_type(dt);
            }
        }
        bound
    }

    pub(crate) fn set_expr(
        &mut self,
        body: &SetExpr,
        outer: Option<&Scope<'_>>,
        order_by: Option<&OrderBy>,
    ) -> BoundQuery {
        match body {
            SetExpr::Select(select) => self.select(select, outer, order_by),
            SetExpr::Query(q) => {
                let bound = self.query(q, outer);
                self.order_by_outputs(&bound, order_by, outer);
                bound
            }
            SetExpr::SetOperation {
                left,
                op,
                set_quantifier,
                right,
            } => {
                let l = self.set_expr(left, outer, None);
                let r = self.set_expr(right, outer, None);
                let by_name = matches!(
                    set_quantifier,
                    SetQuantifier::ByName
                        | SetQuantifier::AllByName
                        | SetQuantifier::DistinctByName
                );
                let bound = if l.opaque || r.opaque {
                    BoundQuery {
                        columns: Vec::new(),
                        opaque: true,
                    }
                } else if by_name {
                    self.union_by_name(l, r)
                } else {
                    self.set_operation(l, r, *op, body)
                };
                self.order_by_outputs(&bound, order_by, outer);
                bound
            }
            SetExpr::Values(values) => self.values(values, outer),
            SetExpr::Table(_) => BoundQuery {
                columns: Vec::new(),
                opaque: true,
            },
            _ => {
                self.opaque = true;
                BoundQuery {
                    columns: Vec::new(),
                    opaque: true,
                }
            }
        }
    }

    fn set_operation(
        &mut self,
        l: BoundQuery,
        r: BoundQuery,
        op: SetOperator,
        at: &SetExpr,
    ) -> BoundQuery {
        if l.columns.len() != r.columns.len() {
            let (start, end) = self.range(at);
            let op = match op {
                SetOperator::Union => "UNION",
                SetOperator::Except | SetOperator::Minus => "EXCEPT",
                SetOperator::Intersect => "INTERSECT",
            };
            self.error(
                codes::SET_OP_ARITY,
                format!(
                    "set operation {op} has {} columns on the left and {} on the right",
                    l.columns.len(),
                    r.columns.len()
                ),
                Some("each side of the set operation must select the same number of columns (or use UNION BY NAME)".into()),
                start,
                end,
            );
        }
        let columns = l
            .columns
            .into_iter()
            .zip(r.columns.iter().map(Some).chain(std::iter::repeat(None)))
            .map(|(lc, rc)| match rc {
                None => lc,
                Some(rc) => {
                    self.check_set_types(&lc, rc, op, at);
                    self.merge_column(lc, rc, op == SetOperator::Union)
                }
            })
            .collect();
        BoundQuery {
            columns,
            opaque: false,
        }
    }

    /// Postgres refuses a set operation whose column types cannot be matched.
    fn check_set_types(&mut self, l: &BoundColumn, r: &BoundColumn, op: SetOperator, at: &SetExpr) {
        if !self.is_pg()
            || self
                .combine(&Typed::new(l.ty.clone()), &Typed::new(r.ty.clone()))
                .is_some()
        {
            return;
        }
        let op = match op {
            SetOperator::Union => "UNION",
            SetOperator::Except | SetOperator::Minus => "EXCEPT",
            SetOperator::Intersect => "INTERSECT",
        };
        let (lt, rt) = (self.show(&l.ty), self.show(&r.ty));
        let (start, end) = self.range(at);
        self.error(
            codes::TYPE_MISMATCH,
            format!(
                "{op} types {lt} and {rt} cannot be matched (column \"{}\")",
                l.name
            ),
            Some("add an explicit cast".into()),
            start,
            end,
        );
    }

    /// The column of a set operation from one column of each side: the left name, the
    /// max type; lineage from both sides for UNION (rows come from both), from the left
    /// for EXCEPT/INTERSECT (the right only filters).
    fn merge_column(&mut self, l: BoundColumn, r: &BoundColumn, union: bool) -> BoundColumn {
        let ty = self
            .combine(&Typed::new(l.ty.clone()), &Typed::new(r.ty.clone()))
            .map_or(crate::sql::types::SqlType::Unknown, |t| t.ty);
        let mut lineage = l.lineage;
        if union {
            lineage.extend(r.lineage.iter().cloned());
        } else {
            lineage.extend(super::scope::as_filter(&r.lineage));
        }
        BoundColumn {
            name: l.name,
            ty,
            lineage,
        }
    }

    fn union_by_name(&mut self, l: BoundQuery, r: BoundQuery) -> BoundQuery {
        let mut columns = l.columns;
        for rc in &r.columns {
            match columns
                .iter()
                .position(|c| c.name.eq_ignore_ascii_case(&rc.name))
            {
                Some(i) => {
                    let lc = columns[i].clone();
                    columns[i] = self.merge_column(lc, rc, true);
                }
                None => columns.push(rc.clone()),
            }
        }
        BoundQuery {
            columns,
            opaque: false,
        }
    }

    fn values(&mut self, values: &sqlparser::ast::Values, outer: Option<&Scope<'_>>) -> BoundQuery {
        let scope = Scope::with_parent(outer);
        let mut columns: Vec<BoundColumn> = Vec::new();
        for row in &values.rows {
            for (i, e) in row.iter().enumerate() {
                let bound = self.expr_in(e, &scope);
                let lineage = transformed(&bound.lineage);
                match columns.get_mut(i) {
                    Some(c) => {
                        c.ty = self
                            .combine(&Typed::new(c.ty.clone()), &bound.typed)
                            .map_or(crate::sql::types::SqlType::Unknown, |t| t.ty);
                        c.lineage.extend(lineage);
                    }
                    None => columns.push(BoundColumn {
                        name: if self.is_pg() {
                            format!("column{}", i + 1)
                        } else {
                            format!("col{i}")
                        },
                        ty: bound.typed.ty,
                        lineage,
                    }),
                }
            }
        }
        BoundQuery {
            columns,
            opaque: false,
        }
    }

    /// ORDER BY after a set operation or parenthesized query: names of the output columns
    /// or any expression over them (checked leniently: only output names are known).
    fn order_by_outputs(
        &mut self,
        bound: &BoundQuery,
        order_by: Option<&OrderBy>,
        outer: Option<&Scope<'_>>,
    ) {
        let Some(order_by) = order_by else { return };
        let sqlparser::ast::OrderByKind::Expressions(exprs) = &order_by.kind else {
            return;
        };
        let mut scope = Scope::with_parent(outer);
        let mut item = super::scope::ScopeItem::new(None, Vec::new(), bound.columns.clone());
        item.opaque = bound.opaque;
        scope.items.push(item);
        for e in exprs {
            if matches!(&e.expr, Expr::Value(_)) {
                continue;
            }
            let _ = e.expr.span();
            self.expr_in(&e.expr, &scope);
        }
    }
}
