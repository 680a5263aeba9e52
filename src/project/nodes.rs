//! Node discovery: which file is a model, seed, snapshot, test, analysis or macro file, and
//! the nodes that properties yml adds (sources, generic tests). `node_index` is coarse (it
//! reads every file list and yml); per-node queries project out of it and backdate.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde_json::Value;

use super::config::{PackageConfig, project_config};
use super::properties::{Properties, TestDef, properties};
use crate::db::{Db, File, Project};
use crate::diagnostics::{Diagnostic, Span, codes};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResourceType {
    Model,
    Seed,
    Snapshot,
    Test,
    Analysis,
    Source,
}

impl ResourceType {
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceType::Model => "model",
            ResourceType::Seed => "seed",
            ResourceType::Snapshot => "snapshot",
            ResourceType::Test => "test",
            ResourceType::Analysis => "analysis",
            ResourceType::Source => "source",
        }
    }

    /// The dbt_project.yml section that configures this resource type.
    pub fn config_section(self) -> &'static str {
        match self {
            ResourceType::Model => "models",
            ResourceType::Seed => "seeds",
            ResourceType::Snapshot => "snapshots",
            ResourceType::Test => "data_tests",
            ResourceType::Analysis => "analyses",
            ResourceType::Source => "sources",
        }
    }

    pub fn parse(s: &str) -> Option<ResourceType> {
        Some(match s {
            "model" => ResourceType::Model,
            "seed" => ResourceType::Seed,
            "snapshot" => ResourceType::Snapshot,
            "test" => ResourceType::Test,
            "analysis" => ResourceType::Analysis,
            "source" => ResourceType::Source,
            _ => return None,
        })
    }
}

/// A source table declared in properties yml.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceInfo {
    pub source_name: String,
    pub table_name: String,
    pub identifier: String,
    pub schema: String,
    pub database: Option<String>,
    pub loader: String,
    /// The source-level and table-level properties (config, quoting, meta, columns, ...).
    pub source_props: Value,
    pub table_props: Value,
}

/// A generic test instance from properties yml.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestInfo {
    pub namespace: Option<String>,
    pub test_name: String,
    /// Arguments for the test macro (`model` is the `{{ get_where_subquery(...) }}` string).
    pub kwargs: IndexMap<String, Value>,
    /// Config given in the test entry (severity, where, ...), already merged.
    pub config: IndexMap<String, Value>,
    pub column_name: Option<String>,
    /// The unique_id of the node the test is attached to (resolved later for refs).
    pub attached_name: String,
    pub attached_is_source: bool,
    pub description: String,
}

/// Properties from yml attached to a node (models, seeds, snapshots, analyses).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Patch {
    pub yml: Option<PathBuf>,
    pub description: String,
    pub columns: Value,
    pub config: Value,
    /// The entry's other keys (tags, meta, docs, constraints, ...).
    pub props: Value,
}

impl Patch {
    /// The patch a properties entry (a model, seed, snapshot, analysis or source table)
    /// gives its node.
    pub fn from_entry(yml: &Path, entry: &Value) -> Patch {
        Patch {
            yml: Some(yml.to_path_buf()),
            description: entry
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            columns: entry.get("columns").cloned().unwrap_or(Value::Null),
            config: entry.get("config").cloned().unwrap_or(Value::Null),
            props: without_columns_and_config(entry),
        }
    }
}

/// An entry's other keys: `columns` and `config` are held once, in their own fields (at
/// 10,000 models a second copy of every entry's columns cost tens of megabytes).
fn without_columns_and_config(entry: &Value) -> Value {
    match entry {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| !matches!(k.as_str(), "columns" | "config"))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeInfo {
    pub unique_id: String,
    pub resource_type: ResourceType,
    pub package: String,
    pub name: String,
    /// Path relative to the resource folder (dbt's `path`).
    pub path: String,
    /// Path relative to the package root (dbt's `original_file_path`).
    pub original_file_path: String,
    pub file: Option<File>,
    pub fqn: Vec<String>,
    /// For snapshots: which `{% snapshot %}` block of the file.
    pub block: Option<usize>,
    pub patch: Patch,
    pub source: Option<SourceInfo>,
    pub test: Option<TestInfo>,
    /// Model version (`versions:` in properties yml), and whether it is the latest.
    pub version: Option<String>,
    pub is_latest: bool,
}

/// Every node of the project and its packages, by unique_id (in discovery order), plus
/// the macro files and diagnostics about duplicates and bad yml.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NodeIndex {
    /// Shared with `node_info`, which hands out the same Arc.
    pub nodes: IndexMap<String, std::sync::Arc<NodeInfo>>,
    /// Macro files (package name, file), including `tests/generic`.
    pub macro_files: Vec<(String, File)>,
    /// name -> unique_ids of ref-able nodes (models, seeds, snapshots) with that name.
    pub by_name: std::collections::HashMap<String, Vec<String>>,
    /// (source, table) -> unique_id.
    pub by_source: std::collections::HashMap<(String, String), String>,
    /// Properties files that declare `unit_tests:` (package, file).
    pub unit_test_files: Vec<(String, File)>,
    /// Unit test fixture files under a test path's `fixtures` folder (package, file).
    pub fixture_files: Vec<(String, File)>,
    pub diagnostics: Vec<Diagnostic>,
}

impl NodeIndex {
    /// Finds a model/seed/snapshot/analysis by name, preferring `package` when given, then
    /// the root project (dbt's ref resolution).
    pub fn find_ref(
        &self,
        root_package: &str,
        package: Option<&str>,
        name: &str,
        version: Option<&str>,
    ) -> Option<&NodeInfo> {
        let candidates = || {
            self.by_name
                .get(name)
                .into_iter()
                .flatten()
                .filter_map(|uid| self.nodes.get(uid).map(|n| &**n))
                .filter(move |n| match version {
                    Some(v) => n.version.as_deref() == Some(v),
                    None => n.is_latest,
                })
        };
        match package {
            Some(pkg) => candidates().find(|n| n.package == pkg),
            None => candidates()
                .find(|n| n.package == root_package)
                .or_else(|| candidates().next()),
        }
    }

    pub fn find_source(&self, source_name: &str, table_name: &str) -> Option<&NodeInfo> {
        self.by_source
            .get(&(source_name.to_string(), table_name.to_string()))
            .and_then(|uid| self.nodes.get(uid).map(|n| &**n))
    }
}

fn rel_str(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

/// The resource folder of `rel` (relative to the package root) among `dirs`.
fn under<'a>(rel: &Path, dirs: &'a [String]) -> Option<(&'a str, PathBuf)> {
    dirs.iter().find_map(|d| {
        rel.strip_prefix(d)
            .ok()
            .map(|inner| (d.as_str(), inner.to_path_buf()))
    })
}

fn fqn_for(package: &str, inner: &Path, name: &str) -> Vec<String> {
    let mut fqn = vec![package.to_string()];
    if let Some(parent) = inner.parent() {
        for comp in parent.components() {
            fqn.push(comp.as_os_str().to_string_lossy().into_owned());
        }
    }
    fqn.push(name.to_string());
    fqn
}

/// Finds `{% snapshot name %}` blocks: (name, byte offset of the tag).
pub fn snapshot_blocks(text: &str) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    let mut pos = 0;
    while let Some(found) = text[pos..].find("{%") {
        let start = pos + found;
        let after = text[start + 2..].trim_start_matches('-').trim_start();
        if let Some(rest) = after.strip_prefix("snapshot")
            && rest.starts_with(char::is_whitespace)
        {
            let name: String = rest
                .trim_start()
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.push((name, start));
            }
        }
        pos = start + 2;
    }
    out
}

struct Builder<'a> {
    index: NodeIndex,
    root_package: &'a str,
    refable: std::collections::HashMap<(String, String), (ResourceType, String)>,
}

impl Builder<'_> {
    fn add(&mut self, node: NodeInfo, file: &Path, text: Option<&str>) {
        self.add_shared(std::sync::Arc::new(node), file, text);
    }

    fn add_shared(&mut self, node: std::sync::Arc<NodeInfo>, file: &Path, text: Option<&str>) {
        if let Some(existing) = self.index.nodes.get(&node.unique_id) {
            let mut diag = Diagnostic::error(
                codes::DUPLICATE,
                format!(
                    "dbt found two {}s with the name \"{}\" ({} and {})",
                    node.resource_type.as_str(),
                    node.name,
                    existing.original_file_path,
                    node.original_file_path
                ),
            )
            .at(file, text.map(|t| Span::from_range(t, 0, 0)))
            .with_hint("rename one of them: names must be unique within a package");
            diag.node = Some(node.unique_id.clone());
            self.index.diagnostics.push(diag);
            return;
        }
        // Names must also be unique across resource types that can be ref'd.
        if matches!(
            node.resource_type,
            ResourceType::Model | ResourceType::Seed | ResourceType::Snapshot
        ) {
            let key = (node.package.clone(), node.name.clone());
            match self.refable.get(&key) {
                Some((rt, path)) if *rt != node.resource_type => {
                    self.index.diagnostics.push(
                        Diagnostic::error(
                            codes::DUPLICATE,
                            format!(
                                "\"{}\" is both a {} ({}) and a {} ({})",
                                node.name,
                                rt.as_str(),
                                path,
                                node.resource_type.as_str(),
                                node.original_file_path
                            ),
                        )
                        .at(file, None)
                        .with_hint("rename one of them so ref() is unambiguous"),
                    );
                }
                _ => {
                    self.refable
                        .insert(key, (node.resource_type, node.original_file_path.clone()));
                }
            }
        }
        let _ = self.root_package;
        self.index.nodes.insert(node.unique_id.clone(), node);
    }
}

fn classify(
    db: &dyn Db,
    pkg: &PackageConfig,
    file: File,
    builder: &mut Builder,
    ymls: &mut Vec<(String, File)>,
) {
    let path = file.path(db);
    let Ok(rel) = path.strip_prefix(&pkg.root) else {
        return;
    };
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("")
        .to_string();
    let original = rel_str(rel);
    let package = pkg.name.clone();
    let node = |rt: ResourceType, inner: &Path, name: &str| {
        // dbt files analyses under an `analysis` folder in their path and fqn.
        let inner = if rt == ResourceType::Analysis {
            Path::new("analysis").join(inner)
        } else {
            inner.to_path_buf()
        };
        NodeInfo {
            unique_id: format!("{}.{}.{}", rt.as_str(), package, name),
            resource_type: rt,
            package: package.clone(),
            name: name.to_string(),
            path: rel_str(&inner),
            original_file_path: original.clone(),
            file: Some(file),
            fqn: fqn_for(&package, &inner, name),
            block: None,
            patch: Patch::default(),
            source: None,
            test: None,
            version: None,
            is_latest: true,
        }
    };
    if ext == "yml" || ext == "yaml" {
        let all = [
            &pkg.model_paths,
            &pkg.seed_paths,
            &pkg.snapshot_paths,
            &pkg.analysis_paths,
            &pkg.macro_paths,
            &pkg.test_paths,
        ];
        if all.iter().any(|dirs| under(rel, dirs).is_some()) {
            ymls.push((package, file));
        }
        return;
    }
    if ext == "sql" {
        if under(rel, &pkg.macro_paths).is_some() {
            builder.index.macro_files.push((package, file));
            return;
        }
        if let Some((_, inner)) = under(rel, &pkg.test_paths) {
            if inner.starts_with("fixtures") {
                builder.index.fixture_files.push((package, file));
            } else if inner.starts_with("generic") {
                builder.index.macro_files.push((package, file));
            } else {
                let n = node(ResourceType::Test, &inner, &stem);
                builder.add(n, path, None);
            }
            return;
        }
        if let Some((_, inner)) = under(rel, &pkg.snapshot_paths) {
            let text = file.text(db).clone();
            for (i, (name, _)) in snapshot_blocks(&text).into_iter().enumerate() {
                let mut n = node(ResourceType::Snapshot, &inner, &name);
                // Snapshot fqn includes the file name.
                let mut fqn = vec![package.clone()];
                let no_ext = inner.with_extension("");
                fqn.extend(
                    no_ext
                        .components()
                        .map(|c| c.as_os_str().to_string_lossy().into_owned()),
                );
                fqn.push(name.clone());
                n.fqn = fqn;
                n.block = Some(i);
                builder.add(n, path, Some(&text));
            }
            return;
        }
        if let Some((_, inner)) = under(rel, &pkg.model_paths) {
            let n = node(ResourceType::Model, &inner, &stem);
            builder.add(n, path, None);
            return;
        }
        if let Some((_, inner)) = under(rel, &pkg.analysis_paths) {
            let n = node(ResourceType::Analysis, &inner, &stem);
            builder.add(n, path, None);
        }
        return;
    }
    if ext == "csv"
        && let Some((_, inner)) = under(rel, &pkg.test_paths)
        && inner.starts_with("fixtures")
    {
        builder.index.fixture_files.push((package, file));
        return;
    }
    if ext == "csv"
        && let Some((_, inner)) = under(rel, &pkg.seed_paths)
    {
        let n = node(ResourceType::Seed, &inner, &stem);
        builder.add(n, path, None);
    }
}

/// Every node, macro file and properties patch of the project. Reads the file list, the
/// project config, every properties yml (through `properties`) and snapshot files.
#[salsa::tracked(returns(ref))]
pub fn node_index(db: &dyn Db, project: Project) -> NodeIndex {
    let config = project_config(db, project);
    let mut builder = Builder {
        index: NodeIndex::default(),
        root_package: &config.root.name,
        refable: Default::default(),
    };
    let target_dir = config.root.root.join(&config.root.target_path);
    let mut ymls = Vec::new();
    for file in project.files(db) {
        let path = file.path(db);
        if path.starts_with(&target_dir) || !file.present(db) {
            continue;
        }
        let pkg = config.package_of(path);
        // Files of the root project inside the packages folder belong to a package or nothing.
        if pkg.is_root && path.starts_with(pkg.root.join(&pkg.packages_install_path)) {
            continue;
        }
        classify(db, pkg, *file, &mut builder, &mut ymls);
    }
    // Properties: patches for existing nodes, new source and test nodes.
    let mut all_props: Vec<(String, File, &Properties)> = Vec::new();
    for (package, file) in &ymls {
        // Rendered as dbt parses them (target, env_var, var); tests stay unrendered.
        let props = super::yml_render::effective_properties(db, project, *file);
        builder
            .index
            .diagnostics
            .extend(props.diagnostics.iter().cloned());
        if !props.unit_tests.is_empty() {
            builder.index.unit_test_files.push((package.clone(), *file));
        }
        all_props.push((package.clone(), *file, props));
    }
    for (package, file, props) in &all_props {
        let pkg = config.package(package).expect("package of a yml");
        super::patches::apply_properties(db, pkg, *file, props, &mut builder.index);
    }
    // Generic tests need their attached nodes to exist first.
    for (_, file, _) in &all_props {
        for node in yml_tests(db, project, *file).iter() {
            builder.add_shared(std::sync::Arc::clone(node), file.path(db), None);
        }
    }
    let mut index = builder.index;
    for (uid, node) in &index.nodes {
        if matches!(
            node.resource_type,
            ResourceType::Model | ResourceType::Seed | ResourceType::Snapshot
        ) {
            index
                .by_name
                .entry(node.name.clone())
                .or_default()
                .push(uid.clone());
        }
        if let Some(src) = &node.source {
            index.by_source.insert(
                (src.source_name.clone(), src.table_name.clone()),
                uid.clone(),
            );
        }
    }
    index
}

/// The generic test nodes one properties file declares (named and hashed as dbt does).
/// Per file, so that editing one yml re-derives only its own tests.
#[salsa::tracked(returns(clone))]
pub fn yml_tests(
    db: &dyn Db,
    project: Project,
    file: File,
) -> std::sync::Arc<Vec<std::sync::Arc<NodeInfo>>> {
    let config = project_config(db, project);
    let pkg = config.package_of(file.path(db));
    let nodes = properties(db, file)
        .tests
        .iter()
        .filter_map(|def| generic_test_node(db, project, pkg, file, def))
        .map(std::sync::Arc::new)
        .collect();
    std::sync::Arc::new(nodes)
}

fn generic_test_node(
    db: &dyn Db,
    project: Project,
    pkg: &PackageConfig,
    file: File,
    def: &TestDef,
) -> Option<NodeInfo> {
    let path = file.path(db);
    let rel = path.strip_prefix(&pkg.root).unwrap_or(path);
    let original = rel_str(rel);
    let info = super::generic_tests::build_test(def)?;
    let (short_name, full_name, hash) = super::generic_tests::test_names(&info);
    // fqn: yml path relative to its resource folder, without the file name.
    let mut fqn = vec![pkg.name.clone()];
    let comps: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if comps.len() > 2 {
        fqn.extend(comps[1..comps.len() - 1].iter().cloned());
    }
    fqn.push(full_name.clone());
    // dbt writes generic tests to compiled/<package>/<yml path>/<name>.sql
    let compiled_path = format!("{short_name}.sql");
    let mut info = info;
    if short_name != full_name && !info.config.contains_key("alias") {
        info.config
            .insert("alias".into(), Value::String(short_name.clone()));
    }
    super::yml_render::render_test_config(db, project, &pkg.name, &mut info.config);
    let node = NodeInfo {
        unique_id: format!("test.{}.{}.{}", pkg.name, full_name, hash),
        resource_type: ResourceType::Test,
        package: pkg.name.clone(),
        name: full_name,
        path: compiled_path,
        original_file_path: original,
        file: Some(file),
        fqn,
        block: None,
        patch: Patch {
            yml: Some(path.clone()),
            ..Patch::default()
        },
        source: None,
        test: Some(info),
        version: None,
        is_latest: true,
    };
    Some(node)
}
