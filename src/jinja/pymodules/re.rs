//! `modules.re`: Python's regular expressions on the `regex` crate, with Python's pattern
//! and replacement syntax translated (`\Z`, `\1`, `\g<name>`, flags).

use std::fmt;
use std::sync::Arc;

use minijinja::value::{Object, Value};
use minijinja::{Error, ErrorKind, State};

use super::{Args, err};
use crate::jinja::compat::new_list;

/// Python's re flags (the values of `re.I`, `re.M`, ...).
const FLAGS: &[(&str, i64)] = &[
    ("I", 2),
    ("IGNORECASE", 2),
    ("L", 4),
    ("LOCALE", 4),
    ("M", 8),
    ("MULTILINE", 8),
    ("S", 16),
    ("DOTALL", 16),
    ("U", 32),
    ("UNICODE", 32),
    ("X", 64),
    ("VERBOSE", 64),
    ("A", 256),
    ("ASCII", 256),
];

/// A Python regular expression as a `regex::Regex` (`\Z` becomes `\z`; flags become
/// inline flags). `anchor` wraps it for `match` (`\A`) and `fullmatch` (`\A...\z`).
fn compile_regex(pattern: &str, flags: i64, anchor: Anchor) -> Result<regex::Regex, Error> {
    let mut translated = String::with_capacity(pattern.len());
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('Z') => translated.push_str("\\z"),
                Some(n) => {
                    translated.push('\\');
                    translated.push(n);
                }
                None => translated.push('\\'),
            }
        } else {
            translated.push(c);
        }
    }
    let mut inline = String::new();
    for (bit, flag) in [(2, 'i'), (8, 'm'), (16, 's'), (64, 'x')] {
        if flags & bit != 0 {
            inline.push(flag);
        }
    }
    let mut full = String::new();
    if !inline.is_empty() {
        full.push_str(&format!("(?{inline})"));
    }
    match anchor {
        Anchor::None => full.push_str(&translated),
        Anchor::Start => full.push_str(&format!("\\A(?:{translated})")),
        Anchor::Full => full.push_str(&format!("\\A(?:{translated})\\z")),
    }
    regex::Regex::new(&full).map_err(|e| {
        err(format!(
            "regular expression `{pattern}` is not supported: {}",
            e.to_string().lines().last().unwrap_or("invalid pattern")
        ))
    })
}

#[derive(Clone, Copy)]
enum Anchor {
    None,
    Start,
    Full,
}

/// A Python replacement string (`\1`, `\g<name>`, `\n`) in the `regex` crate's syntax.
pub fn py_replacement(repl: &str) -> String {
    let mut out = String::with_capacity(repl.len());
    let chars: Vec<char> = repl.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '$' => out.push_str("$$"),
            '\\' if i + 1 < chars.len() => {
                let n = chars[i + 1];
                if n.is_ascii_digit() {
                    let mut j = i + 1;
                    let mut num = String::new();
                    while j < chars.len() && chars[j].is_ascii_digit() && num.len() < 2 {
                        num.push(chars[j]);
                        j += 1;
                    }
                    out.push_str(&format!("${{{num}}}"));
                    i = j;
                    continue;
                }
                if n == 'g'
                    && chars.get(i + 2) == Some(&'<')
                    && let Some(close) = chars[i + 3..].iter().position(|c| *c == '>')
                {
                    let name: String = chars[i + 3..i + 3 + close].iter().collect();
                    out.push_str(&format!("${{{name}}}"));
                    i += 4 + close;
                    continue;
                }
                match n {
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    '\\' => out.push('\\'),
                    other => {
                        out.push('\\');
                        out.push(other);
                    }
                }
                i += 2;
                continue;
            }
            other => out.push(other),
        }
        i += 1;
    }
    out
}

/// `modules.re`.
#[derive(Debug)]
pub(super) struct Re;

impl Object for Re {
    /// Python objects are true in a condition (minijinja's default for a map-like object
    /// without entries is false).
    fn is_true(self: &Arc<Self>) -> bool {
        true
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let key = key.as_str()?;
        FLAGS
            .iter()
            .find(|(n, _)| *n == key)
            .map(|(_, v)| Value::from(*v))
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        let a = Args::new(args);
        if method == "escape" {
            return Ok(Value::from(py_escape(&a.str("pattern", 0)?)));
        }
        let pattern = a.str("pattern", 0)?;
        if method == "compile" {
            let flags = a.int("flags", 1, 0)?;
            compile_regex(&pattern, flags, Anchor::None)?;
            return Ok(Value::from_object(Pattern { pattern, flags }));
        }
        let rest = Args {
            pos: a.pos.iter().skip(1).cloned().collect(),
            kw: a.kw.clone(),
        };
        regex_call(&pattern, None, method, &rest)
    }
}

/// Python's `re.escape`: every character except ASCII letters, digits and `_`.
fn py_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if !(c.is_ascii_alphanumeric() || c == '_') && c.is_ascii() {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `re.<method>(pattern, *args)` or `pattern.<method>(*args)` (then `flags` is the
/// pattern's own).
fn regex_call(pattern: &str, flags: Option<i64>, method: &str, a: &Args) -> Result<Value, Error> {
    let flag_arg = |idx: usize| -> Result<i64, Error> {
        match flags {
            Some(f) => Ok(f),
            None => a.int("flags", idx, 0),
        }
    };
    match method {
        "sub" | "subn" => {
            let repl = a.str("repl", 0)?;
            let text = a.str("string", 1)?;
            let count = a.int("count", 2, 0)?;
            let re = compile_regex(pattern, flag_arg(3)?, Anchor::None)?;
            let repl = py_replacement(&repl);
            let n = re.find_iter(&text).count();
            let n = if count > 0 { n.min(count as usize) } else { n };
            let out = re
                .replacen(&text, count.max(0) as usize, repl.as_str())
                .into_owned();
            if method == "subn" {
                Ok(Value::from(vec![Value::from(out), Value::from(n)]))
            } else {
                Ok(Value::from(out))
            }
        }
        "match" | "search" | "fullmatch" => {
            let text = a.str("string", 0)?;
            let anchor = match method {
                "match" => Anchor::Start,
                "fullmatch" => Anchor::Full,
                _ => Anchor::None,
            };
            let re = compile_regex(pattern, flag_arg(1)?, anchor)?;
            Ok(match re.captures(&text) {
                Some(caps) => Value::from_object(Match::new(&re, &caps, &text)),
                None => Value::from(()),
            })
        }
        "findall" => {
            let text = a.str("string", 0)?;
            let re = compile_regex(pattern, flag_arg(1)?, Anchor::None)?;
            let groups = re.captures_len() - 1;
            let group = |c: &regex::Captures, i: usize| {
                Value::from(c.get(i).map_or("", |m| m.as_str()).to_string())
            };
            let items: Vec<Value> = re
                .captures_iter(&text)
                .map(|c| match groups {
                    0 => group(&c, 0),
                    1 => group(&c, 1),
                    n => Value::from((1..=n).map(|i| group(&c, i)).collect::<Vec<_>>()),
                })
                .collect();
            Ok(new_list(items))
        }
        "split" => {
            let text = a.str("string", 0)?;
            let maxsplit = a.int("maxsplit", 1, 0)?;
            let re = compile_regex(pattern, flag_arg(2)?, Anchor::None)?;
            let mut out = Vec::new();
            let mut last = 0;
            for (n, caps) in re.captures_iter(&text).enumerate() {
                if maxsplit > 0 && n as i64 >= maxsplit {
                    break;
                }
                let m = caps.get(0).expect("group 0");
                out.push(Value::from(&text[last..m.start()]));
                for i in 1..caps.len() {
                    out.push(
                        caps.get(i)
                            .map_or(Value::from(()), |g| Value::from(g.as_str())),
                    );
                }
                last = m.end();
            }
            out.push(Value::from(&text[last..]));
            Ok(new_list(out))
        }
        _ => Err(Error::new(
            ErrorKind::UnknownMethod,
            format!("modules.re has no `{method}`"),
        )),
    }
}

/// A compiled pattern (`re.compile`).
#[derive(Debug)]
struct Pattern {
    pattern: String,
    flags: i64,
}

impl Object for Pattern {
    /// Python objects are true in a condition (minijinja's default for a map-like object
    /// without entries is false).
    fn is_true(self: &Arc<Self>) -> bool {
        true
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        match key.as_str()? {
            "pattern" => Some(Value::from(self.pattern.clone())),
            "flags" => Some(Value::from(self.flags)),
            _ => None,
        }
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        regex_call(&self.pattern, Some(self.flags), method, &Args::new(args))
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "re.compile({:?})", self.pattern)
    }
}

/// A match object: `group()`, `groups()`, `groupdict()`, `start()`, `end()`, `span()`.
#[derive(Debug)]
struct Match {
    groups: Vec<Option<(usize, usize, String)>>,
    names: Vec<(String, usize)>,
}

impl Match {
    fn new(re: &regex::Regex, caps: &regex::Captures, _text: &str) -> Match {
        Match {
            groups: (0..caps.len())
                .map(|i| {
                    caps.get(i)
                        .map(|m| (m.start(), m.end(), m.as_str().to_string()))
                })
                .collect(),
            names: re
                .capture_names()
                .enumerate()
                .filter_map(|(i, n)| n.map(|n| (n.to_string(), i)))
                .collect(),
        }
    }

    fn index(&self, v: Option<&Value>) -> Result<usize, Error> {
        let Some(v) = v else { return Ok(0) };
        if let Some(name) = v.as_str() {
            return self
                .names
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, i)| *i)
                .ok_or_else(|| err(format!("no such group: {name}")));
        }
        usize::try_from(v.clone())
            .ok()
            .filter(|i| *i < self.groups.len())
            .ok_or_else(|| err("no such group"))
    }

    fn group(&self, i: usize) -> Value {
        self.groups[i]
            .as_ref()
            .map_or(Value::from(()), |g| Value::from(g.2.clone()))
    }
}

impl Object for Match {
    /// Python objects are true in a condition (minijinja's default for a map-like object
    /// without entries is false).
    fn is_true(self: &Arc<Self>) -> bool {
        true
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        match method {
            "group" if args.len() > 1 => Ok(Value::from(
                args.iter()
                    .map(|a| self.index(Some(a)).map(|i| self.group(i)))
                    .collect::<Result<Vec<_>, _>>()?,
            )),
            "group" => Ok(self.group(self.index(args.first())?)),
            "groups" => Ok(Value::from(
                (1..self.groups.len())
                    .map(|i| self.group(i))
                    .collect::<Vec<_>>(),
            )),
            "groupdict" => Ok(crate::jinja::compat::new_dict(
                self.names
                    .iter()
                    .map(|(n, i)| (Value::from(n.clone()), self.group(*i)))
                    .collect(),
            )),
            "start" | "end" | "span" => {
                let g = &self.groups[self.index(args.first())?];
                let (s, e) = g.as_ref().map_or((-1, -1), |g| (g.0 as i64, g.1 as i64));
                Ok(match method {
                    "start" => Value::from(s),
                    "end" => Value::from(e),
                    _ => Value::from(vec![s, e]),
                })
            }
            _ => Err(Error::new(
                ErrorKind::UnknownMethod,
                format!("re.Match has no `{method}`"),
            )),
        }
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let g = self.groups[0].as_ref();
        let (s, e, m) = g.map_or((0, 0, ""), |g| (g.0, g.1, g.2.as_str()));
        write!(f, "<re.Match object; span=({s}, {e}), match='{m}'>")
    }
}
