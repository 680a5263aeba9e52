//! PIVOT and UNPIVOT FROM items (`t PIVOT (sum(x) FOR k IN (...))`). Their output columns
//! depend on the listed values, so the item stays opaque; but DuckDB binds the input
//! relation and the expressions over it first, so their errors (unknown table, column,
//! function or overload) are reported.

use sqlparser::ast::TableFactor;

use super::Binder;
use super::expr::ExprCtx;
use super::scope::{Lineage, Scope, ScopeItem};

impl Binder<'_> {
    /// Binds the input of a PIVOT or UNPIVOT and the expressions over it; the caller
    /// makes the item opaque.
    pub(crate) fn pivot_input(&mut self, factor: &TableFactor, scope: &Scope<'_>) {
        let (table, exprs, aggregates) = match factor {
            TableFactor::Pivot {
                table,
                aggregate_functions,
                value_column,
                ..
            } => (
                table,
                value_column.iter().collect::<Vec<_>>(),
                aggregate_functions.iter().map(|a| &a.expr).collect(),
            ),
            TableFactor::Unpivot { table, columns, .. } => {
                (table, columns.iter().map(|c| &c.expr).collect(), Vec::new())
            }
            _ => return,
        };
        let mut filters = Lineage::new();
        let items: Vec<ScopeItem> = self.factor(table, scope, &mut filters);
        let mut inner = Scope::with_parent(scope.parent);
        inner.items = items;
        let plain = ExprCtx::plain(&inner);
        for e in exprs {
            self.expr(e, &plain);
        }
        let agg = ExprCtx {
            allow_agg: true,
            ..ExprCtx::plain(&inner)
        };
        for e in aggregates {
            self.expr(e, &agg);
        }
    }
}
