//! DuckDB's max logical type of two values and the type comparisons bind to (behaviour
//! read from DuckDB 1.5's `types.cpp` and comparison binder; no code copied).

use super::cast::rules_cost;
use super::{Literal, SqlType, Typed};

/// Which comparison: equality-like comparisons (`=`, `<>`, `IN`, `IS [NOT] DISTINCT FROM`)
/// bind any two types in DuckDB (a failing conversion is a run-time error), ordering
/// comparisons (`<`, `<=`, `>`, `>=`, `BETWEEN`) need the two types to have a max type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompareOp {
    Equality,
    Ordering,
}

fn decimal_size_check(other: &SqlType, width: u8, scale: u8) -> SqlType {
    let (ow, _) = other.decimal_properties().unwrap_or((0, 0));
    if ow > width - scale {
        SqlType::Decimal {
            width: (ow + scale).min(38),
            scale,
        }
    } else {
        SqlType::Decimal { width, scale }
    }
}

fn combine_numeric(a: &SqlType, b: &SqlType) -> SqlType {
    use SqlType as S;
    let signed = |t: &SqlType| {
        matches!(
            t,
            S::TinyInt | S::SmallInt | S::Integer | S::BigInt | S::HugeInt
        )
    };
    // Order the pair as (signed, unsigned) where that applies.
    let (s, u) = if signed(a) { (a, b) } else { (b, a) };
    if matches!(s, S::BigInt) || matches!(u, S::UBigInt) {
        S::HugeInt
    } else if matches!(s, S::Integer) || matches!(u, S::UInteger) {
        S::BigInt
    } else if matches!(s, S::SmallInt) || matches!(u, S::USmallInt) {
        S::Integer
    } else if matches!(s, S::TinyInt) || matches!(u, S::UTinyInt) {
        S::SmallInt
    } else {
        S::Double
    }
}

fn literal_base(t: &Typed) -> Typed {
    Typed::new(t.ty.clone())
}

/// DuckDB's max logical type; `force` picks the higher-ranked type where there is none
/// (what equality comparisons do).
fn max_inner(a: &Typed, b: &Typed, force: bool) -> Option<SqlType> {
    use SqlType as S;
    if a.ty.is_unknown() || b.ty.is_unknown() {
        return Some(S::Unknown);
    }
    if matches!(a.ty, S::Json) {
        return Some(S::Json);
    }
    if matches!(b.ty, S::Json) {
        return Some(S::Json);
    }
    let combined = if super::cast::same_id(&a.ty, &b.ty) {
        combine_equal(a, b, force)
    } else {
        combine_unequal(a, b, force)
    };
    match combined {
        Some(t) => Some(t),
        None if force => Some(if rank(&a.ty) < rank(&b.ty) {
            b.ty.clone()
        } else {
            a.ty.clone()
        }),
        None => None,
    }
}

fn rank(t: &SqlType) -> u32 {
    use SqlType as S;
    match t {
        S::Null | S::Unknown => 0,
        S::Boolean => 10,
        S::UTinyInt => 11,
        S::TinyInt => 12,
        S::USmallInt => 13,
        S::SmallInt => 14,
        S::UInteger => 15,
        S::Integer => 16,
        S::UBigInt => 17,
        S::BigInt => 18,
        S::UHugeInt => 19,
        S::HugeInt => 20,
        S::Decimal { .. } => 21,
        S::Float => 22,
        S::Double => 23,
        S::Time | S::TimeTz => 50,
        S::Date => 52,
        S::TimestampS => 53,
        S::TimestampMs => 54,
        S::Timestamp | S::TimestampTz => 55,
        S::TimestampNs => 56,
        S::Interval => 58,
        S::Varchar | S::Json => 77,
        S::Enum(_) => 78,
        S::Bit => 100,
        S::Blob => 101,
        S::Uuid => 102,
        S::Struct(_) => 125,
        S::List(_) | S::Array(..) => 126,
        S::Map(..) => 127,
        S::Union(_) => 150,
        S::Other(n) => match n.as_str() {
            "TIME_NS" => 51,
            "BIGNUM" => 103,
            "GEOMETRY" => 104,
            "VARIANT" => 150,
            _ => 1000,
        },
    }
}

fn combine_unequal(a: &Typed, b: &Typed, force: bool) -> Option<SqlType> {
    use SqlType as S;
    let rec = |x: &Typed, y: &Typed| max_inner(x, y, force);
    for x in [b, a] {
        if matches!(x.ty, S::Other(ref n) if n == "VARIANT") {
            return Some(x.ty.clone());
        }
    }
    if matches!(a.ty, S::Null) {
        return Some(b.ty.clone());
    }
    if matches!(b.ty, S::Null) {
        return Some(a.ty.clone());
    }
    if matches!(a.ty, S::Enum(_)) {
        return rec(&Typed::new(S::Varchar), b);
    }
    if matches!(b.ty, S::Enum(_)) {
        return rec(a, &Typed::new(S::Varchar));
    }
    if a.literal == Literal::String {
        return Some(b.ty.clone());
    }
    if b.literal == Literal::String {
        return Some(a.ty.clone());
    }
    let l2r = rules_cost(&a.ty, a.literal, &b.ty);
    let r2l = rules_cost(&b.ty, b.literal, &a.ty);
    let pick = |to: &SqlType, other: &SqlType| match to {
        S::Decimal { width, scale } => decimal_size_check(other, *width, *scale),
        t => t.clone(),
    };
    if let Some(c) = l2r
        && r2l.is_none_or(|r| c < r)
    {
        return Some(pick(&b.ty, &a.ty));
    }
    if r2l.is_some() {
        return Some(pick(&a.ty, &b.ty));
    }
    if matches!(a.literal, Literal::Integer(_)) {
        return rec(&literal_base(a), b);
    }
    if matches!(b.literal, Literal::Integer(_)) {
        return rec(a, &literal_base(b));
    }
    if a.ty.is_numeric() && b.ty.is_numeric() {
        return Some(combine_numeric(&a.ty, &b.ty));
    }
    if matches!(a.ty, S::Boolean) && b.ty.is_integral() {
        return Some(b.ty.clone());
    }
    if matches!(b.ty, S::Boolean) && a.ty.is_integral() {
        return Some(a.ty.clone());
    }
    None
}

fn combine_equal(a: &Typed, b: &Typed, force: bool) -> Option<SqlType> {
    use SqlType as S;
    let rec =
        |x: &SqlType, y: &SqlType| max_inner(&Typed::new(x.clone()), &Typed::new(y.clone()), force);
    Some(match (&a.ty, &b.ty) {
        (S::Enum(x), S::Enum(y)) => {
            if x == y {
                a.ty.clone()
            } else {
                S::Varchar
            }
        }
        (
            S::Decimal {
                width: w1,
                scale: s1,
            },
            S::Decimal {
                width: w2,
                scale: s2,
            },
        ) => {
            let extra = (w1 - s1).max(w2 - s2);
            let mut scale = *s1.max(s2);
            let mut width = extra + scale;
            if width > 38 {
                width = 38;
                scale = width - extra;
            }
            S::Decimal { width, scale }
        }
        (S::List(x), S::List(y)) => S::List(Box::new(rec(x, y)?)),
        (S::Array(x, n), S::Array(y, m)) => S::Array(Box::new(rec(x, y)?), *n.max(m)),
        (S::Map(k1, v1), S::Map(k2, v2)) => S::Map(Box::new(rec(k1, k2)?), Box::new(rec(v1, v2)?)),
        (S::Struct(x), S::Struct(y)) => {
            let mut out: Vec<(String, SqlType)> = Vec::new();
            let mut rest: Vec<&(String, SqlType)> = y.iter().collect();
            for (name, t) in x {
                match rest.iter().position(|(n, _)| n == name) {
                    Some(i) => {
                        let (_, yt) = rest.remove(i);
                        out.push((name.clone(), rec(t, yt)?));
                    }
                    None => out.push((name.clone(), t.clone())),
                }
            }
            out.extend(rest.into_iter().cloned());
            S::Struct(out)
        }
        (S::Union(x), S::Union(y)) => {
            if y.len() > x.len() {
                b.ty.clone()
            } else {
                a.ty.clone()
            }
        }
        _ => a.ty.clone(),
    })
}

/// DuckDB's max logical type of two values combined into one column (UNION columns, CASE
/// branches, COALESCE arguments, list elements), or None when DuckDB refuses to combine
/// them ("Cannot mix values of type ..."). Literals take the other side's type (a string
/// literal becomes anything, an integer literal the narrowest numeric type holding it);
/// DECIMALs merge their integer digits and scales. The result is never a literal.
pub fn max_type(a: &Typed, b: &Typed) -> Option<Typed> {
    max_inner(a, b, false).map(Typed::new)
}

/// [`max_type`] over many values (COALESCE, list elements, CASE branches), left to right.
pub fn max_type_of<'a>(items: impl IntoIterator<Item = &'a Typed>) -> Option<Typed> {
    let mut acc: Option<Typed> = None;
    for t in items {
        acc = Some(match acc {
            None => t.clone(),
            Some(a) => max_type(&a, t)?,
        });
    }
    acc.map(|t| Typed::new(t.ty))
}

fn switch_varchar(t: &SqlType) -> bool {
    use SqlType as S;
    t.is_numeric()
        || matches!(
            t,
            S::Boolean
                | S::Date
                | S::Time
                | S::TimestampS
                | S::TimestampMs
                | S::Timestamp
                | S::TimestampNs
                | S::Interval
                | S::TimestampTz
                | S::TimeTz
        )
}

/// The type both sides of a comparison are cast to, or None when DuckDB raises "Cannot
/// compare values of type X and type Y" at bind time (only ordering comparisons can fail).
pub fn compare_type(op: CompareOp, a: &Typed, b: &Typed) -> Option<SqlType> {
    let res = max_inner(a, b, op == CompareOp::Equality)?;
    Some(match res {
        SqlType::Decimal { .. } => match (a.ty.decimal_properties(), b.ty.decimal_properties()) {
            (Some((w1, s1)), Some((w2, s2))) => {
                let scale = s1.max(s2);
                let width = (scale + (w1 - s1).max(w2 - s2)).max(w1.max(w2)).min(38);
                SqlType::Decimal { width, scale }
            }
            _ => res,
        },
        SqlType::Varchar => {
            if a.literal != Literal::String && a.ty != SqlType::Varchar && switch_varchar(&a.ty) {
                a.ty.clone()
            } else if b.literal != Literal::String
                && b.ty != SqlType::Varchar
                && switch_varchar(&b.ty)
            {
                b.ty.clone()
            } else {
                res
            }
        }
        t => t,
    })
}

/// The type both sides of an ordering comparison (`<`, `<=`, `>`, `>=`, `BETWEEN`) are
/// cast to, or None exactly when DuckDB raises "Cannot compare values of type X and type Y"
/// at bind time (e.g. a VARCHAR column against an INTEGER). For `=`, `<>`, `IN` and
/// `IS DISTINCT FROM` use [`compare_type`] with [`CompareOp::Equality`]: DuckDB binds those
/// for any two types and fails at run time if a value does not convert.
pub fn comparison_type(a: &Typed, b: &Typed) -> Option<SqlType> {
    compare_type(CompareOp::Ordering, a, b)
}
