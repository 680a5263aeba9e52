//! A macro's `depends_on.macros` as dbt-core finds it: statically, from the calls written in
//! the macro's text, not by rendering it.
//!
//! A call is `name(...)` or `a.b(...)` (not a filter `| f(...)`, a test `is t(...)`, a
//! method of a longer chain `a.b.c(...)` or of a call's result). Names of the context
//! (`return`, `log`, `var`, ...) and `ref`/`source`/`config` are not macros; `adapter.x(...)`
//! is an adapter method, except `adapter.dispatch('name', 'namespace')`, which adds `name`
//! and the macro dispatch resolves to for the target's adapter. Each name is then looked up
//! from the macro's package the way dbt resolves macro names; names that are no macro
//! (local variables, `caller`, methods such as `list.append`) drop out, and so does the
//! macro's own name.

use std::collections::HashMap;

use serde_json::Value;

use crate::db::{Db, Project};
use crate::jinja::macros::{INTERNAL_PACKAGE, MacroIndex, macro_index};
use crate::project::render::rendered_project_config;

/// Names in dbt's macro-resolving context: calls of these are never macros.
const CONTEXT_NAMES: &[&str] = &[
    "dbt_version",
    "diff_of_two_dicts",
    "env_var",
    "flags",
    "fromjson",
    "fromyaml",
    "invocation_id",
    "local_md5",
    "log",
    "modules",
    "print",
    "project_name",
    "return",
    "run_started_at",
    "set",
    "set_strict",
    "target",
    "thread_id",
    "tojson",
    "toyaml",
    "var",
    "zip",
    "zip_strict",
    "source",
    "ref",
    "config",
];

/// dbt macros dbtc implements natively (they are functions of its context, not templates).
const NATIVE_DBT_MACROS: &[&str] = &[
    "statement",
    "run_query",
    "is_incremental",
    "should_full_refresh",
];

#[derive(Debug, Clone, PartialEq)]
enum Token<'a> {
    Ident(&'a str),
    Str(String),
    Punct(char),
}

/// The tokens of the Jinja code regions (`{{ }}`, `{% %}`) of `text`, one list per region.
fn code_regions(text: &str) -> Vec<Vec<Token<'_>>> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 1 < bytes.len() {
        if bytes[i] != b'{' {
            i += 1;
            continue;
        }
        let close = match bytes[i + 1] {
            b'{' => "}}",
            b'%' => "%}",
            b'#' => {
                i = text[i + 2..]
                    .find("#}")
                    .map_or(bytes.len(), |p| i + 2 + p + 2);
                continue;
            }
            _ => {
                i += 1;
                continue;
            }
        };
        let (tokens, next) = tokenize(text, i + 2, close);
        i = next;
        if close == "%}" && matches!(tokens.first(), Some(Token::Ident("raw"))) {
            i = text[i..].find("endraw").map_or(bytes.len(), |p| {
                let at = i + p;
                text[at..].find("%}").map_or(bytes.len(), |q| at + q + 2)
            });
            continue;
        }
        out.push(tokens);
    }
    out
}

/// Tokens from `start` up to the region's `close` delimiter (outside strings); returns
/// them and the offset after the delimiter.
fn tokenize<'a>(text: &'a str, start: usize, close: &str) -> (Vec<Token<'a>>, usize) {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = start;
    while i < bytes.len() {
        let c = bytes[i];
        if text[i..].starts_with(close) {
            return (tokens, i + 2);
        }
        if c == b'-' && text[i + 1..].starts_with(close) {
            return (tokens, i + 3);
        }
        match c {
            b'\'' | b'"' => {
                let mut value = String::new();
                i += 1;
                while i < bytes.len() && bytes[i] != c {
                    if bytes[i] == b'\\' && i + 1 < bytes.len() {
                        i += 1;
                    }
                    let ch = text[i..].chars().next().unwrap_or(' ');
                    value.push(ch);
                    i += ch.len_utf8();
                }
                i += 1;
                tokens.push(Token::Str(value));
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let s = i;
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                tokens.push(Token::Ident(&text[s..i]));
            }
            c if c.is_ascii_digit() => {
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'.') {
                    i += 1;
                }
            }
            c if c.is_ascii_whitespace() => i += 1,
            _ => {
                let ch = text[i..].chars().next().unwrap_or(' ');
                tokens.push(Token::Punct(ch));
                i += ch.len_utf8();
            }
        }
    }
    (tokens, bytes.len())
}

/// An `adapter.dispatch(...)` call's macro name and namespace (string constants only).
fn dispatch_args(tokens: &[Token<'_>]) -> (Option<String>, Option<String>) {
    let mut name = None;
    let mut namespace = None;
    let mut depth = 0usize;
    let mut position = 0usize;
    let mut i = 0;
    while i < tokens.len() {
        match &tokens[i] {
            Token::Punct('(' | '[' | '{') => depth += 1,
            Token::Punct(')' | ']' | '}') if depth == 0 => break,
            Token::Punct(')' | ']' | '}') => depth -= 1,
            Token::Punct(',') if depth == 0 => position += 1,
            Token::Ident(key) if depth == 0 && tokens.get(i + 1) == Some(&Token::Punct('=')) => {
                if let Some(Token::Str(v)) = tokens.get(i + 2) {
                    match *key {
                        "macro_name" => name = Some(v.clone()),
                        "macro_namespace" => namespace = Some(v.clone()),
                        _ => {}
                    }
                }
                i += 2;
            }
            Token::Str(v) if depth == 0 => {
                let alone = matches!(tokens.get(i + 1), Some(Token::Punct(',' | ')')) | None);
                match position {
                    0 if alone && name.is_none() => name = Some(v.clone()),
                    1 if alone => namespace = Some(v.clone()),
                    _ => {}
                }
            }
            _ => {}
        }
        i += 1;
    }
    (name, namespace)
}

/// The names a macro's text may call, in order of appearance, each once: `name`,
/// `package.name`, and for a dispatch `name` and `package.prefix__name`.
fn possible_calls(
    text: &str,
    dispatch: &dyn Fn(&str, Option<&str>) -> Option<String>,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |name: String| {
        if !out.contains(&name) {
            out.push(name);
        }
    };
    for tokens in code_regions(text) {
        for (i, tok) in tokens.iter().enumerate() {
            let Token::Ident(first) = tok else { continue };
            let before = i.checked_sub(1).and_then(|p| tokens.get(p));
            let before2 = i.checked_sub(2).and_then(|p| tokens.get(p));
            let not_a_name = matches!(before, Some(Token::Punct('.' | '|')))
                || matches!(before, Some(Token::Ident("is")))
                // `{% macro m(...) %}`, `{% test t(...) %}`: definitions, not calls.
                || (i == 1 && matches!(before, Some(Token::Ident("macro" | "test" | "data_test"))))
                || (matches!(before, Some(Token::Ident("not")))
                    && matches!(before2, Some(Token::Ident("is"))));
            if not_a_name {
                continue;
            }
            match (tokens.get(i + 1), tokens.get(i + 2), tokens.get(i + 3)) {
                (Some(Token::Punct('(')), _, _) => {
                    // `{% call(args) m() %}`: the parentheses after `call` are parameters.
                    if *first == "call" && i == 0 {
                        continue;
                    }
                    if !CONTEXT_NAMES.contains(first) {
                        push((*first).to_string());
                    }
                }
                (Some(Token::Punct('.')), Some(Token::Ident(attr)), Some(Token::Punct('('))) => {
                    if *first != "adapter" {
                        push(format!("{first}.{attr}"));
                    } else if *attr == "dispatch" {
                        let (name, namespace) = dispatch_args(&tokens[i + 4..]);
                        if let Some(name) = name {
                            push(name.clone());
                            if let Some(found) = dispatch(&name, namespace.as_deref()) {
                                push(found);
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }
    out
}

/// How dbt resolves macro names for depends_on.
struct Resolver<'a> {
    index: &'a MacroIndex,
    adapter_type: String,
    dispatch_order: HashMap<String, Vec<String>>,
}

impl Resolver<'_> {
    fn in_package(&self, package: &str, name: &str) -> bool {
        self.index.get(package, name).is_some()
            || (package == INTERNAL_PACKAGE && NATIVE_DBT_MACROS.contains(&name))
    }

    /// The package of a bare name: the root project, then other packages, then dbt's own.
    fn by_name(&self, name: &str) -> Option<String> {
        let root = self.index.root_package.as_str();
        if self.in_package(root, name) {
            return Some(root.to_string());
        }
        // dbt's name lookup lets the package registered last win; packages load in name
        // order.
        let other = self
            .index
            .packages
            .keys()
            .filter(|p| {
                p.as_str() != root && p.as_str() != INTERNAL_PACKAGE && self.in_package(p, name)
            })
            .max();
        if let Some(p) = other {
            return Some(p.clone());
        }
        self.in_package(INTERNAL_PACKAGE, name)
            .then(|| INTERNAL_PACKAGE.to_string())
    }

    /// `package.name` of the macro `adapter.dispatch(name, namespace)` finds.
    fn dispatch(&self, name: &str, namespace: Option<&str>) -> Option<String> {
        let packages: Vec<Option<String>> = match namespace {
            None => vec![None],
            Some(ns) => match self.dispatch_order.get(ns) {
                Some(order) => order.iter().cloned().map(Some).collect(),
                None if self.index.packages.contains_key(ns) => {
                    vec![Some(self.index.root_package.clone()), Some(ns.to_string())]
                }
                None => vec![None],
            },
        };
        for package in &packages {
            for prefix in [self.adapter_type.as_str(), "default"] {
                let candidate = format!("{prefix}__{name}");
                let found = match package {
                    None => self.by_name(&candidate),
                    Some(p) => self.in_package(p, &candidate).then(|| p.clone()),
                };
                if let Some(p) = found {
                    return Some(format!("{p}.{candidate}"));
                }
            }
        }
        None
    }

    /// The unique_id a call `name` (or `package.name`) from a macro of `local` names.
    fn resolve(&self, local: &str, call: &str) -> Option<String> {
        let (package, name) = call.split_once('.').unwrap_or((local, call));
        let found = if self.in_package(package, name) {
            Some(package.to_string())
        } else {
            self.by_name(name)
        };
        found.map(|p| format!("macro.{p}.{name}"))
    }
}

fn dispatch_order(db: &dyn Db, project: Project) -> HashMap<String, Vec<String>> {
    let mut out = HashMap::new();
    let config = rendered_project_config(db, project);
    if let Some(Value::Array(entries)) = config.root.section("dispatch") {
        for entry in entries {
            if let (Some(ns), Some(Value::Array(order))) = (
                entry.get("macro_namespace").and_then(Value::as_str),
                entry.get("search_order"),
            ) {
                let order = order
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect();
                out.insert(ns.to_string(), order);
            }
        }
    }
    out
}

fn resolver<'a>(db: &dyn Db, project: Project, index: &'a MacroIndex) -> Resolver<'a> {
    Resolver {
        index,
        adapter_type: crate::jinja::nodes::active_target(db, project)
            .adapter_type
            .clone(),
        dispatch_order: dispatch_order(db, project),
    }
}

/// `depends_on.macros` of a generic test as dbt-core writes it. dbt first adds the test
/// macro found by a lookup of the bare `test_<name>` from the test's package (so with two
/// packages defining it, the package loaded last wins, whatever the namespace), then
/// `get_where_subquery` from the parse-time render of the `model` argument; `not_null` and
/// `unique` of dbt are not rendered at parse. A compile adds the macros that render calls
/// (the test macro, macros in the arguments). `called` is what dbtc's parse-time render
/// called.
pub(super) fn test_depends_on(
    db: &dyn Db,
    project: Project,
    node: &crate::project::nodes::NodeInfo,
    test: &crate::project::nodes::TestInfo,
    called: &[String],
    compiled: bool,
) -> Vec<String> {
    let index = macro_index(db, project);
    let resolver = resolver(db, project, &index);
    let macro_name = format!("test_{}", test.test_name);
    let mut out: Vec<String> = resolver
        .resolve(&node.package, &macro_name)
        .into_iter()
        .collect();
    let fast_path = out
        .iter()
        .any(|id| id == "macro.dbt.test_not_null" || id == "macro.dbt.test_unique");
    if !compiled && fast_path {
        return out;
    }
    for id in called {
        // A parse records only get_where_subquery (the `model` argument) beyond the test
        // macro: macros called by the test's other arguments or by the test macro's own
        // call are recorded when the test compiles.
        let recorded = compiled || id == "macro.dbt.get_where_subquery";
        if recorded && !out.contains(id) {
            out.push(id.clone());
        }
    }
    out
}

/// `depends_on.macros` of macro `name` of `package`, whose text is `macro_sql`. Reads the
/// macro index, the root project's `dispatch:` and the target's adapter type.
pub(super) fn macro_depends_on(
    db: &dyn Db,
    project: Project,
    package: &str,
    name: &str,
    macro_sql: &str,
) -> Vec<String> {
    let index = macro_index(db, project);
    let resolver = resolver(db, project, &index);
    let mut out: Vec<String> = Vec::new();
    let calls = possible_calls(macro_sql, &|n, ns| resolver.dispatch(n, ns));
    for call in calls {
        if call == name {
            continue;
        }
        if let Some(id) = resolver.resolve(package, &call)
            && !out.contains(&id)
        {
            out.push(id);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn calls(text: &str) -> Vec<String> {
        possible_calls(text, &|n, ns| {
            Some(format!("{}.default__{n}", ns.unwrap_or("root")))
        })
    }

    #[test]
    fn finds_calls_as_dbt_static_parser_does() {
        let text = r#"{% macro m(x) %}
            {%- set parts = [] -%}{% do parts.append(helper(x)) %}
            {{ pkg.other(x) | upper | replace('a', b()) }} {{ a.b.c() }} {{ f().g() }}
            {% if x is divisibleby(3) %}{{ return(log('x')) }}{% endif %}
            {# comment(1) #}{% raw %}{{ not_this() }}{% endraw %}
            {% call statement('s', fetch_result=True) %}select {{ ref('t') }}{% endcall %}
            {{ adapter.dispatch('thing', 'pkg')(x) }} {{ adapter.quote(x) }}
            '{{ "str(" }}'
        {% endmacro %}"#;
        assert_eq!(
            calls(text),
            [
                "parts.append",
                "helper",
                "pkg.other",
                "b",
                "f",
                "statement",
                "thing",
                "pkg.default__thing"
            ]
        );
    }

    #[test]
    fn broken_templates_do_not_panic() {
        for text in [
            "{{",
            "{%",
            "{#",
            "{{ 'unterminated",
            "{% call(",
            "{{ a.",
            "{{ adapter.dispatch(",
            "{{ adapter.dispatch('x', [",
            "{% raw %}never closed",
            "é{{ fé(ü) }}ß",
            "{{ '\\",
            "{%- macro m() -%}{{ m( }}",
            "{{ x | f( }}",
            "}}{{ -",
        ] {
            let _ = calls(text);
        }
    }

    #[test]
    fn dispatch_keyword_arguments() {
        let text = "{{ adapter.dispatch(macro_name='x', macro_namespace='ns')() }}";
        assert_eq!(calls(text), ["x", "ns.default__x"]);
        let text = "{% call(row) outer() %}{{ caller() }}{% endcall %}";
        assert_eq!(calls(text), ["outer", "caller"]);
        let text = "{% test t(model) %}{{ inner(model) }}{% endtest %}";
        assert_eq!(calls(text), ["inner"]);
        let text = "{% macro m(a) %}{{ m(a) }}{% endmacro %}";
        assert_eq!(calls(text), ["m"]);
    }
}
