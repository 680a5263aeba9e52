//! The nodes a macro or properties-yml edit can change, found without visiting every node.
//!
//! A [`Snapshot`] keeps what these edits compare with: the macro index and each macro
//! file's macros (a macro edit reaches the nodes whose render may read an edited macro,
//! see [`crate::macro_users`]), and every node's info in index order (a yml edit changes
//! the infos of the nodes it declares or patches, which are re-checked along with their
//! children and the nodes whose templates read `graph`). When an edit could change more
//! than that (the node set, the macro index, a `generate_*_name` macro, a model version,
//! a DAG diagnostic in the edited file) the caller takes the full path.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::db::{Db, MacroKey, Project};
use crate::diagnostics::Diagnostic;
use crate::jinja::macros::{MacroIndex, MacroLoc, macro_index, macro_source};
use crate::jinja::nodes::parsed_node;
use crate::macro_users::{MacroName, node_words, reaching_words, with_callers};
use crate::project::config::project_config;
use crate::project::nodes::{NodeInfo, node_index};
use crate::project::profiles::target;

/// Macros that decide relations (`node_relation` renders them): editing one, or a macro
/// they call, can change every node.
const RELATION_MACROS: [&str; 3] = [
    "generate_schema_name",
    "generate_alias_name",
    "generate_database_name",
];

/// Files that are project configuration, not properties.
const CONFIG_FILES: [&str; 5] = [
    "dbt_project.yml",
    "packages.yml",
    "dependencies.yml",
    "selectors.yml",
    "profiles.yml",
];

/// What a macro or yml edit is compared with, as of the last update.
#[derive(Default)]
pub(super) struct Snapshot {
    macro_index: Option<Arc<MacroIndex>>,
    /// Macro file -> its macros and their text.
    macro_files: HashMap<PathBuf, Vec<(MacroName, Arc<str>)>>,
    /// Macro -> nodes calling it directly at parse time (covers calls by computed name).
    called_by: HashMap<MacroName, Vec<String>>,
    /// Every node's info, in the node index's order.
    infos: Vec<Arc<NodeInfo>>,
    /// Template word -> nodes, for the words that name a macro or are `graph`, and each
    /// node's such words: kept up to date as templates change, so that the nodes a macro
    /// or yml edit reaches are found without visiting every node.
    word_nodes: HashMap<String, BTreeSet<String>>,
    node_words: HashMap<String, Vec<String>>,
}

/// What a yml edit reaches.
pub(super) struct YmlReach {
    /// Nodes the files declare or patch whose info is unchanged: their output changes only
    /// where it points into the files (diagnostics).
    pub related: BTreeSet<String>,
    /// Nodes whose info changed, and the `graph` readers when one did. The children of
    /// the changed ones are re-checked too.
    pub changed: BTreeSet<String>,
    pub graph_readers: BTreeSet<String>,
}

impl Snapshot {
    pub fn take(db: &dyn Db, project: Project) -> Snapshot {
        let index = macro_index(db, project);
        let nodes = node_index(db, project);
        let mut macro_files: HashMap<PathBuf, Vec<(MacroName, Arc<str>)>> = nodes
            .macro_files
            .iter()
            .map(|(_, f)| (f.path(db).clone(), Vec::new()))
            .collect();
        for (path, list) in macro_files.iter_mut() {
            *list = file_macro_texts(db, project, &index, path);
        }
        let mut called_by: HashMap<MacroName, Vec<String>> = HashMap::new();
        for (uid, _) in &nodes.nodes {
            let key = crate::db::NodeKey::new(db, uid.as_str());
            for m in &parsed_node(db, project, key).macros_called {
                called_by.entry(m.clone()).or_default().push(uid.clone());
            }
        }
        let mut snapshot = Snapshot {
            macro_index: Some(Arc::clone(&index)),
            macro_files,
            called_by,
            infos: nodes.nodes.values().cloned().collect(),
            word_nodes: HashMap::new(),
            node_words: HashMap::new(),
        };
        for uid in nodes.nodes.keys() {
            snapshot.refresh_words(db, project, uid);
        }
        snapshot
    }

    /// Re-reads a node's template words (after its template or info changed).
    pub fn refresh_words(&mut self, db: &dyn Db, project: Project, uid: &str) {
        let Some(index) = self.macro_index.as_deref() else {
            return;
        };
        let key = crate::db::NodeKey::new(db, uid.to_string());
        let words: Vec<String> = node_words(db, project, key)
            .iter()
            .filter(|w| index.by_word.contains_key(*w) || *w == "graph")
            .cloned()
            .collect();
        if self.node_words.get(uid) == Some(&words) {
            return;
        }
        for w in self.node_words.remove(uid).into_iter().flatten() {
            if let Some(set) = self.word_nodes.get_mut(&w) {
                set.remove(uid);
            }
        }
        for w in &words {
            self.word_nodes
                .entry(w.clone())
                .or_default()
                .insert(uid.to_string());
        }
        self.node_words.insert(uid.to_string(), words);
    }

    /// The nodes whose template has one of `words`.
    fn nodes_with(&self, words: &BTreeSet<String>) -> BTreeSet<String> {
        words
            .iter()
            .filter_map(|w| self.word_nodes.get(w))
            .flatten()
            .cloned()
            .collect()
    }

    pub fn is_macro_file(&self, path: &Path) -> bool {
        self.macro_files.contains_key(path)
    }

    /// The nodes an edit of these macro files can change, or `None` when it can change
    /// more than the nodes reading the edited macros.
    pub fn macro_edit(
        &mut self,
        db: &dyn Db,
        project: Project,
        files: &[PathBuf],
    ) -> Option<BTreeSet<String>> {
        let index = macro_index(db, project);
        if self.macro_index.as_deref() != Some(&*index) {
            return None;
        }
        let mut edited: BTreeSet<MacroName> = BTreeSet::new();
        for file in files {
            let new = file_macro_texts(db, project, &index, file);
            let old = self.macro_files.insert(file.clone(), new.clone())?;
            for (name, text) in old.iter().chain(&new) {
                let same = |list: &[(MacroName, Arc<str>)]| {
                    list.iter().any(|(n, t)| n == name && t == text)
                };
                if !same(&old) || !same(&new) {
                    edited.insert(name.clone());
                }
            }
        }
        if edited.is_empty() {
            return Some(BTreeSet::new());
        }
        let closure = with_callers(db, project, &edited);
        if closure
            .iter()
            .any(|(_, name)| RELATION_MACROS.contains(&name.as_str()))
        {
            return None;
        }
        let mut nodes = {
            let _span = tracing::info_span!("nodes_reading").entered();
            self.nodes_with(&reaching_words(db, project, &edited, &[]))
        };
        for m in &edited {
            nodes.extend(self.called_by.get(m).into_iter().flatten().cloned());
        }
        Some(nodes)
    }

    /// What an edit of these properties files reaches, or `None` when it can change more
    /// (the node set, a model version, the macro index, a DAG diagnostic in the files).
    pub fn yml_edit(
        &mut self,
        db: &dyn Db,
        project: Project,
        files: &[PathBuf],
        dag_diagnostics: &[Diagnostic],
    ) -> Option<YmlReach> {
        if dag_diagnostics
            .iter()
            .any(|d| d.file.as_ref().is_some_and(|f| files.contains(f)))
        {
            return None;
        }
        let macros = {
            let _span = tracing::info_span!("macro_index").entered();
            macro_index(db, project)
        };
        if self.macro_index.as_deref() != Some(&*macros) {
            return None;
        }
        let index = {
            let _span = tracing::info_span!("node_index").entered();
            node_index(db, project)
        };
        if index.nodes.len() != self.infos.len() {
            return None;
        }
        let related = |info: &NodeInfo| {
            info.patch.yml.as_ref().is_some_and(|p| files.contains(p))
                || info.file.is_some_and(|f| files.contains(f.path(db)))
        };
        let mut reach = YmlReach {
            related: BTreeSet::new(),
            changed: BTreeSet::new(),
            graph_readers: BTreeSet::new(),
        };
        let compare = tracing::info_span!("compare").entered();
        for ((uid, new), old) in index.nodes.iter().zip(self.infos.iter_mut()) {
            if *uid != old.unique_id {
                return None;
            }
            if !related(new) && !related(old) {
                continue;
            }
            if Arc::ptr_eq(new, old) || **new == **old {
                reach.related.insert(uid.clone());
                continue;
            }
            // Versions decide what a bare ref() resolves to: the DAG may change.
            if new.version.is_some() || old.version.is_some() {
                return None;
            }
            reach.changed.insert(uid.clone());
            *old = Arc::clone(new);
        }
        drop(compare);
        for uid in &reach.changed {
            // A generic test's template is its yml entry.
            self.refresh_words(db, project, uid);
        }
        if !reach.changed.is_empty() {
            let _span = tracing::info_span!("graph_readers").entered();
            reach.graph_readers =
                self.nodes_with(&reaching_words(db, project, &BTreeSet::new(), &["graph"]));
        }
        Some(reach)
    }
}

/// The macros defined in the file at `path`, with their text.
fn file_macro_texts(
    db: &dyn Db,
    project: Project,
    index: &MacroIndex,
    path: &Path,
) -> Vec<(MacroName, Arc<str>)> {
    let mut out = Vec::new();
    for (pkg, list) in &index.packages {
        for (name, loc) in list {
            if let MacroLoc::File(f) = loc
                && f.path(db) == path
            {
                let key = MacroKey::new(db, pkg.clone(), name.clone());
                let text = macro_source(db, project, key)
                    .as_ref()
                    .map_or_else(|| Arc::from(""), |s| Arc::clone(&s.text));
                out.push(((pkg.clone(), name.clone()), text));
            }
        }
    }
    out
}

/// Whether `path` is a properties yml of the project (not a configuration file).
pub(super) fn is_properties_file(db: &dyn Db, project: Project, path: &Path) -> bool {
    let yml = path.extension().is_some_and(|e| e == "yml" || e == "yaml");
    let config = path
        .file_name()
        .is_some_and(|n| CONFIG_FILES.iter().any(|c| n == *c));
    yml && !config && project.profiles(db).path(db) != path
}

/// `crate::compile::project_diagnostics` with the DAG's part kept from before (a yml
/// edit on the targeted path changes no refs).
pub(super) fn project_diagnostics(
    db: &dyn Db,
    project: Project,
    dag_diagnostics: &[Diagnostic],
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    out.extend(project_config(db, project).diagnostics.iter().cloned());
    if let Err(d) = target(db, project) {
        out.push((**d).clone());
    }
    out.extend(node_index(db, project).diagnostics.iter().cloned());
    out.extend(macro_index(db, project).diagnostics.iter().cloned());
    out.extend(dag_diagnostics.iter().cloned());
    out
}
