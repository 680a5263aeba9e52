//! Renders Jinja that is not a node (a project hook, a `run-operation` call) against the
//! run's connection: `execute` is true, and `run_query`, `statement` blocks and the
//! adapter's introspection run their SQL right away through the connection (see
//! `jit::render_live`). `log()` goes to the running command's console.

use std::path::PathBuf;
use std::sync::Mutex;

use serde_json::Map;

use super::jit::render_live;
use crate::db::{Project, RootDb};
use crate::exec::Adapter;
use crate::jinja::context::Phase;
use crate::jinja::nodes::base_input;
use crate::jinja::render::{TemplateOrigin, render};
use crate::project::nodes::{NodeInfo, ResourceType};

/// A template to render: its name as a node (`operation.pkg.pkg-on-run-start-0`), the
/// package whose macros it sees first, and the file it comes from (for error positions).
pub struct Template<'a> {
    pub unique_id: String,
    pub package: String,
    pub name: String,
    pub file: PathBuf,
    pub source: &'a str,
}

/// `text` as a Jinja string literal.
pub fn jinja_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// Renders `template` with its queries answered by `adapter`; the rendered text, or the
/// render's error message (with the macro and file it was raised in).
pub fn render_with_connection(
    db: &Mutex<RootDb>,
    project: Project,
    adapter: &mut dyn Adapter,
    template: &Template<'_>,
) -> Result<String, String> {
    let node = NodeInfo {
        unique_id: template.unique_id.clone(),
        resource_type: ResourceType::Model,
        package: template.package.clone(),
        name: template.name.clone(),
        path: template.file.display().to_string(),
        original_file_path: template.file.display().to_string(),
        file: None,
        fqn: vec![template.package.clone(), template.name.clone()],
        block: None,
        patch: Default::default(),
        source: None,
        test: None,
        version: None,
        is_latest: false,
    };
    let origin = TemplateOrigin {
        file: template.file.clone(),
        line_offset: 1,
        locate: None,
        source_file: None,
    };
    let render_fn = |_: &str, _: bool, live: crate::jinja::live::Live| {
        let db = db.lock().unwrap_or_else(|e| e.into_inner());
        let mut input = base_input(&*db, project, &node, Phase::Compile, Map::new());
        input.live = Some(live);
        render(
            &*db,
            project,
            input,
            &template.unique_id,
            template.source,
            &origin,
        )
        .output
        .map_err(|d| dbt_message(&d, project.root(&*db)))
    };
    render_live(adapter, &render_fn, &template.unique_id, false)
}

/// A render error worded as dbt words it: `Compilation Error in macro NAME (PATH)` and the
/// message for `exceptions.raise_compiler_error`, the message alone otherwise (without
/// minijinja's kind prefix, which says nothing to a dbt user).
fn dbt_message(d: &crate::diagnostics::Diagnostic, root: &std::path::Path) -> String {
    let message = d
        .message
        .strip_prefix("invalid operation: ")
        .unwrap_or(&d.message);
    if d.code != crate::diagnostics::codes::COMPILER_ERROR {
        return message.to_string();
    }
    let Some((text, rest)) = message.rsplit_once(" (in macro `") else {
        return format!("Compilation Error\n  {message}");
    };
    let name = rest
        .trim_end_matches("`)")
        .rsplit('.')
        .next()
        .unwrap_or_default();
    let path = d
        .file
        .as_deref()
        .map(|f| f.strip_prefix(root).unwrap_or(f).display().to_string())
        .unwrap_or_default();
    format!("Compilation Error in macro {name} ({path})\n  {text}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn string_literal_escapes() {
        assert_eq!(super::jinja_string("a'b\\c\nd"), "'a\\'b\\\\c\\nd'");
    }
}
