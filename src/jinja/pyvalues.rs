//! Python values and methods that minijinja lacks: mutable lists and dicts (`append`,
//! `update`, `pop`, ...), tuples, and the string/list/dict methods that minijinja-contrib's
//! pycompat does not have (the environment's unknown-method callback).

use std::fmt;
use std::sync::{Arc, Mutex};

use minijinja::value::{Enumerator, Object, ObjectRepr, Value};
use minijinja::{Error, ErrorKind, State};

/// The environment's unknown-method callback: Python methods minijinja lacks. Strings get
/// the methods minijinja-contrib's pycompat does not have (`index`, `zfill`, `partition`,
/// ...) and `split` returns a mutable list as in Python; immutable lists and dicts (from
/// `var()`, `fromjson`, ...) get `index`/`copy`; everything else goes to pycompat.
pub fn unknown_method(
    state: &mut State,
    value: &Value,
    method: &str,
    args: &[Value],
) -> Result<Value, Error> {
    if let Some(s) = value.as_str()
        && let Some(out) = str_method(s, method, args)?
    {
        return Ok(out);
    }
    match (value.kind(), method) {
        (minijinja::value::ValueKind::String, "split" | "splitlines") => {
            let out =
                minijinja_contrib::pycompat::unknown_method_callback(state, value, method, args)?;
            return make_list(out);
        }
        (minijinja::value::ValueKind::Seq, "index") => {
            let [v] = args else {
                return Err(bad("index() takes exactly one argument"));
            };
            return value
                .try_iter()?
                .position(|x| x == *v)
                .map(Value::from)
                .ok_or_else(|| bad("value is not in list"));
        }
        (minijinja::value::ValueKind::Seq, "copy") => return make_list(value.clone()),
        (minijinja::value::ValueKind::Map, "copy") => return make_dict(value.clone()),
        (minijinja::value::ValueKind::Map, "items") => {
            let mut out = Vec::new();
            for key in value.try_iter()? {
                let v = value.get_item(&key)?;
                out.push(tuple(vec![key, v]));
            }
            return Ok(Value::from(out));
        }
        _ => {}
    }
    minijinja_contrib::pycompat::unknown_method_callback(state, value, method, args)
}

fn str_arg(args: &[Value], i: usize) -> Result<Option<String>, Error> {
    match args.get(i) {
        None => Ok(None),
        Some(v) if v.is_none() => Ok(None),
        Some(v) => v
            .as_str()
            .map(|s| Some(s.to_string()))
            .ok_or_else(|| bad(format!("expected a string argument, got {v}"))),
    }
}

fn int_arg(args: &[Value], i: usize) -> Result<Option<i64>, Error> {
    match args.get(i) {
        None => Ok(None),
        Some(v) if v.is_none() => Ok(None),
        Some(v) => i64::try_from(v.clone()).map(Some),
    }
}

/// Pads `s` to `width` characters with `fill` (left, right or both sides, as Python).
fn pad(s: &str, width: usize, fill: char, left: usize, right: usize) -> String {
    let mut out = String::with_capacity(width);
    out.extend(std::iter::repeat_n(fill, left));
    out.push_str(s);
    out.extend(std::iter::repeat_n(fill, right));
    out
}

/// The Python string methods pycompat lacks. None when `method` is not one of them.
fn str_method(s: &str, method: &str, args: &[Value]) -> Result<Option<Value>, Error> {
    let len = s.chars().count();
    let width = || -> Result<usize, Error> { Ok(int_arg(args, 0)?.unwrap_or(0).max(0) as usize) };
    let fill = || -> Result<char, Error> {
        Ok(str_arg(args, 1)?
            .and_then(|f| f.chars().next())
            .unwrap_or(' '))
    };
    let char_pos = |byte: usize| s[..byte].chars().count();
    Ok(Some(match method {
        "index" | "rindex" => {
            let what = str_arg(args, 0)?.unwrap_or_default();
            let found = if method == "index" {
                s.find(&what)
            } else {
                s.rfind(&what)
            };
            Value::from(char_pos(found.ok_or_else(|| bad("substring not found"))?))
        }
        "zfill" => {
            let w = width()?;
            if len >= w {
                Value::from(s)
            } else {
                let (sign, digits) = match s.strip_prefix(['-', '+']) {
                    Some(rest) => (&s[..1], rest),
                    None => ("", s),
                };
                Value::from(format!("{sign}{}{digits}", "0".repeat(w - len)))
            }
        }
        "ljust" | "rjust" | "center" => {
            let w = width()?;
            let f = fill()?;
            if len >= w {
                Value::from(s)
            } else {
                let total = w - len;
                let (l, r) = match method {
                    "ljust" => (0, total),
                    "rjust" => (total, 0),
                    // CPython: the extra character goes left when both margin and width
                    // are odd.
                    _ => {
                        let l = total / 2 + (total & w & 1);
                        (l, total - l)
                    }
                };
                Value::from(pad(s, w, f, l, r))
            }
        }
        "partition" | "rpartition" => {
            let sep = str_arg(args, 0)?.unwrap_or_default();
            if sep.is_empty() {
                return Err(bad("empty separator"));
            }
            let found = if method == "partition" {
                s.find(&sep)
            } else {
                s.rfind(&sep)
            };
            let parts = match found {
                Some(p) => [&s[..p], sep.as_str(), &s[p + sep.len()..]],
                None if method == "partition" => [s, "", ""],
                None => ["", "", s],
            };
            tuple(parts.iter().map(|p| Value::from(*p)).collect())
        }
        "swapcase" => Value::from(
            s.chars()
                .flat_map(|c| {
                    if c.is_uppercase() {
                        c.to_lowercase().collect::<Vec<_>>()
                    } else {
                        c.to_uppercase().collect::<Vec<_>>()
                    }
                })
                .collect::<String>(),
        ),
        "casefold" => Value::from(s.to_lowercase()),
        "removeprefix" => {
            let p = str_arg(args, 0)?.unwrap_or_default();
            Value::from(s.strip_prefix(p.as_str()).unwrap_or(s))
        }
        "removesuffix" => {
            let p = str_arg(args, 0)?.unwrap_or_default();
            Value::from(s.strip_suffix(p.as_str()).unwrap_or(s))
        }
        "isdecimal" => Value::from(!s.is_empty() && s.chars().all(|c| c.is_ascii_digit())),
        "istitle" => {
            let mut prev_cased = false;
            let mut any = false;
            let mut ok = true;
            for c in s.chars() {
                if c.is_uppercase() {
                    ok &= !prev_cased;
                    prev_cased = true;
                    any = true;
                } else if c.is_lowercase() {
                    ok &= prev_cased;
                    prev_cased = true;
                    any = true;
                } else {
                    prev_cased = false;
                }
            }
            Value::from(ok && any)
        }
        "rsplit" => {
            let sep = str_arg(args, 0)?;
            let max = int_arg(args, 1)?.unwrap_or(-1);
            let mut parts: Vec<Value> = match sep {
                Some(sep) if max >= 0 => s
                    .rsplitn(max as usize + 1, sep.as_str())
                    .map(Value::from)
                    .collect(),
                Some(sep) => s.rsplit(sep.as_str()).map(Value::from).collect(),
                None if max >= 0 => {
                    let mut out: Vec<Value> = Vec::new();
                    let mut rest = s.trim_end();
                    while out.len() < max as usize {
                        match rest.rfind(char::is_whitespace) {
                            Some(p) => {
                                out.push(Value::from(&rest[p + 1..]));
                                rest = rest[..p].trim_end();
                            }
                            None => break,
                        }
                    }
                    if !rest.trim_start().is_empty() {
                        out.push(Value::from(rest.trim_start()));
                    }
                    out
                }
                None => s.split_whitespace().rev().map(Value::from).collect(),
            };
            parts.reverse();
            new_list(parts)
        }
        _ => return Ok(None),
    }))
}

/// A mutable list (Python `list`).
#[derive(Debug, Default)]
pub struct MutList(pub Mutex<Vec<Value>>);

/// A mutable dict (Python `dict`), insertion-ordered.
#[derive(Debug, Default)]
pub struct MutDict(pub Mutex<indexmap::IndexMap<Value, Value>>);

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

pub fn new_list(items: Vec<Value>) -> Value {
    Value::from_object(MutList(Mutex::new(items)))
}

pub fn new_dict(items: indexmap::IndexMap<Value, Value>) -> Value {
    Value::from_object(MutDict(Mutex::new(items)))
}

/// A Python tuple (renders as `(a, b)`).
pub fn tuple(items: Vec<Value>) -> Value {
    Value::from_object(minijinja::value::Tuple::new(items))
}

/// `__dbtc_list(seq)`.
pub fn make_list(v: Value) -> Result<Value, Error> {
    Ok(new_list(v.try_iter()?.collect()))
}

/// `__dbtc_dict(map)`.
pub fn make_dict(v: Value) -> Result<Value, Error> {
    let mut map = indexmap::IndexMap::new();
    for key in v.try_iter()? {
        let value = v.get_item(&key)?;
        map.insert(key, value);
    }
    Ok(new_dict(map))
}

fn bad(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, msg.into())
}

impl Object for MutList {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Seq
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let items = lock(&self.0);
        let idx = key.as_i64()?;
        let idx = if idx < 0 {
            items.len() as i64 + idx
        } else {
            idx
        };
        items.get(usize::try_from(idx).ok()?).cloned()
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(lock(&self.0).clone())
    }

    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        Some(lock(&self.0).len())
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        let mut items = lock(&self.0);
        match method {
            "append" => {
                let [v] = args else {
                    return Err(bad("append() takes exactly one argument"));
                };
                items.push(v.clone());
                Ok(Value::from(()))
            }
            "extend" => {
                let [v] = args else {
                    return Err(bad("extend() takes exactly one argument"));
                };
                let new: Vec<Value> = v.try_iter()?.collect();
                items.extend(new);
                Ok(Value::from(()))
            }
            "insert" => {
                let [i, v] = args else {
                    return Err(bad("insert() takes two arguments"));
                };
                let i = (i.as_i64().unwrap_or(0).max(0) as usize).min(items.len());
                items.insert(i, v.clone());
                Ok(Value::from(()))
            }
            "pop" => {
                if items.is_empty() {
                    return Err(bad("pop from empty list"));
                }
                let idx = match args.first() {
                    Some(i) => {
                        let i = i.as_i64().unwrap_or(-1);
                        if i < 0 { items.len() as i64 + i } else { i }
                    }
                    None => items.len() as i64 - 1,
                };
                let idx = usize::try_from(idx)
                    .ok()
                    .filter(|i| *i < items.len())
                    .ok_or_else(|| bad("pop index out of range"))?;
                Ok(items.remove(idx))
            }
            "remove" => {
                let [v] = args else {
                    return Err(bad("remove() takes exactly one argument"));
                };
                match items.iter().position(|x| x == v) {
                    Some(p) => {
                        items.remove(p);
                        Ok(Value::from(()))
                    }
                    None => Err(bad("list.remove(x): x not in list")),
                }
            }
            "index" => {
                let [v] = args else {
                    return Err(bad("index() takes exactly one argument"));
                };
                items
                    .iter()
                    .position(|x| x == v)
                    .map(Value::from)
                    .ok_or_else(|| bad("value is not in list"))
            }
            "count" => Ok(Value::from(
                items.iter().filter(|x| Some(*x) == args.first()).count(),
            )),
            "reverse" => {
                items.reverse();
                Ok(Value::from(()))
            }
            "sort" => {
                items.sort();
                Ok(Value::from(()))
            }
            "copy" => Ok(new_list(items.clone())),
            "clear" => {
                items.clear();
                Ok(Value::from(()))
            }
            _ => Err(Error::from(ErrorKind::UnknownMethod)),
        }
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let items = lock(&self.0).clone();
        fmt::Debug::fmt(&Value::from(items), f)
    }
}

impl Object for MutDict {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        lock(&self.0).get(key).cloned()
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(lock(&self.0).keys().cloned().collect())
    }

    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        Some(lock(&self.0).len())
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        let mut map = lock(&self.0);
        match method {
            "update" => {
                for arg in args {
                    if let Some(kwargs) = arg.as_object().filter(|_| arg.is_kwargs()) {
                        let _ = kwargs;
                    }
                    for key in arg.try_iter()? {
                        let value = arg.get_item(&key)?;
                        map.insert(key, value);
                    }
                }
                Ok(Value::from(()))
            }
            "pop" => {
                let key = args
                    .first()
                    .ok_or_else(|| bad("pop expected at least 1 argument"))?;
                match map.shift_remove(key) {
                    Some(v) => Ok(v),
                    None => args
                        .get(1)
                        .cloned()
                        .ok_or_else(|| bad(format!("KeyError: {key}"))),
                }
            }
            "setdefault" => {
                let key = args
                    .first()
                    .ok_or_else(|| bad("setdefault expected at least 1 argument"))?;
                let default = args.get(1).cloned().unwrap_or(Value::from(()));
                Ok(map.entry(key.clone()).or_insert(default).clone())
            }
            "get" => {
                let key = args
                    .first()
                    .ok_or_else(|| bad("get expected at least 1 argument"))?;
                Ok(map
                    .get(key)
                    .cloned()
                    .unwrap_or_else(|| args.get(1).cloned().unwrap_or(Value::from(()))))
            }
            "keys" => Ok(Value::from(map.keys().cloned().collect::<Vec<_>>())),
            "values" => Ok(Value::from(map.values().cloned().collect::<Vec<_>>())),
            "items" => Ok(Value::from(
                map.iter()
                    .map(|(k, v)| tuple(vec![k.clone(), v.clone()]))
                    .collect::<Vec<_>>(),
            )),
            "copy" => Ok(new_dict(map.clone())),
            "clear" => {
                map.clear();
                Ok(Value::from(()))
            }
            _ => Err(Error::from(ErrorKind::UnknownMethod)),
        }
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let map = lock(&self.0).clone();
        fmt::Debug::fmt(&Value::from_pairs(map), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_string_methods() {
        let call = |s: &str, m: &str, args: &[Value]| {
            str_method(s, m, args).unwrap().map(|v| v.to_string())
        };
        assert_eq!(
            call("hello", "index", &[Value::from("l")]).as_deref(),
            Some("2")
        );
        assert_eq!(
            call("-7", "zfill", &[Value::from(4)]).as_deref(),
            Some("-007")
        );
        assert_eq!(
            call("ab", "center", &[Value::from(5), Value::from("*")]).as_deref(),
            Some("**ab*")
        );
        assert_eq!(
            call("abc", "center", &[Value::from(6), Value::from("*")]).as_deref(),
            Some("*abc**")
        );
        assert_eq!(
            call("a.b.c", "rsplit", &[Value::from("."), Value::from(1)]).as_deref(),
            Some("['a.b', 'c']")
        );
        assert_eq!(
            call("a-b", "rpartition", &[Value::from("_")]).as_deref(),
            Some("('', '', 'a-b')")
        );
        assert_eq!(call("Ab Cd", "istitle", &[]).as_deref(), Some("True"));
        assert_eq!(call("x", "upper", &[]), None);
    }

    #[test]
    fn dicts_render_like_python() {
        let d = new_dict([(Value::from("a"), Value::from(1))].into_iter().collect());
        assert_eq!(d.to_string(), "{'a': 1}");
    }
}
