//! The `config` object of the dbt context: callable (records `config(...)` calls), with
//! `get`, `require` and `meta_get`.

use std::sync::Arc;

use minijinja::value::{Object, Value};
use minijinja::{Error, ErrorKind, State};

use super::context::{RenderState, compiler_error, kwargs_of, str_arg};

/// `config`: callable (records config), with `get` and `require`.
#[derive(Debug)]
pub(super) struct ConfigObj(pub(super) Arc<RenderState>);

fn to_json(v: &Value) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}

fn json(v: &serde_json::Value) -> Value {
    super::to_value(v)
}

impl Object for ConfigObj {
    /// Python objects are true in a condition (minijinja's default for a map-like object
    /// without entries is false).
    fn is_true(self: &Arc<Self>) -> bool {
        true
    }

    fn call(self: &Arc<Self>, _state: &mut State<'_, '_>, args: &[Value]) -> Result<Value, Error> {
        let (pos, kwargs) = kwargs_of(args);
        let mut c = self.0.collect();
        if let Some(first) = pos.first()
            && let Ok(iter) = first.try_iter()
        {
            for key in iter {
                if let (Some(k), Ok(v)) = (key.as_str(), first.get_item(&key)) {
                    c.config.insert(k.to_string(), to_json(&v));
                }
            }
        }
        if let Some(kwargs) = kwargs {
            for k in kwargs.args() {
                let v: Value = kwargs.peek(k)?;
                c.config.insert(k.to_string(), to_json(&v));
            }
        }
        Ok(Value::from(""))
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        let (pos, kwargs) = kwargs_of(args);
        let key = str_arg(pos.first(), "config key")?;
        let collected = self.0.collect().config.get(&key).cloned();
        let value = collected.or_else(|| self.0.input.config.get(&key).cloned());
        match method {
            "get" => {
                let default = pos.get(1).cloned().or_else(|| {
                    kwargs
                        .as_ref()
                        .and_then(|k| k.get::<Option<Value>>("default").ok().flatten())
                });
                Ok(match value {
                    Some(v) if !v.is_null() => json(&v),
                    _ => default.unwrap_or(Value::from(())),
                })
            }
            "require" => match value {
                Some(v) if !v.is_null() => Ok(json(&v)),
                _ => Err(compiler_error(format!(
                    "Required config '{key}' was not found for node {}",
                    self.0.input.unique_id
                ))),
            },
            "set" => Ok(Value::from("")),
            "meta_get" => {
                let meta = self
                    .0
                    .input
                    .config
                    .get("meta")
                    .and_then(|m| m.get(&key))
                    .cloned();
                Ok(meta
                    .map(|v| json(&v))
                    .or_else(|| pos.get(1).cloned())
                    .unwrap_or(Value::from(())))
            }
            _ => Err(Error::from(ErrorKind::UnknownMethod)),
        }
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let key = key.as_str()?;
        let v = self.0.input.config.get(key)?;
        Some(json(v))
    }
}
