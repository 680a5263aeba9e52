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
        other => other.to_string(),
    }
}
