//! Implicit casts, max types and comparison types, following DuckDB 1.5's rules
//! (behaviour read from `cast_rules.cpp`, `types.cpp` and the comparison binder; no code
//! copied).
//!
//! Function signatures in the catalog use pseudo types, which this module also costs. They
//! are written as `SqlType::Other` names: `ANY`, a one-letter template (`T`, `K`, `V`),
//! `DECIMAL` (any width), `LIST`/`STRUCT`/`MAP`/`UNION`/`ARRAY` (any children), and an
//! `Array` of size 0 means any size (`DOUBLE[ANY]`).

use super::{Literal, SqlType, Typed};

pub(crate) const ANY_COST: u32 = 5;
pub(crate) const TEMPLATE_COST: u32 = 1_000_000;

pub(crate) fn pseudo(ty: &SqlType) -> Option<&str> {
    match ty {
        SqlType::Other(n) => Some(n.as_str()),
        _ => None,
    }
}

pub(crate) fn is_any(ty: &SqlType) -> bool {
    pseudo(ty) == Some("ANY")
}

/// A template parameter of a generic signature (`T`, `K`, `V`).
pub(crate) fn template_name(ty: &SqlType) -> Option<&str> {
    pseudo(ty).filter(|n| n.len() == 1 && n.as_bytes()[0].is_ascii_uppercase())
}

fn target_cost(to: &SqlType) -> u32 {
    if is_any(to) {
        return ANY_COST;
    }
    if template_name(to).is_some() {
        return TEMPLATE_COST;
    }
    match to {
        SqlType::BigInt => 101,
        SqlType::Integer => 102,
        SqlType::HugeInt => 103,
        SqlType::Double => 104,
        SqlType::Decimal { .. } => 105,
        SqlType::Other(n) if n == "DECIMAL" => 105,
        SqlType::Other(n) if n == "BIGNUM" => 106,
        SqlType::TimestampNs => 119,
        SqlType::Timestamp => 120,
        SqlType::TimestampMs => 121,
        SqlType::TimestampS => 122,
        SqlType::TimestampTz => 123,
        SqlType::Varchar | SqlType::Json => 149,
        SqlType::Struct(_)
        | SqlType::Map(..)
        | SqlType::List(_)
        | SqlType::Union(_)
        | SqlType::Array(..) => 160,
        SqlType::Other(n)
            if matches!(n.as_str(), "STRUCT" | "MAP" | "LIST" | "UNION" | "ARRAY") =>
        {
            160
        }
        _ => 110,
    }
}

/// The logical type id, for "same type, any parameters" checks.
pub(crate) fn same_id(a: &SqlType, b: &SqlType) -> bool {
    use SqlType as S;
    match (a, b) {
        (S::Decimal { .. }, S::Decimal { .. }) | (S::Enum(_), S::Enum(_)) => true,
        (S::Decimal { .. }, S::Other(n)) | (S::Other(n), S::Decimal { .. }) => n == "DECIMAL",
        (S::Map(..), S::Map(..)) | (S::Struct(_), S::Struct(_)) | (S::Union(_), S::Union(_)) => {
            true
        }
        (S::Map(..), S::Other(n)) => n == "MAP",
        (S::Struct(_), S::Other(n)) => n == "STRUCT",
        (S::Union(_), S::Other(n)) => n == "UNION",
        _ => a == b,
    }
}

/// Whether a string literal can become this type: only fully specified types.
fn is_complete(ty: &SqlType) -> bool {
    match ty {
        SqlType::Other(n) => !matches!(
            n.as_str(),
            "ANY" | "DECIMAL" | "LIST" | "STRUCT" | "MAP" | "UNION" | "ARRAY"
        ),
        SqlType::List(e) | SqlType::Array(e, _) => is_complete(e),
        SqlType::Map(k, v) => is_complete(k) && is_complete(v),
        SqlType::Struct(f) | SqlType::Union(f) => {
            !f.is_empty() && f.iter().all(|(_, t)| is_complete(t))
        }
        SqlType::Unknown => false,
        _ => true,
    }
}

fn literal_fits(v: i128, to: &SqlType) -> bool {
    let (lo, hi): (i128, i128) = match to {
        SqlType::Float | SqlType::Double => return true,
        SqlType::TinyInt => (i8::MIN.into(), i8::MAX.into()),
        SqlType::SmallInt => (i16::MIN.into(), i16::MAX.into()),
        SqlType::Integer => (i32::MIN.into(), i32::MAX.into()),
        SqlType::BigInt => (i64::MIN.into(), i64::MAX.into()),
        SqlType::HugeInt => (i128::MIN, i128::MAX),
        SqlType::UTinyInt => (0, u8::MAX.into()),
        SqlType::USmallInt => (0, u16::MAX.into()),
        SqlType::UInteger => (0, u32::MAX.into()),
        SqlType::UBigInt => (0, u64::MAX.into()),
        SqlType::UHugeInt => (0, i128::MAX),
        _ => return false,
    };
    (lo..=hi).contains(&v)
}

/// Which targets each source type casts to implicitly (DuckDB's per-type tables).
fn numeric_target(from: &SqlType, to: &SqlType) -> bool {
    use SqlType as S;
    let bignum = matches!(to, S::Other(n) if n == "BIGNUM");
    let decimal = matches!(to, S::Decimal { .. }) || matches!(to, S::Other(n) if n == "DECIMAL");
    let float = matches!(to, S::Float | S::Double);
    let common = bignum || decimal || float;
    match from {
        S::TinyInt => common || matches!(to, S::SmallInt | S::Integer | S::BigInt | S::HugeInt),
        S::SmallInt => common || matches!(to, S::Integer | S::BigInt | S::HugeInt),
        S::Integer => common || matches!(to, S::BigInt | S::HugeInt),
        S::BigInt => common || matches!(to, S::HugeInt),
        S::UTinyInt => {
            common
                || matches!(
                    to,
                    S::USmallInt
                        | S::UInteger
                        | S::UBigInt
                        | S::SmallInt
                        | S::Integer
                        | S::BigInt
                        | S::HugeInt
                        | S::UHugeInt
                )
        }
        S::USmallInt => {
            common
                || matches!(
                    to,
                    S::UInteger | S::UBigInt | S::Integer | S::BigInt | S::HugeInt | S::UHugeInt
                )
        }
        S::UInteger => common || matches!(to, S::UBigInt | S::BigInt | S::UHugeInt | S::HugeInt),
        S::UBigInt => common || matches!(to, S::UHugeInt | S::HugeInt),
        S::HugeInt | S::UHugeInt => common,
        S::Float => bignum || matches!(to, S::Double),
        S::Double => bignum,
        S::Decimal { .. } => float,
        S::Other(n) if n == "BIGNUM" => matches!(to, S::Double),
        S::Date => matches!(
            to,
            S::Timestamp | S::TimestampTz | S::TimestampMs | S::TimestampNs | S::TimestampS
        ),
        S::Enum(_) => matches!(to, S::Varchar),
        S::TimestampS => matches!(to, S::Timestamp | S::TimestampMs | S::TimestampNs),
        S::TimestampMs => matches!(to, S::Timestamp | S::TimestampNs),
        S::TimestampNs => matches!(to, S::Timestamp),
        S::Timestamp => matches!(to, S::TimestampNs | S::TimestampTz),
        _ => false,
    }
}

/// DuckDB's generic implicit-cast rules (`CastRules::ImplicitCast`), without the casts an
/// extension registers (JSON's, see `cost`).
pub(crate) fn rules_cost(from: &SqlType, lit: Literal, to: &SqlType) -> Option<u32> {
    use SqlType as S;
    if pseudo(to) == Some("LAMBDA") {
        // Only a lambda (`x -> ...`) fits; the binder passes lambdas as Unknown.
        return from.is_unknown().then_some(0);
    }
    if matches!(from, S::Null) && template_name(to).is_some() {
        return Some(ANY_COST);
    }
    if matches!(from, S::Null) || is_any(to) || template_name(to).is_some() {
        return Some(target_cost(to));
    }
    if from.is_unknown() || to.is_unknown() {
        return Some(0);
    }
    if lit == Literal::String && matches!(from, S::Varchar) {
        if !is_complete(to) {
            return None;
        }
        return Some(if matches!(to, S::Varchar) { 1 } else { 20 });
    }
    if let Literal::Integer(v) = lit {
        if from == to {
            return Some(0);
        }
        if literal_fits(v, to) {
            return Some(target_cost(to) - 90);
        }
        return rules_cost(from, Literal::No, to);
    }
    if matches!(from, S::Json) != matches!(to, S::Json) {
        return None;
    }
    match (from, to) {
        (S::List(f), S::List(t)) => {
            let c = rules_cost(f, Literal::No, t)?;
            return Some(c.saturating_sub(1));
        }
        (S::List(f), S::Other(n)) if n == "LIST" => {
            return rules_cost(f, Literal::No, &S::Other("ANY".into())).map(|c| c - 1);
        }
        (S::Array(f, fs), S::Array(t, ts)) => {
            if fs != ts && *ts != 0 {
                return None;
            }
            let c = rules_cost(f, Literal::No, t)?;
            return Some(if c >= 100 { c - 1 } else { c });
        }
        (S::Array(f, _), S::List(t)) => return rules_cost(f, Literal::No, t).map(|c| c + 1),
        (S::Array(f, _), S::Other(n)) if n == "ARRAY" => {
            return rules_cost(f, Literal::No, &S::Other("ANY".into()));
        }
        (S::List(f), S::Array(t, n)) if *n != 0 => return rules_cost(f, Literal::No, t),
        (S::Union(fm), S::Union(tm)) => {
            let mut cost: Option<u32> = None;
            for (name, ft) in fm {
                let (_, tt) = tm.iter().find(|(n, _)| n.eq_ignore_ascii_case(name))?;
                let c = rules_cost(ft, Literal::No, tt);
                cost = match (cost, c) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    (None, c) | (c, None) => c,
                };
            }
            return cost;
        }
        (S::Struct(ff), S::Struct(tf)) => {
            if ff.len() != tf.len() {
                return None;
            }
            let mut cost = 0;
            for (name, ft) in ff {
                let (_, tt) = tf.iter().find(|(n, _)| n.eq_ignore_ascii_case(name))?;
                cost = cost.max(rules_cost(ft, Literal::No, tt)?);
            }
            return Some(cost);
        }
        _ => {}
    }
    if same_id(from, to) {
        return Some(0);
    }
    if let S::Union(members) = to {
        return members
            .iter()
            .filter_map(|(_, m)| rules_cost(from, Literal::No, m))
            .min();
    }
    numeric_target(from, to).then(|| target_cost(to))
}

/// The cost DuckDB's function binder charges for casting `from` to `to` implicitly,
/// including the casts the JSON extension registers; None when there is no implicit cast.
pub(crate) fn cost(from: &SqlType, lit: Literal, to: &SqlType) -> Option<u32> {
    use SqlType as S;
    if lit == Literal::No || lit == Literal::Null {
        match (from, to) {
            (S::Json, S::Varchar) => return Some(1),
            (S::Varchar, S::Json) => return Some(target_cost(&S::Struct(vec![])) + 1),
            (S::Null, S::Json) => return Some(target_cost(&S::Varchar) + 1),
            (S::List(e), S::Json) if **e == S::Json => return Some(100),
            (S::Json, S::Json) | (S::Unknown, _) | (_, S::Unknown) => {}
            (f, S::Json) => {
                let to_varchar = rules_cost(f, Literal::No, &S::Varchar).map_or(-1, i64::from);
                return Some((to_varchar - 1).max(0) as u32);
            }
            _ => {}
        }
    }
    rules_cost(from, lit, to)
}

/// The cost of casting the value `from` to `to` implicitly, as DuckDB's function binder
/// charges it (lower is preferred), or None when DuckDB does not cast implicitly: integer
/// literals fit any numeric type that holds them, string literals and NULL cast to anything,
/// a VARCHAR column casts to no other type (DuckDB >= 1.1), integers widen, integers become
/// DECIMAL/DOUBLE, DATE becomes TIMESTAMP, and so on. `Unknown` casts both ways for free.
pub fn implicit_cast_cost(from: &Typed, to: &SqlType) -> Option<u32> {
    cost(&from.ty, from.literal, to)
}
