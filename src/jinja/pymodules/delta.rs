//! `datetime.timedelta`: Python's normalized days/seconds/microseconds, rendering and
//! `total_seconds()`.

use std::cmp::Ordering;
use std::fmt;
use std::sync::Arc;

use chrono::TimeDelta;
use minijinja::value::{DynObject, Object, Value};
use minijinja::{Error, ErrorKind, State};

use super::{Args, err};

const DAY_US: i64 = 86_400_000_000;

/// A `timedelta`.
#[derive(Debug, Clone)]
pub(super) struct Delta(pub(super) TimeDelta);

impl Delta {
    pub(super) fn value(d: TimeDelta) -> Value {
        Value::from_object(Delta(d))
    }

    pub(super) fn secs(secs: i32) -> Value {
        Delta::value(TimeDelta::seconds(secs as i64))
    }

    fn micros(&self) -> i64 {
        self.0.num_microseconds().unwrap_or(0)
    }

    /// `timedelta(days, seconds, microseconds, milliseconds, minutes, hours, weeks)`.
    pub(super) fn construct(a: &Args) -> Result<Value, Error> {
        let names = [
            ("days", 86_400_000_000.0),
            ("seconds", 1_000_000.0),
            ("microseconds", 1.0),
            ("milliseconds", 1_000.0),
            ("minutes", 60_000_000.0),
            ("hours", 3_600_000_000.0),
            ("weeks", 604_800_000_000.0),
        ];
        let mut micros = 0.0;
        for (i, (name, scale)) in names.iter().enumerate() {
            micros += a.float(name, i)? * scale;
        }
        // Python's limit is 999999999 days.
        if micros.abs() >= 1e9 * 86_400_000_000.0 {
            return Err(err("OverflowError: timedelta out of range"));
        }
        Ok(Delta::value(TimeDelta::microseconds(
            micros.round_ties_even() as i64,
        )))
    }
}

impl Object for Delta {
    /// Python's `bool(timedelta)`: false only for a zero duration.
    fn is_true(self: &Arc<Self>) -> bool {
        self.micros() != 0
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let micros = self.micros();
        let days = micros.div_euclid(DAY_US);
        let rest = micros.rem_euclid(DAY_US);
        Some(match key.as_str()? {
            "days" => Value::from(days),
            "seconds" => Value::from(rest / 1_000_000),
            "microseconds" => Value::from(rest % 1_000_000),
            _ => return None,
        })
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        _args: &[Value],
    ) -> Result<Value, Error> {
        match method {
            "total_seconds" => Ok(Value::from(self.micros() as f64 / 1e6)),
            _ => Err(Error::new(
                ErrorKind::UnknownMethod,
                format!("timedelta has no `{method}`"),
            )),
        }
    }

    fn custom_cmp(self: &Arc<Self>, other: &DynObject) -> Option<Ordering> {
        let other = other.downcast_ref::<Delta>()?;
        Some(self.0.cmp(&other.0))
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let micros = self.micros();
        let days = micros.div_euclid(DAY_US);
        let rest = micros.rem_euclid(DAY_US);
        let (h, m, s, us) = (
            rest / 3_600_000_000,
            rest / 60_000_000 % 60,
            rest / 1_000_000 % 60,
            rest % 1_000_000,
        );
        if days != 0 {
            let plural = if days.abs() == 1 { "" } else { "s" };
            write!(f, "{days} day{plural}, ")?;
        }
        write!(f, "{h}:{m:02}:{s:02}")?;
        if us != 0 {
            write!(f, ".{us:06}")?;
        }
        Ok(())
    }
}
