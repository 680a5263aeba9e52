//! dbt unit tests: the `unit_tests:` entries of properties yml, resolved against the
//! project (the tested model, each `given` input, fixture files) and normalized as dbt
//! parses them. A bad entry is a diagnostic with file:line:col; the other tests and the
//! rest of the project are unaffected. Only the properties files that declare unit tests
//! are read here (`NodeIndex::unit_test_files`), so a project without any pays nothing.

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::config::project_config;
use super::nodes::{NodeIndex, NodeInfo, ResourceType, node_index};
use super::properties::properties;
pub use super::unit_test_inputs::{InputKind, parse_input};
use super::unit_test_rows::{FixtureFile, Rows, RowsFormat, normalize_rows};
use crate::db::{Db, File, NodeKey, Project};
use crate::diagnostics::{Diagnostic, Span, codes};

/// One `given` input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Given {
    /// As written (`ref('stg_orders')`).
    pub input: String,
    pub kind: InputKind,
    /// The unique_id of the node the input stands for.
    pub node: String,
    pub format: RowsFormat,
    pub fixture: Option<String>,
    pub rows: Rows,
}

/// One enabled (or disabled) unit test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitTest {
    pub unique_id: String,
    pub name: String,
    pub package: String,
    /// The tested model as written, and its unique_id.
    pub model: String,
    pub model_id: String,
    pub description: String,
    pub original_file_path: String,
    pub path: String,
    pub yml: PathBuf,
    pub fqn: Vec<String>,
    pub given: Vec<Given>,
    pub expect_format: RowsFormat,
    pub expect_fixture: Option<String>,
    pub expect: Rows,
    /// `overrides` as dbt stores it: null, or `{macros, vars, env_vars}`.
    pub overrides: Value,
    /// enabled, meta, static_analysis, tags (+ any other key given).
    pub config: Map<String, Value>,
    pub schema: Option<String>,
    pub versions: Value,
    /// The version of a versioned model this copy of the test runs against (dbt makes
    /// one copy per version, `<name>_v<version>`).
    pub version: Option<String>,
    pub checksum: String,
}

impl UnitTest {
    pub fn enabled(&self) -> bool {
        self.config.get("enabled").and_then(Value::as_bool) != Some(false)
    }

    pub fn tags(&self) -> Vec<String> {
        super::yaml::string_list(self.config.get("tags"))
    }

    /// The name a run shows: `<name>_v<version>` for a copy made for a model version.
    pub fn run_name(&self) -> String {
        match &self.version {
            Some(v) => format!("{}_v{v}", self.name),
            None => self.name.clone(),
        }
    }

    /// A macro override (`overrides.macros.<name>`).
    pub fn macro_override(&self, name: &str) -> Option<&Value> {
        self.overrides.get("macros")?.get(name)
    }
}

/// Every unit test of the project, enabled ones by unique_id in file order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UnitTests {
    pub tests: Vec<Arc<UnitTest>>,
    pub disabled: Vec<Arc<UnitTest>>,
    pub diagnostics: Vec<Diagnostic>,
}

impl UnitTests {
    pub fn get(&self, unique_id: &str) -> Option<&Arc<UnitTest>> {
        self.tests.iter().find(|t| t.unique_id == unique_id)
    }

    pub fn is_empty(&self) -> bool {
        self.tests.is_empty() && self.disabled.is_empty()
    }
}

/// The project's unit tests. Reads the node index and, only when some properties file
/// declares unit tests, those files, the fixture files, the DAG and the tested models'
/// configs and parse-time renders.
#[salsa::tracked(returns(ref))]
pub fn unit_tests(db: &dyn Db, project: Project) -> UnitTests {
    let index = node_index(db, project);
    let mut out = UnitTests::default();
    if index.unit_test_files.is_empty() {
        return out;
    }
    let mut seen = std::collections::HashSet::new();
    for (package, file) in &index.unit_test_files {
        let parser = FileParser {
            db,
            project,
            index,
            package,
            file: *file,
            text: file.text(db),
            warnings: Default::default(),
        };
        for entry in &properties(db, *file).unit_tests {
            let parsed = match parser.parse(entry) {
                Ok(tests) => tests,
                Err(diag) => {
                    out.diagnostics.push(*diag);
                    continue;
                }
            };
            for test in parsed {
                if !seen.insert(test.unique_id.clone()) {
                    out.diagnostics.push(
                        Diagnostic::error(
                            codes::DUPLICATE,
                            format!(
                                "dbt found two unit tests with the name \"{}\" for model \"{}\"",
                                test.name, test.model
                            ),
                        )
                        .at(file.path(db), parser.name_span(&test.name))
                        .with_hint("rename one of them"),
                    );
                    continue;
                }
                let test = Arc::new(test);
                if test.enabled() {
                    out.tests.push(test);
                } else {
                    out.disabled.push(test);
                }
            }
        }
        out.diagnostics.extend(parser.warnings.take());
    }
    out
}

struct FileParser<'a> {
    db: &'a dyn Db,
    project: Project,
    index: &'a NodeIndex,
    package: &'a str,
    file: File,
    text: &'a str,
    /// Warnings about tests that still parse.
    warnings: std::cell::RefCell<Vec<Diagnostic>>,
}

type ParseResult<T> = Result<T, Box<Diagnostic>>;

impl FileParser<'_> {
    fn path(&self) -> &PathBuf {
        self.file.path(self.db)
    }

    /// Where the test named `name` is written (its `name:` line), else the
    /// `unit_tests:` key.
    fn name_span(&self, name: &str) -> Option<Span> {
        let mut from = self.text.find("unit_tests:").unwrap_or(0);
        while let Some(pos) = self.text[from..].find(name) {
            let at = from + pos;
            let line_start = self.text[..at].rfind('\n').map_or(0, |i| i + 1);
            if self.text[line_start..at].contains("name") {
                return Some(Span::from_range(self.text, at, at + name.len()));
            }
            from = at + name.len().max(1);
        }
        super::yaml::find_line(self.text, "unit_tests")
    }

    /// Where `needle` is first written after the test's name (else the name).
    fn span_after(&self, name: &str, needle: &str) -> Option<Span> {
        let base = self.name_span(name);
        let from = base.as_ref().map_or(0, |s| s.start);
        match self.text[from..].find(needle) {
            Some(pos) if !needle.is_empty() => Some(Span::from_range(
                self.text,
                from + pos,
                from + pos + needle.len(),
            )),
            _ => base,
        }
    }

    fn error(&self, name: &str, near: &str, message: String, hint: &str) -> Box<Diagnostic> {
        Box::new(
            Diagnostic::error(codes::PROPERTIES, message)
                .at(self.path(), self.span_after(name, near))
                .with_hint(hint.to_string()),
        )
    }

    fn warn(&self, name: &str, near: &str, message: String, hint: &str) {
        self.warnings.borrow_mut().push(
            Diagnostic::warning(codes::PROPERTIES, message)
                .at(self.path(), self.span_after(name, near))
                .with_hint(hint.to_string()),
        );
    }

    fn parse(&self, entry: &Value) -> ParseResult<Vec<UnitTest>> {
        let Value::Object(map) = entry else {
            return Err(Box::new(
                Diagnostic::error(
                    codes::PROPERTIES,
                    "an entry of `unit_tests` is not a mapping",
                )
                .at(self.path(), super::yaml::find_line(self.text, "unit_tests"))
                .with_hint("each unit test needs `name`, `model`, `given` and `expect`"),
            ));
        };
        let Some(name) = map.get("name").and_then(Value::as_str) else {
            return Err(Box::new(
                Diagnostic::error(codes::PROPERTIES, "an entry of `unit_tests` has no `name`")
                    .at(self.path(), super::yaml::find_line(self.text, "unit_tests"))
                    .with_hint("every unit test needs `name:`"),
            ));
        };
        let Some(model) = map.get("model").and_then(Value::as_str) else {
            return Err(self.error(
                name,
                "",
                format!("unit test '{name}' has no `model`"),
                "name the model under test: `model: <model name>`",
            ));
        };
        let config = project_config(self.db, self.project);
        let pkg = config.package(self.package).unwrap_or(&config.root).clone();
        let rel = self
            .path()
            .strip_prefix(&pkg.root)
            .unwrap_or(self.path())
            .to_string_lossy()
            .replace('\\', "/");
        let path = rel
            .split_once('/')
            .map_or(rel.as_str(), |(_, p)| p)
            .to_string();
        let mut fqn = vec![self.package.to_string()];
        fqn.extend(
            path.split('/')
                .collect::<Vec<_>>()
                .split_last()
                .map(|(_, dirs)| dirs.iter().map(|d| d.to_string()).collect::<Vec<_>>())
                .unwrap_or_default(),
        );
        fqn.push(model.to_string());
        fqn.push(name.to_string());
        let tested = self.tested_model(name, model)?;
        let model_key = NodeKey::new(self.db, tested.unique_id.as_str());
        let model_config = crate::jinja::nodes::node_config(self.db, self.project, model_key);
        let mut unit_config = self.config(map, &fqn);
        if model_config.get("enabled").and_then(Value::as_bool) == Some(false) {
            unit_config.insert("enabled".into(), Value::Bool(false));
        }
        let overrides = match map.get("overrides") {
            None | Some(Value::Null) => Value::Null,
            Some(Value::Object(o)) => {
                let part = |k: &str| o.get(k).cloned().unwrap_or_else(|| json!({}));
                json!({"env_vars": part("env_vars"), "macros": part("macros"), "vars": part("vars")})
            }
            Some(_) => {
                return Err(self.error(
                    name,
                    "overrides",
                    format!("unit test '{name}': `overrides` must be a mapping"),
                    "use `overrides: {macros: {...}, vars: {...}, env_vars: {...}}`",
                ));
            }
        };
        if let Some(Value::Object(macros)) = overrides.get("macros") {
            for (macro_name, value) in macros {
                if macro_name == "is_incremental" || value.is_string() || value.is_number() {
                    continue;
                }
                self.warn(
                    name,
                    macro_name,
                    format!(
                        "unit test '{name}': dbtc applies macro overrides with a text or number value (and `is_incremental`); `{macro_name}` keeps its own definition"
                    ),
                    "give the override as the SQL text the macro should return",
                );
            }
        }
        let fixtures = |fixture: &str| self.fixture_file(fixture);
        let Some(Value::Array(given_entries)) = map.get("given") else {
            return Err(self.error(
                name,
                "",
                format!("unit test '{name}' has no `given` list"),
                "list the model's inputs under `given:` (each `input:` and `rows:`)",
            ));
        };
        let mut given = Vec::new();
        for g in given_entries {
            given.push(self.given(name, &tested, g, &fixtures)?);
        }
        let Some(Value::Object(expect)) = map.get("expect") else {
            return Err(self.error(
                name,
                "",
                format!("unit test '{name}' has no `expect` mapping"),
                "give the expected rows under `expect: {rows: [...]}`",
            ));
        };
        let expect_format = self.format(name, expect)?;
        let expect_rows = normalize_rows(expect, expect_format, &fixtures).map_err(|e| {
            self.error(
                name,
                "expect",
                format!("unit test '{name}' has expected rows that are not valid: {e}"),
                "dict rows are a list of mappings; csv and sql rows are text (or `fixture:`)",
            )
        })?;
        if enabled_config(&unit_config) {
            self.check_incremental(name, &tested, &overrides, &given)?;
        }
        let expect_fixture = expect
            .get("fixture")
            .and_then(Value::as_str)
            .map(str::to_string);
        // dbt stores `versions` with both keys.
        let versions = match map.get("versions") {
            Some(Value::Object(v)) => json!({
                "include": v.get("include").cloned().unwrap_or(Value::Null),
                "exclude": v.get("exclude").cloned().unwrap_or(Value::Null),
            }),
            _ => Value::Null,
        };
        let checksum = super::unit_test_checksum::checksum(
            model,
            &versions,
            &given,
            (&expect_rows, expect_format, &expect_fixture),
            &overrides,
        );
        let schema = crate::jinja::nodes::node_relation(self.db, self.project, model_key)
            .as_ref()
            .and_then(|r| r.schema.clone());
        let test = UnitTest {
            unique_id: format!("unit_test.{}.{model}.{name}", self.package),
            name: name.to_string(),
            package: self.package.to_string(),
            model: model.to_string(),
            model_id: tested.unique_id.clone(),
            description: map
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            original_file_path: rel.clone(),
            path,
            yml: self.path().clone(),
            fqn,
            given,
            expect_format,
            expect_fixture,
            expect: expect_rows,
            overrides,
            config: unit_config,
            schema,
            versions,
            version: None,
            checksum,
        };
        self.per_version(test, &tested)
    }

    /// dbt's copies of a test of a versioned model: one per version (`versions:`
    /// `include` or `exclude` narrow them), `unit_test.<package>.<model>.<name>_v<version>`.
    /// A test of an unversioned model must not name versions.
    fn per_version(&self, test: UnitTest, tested: &NodeInfo) -> ParseResult<Vec<UnitTest>> {
        let name = test.name.clone();
        let list = |key: &str| -> Option<Vec<String>> {
            let v = test.versions.get(key).filter(|v| !v.is_null())?;
            Some(
                super::yaml::string_list(Some(v))
                    .into_iter()
                    .map(|s| s.trim_matches('"').to_string())
                    .collect(),
            )
        };
        let (include, exclude) = (list("include"), list("exclude"));
        if include.is_some() && exclude.is_some() {
            return Err(self.error(
                &name,
                "versions:",
                "Unit tests can not both include and exclude versions.".into(),
                "keep `include` or `exclude`",
            ));
        }
        if tested.version.is_none() {
            if include.is_some() || exclude.is_some() {
                return Err(self.error(
                    &name,
                    "versions:",
                    format!(
                        "Unit test '{name}' should not have a versions include or exclude when referencing non-versioned model '{}'",
                        tested.name
                    ),
                    "remove `versions:`: the model has no versions",
                ));
            }
            return Ok(vec![test]);
        }
        let versions: Vec<Arc<NodeInfo>> = self
            .index
            .by_name
            .get(&tested.name)
            .into_iter()
            .flatten()
            .filter_map(|uid| self.index.nodes.get(uid))
            .filter(|n| {
                n.resource_type == ResourceType::Model
                    && n.package == tested.package
                    && n.version.as_ref().is_some_and(|v| {
                        include.as_ref().is_none_or(|i| i.contains(v))
                            && exclude.as_ref().is_none_or(|e| !e.contains(v))
                    })
            })
            .cloned()
            .collect();
        if versions.is_empty() {
            return Err(self.error(
                &name,
                "versions:",
                format!(
                    "Unit test '{name}' referenced a version of '{}' which was not found.",
                    tested.name
                ),
                "name versions the model declares",
            ));
        }
        Ok(versions
            .iter()
            .map(|node| {
                let version = node.version.clone().unwrap_or_default();
                let mut copy = test.clone();
                copy.unique_id = format!("{}_v{version}", test.unique_id);
                copy.model_id = node.unique_id.clone();
                for g in &mut copy.given {
                    if g.kind == InputKind::This {
                        g.node = node.unique_id.clone();
                    }
                }
                let key = NodeKey::new(self.db, node.unique_id.as_str());
                copy.schema = crate::jinja::nodes::node_relation(self.db, self.project, key)
                    .as_ref()
                    .and_then(|r| r.schema.clone());
                copy.version = Some(version);
                copy
            })
            .collect())
    }

    /// The tested model: `model: name` or `model: name v` (a version).
    fn tested_model(&self, name: &str, model: &str) -> ParseResult<Arc<NodeInfo>> {
        let mut parts = model.split_whitespace();
        let model_name = parts.next().unwrap_or_default();
        let version = parts.next();
        let root = &project_config(self.db, self.project).root.name;
        let found = self
            .index
            .find_ref(root, Some(self.package), model_name, version)
            .filter(|n| n.resource_type == ResourceType::Model);
        match found {
            Some(node) => Ok(self.index.nodes[&node.unique_id].clone()),
            None => Err(self.error(
                name,
                model,
                format!(
                    "Unable to find model '{}.{model}' for unit test '{name}' in {}",
                    self.package,
                    self.path()
                        .strip_prefix(&project_config(self.db, self.project).root.root)
                        .unwrap_or(self.path())
                        .display()
                ),
                "`model:` must name a SQL model of this project",
            )),
        }
    }

    /// The test's config: dbt_project.yml's `unit_tests:` tree for its fqn, then the
    /// entry's `config:`.
    fn config(&self, map: &Map<String, Value>, fqn: &[String]) -> Map<String, Value> {
        let mut out: Map<String, Value> = match json!({
            "enabled": true, "meta": {}, "static_analysis": null, "tags": []
        }) {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        let rendered = super::render::rendered_project_config(self.db, self.project);
        if let Some(tree) = rendered.root.section("unit_tests") {
            let mut level = Map::new();
            super::node_config::tree_configs(tree, fqn, &mut level);
            super::node_config::merge_config(&mut out, &level);
        }
        if let Some(Value::Object(cfg)) = map.get("config") {
            super::node_config::merge_config(&mut out, cfg);
        }
        if let Some(Value::String(tag)) = out.get("tags").cloned() {
            out.insert("tags".into(), json!([tag]));
        }
        out
    }

    fn format(&self, name: &str, entry: &Map<String, Value>) -> ParseResult<RowsFormat> {
        match entry.get("format") {
            None | Some(Value::Null) => Ok(RowsFormat::Dict),
            Some(Value::String(f)) => RowsFormat::parse(f).ok_or_else(|| {
                self.error(
                    name,
                    f,
                    format!("unit test '{name}': unknown format '{f}'"),
                    "format is one of dict (the default), csv, sql",
                )
            }),
            Some(other) => Err(self.error(
                name,
                "format",
                format!("unit test '{name}': unknown format {other}"),
                "format is one of dict (the default), csv, sql",
            )),
        }
    }

    fn given(
        &self,
        name: &str,
        tested: &NodeInfo,
        entry: &Value,
        fixtures: &dyn Fn(&str) -> Option<FixtureFile>,
    ) -> ParseResult<Given> {
        let Value::Object(map) = entry else {
            return Err(self.error(
                name,
                "given",
                format!("unit test '{name}': an entry of `given` is not a mapping"),
                "each input is `- input: ref('model')` with `rows:`",
            ));
        };
        let Some(input) = map.get("input").and_then(Value::as_str) else {
            return Err(self.error(
                name,
                "given",
                format!("unit test '{name}': an entry of `given` has no `input`"),
                "each input is `- input: ref('model')` with `rows:`",
            ));
        };
        let kind = parse_input(input).ok_or_else(|| {
            self.error(
                name,
                input,
                format!(
                    "Unit test given inputs must be either a 'ref', 'source' or 'this' call. Got: '{input}'."
                ),
                "write `ref('model')`, `source('source', 'table')` or `this`",
            )
        })?;
        let root = &project_config(self.db, self.project).root.name;
        let node = match &kind {
            InputKind::This => Some(tested),
            InputKind::Ref {
                package,
                name,
                version,
            } => self
                .index
                .find_ref(root, package.as_deref(), name, version.as_deref())
                .or_else(|| {
                    self.index
                        .find_ref(root, Some(self.package), name, version.as_deref())
                }),
            InputKind::Source { source, table } => self.index.find_source(source, table),
        };
        let Some(node) = node else {
            return Err(self.error(
                name,
                input,
                format!(
                    "Unit test '{name}' had an input ({input}) which was not found in the manifest."
                ),
                "the input must name a model, seed, snapshot or source of the project",
            ));
        };
        if kind != InputKind::This && !self.is_parent(tested, &node.unique_id) {
            self.warn(
                name,
                input,
                format!(
                    "unit test '{name}': input {input} is not a parent of model '{}', so its rows are never read",
                    tested.name
                ),
                "give only the model's own ref()/source() inputs",
            );
        }
        let format = self.format(name, map)?;
        let no_rows = map.get("rows").is_none_or(Value::is_null) && map.get("fixture").is_none();
        let rows = if format == RowsFormat::Dict && no_rows {
            // A seed without rows stands for its own CSV file.
            if node.resource_type != ResourceType::Seed {
                return Err(self.error(
                    name,
                    input,
                    format!(
                        "Unable to find seed '{}.{}' for unit tests: input {input} of unit test '{name}' has no rows",
                        self.package, node.name
                    ),
                    "give the input `rows:` (only a seed may omit them)",
                ));
            }
            let text = node
                .file
                .map(|f| f.text(self.db).to_string())
                .unwrap_or_default();
            let mut rows = super::unit_test_rows::csv_rows_with(&text, false)
                .map_err(|e| self.error(name, input, format!("seed {}: {e}", node.name), ""))?;
            super::unit_test_rows::promote_full_row(&mut rows);
            Rows::List(rows)
        } else {
            normalize_rows(map, format, fixtures).map_err(|e| {
                self.error(
                    name,
                    input,
                    format!(
                        "unit test '{name}' has input rows for {input} that are not valid: {e}"
                    ),
                    "dict rows are a list of mappings; csv and sql rows are text (or `fixture:`)",
                )
            })?
        };
        Ok(Given {
            input: input.to_string(),
            kind,
            node: node.unique_id.clone(),
            format,
            fixture: map
                .get("fixture")
                .and_then(Value::as_str)
                .map(str::to_string),
            rows,
        })
    }

    /// Whether the tested model's own `ref()`/`source()` calls name `parent`. Reads that
    /// model's parse-time render only (not the whole DAG, which a compile builds later on
    /// several threads).
    fn is_parent(&self, tested: &NodeInfo, parent: &str) -> bool {
        let key = NodeKey::new(self.db, tested.unique_id.as_str());
        let parsed = crate::jinja::nodes::parsed_node(self.db, self.project, key);
        let root = &project_config(self.db, self.project).root.name;
        let local = (tested.package != *root).then_some(tested.package.as_str());
        let by_ref = parsed.refs.iter().any(|call| {
            let version = call.version.as_deref();
            self.index
                .find_ref(root, call.package.as_deref().or(local), &call.name, version)
                .or_else(|| {
                    self.index
                        .find_ref(root, call.package.as_deref(), &call.name, version)
                })
                .is_some_and(|n| n.unique_id == parent)
        });
        by_ref
            || parsed.sources.iter().any(|(source, table)| {
                self.index
                    .find_source(source, table)
                    .is_some_and(|n| n.unique_id == parent)
            })
    }

    /// dbt's checks for incremental models: `is_incremental` must be overridden with a
    /// boolean, and a `true` override needs a `this` input.
    fn check_incremental(
        &self,
        name: &str,
        tested: &NodeInfo,
        overrides: &Value,
        given: &[Given],
    ) -> ParseResult<()> {
        let key = NodeKey::new(self.db, tested.unique_id.as_str());
        let parsed = crate::jinja::nodes::parsed_node(self.db, self.project, key);
        let calls = parsed
            .macros_called
            .iter()
            .any(|(_, m)| m == "is_incremental");
        if !calls {
            return Ok(());
        }
        let over = overrides
            .get("macros")
            .and_then(|m| m.get("is_incremental"));
        match over {
            Some(Value::Bool(true)) if !given.iter().any(|g| g.kind == InputKind::This) => {
                Err(self.error(
                    name,
                    "is_incremental",
                    format!(
                        "Unit test '{name}' for incremental model '{}' must have a 'this' input",
                        tested.name
                    ),
                    "add `- input: this` with the rows the model's table already holds",
                ))
            }
            Some(Value::Bool(_)) => Ok(()),
            _ => Err(self.error(
                name,
                "",
                format!(
                    "Boolean override for 'is_incremental' must be provided for unit test '{name}' in model '{}'",
                    tested.name
                ),
                "add `overrides: {macros: {is_incremental: true}}` (or false)",
            )),
        }
    }

    /// A fixture file of this package by name (`<test path>/fixtures/**/<name>.csv|sql`).
    fn fixture_file(&self, name: &str) -> Option<FixtureFile> {
        self.index
            .fixture_files
            .iter()
            .filter(|(pkg, _)| pkg == self.package)
            .find_map(|(_, file)| {
                let path = file.path(self.db);
                let stem = path.file_stem()?.to_str()?;
                let ext = path.extension()?.to_str()?;
                (stem == name && matches!(ext, "csv" | "sql")).then(|| FixtureFile {
                    name: name.to_string(),
                    is_csv: ext == "csv",
                    text: file.text(self.db).to_string(),
                })
            })
    }
}

fn enabled_config(config: &Map<String, Value>) -> bool {
    config.get("enabled").and_then(Value::as_bool) != Some(false)
}
