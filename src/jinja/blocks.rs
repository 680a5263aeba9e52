//! Finding dbt's top-level blocks in a file: `{% macro %}`, `{% test %}`, `{% docs %}`,
//! `{% materialization %}`, `{% snapshot %}`. dbt ignores text outside of blocks in macro
//! files; so do we.

/// A `{% kind name ... %} ... {% endkind %}` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub kind: String,
    pub name: String,
    /// Byte range of the whole block, from `{%` of the opening tag to `%}` of the end tag.
    pub start: usize,
    pub end: usize,
    /// Byte range of the body between the tags.
    pub body_start: usize,
    pub body_end: usize,
    /// The opening tag's text after the kind (e.g. `name(a, b=1)`).
    pub header: String,
}

/// One `{% ... %}` tag: (start, end after `%}`, inner text trimmed of `-`/`+` and space).
fn next_tag(text: &str, mut pos: usize) -> Option<(usize, usize, &str)> {
    loop {
        let rel = text[pos..].find(['{'])?;
        let start = pos + rel;
        let rest = &text[start..];
        if rest.starts_with("{#") {
            let close = rest.find("#}").map(|i| start + i + 2).unwrap_or(text.len());
            pos = close;
            continue;
        }
        if rest.starts_with("{%") {
            let close = find_tag_end(text, start + 2)?;
            let inner = text[start + 2..close - 2]
                .trim_start_matches(['-', '+'])
                .trim_end_matches(['-', '+'])
                .trim();
            return Some((start, close, inner));
        }
        pos = start + 1;
    }
}

/// The position after the `%}` closing a tag that starts before `from`, skipping strings.
fn find_tag_end(text: &str, from: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = from;
    let mut quote: Option<u8> = None;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(_) if b == b'\\' => i += 1,
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'\'' || b == b'"' => quote = Some(b),
            None if b == b'%' && bytes.get(i + 1) == Some(&b'}') => return Some(i + 2),
            None => {}
        }
        i += 1;
    }
    None
}

fn word(s: &str) -> (&str, &str) {
    let end = s
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    (&s[..end], &s[end..])
}

const BLOCK_KINDS: &[&str] = &[
    "macro",
    "test",
    "docs",
    "materialization",
    "snapshot",
    "data_test",
];

/// Every top-level block of the kinds dbt knows, in file order. Unterminated blocks are
/// returned as errors (kind, name, start).
pub fn find_blocks(text: &str) -> (Vec<Block>, Vec<(String, String, usize)>) {
    let mut blocks = Vec::new();
    let mut errors = Vec::new();
    let mut pos = 0;
    while let Some((start, end, inner)) = next_tag(text, pos) {
        pos = end;
        let (kind, rest) = word(inner);
        if kind == "raw" {
            // Skip to endraw.
            while let Some((_, e, inner)) = next_tag(text, pos) {
                pos = e;
                if inner == "endraw" {
                    break;
                }
            }
            continue;
        }
        if !BLOCK_KINDS.contains(&kind) {
            continue;
        }
        let header = rest.trim().to_string();
        let (name, _) = word(rest.trim_start());
        let end_kind = format!("end{kind}");
        let mut depth = 0usize;
        let mut found = None;
        let mut scan = end;
        while let Some((s, e, inner)) = next_tag(text, scan) {
            scan = e;
            let (w, _) = word(inner);
            if w == kind {
                depth += 1;
            } else if w == end_kind {
                if depth == 0 {
                    found = Some((s, e));
                    break;
                }
                depth -= 1;
            }
        }
        match found {
            Some((s, e)) => {
                blocks.push(Block {
                    kind: kind.to_string(),
                    name: name.to_string(),
                    start,
                    end: e,
                    body_start: end,
                    body_end: s,
                    header,
                });
                pos = e;
            }
            None => {
                errors.push((kind.to_string(), name.to_string(), start));
                pos = text.len();
            }
        }
    }
    (blocks, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_macros_and_tests() {
        let text = "{# {% macro no() %} #}\n{% macro a(x) %}{% if x %}1{% endif %}{% endmacro %}\n{%- test t(model) -%}select 1{%- endtest -%}";
        let (blocks, errors) = find_blocks(text);
        assert!(errors.is_empty());
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0].name, "a");
        assert_eq!(blocks[0].header, "a(x)");
        assert_eq!(blocks[1].kind, "test");
        assert_eq!(&text[blocks[1].body_start..blocks[1].body_end], "select 1");
    }

    #[test]
    fn unterminated_is_reported() {
        let (blocks, errors) = find_blocks("{% macro a() %} x");
        assert!(blocks.is_empty());
        assert_eq!(errors[0].1, "a");
    }
}
