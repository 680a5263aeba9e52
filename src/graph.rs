//! The DAG from ref()/source() edges (petgraph), cycle detection, and node selection.

use indexmap::IndexMap;
use petgraph::graph::DiGraph;

use crate::db::{Db, NodeKey, Project};
use crate::diagnostics::{Diagnostic, Span, codes};
use crate::jinja::nodes::{all_nodes, node_config, node_info, parsed_node};
use crate::project::config::project_config;
use crate::project::nodes::{ResourceType, node_index};

/// Enabled nodes with their parents (unique_ids), plus graph diagnostics.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Dag {
    /// unique_id -> parents (in first-use order), for every enabled node.
    pub parents: IndexMap<String, Vec<String>>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Dag {
    pub fn children(&self) -> IndexMap<String, Vec<String>> {
        let mut out: IndexMap<String, Vec<String>> = self
            .parents
            .keys()
            .map(|k| (k.clone(), Vec::new()))
            .collect();
        for (child, parents) in &self.parents {
            for p in parents {
                if let Some(list) = out.get_mut(p)
                    && !list.contains(child)
                {
                    list.push(child.clone());
                }
            }
        }
        out
    }
}

fn enabled(config: &serde_json::Map<String, serde_json::Value>) -> bool {
    config
        .get("enabled")
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(true)
}

/// Levenshtein distance, for "did you mean".
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            cur.push(
                (prev[j] + usize::from(ca != *cb))
                    .min(prev[j + 1] + 1)
                    .min(cur[j] + 1),
            );
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The closest of `names` to `wanted`, if close enough to be a likely typo.
pub fn did_you_mean<'a>(wanted: &str, names: impl Iterator<Item = &'a str>) -> Option<String> {
    names
        .map(|n| (distance(wanted, n), n))
        .filter(|(d, n)| *d <= (wanted.len().max(n.len()) / 3).max(2))
        .min()
        .map(|(_, n)| n.to_string())
}

/// The diagnostic of a ref or source that is not found: an error, except in a test, which
/// dbt disables with a warning (a properties yml may describe a model that does not exist).
fn missing_target(is_test: bool, code: &'static str, message: String, hint: String) -> Diagnostic {
    if is_test {
        Diagnostic::warning(code, message)
            .with_hint(format!("{hint}; the test is disabled, as dbt does"))
    } else {
        Diagnostic::error(code, message).with_hint(hint)
    }
}

/// The DAG of enabled nodes. Reads every node's config and parse-time refs. Unknown refs
/// and sources, and ref cycles, become diagnostics (never panics).
#[salsa::tracked(returns(ref))]
pub fn dag(db: &dyn Db, project: Project) -> Dag {
    let index = node_index(db, project);
    let root = &project_config(db, project).root.name;
    let mut out = Dag::default();
    let mut is_enabled: IndexMap<String, bool> = IndexMap::new();
    for key in all_nodes(db, project) {
        is_enabled.insert(
            key.unique_id(db).clone(),
            enabled(node_config(db, project, *key)),
        );
    }
    for key in all_nodes(db, project) {
        let uid = key.unique_id(db);
        if !is_enabled[uid] {
            continue;
        }
        let Some(node) = node_info(db, project, *key) else {
            continue;
        };
        let parsed = parsed_node(db, project, *key);
        let mut parents = Vec::new();
        // Paths only: the text is read (and so depended on) only to locate an error, so an
        // edit to a model's body does not re-run the DAG.
        let file = node.file.map(|f| (f.path(db).clone(), f));
        let locate = |needle: &str| {
            file.as_ref().and_then(|(_, f)| {
                let text = f.text(db);
                text.find(needle)
                    .map(|p| Span::from_range(text, p, p + needle.len()))
            })
        };
        let mut disabled_parent = false;
        let is_test = node.resource_type == ResourceType::Test;
        // A test whose ref or source is not found is disabled with a warning, as dbt does.
        let mut missing = false;
        for call in &parsed.refs {
            let pkg = call.package.as_deref().or(if node.package != *root {
                Some(node.package.as_str())
            } else {
                None
            });
            let found = index
                .find_ref(root, pkg, &call.name, call.version.as_deref())
                .or_else(|| {
                    index.find_ref(
                        root,
                        call.package.as_deref(),
                        &call.name,
                        call.version.as_deref(),
                    )
                });
            match found {
                Some(target) if is_enabled.get(&target.unique_id).copied().unwrap_or(true) => {
                    if !parents.contains(&target.unique_id) {
                        parents.push(target.unique_id.clone());
                    }
                }
                Some(_) => disabled_parent = true,
                None => {
                    let names = index
                        .nodes
                        .values()
                        .filter(|n| {
                            matches!(
                                n.resource_type,
                                ResourceType::Model | ResourceType::Seed | ResourceType::Snapshot
                            )
                        })
                        .map(|n| n.name.as_str());
                    let hint = match did_you_mean(&call.name, names) {
                        Some(s) => format!("did you mean `ref('{s}')`?"),
                        None => "check the model name, or that its package is installed in dbt_packages/".into(),
                    };
                    let message = format!(
                        "{} `{}` depends on a node named `{}` which was not found",
                        node.resource_type.as_str(),
                        node.name,
                        call.name
                    );
                    let mut diag = missing_target(is_test, codes::UNKNOWN_REF, message, hint)
                        .for_node(uid.clone());
                    missing = true;
                    if let Some((path, _)) = &file {
                        diag = diag.at(path, locate(&call.name));
                    }
                    out.diagnostics.push(diag);
                }
            }
        }
        if (disabled_parent || missing) && is_test {
            // dbt disables tests of disabled nodes.
            continue;
        }
        for (src, table) in &parsed.sources {
            match index.find_source(src, table) {
                Some(s) => {
                    if !parents.contains(&s.unique_id) {
                        parents.push(s.unique_id.clone());
                    }
                }
                None => {
                    let names: Vec<String> = index
                        .nodes
                        .values()
                        .filter_map(|n| n.source.as_ref())
                        .map(|s| format!("{}.{}", s.source_name, s.table_name))
                        .collect();
                    let wanted = format!("{src}.{table}");
                    let hint = match did_you_mean(&wanted, names.iter().map(String::as_str)) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => "declare the source in a properties yml under `sources:`".into(),
                    };
                    let message = format!(
                        "{} `{}` depends on a source named `{wanted}` which was not found",
                        node.resource_type.as_str(),
                        node.name
                    );
                    let mut diag = missing_target(is_test, codes::UNKNOWN_SOURCE, message, hint)
                        .for_node(uid.clone());
                    missing = true;
                    if let Some((path, _)) = &file {
                        diag = diag.at(path, locate(table));
                    }
                    out.diagnostics.push(diag);
                }
            }
        }
        if missing && is_test {
            continue;
        }
        out.parents.insert(uid.clone(), parents);
    }
    // Cycles.
    let mut graph: DiGraph<&str, ()> = DiGraph::new();
    let ids: IndexMap<&str, petgraph::graph::NodeIndex> = out
        .parents
        .keys()
        .map(|k| (k.as_str(), graph.add_node(k.as_str())))
        .collect();
    for (child, parents) in &out.parents {
        for p in parents {
            if let (Some(a), Some(b)) = (ids.get(p.as_str()), ids.get(child.as_str())) {
                graph.add_edge(*a, *b, ());
            }
        }
    }
    for scc in petgraph::algo::tarjan_scc(&graph) {
        let is_cycle = scc.len() > 1 || scc.first().is_some_and(|n| graph.contains_edge(*n, *n));
        if is_cycle {
            let mut names: Vec<&str> = scc.iter().map(|n| graph[*n]).collect();
            names.sort();
            let path = names.join(" --> ");
            let first = names[0].to_string();
            let mut diag = Diagnostic::error(codes::CYCLE, format!("found a cycle: {path} --> {first}"))
                .for_node(first.clone())
                .with_hint("a model cannot ref() itself or a descendant; break the cycle by removing one ref()");
            if let Some(node) = index.nodes.get(&first)
                && let Some(f) = node.file
            {
                diag = diag.at(f.path(db), None);
            }
            out.diagnostics.push(diag);
        }
    }
    out
}

/// unique_ids of the nodes in a cycle (excluded from compilation).
pub fn nodes_in_cycles(dag: &Dag) -> std::collections::BTreeSet<String> {
    let mut out = std::collections::BTreeSet::new();
    for d in &dag.diagnostics {
        if d.code == codes::CYCLE
            && let Some(rest) = d.message.strip_prefix("found a cycle: ")
        {
            out.extend(rest.split(" --> ").map(str::to_string));
        }
    }
    out
}

/// `dbt ls`-style selection: space-separated unions of comma-separated intersections of
/// `[n+]method:value[+n]` selectors. Methods: name (default), path, tag, resource_type,
/// package, source, config.materialized.
pub fn select(db: &dyn Db, project: Project, select: &[String], exclude: &[String]) -> Vec<String> {
    let graph = dag(db, project);
    let all: Vec<String> = graph.parents.keys().cloned().collect();
    let chosen: std::collections::BTreeSet<String> = if select.is_empty() {
        all.iter().cloned().collect()
    } else {
        select
            .iter()
            .flat_map(|s| s.split_whitespace())
            .flat_map(|s| eval_intersection(db, project, graph, s))
            .collect()
    };
    let excluded: std::collections::BTreeSet<String> = exclude
        .iter()
        .flat_map(|s| s.split_whitespace())
        .flat_map(|s| eval_intersection(db, project, graph, s))
        .collect();
    all.into_iter()
        .filter(|n| chosen.contains(n) && !excluded.contains(n))
        .collect()
}

fn eval_intersection(
    db: &dyn Db,
    project: Project,
    graph: &Dag,
    expr: &str,
) -> std::collections::BTreeSet<String> {
    let mut sets = expr.split(',').map(|s| eval_one(db, project, graph, s));
    let first = sets.next().unwrap_or_default();
    sets.fold(first, |acc, s| acc.intersection(&s).cloned().collect())
}

fn depth_prefix(s: &str) -> (Option<usize>, &str) {
    let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
    let rest = &s[digits.len()..];
    match rest.strip_prefix('+') {
        Some(r) => (Some(digits.parse().unwrap_or(usize::MAX)), r),
        None => (None, s),
    }
}

fn eval_one(
    db: &dyn Db,
    project: Project,
    graph: &Dag,
    sel: &str,
) -> std::collections::BTreeSet<String> {
    let (up, rest) = depth_prefix(sel);
    let (core, down) = match rest.rfind('+') {
        Some(p) if p > 0 && rest[p + 1..].chars().all(|c| c.is_ascii_digit()) => (
            &rest[..p],
            Some(rest[p + 1..].parse().unwrap_or(usize::MAX)),
        ),
        _ => (rest, None),
    };
    let (method, value) = core.split_once(':').unwrap_or(("name", core));
    let index = node_index(db, project);
    let mut base = std::collections::BTreeSet::new();
    for uid in graph.parents.keys() {
        let Some(node) = index.nodes.get(uid) else {
            continue;
        };
        let key = NodeKey::new(db, uid.as_str());
        let matched = match method {
            // dbt's fqn method looks at nodes only (sources have `source:`).
            "name" | "fqn" if node.source.is_some() => false,
            "name" | "fqn" => {
                node.name == value
                    || node.fqn.join(".") == value
                    || glob(value, &node.name)
                    || (node.fqn.len() > 1
                        && node.fqn[..node.fqn.len() - 1].iter().any(|p| p == value))
                    || (value.contains('.') && {
                        // `package.folder` selects everything whose fqn starts so.
                        let parts: Vec<&str> = value.split('.').collect();
                        parts.len() <= node.fqn.len()
                            && parts.iter().zip(&node.fqn).all(|(p, f)| p == f)
                    })
            }
            "path" | "file" => {
                node.original_file_path
                    .starts_with(value.trim_end_matches('/'))
                    || glob(value, &node.original_file_path)
            }
            "tag" => node_config(db, project, key)
                .get("tags")
                .and_then(|t| t.as_array())
                .is_some_and(|t| t.iter().any(|x| x.as_str() == Some(value))),
            "resource_type" => node.resource_type.as_str() == value,
            "test_type" => {
                node.resource_type == crate::project::nodes::ResourceType::Test
                    && match value {
                        "generic" => node.test.is_some(),
                        "singular" => node.test.is_none(),
                        "data" => true,
                        _ => false,
                    }
            }
            "package" => node.package == value,
            "source" => node.source.as_ref().is_some_and(|s| {
                s.source_name == value || format!("{}.{}", s.source_name, s.table_name) == value
            }),
            m if m.starts_with("config.") => {
                node_config(db, project, key).get(&m[7..]).is_some_and(|v| {
                    v.as_str() == Some(value) || serde_json::to_string(v).is_ok_and(|s| s == value)
                })
            }
            _ => false,
        };
        if matched {
            base.insert(uid.clone());
        }
    }
    let mut out = base.clone();
    if let Some(depth) = up {
        walk(&graph.parents, &base, depth, &mut out);
    }
    let children = graph.children();
    if let Some(depth) = down {
        walk(&children, &base, depth, &mut out);
    }
    // dbt's default (eager) indirect selection: a test is selected when any of the nodes
    // it depends on is.
    let tests: Vec<String> = out
        .iter()
        .flat_map(|n| children.get(n).into_iter().flatten())
        .filter(|c| c.starts_with("test."))
        .cloned()
        .collect();
    out.extend(tests);
    out
}

fn walk(
    edges: &IndexMap<String, Vec<String>>,
    start: &std::collections::BTreeSet<String>,
    depth: usize,
    out: &mut std::collections::BTreeSet<String>,
) {
    let mut frontier: Vec<String> = start.iter().cloned().collect();
    let mut level = 0;
    while !frontier.is_empty() && level < depth {
        let mut next = Vec::new();
        for n in frontier {
            for m in edges.get(&n).into_iter().flatten() {
                if out.insert(m.clone()) {
                    next.push(m.clone());
                }
            }
        }
        frontier = next;
        level += 1;
    }
}

/// `*` wildcards (a pattern without one matches nothing: names are compared as they are).
pub(crate) fn glob(pattern: &str, text: &str) -> bool {
    if !pattern.contains('*') {
        return false;
    }
    let parts: Vec<&str> = pattern.split('*').collect();
    let mut pos = 0;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            if !text.starts_with(part) {
                return false;
            }
            pos = part.len();
        } else if let Some(p) = text[pos..].find(part) {
            pos += p + part.len();
        } else {
            return false;
        }
    }
    pattern.ends_with('*') || pos == text.len()
}

/// How `dbt ls` prints a node (its `selector` output): the fqn joined by dots, and
/// `source:<package>.<source>.<table>` for sources.
pub fn selector_name(node: &crate::project::nodes::NodeInfo) -> String {
    match &node.source {
        Some(s) => format!("source:{}.{}.{}", node.package, s.source_name, s.table_name),
        None => node.fqn.join("."),
    }
}

/// Whether `dbt ls --resource-type <types>` lists a node of type `rt`: by default every
/// type but analyses; `all` includes analyses.
pub fn ls_includes(types: &[String], rt: crate::project::nodes::ResourceType) -> bool {
    if types.is_empty() || types.iter().any(|t| t == "default") {
        return rt != crate::project::nodes::ResourceType::Analysis;
    }
    types.iter().any(|t| t == "all" || t == rt.as_str())
}
