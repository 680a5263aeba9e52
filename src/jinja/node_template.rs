//! A node's template, prepared once for both of its renders (parse time and compile
//! time): the raw code, the text minijinja compiles (after the Python-compatibility
//! rewrite), where it is, and the macro words its render preloads. Preparing it costs a
//! rewrite and a word scan of the template; both renders used to do it, and the compile
//! render scanned the words three times (its macro bundle, and whether it mentions `graph`
//! or `get_columns_in_relation`).

use std::sync::Arc;

use super::macros::{candidate_names, macro_index};
use super::nodes::{node_info, raw_code};
use super::render::{TemplateOrigin, WordSet, bundle_mentions};
use crate::db::{Db, NodeKey, Project};

/// A node's prepared template (see the module doc).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeTemplate {
    /// The template as the node's file has it (dbt's `raw_code`).
    pub raw: Arc<str>,
    /// The text that is rendered: `raw` after the compatibility rewrite (the same `Arc`
    /// when the rewrite changes nothing).
    pub source: Arc<str>,
    pub origin: TemplateOrigin,
    /// The template's words that name a macro: what its render preloads.
    pub words: WordSet,
    /// Whether the template itself names `graph` / `get_columns_in_relation`.
    names_graph: bool,
    names_columns: bool,
}

impl NodeTemplate {
    /// Whether the template, or a macro its render may call, mentions `graph`.
    pub fn mentions_graph(&self, db: &dyn Db, project: Project) -> bool {
        self.names_graph || bundle_mentions(db, project, self.words, "graph")
    }

    /// Whether the template, or a macro its render may call, mentions
    /// `get_columns_in_relation`.
    pub fn mentions_columns(&self, db: &dyn Db, project: Project) -> bool {
        self.names_columns || bundle_mentions(db, project, self.words, "get_columns_in_relation")
    }
}

crate::db::node_query! {
    /// The prepared template of a node (None for nodes without one: seeds, sources).
    /// Reads the node's info, its file's text (not for generic tests, which are synthesized
    /// from their yml entry) and the macro index, as the renders did.
    pub fn node_template -> ref Option<NodeTemplate> = node_template_body
}

fn node_template_body(db: &dyn Db, project: Project, key: NodeKey) -> Option<NodeTemplate> {
    let node = node_info(db, project, key).as_ref()?;
    let (raw, origin) = raw_code(db, node)?;
    let raw: Arc<str> = Arc::from(raw);
    let rewritten = super::compat::rewrite_template(&raw);
    let source = if *rewritten == *raw {
        Arc::clone(&raw)
    } else {
        Arc::from(rewritten)
    };
    let names = candidate_names(&source);
    let index = macro_index(db, project);
    let words: Vec<String> = names
        .iter()
        .filter(|w| index.by_word.contains_key(*w))
        .cloned()
        .collect();
    Some(NodeTemplate {
        names_graph: names.contains("graph"),
        names_columns: names.contains("get_columns_in_relation"),
        raw,
        source,
        origin,
        words: WordSet::new(db, words),
    })
}
