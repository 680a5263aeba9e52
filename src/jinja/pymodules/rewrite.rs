//! Rewrites binary `+`/`-` inside the tags of a template to `modules.__dbtc_add(a, b)` /
//! `modules.__dbtc_sub(a, b)` (see `arith`), only in templates that may use datetimes (their
//! text has one of `DATETIME_WORDS`).
//!
//! Precedence follows Jinja2: `+`/`-` bind looser than `~`, `*`, `/`, `%`, `**`, unary
//! signs, filters and postfix access, and tighter than comparisons, `in`, `is`, `not`,
//! `and`, `or`, `if`/`else`, commas, colons and `=`. So an expression is cut into segments
//! at those looser tokens, and within a segment the operands between top-level binary
//! `+`/`-` are folded left to right. Brackets are rewritten recursively.

/// Words that end a `+`/`-` chain (operators looser than `+`, and statement keywords).
const BOUNDARY_WORDS: &[&str] = &[
    "and",
    "or",
    "not",
    "in",
    "is",
    "if",
    "else",
    "elif",
    "for",
    "set",
    "do",
    "with",
    "as",
    "import",
    "from",
    "recursive",
    "filter",
    "call",
    "include",
    "extends",
    "block",
];

/// Words of templates that may do datetime arithmetic (the rewrite is skipped otherwise):
/// the modules and values that make datetimes, and methods only datetimes have.
const DATETIME_WORDS: &[&str] = &[
    "datetime",
    "timedelta",
    "pytz",
    "run_started_at",
    "strftime",
    "isoformat",
    "astimezone",
    "tzinfo",
    "total_seconds",
    ".days",
];

fn may_use_datetimes(source: &str) -> bool {
    DATETIME_WORDS.iter().any(|w| source.contains(w))
}

/// The template with `+`/`-` in its `{{ }}` and `{% %}` tags rewritten to calls.
pub fn rewrite_arith(source: String) -> String {
    if !may_use_datetimes(&source) || !(source.contains('+') || source.contains('-')) {
        return source;
    }
    let bytes = source.as_bytes();
    let mut out = String::with_capacity(source.len() + 64);
    let mut i = 0;
    while i < bytes.len() {
        let Some(p) = source[i..].find('{') else {
            out.push_str(&source[i..]);
            break;
        };
        let j = i + p;
        out.push_str(&source[i..j]);
        match bytes.get(j + 1) {
            Some(b'#') => {
                let stop = source[j..].find("#}").map_or(source.len(), |q| j + q + 2);
                out.push_str(&source[j..stop]);
                i = stop;
            }
            Some(&open @ (b'{' | b'%')) => {
                let close = if open == b'{' { "}}" } else { "%}" };
                let Some(k) = tag_end(bytes, j + 2, close) else {
                    out.push_str(&source[j..]);
                    break;
                };
                let inner = &source[j + 2..k];
                let word = inner.trim_start_matches(['-', '+']).trim_start();
                if open == b'%' && word.starts_with("raw") {
                    let stop = source[k..]
                        .find("endraw")
                        .and_then(|q| source[k + q..].find("%}").map(|r| k + q + r + 2))
                        .unwrap_or(source.len());
                    out.push_str(&source[j..stop]);
                    i = stop;
                    continue;
                }
                out.push_str(&source[j..j + 2]);
                if open == b'%' && word.starts_with("macro") {
                    out.push_str(inner);
                } else {
                    out.push_str(&rewrite_tag(inner));
                }
                out.push_str(close);
                i = k + 2;
            }
            _ => {
                out.push('{');
                i = j + 1;
            }
        }
    }
    out
}

/// The start of `close` ending the tag whose body starts at `i`, outside strings and
/// brackets.
fn tag_end(bytes: &[u8], mut i: usize, close: &str) -> Option<usize> {
    let mut depth = 0usize;
    while i < bytes.len() {
        match bytes[i] {
            b'\'' | b'"' => i = string_end(bytes, i),
            b'(' | b'[' | b'{' => {
                depth += 1;
                i += 1;
            }
            b')' | b']' | b'}' if depth > 0 => {
                depth -= 1;
                i += 1;
            }
            _ if depth == 0 && bytes[i..].starts_with(close.as_bytes()) => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// The index after the string literal starting at `i`.
fn string_end(bytes: &[u8], i: usize) -> usize {
    let quote = bytes[i];
    let mut j = i + 1;
    while j < bytes.len() {
        match bytes[j] {
            b'\\' => j += 2,
            c if c == quote => return j + 1,
            _ => j += 1,
        }
    }
    bytes.len()
}

/// A tag body, with its whitespace-control markers kept as they are.
fn rewrite_tag(inner: &str) -> String {
    let lead = usize::from(inner.starts_with(['-', '+']));
    let trail = usize::from(inner.len() > lead && inner.ends_with(['-', '+']));
    let body = &inner[lead..inner.len() - trail];
    let (text, _) = Rewriter::new(body.as_bytes(), body).seq(0, None);
    format!("{}{text}{}", &inner[..lead], &inner[inner.len() - trail..])
}

struct Rewriter<'a> {
    bytes: &'a [u8],
    src: &'a str,
}

/// The segment being read: operands between top-level binary `+`/`-`.
#[derive(Default)]
struct Segment {
    operands: Vec<String>,
    ops: Vec<u8>,
    cur: String,
    /// Whether the last token ends an operand (a `+`/`-` after it is binary).
    after_operand: bool,
}

impl Segment {
    /// Appends the folded segment to `out` and starts a new one.
    fn flush(&mut self, out: &mut String) {
        let mut seg = std::mem::take(self);
        if seg.ops.is_empty() {
            out.push_str(&seg.cur);
            return;
        }
        seg.operands.push(seg.cur);
        if seg.operands.iter().any(|o| o.trim().is_empty()) {
            // Not a well-formed chain: leave it for the parser to report.
            for (idx, operand) in seg.operands.iter().enumerate() {
                out.push_str(operand);
                if let Some(op) = seg.ops.get(idx) {
                    out.push(*op as char);
                }
            }
            return;
        }
        let first = &seg.operands[0];
        let last = &seg.operands[seg.operands.len() - 1];
        let lead = &first[..first.len() - first.trim_start().len()];
        let trail = &last[last.trim_end().len()..];
        let mut expr = first.trim().to_string();
        for (op, operand) in seg.ops.iter().zip(&seg.operands[1..]) {
            let f = if *op == b'+' {
                "modules.__dbtc_add"
            } else {
                "modules.__dbtc_sub"
            };
            expr = format!("{f}({expr}, {})", operand.trim());
        }
        out.push_str(lead);
        out.push_str(&expr);
        out.push_str(trail);
    }
}

impl<'a> Rewriter<'a> {
    fn new(bytes: &'a [u8], src: &'a str) -> Self {
        Rewriter { bytes, src }
    }

    /// Rewrites from `i` to the closing bracket `end` (or the end of input); returns the
    /// text and the index of the closing bracket.
    fn seq(&self, mut i: usize, end: Option<u8>) -> (String, usize) {
        let (bytes, src) = (self.bytes, self.src);
        let mut out = String::new();
        let mut seg = Segment::default();
        while i < bytes.len() {
            let c = bytes[i];
            if Some(c) == end {
                break;
            }
            match c {
                b'\'' | b'"' => {
                    let e = string_end(bytes, i);
                    seg.cur.push_str(&src[i..e]);
                    seg.after_operand = true;
                    i = e;
                }
                b'(' | b'[' | b'{' => {
                    let close = match c {
                        b'(' => b')',
                        b'[' => b']',
                        _ => b'}',
                    };
                    let (inner, e) = self.seq(i + 1, Some(close));
                    seg.cur.push(c as char);
                    seg.cur.push_str(&inner);
                    if e < bytes.len() {
                        seg.cur.push(close as char);
                    }
                    seg.after_operand = true;
                    i = e + 1;
                }
                b')' | b']' | b'}' => {
                    // Unbalanced: keep as is.
                    seg.cur.push(c as char);
                    i += 1;
                }
                b'+' | b'-' if seg.after_operand => {
                    seg.operands.push(std::mem::take(&mut seg.cur));
                    seg.ops.push(c);
                    seg.after_operand = false;
                    i += 1;
                }
                b',' | b':' | b'=' | b'!' | b'<' | b'>' => {
                    let mut e = i + 1;
                    if bytes.get(e) == Some(&b'=') {
                        e += 1;
                    }
                    seg.flush(&mut out);
                    out.push_str(&src[i..e]);
                    i = e;
                }
                _ if c.is_ascii_alphanumeric() || c == b'_' || c == b'.' => {
                    let e = word_end(bytes, i);
                    let word = &src[i..e];
                    if BOUNDARY_WORDS.contains(&word) {
                        seg.flush(&mut out);
                        out.push_str(word);
                    } else {
                        seg.cur.push_str(word);
                        seg.after_operand = true;
                    }
                    i = e;
                }
                _ if c.is_ascii_whitespace() => {
                    seg.cur.push(c as char);
                    i += 1;
                }
                _ => {
                    // `*`, `/`, `%`, `~`, `|` and anything else: part of the operand.
                    let ch = src[i..].chars().next().unwrap_or(' ');
                    seg.cur.push(ch);
                    seg.after_operand = false;
                    i += ch.len_utf8();
                }
            }
        }
        seg.flush(&mut out);
        (out, i)
    }
}

/// The end of a name, attribute path or number (`1e-5` keeps its exponent sign).
fn word_end(bytes: &[u8], mut i: usize) -> usize {
    let numeric = bytes[i].is_ascii_digit();
    while i < bytes.len() {
        let b = bytes[i];
        let name_char = b.is_ascii_alphanumeric() || b == b'_' || b == b'.';
        let exponent_sign = numeric
            && matches!(b, b'+' | b'-')
            && matches!(bytes[i - 1], b'e' | b'E')
            && bytes.get(i + 1).is_some_and(u8::is_ascii_digit);
        if !(name_char || exponent_sign) {
            break;
        }
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::rewrite_arith;

    fn rw(s: &str) -> String {
        rewrite_arith(format!("{{# datetime #}}{s}"))
            .trim_start_matches("{# datetime #}")
            .to_string()
    }

    #[test]
    fn folds_chains_with_jinja_precedence() {
        assert_eq!(
            rw("{{ a + b - c }}"),
            "{{ modules.__dbtc_sub(modules.__dbtc_add(a, b), c) }}"
        );
        assert_eq!(
            rw("{{ a * 2 + b | int }}"),
            "{{ modules.__dbtc_add(a * 2, b | int) }}"
        );
        assert_eq!(rw("{{ -a - -1 }}"), "{{ modules.__dbtc_sub(-a, -1) }}");
        assert_eq!(
            rw("{%- if x + d > y and not z -%}"),
            "{%- if modules.__dbtc_add(x, d) > y and not z -%}"
        );
        assert_eq!(
            rw("{{ f(a=n - 1, b=[1, 2 + 3]) }}"),
            "{{ f(a=modules.__dbtc_sub(n, 1), b=[1, modules.__dbtc_add(2, 3)]) }}"
        );
        assert_eq!(rw("{{ x[1:-1] ~ 'a-b' }}"), "{{ x[1:-1] ~ 'a-b' }}");
        assert_eq!(rw("{{ 1e-5 + 1 }}"), "{{ modules.__dbtc_add(1e-5, 1) }}");
        assert_eq!(
            rw("{% macro m(a=1 - 1) %}{{ (a + 1).b }}"),
            "{% macro m(a=1 - 1) %}{{ (modules.__dbtc_add(a, 1)).b }}"
        );
        assert_eq!(rw("a - b {{ x }}"), "a - b {{ x }}");
    }

    #[test]
    fn leaves_templates_without_datetimes_alone() {
        assert_eq!(rewrite_arith("{{ a + b }}".into()), "{{ a + b }}");
        assert_eq!(
            rewrite_arith("{{ (b - a).days }}".into()),
            "{{ (modules.__dbtc_sub(b, a)).days }}"
        );
    }
}
