//! YAML loading (serde-saphyr): YAML 1.1 booleans like PyYAML, duplicate keys last-wins,
//! errors as diagnostics with file:line:col.

use std::path::Path;

use serde_json::Value;
use serde_saphyr::DuplicateKeyPolicy;

use crate::diagnostics::{Diagnostic, Span, codes};

/// PyYAML (what dbt reads YAML with) takes `yes/no/on/off` as booleans but keeps the
/// one-letter `y`/`n` as strings, while serde-saphyr's YAML 1.1 mode reads them as
/// booleans. Quote plain one-letter `y`/`Y`/`n`/`N` values so they stay strings (a common
/// case: `accepted_values: {values: [y, n]}`). Block scalars and quoted text are left alone.
fn quote_short_bools(text: &str) -> std::borrow::Cow<'_, str> {
    let is_flag = |c: u8| matches!(c, b'y' | b'Y' | b'n' | b'N');
    if !text.bytes().any(is_flag) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut block_indent: Option<usize> = None;
    let mut changed = false;
    for line in text.split_inclusive('\n') {
        let indent = line.len() - line.trim_start().len();
        let content = line.trim_end_matches(['\n', '\r']);
        if let Some(bi) = block_indent {
            if content.trim().is_empty() || indent > bi {
                out.push_str(line);
                continue;
            }
            block_indent = None;
        }
        let bytes = content.as_bytes();
        let mut quote: Option<u8> = None;
        let mut start = 0;
        let mut i = 0;
        while i < bytes.len() {
            let c = bytes[i];
            match quote {
                Some(q) if c == q => quote = None,
                Some(_) => {}
                None if c == b'#' && (i == 0 || bytes[i - 1] == b' ') => break,
                None if c == b'\'' || c == b'"' => quote = Some(c),
                None if is_flag(c) => {
                    let before_ok =
                        i == 0 || matches!(bytes[i - 1], b' ' | b'\t' | b'[' | b',' | b'{');
                    let rest = content[i + 1..].trim_start();
                    let after_ok = rest.is_empty() || rest.starts_with([',', ']', '}', '#']);
                    let prefix = content[..i].trim_end();
                    let value_position =
                        prefix.is_empty() || prefix.ends_with([':', '-', '[', ',', '{']);
                    if before_ok && after_ok && value_position {
                        out.push_str(&content[start..i]);
                        out.push('\'');
                        out.push(c as char);
                        out.push('\'');
                        start = i + 1;
                        changed = true;
                    }
                }
                None => {}
            }
            i += 1;
        }
        out.push_str(&line[start..]);
        let trimmed = content.trim_end();
        if ["|", ">", "|-", ">-", "|+", ">+"]
            .iter()
            .any(|m| trimmed.ends_with(m))
        {
            block_indent = Some(indent);
        }
    }
    if changed {
        std::borrow::Cow::Owned(out)
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// Parses `text` into a JSON-like value (key order preserved). An empty document is `Null`.
#[expect(
    clippy::result_large_err,
    reason = "a Diagnostic is the error; these run once per file, not on a hot path"
)]
pub fn parse_yaml(text: &str, path: &Path) -> Result<Value, Diagnostic> {
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    let text: &str = &quote_short_bools(text);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Value {
        parse_yaml(text, Path::new("t.yml")).expect("valid yaml")
    }

    #[test]
    fn booleans_like_pyyaml() {
        let v = parse("a: yes\nb: off\nc: y\nd: [y, n, 'Y']\ne: N # comment\nf: true\n");
        assert_eq!(v["a"], Value::Bool(true));
        assert_eq!(v["b"], Value::Bool(false));
        assert_eq!(v["c"], Value::from("y"));
        assert_eq!(v["d"], serde_json::json!(["y", "n", "Y"]));
        assert_eq!(v["e"], Value::from("N"));
        assert_eq!(v["f"], Value::Bool(true));
    }

    #[test]
    fn block_scalars_and_words_untouched() {
        let v = parse("desc: |\n  y\n  n\nname: yak\nlist:\n  - n\n");
        assert_eq!(v["desc"], Value::from("y\nn\n"));
        assert_eq!(v["name"], Value::from("yak"));
        assert_eq!(v["list"], serde_json::json!(["n"]));
    }
}
