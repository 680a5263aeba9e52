//! `COLUMNS(c -> predicate)`: DuckDB keeps the columns whose name makes the lambda true.
//! dbtc evaluates the predicates written over the name alone: `LIKE`/`ILIKE` (and `NOT`),
//! `=`/`<>`/`IN` against strings, `AND`/`OR`/`NOT`, and `starts_with`/`prefix`,
//! `ends_with`/`suffix`, `contains`, `regexp_matches` with a string argument. Anything else
//! is not evaluated (the caller keeps the SELECT opaque).

use sqlparser::ast::{
    BinaryOperator, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, InTarget,
    LambdaFunction, OneOrManyWithParens, UnaryOperator, Value,
};

enum Pred {
    Like { pattern: String, fold: bool },
    Equals(String),
    In(Vec<String>),
    StartsWith(String),
    EndsWith(String),
    Contains(String),
    Regex(regex::Regex),
    And(Box<Pred>, Box<Pred>),
    Or(Box<Pred>, Box<Pred>),
    Not(Box<Pred>),
}

/// A name predicate from a one-parameter lambda, or None when dbtc cannot evaluate it.
pub(crate) struct NameFilter(Pred);

impl NameFilter {
    pub fn from_lambda(l: &LambdaFunction) -> Option<NameFilter> {
        pred(&l.body, param(l)?).map(NameFilter)
    }

    pub fn matches(&self, name: &str) -> bool {
        eval(&self.0, name)
    }
}

/// The parameter of a one-parameter lambda.
pub(crate) fn param(l: &LambdaFunction) -> Option<&str> {
    match &l.params {
        OneOrManyWithParens::One(p) => Some(&p.name.value),
        OneOrManyWithParens::Many(ps) => match ps.as_slice() {
            [p] => Some(&p.name.value),
            _ => None,
        },
    }
}

fn is_param(e: &Expr, param: &str) -> bool {
    match e {
        Expr::Identifier(i) => i.value.eq_ignore_ascii_case(param),
        Expr::Nested(inner) => is_param(inner, param),
        _ => false,
    }
}

fn string(e: &Expr) -> Option<String> {
    match e {
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) => Some(s.clone()),
            _ => None,
        },
        Expr::Nested(inner) => string(inner),
        _ => None,
    }
}

fn negate(p: Pred, negated: bool) -> Pred {
    if negated { Pred::Not(Box::new(p)) } else { p }
}

fn pred(e: &Expr, param: &str) -> Option<Pred> {
    Some(match e {
        Expr::Nested(inner) => pred(inner, param)?,
        Expr::Like {
            negated,
            any: false,
            expr,
            pattern,
            escape_char: None,
        }
        | Expr::ILike {
            negated,
            any: false,
            expr,
            pattern,
            escape_char: None,
        } if is_param(expr, param) => {
            let pattern = string(pattern)?;
            if pattern.contains('\\') {
                return None;
            }
            let fold = matches!(e, Expr::ILike { .. });
            negate(Pred::Like { pattern, fold }, *negated)
        }
        Expr::BinaryOp { left, op, right } => match op {
            BinaryOperator::And => {
                Pred::And(Box::new(pred(left, param)?), Box::new(pred(right, param)?))
            }
            BinaryOperator::Or => {
                Pred::Or(Box::new(pred(left, param)?), Box::new(pred(right, param)?))
            }
            BinaryOperator::Eq | BinaryOperator::NotEq => {
                let value = if is_param(left, param) {
                    string(right)?
                } else if is_param(right, param) {
                    string(left)?
                } else {
                    return None;
                };
                negate(Pred::Equals(value), matches!(op, BinaryOperator::NotEq))
            }
            _ => return None,
        },
        Expr::UnaryOp {
            op: UnaryOperator::Not,
            expr,
        } => Pred::Not(Box::new(pred(expr, param)?)),
        Expr::In {
            expr,
            target: InTarget::List(list),
            negated,
            ..
        } if is_param(expr, param) => {
            let values = list.iter().map(string).collect::<Option<Vec<_>>>()?;
            negate(Pred::In(values), *negated)
        }
        Expr::Function(f) if f.over.is_none() && f.filter.is_none() => {
            let FunctionArguments::List(list) = &f.args else {
                return None;
            };
            let [
                FunctionArg::Unnamed(FunctionArgExpr::Expr(a)),
                FunctionArg::Unnamed(FunctionArgExpr::Expr(b)),
            ] = list.args.as_slice()
            else {
                return None;
            };
            if !is_param(a, param) {
                return None;
            }
            let arg = string(b)?;
            let [name] = f.name.0.as_slice() else {
                return None;
            };
            let name = name.as_ident()?.value.to_ascii_lowercase();
            match name.as_str() {
                "starts_with" | "prefix" => Pred::StartsWith(arg),
                "ends_with" | "suffix" => Pred::EndsWith(arg),
                "contains" => Pred::Contains(arg),
                "regexp_matches" => Pred::Regex(regex::Regex::new(&arg).ok()?),
                _ => return None,
            }
        }
        _ => return None,
    })
}

fn eval(p: &Pred, name: &str) -> bool {
    match p {
        Pred::Like { pattern, fold } => {
            if *fold {
                like(&pattern.to_lowercase(), &name.to_lowercase())
            } else {
                like(pattern, name)
            }
        }
        Pred::Equals(v) => v == name,
        Pred::In(vs) => vs.iter().any(|v| v == name),
        Pred::StartsWith(v) => name.starts_with(v.as_str()),
        Pred::EndsWith(v) => name.ends_with(v.as_str()),
        Pred::Contains(v) => name.contains(v.as_str()),
        Pred::Regex(r) => r.is_match(name),
        Pred::And(a, b) => eval(a, name) && eval(b, name),
        Pred::Or(a, b) => eval(a, name) || eval(b, name),
        Pred::Not(a) => !eval(a, name),
    }
}

/// SQL LIKE: `%` any run of characters, `_` one character.
fn like(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    // can[j]: the pattern prefix read so far matches t[..j].
    let mut can = vec![false; t.len() + 1];
    can[0] = true;
    for &c in &p {
        let mut next = vec![false; t.len() + 1];
        match c {
            '%' => {
                let mut any = false;
                for j in 0..=t.len() {
                    any |= can[j];
                    next[j] = any;
                }
            }
            _ => {
                for j in 0..t.len() {
                    if can[j] && (c == '_' || c == t[j]) {
                        next[j + 1] = true;
                    }
                }
            }
        }
        can = next;
    }
    can[t.len()]
}

#[cfg(test)]
mod tests {
    use super::like;

    #[test]
    fn like_patterns() {
        assert!(like("%date%", "order_date"));
        assert!(like("ORDER%", "ORDER_ID"));
        assert!(!like("order%", "ORDER_ID"));
        assert!(like("a_c", "abc"));
        assert!(!like("a_c", "abbc"));
        assert!(like("%", ""));
        assert!(!like("_", ""));
        assert!(like("%_at", "created_at"));
        assert!(!like("%_at", "at"));
    }
}
