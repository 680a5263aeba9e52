//! Operators and the forms built on them: binary operators (arithmetic, comparisons,
//! AND/OR, JSON arrows), subscripts and struct field access, CASE, and the type checks
//! they share (comparable types, the max type of several values).

use sqlparser::ast::{AccessExpr, BinaryOperator, Expr, Subscript};

use super::Binder;
use super::expr::{BExpr, ExprCtx};
use super::literal::{literal_default, string_literal};
use crate::diagnostics::codes;
use crate::sql::types::{CompareOp, SqlType, Typed};

/// Whether DuckDB can subscript or field-access a value of this type (or dbtc cannot
/// tell): everything but plain scalars (numbers, dates and times, booleans, UUID, BIT,
/// INTERVAL; BLOB for `[i]`).
fn indexable(t: &SqlType) -> bool {
    !(t.is_numeric()
        || matches!(
            t,
            SqlType::Boolean
                | SqlType::Date
                | SqlType::Time
                | SqlType::TimeTz
                | SqlType::Timestamp
                | SqlType::TimestampS
                | SqlType::TimestampMs
                | SqlType::TimestampNs
                | SqlType::TimestampTz
                | SqlType::Interval
                | SqlType::Uuid
                | SqlType::Bit
        ))
}

const COMPARISONS: &[BinaryOperator] = &[
    BinaryOperator::Eq,
    BinaryOperator::NotEq,
    BinaryOperator::Lt,
    BinaryOperator::LtEq,
    BinaryOperator::Gt,
    BinaryOperator::GtEq,
];

impl Binder<'_> {
    pub(crate) fn access(
        &mut self,
        base: BExpr,
        access: &AccessExpr,
        ctx: &ExprCtx<'_, '_>,
    ) -> BExpr {
        let ty = match access {
            AccessExpr::Dot(Expr::Identifier(field)) => match &base.typed.ty {
                SqlType::Struct(fields) => self.struct_field(fields, &field.value, field),
                t if !self.is_pg()
                    && !matches!(
                        t,
                        SqlType::Union(_)
                            | SqlType::Map(..)
                            | SqlType::Json
                            | SqlType::Null
                            | SqlType::Enum(_)
                            | SqlType::Other(_)
                            | SqlType::Unknown
                    ) =>
                {
                    let shown = self.show(t);
                    self.error_at(
                        codes::TYPE_MISMATCH,
                        field,
                        format!(
                            "cannot extract field \"{}\" from a value of type {shown}: not a struct, union, map or json",
                            field.value
                        ),
                        None,
                    );
                    SqlType::Unknown
                }
                _ => SqlType::Unknown,
            },
            AccessExpr::Dot(_) => SqlType::Unknown,
            AccessExpr::Subscript(Subscript::Index { index }) if self.is_pg() => {
                self.expr(index, ctx);
                self.pg_subscript(&base, access)
            }
            AccessExpr::Subscript(Subscript::Slice { .. }) if self.is_pg() => base.typed.ty.clone(),
            AccessExpr::Subscript(Subscript::Index { index }) => {
                let i = self.expr(index, ctx);
                match &base.typed.ty {
                    SqlType::List(e) | SqlType::Array(e, _) => (**e).clone(),
                    SqlType::Map(_, v) => (**v).clone(),
                    SqlType::Varchar => SqlType::Varchar,
                    SqlType::Json => SqlType::Json,
                    SqlType::Struct(fields) => match string_literal(index) {
                        Some(key) => self.struct_field(fields, key, index),
                        None => SqlType::Unknown,
                    },
                    t if !indexable(t) => {
                        let (tb, ti) = (self.show(t), self.show(&i.typed.ty));
                        self.error_at(
                            codes::NO_OVERLOAD,
                            index,
                            format!("no function matches \"array_extract({tb}, {ti})\""),
                            Some("[] indexes lists, arrays, maps, structs and strings".into()),
                        );
                        SqlType::Unknown
                    }
                    _ => SqlType::Unknown,
                }
            }
            AccessExpr::Subscript(Subscript::Slice { .. }) => match &base.typed.ty {
                SqlType::Array(e, _) => SqlType::List(e.clone()),
                t if !indexable(t) => {
                    let shown = self.show(t);
                    let ty = t.clone();
                    self.error_at(
                        codes::NO_OVERLOAD,
                        &sqlparser::ast::Spanned::span(access),
                        format!("slices ([a:b]) take lists and strings, not {shown}"),
                        None,
                    );
                    ty
                }
                t => t.clone(),
            },
        };
        BExpr::computed(Typed::new(ty), &[base])
    }

    /// The type of a struct's field; DuckDB's "Could not find key" when it has none.
    pub(crate) fn struct_field(
        &mut self,
        fields: &[(String, SqlType)],
        key: &str,
        at: &impl super::Loc,
    ) -> SqlType {
        match fields.iter().find(|(n, _)| n.eq_ignore_ascii_case(key)) {
            Some((_, t)) => t.clone(),
            None => {
                if !self.is_pg() && !fields.is_empty() {
                    self.error_at(
                        codes::UNKNOWN_COLUMN,
                        at,
                        format!("could not find key \"{key}\" in struct"),
                        None,
                    );
                }
                SqlType::Unknown
            }
        }
    }

    pub(crate) fn binary(
        &mut self,
        expr: &Expr,
        left: &Expr,
        op: &BinaryOperator,
        right: &Expr,
        ctx: &ExprCtx<'_, '_>,
    ) -> BExpr {
        let l = self.expr(left, ctx);
        let r = self.expr(right, ctx);
        if self.is_pg()
            && !COMPARISONS.contains(op)
            && !matches!(
                op,
                BinaryOperator::And | BinaryOperator::Or | BinaryOperator::Xor
            )
        {
            let sym = op.to_string();
            let ty = if sym.bytes().any(|b| b.is_ascii_alphanumeric() || b == b' ') {
                Typed::unknown()
            } else {
                self.call_type(&sym, &[l.typed.clone(), r.typed.clone()], expr)
            };
            return BExpr::computed(ty, &[l, r]);
        }
        if COMPARISONS.contains(op) || matches!(op, BinaryOperator::Spaceship) {
            if matches!(op, BinaryOperator::Eq | BinaryOperator::NotEq) {
                self.check_comparison(&l, &r, expr);
            } else {
                self.check_ordering(&l, &r, expr);
            }
            return BExpr::computed(Typed::new(SqlType::Boolean), &[l, r]);
        }
        let name = match op {
            BinaryOperator::And | BinaryOperator::Or | BinaryOperator::Xor => {
                let clause = if matches!(op, BinaryOperator::Or) {
                    "OR"
                } else {
                    "AND"
                };
                self.require_boolean(&l, clause, left);
                self.require_boolean(&r, clause, right);
                return BExpr::computed(Typed::new(SqlType::Boolean), &[l, r]);
            }
            BinaryOperator::Plus => "+",
            BinaryOperator::Minus => "-",
            BinaryOperator::Multiply => "*",
            BinaryOperator::Divide => "/",
            BinaryOperator::Modulo => "%",
            BinaryOperator::StringConcat => "||",
            BinaryOperator::DuckIntegerDivide | BinaryOperator::MyIntegerDivide => "//",
            BinaryOperator::BitwiseOr => "|",
            BinaryOperator::BitwiseAnd => "&",
            BinaryOperator::PGBitwiseShiftLeft => "<<",
            BinaryOperator::PGBitwiseShiftRight => ">>",
            BinaryOperator::PGExp => "**",
            // DuckDB's `^` is the power operator (sqlparser reads it as XOR).
            BinaryOperator::BitwiseXor => "^",
            BinaryOperator::Arrow | BinaryOperator::LongArrow => {
                let ty = match (op, &l.typed.ty) {
                    (_, SqlType::Unknown) => SqlType::Unknown,
                    (BinaryOperator::LongArrow, _) => SqlType::Varchar,
                    _ => SqlType::Json,
                };
                return BExpr::computed(Typed::new(ty), &[l, r]);
            }
            BinaryOperator::PGRegexMatch
            | BinaryOperator::PGRegexIMatch
            | BinaryOperator::PGRegexNotMatch
            | BinaryOperator::PGRegexNotIMatch
            | BinaryOperator::PGLikeMatch
            | BinaryOperator::PGILikeMatch
            | BinaryOperator::PGNotLikeMatch
            | BinaryOperator::PGNotILikeMatch
            | BinaryOperator::PGStartsWith
            | BinaryOperator::Glob
            | BinaryOperator::Regexp
            | BinaryOperator::Match => {
                return BExpr::computed(Typed::new(SqlType::Boolean), &[l, r]);
            }
            _ => return BExpr::computed(Typed::unknown(), &[l, r]),
        };
        let ty = self.call_type(name, &[l.typed.clone(), r.typed.clone()], expr);
        BExpr::computed(ty, &[l, r])
    }

    /// The result type of a call, reporting when it does not bind.
    pub(crate) fn call_type(&mut self, name: &str, args: &[Typed], at: &impl super::Loc) -> Typed {
        if args.iter().any(|a| a.ty.is_unknown()) && !args.is_empty() {
            // Not worth an error: an UNKNOWN argument can be anything.
            return match self.bind_call_d(name, args) {
                Ok(ty) => Typed::new(ty),
                Err(_) => Typed::unknown(),
            };
        }
        match self.bind_call_d(name, args) {
            Ok(ty) => Typed::new(ty),
            Err(e) => {
                self.call_error(e, name, args, at);
                Typed::unknown()
            }
        }
    }

    pub(crate) fn check_comparison(&mut self, a: &BExpr, b: &BExpr, at: &impl super::Loc) {
        self.check_compare(CompareOp::Equality, a, b, at);
    }

    pub(crate) fn check_ordering(&mut self, a: &BExpr, b: &BExpr, at: &impl super::Loc) {
        self.check_compare(CompareOp::Ordering, a, b, at);
    }

    pub(crate) fn check_compare(
        &mut self,
        op: CompareOp,
        a: &BExpr,
        b: &BExpr,
        at: &impl super::Loc,
    ) {
        if !self.comparable(op, &a.typed, &b.typed) {
            let (ta, tb) = (self.show(&a.typed.ty), self.show(&b.typed.ty));
            self.error_at(
                codes::TYPE_MISMATCH,
                at,
                format!("cannot compare values of type {ta} and type {tb}"),
                Some("add an explicit cast".into()),
            );
        }
    }

    /// `x IN (SELECT ...)`, `x = ANY (SELECT ...)`: DuckDB needs a max type of the two
    /// sides (as ordering comparisons do), Postgres an `=` operator.
    pub(crate) fn check_quantified(&mut self, a: &BExpr, b: &BExpr, at: &impl super::Loc) {
        if self.is_pg() {
            self.check_comparison(a, b, at);
        } else if !self.comparable(CompareOp::Ordering, &a.typed, &b.typed) {
            let (ta, tb) = (self.show(&a.typed.ty), self.show(&b.typed.ty));
            self.error_at(
                codes::TYPE_MISMATCH,
                at,
                format!("cannot compare values of type {ta} and {tb} in IN/ANY/ALL clause"),
                Some("add an explicit cast".into()),
            );
        }
    }

    /// The max type of several values (CASE branches, list elements).
    pub(crate) fn combined_type(&mut self, parts: &[BExpr], at: &impl super::Loc) -> SqlType {
        let mut acc: Option<Typed> = None;
        for p in parts {
            acc = match acc {
                None => Some(p.typed.clone()),
                Some(a) => match self.combine(&a, &p.typed) {
                    Some(t) => Some(t),
                    None => {
                        let (ta, tb) = (self.show(&a.ty), self.show(&p.typed.ty));
                        self.error_at(
                            codes::TYPE_MISMATCH,
                            at,
                            format!("cannot combine values of type {ta} and type {tb}"),
                            Some("add an explicit cast".into()),
                        );
                        Some(Typed::unknown())
                    }
                },
            };
        }
        acc.map_or(SqlType::Null, |t| literal_default(&t))
    }

    pub(crate) fn case(
        &mut self,
        expr: &Expr,
        operand: Option<&Expr>,
        conditions: &[sqlparser::ast::CaseWhen],
        else_result: Option<&Expr>,
        ctx: &ExprCtx<'_, '_>,
    ) -> BExpr {
        let op = operand.map(|o| self.expr(o, ctx));
        let mut conds = Vec::new();
        let mut results = Vec::new();
        for w in conditions {
            let c = self.expr(&w.condition, ctx);
            if let Some(o) = &op {
                self.check_comparison(o, &c, &w.condition);
            } else {
                self.require_boolean(&c, "CASE/WHEN", &w.condition);
            }
            conds.push(c);
            results.push(self.expr(&w.result, ctx));
        }
        if let Some(e) = else_result {
            let b = self.expr(e, ctx);
            if self.is_pg() {
                // Postgres resolves the ELSE branch first (it wins between equals).
                results.insert(0, b);
            } else {
                results.push(b);
            }
        }
        let ty = self.combined_type(&results, expr);
        let mut parts = results;
        parts.extend(conds);
        parts.extend(op);
        BExpr::computed(Typed::new(ty), &parts)
    }
}
