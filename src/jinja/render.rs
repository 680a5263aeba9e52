//! Running one render: preloading the macros a template may call (as salsa reads, so the
//! render depends on exactly those macros), retrying when a render needs a macro that was
//! not predicted, and turning minijinja errors into diagnostics at file:line:col.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use super::context::{Collected, DbtContext, MISSING_MARKER, RenderInput, RenderState};
use super::env::{ENV, error_message, is_return, register_template};
use super::macros::{
    MacroIndex, MacroSource, candidate_names, macro_candidates, macro_index, macro_position,
    macro_source,
};
use crate::db::{Db, MacroKey, Project};
use crate::diagnostics::{Diagnostic, Span, codes};

/// Where the template being rendered came from, for error positions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateOrigin {
    pub file: PathBuf,
    /// 1-based line of the template's first line in the file.
    pub line_offset: usize,
    /// Text to search for in the file to find the first line, only when an error is
    /// reported (generic tests point at their yml entry; searching every render is slow).
    pub locate: Option<String>,
    /// The file, whose text is read only to place an error (a generic test's render must
    /// not depend on its yml file's text, or any yml edit would re-render its tests).
    pub source_file: Option<crate::db::File>,
}

impl TemplateOrigin {
    /// The file's text (empty when there is no file).
    pub fn text(&self, db: &dyn Db) -> Arc<str> {
        self.source_file
            .map(|f| f.text(db).clone())
            .unwrap_or_else(|| Arc::from(""))
    }

    /// The 1-based line in the file where the template starts.
    pub fn first_line(&self, db: &dyn Db) -> usize {
        match &self.locate {
            Some(needle) => crate::project::yaml::find_line(&self.text(db), needle)
                .map_or(self.line_offset, |s| s.line),
            None => self.line_offset,
        }
    }
}

/// The result of a render.
#[derive(Debug)]
pub struct RenderResult {
    pub output: Result<String, Diagnostic>,
    pub collected: Collected,
    pub macros_read: BTreeSet<(String, String)>,
}

/// The macros `words` may name, from a node of `package`.
fn resolve_words(
    index: &MacroIndex,
    words: &BTreeSet<String>,
    out: &mut BTreeSet<(String, String)>,
) {
    for word in words {
        if let Some(list) = index.by_word.get(word) {
            out.extend(list.iter().cloned());
        }
    }
}

/// The macro-like words of a template, interned so that templates using the same macros
/// share one [`macro_bundle`] (most generic tests and many models do).
#[salsa::interned(unsafe(no_lifetime), revisions = usize::MAX, debug)]
pub struct WordSet {
    #[returns(ref)]
    pub words: Vec<String>,
}

/// The macros a template with these words may call (its words, then the words of those
/// macros, transitively), with their sources. Reads the macro index and, for every
/// predicted macro, its candidates and source; one shared memo instead of a dozen
/// dependencies per render keeps re-verification after an edit cheap.
#[salsa::tracked(returns(clone))]
pub fn macro_bundle(
    db: &dyn Db,
    project: Project,
    words: WordSet,
) -> Arc<Vec<((String, String), MacroSource)>> {
    let index = macro_index(db, project);
    let mut predicted = BTreeSet::new();
    for word in words.words(db) {
        if let Some(list) = index.by_word.get(word) {
            predicted.extend(list.iter().cloned());
        }
    }
    let mut queue: Vec<(String, String)> = predicted.iter().cloned().collect();
    while let Some((pkg, name)) = queue.pop() {
        let key = MacroKey::new(db, pkg, name);
        let mut next = BTreeSet::new();
        resolve_words(&index, macro_candidates(db, project, key), &mut next);
        for m in next {
            if predicted.insert(m.clone()) {
                queue.push(m);
            }
        }
    }
    Arc::new(
        predicted
            .into_iter()
            .filter_map(|(pkg, name)| {
                let key = MacroKey::new(db, pkg.clone(), name.clone());
                macro_source(db, project, key)
                    .clone()
                    .map(|src| ((pkg, name), src))
            })
            .collect(),
    )
}

/// The macros a template may call, from its words (see [`macro_bundle`]).
pub fn template_bundle(
    db: &dyn Db,
    project: Project,
    index: &MacroIndex,
    source: &str,
) -> Arc<Vec<((String, String), MacroSource)>> {
    let words: Vec<String> = candidate_names(source)
        .into_iter()
        .filter(|w| index.by_word.contains_key(w))
        .collect();
    macro_bundle(db, project, WordSet::new(db, words))
}

/// Whether a macro that a template with these macro words may call mentions `word`
/// (e.g. `graph`).
pub fn bundle_mentions(db: &dyn Db, project: Project, words: WordSet, word: &str) -> bool {
    bundle_words(db, project, words).contains(word)
}

/// Every word the macros of a bundle mention: one memo per word set, shared by the
/// templates that call the same macros (instead of a lookup per macro and render).
#[salsa::tracked(returns(ref))]
fn bundle_words(db: &dyn Db, project: Project, words: WordSet) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for ((pkg, name), _) in macro_bundle(db, project, words).iter() {
        out.extend(
            macro_candidates(db, project, MacroKey::new(db, pkg.clone(), name.clone()))
                .iter()
                .cloned(),
        );
    }
    out
}

/// Renders `source` with the dbt context of `input`.
pub fn render(
    db: &dyn Db,
    project: Project,
    input: RenderInput,
    template_name: &str,
    source: &str,
    origin: &TemplateOrigin,
) -> RenderResult {
    let source = super::compat::rewrite_template(source);
    let bundle = template_bundle(db, project, &input.macros, &source);
    render_with_bundle(db, project, input, template_name, &source, &bundle, origin)
}

/// Renders a node's prepared template (its rewrite and macro words computed once for
/// both of its renders) with the dbt context of `input`.
pub fn render_node_template(
    db: &dyn Db,
    project: Project,
    input: RenderInput,
    template_name: &str,
    template: &super::node_template::NodeTemplate,
) -> RenderResult {
    let bundle = macro_bundle(db, project, template.words);
    let origin = &template.origin;
    render_with_bundle(
        db,
        project,
        input,
        template_name,
        &template.source,
        &bundle,
        origin,
    )
}

/// Renders `source` (already rewritten for minijinja), with the macros of `bundle`
/// preloaded.
fn render_with_bundle(
    db: &dyn Db,
    project: Project,
    mut input: RenderInput,
    template_name: &str,
    source: &str,
    bundle: &[((String, String), MacroSource)],
    origin: &TemplateOrigin,
) -> RenderResult {
    let index = Arc::clone(&input.macros);
    // The macros loaded so far, as the render sees them.
    input.templates = HashMap::new();
    for (key, src) in bundle.iter() {
        register_template(&src.template_name, &src.text);
        input
            .templates
            .insert(key.clone(), src.template_name.clone());
    }
    let mut wanted: BTreeSet<(String, String)> = input.templates.keys().cloned().collect();
    for _attempt in 0..64 {
        for (pkg, name) in &wanted {
            if input.templates.contains_key(&(pkg.clone(), name.clone())) {
                continue;
            }
            let key = MacroKey::new(db, pkg.clone(), name.clone());
            if let Some(src) = macro_source(db, project, key) {
                register_template(&src.template_name, &src.text);
                input
                    .templates
                    .insert((pkg.clone(), name.clone()), src.template_name.clone());
            }
        }
        let rs = Arc::new(RenderState {
            input,
            collected: Mutex::new(Collected::default()),
            returns: Mutex::new(Vec::new()),
        });
        let result = ENV
            .template_from_named_str(template_name, source)
            .and_then(|tmpl| tmpl.render(DbtContext::value(&rs)));
        let mut collected = std::mem::take(&mut *rs.collect());
        // The input back (the template and its values are gone by now; cloned otherwise).
        input = Arc::try_unwrap(rs).map_or_else(|rs| rs.input.clone(), |state| state.input);
        if let Some(missing) = collected.missing.take()
            && !input.templates.contains_key(&missing)
            && index.get(&missing.0, &missing.1).is_some()
            && !wanted.contains(&missing)
        {
            wanted.insert(missing);
            continue;
        }
        let output = match result {
            Ok(sql) => Ok(sql),
            Err(err) if is_return(&err) => Ok(String::new()),
            Err(err) => Err(to_diagnostic(
                db,
                project,
                &err,
                origin,
                &input.unique_id,
                &collected,
            )),
        };
        return RenderResult {
            output,
            collected,
            macros_read: wanted,
        };
    }
    RenderResult {
        output: Err(
            Diagnostic::error(codes::JINJA_RENDER, "macro resolution did not converge")
                .at(&origin.file, None),
        ),
        collected: Collected::default(),
        macros_read: wanted,
    }
}

/// The first line at or after `from` in `text` that mentions `name(` (a call site).
fn call_line(text: &str, from: usize, name: &str) -> usize {
    let call = format!("{name}(");
    text.lines()
        .enumerate()
        .skip(from.saturating_sub(1))
        .find(|(_, l)| l.contains(&call))
        .map_or(from, |(i, _)| i + 1)
}

/// A minijinja error as a diagnostic pointing into the template's file (or the macro's).
fn to_diagnostic(
    db: &dyn Db,
    project: Project,
    err: &minijinja::Error,
    origin: &TemplateOrigin,
    unique_id: &str,
    collected: &Collected,
) -> Diagnostic {
    // Find the innermost error with position info.
    let mut inner = err;
    let mut message = error_message(err);
    while let Some(source) =
        std::error::Error::source(inner).and_then(|s| s.downcast_ref::<minijinja::Error>())
    {
        inner = source;
        message = error_message(inner);
    }
    if err.detail().is_some_and(|d| d.starts_with(MISSING_MARKER)) {
        message = "a macro could not be loaded".into();
    }
    let code = if err.kind() == minijinja::ErrorKind::SyntaxError {
        codes::JINJA_SYNTAX
    } else if err
        .detail()
        .is_some_and(|d| d.starts_with(super::context::COMPILER_ERROR_PREFIX))
    {
        codes::COMPILER_ERROR
    } else {
        codes::JINJA_RENDER
    };
    let in_macro = err
        .name()
        .and_then(|n| n.split_once('#'))
        .and_then(|(qual, _)| qual.split_once('.'));
    let file_text = origin.text(db);
    let mut diag = Diagnostic::error(code, message).for_node(unique_id);
    match (in_macro, err.line()) {
        (Some((pkg, name)), line) => {
            if let Some((file, start_line, text)) = macro_position(db, project, pkg, name) {
                let abs_line = start_line + line.unwrap_or(1) - 1;
                diag = diag.at(&file, Some(Span::from_line(&text, abs_line)));
                diag.message = format!("{} (in macro `{pkg}.{name}`)", diag.message);
            }
            // The chain of macro frames, innermost first: each outer macro, then the node.
            for (outer_pkg, outer_name) in collected.frames.iter().skip(1) {
                if let Some((file, start_line, text)) =
                    macro_position(db, project, outer_pkg, outer_name)
                {
                    let needle = collected
                        .frames
                        .iter()
                        .take_while(|f| f.1 != *outer_name)
                        .last()
                        .map(|f| f.1.as_str())
                        .unwrap_or(name);
                    let line = call_line(&text, start_line, needle);
                    diag = diag.with_label(
                        file,
                        Span::from_line(&text, line),
                        format!("called from macro `{outer_pkg}.{outer_name}`"),
                    );
                }
            }
            let outermost = collected.frames.last().map_or(name, |f| f.1.as_str());
            let line = if origin.locate.is_none() {
                call_line(&file_text, origin.first_line(db), outermost)
            } else {
                origin.first_line(db)
            };
            diag = diag.with_label(
                origin.file.clone(),
                Span::from_line(&file_text, line),
                "called from this node",
            );
        }
        (None, Some(line)) => {
            let abs = origin.first_line(db) + line - 1;
            let mut span = Span::from_line(&file_text, abs);
            if let Some(range) = err.range() {
                // The range is relative to the template source; map when the template is the file.
                if origin.locate.is_none()
                    && origin.line_offset == 1
                    && range.end <= file_text.len()
                {
                    span = Span::from_range(&file_text, range.start, range.end);
                }
            }
            diag = diag.at(&origin.file, Some(span));
            if let Some((pkg, name)) = collected.frames.first() {
                diag.message = format!("{} (in macro `{pkg}.{name}`)", diag.message);
            }
        }
        (None, None) => {
            diag = diag.at(&origin.file, None);
        }
    }
    diag.hint = Some(match code {
        codes::JINJA_SYNTAX => "check the Jinja tags and expressions around this line".into(),
        codes::COMPILER_ERROR => {
            "raised by the project's Jinja (exceptions.raise_compiler_error, ref, source, var)"
                .into()
        }
        _ => "check the Jinja expression on this line".into(),
    });
    diag
}
