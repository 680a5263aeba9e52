//! Time zones as Python code sees them: `pytz.utc`, `pytz.timezone(name)` (IANA zones from
//! the tz database bundled by chrono-tz) and `datetime.timezone(offset)`.
//!
//! pytz semantics are kept where they show in rendered output: a zone attached with
//! `tzinfo=` (or `.replace(tzinfo=)`) carries the zone's first (local mean time) offset,
//! `localize` picks the offset in force at a wall time (`is_dst` breaks ties in the DST
//! gap and fold), `astimezone`/`normalize` pick the one at an instant, and offsets are
//! rounded to whole minutes as pytz does.

use std::fmt;
use std::sync::Arc;

use chrono::{NaiveDate, NaiveDateTime, Offset as _, TimeDelta, TimeZone as _};
use chrono_tz::{OffsetComponents as _, OffsetName as _, Tz};
use minijinja::value::{Object, Value};
use minijinja::{Error, ErrorKind, State};

use super::datetime::DateTime;
use super::delta::Delta;
use super::{Args, err};

/// A time zone.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Zone {
    /// `pytz.utc` (and `datetime.timezone.utc`).
    Utc,
    /// `datetime.timezone(offset)`: a fixed offset in seconds.
    Fixed(i32),
    /// `pytz.timezone(name)`.
    Named(Tz),
}

/// The offset a datetime carries: its zone, the offset in force, the DST part and the
/// abbreviation (`%Z`).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Offset {
    pub(super) zone: Zone,
    pub(super) secs: i32,
    pub(super) dst: i32,
    pub(super) abbr: String,
}

/// pytz rounds offsets to whole minutes.
fn round_minutes(secs: i64) -> i32 {
    (60 * (secs + 30).div_euclid(60)) as i32
}

/// `+HH:MM` (`sep` ":") or `+HHMM` (`sep` ""), with seconds when there are any.
pub(super) fn offset_text(secs: i32, sep: &str) -> String {
    let sign = if secs < 0 { '-' } else { '+' };
    let a = secs.unsigned_abs();
    let mut s = format!("{sign}{:02}{sep}{:02}", a / 3600, a / 60 % 60);
    if !a.is_multiple_of(60) {
        s.push_str(&format!("{sep}{:02}", a % 60));
    }
    s
}

impl Zone {
    /// `str(tz)`.
    pub(super) fn name(&self) -> String {
        match self {
            Zone::Utc | Zone::Fixed(0) => "UTC".into(),
            Zone::Fixed(secs) => format!("UTC{}", offset_text(*secs, ":")),
            Zone::Named(tz) => tz.name().into(),
        }
    }

    fn fixed(&self, secs: i32) -> Offset {
        Offset {
            zone: self.clone(),
            secs,
            dst: 0,
            abbr: self.name(),
        }
    }

    fn of_tz(tz: &Tz, o: &chrono_tz::TzOffset) -> Offset {
        let total = o.fix().local_minus_utc() as i64;
        Offset {
            zone: Zone::Named(*tz),
            secs: round_minutes(total),
            dst: round_minutes(o.dst_offset().num_seconds()),
            abbr: o.abbreviation().unwrap_or_default().to_string(),
        }
    }

    /// The offset attached by `datetime(..., tzinfo=tz)`: pytz's first (LMT) offset.
    pub(super) fn attached(&self) -> Offset {
        match self {
            Zone::Utc => self.fixed(0),
            Zone::Fixed(secs) => self.fixed(*secs),
            Zone::Named(tz) => {
                let first = NaiveDate::from_ymd_opt(1, 1, 2)
                    .and_then(|d| d.and_hms_opt(0, 0, 0))
                    .unwrap_or_default();
                Zone::of_tz(tz, &tz.offset_from_utc_datetime(&first))
            }
        }
    }

    /// The offset in force at a UTC instant (`astimezone`, `fromutc`, `normalize`).
    pub(super) fn at_utc(&self, utc: &NaiveDateTime) -> Offset {
        match self {
            Zone::Named(tz) => Zone::of_tz(tz, &tz.offset_from_utc_datetime(utc)),
            _ => self.attached(),
        }
    }

    /// The offset for a wall time (`localize`); `is_dst` chooses in a fold or a gap.
    pub(super) fn at_local(&self, wall: &NaiveDateTime, is_dst: bool) -> Offset {
        let Zone::Named(tz) = self else {
            return self.attached();
        };
        let pick = |a: Offset, b: Offset| {
            if (a.dst != 0) == is_dst { a } else { b }
        };
        match tz.offset_from_local_datetime(wall) {
            chrono::LocalResult::Single(o) => Zone::of_tz(tz, &o),
            chrono::LocalResult::Ambiguous(a, b) => pick(Zone::of_tz(tz, &a), Zone::of_tz(tz, &b)),
            chrono::LocalResult::None => {
                // In a gap: the offsets just before and just after it.
                let before = self.at_local(&(*wall - TimeDelta::hours(3)), is_dst);
                let after = self.at_local(&(*wall + TimeDelta::hours(3)), is_dst);
                pick(before, after)
            }
        }
    }
}

/// Parses a `pytz.timezone` name.
fn named(name: &str) -> Result<Zone, Error> {
    if matches!(name, "UTC" | "utc") {
        return Ok(Zone::Utc);
    }
    name.parse::<Tz>()
        .map(Zone::Named)
        .map_err(|_| err(format!("UnknownTimeZoneError: '{name}'")))
}

/// Reads a `tz`/`tzinfo` argument: `None` for none.
pub(super) fn zone_arg(v: Option<Value>) -> Result<Option<Zone>, Error> {
    match v {
        None => Ok(None),
        Some(v) if v.is_none() => Ok(None),
        Some(v) => match v.downcast_object_ref::<TzInfo>() {
            Some(tz) => Ok(Some(tz.0.clone())),
            None => Err(err(format!("tzinfo argument must be a time zone, not {v}"))),
        },
    }
}

/// `modules.pytz`: `utc`, `UTC`, `timezone(name)`.
#[derive(Debug)]
pub(super) struct Pytz;

impl Object for Pytz {
    /// Python objects are true in a condition (minijinja's default for a map-like object
    /// without entries is false).
    fn is_true(self: &Arc<Self>) -> bool {
        true
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        match key.as_str()? {
            "utc" | "UTC" => Some(TzInfo::value(Zone::Utc)),
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
            "timezone" => Ok(TzInfo::value(named(&Args::new(args).str("zone", 0)?)?)),
            _ => Err(Error::new(
                ErrorKind::UnknownMethod,
                format!("pytz has no `{method}`"),
            )),
        }
    }
}

/// A `tzinfo` value.
#[derive(Debug)]
pub(super) struct TzInfo(pub(super) Zone);

impl TzInfo {
    pub(super) fn value(zone: Zone) -> Value {
        Value::from_object(TzInfo(zone))
    }

    /// The offset for the datetime argument of `utcoffset`/`tzname`/`dst`.
    fn offset_for(&self, a: &Args) -> Result<Offset, Error> {
        match a.get("dt", 0) {
            Some(v) => match v.downcast_object_ref::<DateTime>() {
                Some(dt) => Ok(match &dt.off {
                    Some(off) if off.zone == self.0 => off.clone(),
                    _ => self.0.at_local(&dt.wall, false),
                }),
                None => Err(err(format!("expected a datetime, got {v}"))),
            },
            None => Ok(self.0.attached()),
        }
    }
}

impl Object for TzInfo {
    /// Python objects are true in a condition (minijinja's default for a map-like object
    /// without entries is false).
    fn is_true(self: &Arc<Self>) -> bool {
        true
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        match key.as_str()? {
            "zone" => Some(Value::from(self.0.name())),
            _ => None,
        }
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        let a = Args::new(args);
        let dt_arg = || {
            a.get("dt", 0)
                .and_then(|v| v.downcast_object_ref::<DateTime>().cloned())
                .ok_or_else(|| err(format!("{method}() needs a datetime")))
        };
        match method {
            "localize" => {
                let dt = dt_arg()?;
                if dt.off.is_some() {
                    return Err(err(
                        "ValueError: Not naive datetime (tzinfo is already set)",
                    ));
                }
                let is_dst = a.get("is_dst", 1).is_some_and(|v| v.is_true());
                let off = self.0.at_local(&dt.wall, is_dst);
                Ok(DateTime::value(dt.wall, Some(off)))
            }
            "normalize" | "fromutc" => {
                let dt = dt_arg()?;
                let utc = match (&dt.off, method) {
                    (Some(_), "normalize") => dt.utc(),
                    (None, "normalize") => {
                        return Err(err("ValueError: Naive time - no tzinfo set"));
                    }
                    _ => dt.wall,
                };
                Ok(DateTime::in_zone(utc, &self.0))
            }
            "utcoffset" => Ok(Delta::secs(self.offset_for(&a)?.secs)),
            "dst" => Ok(Delta::secs(self.offset_for(&a)?.dst)),
            "tzname" => Ok(Value::from(self.offset_for(&a)?.abbr)),
            _ => Err(Error::new(
                ErrorKind::UnknownMethod,
                format!("timezone has no `{method}`"),
            )),
        }
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.name())
    }
}
