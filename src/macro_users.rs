//! Which nodes a macro edit can reach, without visiting every node.
//!
//! A render preloads the macros its template's words may name and, transitively, the words
//! of those macros (`crate::jinja::render::macro_bundle`). So a node's render can read
//! macro `m` only when one of its template's words names `m` or a macro that may call `m`.
//! [`node_words`] gives a node's template words; it reads only the template, never macro
//! bodies, so editing a macro leaves it valid. [`macro_callers`] is the reverse of "may
//! call" over the (few hundred) macros. Together they give the words, and so the nodes, a
//! macro edit can reach ([`reaching_words`]; the `Recompiler` keeps the word -> nodes
//! index as edits go, so finding the nodes never visits every node).

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use crate::db::{Db, MacroKey, NodeKey, Project};
use crate::jinja::compat::rewrite_template;
use crate::jinja::macros::{MacroIndex, candidate_names, macro_candidates, macro_index};
use crate::jinja::nodes::{node_info, raw_code};

/// A macro by (package, name).
pub type MacroName = (String, String);

crate::db::node_query! {
    /// The words of a node's template that may name a macro (or `graph`), sorted. Reads only
    /// the node's info and its template, so a macro edit leaves it valid.
    pub fn node_words -> ref Vec<String> = node_words_body
}

fn node_words_body(db: &dyn Db, project: Project, key: NodeKey) -> Vec<String> {
    let Some(node) = node_info(db, project, key) else {
        return Vec::new();
    };
    let Some((source, _)) = raw_code(db, node) else {
        return Vec::new();
    };
    // The render scans the rewritten template; scan the same text.
    candidate_names(&rewrite_template(&source))
        .into_iter()
        .collect()
}

/// Macro -> the macros whose body may call it (their candidate words name it). Reads the
/// macro index and every macro's candidate words (which backdate unless a macro's words
/// change).
#[salsa::tracked(returns(clone))]
pub fn macro_callers(db: &dyn Db, project: Project) -> Arc<HashMap<MacroName, Vec<MacroName>>> {
    let index = macro_index(db, project);
    let mut out: HashMap<MacroName, Vec<MacroName>> = HashMap::new();
    for (pkg, macros) in &index.packages {
        for name in macros.keys() {
            let key = MacroKey::new(db, pkg.clone(), name.clone());
            let caller = (pkg.clone(), name.clone());
            let mut callees = BTreeSet::new();
            for word in macro_candidates(db, project, key) {
                for callee in index.by_word.get(word).into_iter().flatten() {
                    callees.insert(callee.clone());
                }
            }
            for callee in callees {
                out.entry(callee).or_default().push(caller.clone());
            }
        }
    }
    Arc::new(out)
}

/// `macros` and every macro that may call one of them, transitively.
pub fn with_callers(
    db: &dyn Db,
    project: Project,
    macros: &BTreeSet<MacroName>,
) -> BTreeSet<MacroName> {
    let callers = macro_callers(db, project);
    let mut out = macros.clone();
    let mut stack: Vec<MacroName> = macros.iter().cloned().collect();
    while let Some(m) = stack.pop() {
        for c in callers.get(&m).into_iter().flatten() {
            if out.insert(c.clone()) {
                stack.push(c.clone());
            }
        }
    }
    out
}

/// The template words that name one of `macros` (their names, and dispatch prefixes).
pub fn words_naming(index: &MacroIndex, macros: &BTreeSet<MacroName>) -> BTreeSet<String> {
    index
        .by_word
        .iter()
        .filter(|(_, named)| named.iter().any(|m| macros.contains(m)))
        .map(|(word, _)| word.clone())
        .collect()
}

/// The template words whose nodes' renders may read one of `macros` (directly or through
/// other macros), plus `extra_words` and the words of macros that may reach one of them
/// (e.g. `graph`).
pub fn reaching_words(
    db: &dyn Db,
    project: Project,
    macros: &BTreeSet<MacroName>,
    extra_words: &[&str],
) -> BTreeSet<String> {
    let index = macro_index(db, project);
    let mut reached = macros.clone();
    if !extra_words.is_empty() {
        for (pkg, list) in &index.packages {
            for name in list.keys() {
                let key = MacroKey::new(db, pkg.clone(), name.clone());
                let words = macro_candidates(db, project, key);
                if extra_words.iter().any(|w| words.contains(*w)) {
                    reached.insert((pkg.clone(), name.clone()));
                }
            }
        }
    }
    let reached = with_callers(db, project, &reached);
    let mut words = words_naming(&index, &reached);
    words.extend(extra_words.iter().map(|w| (*w).to_string()));
    words
}
