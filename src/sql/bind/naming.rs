//! The name DuckDB gives an unaliased SELECT expression: its text as DuckDB prints it
//! (`(a + 1)`, `CAST(x AS VARCHAR)`, `count_star()`, `COALESCE(a, b)`), where we know how.

use sqlparser::ast::{
    CastKind, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, UnaryOperator, Value,
};

/// A column reference keeps the column's name (callers pass the relation's spelling); a
/// struct field access the field's name; anything else is named by its text.
pub(crate) fn column_name(e: &Expr) -> String {
    match e {
        Expr::Identifier(i) => i.value.clone(),
        Expr::CompoundIdentifier(parts) => parts.last().map_or(String::new(), |p| p.value.clone()),
        Expr::Nested(inner) => column_name(inner),
        Expr::CompoundFieldAccess { access_chain, .. } => match access_chain.last() {
            Some(sqlparser::ast::AccessExpr::Dot(Expr::Identifier(i))) => i.value.clone(),
            _ => text(e),
        },
        other => text(other),
    }
}

fn text(e: &Expr) -> String {
    match e {
        Expr::Identifier(i) => i.value.clone(),
        Expr::CompoundIdentifier(parts) => parts
            .iter()
            .map(|p| p.value.as_str())
            .collect::<Vec<_>>()
            .join("."),
        Expr::Nested(inner) => text(inner),
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) => format!("'{s}'"),
            Value::Null => "NULL".to_string(),
            Value::Boolean(b) => if *b { "true" } else { "false" }.to_string(),
            other => other.to_string(),
        },
        Expr::BinaryOp { left, op, right } => format!("({} {op} {})", text(left), text(right)),
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } => format!("-{}", text(expr)),
        Expr::Cast {
            kind: CastKind::Cast | CastKind::DoubleColon,
            expr,
            data_type,
            ..
        } => format!(
            "CAST({} AS {})",
            text(expr),
            crate::sql::types::SqlType::from_ast(data_type)
        ),
        Expr::Function(f) if f.over.is_none() && f.filter.is_none() => {
            let name = f.name.to_string().to_ascii_lowercase();
            let FunctionArguments::List(list) = &f.args else {
                return e.to_string();
            };
            if list.duplicate_treatment.is_some() || !list.clauses.is_empty() {
                return e.to_string();
            }
            let mut args = Vec::new();
            for a in &list.args {
                match a {
                    FunctionArg::Unnamed(FunctionArgExpr::Expr(x)) => args.push(text(x)),
                    FunctionArg::Unnamed(FunctionArgExpr::Wildcard) if name == "count" => {
                        return "count_star()".to_string();
                    }
                    _ => return e.to_string(),
                }
            }
            let name = match name.as_str() {
                "coalesce" => "COALESCE".to_string(),
                _ => name,
            };
            format!("{name}({})", args.join(", "))
        }
        Expr::Interval(iv) => interval_text(iv).unwrap_or_else(|| e.to_string()),
        other => other.to_string(),
    }
}

/// DuckDB's parser rewrites `INTERVAL '1 day'` to a cast and `INTERVAL n unit` to a call:
/// `to_days(CAST(trunc(CAST(n AS DOUBLE)) AS INTEGER))`, `to_seconds(CAST(n AS DOUBLE))`.
fn interval_text(iv: &sqlparser::ast::Interval) -> Option<String> {
    use sqlparser::ast::DateTimeField as F;
    if iv.last_field.is_some() || iv.leading_precision.is_some() {
        return None;
    }
    let value = text(&iv.value);
    let Some(unit) = &iv.leading_field else {
        return match iv.value.as_ref() {
            Expr::Value(v) if matches!(v.value, Value::SingleQuotedString(_)) => {
                Some(format!("CAST({value} AS INTERVAL)"))
            }
            _ => None,
        };
    };
    let (func, target) = match unit {
        F::Year | F::Years => ("to_years", "INTEGER"),
        F::Month | F::Months => ("to_months", "INTEGER"),
        F::Week(None) | F::Weeks => ("to_weeks", "INTEGER"),
        F::Day | F::Days => ("to_days", "INTEGER"),
        F::Hour | F::Hours => ("to_hours", "BIGINT"),
        F::Minute | F::Minutes => ("to_minutes", "BIGINT"),
        F::Microsecond | F::Microseconds => ("to_microseconds", "BIGINT"),
        F::Second | F::Seconds => ("to_seconds", "DOUBLE"),
        F::Millisecond | F::Milliseconds => ("to_milliseconds", "DOUBLE"),
        _ => return None,
    };
    Some(if target == "DOUBLE" {
        format!("{func}(CAST({value} AS DOUBLE))")
    } else {
        format!("{func}(CAST(trunc(CAST({value} AS DOUBLE)) AS {target}))")
    })
}

/// The name Postgres gives an unaliased SELECT expression (`FigureColname`): a column's
/// name, a function's name, `x::T`'s inner name or else the type's, `case`, `array`,
/// `exists`, and `?column?` for anything else.
pub(crate) fn pg_column_name(e: &Expr) -> String {
    pg_name(e).map_or_else(|| "?column?".to_string(), |(n, _)| n)
}

/// The name and whether it is strong (a column or function name beats a type name).
fn pg_name(e: &Expr) -> Option<(String, bool)> {
    use sqlparser::ast::{AccessExpr, TrimWhereField};
    let strong = |s: &str| Some((s.to_string(), true));
    match e {
        Expr::Identifier(i) => strong(&fold(i)),
        Expr::CompoundIdentifier(parts) => strong(&fold(parts.last()?)),
        Expr::Nested(inner) => pg_name(inner),
        Expr::CompoundFieldAccess { root, access_chain } => match access_chain.last() {
            Some(AccessExpr::Dot(Expr::Identifier(i))) => strong(&fold(i)),
            _ => pg_name(root),
        },
        Expr::Cast {
            expr, data_type, ..
        } => match pg_name(expr) {
            Some((n, true)) => Some((n, true)),
            _ => Some((
                crate::sql::pg::PgCatalog::cast_column_name(data_type),
                false,
            )),
        },
        Expr::TypedString(ts) => Some((
            crate::sql::pg::PgCatalog::cast_column_name(&ts.data_type),
            false,
        )),
        Expr::Interval(_) => Some(("interval".into(), false)),
        Expr::Function(f) => {
            let name = f.name.0.last()?.as_ident()?;
            strong(&fold(name))
        }
        Expr::Case { else_result, .. } => match else_result.as_deref().and_then(pg_name) {
            Some((n, true)) => Some((n, true)),
            _ => Some(("case".into(), false)),
        },
        Expr::Array(_) => strong("array"),
        Expr::Exists { .. } => strong("exists"),
        Expr::Subquery(q) => match q.body.as_ref() {
            sqlparser::ast::SetExpr::Select(s) => match s.projection.first()? {
                sqlparser::ast::SelectItem::ExprWithAlias { alias, .. } => strong(&fold(alias)),
                sqlparser::ast::SelectItem::UnnamedExpr(inner) => pg_name(inner),
                _ => None,
            },
            _ => None,
        },
        Expr::Extract { .. } => strong("extract"),
        Expr::Position { .. } => strong("position"),
        Expr::Substring { .. } => strong("substring"),
        Expr::Trim { trim_where, .. } => strong(match trim_where {
            Some(TrimWhereField::Leading) => "ltrim",
            Some(TrimWhereField::Trailing) => "rtrim",
            _ => "btrim",
        }),
        Expr::Ceil { .. } => strong("ceil"),
        Expr::Floor { .. } => strong("floor"),
        Expr::AtTimeZone { .. } => strong("timezone"),
        Expr::Collate { expr, .. } => pg_name(expr),
        _ => None,
    }
}

/// An identifier as Postgres stores it: unquoted names fold to lowercase.
fn fold(i: &sqlparser::ast::Ident) -> String {
    if i.quote_style.is_none() {
        i.value.to_lowercase()
    } else {
        i.value.clone()
    }
}
