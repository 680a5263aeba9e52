//! `modules.datetime` and `modules.pytz`: dates, datetimes (naive or UTC) and timedeltas
//! with Python's rendering, `strftime`/`strptime` and comparisons. Without a time zone
//! database only UTC is known; other zones are an error rather than a silent shift.

use std::cmp::Ordering;
use std::fmt::{self, Write as _};
use std::sync::Arc;

use chrono::{Datelike, NaiveDate, NaiveDateTime, TimeDelta, Timelike};
use minijinja::value::{DynObject, Object, Value};
use minijinja::{Error, ErrorKind, State};

use super::{Args, err};

/// `modules.datetime`.
#[derive(Debug)]
pub(super) struct DatetimeModule;

impl Object for DatetimeModule {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        Some(match key.as_str()? {
            "datetime" => Value::from_object(Class::DateTime),
            "date" => Value::from_object(Class::Date),
            "timedelta" => Value::from_object(Class::TimeDelta),
            "timezone" => Value::from_object(Class::Timezone),
            "MINYEAR" => Value::from(1),
            "MAXYEAR" => Value::from(9999),
            _ => return None,
        })
    }
}

/// The classes of the datetime module: calling one constructs an instance, and their
/// class methods (`now`, `today`, `strptime`, ...) are methods here.
#[derive(Debug)]
enum Class {
    DateTime,
    Date,
    TimeDelta,
    Timezone,
}

/// The current time in UTC.
fn utc_now() -> NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

impl Object for Class {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        match (&**self, key.as_str()?) {
            (Class::Timezone, "utc") => Some(Value::from_object(Tz)),
            _ => None,
        }
    }

    fn call(self: &Arc<Self>, _state: &mut State<'_, '_>, args: &[Value]) -> Result<Value, Error> {
        let a = Args::new(args);
        match **self {
            Class::DateTime => {
                let date = ymd(&a)?;
                let time = date
                    .and_hms_micro_opt(
                        a.int("hour", 3, 0)? as u32,
                        a.int("minute", 4, 0)? as u32,
                        a.int("second", 5, 0)? as u32,
                        a.int("microsecond", 6, 0)? as u32,
                    )
                    .ok_or_else(|| err("datetime(): time out of range"))?;
                let aware = tz_arg(a.get("tzinfo", 7))?;
                Ok(DateTime::value(time, aware))
            }
            Class::Date => Ok(Value::from_object(Date(ymd(&a)?))),
            Class::TimeDelta => {
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
                Ok(Value::from_object(Delta(TimeDelta::microseconds(
                    micros.round() as i64,
                ))))
            }
            Class::Timezone => Err(err(
                "datetime.timezone(offset) is not supported; use datetime.timezone.utc",
            )),
        }
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        let a = Args::new(args);
        match (&**self, method) {
            (Class::DateTime, "now") => {
                let aware = tz_arg(a.get("tz", 0))?;
                Ok(DateTime::value(utc_now(), aware))
            }
            (Class::DateTime, "utcnow" | "today") => Ok(DateTime::value(utc_now(), false)),
            (Class::DateTime, "strptime") => {
                let text = a.str("date_string", 0)?;
                let format = py_format(&a.str("format", 1)?);
                let parsed = NaiveDateTime::parse_from_str(&text, &format)
                    .or_else(|_| {
                        NaiveDate::parse_from_str(&text, &format)
                            .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default())
                    })
                    .map_err(|e| {
                        err(format!(
                            "time data '{text}' does not match format '{}': {e}",
                            a.str("format", 1).unwrap_or_default()
                        ))
                    })?;
                Ok(DateTime::value(parsed, false))
            }
            (Class::DateTime, "fromisoformat") => {
                let text = a.str("date_string", 0)?;
                parse_iso(&text)
            }
            (Class::DateTime, "combine") => {
                let date = a.get("date", 0).and_then(|d| as_date(&d));
                let date = date.ok_or_else(|| err("datetime.combine() needs a date"))?;
                Ok(DateTime::value(
                    date.and_hms_opt(0, 0, 0).unwrap_or_default(),
                    false,
                ))
            }
            (Class::Date, "today") => Ok(Value::from_object(Date(utc_now().date()))),
            (Class::Date, "fromisoformat") => {
                let text = a.str("date_string", 0)?;
                NaiveDate::parse_from_str(&text, "%Y-%m-%d")
                    .map(|d| Value::from_object(Date(d)))
                    .map_err(|_| err(format!("Invalid isoformat string: '{text}'")))
            }
            _ => Err(Error::new(
                ErrorKind::UnknownMethod,
                format!("datetime has no `{method}`"),
            )),
        }
    }
}

fn ymd(a: &Args) -> Result<NaiveDate, Error> {
    let (y, m, d) = (
        a.int("year", 0, 1)?,
        a.int("month", 1, 1)?,
        a.int("day", 2, 1)?,
    );
    NaiveDate::from_ymd_opt(y as i32, m as u32, d as u32).ok_or_else(|| {
        err(format!(
            "date({y}, {m}, {d}): day is out of range for month"
        ))
    })
}

/// Whether a `tz`/`tzinfo` argument makes a datetime aware (only UTC is known).
fn tz_arg(v: Option<Value>) -> Result<bool, Error> {
    match v {
        None => Ok(false),
        Some(v) if v.is_none() => Ok(false),
        Some(v) if v.downcast_object_ref::<Tz>().is_some() => Ok(true),
        Some(v) => Err(err(format!("unsupported tzinfo {v}"))),
    }
}

fn as_date(v: &Value) -> Option<NaiveDate> {
    if let Some(d) = v.downcast_object_ref::<Date>() {
        return Some(d.0);
    }
    v.downcast_object_ref::<DateTime>().map(|d| d.dt.date())
}

fn parse_iso(text: &str) -> Result<Value, Error> {
    let t = text.trim();
    let (body, aware) = match t
        .strip_suffix("+00:00")
        .or_else(|| t.strip_suffix('Z'))
        .or_else(|| t.strip_suffix("+0000"))
    {
        Some(b) => (b, true),
        None => (t, false),
    };
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(body, fmt) {
            return Ok(DateTime::value(dt, aware));
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(body, "%Y-%m-%d") {
        return Ok(DateTime::value(
            d.and_hms_opt(0, 0, 0).unwrap_or_default(),
            aware,
        ));
    }
    Err(err(format!("Invalid isoformat string: '{text}'")))
}

/// A Python strftime/strptime format for chrono: `%f` is microseconds in Python.
fn py_format(format: &str) -> String {
    format.replace("%f", "%6f")
}

/// Formats with a Python strftime format; unknown directives are an error, not a panic.
fn strftime(dt: &NaiveDateTime, aware: bool, format: &str) -> Result<String, Error> {
    let mut format = py_format(format);
    if !aware {
        // Python prints nothing for %z/%Z of a naive datetime.
        format = format.replace("%z", "").replace("%Z", "");
    }
    let items: Vec<chrono::format::Item> = chrono::format::StrftimeItems::new(&format).collect();
    if items
        .iter()
        .any(|i| matches!(i, chrono::format::Item::Error))
    {
        return Err(err(format!("invalid strftime format '{format}'")));
    }
    let mut out = String::new();
    let written = if aware {
        let utc = dt.and_utc();
        write!(out, "{}", utc.format_with_items(items.iter()))
    } else {
        write!(out, "{}", dt.format_with_items(items.iter()))
    };
    written.map_err(|_| err(format!("invalid strftime format '{format}'")))?;
    Ok(out)
}

/// `datetime.datetime`: naive, or aware in UTC.
#[derive(Debug, Clone)]
pub struct DateTime {
    pub dt: NaiveDateTime,
    pub aware: bool,
}

impl DateTime {
    pub fn value(dt: NaiveDateTime, aware: bool) -> Value {
        Value::from_object(DateTime { dt, aware })
    }

    /// `run_started_at`: the current time, in UTC.
    pub fn now_utc() -> Value {
        DateTime::value(utc_now(), true)
    }

    fn iso(&self, sep: &str) -> String {
        let micros = self.dt.nanosecond() / 1000;
        let mut s = format!(
            "{}{sep}{}",
            self.dt.format("%Y-%m-%d"),
            self.dt.format("%H:%M:%S")
        );
        if micros != 0 {
            s.push_str(&format!(".{micros:06}"));
        }
        if self.aware {
            s.push_str("+00:00");
        }
        s
    }
}

impl Object for DateTime {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let dt = &self.dt;
        Some(match key.as_str()? {
            "year" => Value::from(dt.year()),
            "month" => Value::from(dt.month()),
            "day" => Value::from(dt.day()),
            "hour" => Value::from(dt.hour()),
            "minute" => Value::from(dt.minute()),
            "second" => Value::from(dt.second()),
            "microsecond" => Value::from(dt.nanosecond() / 1000),
            "tzinfo" => {
                if self.aware {
                    Value::from_object(Tz)
                } else {
                    Value::from(())
                }
            }
            _ => return None,
        })
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        let a = Args::new(args);
        match method {
            "strftime" => Ok(Value::from(strftime(
                &self.dt,
                self.aware,
                &a.str("format", 0)?,
            )?)),
            "isoformat" => {
                let sep = a.get("sep", 0).map_or("T".to_string(), |s| s.to_string());
                Ok(Value::from(self.iso(&sep)))
            }
            "date" => Ok(Value::from_object(Date(self.dt.date()))),
            "timestamp" => Ok(Value::from(
                self.dt.and_utc().timestamp_micros() as f64 / 1e6,
            )),
            "weekday" => Ok(Value::from(self.dt.weekday().num_days_from_monday())),
            "isoweekday" => Ok(Value::from(self.dt.weekday().number_from_monday())),
            "astimezone" => Ok(DateTime::value(
                self.dt,
                tz_arg(a.get("tz", 0))? || self.aware,
            )),
            "replace" => {
                let dt = &self.dt;
                let date = NaiveDate::from_ymd_opt(
                    a.int("year", usize::MAX, dt.year() as i64)? as i32,
                    a.int("month", usize::MAX, dt.month() as i64)? as u32,
                    a.int("day", usize::MAX, dt.day() as i64)? as u32,
                )
                .ok_or_else(|| err("replace(): date out of range"))?;
                let new = date
                    .and_hms_micro_opt(
                        a.int("hour", usize::MAX, dt.hour() as i64)? as u32,
                        a.int("minute", usize::MAX, dt.minute() as i64)? as u32,
                        a.int("second", usize::MAX, dt.second() as i64)? as u32,
                        a.int("microsecond", usize::MAX, (dt.nanosecond() / 1000) as i64)? as u32,
                    )
                    .ok_or_else(|| err("replace(): time out of range"))?;
                let aware = match a.kw.as_ref().map(|k| k.has("tzinfo")) {
                    Some(true) => tz_arg(a.get("tzinfo", usize::MAX))?,
                    _ => self.aware,
                };
                Ok(DateTime::value(new, aware))
            }
            _ => Err(Error::new(
                ErrorKind::UnknownMethod,
                format!("datetime has no `{method}`"),
            )),
        }
    }

    fn custom_cmp(self: &Arc<Self>, other: &DynObject) -> Option<Ordering> {
        let other = other.downcast_ref::<DateTime>()?;
        Some(self.dt.cmp(&other.dt))
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.iso(" "))
    }
}

/// `datetime.date`.
#[derive(Debug, Clone)]
struct Date(NaiveDate);

impl Object for Date {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        Some(match key.as_str()? {
            "year" => Value::from(self.0.year()),
            "month" => Value::from(self.0.month()),
            "day" => Value::from(self.0.day()),
            _ => return None,
        })
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        let a = Args::new(args);
        let midnight = self.0.and_hms_opt(0, 0, 0).unwrap_or_default();
        match method {
            "strftime" => Ok(Value::from(strftime(
                &midnight,
                false,
                &a.str("format", 0)?,
            )?)),
            "isoformat" => Ok(Value::from(self.0.format("%Y-%m-%d").to_string())),
            "weekday" => Ok(Value::from(self.0.weekday().num_days_from_monday())),
            "isoweekday" => Ok(Value::from(self.0.weekday().number_from_monday())),
            _ => Err(Error::new(
                ErrorKind::UnknownMethod,
                format!("date has no `{method}`"),
            )),
        }
    }

    fn custom_cmp(self: &Arc<Self>, other: &DynObject) -> Option<Ordering> {
        let other = other.downcast_ref::<Date>()?;
        Some(self.0.cmp(&other.0))
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%d"))
    }
}

/// `datetime.timedelta`.
#[derive(Debug, Clone)]
struct Delta(TimeDelta);

impl Object for Delta {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let micros = self.0.num_microseconds()?;
        let days = micros.div_euclid(86_400_000_000);
        let rest = micros.rem_euclid(86_400_000_000);
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
            "total_seconds" => Ok(Value::from(
                self.0.num_microseconds().unwrap_or(0) as f64 / 1e6,
            )),
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
        let micros = self.0.num_microseconds().unwrap_or(0);
        let days = micros.div_euclid(86_400_000_000);
        let rest = micros.rem_euclid(86_400_000_000);
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

/// `modules.pytz`: `utc` and `timezone('UTC')`.
#[derive(Debug)]
pub(super) struct Pytz;

impl Object for Pytz {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        match key.as_str()? {
            "utc" | "UTC" => Some(Value::from_object(Tz)),
            _ => None,
        }
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        match method {
            "timezone" => {
                let name = Args::new(args).str("zone", 0)?;
                if matches!(
                    name.to_ascii_uppercase().as_str(),
                    "UTC" | "ETC/UTC" | "GMT" | "ETC/GMT" | "Z" | "ZULU"
                ) {
                    Ok(Value::from_object(Tz))
                } else {
                    Err(err(format!(
                        "pytz.timezone('{name}'): dbtc renders ahead of time without a time \
                         zone database and supports only UTC here"
                    )))
                }
            }
            _ => Err(Error::new(
                ErrorKind::UnknownMethod,
                format!("pytz has no `{method}`"),
            )),
        }
    }
}

/// The UTC time zone.
#[derive(Debug)]
struct Tz;

impl Object for Tz {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        match key.as_str()? {
            "zone" => Some(Value::from("UTC")),
            _ => None,
        }
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        match method {
            "localize" => {
                let dt = args
                    .first()
                    .and_then(|v| v.downcast_object_ref::<DateTime>().cloned())
                    .ok_or_else(|| err("localize() needs a datetime"))?;
                Ok(DateTime::value(dt.dt, true))
            }
            "utcoffset" | "dst" => Ok(Value::from_object(Delta(TimeDelta::zero()))),
            "tzname" => Ok(Value::from("UTC")),
            _ => Err(Error::new(
                ErrorKind::UnknownMethod,
                format!("timezone has no `{method}`"),
            )),
        }
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("UTC")
    }
}
