//! dbt's `modules` context entry: the parts of Python's `re`, `datetime` and `pytz` that dbt
//! projects and packages use (`modules.re.sub`, `modules.datetime.datetime.now().strftime`,
//! `run_started_at.strftime`, ...). Regular expressions run on the `regex` crate, with
//! Python's pattern and replacement syntax translated; time zones come from the tz database
//! bundled by chrono-tz, with pytz's semantics (`tz`); `+`/`-` on datetimes go through
//! `modules.__dbtc_add`/`__dbtc_sub`, see `arith` and `rewrite`.

use std::sync::Arc;

use minijinja::value::{Enumerator, Kwargs, Object, ObjectRepr, Value};
use minijinja::{Error, ErrorKind, State};

use super::compat::new_list;

mod arith;
mod datetime;
mod delta;
mod re;
mod rewrite;
mod tz;

use datetime::DatetimeModule;
pub use datetime::{DateTime, from_sql_text};
use re::Re;
pub use rewrite::rewrite_arith;
use tz::Pytz;

/// The `modules` global.
pub fn modules() -> Value {
    Value::from_object(Modules)
}

/// `modules`: a mapping of the Python modules, plus the two arithmetic helpers that the
/// `+`/`-` rewrite calls.
#[derive(Debug)]
struct Modules;

const MODULE_NAMES: [&str; 4] = ["datetime", "itertools", "pytz", "re"];

impl Object for Modules {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        Some(match key.as_str()? {
            "re" => Value::from_object(Re),
            "datetime" => Value::from_object(DatetimeModule),
            "pytz" => Value::from_object(Pytz),
            "itertools" => Value::from_object(Itertools),
            _ => return None,
        })
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Str(&MODULE_NAMES)
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        let pair = || match args {
            [a, b] => Ok((a.clone(), b.clone())),
            _ => Err(err(format!("{method}() takes two arguments"))),
        };
        match method {
            "__dbtc_add" => pair().and_then(|(a, b)| arith::add(a, b)),
            "__dbtc_sub" => pair().and_then(|(a, b)| arith::sub(a, b)),
            _ => Err(Error::new(
                ErrorKind::UnknownMethod,
                format!("modules has no `{method}`"),
            )),
        }
    }
}

pub(super) fn err(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, msg.into())
}

/// Positional arguments and keyword arguments of a call.
pub(super) struct Args {
    pub(super) pos: Vec<Value>,
    pub(super) kw: Option<Kwargs>,
}

impl Args {
    pub(super) fn new(args: &[Value]) -> Args {
        match args.last() {
            Some(last) if last.is_kwargs() => Args {
                pos: args[..args.len() - 1].to_vec(),
                kw: Kwargs::try_from(last.clone()).ok(),
            },
            _ => Args {
                pos: args.to_vec(),
                kw: None,
            },
        }
    }

    /// The argument `name`, or the positional one at `idx`.
    pub(super) fn get(&self, name: &str, idx: usize) -> Option<Value> {
        self.kw
            .as_ref()
            .and_then(|k| k.get::<Option<Value>>(name).ok().flatten())
            .or_else(|| self.pos.get(idx).cloned())
            .filter(|v| !v.is_undefined())
    }

    pub(super) fn str(&self, name: &str, idx: usize) -> Result<String, Error> {
        match self.get(name, idx) {
            Some(v) if v.as_str().is_some() => Ok(v.as_str().unwrap_or_default().to_string()),
            Some(v) if !v.is_none() => Ok(v.to_string()),
            _ => Err(err(format!("missing argument `{name}`"))),
        }
    }

    pub(super) fn int(&self, name: &str, idx: usize, default: i64) -> Result<i64, Error> {
        match self.get(name, idx) {
            None => Ok(default),
            Some(v) if v.is_none() => Ok(default),
            Some(v) => i64::try_from(v.clone())
                .map_err(|_| err(format!("`{name}` must be an integer, got {v}"))),
        }
    }

    pub(super) fn float(&self, name: &str, idx: usize) -> Result<f64, Error> {
        match self.get(name, idx) {
            None => Ok(0.0),
            Some(v) if v.is_none() => Ok(0.0),
            Some(v) => f64::try_from(v.clone())
                .map_err(|_| err(format!("`{name}` must be a number, got {v}"))),
        }
    }
}

/// `modules.itertools`: `product`, `chain`, `combinations`... as lists.
#[derive(Debug)]
struct Itertools;

impl Object for Itertools {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        let lists: Vec<Vec<Value>> = args
            .iter()
            .filter(|a| !a.is_kwargs())
            .map(|a| a.try_iter().map(Iterator::collect))
            .collect::<Result<_, _>>()?;
        match method {
            "chain" => Ok(new_list(lists.into_iter().flatten().collect())),
            "product" => {
                let mut out: Vec<Vec<Value>> = vec![Vec::new()];
                for list in &lists {
                    out = out
                        .into_iter()
                        .flat_map(|prefix| {
                            list.iter().map(move |v| {
                                let mut p = prefix.clone();
                                p.push(v.clone());
                                p
                            })
                        })
                        .collect();
                }
                Ok(new_list(out.into_iter().map(Value::from).collect()))
            }
            "combinations" => {
                let items = lists.first().cloned().unwrap_or_default();
                let r = args
                    .get(1)
                    .and_then(|v| usize::try_from(v.clone()).ok())
                    .unwrap_or(0);
                let mut out = Vec::new();
                combinations(&items, r, 0, &mut Vec::new(), &mut out);
                Ok(new_list(out.into_iter().map(Value::from).collect()))
            }
            _ => Err(Error::new(
                ErrorKind::UnknownMethod,
                format!("itertools has no `{method}`"),
            )),
        }
    }
}

fn combinations(
    items: &[Value],
    r: usize,
    start: usize,
    current: &mut Vec<Value>,
    out: &mut Vec<Vec<Value>>,
) {
    if current.len() == r {
        out.push(current.clone());
        return;
    }
    for i in start..items.len() {
        current.push(items[i].clone());
        combinations(items, r, i + 1, current, out);
        current.pop();
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    fn render(tmpl: &str) -> String {
        let mut env = minijinja::Environment::new();
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        env.add_global("modules", modules());
        env.render_str(tmpl, ())
            .unwrap_or_else(|e| format!("ERR {e}"))
    }

    #[test]
    fn re_module_follows_python() {
        assert_eq!(
            render("{{ modules.re.sub('[ -]+', '_', 'a b-c') }}"),
            "a_b_c"
        );
        assert_eq!(
            render(r"{{ modules.re.sub('(\\w+)@(\\w+)', '\\2 at \\1 $', 'me@home') }}"),
            "home at me $"
        );
        assert_eq!(
            render(
                "{{ modules.re.match('b', 'ab') is none }} {{ modules.re.search('b', 'ab').group() }}"
            ),
            "True b"
        );
        assert_eq!(
            render("{{ modules.re.findall('(a)(\\\\d)', 'a1 a2') }}"),
            "[['a', '1'], ['a', '2']]"
        );
        assert_eq!(
            render("{{ modules.re.split(',\\\\s*', 'a, b,c') }}"),
            "['a', 'b', 'c']"
        );
        assert_eq!(
            render("{{ modules.re.compile('^X', modules.re.I).match('xy') is not none }}"),
            "True"
        );
        assert_eq!(render("{{ modules.re.escape('a.b') }}"), r"a\.b");
    }

    #[test]
    fn datetime_module_follows_python() {
        assert_eq!(
            render("{{ modules.datetime.datetime(2024, 1, 2, 3, 4, 5) }}"),
            "2024-01-02 03:04:05"
        );
        assert_eq!(
            render("{{ modules.datetime.datetime(2024, 1, 2).strftime('%Y%m%d %f') }}"),
            "20240102 000000"
        );
        assert_eq!(
            render("{{ modules.datetime.date(2024, 2, 29).isoformat() }}"),
            "2024-02-29"
        );
        assert_eq!(
            render("{{ modules.datetime.timedelta(days=1, hours=2) }}"),
            "1 day, 2:00:00"
        );
        assert_eq!(
            render(
                "{{ modules.pytz.utc.localize(modules.datetime.datetime.strptime('2024-03-01', '%Y-%m-%d')) }}"
            ),
            "2024-03-01 00:00:00+00:00"
        );
        assert_eq!(
            render("{{ modules.datetime.date(2024, 1, 1) < modules.datetime.date(2024, 1, 2) }}"),
            "True"
        );
        assert_eq!(
            render("{{ modules.pytz.timezone('America/New_York') }}"),
            "America/New_York"
        );
        assert!(render("{{ modules.pytz.timezone('Nowhere/City') }}").starts_with("ERR"));
    }
}
