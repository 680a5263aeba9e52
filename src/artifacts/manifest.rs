//! target/manifest.json in dbt's v12 layout (the node keys dbt-core writes that dbtc knows).

use serde_json::{Map, Value, json};

mod compiled_keys;
mod entry_out;
mod file_keys;
mod macro_deps;
mod node_keys;
mod ordered;
mod unrendered;

pub use self::compiled_keys::Recompiled;
use self::entry_out::EntryOut;
use crate::db::{Db, NodeKey, Project, RootDb};
use crate::graph::dag;
use crate::jinja::macros::macro_index;
use crate::jinja::nodes::{compiled_sql, node_config, node_info, node_relation, parsed_node};
use crate::project::config::project_config;
use crate::project::docs::{DescriptionGlobals, docs_index, render_description_with};
use crate::project::nodes::ResourceType;

/// Builds the manifest. `compiled` adds compiled_code for nodes that compiled.
pub fn manifest(db: &dyn Db, project: Project, compiled: bool) -> Value {
    let graph = dag(db, project);
    let entries = graph
        .parents
        .iter()
        .filter_map(|(uid, parents)| node_entry(db, project, uid, parents, compiled))
        .map(|(is_source, uid, entry)| (is_source, uid, entry.to_value()))
        .collect();
    assemble(db, project, entries)
}

/// The manifest as JSON bytes, node entries built and serialized on `threads` database
/// clones. Streaming each entry to bytes right away keeps the peak memory near the size
/// of the file instead of a tree of JSON values ten times larger.
pub fn manifest_bytes(db: &RootDb, project: Project, compiled: bool, threads: usize) -> Vec<u8> {
    ManifestCache::build(db, project, compiled, threads).bytes()
}

/// A manifest kept as serialized pieces, so that after an edit that changes no graph,
/// macro or yml, only the touched nodes' entries are serialized again (watch).
pub struct ManifestCache {
    compiled: bool,
    /// unique_ids in manifest order.
    order: Vec<String>,
    /// unique_id -> (is a source, `"uid":{...}` bytes).
    entries: std::collections::HashMap<String, EntryBytes>,
    /// The other top-level keys in order, serialized (`None` for nodes and sources).
    rest: Vec<(String, Option<Vec<u8>>)>,
}

/// A node's serialized entry: (is a source, `"uid":{...}` bytes).
type EntryBytes = (bool, Vec<u8>);

fn entry_bytes(
    db: &dyn Db,
    project: Project,
    uid: &str,
    parents: &[String],
    compiled: bool,
) -> Option<EntryBytes> {
    let (is_source, uid, entry) = node_entry(db, project, &uid.to_string(), parents, compiled)?;
    let mut out = Vec::new();
    serde_json::to_writer(&mut out, &uid).expect("a string serializes");
    out.push(b':');
    entry.write_to(&mut out);
    Some((is_source, out))
}

/// Entries of `items` (unique_id, parents), in order, computed on `threads` database
/// clones.
fn entries_parallel(
    db: &RootDb,
    project: Project,
    items: &[(&String, &Vec<String>)],
    compiled: bool,
    threads: usize,
) -> Vec<(String, Option<EntryBytes>)> {
    let chunk = items.len().div_ceil(threads.max(1)).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| {
                let db = db.clone();
                scope.spawn(move || {
                    part.iter()
                        .map(|(uid, parents)| {
                            (
                                (*uid).clone(),
                                entry_bytes(&db, project, uid, parents, compiled),
                            )
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

/// The top-level keys in manifest order, each but `nodes` and `sources` serialized (they
/// are small: built as values).
fn rest_pieces(db: &RootDb, project: Project) -> Vec<(String, Option<Vec<u8>>)> {
    let Value::Object(rest) = assemble(db, project, Vec::new()) else {
        unreachable!("the manifest is an object")
    };
    rest.into_iter()
        .map(|(key, value)| {
            let bytes = (!matches!(key.as_str(), "nodes" | "sources"))
                .then(|| serde_json::to_vec(&value).expect("a JSON value serializes"));
            (key, bytes)
        })
        .collect()
}

impl ManifestCache {
    /// Builds every entry, on `threads` database clones.
    pub fn build(db: &RootDb, project: Project, compiled: bool, threads: usize) -> ManifestCache {
        let graph = dag(db, project);
        let items: Vec<(&String, &Vec<String>)> = graph.parents.iter().collect();
        let built = entries_parallel(db, project, &items, compiled, threads);
        let order = built.iter().map(|(uid, _)| uid.clone()).collect();
        let entries = built
            .into_iter()
            .filter_map(|(uid, e)| Some((uid, e?)))
            .collect();
        let rest = rest_pieces(db, project);
        ManifestCache {
            compiled,
            order,
            entries,
            rest,
        }
    }

    /// Serializes these nodes' entries again (their graph, macros and yml unchanged).
    pub fn refresh<'a>(
        &mut self,
        db: &dyn Db,
        project: Project,
        uids: impl IntoIterator<Item = &'a String>,
    ) {
        let graph = dag(db, project);
        // A targeted recompile follows macro edits too, and macro entries hold their
        // source: serialize the (small) macros section again.
        if let Some((_, bytes)) = self.rest.iter_mut().find(|(key, _)| key == "macros") {
            let macros = Value::Object(macros_section(db, project));
            *bytes = Some(serde_json::to_vec(&macros).expect("a JSON value serializes"));
        }
        for uid in uids {
            let Some(parents) = graph.parents.get(uid) else {
                continue;
            };
            match entry_bytes(db, project, uid, parents, self.compiled) {
                Some(entry) => {
                    self.entries.insert(uid.clone(), entry);
                }
                None => {
                    self.entries.remove(uid);
                }
            }
        }
    }

    /// The whole manifest.
    pub fn bytes(&self) -> Vec<u8> {
        let size: usize = self.entries.values().map(|(_, e)| e.len() + 1).sum();
        let mut out = Vec::with_capacity(size + (1 << 20));
        self.write_to(&mut out)
            .expect("writing into memory cannot fail");
        out
    }

    /// Streams the whole manifest into `w`: the entries are written where they are, never
    /// joined into one buffer (at 10,000 models that saved two copies of ~55 MB).
    pub fn write_to(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        let join = |w: &mut dyn std::io::Write, sources: bool| -> std::io::Result<()> {
            w.write_all(b"{")?;
            let mut first = true;
            for (is_source, entry) in self.order.iter().filter_map(|uid| self.entries.get(uid)) {
                if *is_source == sources {
                    if !first {
                        w.write_all(b",")?;
                    }
                    first = false;
                    w.write_all(entry)?;
                }
            }
            w.write_all(b"}")
        };
        w.write_all(b"{")?;
        for (i, (key, value)) in self.rest.iter().enumerate() {
            if i > 0 {
                w.write_all(b",")?;
            }
            serde_json::to_writer(&mut *w, key)?;
            w.write_all(b":")?;
            match (key.as_str(), value) {
                ("nodes", _) => join(w, false)?,
                ("sources", _) => join(w, true)?,
                (_, Some(bytes)) => w.write_all(bytes)?,
                (_, None) => w.write_all(b"null")?,
            }
        }
        w.write_all(b"}")
    }
}

/// Builds the manifest and streams it to `path` (through a temporary file renamed into
/// place, so a reader never sees half a manifest). Node entries are built a batch at a
/// time and written as they come, so the whole manifest is never held in memory (the
/// watch loop keeps a [`ManifestCache`] instead, to refresh single entries).
pub fn write_manifest(
    db: &RootDb,
    project: Project,
    compiled: bool,
    threads: usize,
    path: &std::path::Path,
) -> Result<(), String> {
    write_manifest_in_batches(db, project, compiled, threads, 512, path)
}

/// The manifest's top-level keys but `nodes` and `sources`, serialized ahead: building
/// them (macros, docs, parent and child maps) needs no analysis, so a compile builds them
/// beside the analysis phase rather than before the node entries.
pub struct ManifestTop(Vec<(String, Option<Vec<u8>>)>);

pub fn manifest_top(db: &RootDb, project: Project) -> ManifestTop {
    ManifestTop(rest_pieces(db, project))
}

/// [`write_manifest`] with the top-level keys built ahead by [`manifest_top`], and the
/// compiled keys of `recompiled` nodes from their render with the database.
pub fn write_manifest_with_top(
    db: &RootDb,
    project: Project,
    compiled: bool,
    threads: usize,
    path: &std::path::Path,
    top: ManifestTop,
    recompiled: &Recompiled,
) -> Result<(), String> {
    let rest = Some(top.0);
    write_batches(
        db,
        project,
        (compiled, recompiled),
        threads,
        512,
        path,
        rest,
    )
}

/// [`write_manifest`] with node entries built `batch` at a time.
pub fn write_manifest_in_batches(
    db: &RootDb,
    project: Project,
    compiled: bool,
    threads: usize,
    batch: usize,
    path: &std::path::Path,
) -> Result<(), String> {
    let compiled = (compiled, &Recompiled::new());
    write_batches(db, project, compiled, threads, batch, path, None)
}

fn write_batches(
    db: &RootDb,
    project: Project,
    (compiled, recompiled): (bool, &Recompiled),
    threads: usize,
    batch: usize,
    path: &std::path::Path,
    rest: Option<Vec<(String, Option<Vec<u8>>)>>,
) -> Result<(), String> {
    let graph = dag(db, project);
    let items: Vec<(&String, &Vec<String>)> = graph.parents.iter().collect();
    let rest = rest.unwrap_or_else(|| rest_pieces(db, project));
    super::write::write_streamed(path, |w| {
        // Sources are few: kept for their own key.
        let mut sources: Vec<Vec<u8>> = Vec::new();
        let mut sources_done = false;
        let write_sources =
            |w: &mut dyn std::io::Write, sources: &[Vec<u8>]| -> std::io::Result<()> {
                w.write_all(b"{")?;
                for (i, entry) in sources.iter().enumerate() {
                    if i > 0 {
                        w.write_all(b",")?;
                    }
                    w.write_all(entry)?;
                }
                w.write_all(b"}")
            };
        w.write_all(b"{")?;
        for (i, (key, value)) in rest.iter().enumerate() {
            if i > 0 {
                w.write_all(b",")?;
            }
            serde_json::to_writer(&mut *w, key)?;
            w.write_all(b":")?;
            match (key.as_str(), value) {
                ("nodes", _) => {
                    w.write_all(b"{")?;
                    let mut first = true;
                    ordered::for_each_ordered(
                        &items,
                        (0..threads.max(1)).map(|_| db.clone()).collect(),
                        batch,
                        |db, (uid, parents)| {
                            let (is_source, entry) =
                                entry_bytes(db, project, uid, parents, compiled)?;
                            Some(match recompiled.get(*uid) {
                                Some(r) => (
                                    is_source,
                                    compiled_keys::recompiled_entry(db, project, entry, r),
                                ),
                                None => (is_source, entry),
                            })
                        },
                        |built| {
                            let Some((is_source, entry)) = built else {
                                return Ok(());
                            };
                            if is_source {
                                sources.push(entry);
                                return Ok(());
                            }
                            if !first {
                                w.write_all(b",")?;
                            }
                            first = false;
                            w.write_all(&entry)
                        },
                    )?;
                    w.write_all(b"}")?;
                    sources_done = true;
                }
                ("sources", _) => {
                    if !sources_done {
                        // `sources` before `nodes`: build them on their own.
                        let own: Vec<_> = items
                            .iter()
                            .copied()
                            .filter(|(uid, _)| uid.starts_with("source."))
                            .collect();
                        sources = entries_parallel(db, project, &own, compiled, threads)
                            .into_iter()
                            .filter_map(|(_, e)| e.filter(|(s, _)| *s).map(|(_, b)| b))
                            .collect();
                    }
                    write_sources(w, &sources)?;
                }
                (_, Some(bytes)) => w.write_all(bytes)?,
                (_, None) => w.write_all(b"null")?,
            }
        }
        w.write_all(b"}")
    })
}

/// One node's manifest entry: (is a source, unique_id, entry).
fn node_entry(
    db: &dyn Db,
    project: Project,
    uid: &String,
    parents: &[String],
    compiled: bool,
) -> Option<(bool, String, EntryOut)> {
    let key = NodeKey::new(db, uid.as_str());
    let node = node_info(db, project, key).as_ref()?;
    let cfg = node_config(db, project, key);
    let rel = node_relation(db, project, key);
    let parsed = parsed_node(db, project, key);
    let docs = docs_index(db, project);
    // dbt's docs context (target, var, env_var) is built only for a description with
    // Jinja beyond plain text.
    let globals = std::cell::OnceCell::new();
    let describe = |text: &str| {
        if !text.contains("{{") && !text.contains("{%") {
            return text.to_string();
        }
        let g = globals.get_or_init(|| DescriptionGlobals::for_package(db, project, &node.package));
        render_description_with(text, &node.package, &docs, Some(g))
    };
    let called: Vec<String> = parsed
        .macros_called
        .iter()
        .map(|(p, n)| format!("macro.{p}.{n}"))
        .collect();
    let macros = match &node.test {
        Some(test) => macro_deps::test_depends_on(db, project, node, test, &called, compiled),
        None => called,
    };
    let mut n = EntryOut::new();
    n.set("unique_id", uid);
    n.set("resource_type", node.resource_type.as_str());
    n.set("package_name", &node.package);
    n.set("name", &node.name);
    n.set("path", &node.path);
    n.set("original_file_path", &node.original_file_path);
    n.set("fqn", &node.fqn);
    n.set("config", &entry_out::ConfigOut(cfg));
    n.set("tags", &node_tags(node, cfg));
    n.set("description", &describe(&node.patch.description));
    match cfg.get("meta") {
        Some(meta) => n.set("meta", meta),
        None => n.set("meta", &Map::new()),
    }
    n.set(
        "depends_on",
        &entry_out::DependsOn {
            nodes: parents,
            macros: &macros,
        },
    );
    let columns = node
        .patch
        .columns
        .as_array()
        .map(|cols| {
            cols.iter()
                .filter_map(|c| {
                    let name = c.get("name")?.as_str()?;
                    let description =
                        describe(c.get("description").and_then(Value::as_str).unwrap_or(""));
                    let data_type = c.get("data_type").cloned().unwrap_or(Value::Null);
                    Some((
                        name.to_string(),
                        json!({"name": name, "description": description, "data_type": data_type}),
                    ))
                })
                .collect::<Map<String, Value>>()
        })
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| inferred_columns(db, project, key));
    n.set("columns", &columns);
    if let Some(rel) = rel {
        n.set("database", &rel.database);
        n.set("schema", &rel.schema);
        if node.resource_type == ResourceType::Source {
            n.set("identifier", &rel.identifier);
        } else {
            n.set("alias", &rel.identifier);
        }
        // A test has one only when it stores its failures (in the audit schema).
        let has_relation = match node.resource_type {
            ResourceType::Analysis => false,
            ResourceType::Test => crate::exec::test::stores_failures(cfg, false),
            _ => cfg.get("materialized").and_then(Value::as_str) != Some("ephemeral"),
        };
        n.set("relation_name", &has_relation.then(|| rel.render()));
    }
    n.set("created_at", &file_keys::created_at());
    n.set(
        "unrendered_config",
        &unrendered::unrendered_config(
            project_config(db, project),
            node,
            &parsed.config_calls,
            cfg,
        ),
    );
    n.set(
        "doc_blocks",
        &file_keys::doc_blocks(&node.patch.description, &node.package, &docs),
    );
    let attached = node
        .test
        .as_ref()
        .and_then(|t| attached_node(db, project, t));
    if node.source.is_none() {
        let config = project_config(db, project);
        let tested = node_keys::tested_columns(db, project);
        node_keys::add_node_keys(
            &mut n,
            tested,
            config,
            node,
            parsed,
            cfg,
            attached.as_deref(),
        );
        n.set("checksum", &file_keys::checksum(db, node));
        n.set("build_path", &Value::Null);
        if node.resource_type != ResourceType::Seed {
            n.set("compiled_path", &Value::Null);
        }
        if let Some(raw) = file_keys::raw_code(db, node) {
            n.set("raw_code", &raw);
        }
        if node.resource_type != ResourceType::Seed {
            n.set("language", "sql");
        }
    }
    if let Some(test) = &node.test {
        n.set(
            "test_metadata",
            &json!({
                "name": test.test_name, "namespace": test.namespace,
                "kwargs": Value::Object(test.kwargs.clone().into_iter().collect()),
            }),
        );
        n.set("column_name", &test.column_name);
        let attached = attached.filter(|_| !test.attached_is_source);
        n.set("attached_node", &attached);
    }
    if let Some(src) = &node.source {
        n.set("source_name", &src.source_name);
        n.set("loader", &src.loader);
        n.set(
            "source_description",
            &describe(
                src.source_props
                    .get("description")
                    .and_then(Value::as_str)
                    .unwrap_or(""),
            ),
        );
        let mut quoting =
            json!({"database": null, "schema": null, "identifier": null, "column": null});
        for props in [&src.source_props, &src.table_props] {
            if let Some(Value::Object(q)) = props.get("quoting") {
                for (k, v) in q {
                    quoting[k] = v.clone();
                }
            }
        }
        n.set("quoting", &quoting);
        node_keys::add_source_keys(&mut n, src);
        return Some((true, uid.clone(), n));
    }
    if compiled && let Some(sql) = &compiled_sql(db, project, key).sql {
        n.set("compiled", &true);
        n.set("compiled_code", &**sql);
        n.set("extra_ctes", &compiled_keys::extra_ctes(db, project, key));
        n.set("extra_ctes_injected", &true);
        // `dbt compile` leaves snapshots without a compiled file.
        if node.resource_type != ResourceType::Snapshot {
            n.set("compiled_path", &file_keys::compiled_path(db, project, uid));
        }
    }
    Some((false, uid.clone(), n))
}

fn assemble(db: &dyn Db, project: Project, entries: Vec<(bool, String, Value)>) -> Value {
    let graph = dag(db, project);
    let config = project_config(db, project);
    let mut nodes = Map::new();
    let mut sources = Map::new();
    for (is_source, uid, entry) in entries {
        if is_source {
            sources.insert(uid, entry);
        } else {
            nodes.insert(uid, entry);
        }
    }
    let macros = macros_section(db, project);
    let parent_map: Map<String, Value> = graph
        .parents
        .iter()
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    let mut child_map: Map<String, Value> = graph
        .children()
        .into_iter()
        .map(|(k, v)| (k, json!(v)))
        .collect();
    let units = crate::project::unit_tests::unit_tests(db, project);
    let mut parent_map = parent_map;
    units.extend_maps(&mut parent_map, &mut child_map);
    let created_at = file_keys::created_at();
    json!({
        "metadata": {
            "dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json",
            "dbt_version": "1.11.0",
            "generator": format!("dbtc {}", env!("CARGO_PKG_VERSION")),
            "project_name": config.root.name,
            "adapter_type": crate::jinja::nodes::active_target(db, project).adapter_type,
        },
        "nodes": nodes,
        "sources": sources,
        "macros": macros,
        "docs": docs_section(db, project),
        "exposures": {},
        "metrics": {},
        "groups": {},
        "selectors": {},
        "disabled": units.disabled_section(&created_at),
        "parent_map": parent_map,
        "child_map": child_map,
        "group_map": {},
        "saved_queries": {},
        "semantic_models": {},
        "unit_tests": units.section(&created_at),
        "functions": {},
    })
}

/// The `macros` section: every macro with its entry (which holds the macro's source, so
/// a macro edit changes it).
fn macros_section(db: &dyn Db, project: Project) -> Map<String, Value> {
    let mut macros = Map::new();
    for (pkg, list) in &macro_index(db, project).packages {
        for (name, loc) in list {
            macros.insert(
                format!("macro.{pkg}.{name}"),
                file_keys::macro_entry(db, project, pkg, name, loc),
            );
        }
    }
    macros
}

/// A hook as dbt stores it in the manifest.
fn hook_entry(hook: &Value) -> Value {
    match hook {
        Value::Object(m) => json!({
            "sql": m.get("sql").cloned().unwrap_or(json!("")),
            "transaction": m.get("transaction").cloned().unwrap_or(json!(true)),
            "index": m.get("index").cloned().unwrap_or(Value::Null),
        }),
        other => {
            json!({"sql": other.as_str().map_or_else(|| other.to_string(), str::to_string), "transaction": true, "index": null})
        }
    }
}

/// A node's `tags`: dbt applies the properties yml patch after parsing, so tags declared
/// in yml come after those from dbt_project.yml and config() (config.tags keeps yml first).
fn node_tags(node: &crate::project::nodes::NodeInfo, cfg: &Map<String, Value>) -> Value {
    let all: Vec<Value> = cfg
        .get("tags")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut from_yml: Vec<Value> = Vec::new();
    for v in [node.patch.props.get("tags"), node.patch.config.get("tags")]
        .into_iter()
        .flatten()
    {
        match v {
            Value::Array(a) => from_yml.extend(a.iter().cloned()),
            other => from_yml.push(other.clone()),
        }
    }
    if node.source.is_some() {
        return Value::Array(all);
    }
    let _ = &from_yml;
    let mut out: Vec<Value> = all
        .iter()
        .filter(|t| !from_yml.contains(t))
        .cloned()
        .collect();
    out.extend(all.into_iter().filter(|t| from_yml.contains(t)));
    Value::Array(out)
}

/// The unique_id of the node a generic test is attached to.
fn attached_node(
    db: &dyn Db,
    project: Project,
    test: &crate::project::nodes::TestInfo,
) -> Option<String> {
    let index = crate::project::nodes::node_index(db, project);
    if test.attached_is_source {
        let (src, table) = test.attached_name.split_once('.')?;
        return index.find_source(src, table).map(|n| n.unique_id.clone());
    }
    let root = &project_config(db, project).root.name;
    index
        .find_ref(root, None, &test.attached_name, None)
        .map(|n| n.unique_id.clone())
}

/// The manifest's `docs` section: `doc.<package>.<name>` entries.
fn docs_section(db: &dyn Db, project: Project) -> Value {
    let docs = docs_index(db, project);
    Value::Object(
        docs.values()
            .map(|d| {
                let uid = format!("doc.{}.{}", d.package, d.name);
                let entry = json!({
                    "name": d.name, "resource_type": "doc", "package_name": d.package,
                    "path": d.original_file_path.split_once('/').map_or(d.original_file_path.as_str(), |(_, rest)| rest),
                    "original_file_path": d.original_file_path, "unique_id": uid, "block_contents": d.contents,
                });
                (uid, entry)
            })
            .collect(),
    )
}

/// Columns dbtc inferred, for a node that declares none (dbt-core leaves these empty).
fn inferred_columns(db: &dyn Db, project: Project, key: NodeKey) -> Map<String, Value> {
    let Some(schema) = crate::sql::analysis::model_schema(db, project, key) else {
        return Map::new();
    };
    schema
        .columns
        .iter()
        .map(|c| {
            let ty = (!c.ty.is_unknown()).then(|| c.ty.to_string());
            (
                c.name.clone(),
                json!({"name": c.name, "description": "", "data_type": ty}),
            )
        })
        .collect()
}
