//! The dbt context of one render: `ref`, `source`, `config`, `var`, `this`, `target`,
//! `adapter`, macros by name, and what the render collects (refs, sources, config calls,
//! macros called). Everything here is `Send + Sync + 'static`: queries compute the inputs
//! first and read the collected results after the render.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, OnceLock};

use indexmap::IndexMap;
use minijinja::value::{Enumerator, Kwargs, Object, Value};
use minijinja::{Error, ErrorKind, State};

use super::macros::{INTERNAL_PACKAGE, MacroIndex};
use super::relation::{Relation, RelationData};

/// Parse time (`execute` false, refs recorded) or compile time (refs resolved).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    Parse,
    Compile,
}

/// A `ref()` call as written.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RefCall {
    pub package: Option<String>,
    pub name: String,
    pub version: Option<String>,
}

/// What a resolved ref points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefTarget {
    pub relation: RelationData,
    /// The unique_id of an ephemeral model (rendered as a CTE).
    pub ephemeral: Option<String>,
}

/// Everything a render needs, computed by queries beforehand.
#[derive(Debug, Clone)]
pub struct RenderInput {
    pub phase: Phase,
    pub unique_id: String,
    pub package: String,
    pub root_package: String,
    /// `model` in the context (the node's properties as dbt exposes them).
    pub model: Value,
    pub this: Option<RelationData>,
    pub config: serde_json::Map<String, serde_json::Value>,
    pub target: Value,
    pub vars: serde_json::Map<String, serde_json::Value>,
    pub env: Arc<BTreeMap<String, String>>,
    pub refs: HashMap<RefCall, RefTarget>,
    pub sources: HashMap<(String, String), RelationData>,
    pub macros: Arc<MacroIndex>,
    /// (package, name) -> content-addressed template name, for the macros preloaded.
    pub templates: HashMap<(String, String), String>,
    pub adapter_type: String,
    /// `dispatch:` config: macro_namespace -> search order.
    pub dispatch: HashMap<String, Vec<String>>,
    /// `_dbt_generic_test_kwargs` for generic tests.
    pub test_kwargs: Option<Value>,
    /// The target relations that exist (for is_incremental / get_relation); empty before runs.
    pub existing_relations: Arc<BTreeSet<String>>,
    pub full_refresh: bool,
    pub docs: Arc<HashMap<String, String>>,
    /// `graph` (nodes and sources as dbt's flat graph), at compile time for templates that
    /// mention it; empty otherwise, as during dbt's parsing.
    pub graph: Option<Value>,
    /// Columns of parent relations known ahead of time (see `columns.rs`).
    pub relation_columns: Arc<super::columns::RelationColumns>,
    /// The live database of a just-in-time render during a run (see `live`); None ahead
    /// of time.
    pub live: Option<super::live::Live>,
}

/// What a render collected.
#[derive(Debug, Default)]
pub struct Collected {
    pub refs: Vec<RefCall>,
    pub sources: Vec<(String, String)>,
    pub config: IndexMap<String, serde_json::Value>,
    pub macros_called: BTreeSet<(String, String)>,
    /// A macro the render needed but that was not preloaded.
    pub missing: Option<(String, String)>,
    pub introspective: bool,
    pub ephemerals: Vec<String>,
    /// Macro frames of the error, innermost first.
    pub frames: Vec<(String, String)>,
    pub warnings: Vec<String>,
    /// Names of the `statement` blocks run (for `load_result`).
    pub statements: BTreeSet<String>,
    /// Results of the `statement` blocks run against the live database, by name.
    pub results: HashMap<String, Value>,
}

/// The shared state of one render.
pub struct RenderState {
    pub input: RenderInput,
    pub collected: Mutex<Collected>,
    /// Return values of nested macro calls (`return()`), innermost last.
    pub returns: Mutex<Vec<Option<Value>>>,
}

impl std::fmt::Debug for RenderState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<render {}>", self.input.unique_id)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl RenderState {
    pub fn collect(&self) -> std::sync::MutexGuard<'_, Collected> {
        lock(&self.collected)
    }
}

/// Marker prefix of errors that are `return()` unwinding, not failures.
pub const RETURN_MARKER: &str = "__dbtc_return__";
/// Marker prefix of errors for macros that were not preloaded.
pub const MISSING_MARKER: &str = "__dbtc_missing_macro__";
/// Prefix of errors raised by `exceptions.raise_compiler_error`.
pub const COMPILER_ERROR_PREFIX: &str = "Compilation Error: ";

/// A UUID (version 4 layout) per dbtc process, like dbt's invocation_id.
static INVOCATION_ID: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let seed = format!("{nanos}-{}", std::process::id());
    let h = crate::project::generic_tests::md5_hex(&seed);
    format!(
        "{}-{}-4{}-a{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
});

/// This process's invocation_id (also written to run_results.json).
pub fn invocation_id() -> &'static str {
    INVOCATION_ID.as_str()
}

/// dbt's `flags.WHICH` for this process: the running command (`build`, `run`, `test`, ...),
/// `compile` unless the CLI set it. One per process, like the command itself.
static WHICH: OnceLock<&'static str> = OnceLock::new();

/// Sets `flags.WHICH` (once, before rendering: later calls are ignored).
pub fn set_which(command: &'static str) {
    let _ = WHICH.set(command);
}

fn which() -> &'static str {
    WHICH.get().copied().unwrap_or("compile")
}

static FULL_REFRESH: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Sets the invocation's `--full-refresh` (before rendering): dbt's `flags.FULL_REFRESH`
/// and `should_full_refresh()` answer it in every render of the command, ahead of time
/// too, as dbt's flags do. Watch and other long-lived uses never set it.
pub fn set_full_refresh(on: bool) {
    FULL_REFRESH.store(on, std::sync::atomic::Ordering::Relaxed);
}

/// The invocation's `--full-refresh` (see [`set_full_refresh`]).
pub fn full_refresh_flag() -> bool {
    FULL_REFRESH.load(std::sync::atomic::Ordering::Relaxed)
}

/// The hidden handle by which native functions find the render state.
#[derive(Debug)]
pub struct Handle(pub Arc<RenderState>);
impl Object for Handle {
    /// Python objects are true in a condition (minijinja's default for a map-like object
    /// without entries is false).
    fn is_true(self: &Arc<Self>) -> bool {
        true
    }
}

pub fn render_state(state: &State) -> Result<Arc<RenderState>, Error> {
    state
        .lookup("__dbtc")
        .and_then(|v| v.downcast_object_ref::<Handle>().map(|h| Arc::clone(&h.0)))
        .ok_or_else(|| Error::new(ErrorKind::InvalidOperation, "dbt context missing"))
}

/// The root context object of a render.
#[derive(Debug)]
pub struct DbtContext(pub Arc<RenderState>);

impl DbtContext {
    pub fn value(rs: &Arc<RenderState>) -> Value {
        Value::from_object(DbtContext(Arc::clone(rs)))
    }
}

/// A var whose value is a template, rendered with the current context (as a string, like
/// dbt). Vars that read each other in a cycle stop with an error, not a stack overflow.
fn render_var(
    state: &State<'_, '_>,
    rs: &Arc<RenderState>,
    name: &str,
    text: &str,
) -> Result<Value, Error> {
    thread_local!(static DEPTH: std::cell::Cell<usize> = const { std::cell::Cell::new(0) });
    let depth = DEPTH.with(|d| d.replace(d.get() + 1));
    let out = if depth > 32 {
        Err(compiler_error(format!(
            "var '{name}' refers to itself through other vars"
        )))
    } else {
        state
            .env()
            .render_str(
                &super::compat::rewrite_template(text),
                DbtContext::value(rs),
            )
            .map(Value::from)
    };
    DEPTH.with(|d| d.set(depth));
    out
}

fn json(v: &serde_json::Value) -> Value {
    crate::jinja::to_value(v)
}

/// A native function bound to the render.
#[derive(Debug)]
struct Native {
    name: &'static str,
    rs: Arc<RenderState>,
}

impl Object for DbtContext {
    /// Python objects are true in a condition (minijinja's default for a map-like object
    /// without entries is false).
    fn is_true(self: &Arc<Self>) -> bool {
        true
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let rs = &self.0;
        let input = &rs.input;
        let key = key.as_str()?;
        let native = |name: &'static str| {
            Value::from_object(Native {
                name,
                rs: Arc::clone(rs),
            })
        };
        Some(match key {
            "__dbtc" => Value::from_object(Handle(Arc::clone(rs))),
            "ref"
            | "source"
            | "var"
            | "env_var"
            | "is_incremental"
            | "run_query"
            | "statement"
            | "load_result"
            | "doc"
            | "should_full_refresh" => native(match key {
                "ref" => "ref",
                "source" => "source",
                "var" => "var",
                "env_var" => "env_var",
                "is_incremental" => "is_incremental",
                "run_query" => "run_query",
                "statement" => "statement",
                "load_result" => "load_result",
                "doc" => "doc",
                _ => "should_full_refresh",
            }),
            "config" => Value::from_object(super::config_obj::ConfigObj(Arc::clone(rs))),
            "adapter" => Value::from_object(super::adapter::Adapter(Arc::clone(rs))),
            "this" => match &input.this {
                Some(t) => Relation::for_adapter(t.clone(), &input.adapter_type),
                // At parse time dbt's `this` is already a relation; only its name matters.
                None if input.phase == Phase::Parse => {
                    let attr = |v: &Value, k: &str| {
                        v.get_attr(k)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_string))
                            .unwrap_or_default()
                    };
                    Relation::for_adapter(
                        RelationData::new(
                            &attr(&input.target, "database"),
                            &attr(&input.target, "schema"),
                            &attr(&input.model, "name"),
                        ),
                        &input.adapter_type,
                    )
                }
                None => Value::from(()),
            },
            "target" => input.target.clone(),
            "model" => input.model.clone(),
            "execute" => Value::from(input.phase == Phase::Compile),
            "project_name" => Value::from(input.root_package.clone()),
            "invocation_id" => Value::from(INVOCATION_ID.as_str()),
            "run_started_at" => super::pymodules::DateTime::now_utc(),
            "flags" => crate::jinja::to_value(serde_json::json!({
                "FULL_REFRESH": input.full_refresh, "STORE_FAILURES": false, "WHICH": which(),
                "full_refresh": input.full_refresh, "which": which()
            })),
            "graph" => input.graph.clone().unwrap_or_else(|| {
                crate::jinja::to_value(
                    serde_json::json!({"nodes": {}, "sources": {}, "macros": {}, "exposures": {}}),
                )
            }),
            "database" => input
                .this
                .as_ref()
                .and_then(|t| t.database.clone())
                .map(Value::from)?,
            "schema" => input
                .this
                .as_ref()
                .and_then(|t| t.schema.clone())
                .map(Value::from)?,
            "_dbt_generic_test_kwargs" => input.test_kwargs.clone()?,
            "selected_resources" => Value::from(Vec::<Value>::new()),
            "dbt_version" => Value::from("1.11.0"),
            "dbt" => Value::from_object(Namespace {
                package: INTERNAL_PACKAGE.into(),
                rs: Arc::clone(rs),
            }),
            name => {
                if input.macros.packages.contains_key(name) {
                    return Some(Value::from_object(Namespace {
                        package: name.into(),
                        rs: Arc::clone(rs),
                    }));
                }
                let (package, _) = input.macros.resolve(&input.package, name)?;
                Value::from_object(MacroProxy {
                    package,
                    name: name.to_string(),
                })
            }
        })
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Str(&[
            "ref", "source", "config", "var", "env_var", "this", "target", "model", "adapter",
        ])
    }
}

/// `package.macro` access.
#[derive(Debug)]
pub struct Namespace {
    pub package: String,
    pub rs: Arc<RenderState>,
}

impl Object for Namespace {
    /// Python objects are true in a condition (minijinja's default for a map-like object
    /// without entries is false).
    fn is_true(self: &Arc<Self>) -> bool {
        true
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let name = key.as_str()?;
        self.rs.input.macros.get(&self.package, name)?;
        Some(Value::from_object(MacroProxy {
            package: self.package.clone(),
            name: name.to_string(),
        }))
    }
}

/// A global macro: calling it evaluates the macro's own template in a nested state with
/// the same dbt context, so the macro sees `ref`, `this`, `config`, ... of the node.
#[derive(Debug)]
pub struct MacroProxy {
    pub package: String,
    pub name: String,
}

/// The `caller` of a `{% call %}` block, handed to a macro that runs in another template's
/// state. The caller is a macro of the calling template and can only run in that template's
/// state, so this keeps the address of that state while the macro runs (the calling
/// template is suspended in `MacroProxy::invoke` meanwhile) and calls the caller there,
/// with the arguments of `caller(...)`.
#[derive(Debug)]
struct DeferredCaller {
    caller: Value,
    /// Address of the calling `State`, None once the macro call has returned.
    outer: Arc<Mutex<Option<usize>>>,
}

impl Object for DeferredCaller {
    /// Python objects are true in a condition (minijinja's default for a map-like object
    /// without entries is false).
    fn is_true(self: &Arc<Self>) -> bool {
        true
    }

    fn call(self: &Arc<Self>, _state: &mut State<'_, '_>, args: &[Value]) -> Result<Value, Error> {
        let Some(addr) = *lock(&self.outer) else {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                "caller() called after its {% call %} block ended",
            ));
        };
        let outer = std::ptr::with_exposed_provenance_mut::<State<'static, 'static>>(addr);
        // SAFETY: `addr` was taken from the `&mut State` that `MacroProxy::invoke` received,
        // which does not touch that state again until the macro call returns and then
        // clears `outer` (see `OuterGuard`). Renders are single-threaded, so while `outer`
        // is set nothing else uses the calling state: this is its only live access.
        let outer = unsafe { &mut *outer };
        self.caller.call(outer, args)
    }
}

/// Clears a `DeferredCaller`'s state address when the macro call ends, on every path.
struct OuterGuard(Option<Arc<Mutex<Option<usize>>>>);

impl Drop for OuterGuard {
    fn drop(&mut self) {
        if let Some(slot) = &self.0 {
            *lock(slot) = None;
        }
    }
}

impl MacroProxy {
    pub fn invoke(&self, state: &mut State<'_, '_>, args: &[Value]) -> Result<Value, Error> {
        let rs = render_state(state)?;
        let key = (self.package.clone(), self.name.clone());
        let Some(template) = rs.input.templates.get(&key).cloned() else {
            rs.collect().missing = Some(key);
            return Err(Error::new(ErrorKind::InvalidOperation, MISSING_MARKER));
        };
        // dbt's depends_on.macros lists the macros a node calls itself, not their callees.
        if lock(&rs.returns).is_empty() {
            rs.collect().macros_called.insert(key);
        }
        let tmpl = state.env().get_template(&template)?;
        let ctx = DbtContext::value(&rs);
        let mut captured = tmpl.render_captured(ctx)?;
        // A `caller` of this state cannot run in the macro's state: pass a `DeferredCaller`
        // that runs it here. `state` is not used again until `_guard` is dropped.
        let mut args: Vec<Value> = args.to_vec();
        let mut _guard = OuterGuard(None);
        if let Some(last) = args.last()
            && last.is_kwargs()
            && let Ok(kwargs) = Kwargs::try_from(last.clone())
            && let Ok(Some(caller)) = kwargs.get::<Option<Value>>("caller")
        {
            let mut map: IndexMap<String, Value> = IndexMap::new();
            for k in kwargs.args() {
                if k != "caller" {
                    map.insert(k.to_string(), kwargs.peek::<Value>(k)?);
                }
            }
            let addr = std::ptr::from_mut(state).expose_provenance();
            let outer = Arc::new(Mutex::new(Some(addr)));
            _guard = OuterGuard(Some(Arc::clone(&outer)));
            map.insert(
                "caller".into(),
                Value::from_object(DeferredCaller { caller, outer }),
            );
            *args.last_mut().expect("kwargs") = Value::from(Kwargs::from_iter(map));
        }
        lock(&rs.returns).push(None);
        let result = captured.with_state_mut(|st| {
            let spec: Vec<String> = st
                .lookup(&self.name)
                .and_then(|m| m.get_attr("arguments").ok())
                .and_then(|a| a.try_iter().ok())
                .map(|it| it.filter_map(|v| v.as_str().map(str::to_string)).collect())
                .unwrap_or_default();
            let args = super::compat::pack_extra_args(&spec, args)?;
            st.call_macro(&self.name, &args)
        });
        let returned = lock(&rs.returns).pop().flatten();
        match (result, returned) {
            (_, Some(value)) => Ok(value),
            (Ok(out), None) => Ok(Value::from_safe_string(out)),
            (Err(err), None) => {
                if err.detail().is_none_or(|d| !d.starts_with(MISSING_MARKER)) {
                    // Inner calls fail first, so frames end up innermost first.
                    rs.collect()
                        .frames
                        .push((self.package.clone(), self.name.clone()));
                }
                Err(err)
            }
        }
    }
}

impl Object for MacroProxy {
    /// Python objects are true in a condition (minijinja's default for a map-like object
    /// without entries is false).
    fn is_true(self: &Arc<Self>) -> bool {
        true
    }

    fn call(self: &Arc<Self>, state: &mut State<'_, '_>, args: &[Value]) -> Result<Value, Error> {
        self.invoke(state, args)
    }
}

pub(super) fn kwargs_of(args: &[Value]) -> (Vec<Value>, Option<Kwargs>) {
    match args.last() {
        Some(last) if last.is_kwargs() => (
            args[..args.len() - 1].to_vec(),
            Kwargs::try_from(last.clone()).ok(),
        ),
        _ => (args.to_vec(), None),
    }
}

pub(super) fn str_arg(v: Option<&Value>, what: &str) -> Result<String, Error> {
    v.and_then(|v| v.as_str().map(str::to_string))
        .ok_or_else(|| {
            Error::new(
                ErrorKind::MissingArgument,
                format!("{what} must be a string"),
            )
        })
}

/// A query of a just-in-time render failed in the database.
pub fn database_error(msg: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorKind::InvalidOperation,
        format!("Database Error\n  {msg}"),
    )
}

pub fn compiler_error(msg: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorKind::InvalidOperation,
        format!("{COMPILER_ERROR_PREFIX}{msg}"),
    )
}

impl Object for Native {
    /// Python objects are true in a condition (minijinja's default for a map-like object
    /// without entries is false).
    fn is_true(self: &Arc<Self>) -> bool {
        true
    }

    fn call(self: &Arc<Self>, state: &mut State<'_, '_>, args: &[Value]) -> Result<Value, Error> {
        let rs = &self.rs;
        let input = &rs.input;
        let (pos, kwargs) = kwargs_of(args);
        let kw = |name: &str| -> Option<Value> {
            kwargs
                .as_ref()
                .and_then(|k| k.get::<Option<Value>>(name).ok().flatten())
        };
        match self.name {
            "ref" => {
                let version = kw("v").or_else(|| kw("version")).map(|v| v.to_string());
                let call = match pos.as_slice() {
                    [name] => RefCall {
                        package: None,
                        name: str_arg(Some(name), "ref() name")?,
                        version,
                    },
                    [pkg, name] => RefCall {
                        package: Some(str_arg(Some(pkg), "ref() package")?),
                        name: str_arg(Some(name), "ref() name")?,
                        version,
                    },
                    _ => {
                        return Err(Error::new(
                            ErrorKind::InvalidOperation,
                            "ref() takes 1 or 2 arguments",
                        ));
                    }
                };
                rs.collect().refs.push(call.clone());
                if input.phase == Phase::Parse {
                    let placeholder = RelationData::new(
                        input
                            .target
                            .get_attr("database")
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_string))
                            .as_deref()
                            .unwrap_or(""),
                        input
                            .target
                            .get_attr("schema")
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_string))
                            .as_deref()
                            .unwrap_or(""),
                        &call.name,
                    );
                    return Ok(Relation::for_adapter(placeholder, &input.adapter_type));
                }
                let lookup = input.refs.get(&call).or_else(|| {
                    input.refs.get(&RefCall {
                        version: None,
                        ..call.clone()
                    })
                });
                match lookup {
                    Some(target) => {
                        if let Some(uid) = &target.ephemeral {
                            rs.collect().ephemerals.push(uid.clone());
                        }
                        Ok(Relation::for_adapter(
                            target.relation.clone(),
                            &input.adapter_type,
                        ))
                    }
                    None => Err(compiler_error(format!(
                        "Model '{}' depends on a node named '{}' which was not found",
                        input.unique_id, call.name
                    ))),
                }
            }
            "source" => {
                let [src, table] = pos.as_slice() else {
                    return Err(Error::new(
                        ErrorKind::InvalidOperation,
                        "source() takes 2 arguments",
                    ));
                };
                let key = (
                    str_arg(Some(src), "source name")?,
                    str_arg(Some(table), "table name")?,
                );
                rs.collect().sources.push(key.clone());
                match input.sources.get(&key) {
                    Some(rel) => Ok(Relation::for_adapter(rel.clone(), &input.adapter_type)),
                    None if input.phase == Phase::Parse => Ok(Relation::for_adapter(
                        RelationData::new("", &key.0, &key.1),
                        &input.adapter_type,
                    )),
                    None => Err(compiler_error(format!(
                        "Model '{}' depends on a source named '{}.{}' which was not found",
                        input.unique_id, key.0, key.1
                    ))),
                }
            }
            "var" => {
                let name = str_arg(pos.first(), "var() name")?;
                match input.vars.get(&name) {
                    // dbt renders a var's text with the node's context when it is read.
                    Some(serde_json::Value::String(text))
                        if text.contains("{{") || text.contains("{%") =>
                    {
                        render_var(state, rs, &name, text)
                    }
                    Some(v) => Ok(json(v)),
                    None => match pos.get(1) {
                        Some(default) => Ok(default.clone()),
                        None if input.phase == Phase::Parse => Ok(Value::from(())),
                        None => Err(compiler_error(format!(
                            "Required var '{name}' not found in config:\nVars supplied to {} = {{}}",
                            input.unique_id
                        ))),
                    },
                }
            }
            "env_var" => {
                let name = str_arg(pos.first(), "env_var() name")?;
                // As dbt: secrets may only be used where they are not written anywhere.
                if name.starts_with("DBT_ENV_SECRET") {
                    return Err(compiler_error(format!(
                        "Secret env vars are allowed only in profiles.yml or packages.yml. Found '{name}' referenced elsewhere."
                    )));
                }
                match input.env.get(&name) {
                    Some(v) => Ok(Value::from(v.clone())),
                    None => match pos.get(1).cloned().or_else(|| kw("default")) {
                        Some(d) => Ok(d),
                        None => Err(compiler_error(format!(
                            "Env var required but not provided: '{name}'"
                        ))),
                    },
                }
            }
            "is_incremental" => {
                if lock(&rs.returns).is_empty() {
                    rs.collect()
                        .macros_called
                        .insert(("dbt".into(), "is_incremental".into()));
                }
                let materialized = input
                    .config
                    .get("materialized")
                    .and_then(|v| v.as_str())
                    .unwrap_or("");
                let exists = input
                    .this
                    .as_ref()
                    .is_some_and(|t| input.existing_relations.contains(&t.render()));
                // dbt: `not should_full_refresh()`, where the model's `full_refresh`
                // config wins over the flag.
                let full_refresh = input
                    .config
                    .get("full_refresh")
                    .and_then(|v| v.as_bool())
                    .unwrap_or(input.full_refresh);
                Ok(Value::from(
                    input.phase == Phase::Compile
                        && materialized == "incremental"
                        && exists
                        && !full_refresh,
                ))
            }
            "should_full_refresh" => {
                if lock(&rs.returns).is_empty() {
                    rs.collect()
                        .macros_called
                        .insert(("dbt".into(), "should_full_refresh".into()));
                }
                let cfg = input.config.get("full_refresh").and_then(|v| v.as_bool());
                Ok(Value::from(cfg.unwrap_or(input.full_refresh)))
            }
            // Queries cannot run ahead of time: at compile time they return an empty result
            // of unknown columns (see `agate`), and the node is marked introspective. At
            // parse time dbt returns None, as here.
            "run_query" => {
                rs.collect().introspective = true;
                if let Some(live) = &input.live {
                    let sql = str_arg(pos.first().or(kw("sql").as_ref()), "run_query() sql")?;
                    return live
                        .query(&sql)
                        .map(|r| super::live::table(&r))
                        .map_err(database_error);
                }
                Ok(match input.phase {
                    Phase::Compile => super::agate::Table::unknown(),
                    Phase::Parse => Value::from(()),
                })
            }
            "statement" => {
                let name = pos
                    .first()
                    .cloned()
                    .or_else(|| kw("name"))
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| "statement".into());
                {
                    let mut c = rs.collect();
                    c.introspective = true;
                    c.statements.insert(name.clone());
                }
                let body = match kw("caller") {
                    Some(caller) => caller.call(state, &[])?,
                    None => Value::from(""),
                };
                if let Some(live) = &input.live {
                    let result = live.query(&body.to_string()).map_err(database_error)?;
                    rs.collect()
                        .results
                        .insert(name, super::live::statement_result(&result));
                }
                Ok(Value::from(""))
            }
            "load_result" => {
                let name = str_arg(pos.first(), "load_result() name")?;
                if input.live.is_some() {
                    return Ok(rs.collect().results.get(&name).cloned().unwrap_or_default());
                }
                let ran = rs.collect().statements.contains(&name);
                Ok(if ran && input.phase == Phase::Compile {
                    super::agate::unknown_result()
                } else {
                    Value::from(())
                })
            }
            "doc" => {
                let name = str_arg(pos.last(), "doc() name")?;
                Ok(Value::from(
                    input.docs.get(&name).cloned().unwrap_or_default(),
                ))
            }
            _ => Err(Error::from(ErrorKind::UnknownFunction)),
        }
    }
}
