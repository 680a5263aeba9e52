//! Jinja2 compatibility that minijinja lacks and dbt projects use everywhere: mutable list and
//! dict literals (`.append`, `.extend`, `.pop`, `.update`, `.insert`, `.remove`, `.setdefault`).
//!
//! minijinja values are immutable, so list and dict *literals* in templates are rewritten at
//! the token level into calls that build mutable objects: `[a, b]` becomes
//! `__dbtc_list([a, b])` and `{k: v}` becomes `__dbtc_dict({k: v})`. Subscripts (`x[0]`)
//! are left alone. Like Jinja2, `append` returns None.

use std::fmt;
use std::sync::{Arc, Mutex};

use minijinja::value::{Enumerator, Object, ObjectRepr, Value};
use minijinja::{Error, ErrorKind, State};

/// Rewrites list/dict literals inside `{{ }}` and `{% %}` of a template.
pub fn rewrite_template(source: &str) -> String {
    if !source.contains('[') && !source.contains("{%") && !source.contains('{') {
        return source.to_string();
    }
    let mut out = String::with_capacity(source.len() + 64);
    let bytes = source.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'{' && i + 1 < bytes.len() && (bytes[i + 1] == b'{' || bytes[i + 1] == b'%')
        {
            let is_block = bytes[i + 1] == b'%';
            let close = if is_block { "%}" } else { "}}" };
            // Copy the opening delimiter and any whitespace-control marker.
            out.push_str(&source[i..i + 2]);
            i += 2;
            let (expr, next) = rewrite_expr(source, i, close);
            if is_block && expr.trim_start().starts_with("raw") {
                // `{% raw %}`: copy through to `{% endraw %}` untouched.
                out.push_str(&expr);
                i = next;
                if let Some(end) = source[i..].find("endraw") {
                    let stop = source[i + end..]
                        .find("%}")
                        .map(|p| i + end + p + 2)
                        .unwrap_or(source.len());
                    out.push_str(&source[i..stop]);
                    i = stop;
                }
                continue;
            }
            out.push_str(&expr);
            i = next;
        } else if bytes[i] == b'{' && bytes.get(i + 1) == Some(&b'#') {
            let stop = source[i..]
                .find("#}")
                .map(|p| i + p + 2)
                .unwrap_or(source.len());
            out.push_str(&source[i..stop]);
            i = stop;
        } else {
            let next = source[i..]
                .find('{')
                .map(|p| if p == 0 { i + 1 } else { i + p })
                .unwrap_or(source.len());
            out.push_str(&source[i..next]);
            i = next;
        }
    }
    out
}

/// Rewrites one tag's content starting at `start` up to its closing delimiter. Returns the
/// rewritten text (including the delimiter) and the position after it.
fn rewrite_expr(source: &str, start: usize, close: &str) -> (String, usize) {
    let bytes = source.as_bytes();
    let mut out = String::new();
    let mut i = start;
    // Stack of open brackets: true when we opened a rewritten call (needs an extra `)`).
    let mut stack: Vec<(u8, bool)> = Vec::new();
    // Whether the previous significant token ends an operand (then `[` is a subscript).
    let mut prev_operand = false;
    while i < bytes.len() {
        if stack.is_empty() && source[i..].starts_with(close) {
            out.push_str(close);
            return (out, i + close.len());
        }
        // Whitespace-control before the closing delimiter.
        if stack.is_empty()
            && (bytes[i] == b'-' || bytes[i] == b'+')
            && source[i + 1..].starts_with(close)
        {
            out.push(bytes[i] as char);
            out.push_str(close);
            return (out, i + 1 + close.len());
        }
        let c = bytes[i];
        match c {
            b'\'' | b'"' => {
                let mut j = i + 1;
                while j < bytes.len() && bytes[j] != c {
                    if bytes[j] == b'\\' {
                        j += 1;
                    }
                    j += 1;
                }
                let end = (j + 1).min(bytes.len());
                out.push_str(&source[i..end]);
                i = end;
                prev_operand = true;
            }
            b'[' | b'{' => {
                let literal = c == b'{' || !prev_operand;
                if literal {
                    out.push_str(if c == b'[' {
                        "__dbtc_list(["
                    } else {
                        "__dbtc_dict({"
                    });
                } else {
                    out.push('[');
                }
                stack.push((c, literal));
                i += 1;
                prev_operand = false;
            }
            b']' | b'}' => {
                if let Some((_, literal)) = stack.pop() {
                    out.push(c as char);
                    if literal {
                        out.push(')');
                    }
                } else {
                    out.push(c as char);
                }
                i += 1;
                prev_operand = true;
            }
            b'(' => {
                stack.push((c, false));
                out.push('(');
                i += 1;
                prev_operand = false;
            }
            b')' => {
                stack.pop();
                out.push(')');
                i += 1;
                prev_operand = true;
            }
            c if c.is_ascii_alphanumeric() || c == b'_' => {
                let mut j = i;
                while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_') {
                    j += 1;
                }
                let word = &source[i..j];
                out.push_str(word);
                i = j;
                // Keywords are not operands: `in [..]`, `and [..]`, `set x = [..]`.
                prev_operand = !matches!(
                    word,
                    "in" | "and"
                        | "or"
                        | "not"
                        | "if"
                        | "else"
                        | "is"
                        | "return"
                        | "do"
                        | "set"
                        | "for"
                );
            }
            c if c.is_ascii_whitespace() => {
                out.push(c as char);
                i += 1;
            }
            _ => {
                let ch = source[i..].chars().next().unwrap_or(' ');
                out.push(ch);
                i += ch.len_utf8();
                prev_operand = false;
            }
        }
    }
    (out, bytes.len())
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
                    .map(|(k, v)| Value::from(vec![k.clone(), v.clone()]))
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
        fmt::Debug::fmt(&Value::from_iter(map), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_literals_not_subscripts() {
        assert_eq!(
            rewrite_template("{% set x = [1, 2] %}{{ x[0] }}{{ {'a': [3]} }}"),
            "{% set x = __dbtc_list([1, 2]) %}{{ x[0] }}{{ __dbtc_dict({'a': __dbtc_list([3])}) }}"
        );
        assert_eq!(rewrite_template("a { b } [c]"), "a { b } [c]");
        assert_eq!(
            rewrite_template("{{ 'x' in ['x'] }}"),
            "{{ 'x' in __dbtc_list(['x']) }}"
        );
    }
}
