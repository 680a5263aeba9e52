//! `adapter` in the dbt context: dispatch (dbt's search order and `dispatch:` config),
//! quoting, and relation lookups answered without a database until execution exists.

use std::sync::Arc;

use minijinja::value::{Object, Value};
use minijinja::{Error, ErrorKind, State};

use super::context::{MacroProxy, RenderState, compiler_error, kwargs_of, str_arg};

/// `adapter`: dispatch, quote, and relation lookups answered without a database.
#[derive(Debug)]
pub(super) struct Adapter(pub(super) Arc<RenderState>);

impl Adapter {
    fn dispatch(&self, name: &str, namespace: Option<&str>) -> Result<Value, Error> {
        let input = &self.0.input;
        let prefixes = [input.adapter_type.as_str(), "default"];
        let packages: Vec<Option<String>> = match namespace {
            None => vec![None],
            // dbt: the `dispatch:` search order; else for a known package (installed,
            // internal `dbt`, or the root) the root project first, then the package (so a
            // project's `default__x` overrides `dbt.x`'s); else the global lookup.
            Some(ns) => match input.dispatch.get(ns) {
                Some(order) => order.iter().cloned().map(Some).collect(),
                None if input.macros.packages.contains_key(ns) => {
                    vec![Some(input.root_package.clone()), Some(ns.to_string())]
                }
                None => vec![None],
            },
        };
        let (short, explicit_pkg) = match name.split_once('.') {
            Some((pkg, n)) => (n, Some(pkg)),
            None => (name, None),
        };
        for package in &packages {
            for prefix in prefixes {
                let candidate = format!("{prefix}__{short}");
                let pkg = explicit_pkg.map(str::to_string).or_else(|| package.clone());
                let found = match &pkg {
                    Some(p) => input.macros.get(p, &candidate).map(|_| p.clone()),
                    None => input
                        .macros
                        .resolve(&input.package, &candidate)
                        .map(|(p, _)| p),
                };
                if let Some(package) = found {
                    return Ok(Value::from_object(MacroProxy {
                        package,
                        name: candidate,
                    }));
                }
            }
        }
        let searched: Vec<String> = prefixes.iter().map(|p| format!("{p}__{short}")).collect();
        Err(compiler_error(format!(
            "In dispatch: No macro named '{short}' found within namespace: '{}'\n    Searched for: {}",
            namespace.unwrap_or(&input.root_package),
            searched.join(", ")
        )))
    }
}

impl Adapter {
    /// `get_relation(database, schema, identifier)` / `load_relation(relation)` answered by
    /// the live database: the relation with its kind, or None.
    fn live_relation(
        &self,
        method: &str,
        pos: &[Value],
        kw: &dyn Fn(&str) -> Option<Value>,
    ) -> Result<Value, Error> {
        let arg = |i: usize, name: &str| {
            pos.get(i)
                .cloned()
                .or_else(|| kw(name))
                .filter(|v| !v.is_none() && !v.is_undefined())
                .map(|v| v.to_string())
        };
        let (database, schema, identifier) = if method == "load_relation" {
            let Some(rel) = pos.first().cloned().or_else(|| kw("relation")) else {
                return Ok(Value::from(()));
            };
            let Some((schema, identifier)) = live_parts(&rel) else {
                return Ok(Value::from(()));
            };
            let database = rel
                .get_attr("database")
                .ok()
                .filter(|v| !v.is_none() && !v.is_undefined());
            (database.map(|d| d.to_string()), schema, identifier)
        } else {
            match (arg(1, "schema"), arg(2, "identifier")) {
                (Some(s), Some(i)) => (arg(0, "database"), s, i),
                _ => return Ok(Value::from(())),
            }
        };
        let Some(live) = &self.0.input.live else {
            return Ok(Value::from(()));
        };
        let kind = live
            .relation_kind(&schema, &identifier)
            .map_err(super::context::database_error)?;
        Ok(match kind {
            Some(kind) => {
                let database = database.unwrap_or_else(|| {
                    self.0
                        .input
                        .target
                        .get_attr("database")
                        .map(|v| v.to_string())
                        .unwrap_or_default()
                });
                let mut data = super::relation::RelationData::new(&database, &schema, &identifier);
                data.kind = Some(kind);
                super::relation::Relation::for_adapter(data, &self.0.input.adapter_type)
            }
            None => Value::from(()),
        })
    }
}

fn live_parts(relation: &Value) -> Option<(String, String)> {
    super::live::relation_parts(relation)
}

impl Object for Adapter {
    /// Python objects are true in a condition (minijinja's default for a map-like object
    /// without entries is false).
    fn is_true(self: &Arc<Self>) -> bool {
        true
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        match key.as_str()? {
            "type" => Some(Value::from(self.0.input.adapter_type.clone())),
            _ => None,
        }
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        let (pos, kwargs) = kwargs_of(args);
        let kw = |name: &str| -> Option<Value> {
            kwargs
                .as_ref()
                .and_then(|k| k.get::<Option<Value>>(name).ok().flatten())
        };
        match method {
            "dispatch" => {
                let name = str_arg(
                    pos.first().or(kw("macro_name").as_ref()),
                    "dispatch macro name",
                )?;
                let ns = pos.get(1).cloned().or_else(|| kw("macro_namespace"));
                let ns = ns.as_ref().and_then(|v| v.as_str().map(str::to_string));
                self.dispatch(&name, ns.as_deref())
            }
            "quote" => {
                let s = str_arg(pos.first(), "identifier")?;
                Ok(Value::from(format!("\"{s}\"")))
            }
            "type" => Ok(Value::from(self.0.input.adapter_type.clone())),
            "get_relation" | "load_relation" | "get_relation_or_none"
                if self.0.input.live.is_some() =>
            {
                self.0.collect().introspective = true;
                self.live_relation(method, &pos, &kw)
            }
            "get_columns_in_relation" if self.0.input.live.is_some() => {
                self.0.collect().introspective = true;
                let relation = pos.first().cloned().or_else(|| kw("relation"));
                let live = self.0.input.live.as_ref().map(Arc::clone);
                match (relation.as_ref().and_then(live_parts), live) {
                    (Some((schema, identifier)), Some(live)) => live
                        .columns(&schema, &identifier)
                        .map(|c| {
                            super::live::columns_value(&c, self.0.input.adapter_type == "postgres")
                        })
                        .map_err(super::context::database_error),
                    _ => Ok(Value::from(Vec::<Value>::new())),
                }
            }
            "execute" if self.0.input.live.is_some() => {
                self.0.collect().introspective = true;
                let sql = str_arg(pos.first().or(kw("sql").as_ref()), "execute() sql")?;
                let fetch = pos
                    .get(2)
                    .or(kw("fetch").as_ref())
                    .is_some_and(Value::is_true);
                let live = self.0.input.live.as_ref().map(Arc::clone);
                let result = live
                    .map(|l| l.query(&sql))
                    .transpose()
                    .map_err(super::context::database_error)?
                    .unwrap_or_default();
                let table = if fetch {
                    super::live::table(&result)
                } else {
                    super::live::table(&crate::exec::QueryResult::default())
                };
                Ok(super::compat::tuple(vec![
                    super::live::response(result.rows.len()),
                    table,
                ]))
            }
            "get_relation" | "load_relation" | "get_relation_or_none" => {
                // Without a database, only relations built in this run could exist.
                self.0.collect().introspective = true;
                Ok(Value::from(()))
            }
            "get_columns_in_relation" => {
                let relation = pos.first().cloned().or_else(|| kw("relation"));
                if let Some(columns) = relation.as_ref().and_then(|r| {
                    super::columns::lookup(
                        &self.0.input.relation_columns,
                        r,
                        self.0.input.adapter_type == "postgres",
                    )
                }) {
                    return Ok(columns);
                }
                self.0.collect().introspective = true;
                Ok(Value::from(Vec::<Value>::new()))
            }
            "execute" => {
                self.0.collect().introspective = true;
                Ok(super::compat::tuple(vec![
                    crate::jinja::to_value(
                        serde_json::json!({"_message": "", "code": "", "rows_affected": 0}),
                    ),
                    super::agate::Table::unknown(),
                ]))
            }
            "drop_relation" | "truncate_relation" => {
                // dbt's adapter.drop_relation / truncate_relation (a hook may call them).
                self.0.collect().introspective = true;
                let Some(rel) = pos.first().cloned().or_else(|| kw("relation")) else {
                    return Ok(Value::from(()));
                };
                if self.0.input.live.is_none() {
                    // Ahead of time: nothing is dropped (the relation may be unknown yet).
                    return Ok(Value::from(()));
                }
                let sql = if method == "drop_relation" {
                    let kind = rel
                        .get_attr("type")
                        .ok()
                        .filter(|v| !v.is_none() && !v.is_undefined());
                    let Some(kind) = kind else {
                        return Err(compiler_error(format!(
                            "Tried to drop relation {rel}, but its type is null."
                        )));
                    };
                    format!("drop {kind} if exists {rel} cascade")
                } else {
                    format!("truncate table {rel}")
                };
                if let Some(live) = &self.0.input.live {
                    live.query(&sql).map_err(super::context::database_error)?;
                }
                Ok(Value::from(()))
            }
            "check_schema_exists" => Ok(Value::from(false)),
            "list_relations_without_caching" | "get_missing_columns" => {
                Ok(Value::from(Vec::<Value>::new()))
            }
            "already_exists" => Ok(Value::from(false)),
            "standardize_grants_dict" => Ok(pos.first().cloned().unwrap_or(Value::from(()))),
            _ => Err(Error::new(
                ErrorKind::UnknownMethod,
                format!("adapter has no method `{method}`"),
            )),
        }
    }
}
