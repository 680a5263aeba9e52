//! Result types DuckDB computes in a function's bind callback rather than declaring them:
//! DECIMAL width/scale for arithmetic and aggregates, `ANY`-returning functions whose
//! result is one of their arguments' types, and the special forms DuckDB does not list as
//! functions (`coalesce`, `ifnull`, `if`, `nullif`).

use super::{CallError, Overload};
use crate::sql::types::cast::is_any;
use crate::sql::types::{CompareOp, Literal, SqlType, Typed, compare_type, max_type_of};

fn mix_error(form: &str, args: &[Typed]) -> CallError {
    let types: Vec<String> = args.iter().map(|a| a.ty.to_string()).collect();
    CallError::NoOverload {
        candidates: vec![format!("{form}({})", types.join(", "))],
    }
}

fn max_of(form: &str, args: &[Typed]) -> Result<SqlType, CallError> {
    max_type_of(args)
        .map(|t| t.ty)
        .ok_or_else(|| mix_error(form, args))
}

/// Calls DuckDB binds as special forms, not through `duckdb_functions()`.
pub(super) const SPECIAL_FORMS: &[&str] = &["coalesce", "ifnull", "if"];

/// Special forms typed from their arguments: None when `name` is not one.
pub(super) fn bind_special_form(name: &str, args: &[Typed]) -> Option<Result<SqlType, CallError>> {
    let is = |form: &str| name.eq_ignore_ascii_case(form);
    Some(match args {
        [_, ..] if is("coalesce") => max_of("coalesce", args),
        [_, _] if is("ifnull") => max_of("ifnull", args),
        [_, a, b] if is("if") => max_of("if", &[a.clone(), b.clone()]),
        [a, b] if is("nullif") => match compare_type(CompareOp::Equality, a, b) {
            Some(_) => Ok(a.ty.clone()),
            None => Err(mix_error("nullif", args)),
        },
        // The JSON extension lists `to_json(ANY...)` but its bind takes exactly one value
        // ("to_json() takes exactly one argument"); `json_quote` is the same function.
        _ if (is("to_json") || is("json_quote")) && args.len() != 1 => Err(CallError::NoOverload {
            candidates: vec![format!("{}(ANY)", name.to_ascii_lowercase())],
        }),
        _ => return None,
    })
}

/// The result of a scalar macro call: DuckDB expands macros, so only the few whose result
/// type follows from their definition are typed; the others are Unknown.
pub(super) fn macro_result(name: &str, args: &[Typed]) -> Result<SqlType, CallError> {
    Ok(match name {
        // `date + "interval"`
        "date_add" => return super::duckdb().bind_call("+", args),
        // `list_concat(l, list_value(e))`
        "list_append" | "array_append" | "array_push_back" => match args {
            [l, e] => {
                let elem = match &l.ty {
                    SqlType::List(t) | SqlType::Array(t, _) => Typed::new((**t).clone()),
                    SqlType::Null => Typed::null(),
                    SqlType::Unknown => return Ok(SqlType::Unknown),
                    _ => return Err(mix_error(name, args)),
                };
                // `list_value(e)` types its element without literal casts.
                match max_type_of([&elem, &Typed::new(e.ty.clone())]) {
                    Some(t) => SqlType::List(Box::new(t.ty)),
                    None => return Err(mix_error(name, args)),
                }
            }
            _ => SqlType::Unknown,
        },
        "split_part" | "array_to_string" | "current_user" | "session_user" | "current_role"
        | "user" | "pg_typeof" | "current_schema" | "current_database" | "current_catalog" => {
            SqlType::Varchar
        }
        _ => SqlType::Unknown,
    })
}

fn decimal_args(args: &[Typed]) -> Option<Vec<(u8, u8)>> {
    args.iter()
        .filter(|a| !a.ty.is_unknown())
        .map(|a| a.ty.decimal_properties())
        .collect()
}

/// `+`/`-` (`modulo` false) and `%` (true) over DECIMALs.
fn decimal_add(args: &[Typed], modulo: bool) -> Option<SqlType> {
    let props = decimal_args(args)?;
    let max_width = props.iter().map(|p| p.0).max()?;
    let scale = props.iter().map(|p| p.1).max()?;
    let over = props.iter().map(|p| p.0 - p.1).max()?;
    let mut width = (scale + over).max(max_width);
    if !modulo {
        width += 1;
        if width > 18 && max_width <= 18 {
            width = 18;
        }
    }
    if width > 38 {
        if modulo {
            return Some(SqlType::Double);
        }
        width = 38;
    }
    Some(SqlType::Decimal { width, scale })
}

fn decimal_multiply(args: &[Typed]) -> Option<SqlType> {
    let props = decimal_args(args)?;
    let mut width: u32 = props.iter().map(|p| u32::from(p.0)).sum();
    let scale: u32 = props.iter().map(|p| u32::from(p.1)).sum();
    let max_width = props.iter().map(|p| p.0).max()?;
    if scale > 38 {
        return None;
    }
    if width > 18 && max_width <= 18 && scale < 18 {
        width = 18;
    }
    Some(SqlType::Decimal {
        width: width.min(38) as u8,
        scale: scale as u8,
    })
}

fn first_decimal(args: &[Typed]) -> Option<SqlType> {
    args.iter()
        .find(|a| matches!(a.ty, SqlType::Decimal { .. }))
        .map(|a| a.ty.clone())
}

fn is_decimal_pseudo(t: &Option<SqlType>) -> bool {
    matches!(t, Some(SqlType::Other(n)) if n == "DECIMAL")
}

fn list_of(t: &SqlType) -> Option<SqlType> {
    match t {
        SqlType::List(_) => Some(t.clone()),
        SqlType::Array(e, _) => Some(SqlType::List(e.clone())),
        _ => None,
    }
}

/// The result type for calls whose declared return type is a placeholder, or None to use
/// the declared one.
pub(super) fn result(
    name: &str,
    o: &Overload,
    args: &[Typed],
) -> Option<Result<SqlType, CallError>> {
    result_inner(name, o, args)
}

fn result_inner(name: &str, o: &Overload, args: &[Typed]) -> Option<Result<SqlType, CallError>> {
    let needs = match name {
        "enum_range" | "enum_first" | "enum_last" | "enum_range_boundary" | "enum_code" => {
            Some("ENUM")
        }
        "struct_keys" => Some("STRUCT"),
        _ => None,
    };
    if let (Some(kind), Some(a)) = (needs, args.first()) {
        let ok = match kind {
            "ENUM" => matches!(a.ty, SqlType::Enum(_) | SqlType::Null | SqlType::Unknown),
            _ => matches!(a.ty, SqlType::Struct(_) | SqlType::Unknown),
        };
        if !ok {
            return Some(Err(mix_error(name, args)));
        }
    }
    if name.contains("quantile") || name == "mad" {
        // The result depends on the quantile values (one or a list), which are not types.
        return Some(Ok(SqlType::Unknown));
    }
    if name == "sum_no_overflow" {
        // DuckDB: "sum_no_overflow is for internal use only!"
        return Some(Err(CallError::NoOverload { candidates: vec![] }));
    }
    if name == "cardinality"
        && let Some(a) = args.first()
        && !matches!(a.ty, SqlType::Map(..) | SqlType::Null | SqlType::Unknown)
    {
        return Some(Err(mix_error(name, args)));
    }
    let first = args.first().map(|a| &a.ty);
    if args.iter().any(|a| a.ty.is_unknown()) && o.ret.as_ref().is_none_or(is_placeholder) {
        return Some(Ok(SqlType::Unknown));
    }
    if is_decimal_pseudo(&o.ret) {
        let t = match (name, args) {
            ("+" | "-" | "add" | "subtract", [_, _]) => decimal_add(args, false),
            ("%" | "mod", [_, _]) => decimal_add(args, true),
            ("*" | "multiply", [_, _]) => decimal_multiply(args),
            ("sum" | "sum_no_overflow", [a]) => match a.ty {
                SqlType::Decimal { scale, .. } => Some(SqlType::Decimal { width: 38, scale }),
                _ => None,
            },
            ("avg" | "mean", _) => Some(SqlType::Double),
            ("floor" | "ceil" | "ceiling" | "trunc" | "round", [a]) => match a.ty {
                SqlType::Decimal { width, .. } => Some(SqlType::Decimal { width, scale: 0 }),
                _ => None,
            },
            ("round" | "trunc", [a, n]) => match (&a.ty, n.literal) {
                (SqlType::Decimal { width, scale }, Literal::Integer(v)) => {
                    let target = if v < 0 {
                        0
                    } else {
                        v.min(i128::from(*scale)) as u8
                    };
                    Some(SqlType::Decimal {
                        width: *width,
                        scale: target,
                    })
                }
                _ => Some(SqlType::Unknown),
            },
            _ => first_decimal(args),
        };
        return Some(Ok(t.unwrap_or(SqlType::Unknown)));
    }
    let ret = o.ret.as_ref()?;
    let any_ret = is_any(ret)
        || matches!(ret, SqlType::List(e) if is_any(e))
        || matches!(ret, SqlType::Other(n) if matches!(n.as_str(), "ARRAY" | "MAP" | "LIST"));
    if !any_ret {
        return None;
    }
    let first = first?;
    Some(Ok(match name {
        "min" | "max" if args.len() == 2 => SqlType::List(Box::new(first.clone())),
        "arg_min" | "arg_max" | "argmin" | "argmax" | "min_by" | "max_by" | "arg_min_null"
        | "arg_max_null" | "arg_min_nulls_last" | "arg_max_nulls_last"
            if args.len() == 3 =>
        {
            SqlType::List(Box::new(first.clone()))
        }
        "list_slice" | "array_slice"
            if args[1..].iter().any(|b| {
                matches!(
                    b.ty,
                    SqlType::List(_) | SqlType::Array(..) | SqlType::Struct(_) | SqlType::Map(..)
                )
            }) =>
        {
            return Some(Err(mix_error(name, args)));
        }
        "list_slice" | "array_slice" => match first {
            SqlType::Varchar => SqlType::Varchar,
            SqlType::Null => SqlType::Null,
            t => match list_of(t) {
                Some(l) => l,
                None => return Some(Err(mix_error(name, args))),
            },
        },
        "min" | "max" | "first" | "last" | "any_value" | "arbitrary" | "mode" | "arg_min"
        | "arg_max" | "argmin" | "argmax" | "min_by" | "max_by" | "arg_min_null"
        | "arg_max_null" | "arg_min_nulls_last" | "arg_max_nulls_last" | "constant_or_null" => {
            first.clone()
        }
        "greatest" | "least" | "list_concat" | "list_cat" | "array_concat" | "array_cat" => {
            match max_type_of(args) {
                Some(t) => t.ty,
                None => return Some(Err(mix_error(name, args))),
            }
        }
        "||" => {
            if args.iter().any(|a| list_of(&a.ty).is_some()) {
                if !args.iter().all(|a| list_of(&a.ty).is_some()) {
                    return Some(Err(mix_error(name, args)));
                }
                max_type_of(args)
                    .and_then(|t| list_of(&t.ty))
                    .unwrap_or(SqlType::Unknown)
            } else if args.iter().all(|a| a.ty == SqlType::Blob) {
                SqlType::Blob
            } else {
                SqlType::Varchar
            }
        }
        "cast_to_type" => match args {
            [_, target] if target.ty != SqlType::Null => target.ty.clone(),
            _ => SqlType::Unknown,
        },
        "median" => match first {
            t if t.is_integral() || *t == SqlType::Null => SqlType::Double,
            SqlType::Date => SqlType::Timestamp,
            t => t.clone(),
        },
        "array_value" => {
            let plain: Vec<Typed> = args.iter().map(|a| Typed::new(a.ty.clone())).collect();
            match max_type_of(&plain) {
                Some(t) => SqlType::Array(Box::new(t.ty), args.len() as u32),
                None => return Some(Err(mix_error(name, args))),
            }
        }
        "concat" => {
            if args.iter().any(|a| list_of(&a.ty).is_some()) {
                if !args
                    .iter()
                    .all(|a| list_of(&a.ty).is_some() || a.ty == SqlType::Null)
                {
                    return Some(Err(mix_error(name, args)));
                }
                max_type_of(args)
                    .and_then(|t| list_of(&t.ty))
                    .unwrap_or(SqlType::Unknown)
            } else {
                SqlType::Varchar
            }
        }
        "array_agg" | "list" | "approx_top_k" => SqlType::List(Box::new(first.clone())),
        "histogram" | "histogram_exact" => {
            SqlType::Map(Box::new(first.clone()), Box::new(SqlType::UBigInt))
        }
        "list_grade_up" | "array_grade_up" | "grade_up" => SqlType::List(Box::new(SqlType::BigInt)),
        "flatten" => match first {
            SqlType::List(inner) => list_of(inner).unwrap_or(SqlType::Unknown),
            _ => SqlType::Unknown,
        },
        "list_distinct" | "array_distinct" | "list_sort" | "array_sort" | "list_reverse_sort"
        | "array_reverse_sort" | "list_resize" | "array_resize" | "list_intersect"
        | "array_intersect" | "list_filter" | "array_filter" | "filter" | "list_where"
        | "array_where" | "list_select" | "array_select" => match first {
            SqlType::Null => SqlType::Null,
            t => list_of(t).unwrap_or(SqlType::Unknown),
        },
        _ => SqlType::Unknown,
    }))
}

fn is_placeholder(t: &SqlType) -> bool {
    matches!(t, SqlType::Other(n) if n == "ANY" || n == "DECIMAL" || n == "ARRAY")
}
