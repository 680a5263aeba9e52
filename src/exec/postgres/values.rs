//! Query values that dbt-postgres hands to Jinja as text, spelled as it spells them: psycopg2
//! turns an `interval` into a `datetime.timedelta` (a year is 365 days, a month 30), a
//! `time`/`timetz` into a `datetime.time`, an array into a list, and dbt's agate table keeps
//! the first two as `str()` of the Python value and a list as its `json.dumps` text.

use std::fmt::Write as _;

use postgres::types::{Kind, Type};

/// `str(timedelta)` of an interval in Postgres's default output style (`1 year 2 mons 3 days
/// 04:05:06`, `-1 days`, `00:00:00.25`); None when the text is not in that style.
pub fn timedelta(text: &str) -> Option<String> {
    let mut days: i128 = 0;
    let mut micros: i128 = 0;
    let mut words = text.split_whitespace();
    while let Some(word) = words.next() {
        if word.contains(':') {
            micros += clock_micros(word)?;
            continue;
        }
        let n: i128 = word.parse().ok()?;
        let unit = words.next()?;
        days += n * match unit.trim_end_matches('s') {
            "year" => 365,
            "mon" => 30,
            "day" => 1,
            _ => return None,
        };
    }
    const DAY: i128 = 86_400_000_000;
    let total = days * DAY + micros;
    let d = total.div_euclid(DAY);
    let rem = total.rem_euclid(DAY);
    let (secs, us) = (rem / 1_000_000, rem % 1_000_000);
    let mut out = String::new();
    if d != 0 {
        let plural = if d.abs() == 1 { "" } else { "s" };
        let _ = write!(out, "{d} day{plural}, ");
    }
    let _ = write!(
        out,
        "{}:{:02}:{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    );
    if us != 0 {
        let _ = write!(out, ".{us:06}");
    }
    Some(out)
}

/// Microseconds of `[-]HH:MM:SS[.ffffff]`.
fn clock_micros(word: &str) -> Option<i128> {
    let (sign, body) = match word.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, word.strip_prefix('+').unwrap_or(word)),
    };
    let mut parts = body.split(':');
    let h: i128 = parts.next()?.parse().ok()?;
    let m: i128 = parts.next()?.parse().ok()?;
    let (s, us) = fraction(parts.next()?)?;
    Some(sign * ((h * 3600 + m * 60 + s) * 1_000_000 + us))
}

/// `SS[.f...]` as whole seconds and microseconds.
fn fraction(text: &str) -> Option<(i128, i128)> {
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    let digits: String = frac.chars().chain(std::iter::repeat('0')).take(6).collect();
    Some((whole.parse().ok()?, digits.parse().ok()?))
}

/// `str(datetime.time)` of a `time` or `timetz` value (`12:30:00.5+02` gives
/// `12:30:00.500000+02:00`).
pub fn time(text: &str) -> Option<String> {
    let split = text.find(['+', '-']).unwrap_or(text.len());
    let (clock, zone) = text.split_at(split);
    let (hms, frac) = clock.split_once('.').unwrap_or((clock, ""));
    let mut out = hms.to_string();
    if !frac.is_empty() {
        let (_, us) = fraction(&format!("0.{frac}"))?;
        if us != 0 {
            let _ = write!(out, ".{us:06}");
        }
    }
    if !zone.is_empty() {
        let (sign, rest) = zone.split_at(1);
        let mut fields = rest.split(':');
        let h = fields.next()?;
        let m = fields.next().unwrap_or("00");
        let _ = write!(out, "{sign}{h}:{m}");
        if let Some(s) = fields.next() {
            let _ = write!(out, ":{s}");
        }
    }
    Some(out)
}

/// `json.dumps` of the Python list psycopg2 makes of an array value, when `ty` is an array
/// type; None otherwise or when the text does not parse.
pub fn array(ty: &Type, text: &str) -> Option<String> {
    let Kind::Array(element) = ty.kind() else {
        return None;
    };
    // `[0:1]={...}`: arrays with other bounds than 1 say so first.
    let body = match text.strip_prefix('[') {
        Some(_) => &text[text.find('=')? + 1..],
        None => text,
    };
    let chars: Vec<char> = body.chars().collect();
    let mut pos = 0;
    let mut out = String::new();
    list(&chars, &mut pos, element, &mut out)?;
    (pos == chars.len()).then_some(out)
}

fn list(chars: &[char], pos: &mut usize, element: &Type, out: &mut String) -> Option<()> {
    if chars.get(*pos) != Some(&'{') {
        return None;
    }
    *pos += 1;
    out.push('[');
    if chars.get(*pos) == Some(&'}') {
        *pos += 1;
        out.push(']');
        return Some(());
    }
    loop {
        match chars.get(*pos)? {
            '{' => list(chars, pos, element, out)?,
            '"' => {
                *pos += 1;
                let mut s = String::new();
                loop {
                    match chars.get(*pos)? {
                        '"' => break,
                        '\\' => {
                            *pos += 1;
                            s.push(*chars.get(*pos)?);
                        }
                        c => s.push(*c),
                    }
                    *pos += 1;
                }
                *pos += 1;
                scalar(element, &s, out);
            }
            _ => {
                let start = *pos;
                while !matches!(chars.get(*pos)?, ',' | '}') {
                    *pos += 1;
                }
                let word: String = chars[start..*pos].iter().collect();
                if word.eq_ignore_ascii_case("null") {
                    out.push_str("null");
                } else {
                    scalar(element, word.trim(), out);
                }
            }
        }
        match chars.get(*pos)? {
            ',' => {
                *pos += 1;
                out.push_str(", ");
            }
            '}' => {
                *pos += 1;
                out.push(']');
                return Some(());
            }
            _ => return None,
        }
    }
}

/// One element as `json.dumps` writes the Python value psycopg2 makes of it (dbt's encoder
/// writes a `Decimal` as a float).
fn scalar(element: &Type, text: &str, out: &mut String) {
    let number = |t: &str| t.parse::<f64>().ok().filter(|f| f.is_finite());
    match *element {
        Type::INT2 | Type::INT4 | Type::INT8 | Type::OID if text.parse::<i64>().is_ok() => {
            out.push_str(text);
        }
        Type::BOOL => out.push_str(if text == "t" { "true" } else { "false" }),
        Type::FLOAT4 | Type::FLOAT8 | Type::NUMERIC if number(text).is_some() => {
            let f = number(text).unwrap_or_default();
            if f.fract() == 0.0 && f.abs() < 1e16 {
                let _ = write!(out, "{f:.1}");
            } else {
                let _ = write!(out, "{f}");
            }
        }
        _ => crate::exec::duckdb::py_json_str(text, out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_as_python_timedeltas() {
        let cases = [
            ("3 days", "3 days, 0:00:00"),
            ("1 year 2 mons 3 days 04:05:06", "428 days, 4:05:06"),
            ("01:30:00", "1:30:00"),
            ("-1 days", "-1 day, 0:00:00"),
            ("-01:00:00", "-1 day, 23:00:00"),
            ("00:00:00.25", "0:00:00.250000"),
            ("1 day", "1 day, 0:00:00"),
        ];
        for (pg, py) in cases {
            assert_eq!(timedelta(pg).as_deref(), Some(py), "{pg}");
        }
        assert_eq!(timedelta("P1D"), None);
    }

    #[test]
    fn times_as_python_times() {
        assert_eq!(time("12:30:00+02").as_deref(), Some("12:30:00+02:00"));
        assert_eq!(
            time("12:30:00.5-03:30").as_deref(),
            Some("12:30:00.500000-03:30")
        );
        assert_eq!(time("01:02:03.123456").as_deref(), Some("01:02:03.123456"));
    }

    #[test]
    fn arrays_as_json_lists() {
        let ints = Type::INT4_ARRAY;
        assert_eq!(
            array(&ints, "{{1,2},{3,4}}").as_deref(),
            Some("[[1, 2], [3, 4]]")
        );
        assert_eq!(array(&ints, "{}").as_deref(), Some("[]"));
        assert_eq!(
            array(&Type::TEXT_ARRAY, "{a,NULL,\"é\\\"\",\"NULL\"}").as_deref(),
            Some("[\"a\", null, \"\\u00e9\\\"\", \"NULL\"]")
        );
        assert_eq!(
            array(&Type::FLOAT8_ARRAY, "{1,2.25}").as_deref(),
            Some("[1.0, 2.25]")
        );
        assert_eq!(array(&Type::TEXT, "{a}"), None);
        assert_eq!(array(&ints, "{1,2"), None);
    }
}
