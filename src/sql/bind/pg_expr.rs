//! Postgres-only checks on expressions: conditions must be boolean, subscripts need a
//! type that has them, numeric literals with an exponent are numeric, `LIKE ALL (array)`.

use sqlparser::ast::{AccessExpr, Expr, Subscript, Value};

use super::Binder;
use super::expr::BExpr;
use super::literal::literal;
use crate::diagnostics::codes;
use crate::sql::types::SqlType;

impl Binder<'_> {
    /// Postgres requires a boolean where a condition stands (WHERE, HAVING, ON, CASE WHEN,
    /// NOT, AND, OR); an untyped literal or NULL is fine.
    pub(crate) fn require_boolean(&mut self, b: &BExpr, clause: &str, at: &Expr) {
        if !self.is_pg() {
            return;
        }
        match self.pg_input(&b.typed).as_deref() {
            None | Some("bool" | "unknown") => {}
            Some(_) => {
                let shown = self.show(&b.typed.ty);
                self.error_at(
                    codes::TYPE_MISMATCH,
                    at,
                    format!("argument of {clause} must be type boolean, not type {shown}"),
                    None,
                );
            }
        }
    }

    /// The element type of `base[i]` in Postgres; an error for types without subscripting.
    pub(crate) fn pg_subscript(&mut self, base: &BExpr, at: &AccessExpr) -> SqlType {
        let Some(t) = self.pg.typname(&base.typed.ty) else {
            return SqlType::Unknown;
        };
        if t == "jsonb" {
            return base.typed.ty.clone();
        }
        let elem = self.element_of(&base.typed.ty);
        if elem.is_unknown() && matches!(self.pg.category(&t), b'N' | b'S' | b'D' | b'B' | b'T')
            || matches!(t.as_str(), "json" | "uuid")
        {
            let shown = self.show(&base.typed.ty);
            let (s, e) = match at {
                AccessExpr::Subscript(Subscript::Index { index }) => self.range(index),
                _ => (0, 0),
            };
            self.error(
                codes::TYPE_MISMATCH,
                format!("cannot subscript type {shown} because it does not support subscripting"),
                None,
                s,
                e,
            );
        }
        elem
    }

    /// The type of a literal value; in Postgres a number with an exponent is numeric.
    pub(crate) fn value(&self, v: &Value) -> BExpr {
        if self.is_pg()
            && let Value::Number(n, _) = v
            && n.contains(['e', 'E'])
        {
            return BExpr::of(SqlType::Decimal {
                width: 18,
                scale: 3,
            });
        }
        literal(v)
    }
}

/// The array of `x LIKE ALL (array)` / `ANY (array)` / `SOME (array)`, which sqlparser
/// reads as a call of a function named `all`, `any` or `some`.
pub(crate) fn quantified_arg(pattern: &Expr) -> Option<&Expr> {
    let Expr::Function(f) = pattern else {
        return None;
    };
    let name = f.name.0.last()?.as_ident()?.value.to_ascii_lowercase();
    if !matches!(name.as_str(), "all" | "any" | "some") {
        return None;
    }
    match &f.args {
        sqlparser::ast::FunctionArguments::List(list) => match list.args.as_slice() {
            [sqlparser::ast::FunctionArg::Unnamed(sqlparser::ast::FunctionArgExpr::Expr(e))] => {
                Some(e)
            }
            _ => None,
        },
        _ => None,
    }
}
