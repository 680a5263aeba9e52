//! `+` and `-` on dates, datetimes and timedeltas.
//!
//! minijinja's operators do not reach objects, so in templates that may use datetimes (their
//! text mentions `datetime`, `timedelta`, `pytz` or `run_started_at`) binary `+`/`-` are
//! rewritten to `modules.__dbtc_add(a, b)` / `modules.__dbtc_sub(a, b)` (see `rewrite`). These compute
//! Python's datetime arithmetic and hand any other operands back to minijinja's own `+`/`-`,
//! so numbers, strings and lists behave exactly as before.

use std::sync::LazyLock;

use chrono::TimeDelta;
use minijinja::value::Value;
use minijinja::{Environment, Error, Expression};

use super::datetime::{Date, DateTime};
use super::delta::Delta;
use super::err;

const DAY_US: i64 = 86_400_000_000;

/// An operand as Python sees it.
enum Operand {
    DateTime(DateTime),
    Date(Date),
    Delta(Delta),
    Other,
}

fn operand(v: &Value) -> Operand {
    if let Some(d) = v.downcast_object_ref::<DateTime>() {
        Operand::DateTime(d.clone())
    } else if let Some(d) = v.downcast_object_ref::<Date>() {
        Operand::Date(d.clone())
    } else if let Some(d) = v.downcast_object_ref::<Delta>() {
        Operand::Delta(d.clone())
    } else {
        Operand::Other
    }
}

fn overflow() -> Error {
    err("OverflowError: date value out of range")
}

fn type_error(op: &str, a: &Value, b: &Value) -> Error {
    err(format!(
        "TypeError: unsupported operand type(s) for {op}: {a} and {b}"
    ))
}

fn shift(dt: &DateTime, d: TimeDelta) -> Result<Value, Error> {
    let wall = dt.wall.checked_add_signed(d).ok_or_else(overflow)?;
    Ok(DateTime::value(wall, dt.off.clone()))
}

/// Python's `date + timedelta`: only whole days (floored) count.
fn shift_date(date: &Date, d: TimeDelta) -> Result<Value, Error> {
    let days = d
        .num_microseconds()
        .ok_or_else(overflow)?
        .div_euclid(DAY_US);
    let new = date
        .0
        .checked_add_signed(TimeDelta::days(days))
        .ok_or_else(overflow)?;
    Ok(Date::value(new))
}

/// `a + b` for datetime operands; `None` when neither operand is a date, datetime or
/// timedelta.
fn py_add(a: &Value, b: &Value) -> Option<Result<Value, Error>> {
    Some(match (operand(a), operand(b)) {
        (Operand::Other, Operand::Other) => return None,
        (Operand::DateTime(dt), Operand::Delta(d)) | (Operand::Delta(d), Operand::DateTime(dt)) => {
            shift(&dt, d.0)
        }
        (Operand::Date(date), Operand::Delta(d)) | (Operand::Delta(d), Operand::Date(date)) => {
            shift_date(&date, d.0)
        }
        (Operand::Delta(x), Operand::Delta(y)) => {
            x.0.checked_add(&y.0).map(Delta::value).ok_or_else(overflow)
        }
        _ => Err(type_error("+", a, b)),
    })
}

/// `a - b` for datetime operands; `None` when neither is one.
fn py_sub(a: &Value, b: &Value) -> Option<Result<Value, Error>> {
    Some(match (operand(a), operand(b)) {
        (Operand::Other, Operand::Other) => return None,
        (Operand::DateTime(dt), Operand::Delta(d)) => shift(&dt, -d.0),
        (Operand::Date(date), Operand::Delta(d)) => shift_date(&date, -d.0),
        (Operand::Delta(x), Operand::Delta(y)) => {
            x.0.checked_sub(&y.0).map(Delta::value).ok_or_else(overflow)
        }
        (Operand::Date(x), Operand::Date(y)) => Ok(Delta::value(x.0 - y.0)),
        (Operand::DateTime(x), Operand::DateTime(y)) => match (&x.off, &y.off) {
            (None, None) => Ok(Delta::value(x.wall - y.wall)),
            (Some(_), Some(_)) => Ok(Delta::value(x.utc() - y.utc())),
            _ => Err(err(
                "TypeError: can't subtract offset-naive and offset-aware datetimes",
            )),
        },
        _ => Err(type_error("-", a, b)),
    })
}

/// minijinja's own `+`/`-`, for operands that are not datetimes: expressions compiled once.
static OPS: LazyLock<Environment<'static>> = LazyLock::new(Environment::new);
static PLUS: LazyLock<Result<Expression<'static, 'static>, Error>> =
    LazyLock::new(|| OPS.compile_expression("a + b"));
static MINUS: LazyLock<Result<Expression<'static, 'static>, Error>> =
    LazyLock::new(|| OPS.compile_expression("a - b"));

fn minijinja_op(
    expr: &Result<Expression<'static, 'static>, Error>,
    a: Value,
    b: Value,
) -> Result<Value, Error> {
    expr.as_ref()
        .map_err(|e| err(format!("cannot evaluate `a + b`/`a - b`: {e}")))?
        .eval(minijinja::context! { a => a, b => b })
}

/// `modules.__dbtc_add(a, b)`: `a + b`.
pub fn add(a: Value, b: Value) -> Result<Value, Error> {
    py_add(&a, &b).unwrap_or_else(|| minijinja_op(&PLUS, a, b))
}

/// `modules.__dbtc_sub(a, b)`: `a - b`.
pub fn sub(a: Value, b: Value) -> Result<Value, Error> {
    py_sub(&a, &b).unwrap_or_else(|| minijinja_op(&MINUS, a, b))
}
