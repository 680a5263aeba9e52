//! YAML loading (serde-saphyr): YAML 1.1 booleans like PyYAML, duplicate keys last-wins,
//! errors as diagnostics with file:line:col.

use std::path::Path;

use serde_json::Value;
use serde_saphyr::DuplicateKeyPolicy;

use crate::diagnostics::{Diagnostic, Span, codes};

/// Parses `text` into a JSON-like value (key order preserved). An empty document is `Null`.
#[expect(
    clippy::result_large_err,
    reason = "a Diagnostic is the error; these run once per file, not on a hot path"
)]
pub fn parse_yaml(text: &str, path: &Path) -> Result<Value, Diagnostic> {
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    let options = serde_saphyr::options! {
        duplicate_keys: DuplicateKeyPolicy::LastWins,
    };
    match serde_saphyr::from_str_with_options::<Value>(text, options) {
        Ok(value) => Ok(value),
        Err(err) => {
            let span = err.location().map(|loc| {
                let line = loc.line() as usize;
                let mut s = Span::from_line(text, line);
                s.column = loc.column() as usize;
                s.start = (s.start + s.column.saturating_sub(1)).min(s.end.max(s.start));
                s
            });
            let first_line = err.to_string();
            let first_line = first_line
                .lines()
                .next()
                .unwrap_or("invalid YAML")
                .to_string();
            Err(
                Diagnostic::error(codes::YAML, format!("invalid YAML: {first_line}"))
                    .at(path, span)
                    .with_hint("fix the YAML syntax; dbtc reads YAML like dbt (YAML 1.1)"),
            )
        }
    }
}

/// A string list from a value that may be a string or a list of strings.
pub fn string_list(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| match v {
                Value::String(s) => Some(s.clone()),
                Value::Null => None,
                other => Some(other.to_string()),
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The line (1-based) where `needle` first appears as a YAML key or value, for pointing
/// diagnostics about properties at a useful place.
pub fn find_line(text: &str, needle: &str) -> Option<Span> {
    let pos = text.find(needle)?;
    Some(Span::from_range(text, pos, pos + needle.len()))
}
