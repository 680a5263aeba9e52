//! Where a generic test was declared: the entry of a `data_tests:`/`tests:` list in a
//! properties yml file, found by scanning the file's lines (the parsed properties keep no
//! positions). A finding in a generic test's compiled SQL is reported there, because the
//! SQL itself comes from a macro the user did not write.
//!
//! The scan follows indentation: the section (`models:`, `sources:`, ...), the node's
//! entry (`- name: orders`), the column's entry when the test is on a column, then the
//! test list under it and the item naming the test (`- not_null`, `- dbt_utils.x:`,
//! `- test_name: x`). Each step falls back to the last place found.

use crate::diagnostics::Span;
use crate::project::nodes::TestInfo;

/// One non-blank, non-comment line: its byte offset, indent and text after the indent.
#[derive(Clone, Copy)]
struct Line<'a> {
    offset: usize,
    indent: usize,
    text: &'a str,
}

impl<'a> Line<'a> {
    /// The text after a leading `- ` (list item), and the item's extra indent.
    fn item(&self) -> Option<&'a str> {
        self.text
            .strip_prefix('-')
            .filter(|rest| rest.is_empty() || rest.starts_with([' ', '\t']))
            .map(str::trim_start)
    }

    /// The text with any list dash removed, and the indent of that text.
    fn body(&self) -> (&'a str, usize) {
        match self.item() {
            Some(rest) => (rest, self.indent + (self.text.len() - rest.len())),
            None => (self.text, self.indent),
        }
    }
}

fn lines(text: &str) -> Vec<Line<'_>> {
    let mut out = Vec::new();
    let mut offset = 0;
    for raw in text.split_inclusive('\n') {
        let line = raw.trim_end_matches(['\n', '\r']);
        let trimmed = line.trim_start();
        if !trimmed.is_empty() && !trimmed.starts_with('#') {
            out.push(Line {
                offset,
                indent: line.len() - trimmed.len(),
                text: trimmed,
            });
        }
        offset += raw.len();
    }
    out
}

/// A scalar value as written: quotes and a trailing comment removed.
fn scalar(value: &str) -> &str {
    let value = value.trim();
    for q in ['"', '\''] {
        if let Some(rest) = value.strip_prefix(q)
            && let Some(end) = rest.find(q)
        {
            return &rest[..end];
        }
    }
    value.split(" #").next().unwrap_or(value).trim()
}

/// The value of `key: value` on this line (after any list dash).
fn value_of<'a>(line: &Line<'a>, key: &str) -> Option<&'a str> {
    let (body, _) = line.body();
    let rest = body.strip_prefix(key)?.trim_start().strip_prefix(':')?;
    Some(scalar(rest))
}

/// The lines after `at` that belong to it: up to the next line indented no deeper than
/// `indent` (the item's dash or the key).
fn block_end(lines: &[Line<'_>], at: usize, indent: usize) -> usize {
    lines[at + 1..]
        .iter()
        .position(|l| l.indent <= indent)
        .map_or(lines.len(), |p| at + 1 + p)
}

/// A list entry named `name` within `lines[range]`, the least indented one.
fn entry(lines: &[Line<'_>], range: std::ops::Range<usize>, name: &str) -> Option<Entry> {
    let found = range
        .clone()
        .filter(|&i| value_of(&lines[i], "name").is_some_and(|v| v == name))
        .min_by_key(|&i| lines[i].body().1)
        .or_else(|| {
            range
                .clone()
                .filter(|&i| {
                    value_of(&lines[i], "name").is_some_and(|v| v.eq_ignore_ascii_case(name))
                })
                .min_by_key(|&i| lines[i].body().1)
        })?;
    let key_indent = lines[found].body().1;
    // The item's dash is on this line or on an earlier line of the same mapping.
    let dash = (range.start..=found)
        .rev()
        .find(|&i| lines[i].item().is_some() && lines[i].body().1 == key_indent)?;
    let end = block_end(lines, dash, lines[dash].indent).min(range.end);
    Some(Entry {
        name_line: found,
        dash,
        end,
        key_indent,
    })
}

/// A mapping in a list: the line of its `name:`, the line of its dash, the end of its
/// block, and the indent of its keys.
struct Entry {
    name_line: usize,
    dash: usize,
    end: usize,
    key_indent: usize,
}

/// The lines of the top-level section `key:` (e.g. `models:`).
fn section(lines: &[Line<'_>], key: &str) -> Option<std::ops::Range<usize>> {
    let at = lines
        .iter()
        .position(|l| l.indent == 0 && value_of(l, key).is_some())?;
    Some(at + 1..block_end(lines, at, 0))
}

/// The item of a test list under an entry (keys at `key_indent`) that names one of
/// `names`: (its line, the end of its block, the byte range of the name).
fn test_item(
    lines: &[Line<'_>],
    range: std::ops::Range<usize>,
    key_indent: usize,
    names: &[String],
    custom: Option<&str>,
) -> Option<(usize, usize, std::ops::Range<usize>)> {
    let mut candidates = Vec::new();
    for i in range.clone() {
        let l = &lines[i];
        if l.indent != key_indent
            || (value_of(l, "data_tests").is_none() && value_of(l, "tests").is_none())
        {
            continue;
        }
        // A flow list on the key's line: `data_tests: [unique, not_null]`.
        let inline = value_of(l, "data_tests")
            .or_else(|| value_of(l, "tests"))
            .unwrap_or("");
        if inline.starts_with('[') {
            let line_start = l.offset + l.indent;
            let text = l.text;
            let open = text.find('[').unwrap_or(0);
            for n in names {
                if let Some(span) = token_in_line(text, open, n)
                    .map(|at| line_start + at..line_start + at + n.len())
                {
                    candidates.push((i, i + 1, span));
                }
            }
            continue;
        }
        let end = block_end(lines, i, key_indent).min(range.end);
        let Some(item_indent) = lines[i + 1..end].iter().map(|l| l.indent).min() else {
            continue;
        };
        for j in i + 1..end {
            let item = &lines[j];
            if item.indent != item_indent {
                continue;
            }
            let Some(rest) = item.item() else { continue };
            let head = scalar(rest.split(':').next().unwrap_or(rest));
            let item_end = block_end(lines, j, item.indent).min(end);
            let named = names.iter().any(|n| n == head)
                || lines[j..item_end].iter().any(|l| {
                    value_of(l, "test_name").is_some_and(|v| names.iter().any(|n| n == v))
                });
            if named {
                let start = item.offset + item.indent + (item.text.len() - rest.len());
                let len = if head == "test_name" {
                    rest.len()
                } else {
                    head.len()
                };
                candidates.push((j, item_end, start..start + len));
            }
        }
    }
    let custom_match = custom.and_then(|c| {
        candidates.iter().find(|(j, e, _)| {
            lines[*j..*e]
                .iter()
                .any(|l| value_of(l, "name").is_some_and(|v| v == c))
        })
    });
    custom_match.or(candidates.first()).cloned()
}

/// The offset of `name` as a whole item of a flow list in `text`, after `from`.
fn token_in_line(text: &str, from: usize, name: &str) -> Option<usize> {
    let is_word = |c: char| c.is_alphanumeric() || c == '_' || c == '.';
    text.match_indices(name).map(|(i, _)| i).find(|&i| {
        i > from
            && !text[..i].chars().next_back().is_some_and(is_word)
            && !text[i + name.len()..].chars().next().is_some_and(is_word)
    })
}

/// Where a generic test is declared in its properties file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestOrigin {
    /// The test's item (`- not_null`), or the closest enclosing entry found.
    pub entry: Span,
    /// The column's `name:` value, for a test on a column.
    pub column: Option<Span>,
    /// Byte range of the test item's lines (its arguments), to look tokens up in.
    pub item: Option<std::ops::Range<usize>>,
}

/// Finds `test`'s entry in the properties file `yml`; None when not even the node's entry
/// is found.
pub fn locate(yml: &str, test: &TestInfo) -> Option<TestOrigin> {
    let lines = lines(yml);
    let node = if test.attached_is_source {
        let (source, table) = test.attached_name.split_once('.')?;
        let src = entry(&lines, section(&lines, "sources")?, source)?;
        entry(&lines, src.name_line + 1..src.end, table)?
    } else {
        ["models", "seeds", "snapshots", "analyses"]
            .iter()
            .filter_map(|s| section(&lines, s))
            .find_map(|r| entry(&lines, r, &test.attached_name))?
    };
    let value_span = |i: usize, key: &str| {
        let l = &lines[i];
        let v = value_of(l, key)?;
        let line_text = &yml[l.offset..l.offset + l.indent + l.text.len()];
        let at = line_text.rfind(v)?;
        Some(Span::from_range(
            yml,
            l.offset + at,
            l.offset + at + v.len(),
        ))
    };
    let mut best = value_span(node.name_line, "name")?;
    let mut column = None;
    let mut scope = node;
    if let Some(col) = &test.column_name
        && let Some(c) = entry(&lines, scope.name_line + 1..scope.end, col)
    {
        column = value_span(c.name_line, "name");
        if let Some(s) = &column {
            best = s.clone();
        }
        scope = c;
    }
    let mut names = vec![test.test_name.clone()];
    if let Some(ns) = &test.namespace {
        names.insert(0, format!("{ns}.{}", test.test_name));
    }
    let custom = test
        .config
        .get("__custom_name")
        .and_then(serde_json::Value::as_str);
    let mut item = None;
    if let Some((j, end, name)) = test_item(
        &lines,
        scope.dash..scope.end,
        scope.key_indent,
        &names,
        custom,
    ) {
        best = Span::from_range(yml, name.start, name.end);
        let last = &lines[end - 1];
        item = Some(lines[j].offset..last.offset + last.indent + last.text.len());
    }
    Some(TestOrigin {
        entry: best,
        column,
        item,
    })
}

/// The span of `token` as a whole word inside `range` of `yml` (an argument of the test).
pub fn token_in(yml: &str, range: &std::ops::Range<usize>, token: &str) -> Option<Span> {
    let token = token.trim_matches('"');
    if token.is_empty() {
        return None;
    }
    let text = yml.get(range.clone())?;
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(token).map(|(i, _)| i).find_map(|i| {
        let before = text[..i].chars().next_back();
        let after = text[i + token.len()..].chars().next();
        (!before.is_some_and(is_word) && !after.is_some_and(is_word))
            .then(|| Span::from_range(yml, range.start + i, range.start + i + token.len()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use indexmap::IndexMap;

    fn info(attached: &str, column: Option<&str>, ns: Option<&str>, name: &str) -> TestInfo {
        TestInfo {
            namespace: ns.map(str::to_string),
            test_name: name.to_string(),
            kwargs: IndexMap::new(),
            config: IndexMap::new(),
            column_name: column.map(str::to_string),
            attached_name: attached.to_string(),
            attached_is_source: attached.contains('.'),
            description: String::new(),
        }
    }

    const YML: &str = "version: 2\nsources:\n  - name: raw\n    tables:\n      - name: orders\n        columns:\n          - name: id\n            data_tests: [unique]\n          - name: status\n            tests:\n              - not_null\nmodels:\n  - name: status\n    data_tests:\n      - dbt_utils.expression_is_true:\n          arguments:\n            expression: \"amount > 0\"\n    columns:\n      - name: id\n        data_tests:\n          - unique\n          - not_null\n      - name: customer_id\n        data_tests:\n          - relationships:\n              arguments:\n                to: ref('customers')\n                field: idd\n";

    fn at(span: &Span) -> (usize, usize, &str) {
        (span.line, span.column, &YML[span.start..span.end])
    }

    #[test]
    fn finds_column_and_model_level_tests() {
        let o = locate(YML, &info("status", Some("id"), None, "not_null")).unwrap();
        assert_eq!(at(&o.entry), (22, 13, "not_null"));
        assert_eq!(at(o.column.as_ref().unwrap()), (19, 15, "id"));
        let o = locate(
            YML,
            &info("status", None, Some("dbt_utils"), "expression_is_true"),
        )
        .unwrap();
        assert_eq!(at(&o.entry), (15, 9, "dbt_utils.expression_is_true"));
        let o = locate(
            YML,
            &info("status", Some("customer_id"), None, "relationships"),
        )
        .unwrap();
        assert_eq!(at(&o.entry), (25, 13, "relationships"));
        let field = token_in(YML, o.item.as_ref().unwrap(), "idd").unwrap();
        assert_eq!(at(&field), (28, 24, "idd"));
    }

    #[test]
    fn finds_source_tests_and_falls_back_to_the_column() {
        let o = locate(YML, &info("raw.orders", Some("status"), None, "not_null")).unwrap();
        assert_eq!(at(&o.entry), (11, 17, "not_null"));
        // An item of a flow list.
        let o = locate(YML, &info("raw.orders", Some("id"), None, "unique")).unwrap();
        assert_eq!(at(&o.entry), (8, 26, "unique"));
        // A test the entry does not list: the column entry stands in.
        let o = locate(YML, &info("raw.orders", Some("id"), None, "not_null")).unwrap();
        assert_eq!(at(&o.entry), (7, 19, "id"));
        assert!(locate(YML, &info("nope", None, None, "unique")).is_none());
    }
}
