//! Python's `set` as dbt's context function `set(iterable)` returns it: unique items, equal
//! to another set with the same items in any order (dbt_utils.equality compares two sets of
//! column names), `in`, `length`, iteration, and the usual methods (`add`, `update`,
//! `union`, `difference`, ...). Items keep their insertion order for iteration and rendering.

use std::cmp::Ordering;
use std::fmt;
use std::sync::{Arc, Mutex};

use minijinja::value::{DynObject, Enumerator, Object, ObjectRepr, Value};
use minijinja::{Error, ErrorKind, State};

/// A Python set.
#[derive(Debug, Default)]
pub struct PySet(Mutex<Vec<Value>>);

fn lock(m: &Mutex<Vec<Value>>) -> std::sync::MutexGuard<'_, Vec<Value>> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Unique items of `items`, in first-seen order.
fn unique(items: impl IntoIterator<Item = Value>) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

/// A set of the items of `iterable` (None: the empty set).
pub fn new_set(iterable: Option<&Value>) -> Result<Value, Error> {
    let items = match iterable {
        Some(v) => unique(v.try_iter()?),
        None => Vec::new(),
    };
    Ok(Value::from_object(PySet(Mutex::new(items))))
}

fn items_of(v: &Value) -> Result<Vec<Value>, Error> {
    Ok(v.try_iter()?.collect())
}

fn one_arg<'a>(method: &str, args: &'a [Value]) -> Result<&'a Value, Error> {
    match args {
        [v] => Ok(v),
        _ => Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("set.{method}() takes exactly one argument"),
        )),
    }
}

impl Object for PySet {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Seq
    }

    fn get_value(self: &Arc<Self>, _key: &Value) -> Option<Value> {
        // 'set' object is not subscriptable.
        None
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(lock(&self.0).clone())
    }

    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        Some(lock(&self.0).len())
    }

    /// Sets are equal when they hold the same items, in any order; otherwise ordered by
    /// size (then arbitrarily), so that sorting sets never fails.
    fn custom_cmp(self: &Arc<Self>, other: &DynObject) -> Option<Ordering> {
        let other = other.downcast_ref::<PySet>()?;
        let (a, b) = (lock(&self.0).clone(), lock(&other.0).clone());
        if a.len() == b.len() && a.iter().all(|x| b.contains(x)) {
            return Some(Ordering::Equal);
        }
        Some(a.len().cmp(&b.len()).then(Ordering::Less))
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        let current = lock(&self.0).clone();
        let set = |items: Vec<Value>| Value::from_object(PySet(Mutex::new(unique(items))));
        match method {
            "add" => {
                let v = one_arg(method, args)?;
                let mut items = lock(&self.0);
                if !items.contains(v) {
                    items.push(v.clone());
                }
                Ok(Value::from(()))
            }
            "update" => {
                let mut new = current;
                for a in args {
                    new.extend(items_of(a)?);
                }
                *lock(&self.0) = unique(new);
                Ok(Value::from(()))
            }
            "discard" | "remove" => {
                let v = one_arg(method, args)?;
                let mut items = lock(&self.0);
                match items.iter().position(|x| x == v) {
                    Some(p) => {
                        items.remove(p);
                        Ok(Value::from(()))
                    }
                    None if method == "discard" => Ok(Value::from(())),
                    None => Err(Error::new(
                        ErrorKind::InvalidOperation,
                        format!("KeyError: {v}"),
                    )),
                }
            }
            "union" => {
                let mut new = current;
                for a in args {
                    new.extend(items_of(a)?);
                }
                Ok(set(new))
            }
            "intersection" | "difference" => {
                let mut keep = current;
                for a in args {
                    let other = items_of(a)?;
                    let wanted = method == "intersection";
                    keep.retain(|x| other.contains(x) == wanted);
                }
                Ok(set(keep))
            }
            "symmetric_difference" => {
                let other = items_of(one_arg(method, args)?)?;
                let mut out: Vec<Value> = current
                    .iter()
                    .filter(|x| !other.contains(x))
                    .cloned()
                    .collect();
                out.extend(other.iter().filter(|x| !current.contains(x)).cloned());
                Ok(set(out))
            }
            "issubset" | "issuperset" | "isdisjoint" => {
                let other = items_of(one_arg(method, args)?)?;
                Ok(Value::from(match method {
                    "issubset" => current.iter().all(|x| other.contains(x)),
                    "issuperset" => other.iter().all(|x| current.contains(x)),
                    _ => !current.iter().any(|x| other.contains(x)),
                }))
            }
            "copy" => Ok(set(current)),
            "clear" => {
                lock(&self.0).clear();
                Ok(Value::from(()))
            }
            "pop" => {
                let mut items = lock(&self.0);
                if items.is_empty() {
                    return Err(Error::new(
                        ErrorKind::InvalidOperation,
                        "KeyError: 'pop from an empty set'",
                    ));
                }
                Ok(items.remove(0))
            }
            _ => Err(Error::from(ErrorKind::UnknownMethod)),
        }
    }

    /// Python's `{'a', 'b'}` (`set()` when empty).
    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let items = lock(&self.0).clone();
        if items.is_empty() {
            return f.write_str("set()");
        }
        f.write_str("{")?;
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            match item.as_str() {
                Some(s) => write!(f, "'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))?,
                None => write!(f, "{item}")?,
            }
        }
        f.write_str("}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(template: &str) -> String {
        let mut env = minijinja::Environment::new();
        env.add_function("set", |v: Option<Value>| new_set(v.as_ref()));
        env.render_str(template, ()).expect("renders")
    }

    #[test]
    fn sets_with_the_same_items_are_equal_in_any_order() {
        assert_eq!(
            render(
                "{{ set(['a', 'b', 'a']) == set(['b', 'a']) }} {{ set(['a']) != set(['a', 'c']) }}"
            ),
            "True True"
        );
    }

    #[test]
    fn set_methods_and_rendering() {
        assert_eq!(
            render(
                "{% set s = set([1, 2]) %}{% set _ = s.add(3) %}{{ s | length }} {{ 2 in s }} \
                 {{ s.difference([1]) }} {{ s.issubset([1, 2, 3, 4]) }} {{ set() }} {{ set(['x']) }}"
            ),
            "3 True {2, 3} True set() {'x'}"
        );
    }
}
