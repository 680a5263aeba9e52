//! Literal values and their DuckDB types.

use sqlparser::ast::{Expr, Value};

use super::expr::BExpr;
use crate::sql::types::{Literal, SqlType, Typed};

/// The type of a literal value.
pub(crate) fn literal(v: &Value) -> BExpr {
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
        Ok(v) => Typed::integer_literal(v),
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
