//! Function calls: scalar, aggregate (with DISTINCT / FILTER / ORDER BY), window (OVER),
//! lambdas over lists, and `count(*)`.

use sqlparser::ast::{
    Expr, Function, FunctionArg, FunctionArgExpr, FunctionArgOperator, FunctionArguments,
    WindowType,
};

use super::Binder;
use super::expr::{BExpr, ExprCtx};
use crate::diagnostics::codes;
use crate::sql::catalog::{CallError, FunctionKind};
use crate::sql::types::{SqlType, Typed};

impl Binder<'_> {
    pub(crate) fn function(&mut self, f: &Function, at: &Expr, ctx: &ExprCtx<'_, '_>) -> BExpr {
        let name = f
            .name
            .0
            .last()
            .and_then(|p| p.as_ident())
            .map_or(String::new(), |i| i.value.to_ascii_lowercase());
        if matches!(f.args, FunctionArguments::None)
            && let Some(ty) = keyword_function(&name)
        {
            return BExpr::of(ty);
        }
        if !self.is_pg()
            && let Some(call) = method_call(f, ctx)
        {
            return self.function(&call, at, ctx);
        }
        if matches!(name.as_str(), "grouping" | "grouping_id") {
            let ty = if self.is_pg() {
                SqlType::Integer
            } else {
                SqlType::BigInt
            };
            let FunctionArguments::List(list) = &f.args else {
                return BExpr::of(ty);
            };
            let plain = ExprCtx {
                group: None,
                ..ctx.clone()
            };
            let parts: Vec<BExpr> = list
                .args
                .iter()
                .filter_map(|a| match a {
                    FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(self.expr(e, &plain)),
                    _ => None,
                })
                .collect();
            return BExpr::computed(Typed::new(ty), &parts);
        }
        let kind = self.fn_kind(&name);
        let windowed = f.over.is_some();
        let aggregate = kind == Some(FunctionKind::Aggregate) && !windowed;
        if aggregate {
            if ctx.in_agg {
                self.error_at(
                    codes::AGGREGATE_MISUSE,
                    at,
                    format!("aggregate function calls cannot be nested ({name})"),
                    Some("compute the inner aggregate in a CTE or subquery first".into()),
                );
            } else if !ctx.allow_agg {
                self.error_at(
                    codes::AGGREGATE_MISUSE,
                    at,
                    format!("aggregate function \"{name}\" is not allowed here"),
                    Some(
                        "aggregates belong in the SELECT list, HAVING, QUALIFY or ORDER BY".into(),
                    ),
                );
            }
        }
        if windowed && !ctx.allow_window {
            self.error_at(
                codes::AGGREGATE_MISUSE,
                at,
                format!("window function \"{name}\" is not allowed here"),
                Some("window functions belong in the SELECT list, QUALIFY or ORDER BY".into()),
            );
        }
        if kind == Some(FunctionKind::Window) && !windowed {
            self.error_at(
                codes::AGGREGATE_MISUSE,
                at,
                format!("window function \"{name}\" requires an OVER clause"),
                None,
            );
        }
        // An unknown function may be an aggregate: its arguments are not GROUP BY-checked
        // (the unknown function is the finding). So may a macro, but not DuckDB's scalar
        // `nullif` macro (`CASE WHEN a = b THEN NULL ELSE a END`), whose arguments may be
        // aggregates (`x / nullif(sum(y), 0)`), nor its list macros (`list_sum(l)`,
        // `list_reverse(l)`), which work on one list value.
        let macro_maybe_aggregate = self.fn_macro_only(&name)
            && name != "nullif"
            && !name.starts_with("list_")
            && !name.starts_with("array_");
        let arg_ctx = ExprCtx {
            in_agg: ctx.in_agg
                || aggregate
                || ((kind.is_none() || macro_maybe_aggregate) && !windowed),
            allow_agg: ctx.allow_agg && !aggregate,
            allow_window: ctx.allow_window && !aggregate && !windowed,
            ..ctx.clone()
        };
        let args: Vec<&FunctionArg> = match &f.args {
            FunctionArguments::List(list) => list.args.iter().collect(),
            _ => Vec::new(),
        };
        if let FunctionArguments::Subquery(q) = &f.args {
            let bound = self.query(q, Some(ctx.scope));
            self.opaque |= bound.opaque;
            if name == "array" && !bound.opaque {
                // `ARRAY(SELECT x ...)`: an array (DuckDB: a list) of the subquery's only
                // column; DuckDB refuses a subquery of several columns.
                if !self.is_pg() && bound.columns.len() > 1 {
                    self.error_at(
                        codes::SET_OP_ARITY,
                        at,
                        format!(
                            "ARRAY(subquery) returns {} columns - expected 1",
                            bound.columns.len()
                        ),
                        None,
                    );
                    return BExpr::of(SqlType::Unknown);
                }
                if let Some(c) = bound.columns.first() {
                    let elem = self.output_type(&c.ty);
                    let lineage = super::scope::transformed(&c.lineage);
                    let mut out = BExpr::of(self.array_of(elem));
                    if !self.is_pg() {
                        out.lineage = lineage;
                    }
                    return out;
                }
            }
            return BExpr::of(SqlType::Unknown);
        }
        let mut parts = Vec::new();
        let mut types = Vec::new();
        let mut star = false;
        let mut lambda_result = None;
        let mut lambdas = 0;
        let mut named = false;
        let mut named_args: Vec<(String, Typed)> = Vec::new();
        for arg in &args {
            let e = match arg {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => e,
                // `f(a = 1)` is a comparison in DuckDB; sqlparser reads a named argument.
                FunctionArg::Named {
                    name: n,
                    arg: FunctionArgExpr::Expr(e),
                    operator: FunctionArgOperator::Equals,
                } => {
                    let eq = Expr::BinaryOp {
                        left: Box::new(Expr::Identifier(n.clone())),
                        op: sqlparser::ast::BinaryOperator::Eq,
                        right: Box::new(e.clone()),
                    };
                    let b = self.expr(&eq, &arg_ctx);
                    types.push(b.typed.clone());
                    parts.push(b);
                    continue;
                }
                FunctionArg::ExprNamed {
                    name: n,
                    arg: FunctionArgExpr::Expr(e),
                    operator: FunctionArgOperator::Equals,
                } => {
                    let eq = Expr::BinaryOp {
                        left: Box::new(n.clone()),
                        op: sqlparser::ast::BinaryOperator::Eq,
                        right: Box::new(e.clone()),
                    };
                    let b = self.expr(&eq, &arg_ctx);
                    types.push(b.typed.clone());
                    parts.push(b);
                    continue;
                }
                FunctionArg::Named {
                    arg: FunctionArgExpr::Expr(e),
                    ..
                }
                | FunctionArg::ExprNamed {
                    arg: FunctionArgExpr::Expr(e),
                    ..
                } => {
                    let b = self.expr(e, &arg_ctx);
                    named_args.push((argument_name(arg), b.typed.clone()));
                    parts.push(b);
                    named = true;
                    continue;
                }
                FunctionArg::Unnamed(FunctionArgExpr::QualifiedWildcard(_)) if self.is_pg() => {
                    // `f(t.*)`: the whole row.
                    types.push(Typed::new(self.pg.sql_type("record")));
                    continue;
                }
                _ => {
                    star = true;
                    continue;
                }
            };
            if let Expr::Lambda(lambda) = e {
                let elem = types.first().map_or(SqlType::Unknown, |t: &Typed| {
                    super::from::element_type(&t.ty)
                });
                let mut lctx = arg_ctx.clone();
                for p in lambda.params.iter() {
                    lctx.lambdas.push((p.name.value.clone(), elem.clone()));
                }
                let body = self.expr(&lambda.body, &lctx);
                lambda_result = Some(body.typed.ty.clone());
                lambdas += 1;
                parts.push(body);
                continue;
            }
            let b = self.expr(e, &arg_ctx);
            types.push(b.typed.clone());
            parts.push(b);
        }
        if let Some(filter) = &f.filter {
            parts.push(self.expr(filter, &arg_ctx));
        }
        if let FunctionArguments::List(list) = &f.args {
            for clause in &list.clauses {
                if let sqlparser::ast::FunctionArgumentClause::OrderBy(obs) = clause {
                    for ob in obs {
                        parts.push(self.expr(&ob.expr, &arg_ctx));
                    }
                }
            }
        }
        for ob in &f.within_group {
            parts.push(self.expr(&ob.expr, &arg_ctx));
        }
        let spec = match &f.over {
            Some(WindowType::WindowSpec(spec)) => Some(spec),
            Some(WindowType::NamedWindow(name)) => named_window(ctx.windows, &name.value),
            None => None,
        };
        if let Some(spec) = spec {
            let wctx = ExprCtx {
                allow_window: false,
                allow_agg: ctx.allow_agg,
                ..ctx.clone()
            };
            for e in &spec.partition_by {
                parts.push(self.expr(e, &wctx));
            }
            for ob in &spec.order_by {
                parts.push(self.expr(&ob.expr, &wctx));
            }
        }
        let ty = if let Some(body) = lambda_result {
            if self.fn_kind(&name).is_none() {
                self.resolve_call(&name, f, &types);
                lambda_type(&name, &types, body)
            } else if !self.is_pg()
                && !star
                && !named
                && let Some(candidates) = self
                    .catalog
                    .lambda_arity_mismatch(&name, types.len() + lambdas)
            {
                // `list_transform(l, x -> x, 1)`: no overload takes that many arguments.
                self.call_error(CallError::NoOverload { candidates }, &name, &types, &f.name);
                Typed::unknown()
            } else {
                lambda_type(&name, &types, body)
            }
        } else if self.is_pg() && user_schema(f) {
            // `myschema.my_function(...)`: a user-defined function dbtc cannot see.
            Typed::unknown()
        } else if self.is_pg() && f.name.0.len() > 1 && !self.pg.funcs.contains_key(&name) {
            // `pg_catalog.f(...)` that pg_catalog lacks: never a user-defined function.
            let suggestions = self.pg.suggestions(&name);
            self.call_error(CallError::Unknown { suggestions }, &name, &types, &f.name);
            Typed::unknown()
        } else if self.is_pg() && named {
            // Postgres' named notation (`f(a => 1)`): checked against the parameter names.
            // `a = 1` is a comparison, a positional argument.
            let is_named = |a: &&&FunctionArg| match a {
                FunctionArg::Named { operator, .. } | FunctionArg::ExprNamed { operator, .. } => {
                    *operator != FunctionArgOperator::Equals
                }
                FunctionArg::Unnamed(_) => false,
            };
            if args
                .iter()
                .skip_while(|a| !is_named(a))
                .any(|a| !is_named(&a))
            {
                // Postgres' parse-analysis error (a syntax error, but sqlparser and
                // DuckDB's parser accept the call): reported as a call that cannot match.
                self.error_at(
                    codes::NO_OVERLOAD,
                    &f.name,
                    "positional argument cannot follow named argument".into(),
                    Some("put the positional arguments first".into()),
                );
                Typed::unknown()
            } else {
                match self.bind_named_call_d(&name, &types, &named_args) {
                    Ok(ty) => Typed::new(ty),
                    Err(e) => {
                        let mut all = types.clone();
                        all.extend(named_args.iter().map(|(_, t)| t.clone()));
                        self.call_error(e, &name, &all, &f.name);
                        Typed::unknown()
                    }
                }
            }
        } else if self.is_pg() && !f.within_group.is_empty() {
            let mut all = types.clone();
            for ob in &f.within_group {
                all.push(self.expr(&ob.expr, &arg_ctx).typed);
            }
            self.resolve_call(&name, f, &all)
        } else if self.is_pg() && star && name == "count" && types.is_empty() {
            Typed::new(SqlType::BigInt)
        } else if self.is_pg() && star {
            // `f(t.*)`: a whole row; only the name is checked.
            if self.fn_kind(&name).is_none() {
                self.resolve_call(&name, f, &[]);
            }
            Typed::unknown()
        } else if self.is_pg() {
            self.resolve_call(&name, f, &types)
        } else if name == "unnest" {
            if let Some(t) = types.first()
                && t.literal == crate::sql::types::Literal::No
                && !matches!(
                    t.ty,
                    SqlType::List(_)
                        | SqlType::Array(..)
                        | SqlType::Struct(_)
                        | SqlType::Null
                        | SqlType::Union(_)
                        | SqlType::Other(_)
                        | SqlType::Unknown
                )
            {
                let shown = self.show(&t.ty);
                self.error_at(
                    codes::NO_OVERLOAD,
                    at,
                    format!("UNNEST() applies to lists, structs and NULL, not {shown}"),
                    None,
                );
            }
            let struct_arg = matches!(types.first().map(|t| &t.ty), Some(SqlType::Struct(_)));
            if args.len() > 1 || struct_arg {
                // Expands into several columns (the struct's fields, recursively).
                self.opaque = true;
                self.expanding = true;
                Typed::unknown()
            } else {
                Typed::new(super::from::element_type(
                    &types.first().map_or(SqlType::Unknown, |t| t.ty.clone()),
                ))
            }
        } else if name == "struct_extract"
            && let (Some(SqlType::Struct(fields)), Some(key)) =
                (types.first().map(|t| &t.ty), positional_string(&args, 1))
        {
            Typed::new(
                fields
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(key))
                    .map_or(SqlType::Unknown, |(_, t)| t.clone()),
            )
        } else if name == "columns" {
            self.opaque = true;
            self.expanding = true;
            Typed::unknown()
        } else if !f.within_group.is_empty()
            && let Some(inner) = ordered_set_function(&name)
        {
            let mut inner_types = Vec::new();
            if let Some(ob) = f.within_group.first() {
                inner_types.push(self.expr(&ob.expr, &arg_ctx).typed);
            }
            if name != "mode" {
                inner_types.extend(types.iter().cloned());
            }
            self.resolve_call(inner, f, &inner_types)
        } else if star && name == "count" && types.is_empty() {
            Typed::new(SqlType::BigInt)
        } else if let Some(t) = self.list_aggregate(&name, &types, &args, at) {
            t
        } else if name == "struct_pack"
            && let Some(t) = self.struct_pack(&args, &parts, at)
        {
            t
        } else {
            self.resolve_call(&name, f, &types)
        };
        let mut out = BExpr::computed(ty, &parts);
        out.agg = aggregate || (out.agg && !windowed);
        out.window = windowed || out.window;
        out
    }

    fn resolve_call(&mut self, name: &str, f: &Function, types: &[Typed]) -> Typed {
        // An UNKNOWN argument can be anything; overloads over nested types (structs, maps
        // inside lists) are the catalog's weakest part. Either way a "no overload" is only
        // reported when no overload takes this many arguments.
        if types
            .iter()
            .any(|t| t.ty.contains_unknown() || holds_struct_or_map(&t.ty))
        {
            return match self.bind_call_d(name, types) {
                Ok(ty) => Typed::new(ty),
                Err(CallError::NoOverload { candidates })
                    if candidates.iter().any(|c| takes(c, types.len())) =>
                {
                    Typed::unknown()
                }
                Err(e) => {
                    self.call_error(e, name, types, &f.name);
                    Typed::unknown()
                }
            };
        }
        match self.bind_call_d(name, types) {
            Ok(ty) => Typed::new(ty),
            Err(e) => {
                self.call_error(e, name, types, &f.name);
                Typed::unknown()
            }
        }
    }
}

/// The result of a list function taking a lambda.
fn lambda_type(name: &str, args: &[Typed], body: SqlType) -> Typed {
    let list = args
        .first()
        .map(|t| t.ty.clone())
        .unwrap_or(SqlType::Unknown);
    let ty = match name {
        "list_transform" | "array_transform" | "apply" | "list_apply" | "array_apply" => {
            SqlType::List(Box::new(body))
        }
        "list_filter" | "array_filter" | "filter" => list,
        "list_reduce" | "array_reduce" | "reduce" => super::from::element_type(&list),
        _ => SqlType::Unknown,
    };
    Typed::new(ty)
}

/// SQL keywords that are values: `current_date`, `current_timestamp`, ...
pub(crate) fn keyword_function(name: &str) -> Option<SqlType> {
    Some(match name {
        "current_date" => SqlType::Date,
        "current_time" | "localtime" => SqlType::TimeTz,
        "localtimestamp" => SqlType::Timestamp,
        "current_timestamp" => SqlType::TimestampTz,
        _ => return None,
    })
}

/// `percentile_cont(0.5) WITHIN GROUP (ORDER BY x)` is DuckDB's `quantile_cont(x, 0.5)`.
fn ordered_set_function(name: &str) -> Option<&'static str> {
    Some(match name {
        "percentile_cont" => "quantile_cont",
        "percentile_disc" => "quantile_disc",
        "mode" => "mode",
        _ => return None,
    })
}

/// The `i`th positional argument when it is a string literal.
fn positional_string<'a>(args: &[&'a FunctionArg], i: usize) -> Option<&'a str> {
    match args.get(i)? {
        FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => super::literal::string_literal(e),
        _ => None,
    }
}

/// The definition of a named window, following `WINDOW w2 AS (w1 ...)` references.
fn named_window<'a>(
    windows: &'a [sqlparser::ast::NamedWindowDefinition],
    name: &str,
) -> Option<&'a sqlparser::ast::WindowSpec> {
    let mut name = name;
    for _ in 0..windows.len() {
        let def = windows
            .iter()
            .find(|w| w.0.value.eq_ignore_ascii_case(name))?;
        match &def.1 {
            sqlparser::ast::NamedWindowExpr::WindowSpec(spec) => return Some(spec),
            sqlparser::ast::NamedWindowExpr::NamedWindow(other) => name = &other.value,
        }
    }
    None
}

/// Whether a type is, or holds, a STRUCT or MAP.
fn holds_struct_or_map(ty: &SqlType) -> bool {
    match ty {
        SqlType::Struct(_) | SqlType::Map(..) | SqlType::Union(_) => true,
        SqlType::List(e) | SqlType::Array(e, _) => holds_struct_or_map(e),
        _ => false,
    }
}

/// `col.upper()` (DuckDB's method-call syntax) as `upper(col)`, when the name's first part
/// is a column in scope rather than a schema.
fn method_call(f: &Function, ctx: &ExprCtx<'_, '_>) -> Option<Function> {
    let parts: Vec<&sqlparser::ast::Ident> = f.name.0.iter().filter_map(|p| p.as_ident()).collect();
    if parts.len() < 2 || parts.len() != f.name.0.len() {
        return None;
    }
    let (receiver, method) = parts.split_at(parts.len() - 1);
    let resolves = match receiver {
        [one] => matches!(
            ctx.scope.resolve(&one.value),
            super::scope::Resolved::Column { .. }
        ),
        many => {
            let names: Vec<String> = many[..many.len() - 1]
                .iter()
                .map(|i| i.value.clone())
                .collect();
            ctx.scope.find_item(&names).is_some()
        }
    };
    if !resolves {
        return None;
    }
    let receiver_expr = match receiver {
        [one] => Expr::Identifier((*one).clone()),
        many => Expr::CompoundIdentifier(many.iter().map(|i| (*i).clone()).collect()),
    };
    let mut call = f.clone();
    call.name = sqlparser::ast::ObjectName::from(vec![method[0].clone()]);
    let first = FunctionArg::Unnamed(FunctionArgExpr::Expr(receiver_expr));
    match &mut call.args {
        FunctionArguments::List(list) => list.args.insert(0, first),
        _ => {
            call.args = FunctionArguments::List(sqlparser::ast::FunctionArgumentList {
                duplicate_treatment: None,
                args: vec![first],
                clauses: Vec::new(),
            })
        }
    }
    Some(call)
}

/// Whether an overload as the catalog prints it (`name(T1, T2[], ...)`) takes `n` arguments.
fn takes(overload: &str, n: usize) -> bool {
    let Some(open) = overload.find('(') else {
        return true;
    };
    let params = overload[open + 1..].trim_end_matches(')');
    if params.contains("...") {
        return true;
    }
    if params.trim().is_empty() {
        return n == 0;
    }
    let mut depth = 0i32;
    let mut count = 1;
    for c in params.chars() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            ',' if depth == 0 => count += 1,
            _ => {}
        }
    }
    count == n
}

/// The parameter name of a named argument (an unquoted name folded to lowercase).
fn argument_name(arg: &FunctionArg) -> String {
    let ident = match arg {
        FunctionArg::Named { name, .. } => Some(name),
        FunctionArg::ExprNamed {
            name: Expr::Identifier(name),
            ..
        } => Some(name),
        _ => None,
    };
    ident.map_or_else(String::new, |i| match i.quote_style {
        Some(_) => i.value.clone(),
        None => i.value.to_lowercase(),
    })
}

/// Whether a call names a schema other than `pg_catalog` (a user-defined function).
fn user_schema(f: &Function) -> bool {
    f.name.0.len() > 1
        && f.name.0[f.name.0.len() - 2]
            .as_ident()
            .is_none_or(|s| !s.value.eq_ignore_ascii_case("pg_catalog"))
}

/// The names of `list_aggregate(list, 'name')`.
const LIST_AGGREGATE: &[&str] = &[
    "list_aggregate",
    "list_aggr",
    "array_aggregate",
    "array_aggr",
    "aggregate",
];

impl Binder<'_> {
    /// DuckDB's list aggregates: `list_aggregate(l, 'agg')` (and its aliases) and the
    /// macros `list_<agg>(l)` (`list_sum`, `list_min`, `list_count`, ...) are the aggregate
    /// over the list's elements. None for other calls.
    fn list_aggregate(
        &mut self,
        name: &str,
        types: &[Typed],
        args: &[&FunctionArg],
        at: &Expr,
    ) -> Option<Typed> {
        let named_form = LIST_AGGREGATE.contains(&name);
        let agg = if named_form {
            if types.len() != 2 {
                return None;
            }
            positional_string(args, 1)?.to_ascii_lowercase()
        } else {
            let suffix = name.strip_prefix("list_")?;
            if !self.fn_macro_only(name) || types.len() != 1 {
                return None;
            }
            suffix.to_string()
        };
        match self.fn_kind(&agg) {
            Some(FunctionKind::Aggregate) => {}
            None if named_form => {
                self.error_at(
                    codes::UNKNOWN_FUNCTION,
                    at,
                    format!("aggregate function \"{agg}\" does not exist"),
                    None,
                );
                return Some(Typed::unknown());
            }
            _ => return None,
        }
        let elem = match &types[0].ty {
            SqlType::List(e) | SqlType::Array(e, _) => (**e).clone(),
            SqlType::Unknown => return Some(Typed::unknown()),
            SqlType::Null => return None,
            t => {
                let shown = self.show(t);
                self.error_at(
                    codes::NO_OVERLOAD,
                    at,
                    format!("no function matches \"list_aggr({shown}, VARCHAR)\""),
                    Some("list aggregates take a list".into()),
                );
                return Some(Typed::unknown());
            }
        };
        Some(self.call_type(&agg, &[Typed::new(elem)], at))
    }
}

impl Binder<'_> {
    /// `struct_pack(a := x, b := y)`: STRUCT(a X, b Y) with the names as written;
    /// `struct_pack(col, t.col2)` names the fields after the columns. None for other
    /// argument lists (left to the catalog).
    fn struct_pack(&mut self, args: &[&FunctionArg], parts: &[BExpr], at: &Expr) -> Option<Typed> {
        if args.is_empty() || args.len() != parts.len() {
            return None;
        }
        let mut fields: Vec<(String, SqlType)> = Vec::new();
        for (arg, part) in args.iter().zip(parts) {
            let name = match arg {
                FunctionArg::Named {
                    name,
                    operator: FunctionArgOperator::Assignment,
                    ..
                } => name.value.clone(),
                FunctionArg::ExprNamed {
                    name: Expr::Identifier(name),
                    operator: FunctionArgOperator::Assignment,
                    ..
                } => name.value.clone(),
                FunctionArg::Unnamed(FunctionArgExpr::Expr(
                    Expr::Identifier(_) | Expr::CompoundIdentifier(_),
                )) => part.column_name.clone()?,
                _ => return None,
            };
            if fields.iter().any(|(n, _)| n.eq_ignore_ascii_case(&name)) {
                self.error_at(
                    codes::NO_OVERLOAD,
                    at,
                    format!("duplicate struct entry name \"{name}\""),
                    None,
                );
                return Some(Typed::unknown());
            }
            fields.push((name, part.typed.ty.clone()));
        }
        Some(Typed::new(SqlType::Struct(fields)))
    }
}
