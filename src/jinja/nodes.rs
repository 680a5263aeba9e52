//! Per-node queries: the node's info and raw code, the parse-time render (refs, sources,
//! config calls), the resolved config, the relation it builds, and the compile-time render.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use serde_json::{Map, Value};

use super::context::{Phase, RefCall, RefTarget, RenderInput};
use super::macros::{INTERNAL_PACKAGE, macro_index};
use super::node_template::node_template;
use super::relation::RelationData;
use super::render::{TemplateOrigin, render, render_node_template};
use super::test_kwargs::jinja_literal;
use crate::db::{Db, NodeKey, Project};
use crate::diagnostics::Diagnostic;
use crate::project::config::project_config;
use crate::project::node_config::{merge_config, path_config, shared_config};
use crate::project::nodes::{NodeInfo, ResourceType, node_index, snapshot_blocks};
use crate::project::profiles::{Target, target};

crate::db::node_query! {
    /// One node's info, projected out of the index (backdates when unchanged).
    pub fn node_info -> ref Option<Arc<NodeInfo>> = node_info_body
}

fn node_info_body(db: &dyn Db, project: Project, key: NodeKey) -> Option<Arc<NodeInfo>> {
    node_index(db, project)
        .nodes
        .get(key.unique_id(db))
        .cloned()
}

/// Every node key in discovery order.
#[salsa::tracked(returns(ref))]
pub fn all_nodes(db: &dyn Db, project: Project) -> Vec<NodeKey> {
    node_index(db, project)
        .nodes
        .keys()
        .map(|uid| NodeKey::new(db, uid.clone()))
        .collect()
}

/// The active target, or DuckDB in memory when profiles.yml is missing or broken (the
/// profile diagnostic is reported separately).
/// One shared value: it is read for every node (relations, renders, analysis dialect).
#[salsa::tracked(returns(clone))]
pub fn active_target(db: &dyn Db, project: Project) -> Arc<Target> {
    Arc::new(match target(db, project) {
        Ok(t) => t.clone(),
        Err(_) => Target::fallback(&project_config(db, project).root.name),
    })
}

/// The Jinja template of a node and where it is: model/analysis/singular test files,
/// snapshot blocks, or the synthesized call of a generic test.
pub fn raw_code(db: &dyn Db, node: &NodeInfo) -> Option<(String, TemplateOrigin)> {
    let file = node.file?;
    // Generic tests are synthesized from their yml entry: they must not read its text.
    let text = || file.text(db).clone();
    let origin = |line_offset: usize| TemplateOrigin {
        file: file.path(db).clone(),
        line_offset,
        locate: None,
        source_file: Some(file),
    };
    // dbt reads a model's, analysis' or singular test's file stripped of leading and
    // trailing whitespace (its raw_code): rendered as is, a leading blank line would move
    // where dbt injects ephemeral CTEs. The template then starts further down the file.
    let stripped = || {
        let text = text();
        let trimmed = text.trim();
        let start = text.len() - text.trim_start().len();
        let skipped_lines = text[..start].matches('\n').count();
        Some((trimmed.to_string(), origin(1 + skipped_lines)))
    };
    match node.resource_type {
        ResourceType::Model | ResourceType::Analysis => stripped(),
        ResourceType::Test if node.test.is_none() => stripped(),
        ResourceType::Test => {
            let test = node.test.as_ref()?;
            let macro_name = match &test.namespace {
                Some(ns) => format!("{ns}.test_{}", test.test_name),
                None => format!("test_{}", test.test_name),
            };
            Some((
                super::test_kwargs::generic_test_template(&test.kwargs, &macro_name),
                TemplateOrigin {
                    file: file.path(db).clone(),
                    line_offset: 1,
                    locate: Some(test.test_name.clone()),
                    source_file: Some(file),
                },
            ))
        }
        ResourceType::Snapshot => {
            let text = text();
            let blocks = crate::jinja::blocks::find_blocks(&text).0;
            let (name, _) = snapshot_blocks(&text).into_iter().nth(node.block?)?;
            let block = blocks
                .into_iter()
                .find(|b| b.kind == "snapshot" && b.name == name)?;
            let line = text[..block.body_start].matches('\n').count() + 1;
            Some((
                text[block.body_start..block.body_end].to_string(),
                origin(line),
            ))
        }
        _ => None,
    }
}

/// Variables visible to a node of `package` (dbt's order: the package's own vars, the root
/// project's global vars, the root's `package:` scoped vars, then `--vars`).
fn vars_for(db: &dyn Db, project: Project, package: &str) -> Map<String, Value> {
    let config = project_config(db, project);
    let mut out = Map::new();
    let package_names: BTreeSet<&str> = config.all().map(|p| p.name.as_str()).collect();
    let mut take = |vars: Option<&Value>, scoped_to: Option<&str>| {
        let Some(Value::Object(vars)) = vars else {
            return;
        };
        for (k, v) in vars {
            if package_names.contains(k.as_str()) {
                if Some(k.as_str()) == scoped_to
                    && let Value::Object(scoped) = v
                {
                    for (sk, sv) in scoped {
                        out.insert(sk.clone(), sv.clone());
                    }
                }
            } else {
                out.insert(k.clone(), v.clone());
            }
        }
    };
    if let Some(pkg) = config.package(package)
        && !pkg.is_root
    {
        take(pkg.section("vars"), Some(package));
    }
    take(config.root.section("vars"), Some(package));
    if let Value::Object(cli) = &project.settings(db).cli_vars {
        for (k, v) in cli {
            out.insert(k.clone(), v.clone());
        }
    }
    out
}

fn dispatch_config(db: &dyn Db, project: Project) -> HashMap<String, Vec<String>> {
    let mut out = HashMap::new();
    if let Some(Value::Array(entries)) = project_config(db, project).root.section("dispatch") {
        for entry in entries {
            if let (Some(ns), Some(Value::Array(order))) = (
                entry.get("macro_namespace").and_then(Value::as_str),
                entry.get("search_order"),
            ) {
                out.insert(
                    ns.to_string(),
                    order
                        .iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect(),
                );
            }
        }
    }
    out
}

/// The parts of every render's input that depend on the project only: built once per
/// project rather than for each of the two renders of every node (converting the target
/// and copying the environment cost about 4% of a cold compile's CPU).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedInput {
    root_package: String,
    target: minijinja::Value,
    adapter_type: String,
    env: Arc<std::collections::BTreeMap<String, String>>,
    dispatch: HashMap<String, Vec<String>>,
}

#[salsa::tracked(returns(ref))]
pub fn shared_input(db: &dyn Db, project: Project) -> SharedInput {
    let target = active_target(db, project);
    SharedInput {
        root_package: project_config(db, project).root.name.clone(),
        target: crate::jinja::to_value(target.to_jinja()),
        adapter_type: target.adapter_type.clone(),
        env: Arc::new(project.settings(db).env.clone()),
        dispatch: dispatch_config(db, project),
    }
}

pub(crate) fn base_input(
    db: &dyn Db,
    project: Project,
    node: &NodeInfo,
    phase: Phase,
    config: Map<String, Value>,
) -> RenderInput {
    let shared = shared_input(db, project);
    RenderInput {
        phase,
        unique_id: node.unique_id.clone(),
        package: node.package.clone(),
        root_package: shared.root_package.clone(),
        model: minijinja::Value::from(()),
        this: None,
        config,
        target: shared.target.clone(),
        vars: vars_for(db, project, &node.package),
        env: Arc::clone(&shared.env),
        refs: HashMap::new(),
        sources: HashMap::new(),
        macros: macro_index(db, project),
        templates: HashMap::new(),
        adapter_type: shared.adapter_type.clone(),
        dispatch: shared.dispatch.clone(),
        test_kwargs: None,
        existing_relations: Arc::new(BTreeSet::new()),
        full_refresh: super::context::full_refresh_flag(),
        docs: Arc::new(HashMap::new()),
        graph: None,
        relation_columns: Arc::new(HashMap::new()),
        live: None,
    }
}

/// The parse-time render of a node: its refs, sources and config() calls (dbt renders
/// with `execute = false`). Position-free apart from its diagnostics.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ParsedNode {
    pub refs: Vec<RefCall>,
    pub sources: Vec<(String, String)>,
    pub config_calls: Map<String, Value>,
    pub introspective: bool,
    pub macros_called: BTreeSet<(String, String)>,
    pub diagnostics: Vec<Diagnostic>,
}

crate::db::node_query! {
    /// The project- and yml-level config of a node (before in-file config()).
    pub fn base_config -> ref Arc<Map<String, Value>> = base_config_body
}

fn base_config_body(db: &dyn Db, project: Project, key: NodeKey) -> Arc<Map<String, Value>> {
    let Some(node) = node_info(db, project, key) else {
        return shared_config(Map::new());
    };
    // dbt renders dbt_project.yml once, at load (target, env_var, --vars).
    let config = crate::project::render::rendered_project_config(db, project);
    shared_config(path_config(config, node))
}

crate::db::node_query! {
    /// Parse-time render of a node. Reads the node's template, the macros it may call, its
    /// base config and the project settings.
    pub fn parsed_node -> ref ParsedNode = parsed_node_body
}

fn parsed_node_body(db: &dyn Db, project: Project, key: NodeKey) -> ParsedNode {
    let Some(node) = node_info(db, project, key) else {
        return ParsedNode::default();
    };
    let _span = tracing::debug_span!("parse_render", node = %node.unique_id).entered();
    let Some(template) = node_template(db, project, key) else {
        return ParsedNode::default();
    };
    let config = base_config(db, project, key);
    let mut input = base_input(db, project, node, Phase::Parse, (**config).clone());
    input.model = super::model::model_value(node, config, None, &template.raw);
    let result = render_node_template(db, project, input, &node.unique_id, template);
    let c = result.collected;
    let mut refs = c.refs;
    refs.dedup();
    let mut sources = c.sources;
    sources.dedup();
    ParsedNode {
        refs,
        sources,
        config_calls: c.config.into_iter().collect(),
        introspective: c.introspective,
        macros_called: c.macros_called,
        diagnostics: result.output.err().into_iter().collect(),
    }
}

crate::db::node_query! {
    /// The final config of a node: base config < in-file config() calls.
    /// Identical configs are shared (see [`shared_config`]): most nodes of a folder have the
    /// same one.
    pub fn node_config -> ref Arc<Map<String, Value>> = node_config_body
}

fn node_config_body(db: &dyn Db, project: Project, key: NodeKey) -> Arc<Map<String, Value>> {
    let base = base_config(db, project, key);
    let calls = &parsed_node(db, project, key).config_calls;
    if calls.is_empty() {
        return base.clone();
    }
    let mut config = (**base).clone();
    merge_config(&mut config, calls);
    shared_config(config)
}

fn str_of<'a>(config: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    config.get(key).and_then(Value::as_str)
}

crate::db::node_query! {
    /// The relation a node builds (or a source points at), with dbt's generate_*_name
    /// macros. Reads the node's config and, when the project overrides them, those macros.
    pub fn node_relation -> ref Option<RelationData> = node_relation_body
}

fn node_relation_body(db: &dyn Db, project: Project, key: NodeKey) -> Option<RelationData> {
    let node = node_info(db, project, key).as_ref()?;
    let target = active_target(db, project);
    let config = node_config(db, project, key);
    let root = project_config(db, project);
    let quoting = |config_quoting: Option<&Value>| {
        let project_quoting = root.root.section("quoting");
        let get = |k: &str| -> bool {
            config_quoting
                .and_then(|q| q.get(k))
                .or_else(|| project_quoting.and_then(|q| q.get(k)))
                .and_then(Value::as_bool)
                .unwrap_or(true)
        };
        (get("database"), get("schema"), get("identifier"))
    };
    if let Some(src) = &node.source {
        let mut rel = RelationData::new(
            src.database.as_deref().unwrap_or(&target.database),
            &src.schema,
            &src.identifier,
        );
        let mut q = src
            .source_props
            .get("quoting")
            .cloned()
            .unwrap_or(Value::Object(Map::new()));
        if let (Value::Object(base), Some(Value::Object(table_q))) =
            (&mut q, src.table_props.get("quoting"))
        {
            for (k, v) in table_q {
                base.insert(k.clone(), v.clone());
            }
        }
        let (d, s, i) = quoting(Some(&q));
        (rel.quote_database, rel.quote_schema, rel.quote_identifier) = (d, s, i);
        return Some(rel);
    }
    let index = macro_index(db, project);
    let generated =
        |macro_name: &str, custom: Option<&str>, fallback: &dyn Fn() -> String| -> String {
            match index.resolve(&node.package, macro_name) {
                Some((pkg, _)) if pkg != INTERNAL_PACKAGE => {
                    let custom_lit = custom.map_or("none".to_string(), |c| {
                        jinja_literal(&Value::String(c.into()))
                    });
                    let tmpl = format!("{{{{ {macro_name}({custom_lit}, model) }}}}");
                    let mut input =
                        base_input(db, project, node, Phase::Compile, (**config).clone());
                    input.model = super::model::model_value(node, config, None, &Arc::from(""));
                    let origin = TemplateOrigin {
                        file: node.file.map(|f| f.path(db).clone()).unwrap_or_default(),
                        line_offset: 1,
                        locate: None,
                        source_file: None,
                    };
                    match render(db, project, input, macro_name, &tmpl, &origin).output {
                        Ok(s) => s.trim().to_string(),
                        Err(_) => fallback(),
                    }
                }
                _ => fallback(),
            }
        };
    let is_snapshot = node.resource_type == ResourceType::Snapshot;
    let custom_db = str_of(config, "database");
    let custom_schema = str_of(config, "schema");
    // Legacy snapshot configs name the schema/database directly (no generate_*_name).
    let target_schema =
        str_of(config, "target_schema").filter(|_| is_snapshot && custom_schema.is_none());
    let target_database =
        str_of(config, "target_database").filter(|_| is_snapshot && custom_db.is_none());
    let custom_alias = str_of(config, "alias");
    let database = match target_database {
        Some(d) => d.to_string(),
        None => generated("generate_database_name", custom_db, &|| {
            custom_db.unwrap_or(&target.database).to_string()
        }),
    };
    let schema = match target_schema {
        Some(s) => s.to_string(),
        None => generated(
            "generate_schema_name",
            custom_schema,
            &|| match custom_schema {
                Some(c) => format!("{}_{}", target.schema, c.trim()),
                None => target.schema.clone(),
            },
        ),
    };
    let alias = generated("generate_alias_name", custom_alias, &|| match (
        custom_alias,
        &node.version,
    ) {
        (Some(a), _) => a.to_string(),
        (None, Some(v)) => format!("{}_v{}", node.name, v.replace('.', "_")),
        (None, None) => node.name.clone(),
    });
    let mut rel = RelationData::new(&database, &schema, &alias);
    let (d, s, i) = quoting(config.get("quoting"));
    (rel.quote_database, rel.quote_schema, rel.quote_identifier) = (d, s, i);
    Some(rel)
}

/// What a node's ref() and source() calls resolve to: (call, (unique_id, name)) and
/// ((source, table), unique_id). Position-free, so adding or removing an unrelated file
/// (which changes the node index) backdates here instead of re-rendering every node.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResolvedParents {
    pub refs: Vec<(RefCall, Option<(String, String)>)>,
    pub sources: Vec<((String, String), Option<String>)>,
}

crate::db::node_query! {
    /// Resolves a node's refs and sources. Reads its parse-time render and the node index.
    pub fn resolved_parents -> ref ResolvedParents = resolved_parents_body
}

fn resolved_parents_body(db: &dyn Db, project: Project, key: NodeKey) -> ResolvedParents {
    let Some(node) = node_info(db, project, key) else {
        return ResolvedParents::default();
    };
    let parsed = parsed_node(db, project, key);
    let index = node_index(db, project);
    let root_name = &project_config(db, project).root.name;
    let refs = parsed
        .refs
        .iter()
        .map(|call| {
            let local = (node.package != *root_name).then_some(node.package.as_str());
            let version = call.version.as_deref();
            let target = index
                .find_ref(
                    root_name,
                    call.package.as_deref().or(local),
                    &call.name,
                    version,
                )
                .or_else(|| {
                    index.find_ref(root_name, call.package.as_deref(), &call.name, version)
                });
            (
                call.clone(),
                target.map(|t| (t.unique_id.clone(), t.name.clone())),
            )
        })
        .collect();
    let sources = parsed
        .sources
        .iter()
        .map(|(src, table)| {
            let uid = index.find_source(src, table).map(|s| s.unique_id.clone());
            ((src.clone(), table.clone()), uid)
        })
        .collect();
    ResolvedParents { refs, sources }
}

/// A compile-time render before ephemeral CTEs are injected.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RenderedNode {
    /// Shared: compiled_sql, the compile output and the manifest hold the same text.
    pub sql: Option<Arc<str>>,
    /// unique_ids of ephemeral models referenced, in first-use order.
    pub ephemerals: Vec<String>,
    pub introspective: bool,
    pub diagnostics: Vec<Diagnostic>,
}

crate::db::node_query! {
    /// Compile-time render of a node (execute = true, refs resolved to relations). Reads the
    /// node's template and config, and for each ref/source the parent's relation and config.
    pub fn rendered_node -> ref RenderedNode = rendered_node_body
}

fn rendered_node_body(db: &dyn Db, project: Project, key: NodeKey) -> RenderedNode {
    rendered_node_impl(db, project, key, false, None)
}

/// The compile-time render of a node; `this_exists`: its relation exists in the target
/// (what `is_incremental()` asks, see `crate::jinja::incremental`).
pub(crate) fn rendered_node_impl(
    db: &dyn Db,
    project: Project,
    key: NodeKey,
    this_exists: bool,
    live: Option<super::live::Live>,
) -> RenderedNode {
    let Some(node) = node_info(db, project, key) else {
        return RenderedNode::default();
    };
    let _span = tracing::debug_span!("compile_render", node = %node.unique_id).entered();
    let Some(template) = node_template(db, project, key) else {
        return RenderedNode::default();
    };
    let parsed = parsed_node(db, project, key);
    if !parsed.diagnostics.is_empty() {
        return RenderedNode {
            diagnostics: parsed.diagnostics.clone(),
            ..RenderedNode::default()
        };
    }
    let config = node_config(db, project, key);
    let mut input = base_input(db, project, node, Phase::Compile, (**config).clone());
    let this = node_relation(db, project, key).clone();
    if this_exists && let Some(t) = &this {
        input.existing_relations = Arc::new(BTreeSet::from([t.render()]));
    }
    let ahead_of_time = live.is_none();
    input.live = live;
    input.model = super::model::model_value(node, config, this.as_ref(), &template.raw);
    input.this = this;
    if template.mentions_graph(db, project) {
        input.graph = Some(crate::jinja::to_value(
            super::model::flat_graph(db, project).as_ref(),
        ));
    }
    let resolved = resolved_parents(db, project, key);
    for (call, target) in &resolved.refs {
        let Some((target_uid, _)) = target else {
            continue;
        };
        let pkey = NodeKey::new(db, target_uid.clone());
        let Some(rel) = node_relation(db, project, pkey).clone() else {
            continue;
        };
        let ephemeral = (str_of(node_config(db, project, pkey), "materialized")
            == Some("ephemeral"))
        .then(|| target_uid.clone());
        let mut rel = rel;
        if ephemeral.is_some() {
            rel.cte_name = ephemeral_cte_name(db, project, pkey);
        }
        input.refs.insert(
            call.clone(),
            RefTarget {
                relation: rel,
                ephemeral,
            },
        );
    }
    for ((src, table), uid) in &resolved.sources {
        if let Some(uid) = uid {
            let skey = NodeKey::new(db, uid.clone());
            if let Some(rel) = node_relation(db, project, skey) {
                input
                    .sources
                    .insert((src.clone(), table.clone()), rel.clone());
            }
        }
    }
    if template.mentions_columns(db, project) {
        input.relation_columns =
            Arc::new(crate::jinja::columns::parent_columns(db, project, resolved));
    }
    let result = render_node_template(db, project, input, &node.unique_id, template);
    let mut ephemerals = Vec::new();
    for e in result.collected.ephemerals {
        if !ephemerals.contains(&e) {
            ephemerals.push(e);
        }
    }
    match result.output {
        Ok(sql) => RenderedNode {
            sql: Some(Arc::from(sql)),
            ephemerals,
            introspective: result.collected.introspective,
            diagnostics: Vec::new(),
        },
        Err(diag) => RenderedNode {
            sql: None,
            ephemerals,
            introspective: result.collected.introspective,
            diagnostics: vec![if result.collected.introspective && ahead_of_time {
                deferred_to_run(diag)
            } else {
                diag
            }],
        },
    }
}

/// An error in the ahead-of-time render of an introspective node, whose queries had no
/// database and returned no rows (`run_query(...).columns[0].values()[0]` is undefined):
/// dbt only renders it with the database, as `run`/`build` do just in time, so it is a
/// warning here and an error only if the render with the database fails too.
fn deferred_to_run(mut diag: Diagnostic) -> Diagnostic {
    diag.severity = crate::diagnostics::Severity::Warning;
    diag.hint = Some(
        "rendered without a database (its queries returned no rows); `run`/`build` render it \
         with the database"
            .into(),
    );
    diag
}

crate::db::node_query! {
    /// The compiled SQL of a node, with ephemeral models injected as `__dbt__cte__` CTEs the
    /// way dbt-core does it (dependencies first, after the model's own `with`).
    pub fn compiled_sql -> ref RenderedNode = compiled_sql_body
}

fn compiled_sql_body(db: &dyn Db, project: Project, key: NodeKey) -> RenderedNode {
    with_ephemerals(db, project, rendered_node(db, project, key).clone())
}

/// A render with its ephemeral models injected as `__dbt__cte__` CTEs.
pub(crate) fn with_ephemerals(
    db: &dyn Db,
    project: Project,
    rendered: RenderedNode,
) -> RenderedNode {
    with_live_ephemerals(db, project, rendered, None)
}

/// [`with_ephemerals`] where introspective ephemeral models are rendered against `live`
/// (a just-in-time render during a run).
pub(crate) fn with_live_ephemerals(
    db: &dyn Db,
    project: Project,
    rendered: RenderedNode,
    live: Option<&super::live::Live>,
) -> RenderedNode {
    let Some(sql) = &rendered.sql else {
        return rendered;
    };
    if rendered.ephemerals.is_empty() {
        return rendered;
    }
    let mut diagnostics = Vec::new();
    let ctes = ephemeral_ctes(db, project, &rendered.ephemerals, live, &mut diagnostics);
    let ctes: Vec<String> = ctes.into_iter().map(|(_, cte)| cte).collect();
    let sql = inject_ctes(sql, &ctes);
    RenderedNode {
        sql: Some(Arc::from(sql)),
        diagnostics: [rendered.diagnostics, diagnostics].concat(),
        ..rendered
    }
}

/// The CTE an ephemeral model is injected as: `__dbt__cte__<identifier>`, where the
/// identifier is its relation's (the model's alias when it has one), as dbt-core names it.
pub(crate) fn ephemeral_cte_name(db: &dyn Db, project: Project, key: NodeKey) -> Option<String> {
    let identifier = match node_relation(db, project, key) {
        Some(rel) => rel.identifier.clone(),
        None => None,
    };
    let identifier =
        identifier.or_else(|| node_info(db, project, key).as_ref().map(|n| n.name.clone()))?;
    Some(format!("__dbt__cte__{identifier}"))
}

/// The CTEs injected for the ephemeral models `ephemerals` (unique_ids, in first-use
/// order): for each, first its own ephemeral models' CTEs, then its own
/// `(unique_id, " <cte name> as (\n<its SQL before injection>\n)")`; each model once.
/// dbt's `extra_ctes`. Introspective ephemeral models are rendered against `live` when given;
/// a model that fails to render adds its diagnostics to `diags` instead of a CTE.
pub(crate) fn ephemeral_ctes(
    db: &dyn Db,
    project: Project,
    ephemerals: &[String],
    live: Option<&super::live::Live>,
    diags: &mut Vec<Diagnostic>,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    collect_ctes(db, project, ephemerals, &mut out, diags, (0, live));
    out
}

fn collect_ctes(
    db: &dyn Db,
    project: Project,
    ephemerals: &[String],
    out: &mut Vec<(String, String)>,
    diags: &mut Vec<Diagnostic>,
    (depth, live): (usize, Option<&super::live::Live>),
) {
    if depth > 64 {
        return;
    }
    for uid in ephemerals {
        let key = NodeKey::new(db, uid.clone());
        let rendered = match live {
            Some(live) if rendered_node(db, project, key).introspective => {
                &rendered_node_impl(db, project, key, false, Some(Arc::clone(live)))
            }
            _ => rendered_node(db, project, key),
        };
        let next = (depth + 1, live);
        collect_ctes(db, project, &rendered.ephemerals, out, diags, next);
        if out.iter().any(|(id, _)| id == uid) {
            continue;
        }
        let Some(name) = ephemeral_cte_name(db, project, key) else {
            continue;
        };
        match &rendered.sql {
            Some(sql) => out.push((uid.clone(), format!(" {name} as (\n{sql}\n)"))),
            None => diags.extend(rendered.diagnostics.iter().cloned()),
        }
    }
}

/// Injects `ctes` (each ` <name> as (...)`) into `sql` where dbt-core's sqlparse-based
/// injection puts them: after the statement's own `with` (or `with recursive`) and the
/// whitespace that follows it, then `, ` and the rest unchanged; without a `with`, as
/// `with<ctes> ` after the leading whitespace (before a leading comment).
pub(crate) fn inject_ctes(sql: &str, ctes: &[String]) -> String {
    if ctes.is_empty() {
        return sql.to_string();
    }
    let joined = ctes.join(", ");
    let skip_ws = |i: usize| sql.len() - sql[i..].trim_start().len();
    match find_with(sql) {
        Some(pos) => {
            let mut at = pos + 4;
            let next = skip_ws(at);
            let word_end = sql[next..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .map_or(sql.len(), |e| next + e);
            if sql[next..word_end].eq_ignore_ascii_case("recursive") {
                at = word_end;
            }
            let body = skip_ws(at);
            format!("{}{joined}, {}", &sql[..body], &sql[body..])
        }
        None => {
            let lead = skip_ws(0);
            format!("{}with{joined} {}", &sql[..lead], &sql[lead..])
        }
    }
}

/// The byte offset of the first top-level `with` keyword, skipping comments and strings.
fn find_with(sql: &str) -> Option<usize> {
    let bytes = sql.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = sql[i + 2..]
                    .find("*/")
                    .map_or(bytes.len(), |p| i + 2 + p + 2);
            }
            b'\'' | b'"' => {
                let q = bytes[i];
                i += 1;
                while i < bytes.len() && bytes[i] != q {
                    i += 1;
                }
                i += 1;
            }
            c if c.is_ascii_alphabetic() => {
                let start = i;
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                return sql[start..i].eq_ignore_ascii_case("with").then_some(start);
            }
            _ => i += 1,
        }
    }
    None
}
