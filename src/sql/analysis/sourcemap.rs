//! Maps a position in a node's rendered SQL back to its Jinja template.
//!
//! The render keeps no source map, so this aligns text: a rendered line that appears
//! verbatim in the template (most SQL lines have no Jinja) maps to that line; otherwise
//! the offending token is looked up as a word in the template. The search prefers the
//! occurrence nearest the proportional position, so repeated lines map sensibly.

use crate::diagnostics::Span;

/// The template span for `start..end` in `rendered`; None when nothing in the template
/// matches (the text came from a macro): callers then point at the template's start.
pub fn template_span(template: &str, rendered: &str, start: usize, end: usize) -> Option<Span> {
    let start = start.min(rendered.len());
    let end = end.clamp(start, rendered.len());
    let line_start = rendered[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = rendered[start..]
        .find('\n')
        .map_or(rendered.len(), |i| start + i);
    let line = &rendered[line_start..line_end];
    let rendered_line_no = rendered[..start].matches('\n').count();
    let rendered_lines = rendered.matches('\n').count().max(1);
    let template_lines: Vec<(usize, &str)> = line_offsets(template);
    let expected = rendered_line_no * template_lines.len().max(1) / rendered_lines;

    let trimmed = line.trim();
    if !trimmed.is_empty() {
        let best = template_lines
            .iter()
            .enumerate()
            .filter(|(_, (_, t))| t.trim() == trimmed)
            .min_by_key(|(i, _)| i.abs_diff(expected));
        if let Some((_, (offset, tline))) = best {
            let indent_r = line.len() - line.trim_start().len();
            let indent_t = tline.len() - tline.trim_start().len();
            let col = (start - line_start).saturating_sub(indent_r) + indent_t;
            let s = offset + col.min(tline.len());
            let e = (s + (end - start)).min(offset + tline.len());
            return Some(Span::from_range(template, s, e));
        }
    }
    let token = rendered[start..end].trim();
    let token = token.lines().next().unwrap_or("");
    if token.is_empty() {
        return None;
    }
    let expected_offset = template_lines.get(expected).map_or(0, |(o, _)| *o);
    let best = word_matches(template, token).min_by_key(|o| o.abs_diff(expected_offset))?;
    Some(Span::from_range(template, best, best + token.len()))
}

fn line_offsets(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut offset = 0;
    for l in text.split_inclusive('\n') {
        out.push((offset, l.trim_end_matches(['\n', '\r'])));
        offset += l.len();
    }
    out
}

/// Offsets where `token` occurs in `text` as a whole word.
fn word_matches<'a>(text: &'a str, token: &'a str) -> impl Iterator<Item = usize> + 'a {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(token).map(|(i, _)| i).filter(move |&i| {
        let before = text[..i].chars().next_back();
        let after = text[i + token.len()..].chars().next();
        !before.is_some_and(is_word) && !after.is_some_and(is_word)
    })
}

#[cfg(test)]
mod tests {
    use super::template_span;

    #[test]
    fn verbatim_lines_and_tokens_map_back() {
        let template = "{{ config(materialized='table') }}\n\nselect\n    idd,\n    name\nfrom {{ ref('x') }}\n";
        let rendered = "\n\nselect\n    idd,\n    name\nfrom \"db\".\"main\".\"x\"\n";
        let start = rendered.find("idd").unwrap();
        let span = template_span(template, rendered, start, start + 3).unwrap();
        assert_eq!((span.line, span.column), (4, 5));
        let start = rendered.find("\"x\"").unwrap();
        assert!(template_span(template, rendered, start, start + 3).is_none());
        let t2 = "select {{ 'a' }} as k, bogus_col from y";
        let r2 = "select a as k, bogus_col from y";
        let s = r2.find("bogus_col").unwrap();
        let span = template_span(t2, r2, s, s + 9).unwrap();
        assert_eq!(span.column, t2.find("bogus_col").unwrap() + 1);
    }
}
