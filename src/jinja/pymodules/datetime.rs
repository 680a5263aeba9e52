//! `modules.datetime`: dates and datetimes (naive, or aware in any time zone, see `tz`)
//! with Python's rendering, `strftime`/`strptime`, `replace`, `astimezone` and comparisons.
//! Arithmetic (`+`, `-`) is in `arith`.

use std::cmp::Ordering;
use std::fmt::{self, Write as _};
use std::sync::{Arc, LazyLock};

use chrono::{Datelike, NaiveDate, NaiveDateTime, TimeDelta, Timelike};
use minijinja::value::{DynObject, Object, Value};
use minijinja::{Error, ErrorKind, State};

use super::delta::Delta;
use super::tz::{Offset, TzInfo, Zone, offset_text, zone_arg};
use super::{Args, err};

/// `modules.datetime`.
#[derive(Debug)]
pub(super) struct DatetimeModule;

impl Object for DatetimeModule {
    /// Python objects are true in a condition (minijinja's default for a map-like object
    /// without entries is false).
    fn is_true(self: &Arc<Self>) -> bool {
        true
    }

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

fn time_of(date: NaiveDate, a: &Args, idx: usize) -> Result<NaiveDateTime, Error> {
    date.and_hms_micro_opt(
        a.int("hour", idx, 0)? as u32,
        a.int("minute", idx + 1, 0)? as u32,
        a.int("second", idx + 2, 0)? as u32,
        a.int("microsecond", idx + 3, 0)? as u32,
    )
    .ok_or_else(|| err("ValueError: datetime(): time out of range"))
}

impl Object for Class {
    /// Python objects are true in a condition (minijinja's default for a map-like object
    /// without entries is false).
    fn is_true(self: &Arc<Self>) -> bool {
        true
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        match (&**self, key.as_str()?) {
            (Class::Timezone, "utc") => Some(TzInfo::value(Zone::Utc)),
            _ => None,
        }
    }

    fn call(self: &Arc<Self>, _state: &mut State<'_, '_>, args: &[Value]) -> Result<Value, Error> {
        let a = Args::new(args);
        match **self {
            Class::DateTime => {
                let wall = time_of(ymd(&a)?, &a, 3)?;
                let off = zone_arg(a.get("tzinfo", 7))?.map(|z| z.attached());
                Ok(DateTime::value(wall, off))
            }
            Class::Date => Ok(Date::value(ymd(&a)?)),
            Class::TimeDelta => Delta::construct(&a),
            Class::Timezone => {
                let offset = a
                    .get("offset", 0)
                    .and_then(|v| v.downcast_object_ref::<Delta>().cloned())
                    .ok_or_else(|| err("datetime.timezone() needs a timedelta offset"))?;
                let secs = offset.0.num_seconds();
                if secs.abs() >= 86_400 {
                    return Err(err("ValueError: offset must be strictly within one day"));
                }
                Ok(TzInfo::value(Zone::Fixed(secs as i32)))
            }
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
            (Class::DateTime, "now") => Ok(match zone_arg(a.get("tz", 0))? {
                Some(zone) => DateTime::in_zone(utc_now(), &zone),
                None => DateTime::value(utc_now(), None),
            }),
            (Class::DateTime, "utcnow" | "today") => Ok(DateTime::value(utc_now(), None)),
            (Class::DateTime, "fromtimestamp" | "utcfromtimestamp") => {
                let ts = a.float("timestamp", 0)?;
                let utc = chrono::DateTime::from_timestamp_micros((ts * 1e6).round() as i64)
                    .ok_or_else(|| err("ValueError: timestamp out of range"))?
                    .naive_utc();
                Ok(match zone_arg(a.get("tz", 1))? {
                    Some(zone) => DateTime::in_zone(utc, &zone),
                    None => DateTime::value(utc, None),
                })
            }
            (Class::DateTime, "strptime") => strptime(&a),
            (Class::DateTime, "fromisoformat") => parse_iso(&a.str("date_string", 0)?),
            (Class::DateTime, "combine") => {
                let date = a.get("date", 0).and_then(|d| as_date(&d));
                let date = date.ok_or_else(|| err("datetime.combine() needs a date"))?;
                Ok(DateTime::value(
                    date.and_hms_opt(0, 0, 0).unwrap_or_default(),
                    None,
                ))
            }
            (Class::Date, "today") => Ok(Date::value(utc_now().date())),
            (Class::Date, "fromisoformat") => {
                let text = a.str("date_string", 0)?;
                NaiveDate::parse_from_str(&text, "%Y-%m-%d")
                    .map(Date::value)
                    .map_err(|_| err(format!("ValueError: Invalid isoformat string: '{text}'")))
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
            "ValueError: date({y}, {m}, {d}): day is out of range for month"
        ))
    })
}

fn as_date(v: &Value) -> Option<NaiveDate> {
    if let Some(d) = v.downcast_object_ref::<Date>() {
        return Some(d.0);
    }
    v.downcast_object_ref::<DateTime>().map(|d| d.wall.date())
}

fn strptime(a: &Args) -> Result<Value, Error> {
    let text = a.str("date_string", 0)?;
    let format = py_format(&a.str("format", 1)?);
    let parsed = NaiveDateTime::parse_from_str(&text, &format)
        .or_else(|_| {
            NaiveDate::parse_from_str(&text, &format)
                .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default())
        })
        .map_err(|e| {
            err(format!(
                "ValueError: time data '{text}' does not match format '{}': {e}",
                a.str("format", 1).unwrap_or_default()
            ))
        })?;
    Ok(DateTime::value(parsed, None))
}

/// A trailing UTC offset of an ISO string: `Z`, `+HH:MM[:SS]`, `+HHMM`, `+HH`.
fn split_offset(t: &str) -> (&str, Option<i32>) {
    if let Some(body) = t.strip_suffix(['Z', 'z']) {
        return (body, Some(0));
    }
    // The offset starts at the last sign after the time part.
    let Some(time_start) = t.find(['T', ' ']) else {
        return (t, None);
    };
    let Some(pos) = t[time_start..].rfind(['+', '-']).map(|p| time_start + p) else {
        return (t, None);
    };
    let digits: String = t[pos + 1..].chars().filter(|c| *c != ':').collect();
    if !digits.chars().all(|c| c.is_ascii_digit()) || ![2, 4, 6].contains(&digits.len()) {
        return (t, None);
    }
    let n = |r: std::ops::Range<usize>| digits.get(r).and_then(|s| s.parse::<i32>().ok());
    let secs = n(0..2).unwrap_or(0) * 3600 + n(2..4).unwrap_or(0) * 60 + n(4..6).unwrap_or(0);
    let sign = if &t[pos..=pos] == "-" { -1 } else { 1 };
    (&t[..pos], Some(sign * secs))
}

fn parse_iso(text: &str) -> Result<Value, Error> {
    let (body, offset) = split_offset(text.trim());
    let off = offset.map(|secs| Zone::Fixed(secs).attached());
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(body, fmt) {
            return Ok(DateTime::value(dt, off));
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(body, "%Y-%m-%d") {
        return Ok(DateTime::value(
            d.and_hms_opt(0, 0, 0).unwrap_or_default(),
            off,
        ));
    }
    Err(err(format!(
        "ValueError: Invalid isoformat string: '{text}'"
    )))
}

/// A Python strftime/strptime format for chrono: `%f` is microseconds in Python.
fn py_format(format: &str) -> String {
    format.replace("%f", "%6f")
}

/// Formats with a Python strftime format: `%z`, `%Z` and `%f` as Python prints them (empty
/// for a naive datetime), the rest by chrono; unknown directives are an error.
fn strftime(dt: &NaiveDateTime, off: Option<&Offset>, format: &str) -> Result<String, Error> {
    let mut fmt = String::with_capacity(format.len());
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            fmt.push(c);
            continue;
        }
        match chars.next() {
            Some('z') => fmt.push_str(&off.map_or(String::new(), |o| offset_text(o.secs, ""))),
            Some('Z') => fmt.push_str(off.map_or("", |o| o.abbr.as_str())),
            Some('f') => fmt.push_str(&format!("{:06}", dt.nanosecond() / 1000)),
            Some(other) => {
                fmt.push('%');
                fmt.push(other);
            }
            None => fmt.push('%'),
        }
    }
    let items: Vec<chrono::format::Item> = chrono::format::StrftimeItems::new(&fmt).collect();
    if items
        .iter()
        .any(|i| matches!(i, chrono::format::Item::Error))
    {
        return Err(err(format!(
            "ValueError: invalid strftime format '{format}'"
        )));
    }
    let mut out = String::new();
    write!(out, "{}", dt.format_with_items(items.iter()))
        .map_err(|_| err(format!("ValueError: invalid strftime format '{format}'")))?;
    Ok(out)
}

/// A query value of a `DATE` or `TIMESTAMP` column, given as text, as the Python value dbt's
/// agate table holds (`datetime.date`, naive `datetime.datetime`); None for other types or
/// text that does not parse.
pub fn from_sql_text(data_type: &str, text: &str) -> Option<Value> {
    match data_type.to_ascii_lowercase().as_str() {
        "date" => NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .ok()
            .map(Date::value),
        "timestamp" | "timestamp without time zone" => {
            NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
                .ok()
                .map(|wall| DateTime::value(wall, None))
        }
        _ => None,
    }
}

/// `run_started_at`: one instant per process, like dbt's single run start.
static RUN_STARTED_AT: LazyLock<NaiveDateTime> = LazyLock::new(utc_now);

/// `datetime.datetime`: a wall time, naive or with the offset it carries.
#[derive(Debug, Clone)]
pub struct DateTime {
    pub(super) wall: NaiveDateTime,
    pub(super) off: Option<Offset>,
}

impl DateTime {
    pub(super) fn value(wall: NaiveDateTime, off: Option<Offset>) -> Value {
        Value::from_object(DateTime { wall, off })
    }

    /// The datetime in `zone` at the UTC instant `utc`.
    pub(super) fn in_zone(utc: NaiveDateTime, zone: &Zone) -> Value {
        let off = zone.at_utc(&utc);
        DateTime::value(utc + TimeDelta::seconds(off.secs as i64), Some(off))
    }

    /// `run_started_at`: when this process first asked, in UTC (`pytz.utc`).
    pub fn now_utc() -> Value {
        DateTime::in_zone(*RUN_STARTED_AT, &Zone::Utc)
    }

    /// A UTC instant as an aware datetime (`pytz.utc`).
    pub fn from_utc(utc: NaiveDateTime) -> Value {
        DateTime::in_zone(utc, &Zone::Utc)
    }

    /// The UTC instant (a naive datetime counts as UTC, the machine's zone for dbtc).
    pub(super) fn utc(&self) -> NaiveDateTime {
        self.wall - TimeDelta::seconds(self.off.as_ref().map_or(0, |o| o.secs) as i64)
    }

    fn iso(&self, sep: &str) -> String {
        let micros = self.wall.nanosecond() / 1000;
        let mut s = format!(
            "{}{sep}{}",
            self.wall.format("%Y-%m-%d"),
            self.wall.format("%H:%M:%S")
        );
        if micros != 0 {
            s.push_str(&format!(".{micros:06}"));
        }
        if let Some(off) = &self.off {
            s.push_str(&offset_text(off.secs, ":"));
        }
        s
    }

    fn replace(&self, a: &Args) -> Result<Value, Error> {
        let dt = &self.wall;
        let date = NaiveDate::from_ymd_opt(
            a.int("year", usize::MAX, dt.year() as i64)? as i32,
            a.int("month", usize::MAX, dt.month() as i64)? as u32,
            a.int("day", usize::MAX, dt.day() as i64)? as u32,
        )
        .ok_or_else(|| err("ValueError: day is out of range for month"))?;
        let new = date
            .and_hms_micro_opt(
                a.int("hour", usize::MAX, dt.hour() as i64)? as u32,
                a.int("minute", usize::MAX, dt.minute() as i64)? as u32,
                a.int("second", usize::MAX, dt.second() as i64)? as u32,
                a.int("microsecond", usize::MAX, (dt.nanosecond() / 1000) as i64)? as u32,
            )
            .ok_or_else(|| err("ValueError: replace(): time out of range"))?;
        let off = match a.kw.as_ref().map(|k| k.has("tzinfo")) {
            Some(true) => {
                let tz = a.kw.as_ref().and_then(|k| k.get::<Value>("tzinfo").ok());
                zone_arg(tz)?.map(|z| z.attached())
            }
            _ => self.off.clone(),
        };
        Ok(DateTime::value(new, off))
    }
}

impl Object for DateTime {
    /// Python objects are true in a condition (minijinja's default for a map-like object
    /// without entries is false).
    fn is_true(self: &Arc<Self>) -> bool {
        true
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let dt = &self.wall;
        Some(match key.as_str()? {
            "year" => Value::from(dt.year()),
            "month" => Value::from(dt.month()),
            "day" => Value::from(dt.day()),
            "hour" => Value::from(dt.hour()),
            "minute" => Value::from(dt.minute()),
            "second" => Value::from(dt.second()),
            "microsecond" => Value::from(dt.nanosecond() / 1000),
            "tzinfo" => match &self.off {
                Some(off) => TzInfo::value(off.zone.clone()),
                None => Value::from(()),
            },
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
        let off = self.off.as_ref();
        match method {
            "strftime" => Ok(Value::from(strftime(
                &self.wall,
                off,
                &a.str("format", 0)?,
            )?)),
            "isoformat" => {
                let sep = a.get("sep", 0).map_or("T".to_string(), |s| s.to_string());
                Ok(Value::from(self.iso(&sep)))
            }
            "date" => Ok(Date::value(self.wall.date())),
            "timestamp" => Ok(Value::from(
                self.utc().and_utc().timestamp_micros() as f64 / 1e6,
            )),
            "weekday" => Ok(Value::from(self.wall.weekday().num_days_from_monday())),
            "isoweekday" => Ok(Value::from(self.wall.weekday().number_from_monday())),
            "astimezone" => {
                let zone = zone_arg(a.get("tz", 0))?.unwrap_or(Zone::Utc);
                Ok(DateTime::in_zone(self.utc(), &zone))
            }
            "utcoffset" => Ok(off.map_or(Value::from(()), |o| Delta::secs(o.secs))),
            "dst" => Ok(off.map_or(Value::from(()), |o| Delta::secs(o.dst))),
            "tzname" => Ok(off.map_or(Value::from(()), |o| Value::from(o.abbr.clone()))),
            "replace" => self.replace(&a),
            _ => Err(Error::new(
                ErrorKind::UnknownMethod,
                format!("datetime has no `{method}`"),
            )),
        }
    }

    fn custom_cmp(self: &Arc<Self>, other: &DynObject) -> Option<Ordering> {
        let other = other.downcast_ref::<DateTime>()?;
        match (&self.off, &other.off) {
            (None, None) => Some(self.wall.cmp(&other.wall)),
            (Some(_), Some(_)) => Some(self.utc().cmp(&other.utc())),
            _ => None,
        }
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.iso(" "))
    }
}

/// `datetime.date`.
#[derive(Debug, Clone)]
pub(super) struct Date(pub(super) NaiveDate);

impl Date {
    pub(super) fn value(d: NaiveDate) -> Value {
        Value::from_object(Date(d))
    }
}

impl Object for Date {
    /// Python objects are true in a condition (minijinja's default for a map-like object
    /// without entries is false).
    fn is_true(self: &Arc<Self>) -> bool {
        true
    }

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
                None,
                &a.str("format", 0)?,
            )?)),
            "isoformat" => Ok(Value::from(self.0.format("%Y-%m-%d").to_string())),
            "weekday" => Ok(Value::from(self.0.weekday().num_days_from_monday())),
            "isoweekday" => Ok(Value::from(self.0.weekday().number_from_monday())),
            "replace" => {
                let d = &self.0;
                NaiveDate::from_ymd_opt(
                    a.int("year", usize::MAX, d.year() as i64)? as i32,
                    a.int("month", usize::MAX, d.month() as i64)? as u32,
                    a.int("day", usize::MAX, d.day() as i64)? as u32,
                )
                .map(Date::value)
                .ok_or_else(|| err("ValueError: day is out of range for month"))
            }
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
