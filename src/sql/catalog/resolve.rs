//! Overload resolution as DuckDB's function binder does it: every overload whose
//! parameters accept the arguments through implicit casts costs the sum of those casts; the
//! cheapest wins, a tie is an error. Template parameters (`T`, `K`, `V`) are then bound to
//! the arguments' types to derive the return type.

use super::{CallError, Entry, Overload, special};
use crate::sql::types::cast::{cost, rules_cost, template_name};
use crate::sql::types::{Literal, SqlType, Typed, max_type};

/// The overload as DuckDB prints it in error messages: `substr(VARCHAR, BIGINT)`,
/// `concat(ANY, [ANY...])`.
pub(crate) fn signature(name: &str, o: &Overload) -> String {
    let mut parts: Vec<String> = o.params.iter().map(param_name).collect();
    if let Some(v) = &o.varargs {
        parts.push(format!("[{}...]", param_name(v)));
    }
    format!("{name}({})", parts.join(", "))
}

fn param_name(t: &SqlType) -> String {
    match t {
        SqlType::Array(e, 0) => format!("{}[ANY]", param_name(e)),
        SqlType::List(e) => format!("{}[]", param_name(e)),
        t => t.to_string(),
    }
}

/// The total cast cost of calling `o` with `args`, or None when an argument does not cast
/// implicitly or the count is wrong. Unknown arguments cost nothing.
/// Aggregates are costed without the casts extensions register (JSON's): DuckDB binds
/// `max(json)` to `max(ANY)`, not to `max(VARCHAR)`.
/// Window functions cast their arguments explicitly (`ntile(2.5)`, `lag(int, 1, 'x')`
/// bind), so their parameters only fix the argument count.
fn call_cost(o: &Overload, args: &[Typed], aggregate: bool, window: bool) -> Option<u64> {
    if o.varargs.is_none() && o.params.len() != args.len() {
        return None;
    }
    if args.len() < o.params.len() {
        return None;
    }
    let mut total = 0u64;
    for (i, a) in args.iter().enumerate() {
        let p = o.params.get(i).or(o.varargs.as_ref())?;
        if a.ty.is_unknown() {
            continue;
        }
        if a.literal == Literal::No && a.ty == *p {
            continue;
        }
        if window {
            continue;
        }
        let c = if aggregate {
            rules_cost(&a.ty, a.literal, p)
        } else {
            cost(&a.ty, a.literal, p)
        };
        total += u64::from(c?);
    }
    Some(total)
}

/// The cheapest overload for `args`: Ok(None) when several tie but an argument is Unknown
/// (the tie might not exist with the real type), an error when none applies or several
/// tie.
pub(crate) fn choose<'a>(
    name: &str,
    overloads: &'a [Overload],
    args: &[Typed],
) -> Result<Option<&'a Overload>, CallError> {
    let best = cheapest(name, overloads.iter(), args, false, false)?;
    match best.len() {
        1 => Ok(Some(best[0])),
        _ if args.iter().any(|a| a.ty.contains_unknown()) => Ok(None),
        _ => Err(CallError::NoOverload {
            candidates: best.iter().map(|o| signature(name, o)).collect(),
        }),
    }
}

/// All overloads of the lowest cost (at least one), or the error listing every overload.
fn cheapest<'a>(
    name: &str,
    overloads: impl Iterator<Item = &'a Overload> + Clone,
    args: &[Typed],
    aggregate: bool,
    window: bool,
) -> Result<Vec<&'a Overload>, CallError> {
    let mut best: Vec<&Overload> = Vec::new();
    let mut best_cost = u64::MAX;
    for o in overloads.clone() {
        let Some(c) = call_cost(o, args, aggregate, window) else {
            continue;
        };
        if c < best_cost {
            best.clear();
            best_cost = c;
        }
        if c == best_cost {
            best.push(o);
        }
    }
    if best.is_empty() {
        return Err(CallError::NoOverload {
            candidates: overloads.map(|o| signature(name, o)).collect(),
        });
    }
    Ok(best)
}

type Bindings = Vec<(String, Typed)>;

fn infer(param: &SqlType, arg: &Typed, b: &mut Bindings) -> bool {
    if matches!(arg.ty, SqlType::Null | SqlType::Unknown) {
        for name in templates_in(param) {
            if !b.iter().any(|(n, _)| *n == name) {
                b.push((name, Typed::new(arg.ty.clone())));
            }
        }
        return true;
    }
    if let Some(name) = template_name(param) {
        match b.iter_mut().find(|(n, _)| n == name) {
            None => b.push((name.to_string(), arg.clone())),
            Some((_, bound)) => match max_type(bound, arg) {
                Some(t) => *bound = t,
                None => return false,
            },
        }
        return true;
    }
    match (param, &arg.ty) {
        (SqlType::List(p) | SqlType::Array(p, _), SqlType::List(a) | SqlType::Array(a, _)) => {
            infer(p, &Typed::new((**a).clone()), b)
        }
        (SqlType::Map(pk, pv), SqlType::Map(ak, av)) => {
            infer(pk, &Typed::new((**ak).clone()), b) && infer(pv, &Typed::new((**av).clone()), b)
        }
        _ => true,
    }
}

fn templates_in(t: &SqlType) -> Vec<String> {
    match t {
        SqlType::List(e) | SqlType::Array(e, _) => templates_in(e),
        SqlType::Map(k, v) => {
            let mut out = templates_in(k);
            out.extend(templates_in(v));
            out
        }
        t => template_name(t)
            .map(|n| vec![n.to_string()])
            .unwrap_or_default(),
    }
}

fn substitute(t: &SqlType, b: &Bindings) -> SqlType {
    match t {
        SqlType::List(e) => SqlType::List(Box::new(substitute(e, b))),
        SqlType::Array(e, n) => SqlType::Array(Box::new(substitute(e, b)), *n),
        SqlType::Map(k, v) => SqlType::Map(Box::new(substitute(k, b)), Box::new(substitute(v, b))),
        t => match template_name(t).and_then(|n| b.iter().find(|(bn, _)| bn == n)) {
            Some((_, bound)) => bound.ty.clone(),
            None => t.clone(),
        },
    }
}

/// True when a type still holds a pseudo type (ANY, DECIMAL without width, templates...),
/// so it is not a real result type.
fn is_pseudo(t: &SqlType) -> bool {
    match t {
        SqlType::Other(n) => {
            matches!(
                n.as_str(),
                "ANY"
                    | "DECIMAL"
                    | "LIST"
                    | "STRUCT"
                    | "MAP"
                    | "UNION"
                    | "ARRAY"
                    | "LAMBDA"
                    | "TYPE"
                    | "INVALID"
            ) || template_name(t).is_some()
                || n.contains('<')
                || n.contains('(')
        }
        SqlType::List(e) | SqlType::Array(e, _) => is_pseudo(e),
        SqlType::Map(k, v) => is_pseudo(k) || is_pseudo(v),
        SqlType::Struct(f) => f.is_empty() || f.iter().any(|(_, t)| is_pseudo(t)),
        _ => false,
    }
}

/// Window functions whose trailing parameters are optional although DuckDB lists one
/// overload with all of them (`lag(T, BIGINT, T)` is also `lag(x)` and `lag(x, n)`).
fn optional_tail(name: &str) -> usize {
    match name {
        "lag" | "lead" => 2,
        _ => 0,
    }
}

fn with_optional_tail(name: &str, overloads: &[Overload]) -> Vec<Overload> {
    let mut out = overloads.to_vec();
    for o in overloads {
        for drop in 1..=optional_tail(name).min(o.params.len()) {
            let mut shorter = o.clone();
            shorter.params.truncate(o.params.len() - drop);
            out.push(shorter);
        }
    }
    out
}

/// The result type of calling the chosen overload.
fn result_of(name: &str, chosen: &Overload, args: &[Typed]) -> Result<SqlType, CallError> {
    if let Some(t) = special::result(name, chosen, args) {
        return t;
    }
    let Some(ret) = &chosen.ret else {
        return Ok(SqlType::Unknown);
    };
    let mut bindings: Bindings = Vec::new();
    // A window function's result follows its first argument; the others are cast to it.
    let inferred = if super::WINDOW_ONLY.contains(&name) {
        &args[..args.len().min(1)]
    } else {
        args
    };
    for (i, a) in inferred.iter().enumerate() {
        let Some(p) = chosen.params.get(i).or(chosen.varargs.as_ref()) else {
            break;
        };
        if !infer(p, a, &mut bindings) {
            return Err(CallError::NoOverload {
                candidates: vec![signature(name, chosen)],
            });
        }
    }
    // DuckDB: "has a template parameter type 'T' that could not be resolved".
    let unbound = chosen
        .params
        .iter()
        .chain(chosen.varargs.iter())
        .flat_map(templates_in)
        .any(|t| !bindings.iter().any(|(n, _)| *n == t));
    if unbound {
        return Err(CallError::NoOverload {
            candidates: vec![signature(name, chosen)],
        });
    }
    let ret = substitute(ret, &bindings);
    if ret.contains_unknown() || is_pseudo(&ret) {
        return Ok(SqlType::Unknown);
    }
    Ok(ret)
}

/// Scalar functions that handle NULL arguments themselves; all others return a NULL
/// constant when an argument is the NULL literal.
const SPECIAL_NULL_HANDLING: &[&str] = &[
    "concat",
    "concat_ws",
    "list_value",
    "list_pack",
    "array_value",
    "struct_pack",
    "row",
    "map",
    "hash",
    "typeof",
    "list_concat",
    "list_cat",
    "array_concat",
    "array_cat",
    "constant_or_null",
    "error",
    "md5_number",
    "greatest",
    "least",
    "map_extract",
    "map_extract_value",
    "element_at",
    "map_keys",
    "map_values",
    "map_entries",
    "list_intersect",
    "array_intersect",
    "list_resize",
    "array_resize",
    "cast_to_type",
    "list_slice",
    "array_slice",
];

/// DuckDB's shortcut for scalar calls with a NULL literal argument: the call becomes a NULL
/// constant of the declared return type, or of type NULL when that is not a concrete type.
fn null_result(e: &Entry, chosen: &Overload, args: &[Typed]) -> Option<SqlType> {
    // The list overload of `+` (list concatenation) handles NULL itself.
    if e.scalar.is_empty()
        || chosen.varargs.is_some()
        || !args.iter().any(|a| a.ty == SqlType::Null)
        || SPECIAL_NULL_HANDLING.contains(&e.name.as_str())
    {
        return None;
    }
    Some(match &chosen.ret {
        Some(t) if !is_pseudo(t) => t.clone(),
        _ => SqlType::Null,
    })
}

/// Binds a scalar or aggregate call against the entry's overloads (and macros).
pub(crate) fn bind(e: &Entry, args: &[Typed]) -> Result<SqlType, CallError> {
    if e.scalar.is_empty() && e.aggregate.is_empty() {
        if e.macros.contains(&args.len()) {
            return special::macro_result(&e.name, args);
        }
        return Err(CallError::NoOverload {
            candidates: e
                .macros
                .iter()
                .map(|n| format!("{}({})", e.name, vec!["?"; *n].join(", ")))
                .collect(),
        });
    }
    // Aggregates are bound on their arguments' plain types: literals get no special casts.
    let plain: Vec<Typed>;
    let args = if e.scalar.is_empty() {
        plain = args.iter().map(|a| Typed::new(a.ty.clone())).collect();
        &plain[..]
    } else {
        args
    };
    let extended;
    let aggregates = if optional_tail(&e.name) > 0 {
        extended = with_optional_tail(&e.name, &e.aggregate);
        &extended[..]
    } else {
        &e.aggregate[..]
    };
    let aggregate = e.scalar.is_empty();
    let window = super::WINDOW_ONLY.contains(&e.name.as_str());
    let overloads = e.scalar.iter().chain(aggregates.iter());
    let best = match cheapest(&e.name, overloads, args, aggregate, window) {
        Ok(best) => best,
        Err(_) if e.macros.contains(&args.len()) => {
            return special::macro_result(&e.name, args);
        }
        Err(err) => return Err(err),
    };
    if best.len() == 1 {
        return null_result(e, best[0], args).map_or_else(|| result_of(&e.name, best[0], args), Ok);
    }
    // DuckDB refuses ties. Aggregates are the exception where the tied results agree
    // (`first(NULL)` ties `first(ANY)` and `first(T)`, and DuckDB binds it); a tie involving
    // an Unknown argument might not exist with the real type.
    let first = result_of(&e.name, best[0], args)?;
    let mut same = aggregate;
    for o in &best[1..] {
        same &= result_of(&e.name, o, args).as_ref() == Ok(&first);
    }
    if same {
        Ok(first)
    } else if args.iter().any(|a| a.ty.contains_unknown()) {
        Ok(SqlType::Unknown)
    } else {
        Err(CallError::NoOverload {
            candidates: best.iter().map(|o| signature(&e.name, o)).collect(),
        })
    }
}
