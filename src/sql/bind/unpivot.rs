//! UNPIVOT FROM items (`t UNPIVOT [INCLUDE|EXCLUDE NULLS] (v FOR k IN (a, b))`), with
//! DuckDB's output schema: the input columns no unpivoted expression reads, then the name
//! column (VARCHAR), then the value column(s), typed as the max type of the unpivoted
//! values ("Cannot unpivot columns of types X and Y" when there is none). The default
//! EXCLUDE NULLS drops rows whose value is NULL, so the unpivoted columns are filter
//! lineage of every output column.

use sqlparser::ast::{Expr, NullInclusion, TableFactor};

use super::Binder;
use super::BoundQuery;
use super::expr::{BExpr, ExprCtx};
use super::scope::{BoundColumn, Lineage, Scope, ScopeItem, as_filter, transformed};
use super::select::is_columns_call;
use crate::diagnostics::codes;
use crate::sql::types::{SqlType, Typed};

fn unnest_parens(e: &Expr) -> &Expr {
    match e {
        Expr::Nested(inner) => unnest_parens(inner),
        e => e,
    }
}

/// Entries DuckDB expands or reads as names (`*`, string literals, `COLUMNS(...)` beside
/// other values of a row): the unpivoted columns cannot be listed here.
fn unlistable(e: &Expr) -> bool {
    matches!(
        e,
        Expr::Wildcard(_) | Expr::QualifiedWildcard(..) | Expr::Value(_)
    )
}

impl Binder<'_> {
    /// An UNPIVOT FROM item.
    pub(crate) fn unpivot_item(
        &mut self,
        factor: &TableFactor,
        scope: &Scope<'_>,
        filters: &mut Lineage,
    ) -> ScopeItem {
        let TableFactor::Unpivot {
            table,
            value,
            name,
            columns,
            null_inclusion,
            alias,
        } = factor
        else {
            return self.opaque_item(None, None);
        };
        let input = self.tagged_input(factor, table, scope, filters);
        let plain = ExprCtx::plain(&input.scope);
        let rows: Vec<Vec<&Expr>> = columns
            .iter()
            .map(|c| match unnest_parens(&c.expr) {
                Expr::Tuple(items) => items.iter().map(unnest_parens).collect(),
                e => vec![e],
            })
            .collect();
        let listable = !rows.iter().flatten().any(|e| unlistable(e));
        // Entries as (location, bound values); `COLUMNS(...)` expands into one entry per
        // matching input column.
        let mut bound: Vec<(&Expr, Vec<BExpr>)> = Vec::new();
        let mut expanded_opaque = false;
        for (row, c) in rows.iter().zip(columns) {
            match row.as_slice() {
                [e] if is_columns_call(e) => {
                    let mut cols = Vec::new();
                    expanded_opaque |= self.columns_call(e, &input.scope, &mut cols);
                    expanded_opaque |= cols.is_empty();
                    for col in cols {
                        let mut b = BExpr::of(col.ty);
                        b.lineage = col.lineage;
                        b.copy = true;
                        bound.push((*e, vec![b]));
                    }
                }
                _ => {
                    let values = row
                        .iter()
                        .map(|e| {
                            if listable {
                                self.expr(e, &plain)
                            } else {
                                BExpr::of(SqlType::Unknown)
                            }
                        })
                        .collect();
                    bound.push((&c.expr, values));
                }
            }
        }
        let value_names: Option<Vec<String>> = match unnest_parens(value) {
            Expr::Identifier(i) => Some(vec![i.value.clone()]),
            Expr::Tuple(items) => items
                .iter()
                .map(|e| match unnest_parens(e) {
                    Expr::Identifier(i) => Some(i.value.clone()),
                    _ => None,
                })
                .collect(),
            _ => None,
        };
        let opaque = |b: &mut Self| {
            b.opaque = true;
            b.opaque_item(alias.as_ref(), None)
        };
        let Some(value_names) = value_names else {
            return opaque(self);
        };
        if !listable || expanded_opaque || input.opaque {
            return opaque(self);
        }
        if let Some((at, row)) = bound.iter().find(|(_, r)| r.len() != value_names.len()) {
            self.error_at(
                codes::SET_OP_ARITY,
                *at,
                format!(
                    "UNPIVOT names {} value columns but this entry has {} expressions",
                    value_names.len(),
                    row.len()
                ),
                None,
            );
            return opaque(self);
        }

        // The value columns' types: the max type of each position over the entries.
        let mut types: Vec<Option<Typed>> = vec![None; value_names.len()];
        for (at, row) in &bound {
            for (k, b) in row.iter().enumerate() {
                let t = Typed::new(b.typed.ty.clone());
                types[k] = match types[k].take() {
                    None => Some(t),
                    Some(acc) => match self.combine(&acc, &t) {
                        Some(m) => Some(Typed::new(m.ty)),
                        None => {
                            let (l, r) = (self.show(&acc.ty), self.show(&t.ty));
                            self.error_at(
                                codes::TYPE_MISMATCH,
                                *at,
                                format!("cannot unpivot columns of types {l} and {r}"),
                                Some("cast the columns to one type first".into()),
                            );
                            return opaque(self);
                        }
                    },
                };
            }
        }

        let mut read = Vec::new();
        for b in bound.iter().flat_map(|(_, r)| r) {
            read.extend(input.read(&b.lineage));
        }
        let mut null_filter = Lineage::new();
        if !matches!(null_inclusion, Some(NullInclusion::IncludeNulls)) {
            for b in bound.iter().flat_map(|(_, r)| r) {
                null_filter.extend(as_filter(&input.real_lineage(&b.lineage)));
            }
        }
        let mut out: Vec<BoundColumn> = input
            .visible
            .iter()
            .map(|&(_, tag)| tag)
            .filter(|t| !read.contains(t))
            .map(|t| {
                let mut c = input.real[t].clone();
                c.lineage.extend(null_filter.iter().cloned());
                c
            })
            .collect();
        out.push(BoundColumn {
            name: name.value.clone(),
            ty: SqlType::Varchar,
            lineage: null_filter.clone(),
        });
        for (k, vname) in value_names.iter().enumerate() {
            let ty = types[k].as_ref().map_or(SqlType::Unknown, |t| t.ty.clone());
            let mut lineage = null_filter.clone();
            for (_, row) in &bound {
                let b = &row[k];
                let real = input.real_lineage(&b.lineage);
                if b.copy && b.typed.ty == ty {
                    lineage.extend(real);
                } else {
                    lineage.extend(transformed(&real));
                }
            }
            out.push(BoundColumn {
                name: vname.clone(),
                ty,
                lineage,
            });
        }
        self.derived_item(
            BoundQuery {
                columns: out,
                opaque: false,
            },
            alias.as_ref(),
            None,
        )
    }
}
