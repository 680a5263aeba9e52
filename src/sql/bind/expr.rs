//! Expressions: name resolution, types and lineage of every expression form the binder
//! models. Anything else is UNKNOWN (never an error).

use sqlparser::ast::{AccessExpr, BinaryOperator, DateTimeField, Expr, InTarget, UnaryOperator};

use super::Binder;
use super::group::{GroupKeys, normalize};
use super::literal::{literal, literal_default};
use super::pg_expr::quantified_arg;
use super::scope::{Lineage, Scope, transformed};
use crate::diagnostics::codes;
use crate::sql::types::{CompareOp, Literal, SqlType, Typed};

/// A bound expression.
#[derive(Debug, Clone)]
pub(crate) struct BExpr {
    pub typed: Typed,
    pub lineage: Lineage,
    /// A bare column reference (its value passes unchanged).
    pub copy: bool,
    pub agg: bool,
    pub window: bool,
    /// For a column reference: the column's name as its relation spells it.
    pub column_name: Option<String>,
}

impl BExpr {
    pub fn of(ty: SqlType) -> BExpr {
        BExpr {
            typed: Typed::new(ty),
            lineage: Lineage::new(),
            copy: false,
            agg: false,
            window: false,
            column_name: None,
        }
    }

    /// A value computed from `parts`.
    pub fn computed(ty: Typed, parts: &[BExpr]) -> BExpr {
        let mut lineage = Lineage::new();
        for p in parts {
            lineage.extend(transformed(&p.lineage));
        }
        BExpr {
            typed: ty,
            lineage,
            copy: false,
            agg: parts.iter().any(|p| p.agg),
            window: parts.iter().any(|p| p.window),
            column_name: None,
        }
    }
}

/// Where an expression is bound.
#[derive(Clone)]
pub(crate) struct ExprCtx<'s, 'p> {
    pub scope: &'s Scope<'p>,
    /// Earlier SELECT-list aliases (DuckDB lets later items, WHERE, GROUP BY and HAVING use them).
    pub aliases: &'s [(String, BExpr)],
    /// Some in an aggregated SELECT outside aggregates: columns must be grouped.
    pub group: Option<&'s GroupKeys>,
    pub allow_agg: bool,
    pub allow_window: bool,
    pub in_agg: bool,
    pub lambdas: Vec<(String, SqlType)>,
    /// `WINDOW w AS (...)` definitions of the SELECT, for `over w`.
    pub windows: &'s [sqlparser::ast::NamedWindowDefinition],
}

impl<'s, 'p> ExprCtx<'s, 'p> {
    pub fn plain(scope: &'s Scope<'p>) -> ExprCtx<'s, 'p> {
        ExprCtx {
            scope,
            aliases: &[],
            group: None,
            allow_agg: false,
            allow_window: false,
            in_agg: false,
            lambdas: Vec::new(),
            windows: &[],
        }
    }
}

impl Binder<'_> {
    /// Binds an expression with no SELECT-list context (ON, VALUES, arguments of FROM items).
    pub(crate) fn expr_in(&mut self, expr: &Expr, scope: &Scope<'_>) -> BExpr {
        self.expr(expr, &ExprCtx::plain(scope))
    }

    pub(crate) fn expr(&mut self, expr: &Expr, ctx: &ExprCtx<'_, '_>) -> BExpr {
        if let Some(keys) = ctx.group
            && !ctx.in_agg
            && !matches!(expr, Expr::Identifier(_) | Expr::Value(_))
            && keys.texts.contains(&normalize(expr))
        {
            let grouped = ExprCtx {
                group: None,
                ..ctx.clone()
            };
            return self.expr(expr, &grouped);
        }
        match expr {
            Expr::Identifier(ident) => self.identifier(ident, ctx),
            Expr::CompoundIdentifier(parts) => self.compound(parts, ctx),
            Expr::Value(v) => self.value(&v.value),
            Expr::Nested(inner) => self.expr(inner, ctx),
            Expr::BinaryOp { left, op, right } => self.binary(expr, left, op, right, ctx),
            Expr::UnaryOp {
                op: UnaryOperator::Plus,
                expr: inner,
            } => self.expr(inner, ctx),
            Expr::UnaryOp { op, expr: inner } => {
                let b = self.expr(inner, ctx);
                if matches!(op, UnaryOperator::Not) {
                    self.require_boolean(&b, "NOT", inner);
                }
                if self.is_pg() && !matches!(op, UnaryOperator::Not) {
                    let sym = op.to_string();
                    let ty = match b.typed.literal {
                        Literal::Integer(v) if sym == "-" => Typed {
                            ty: b.typed.ty.clone(),
                            literal: Literal::Integer(-v),
                        },
                        _ => self.call_type(&sym, std::slice::from_ref(&b.typed), expr),
                    };
                    return BExpr::computed(ty, &[b]);
                }
                let ty = match op {
                    UnaryOperator::Not => Typed::new(SqlType::Boolean),
                    UnaryOperator::BitwiseNot => {
                        self.call_type("~", std::slice::from_ref(&b.typed), expr)
                    }
                    UnaryOperator::Minus => match b.typed.literal {
                        Literal::Integer(v) => Typed {
                            ty: b.typed.ty.clone(),
                            literal: Literal::Integer(-v),
                        },
                        _ => self.call_type("-", std::slice::from_ref(&b.typed), expr),
                    },
                    _ => Typed::unknown(),
                };
                BExpr::computed(ty, &[b])
            }
            Expr::Cast {
                expr: inner,
                data_type: dt,
                ..
            } => {
                let b = self.expr(inner, ctx);
                let to = self.cast_type(dt);
                if !self.castable(&b.typed, &to) {
                    let (from, shown) = (self.show(&b.typed.ty), self.show(&to));
                    self.error_at(
                        codes::TYPE_MISMATCH,
                        expr,
                        format!("cannot cast type {from} to {shown}"),
                        None,
                    );
                }
                BExpr::computed(Typed::new(to), &[b])
            }
            Expr::TypedString(ts) => BExpr::of(self.cast_type(&ts.data_type)),
            Expr::IsTrue(e)
            | Expr::IsNotTrue(e)
            | Expr::IsFalse(e)
            | Expr::IsNotFalse(e)
            | Expr::IsUnknown(e)
            | Expr::IsNotUnknown(e)
                if self.is_pg() =>
            {
                let b = self.expr(e, ctx);
                let clause = match expr {
                    Expr::IsTrue(_) => "IS TRUE",
                    Expr::IsNotTrue(_) => "IS NOT TRUE",
                    Expr::IsFalse(_) => "IS FALSE",
                    Expr::IsNotFalse(_) => "IS NOT FALSE",
                    Expr::IsUnknown(_) => "IS UNKNOWN",
                    _ => "IS NOT UNKNOWN",
                };
                self.require_boolean(&b, clause, e);
                BExpr::computed(Typed::new(SqlType::Boolean), &[b])
            }
            Expr::IsNull(e)
            | Expr::IsNotNull(e)
            | Expr::IsTrue(e)
            | Expr::IsNotTrue(e)
            | Expr::IsFalse(e)
            | Expr::IsNotFalse(e)
            | Expr::IsUnknown(e)
            | Expr::IsNotUnknown(e) => {
                let b = self.expr(e, ctx);
                BExpr::computed(Typed::new(SqlType::Boolean), &[b])
            }
            Expr::IsDistinctFrom(a, b) | Expr::IsNotDistinctFrom(a, b) => {
                let a = self.expr(a, ctx);
                let b = self.expr(b, ctx);
                self.check_comparison(&a, &b, expr);
                BExpr::computed(Typed::new(SqlType::Boolean), &[a, b])
            }
            Expr::In {
                expr: e,
                target: InTarget::List(list),
                ..
            } => {
                let mut parts = vec![self.expr(e, ctx)];
                for item in list {
                    let b = self.expr(item, ctx);
                    self.check_comparison(&parts[0], &b, item);
                    parts.push(b);
                }
                BExpr::computed(Typed::new(SqlType::Boolean), &parts)
            }
            Expr::In {
                expr: e,
                target: InTarget::Subquery(subquery),
                ..
            } => {
                let a = self.expr(e, ctx);
                let q = self.query(subquery, Some(ctx.scope));
                let mut b = BExpr::of(SqlType::Unknown);
                if let Some(c) = q.columns.first() {
                    b.typed = Typed::new(c.ty.clone());
                    b.lineage = c.lineage.clone();
                    self.check_quantified(&a, &b, expr);
                }
                BExpr::computed(Typed::new(SqlType::Boolean), &[a, b])
            }
            Expr::Between {
                expr: e, low, high, ..
            } => {
                let a = self.expr(e, ctx);
                let l = self.expr(low, ctx);
                let h = self.expr(high, ctx);
                self.check_ordering(&a, &l, low.as_ref());
                self.check_ordering(&a, &h, high.as_ref());
                BExpr::computed(Typed::new(SqlType::Boolean), &[a, l, h])
            }
            Expr::Like {
                expr: e, pattern, ..
            }
            | Expr::ILike {
                expr: e, pattern, ..
            }
            | Expr::SimilarTo {
                expr: e, pattern, ..
            }
            | Expr::RLike {
                expr: e, pattern, ..
            } => {
                let a = self.expr(e, ctx);
                let quantified = quantified_arg(pattern).filter(|_| self.is_pg());
                let p = self.expr(quantified.unwrap_or(pattern), ctx);
                if self.is_pg() {
                    let (op, any) = match expr {
                        Expr::Like { any, .. } => (Some("~~"), *any),
                        Expr::ILike { any, .. } => (Some("~~*"), *any),
                        _ => (None, false),
                    };
                    let pt = if any || quantified.is_some() {
                        Typed::new(self.element_of(&p.typed.ty))
                    } else {
                        p.typed.clone()
                    };
                    if let Some(op) = op
                        && !pt.ty.is_unknown()
                    {
                        self.call_type(op, &[a.typed.clone(), pt], expr);
                    }
                }
                BExpr::computed(Typed::new(SqlType::Boolean), &[a, p])
            }
            Expr::AnyOp {
                left,
                right,
                compare_op,
                ..
            }
            | Expr::AllOp {
                left,
                right,
                compare_op,
            } => {
                let a = self.expr(left, ctx);
                let b = self.expr(right, ctx);
                if !self.is_pg() && matches!(right.as_ref(), Expr::Subquery(_)) {
                    self.check_quantified(&a, &b, expr);
                }
                if self.is_pg() && !matches!(right.as_ref(), Expr::Subquery(_)) {
                    let elem = BExpr::of(self.element_of(&b.typed.ty));
                    if !elem.typed.ty.is_unknown() {
                        let op = if matches!(compare_op, BinaryOperator::Eq | BinaryOperator::NotEq)
                        {
                            CompareOp::Equality
                        } else {
                            CompareOp::Ordering
                        };
                        self.check_compare(op, &a, &elem, expr);
                    }
                }
                BExpr::computed(Typed::new(SqlType::Boolean), &[a, b])
            }
            Expr::Case {
                operand,
                conditions,
                else_result,
                ..
            } => self.case(
                expr,
                operand.as_deref(),
                conditions,
                else_result.as_deref(),
                ctx,
            ),
            Expr::Function(f) => self.function(f, expr, ctx),
            Expr::Exists { subquery, .. } => {
                let q = self.query(subquery, Some(ctx.scope));
                let parts: Vec<BExpr> = q
                    .columns
                    .iter()
                    .map(|c| BExpr {
                        lineage: super::scope::as_filter(&c.lineage),
                        ..BExpr::of(SqlType::Boolean)
                    })
                    .collect();
                BExpr::computed(Typed::new(SqlType::Boolean), &parts)
            }
            Expr::Subquery(q) => {
                let bound = self.query(q, Some(ctx.scope));
                match bound.columns.first() {
                    Some(c) if !bound.opaque => BExpr::computed(
                        Typed::new(c.ty.clone()),
                        &[BExpr {
                            lineage: c.lineage.clone(),
                            ..BExpr::of(SqlType::Unknown)
                        }],
                    ),
                    _ => BExpr::of(SqlType::Unknown),
                }
            }
            Expr::Extract { expr: e, .. } if self.is_pg() => {
                let b = self.expr(e, ctx);
                let args = [Typed::string_literal(), b.typed.clone()];
                let ty = self.call_type("extract", &args, expr);
                BExpr::computed(ty, &[b])
            }
            Expr::Extract { field, expr: e, .. } => {
                let b = self.expr(e, ctx);
                let ty = match field {
                    _ if self.is_pg() => SqlType::Decimal {
                        width: 18,
                        scale: 3,
                    },
                    DateTimeField::Epoch => SqlType::Double,
                    _ => SqlType::BigInt,
                };
                BExpr::computed(Typed::new(ty), &[b])
            }
            Expr::Ceil { expr: e, field } | Expr::Floor { expr: e, field } => {
                let name = if matches!(expr, Expr::Ceil { .. }) {
                    "ceil"
                } else {
                    "floor"
                };
                let b = self.expr(e, ctx);
                let mut args = vec![b.typed.clone()];
                if self.is_pg()
                    && let sqlparser::ast::CeilFloorKind::Scale(v) = field
                {
                    // Postgres has no ceil/floor with a scale: the call does not bind.
                    args.push(literal(&v.value).typed);
                }
                let ty = self.call_type(name, &args, expr);
                BExpr::computed(ty, &[b])
            }
            Expr::Overlay {
                expr: e,
                overlay_what,
                overlay_from,
                overlay_for,
            } => {
                let parts: Vec<BExpr> = [
                    Some(e),
                    Some(overlay_what),
                    Some(overlay_from),
                    overlay_for.as_ref(),
                ]
                .into_iter()
                .flatten()
                .map(|x| self.expr(x, ctx))
                .collect();
                let ty = if self.is_pg() {
                    let types: Vec<Typed> = parts.iter().map(|p| p.typed.clone()).collect();
                    self.call_type("overlay", &types, expr)
                } else {
                    Typed::unknown()
                };
                BExpr::computed(ty, &parts)
            }
            Expr::Position { expr: a, r#in } => {
                let a = self.expr(a, ctx);
                let b = self.expr(r#in, ctx);
                let ty = if self.is_pg() {
                    self.call_type("position", &[b.typed.clone(), a.typed.clone()], expr)
                        .ty
                } else {
                    SqlType::BigInt
                };
                BExpr::computed(Typed::new(ty), &[a, b])
            }
            Expr::Substring {
                expr: e,
                substring_from,
                substring_for,
                ..
            } => {
                let mut parts = vec![self.expr(e, ctx)];
                for x in [substring_from, substring_for].into_iter().flatten() {
                    parts.push(self.expr(x, ctx));
                }
                let types: Vec<Typed> = parts.iter().map(|p| p.typed.clone()).collect();
                let ty = self.call_type("substring", &types, expr);
                BExpr::computed(ty, &parts)
            }
            Expr::Trim {
                expr: e,
                trim_where,
                trim_what,
                trim_characters,
                ..
            } => {
                let mut parts = vec![self.expr(e, ctx)];
                for x in trim_what
                    .iter()
                    .map(|b| b.as_ref())
                    .chain(trim_characters.iter().flatten())
                {
                    parts.push(self.expr(x, ctx));
                }
                let types: Vec<Typed> = parts.iter().map(|p| p.typed.clone()).collect();
                let name = match trim_where {
                    _ if !self.is_pg() => "trim",
                    Some(sqlparser::ast::TrimWhereField::Leading) => "ltrim",
                    Some(sqlparser::ast::TrimWhereField::Trailing) => "rtrim",
                    _ => "btrim",
                };
                let ty = self.call_type(name, &types, expr);
                BExpr::computed(ty, &parts)
            }
            Expr::Collate { expr: e, .. } | Expr::Named { expr: e, .. } => self.expr(e, ctx),
            Expr::Interval(iv) => {
                let b = self.expr(&iv.value, ctx);
                BExpr::computed(Typed::new(SqlType::Interval), &[b])
            }
            Expr::AtTimeZone {
                timestamp,
                time_zone,
            } if self.is_pg() => {
                let b = self.expr(timestamp, ctx);
                let z = self.expr(time_zone, ctx);
                let ty = self.call_type("timezone", &[z.typed.clone(), b.typed.clone()], expr);
                BExpr::computed(ty, &[b, z])
            }
            Expr::AtTimeZone { timestamp, .. } => {
                let b = self.expr(timestamp, ctx);
                let ty = match b.typed.ty {
                    SqlType::TimestampTz => SqlType::Timestamp,
                    SqlType::Unknown => SqlType::Unknown,
                    _ => SqlType::TimestampTz,
                };
                BExpr::computed(Typed::new(ty), &[b])
            }
            Expr::Array(arr) => {
                let parts: Vec<BExpr> = arr.elem.iter().map(|e| self.expr(e, ctx)).collect();
                let elem = self.combined_type(&parts, expr);
                BExpr::computed(Typed::new(self.array_of(elem)), &parts)
            }
            Expr::Dictionary(fields) => {
                let mut parts = Vec::new();
                let mut types = Vec::new();
                for f in fields {
                    let b = self.expr(&f.value, ctx);
                    types.push((f.key.value.clone(), literal_default(&b.typed)));
                    parts.push(b);
                }
                BExpr::computed(Typed::new(SqlType::Struct(types)), &parts)
            }
            Expr::Map(map) => {
                let keys: Vec<BExpr> = map.entries.iter().map(|e| self.expr(&e.key, ctx)).collect();
                let values: Vec<BExpr> = map
                    .entries
                    .iter()
                    .map(|e| self.expr(&e.value, ctx))
                    .collect();
                let k = self.combined_type(&keys, expr);
                let v = self.combined_type(&values, expr);
                let mut parts = keys;
                parts.extend(values);
                BExpr::computed(Typed::new(SqlType::Map(Box::new(k), Box::new(v))), &parts)
            }
            Expr::CompoundFieldAccess { root, access_chain } => {
                // `t.col[1]` parses as `t` . `col` [1]: leading dotted names are a
                // (qualified) column reference.
                let mut names = Vec::new();
                if let Expr::Identifier(first) = root.as_ref() {
                    names.push(first.clone());
                    for a in access_chain {
                        match a {
                            AccessExpr::Dot(Expr::Identifier(i)) => names.push(i.clone()),
                            _ => break,
                        }
                    }
                }
                let (mut b, rest) = if names.len() > 1 {
                    let n = names.len() - 1;
                    (self.compound(&names, ctx), &access_chain[n..])
                } else {
                    (self.expr(root, ctx), &access_chain[..])
                };
                for access in rest {
                    b = self.access(b, access, ctx);
                }
                b
            }
            Expr::Lambda(l)
                if !self.is_pg()
                    && matches!(l.syntax, sqlparser::ast::LambdaSyntax::Arrow)
                    && let sqlparser::ast::OneOrManyWithParens::One(p) = &l.params
                    && p.data_type.is_none() =>
            {
                // Outside the arguments of a lambda function, DuckDB reads `col -> '$.a'`
                // as the JSON arrow operator: `col` is a column reference.
                let arrow = Expr::BinaryOp {
                    left: Box::new(Expr::Identifier(p.name.clone())),
                    op: BinaryOperator::Arrow,
                    right: l.body.clone(),
                };
                self.expr(&arrow, ctx)
            }
            Expr::Lambda(l) => {
                let b = self.expr(&l.body, ctx);
                BExpr::computed(Typed::unknown(), &[b])
            }
            _ => {
                self.opaque = true;
                BExpr::of(SqlType::Unknown)
            }
        }
    }
}
