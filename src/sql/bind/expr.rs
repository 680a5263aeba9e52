//! Expressions: name resolution, types and lineage of every expression form the binder
//! models. Anything else is UNKNOWN (never an error).

use sqlparser::ast::{
    AccessExpr, BinaryOperator, DataType, DateTimeField, Expr, Ident, InTarget, Subscript,
    UnaryOperator, Value,
};

use super::Binder;
use super::group::{GroupKeys, normalize};
use super::scope::{Lineage, Resolved, Scope, closest, transformed};
use crate::diagnostics::codes;
use crate::sql::types::{CompareOp, Literal, SqlType, Typed, compare_type, max_type};

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
        }
    }
}

/// The type a CAST or column definition names.
pub(crate) fn data_type(dt: &DataType) -> SqlType {
    SqlType::from_ast(dt)
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
            Expr::Value(v) => literal(&v.value),
            Expr::Nested(inner) => self.expr(inner, ctx),
            Expr::BinaryOp { left, op, right } => self.binary(expr, left, op, right, ctx),
            Expr::UnaryOp {
                op: UnaryOperator::Plus,
                expr: inner,
            } => self.expr(inner, ctx),
            Expr::UnaryOp { op, expr: inner } => {
                let b = self.expr(inner, ctx);
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
                BExpr::computed(Typed::new(data_type(dt)), &[b])
            }
            Expr::TypedString(ts) => BExpr::of(data_type(&ts.data_type)),
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
                    self.check_comparison(&a, &b, expr);
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
                let p = self.expr(pattern, ctx);
                BExpr::computed(Typed::new(SqlType::Boolean), &[a, p])
            }
            Expr::AnyOp { left, right, .. } | Expr::AllOp { left, right, .. } => {
                let a = self.expr(left, ctx);
                let b = self.expr(right, ctx);
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
            Expr::Extract { field, expr: e, .. } => {
                let b = self.expr(e, ctx);
                let ty = match field {
                    DateTimeField::Epoch => SqlType::Double,
                    _ => SqlType::BigInt,
                };
                BExpr::computed(Typed::new(ty), &[b])
            }
            Expr::Ceil { expr: e, .. } | Expr::Floor { expr: e, .. } => {
                let name = if matches!(expr, Expr::Ceil { .. }) {
                    "ceil"
                } else {
                    "floor"
                };
                let b = self.expr(e, ctx);
                let ty = self.call_type(name, std::slice::from_ref(&b.typed), expr);
                BExpr::computed(ty, &[b])
            }
            Expr::Position { expr: a, r#in } => {
                let a = self.expr(a, ctx);
                let b = self.expr(r#in, ctx);
                BExpr::computed(Typed::new(SqlType::BigInt), &[a, b])
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
                let ty = self.call_type("trim", &types, expr);
                BExpr::computed(ty, &parts)
            }
            Expr::Collate { expr: e, .. } | Expr::Named { expr: e, .. } => self.expr(e, ctx),
            Expr::Interval(iv) => {
                let b = self.expr(&iv.value, ctx);
                BExpr::computed(Typed::new(SqlType::Interval), &[b])
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
                BExpr::computed(Typed::new(SqlType::List(Box::new(elem))), &parts)
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

    fn access(&mut self, base: BExpr, access: &AccessExpr, ctx: &ExprCtx<'_, '_>) -> BExpr {
        let ty = match access {
            AccessExpr::Dot(Expr::Identifier(field)) => match &base.typed.ty {
                SqlType::Struct(fields) => fields
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(&field.value))
                    .map_or(SqlType::Unknown, |(_, t)| t.clone()),
                _ => SqlType::Unknown,
            },
            AccessExpr::Dot(_) => SqlType::Unknown,
            AccessExpr::Subscript(Subscript::Index { index }) => {
                self.expr(index, ctx);
                match &base.typed.ty {
                    SqlType::List(e) | SqlType::Array(e, _) => (**e).clone(),
                    SqlType::Map(_, v) => (**v).clone(),
                    SqlType::Varchar => SqlType::Varchar,
                    SqlType::Struct(fields) => match string_literal(index) {
                        Some(key) => fields
                            .iter()
                            .find(|(n, _)| n.eq_ignore_ascii_case(key))
                            .map_or(SqlType::Unknown, |(_, t)| t.clone()),
                        None => SqlType::Unknown,
                    },
                    _ => SqlType::Unknown,
                }
            }
            AccessExpr::Subscript(Subscript::Slice { .. }) => match &base.typed.ty {
                SqlType::Array(e, _) => SqlType::List(e.clone()),
                t => t.clone(),
            },
        };
        BExpr::computed(Typed::new(ty), &[base])
    }

    /// A bare name: a lambda parameter, a column, an earlier SELECT alias, or a keyword
    /// function such as `current_date`.
    fn identifier(&mut self, ident: &Ident, ctx: &ExprCtx<'_, '_>) -> BExpr {
        let name = &ident.value;
        if let Some((_, ty)) = ctx
            .lambdas
            .iter()
            .rev()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            return BExpr::of(ty.clone());
        }
        match ctx.scope.resolve(name) {
            Resolved::Column {
                depth,
                item,
                column,
            } => self.column(depth, item, column, ident, ctx),
            Resolved::Ambiguous(items) => {
                self.error_at(
                    codes::AMBIGUOUS_COLUMN,
                    ident,
                    format!(
                        "column reference \"{name}\" is ambiguous: it exists in {}",
                        items.join(" and ")
                    ),
                    Some(format!("qualify it, e.g. {}.{name}", items[0])),
                );
                BExpr::of(SqlType::Unknown)
            }
            Resolved::NotFound => {
                if let Some((_, b)) = ctx
                    .aliases
                    .iter()
                    .rev()
                    .find(|(a, _)| a.eq_ignore_ascii_case(name))
                {
                    return b.clone();
                }
                if ident.quote_style.is_none()
                    && let Some(ty) = super::function::keyword_function(&name.to_ascii_lowercase())
                {
                    return BExpr::of(ty);
                }
                let names = ctx.scope.visible_names();
                let hint = closest(name, names.iter().map(String::as_str))
                    .map(|c| format!("did you mean \"{c}\"?"));
                self.error_at(
                    codes::UNKNOWN_COLUMN,
                    ident,
                    format!("column \"{name}\" does not exist"),
                    hint,
                );
                BExpr::of(SqlType::Unknown)
            }
        }
    }

    /// A resolved column, with the GROUP BY check.
    fn column(
        &mut self,
        depth: usize,
        item: usize,
        column: Option<usize>,
        at: &impl super::Loc,
        ctx: &ExprCtx<'_, '_>,
    ) -> BExpr {
        let scope_item = ctx.scope.item(depth, item);
        let Some(c) = column else {
            return BExpr {
                copy: true,
                ..BExpr::of(SqlType::Unknown)
            };
        };
        let col = &scope_item.columns[c];
        let out = BExpr {
            typed: Typed::new(col.ty.clone()),
            lineage: col.lineage.clone(),
            copy: true,
            agg: false,
            window: false,
            column_name: Some(col.name.clone()),
        };
        if depth == 0
            && let Some(keys) = ctx.group
            && !ctx.in_agg
            && !keys.columns.contains(&(item, c))
            && !keys.texts.contains(&col.name.to_ascii_lowercase())
        {
            let name = col.name.clone();
            self.error_at(
                codes::NOT_GROUPED,
                at,
                format!("column \"{name}\" must appear in the GROUP BY clause or be used in an aggregate function"),
                Some(format!("add \"{name}\" to GROUP BY, wrap it in an aggregate such as any_value({name}), or use GROUP BY ALL")),
            );
        }
        out
    }

    /// `t.col`, `schema.t.col`, or struct field access `col.field` / `t.col.field`.
    fn compound(&mut self, parts: &[Ident], ctx: &ExprCtx<'_, '_>) -> BExpr {
        let names: Vec<String> = parts.iter().map(|p| p.value.clone()).collect();
        let last = parts.last().expect("compound identifier has parts");
        if let Some((_, ty)) = ctx
            .lambdas
            .iter()
            .rev()
            .find(|(n, _)| n.eq_ignore_ascii_case(&names[0]))
        {
            let b = BExpr::of(ty.clone());
            return self.fields(b, &names[1..], last);
        }
        // Qualifier = all but the last part.
        for split in (1..names.len()).rev() {
            let (qualifier, rest) = names.split_at(split);
            if let Some((depth, item)) = ctx.scope.find_item(qualifier) {
                let scope_item = ctx.scope.item(depth, item);
                if scope_item.opaque {
                    return BExpr {
                        copy: rest.len() == 1,
                        ..BExpr::of(SqlType::Unknown)
                    };
                }
                let Some(c) = scope_item.column_index(&rest[0]) else {
                    let hint =
                        closest(&rest[0], scope_item.columns.iter().map(|c| c.name.as_str()))
                            .map(|c| format!("did you mean \"{}.{c}\"?", qualifier.join(".")));
                    self.error_at(
                        codes::UNKNOWN_COLUMN,
                        &parts[split],
                        format!(
                            "table \"{}\" does not have a column named \"{}\"",
                            qualifier.join("."),
                            rest[0]
                        ),
                        hint,
                    );
                    return BExpr::of(SqlType::Unknown);
                };
                let b = self.column(depth, item, Some(c), &parts[split], ctx);
                return self.fields(b, &rest[1..], last);
            }
        }
        // `col.field...`: a struct column.
        if let Resolved::Column {
            depth,
            item,
            column,
        } = ctx.scope.resolve(&names[0])
        {
            let b = self.column(depth, item, column, &parts[0], ctx);
            return self.fields(b, &names[1..], last);
        }
        if ctx.scope.has_opaque() {
            return BExpr::of(SqlType::Unknown);
        }
        let qualifier = names[..names.len() - 1].join(".");
        let tables: Vec<String> = ctx
            .scope
            .items
            .iter()
            .filter_map(|i| i.alias.clone())
            .collect();
        let hint = closest(&qualifier, tables.iter().map(String::as_str))
            .map(|c| format!("did you mean \"{c}.{}\"?", last.value));
        self.error_at(
            codes::UNKNOWN_RELATION,
            &parts[0],
            format!("referenced table \"{qualifier}\" not found"),
            hint.or_else(|| {
                (!tables.is_empty()).then(|| format!("tables in scope: {}", tables.join(", ")))
            }),
        );
        BExpr::of(SqlType::Unknown)
    }

    /// Struct field access on a bound value.
    fn fields(&mut self, mut b: BExpr, fields: &[String], at: &Ident) -> BExpr {
        for f in fields {
            let ty = match &b.typed.ty {
                SqlType::Struct(fs) => match fs.iter().find(|(n, _)| n.eq_ignore_ascii_case(f)) {
                    Some((_, t)) => t.clone(),
                    None => {
                        let hint = closest(f, fs.iter().map(|(n, _)| n.as_str()))
                            .map(|c| format!("did you mean \"{c}\"?"));
                        self.error_at(
                            codes::UNKNOWN_COLUMN,
                            at,
                            format!("struct has no field \"{f}\""),
                            hint,
                        );
                        SqlType::Unknown
                    }
                },
                _ => SqlType::Unknown,
            };
            b = BExpr::computed(Typed::new(ty), &[b]);
        }
        b
    }

    fn binary(
        &mut self,
        expr: &Expr,
        left: &Expr,
        op: &BinaryOperator,
        right: &Expr,
        ctx: &ExprCtx<'_, '_>,
    ) -> BExpr {
        let l = self.expr(left, ctx);
        let r = self.expr(right, ctx);
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
            return match self.catalog.bind_call(name, args) {
                Ok(ty) => Typed::new(ty),
                Err(_) => Typed::unknown(),
            };
        }
        match self.catalog.bind_call(name, args) {
            Ok(ty) => Typed::new(ty),
            Err(e) => {
                self.call_error(e, name, args, at);
                Typed::unknown()
            }
        }
    }

    fn check_comparison(&mut self, a: &BExpr, b: &BExpr, at: &impl super::Loc) {
        self.check_compare(CompareOp::Equality, a, b, at);
    }

    fn check_ordering(&mut self, a: &BExpr, b: &BExpr, at: &impl super::Loc) {
        self.check_compare(CompareOp::Ordering, a, b, at);
    }

    fn check_compare(&mut self, op: CompareOp, a: &BExpr, b: &BExpr, at: &impl super::Loc) {
        if compare_type(op, &a.typed, &b.typed).is_none() {
            self.error_at(
                codes::TYPE_MISMATCH,
                at,
                format!(
                    "cannot compare values of type {} and type {}",
                    a.typed.ty, b.typed.ty
                ),
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
                Some(a) => match max_type(&a, &p.typed) {
                    Some(t) => Some(t),
                    None => {
                        self.error_at(
                            codes::TYPE_MISMATCH,
                            at,
                            format!(
                                "cannot combine values of type {} and type {}",
                                a.ty, p.typed.ty
                            ),
                            Some("add an explicit cast".into()),
                        );
                        Some(Typed::unknown())
                    }
                },
            };
        }
        acc.map_or(SqlType::Null, |t| literal_default(&t))
    }

    fn case(
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
            }
            conds.push(c);
            results.push(self.expr(&w.result, ctx));
        }
        if let Some(e) = else_result {
            results.push(self.expr(e, ctx));
        }
        let ty = self.combined_type(&results, expr);
        let mut parts = results;
        parts.extend(conds);
        parts.extend(op);
        BExpr::computed(Typed::new(ty), &parts)
    }
}

/// The type of a literal value.
fn literal(v: &Value) -> BExpr {
    let typed = match v {
        Value::Number(n, _) => number_type(n),
        Value::Boolean(_) => Typed::new(SqlType::Boolean),
        Value::Null => Typed {
            ty: SqlType::Null,
            literal: Literal::Null,
        },
        Value::SingleQuotedString(_)
        | Value::EscapedStringLiteral(_)
        | Value::DollarQuotedString(_)
        | Value::TripleSingleQuotedString(_)
        | Value::NationalStringLiteral(_)
        | Value::UnicodeStringLiteral(_) => Typed {
            ty: SqlType::Varchar,
            literal: Literal::String,
        },
        // DuckDB reads x'00' as a string literal.
        Value::HexStringLiteral(_) => Typed {
            ty: SqlType::Varchar,
            literal: Literal::String,
        },
        Value::SingleQuotedByteStringLiteral(_) => Typed::new(SqlType::Blob),
        _ => Typed::unknown(),
    };
    BExpr {
        typed,
        ..BExpr::of(SqlType::Unknown)
    }
}

/// DuckDB's type for a numeric literal: INTEGER/BIGINT/HUGEINT by value, DECIMAL(w,s)
/// for a literal with a point, DOUBLE with an exponent.
fn number_type(text: &str) -> Typed {
    let clean: String = text.chars().filter(|c| *c != '_').collect();
    if clean.contains(['e', 'E']) {
        return Typed::new(SqlType::Double);
    }
    if let Some((int, frac)) = clean.split_once('.') {
        let int = int.trim_start_matches('0');
        let width = int.len().max(1) + frac.len();
        if width > 38 {
            return Typed::new(SqlType::Double);
        }
        return Typed::new(SqlType::Decimal {
            width: width.max(frac.len()) as u8,
            scale: frac.len() as u8,
        });
    }
    match clean.parse::<i128>() {
        Ok(v) => {
            let ty = if i32::try_from(v).is_ok() {
                SqlType::Integer
            } else if i64::try_from(v).is_ok() {
                SqlType::BigInt
            } else {
                SqlType::HugeInt
            };
            Typed {
                ty,
                literal: Literal::Integer(v),
            }
        }
        Err(_) if clean.parse::<u128>().is_ok() => Typed::new(SqlType::UHugeInt),
        Err(_) => Typed::new(SqlType::Double),
    }
}

/// The text of a string literal expression.
pub(crate) fn string_literal(e: &Expr) -> Option<&str> {
    match e {
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) => Some(s),
            _ => None,
        },
        Expr::Nested(inner) => string_literal(inner),
        _ => None,
    }
}

/// The type a literal has once it is a value in a column (string literals are VARCHAR).
pub(crate) fn literal_default(t: &Typed) -> SqlType {
    t.ty.clone()
}
