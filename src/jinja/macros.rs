//! Macros: extraction from macro files, the macro index (name -> package, file), and each
//! macro's template source as its own salsa value, so an edit to one macro re-renders only
//! the nodes that call it.

use std::collections::BTreeSet;
use std::sync::{Arc, LazyLock};

use indexmap::IndexMap;

use super::blocks::find_blocks;
use super::compat::{declare_extra_args, rewrite_template};
use crate::db::{Db, File, MacroKey, Project};
use crate::diagnostics::{Diagnostic, Span, codes};
use crate::project::config::project_config;
use crate::project::nodes::node_index;

/// The package name under which dbtc's built-in macros live.
pub const INTERNAL_PACKAGE: &str = "dbt";

/// One macro (or generic test, as `test_<name>`) found in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MacroDef {
    pub name: String,
    /// Template text: the `{% macro %}...{% endmacro %}` block, rewritten for compatibility.
    pub source: Arc<str>,
    /// 1-based line of the block in its file.
    pub line: usize,
    /// Byte offset of the block in its file.
    pub offset: usize,
}

/// The macros and docs blocks of one file, plus diagnostics for unterminated blocks.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FileMacros {
    pub macros: Vec<MacroDef>,
    pub docs: Vec<(String, String)>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Splits a macro file's text into its blocks.
pub fn extract_macros(text: &str, path: Option<&std::path::Path>) -> FileMacros {
    let (blocks, errors) = find_blocks(text);
    let mut out = FileMacros::default();
    for block in blocks {
        let line = text[..block.start].matches('\n').count() + 1;
        match block.kind.as_str() {
            "macro" => out.macros.push(MacroDef {
                name: block.name.clone(),
                source: Arc::from(rewrite_template(&declare_extra_args(
                    &text[block.start..block.end],
                ))),
                line,
                offset: block.start,
            }),
            "test" | "data_test" => {
                let args = block.header[block.name.len()..].trim();
                let args = if args.is_empty() { "()" } else { args };
                let body = &text[block.body_start..block.body_end];
                // The tags' whitespace control (`{%- test ... -%}`, `{%- endtest %}`) trims
                // the body as it does in dbt, so it carries over to the macro's tags.
                let open_trim = if text[..block.body_start].ends_with("-%}") {
                    "-"
                } else {
                    ""
                };
                let close_trim = if text[block.body_end..].starts_with("{%-") {
                    "-"
                } else {
                    ""
                };
                let src = format!(
                    "{{% macro test_{}{} {open_trim}%}}{}{{%{close_trim} endmacro %}}",
                    block.name, args, body
                );
                out.macros.push(MacroDef {
                    name: format!("test_{}", block.name),
                    source: Arc::from(rewrite_template(&declare_extra_args(&src))),
                    line,
                    offset: block.start,
                });
            }
            "docs" => out.docs.push((
                block.name.clone(),
                text[block.body_start..block.body_end].to_string(),
            )),
            _ => {}
        }
    }
    for (kind, name, start) in errors {
        let mut diag = Diagnostic::error(
            codes::JINJA_SYNTAX,
            format!("`{{% {kind} {name} %}}` is never closed"),
        )
        .with_hint(format!("add `{{% end{kind} %}}` after the block's body"));
        if let Some(path) = path {
            diag = diag.at(path, Some(Span::from_range(text, start, start + 2)));
        }
        out.diagnostics.push(diag);
    }
    out
}

/// The blocks of one macro file. Reads that file's text only.
#[salsa::tracked(returns(ref))]
pub fn file_macros(db: &dyn Db, file: File) -> FileMacros {
    extract_macros(file.text(db), Some(file.path(db)))
}

/// Where a macro is defined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MacroLoc {
    File(File),
    Builtin(usize),
}

/// Every macro by package and name (position-free: editing a macro's body leaves it equal).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MacroIndex {
    pub packages: IndexMap<String, IndexMap<String, MacroLoc>>,
    pub root_package: String,
    /// Word -> macros it may name: the macro's own name, and for `prefix__name` also `name`
    /// (dispatch candidates). Used to preload the macros a render may call.
    pub by_word: std::collections::HashMap<String, Vec<(String, String)>>,
    pub diagnostics: Vec<Diagnostic>,
}

impl MacroIndex {
    pub fn get(&self, package: &str, name: &str) -> Option<MacroLoc> {
        self.packages.get(package)?.get(name).copied()
    }

    /// dbt's bare-name lookup from a node of `local` package: the local package, then the
    /// root project, then the built-ins.
    pub fn resolve(&self, local: &str, name: &str) -> Option<(String, MacroLoc)> {
        for pkg in [local, self.root_package.as_str(), INTERNAL_PACKAGE] {
            if let Some(loc) = self.get(pkg, name) {
                return Some((pkg.to_string(), loc));
            }
        }
        None
    }
}

/// The built-in macros dbtc ships (package `dbt`), parsed once.
pub static BUILTINS: LazyLock<Vec<MacroDef>> = LazyLock::new(|| {
    let mut out = Vec::new();
    for (_, text) in super::builtin_files::FILES {
        out.extend(extract_macros(text, None).macros);
    }
    out
});

/// Macro name -> location for the project, its packages and the built-ins. Reads every
/// macro file's blocks.
#[salsa::tracked(returns(clone))]
pub fn macro_index(db: &dyn Db, project: Project) -> Arc<MacroIndex> {
    let config = project_config(db, project);
    let index = node_index(db, project);
    let mut out = MacroIndex {
        root_package: config.root.name.clone(),
        ..MacroIndex::default()
    };
    let builtins = out
        .packages
        .entry(INTERNAL_PACKAGE.to_string())
        .or_default();
    for (i, def) in BUILTINS.iter().enumerate() {
        builtins.insert(def.name.clone(), MacroLoc::Builtin(i));
    }
    for (package, file) in &index.macro_files {
        let macros = file_macros(db, *file);
        out.diagnostics.extend(macros.diagnostics.iter().cloned());
        let entry = out.packages.entry(package.clone()).or_default();
        for def in &macros.macros {
            if let Some(MacroLoc::File(other)) = entry.get(&def.name)
                && *other != *file
            {
                out.diagnostics.push(
                    Diagnostic::error(
                        codes::DUPLICATE,
                        format!(
                            "macro `{}` is defined twice in package `{package}`",
                            def.name
                        ),
                    )
                    .at(
                        file.path(db),
                        Some(Span::from_range(file.text(db), def.offset, def.offset + 2)),
                    )
                    .with_label(
                        other.path(db).clone(),
                        Span::default(),
                        "first defined here",
                    )
                    .with_hint("rename or remove one of the definitions"),
                );
                continue;
            }
            entry.insert(def.name.clone(), MacroLoc::File(*file));
        }
    }
    let mut by_word: std::collections::HashMap<String, Vec<(String, String)>> = Default::default();
    for (package, macros) in &out.packages {
        for name in macros.keys() {
            let pair = (package.clone(), name.clone());
            by_word.entry(name.clone()).or_default().push(pair.clone());
            if let Some((_, suffix)) = name.split_once("__") {
                by_word.entry(suffix.to_string()).or_default().push(pair);
            }
        }
    }
    out.by_word = by_word;
    Arc::new(out)
}

/// A macro's template: a content-addressed template name and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MacroSource {
    pub template_name: String,
    pub text: Arc<str>,
}

/// The template source of one macro. Reads the macro index and the blocks of the macro's
/// file; backdates when the macro's own text is unchanged.
#[salsa::tracked(returns(ref))]
pub fn macro_source(db: &dyn Db, project: Project, key: MacroKey) -> Option<MacroSource> {
    let index = macro_index(db, project);
    let def = match index.get(key.package(db), key.name(db))? {
        MacroLoc::Builtin(i) => BUILTINS.get(i)?.clone(),
        MacroLoc::File(file) => file_macros(db, file)
            .macros
            .iter()
            .find(|m| &m.name == key.name(db))?
            .clone(),
    };
    let hash = crate::project::generic_tests::md5_hex(&def.source);
    Some(MacroSource {
        template_name: format!("{}.{}#{}", key.package(db), key.name(db), &hash[..12]),
        text: def.source,
    })
}

/// Where a macro's block starts (file and line), for mapping errors. Read only on error
/// paths so ordinary renders do not depend on positions.
pub fn macro_position(
    db: &dyn Db,
    project: Project,
    package: &str,
    name: &str,
) -> Option<(std::path::PathBuf, usize, Arc<str>)> {
    match macro_index(db, project).get(package, name)? {
        MacroLoc::Builtin(i) => Some((
            std::path::PathBuf::from(format!("<dbtc built-in>/{}", BUILTINS.get(i)?.name)),
            1,
            BUILTINS.get(i)?.source.clone(),
        )),
        MacroLoc::File(file) => {
            let def = file_macros(db, file)
                .macros
                .iter()
                .find(|m| m.name == name)?
                .clone();
            Some((file.path(db).clone(), def.line, file.text(db).clone()))
        }
    }
}

/// Words in a template that may name a macro: identifiers and string literal contents.
/// An over-approximation used to preload the macros a render will probably call.
pub fn candidate_names(source: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = source;
    while let Some(open) = rest.find(['{']) {
        let after = &rest[open..];
        let close = if after.starts_with("{{") {
            after.find("}}")
        } else if after.starts_with("{%") {
            after.find("%}")
        } else {
            rest = &rest[open + 1..];
            continue;
        };
        let Some(close) = close else { break };
        let inner = &after[2..close];
        // Words are slices of `inner`; only a word not seen yet is allocated.
        for word in inner.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
            if !word.is_empty() && !out.contains(word) {
                out.insert(word.to_string());
            }
        }
        rest = &after[close + 2..];
    }
    out
}

/// The names a macro's body may call (see [`candidate_names`]). Backdates with the source.
#[salsa::tracked(returns(ref))]
pub fn macro_candidates(db: &dyn Db, project: Project, key: MacroKey) -> BTreeSet<String> {
    macro_source(db, project, key)
        .as_ref()
        .map(|s| candidate_names(&s.text))
        .unwrap_or_default()
}
