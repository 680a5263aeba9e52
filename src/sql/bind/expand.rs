//! SELECT items DuckDB expands into several columns, where dbtc can list them:
//!
//! - `unnest(s)` of a STRUCT: one column per field;
//! - `unnest(x, recursive := true)`: lists are unnested, then the struct they hold is
//!   flattened (fields that are structs too, recursively; list fields stay lists);
//! - an expression over one `COLUMNS(...)` (`min(COLUMNS(*))`, `COLUMNS('re')::varchar`):
//!   the expression once per matching column, named after the column (or the alias).
//!
//! Anything else (`max_depth`, lambdas in `COLUMNS`, two `COLUMNS` in one expression, a
//! name two FROM items share) is left to the caller, which makes the SELECT opaque.

use std::ops::ControlFlow;

use sqlparser::ast::{
    Expr, FunctionArg, FunctionArgExpr, FunctionArguments, Ident, Value, visit_expressions,
    visit_expressions_mut,
};

use super::Binder;
use super::expr::ExprCtx;
use super::scope::{BoundColumn, transformed};
use super::select::is_columns_call;
use crate::sql::types::SqlType;

/// The single positional argument and whether `recursive := true` of an `unnest` call;
/// None for other calls or other named arguments.
fn unnest_call(e: &Expr) -> Option<(&Expr, bool)> {
    let Expr::Function(f) = e else { return None };
    let [name] = f.name.0.as_slice() else {
        return None;
    };
    if !name
        .as_ident()
        .is_some_and(|i| i.value.eq_ignore_ascii_case("unnest"))
    {
        return None;
    }
    let FunctionArguments::List(list) = &f.args else {
        return None;
    };
    let mut arg = None;
    let mut recursive = false;
    for a in &list.args {
        match a {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) if arg.is_none() => arg = Some(e),
            FunctionArg::Named {
                name,
                arg: FunctionArgExpr::Expr(Expr::Value(v)),
                ..
            } if name.value.eq_ignore_ascii_case("recursive") => match v.value {
                Value::Boolean(b) => recursive = b,
                _ => return None,
            },
            _ => return None,
        }
    }
    Some((arg?, recursive))
}

/// Struct fields with struct-typed fields flattened in place.
fn flatten(fields: &[(String, SqlType)], out: &mut Vec<(String, SqlType)>) {
    for (name, ty) in fields {
        match ty {
            SqlType::Struct(inner) => flatten(inner, out),
            _ => out.push((name.clone(), ty.clone())),
        }
    }
}

impl Binder<'_> {
    /// The columns of an expanding SELECT item, or None when it is not one dbtc lists (the
    /// caller binds it as usual; nothing is reported here then).
    pub(crate) fn expand_item(
        &mut self,
        e: &Expr,
        alias: Option<&Ident>,
        ctx: &ExprCtx<'_, '_>,
    ) -> Option<Vec<BoundColumn>> {
        if let Some((arg, recursive)) = unnest_call(e) {
            return self.expand_unnest(arg, recursive, ctx);
        }
        self.expand_columns(e, alias, ctx)
    }

    fn expand_unnest(
        &mut self,
        arg: &Expr,
        recursive: bool,
        ctx: &ExprCtx<'_, '_>,
    ) -> Option<Vec<BoundColumn>> {
        let mark = self.diagnostics.len();
        let b = self.expr(arg, ctx);
        let mut ty = &b.typed.ty;
        if recursive {
            while let SqlType::List(e) | SqlType::Array(e, _) = ty {
                ty = e;
            }
        }
        let SqlType::Struct(fields) = ty else {
            self.diagnostics.truncate(mark);
            return None;
        };
        let mut out = Vec::new();
        if recursive {
            flatten(fields, &mut out);
        } else {
            out.clone_from(fields);
        }
        let lineage = transformed(&b.lineage);
        Some(
            out.into_iter()
                .map(|(name, ty)| BoundColumn {
                    name,
                    ty,
                    lineage: lineage.clone(),
                })
                .collect(),
        )
    }

    fn expand_columns(
        &mut self,
        e: &Expr,
        alias: Option<&Ident>,
        ctx: &ExprCtx<'_, '_>,
    ) -> Option<Vec<BoundColumn>> {
        let mut calls: Vec<Expr> = Vec::new();
        let _ = visit_expressions(e, |x| {
            if is_columns_call(x) {
                calls.push(x.clone());
            }
            ControlFlow::<()>::Continue(())
        });
        let [call] = calls.as_slice() else {
            return None;
        };
        let mark = self.diagnostics.len();
        let mut matched = Vec::new();
        if self.columns_call(call, ctx.scope, &mut matched) {
            self.diagnostics.truncate(mark);
            return None;
        }
        let names: Vec<&str> = ctx
            .scope
            .items
            .iter()
            .flat_map(|i| {
                i.columns
                    .iter()
                    .enumerate()
                    .filter(|(n, _)| !i.merged.contains(n))
                    .map(|(_, c)| c.name.as_str())
            })
            .collect();
        let shared = matched.iter().any(|c| {
            names
                .iter()
                .filter(|n| n.eq_ignore_ascii_case(&c.name))
                .count()
                > 1
        });
        if shared {
            self.diagnostics.truncate(mark);
            return None;
        }
        let mut out = Vec::new();
        for col in matched {
            let mut one = e.clone();
            let _ = visit_expressions_mut(&mut one, |x| {
                if is_columns_call(x) {
                    *x = Expr::Identifier(Ident::with_quote('"', col.name.clone()));
                }
                ControlFlow::<()>::Continue(())
            });
            let b = self.expr(&one, ctx);
            out.push(BoundColumn {
                name: alias.map_or_else(|| col.name.clone(), |a| a.value.clone()),
                ty: b.typed.ty.clone(),
                lineage: if b.copy {
                    b.lineage
                } else {
                    transformed(&b.lineage)
                },
            });
        }
        Some(out)
    }
}
