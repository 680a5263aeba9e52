//! Jinja2 compatibility that minijinja lacks and dbt projects use everywhere: mutable list and
//! dict literals (`.append`, `.extend`, `.pop`, `.update`, `.insert`, `.remove`, `.setdefault`).
//!
//! minijinja values are immutable, so list and dict *literals* in templates are rewritten at
//! the token level into calls that build mutable objects: `[a, b]` becomes
//! `__dbtc_list([a, b])` and `{k: v}` becomes `__dbtc_dict({k: v})`. Subscripts (`x[0]`)
//! are left alone. Like Jinja2, `append` returns None (the objects are in `pyvalues`).
//!
//! Other rewrites: `'%s' % x` (printf-style formatting of a string literal), `{% do expr %}`
//! for any expression, and `varargs`/`kwargs` parameters for macros whose body uses them.

use minijinja::Error;
use minijinja::value::Value;

pub use super::pyvalues::{
    MutDict, MutList, make_dict, make_list, new_dict, new_list, tuple, unknown_method,
};

/// Rewrites list/dict literals inside `{{ }}` and `{% %}` of a template.
pub fn rewrite_template(source: &str) -> String {
    if !source.contains('[') && !source.contains("{%") && !source.contains('{') {
        return source.to_string();
    }
    let mut out = String::with_capacity(source.len() + 64);
    let bytes = source.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'{' && i + 1 < bytes.len() && (bytes[i + 1] == b'{' || bytes[i + 1] == b'%')
        {
            let is_block = bytes[i + 1] == b'%';
            let close = if is_block { "%}" } else { "}}" };
            // Copy the opening delimiter and any whitespace-control marker.
            out.push_str(&source[i..i + 2]);
            i += 2;
            let (expr, next) = rewrite_expr(source, i, close);
            if is_block && expr.trim_start().starts_with("raw") {
                // `{% raw %}`: copy through to `{% endraw %}` untouched.
                out.push_str(&expr);
                i = next;
                if let Some(end) = source[i..].find("endraw") {
                    let stop = source[i + end..]
                        .find("%}")
                        .map(|p| i + end + p + 2)
                        .unwrap_or(source.len());
                    out.push_str(&source[i..stop]);
                    i = stop;
                }
                continue;
            }
            let expr = match rewrite_percent(&source[i..next]) {
                Some(text) => rewrite_expr(&text, 0, close).0,
                None => expr,
            };
            let expr = if is_block { wrap_do(&expr) } else { expr };
            out.push_str(&expr);
            i = next;
        } else if bytes[i] == b'{' && bytes.get(i + 1) == Some(&b'#') {
            let stop = source[i..]
                .find("#}")
                .map(|p| i + p + 2)
                .unwrap_or(source.len());
            out.push_str(&source[i..stop]);
            i = stop;
        } else {
            let next = source[i..]
                .find('{')
                .map(|p| if p == 0 { i + 1 } else { i + p })
                .unwrap_or(source.len());
            out.push_str(&source[i..next]);
            i = next;
        }
    }
    super::pymodules::rewrite_arith(out)
}

/// Jinja2's `{% do %}` takes any expression, minijinja's only a call: the expression of a
/// `do` tag (its text after `{%`) is wrapped in `__dbtc_discard(...)`, a call that ignores
/// its argument.
fn wrap_do(tag: &str) -> String {
    let body_start = tag.len() - tag.trim_start_matches(['-', '+']).trim_start().len();
    let rest = &tag[body_start..];
    if !(rest.starts_with("do") && rest[2..].starts_with(|c: char| c.is_whitespace() || c == '(')) {
        return tag.to_string();
    }
    let inner = tag.trim_end_matches("%}");
    let inner_end = inner.trim_end_matches(['-', '+']).trim_end().len();
    let expr = &tag[body_start + 2..inner_end];
    if expr.trim().is_empty() {
        return tag.to_string();
    }
    format!(
        "{}do __dbtc_discard({}){}",
        &tag[..body_start],
        expr.trim(),
        &tag[inner_end..]
    )
}

/// The end of the string literal starting at `i` (after its closing quote).
fn string_end(bytes: &[u8], i: usize) -> usize {
    let q = bytes[i];
    let mut j = i + 1;
    while j < bytes.len() && bytes[j] != q {
        if bytes[j] == b'\\' {
            j += 1;
        }
        j += 1;
    }
    (j + 1).min(bytes.len())
}

/// The end of the bracketed group opening at `i` (after its closing bracket).
fn group_end(bytes: &[u8], i: usize) -> usize {
    let mut depth = 0usize;
    let mut j = i;
    while j < bytes.len() {
        match bytes[j] {
            b'\'' | b'"' => {
                j = string_end(bytes, j);
                continue;
            }
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return j + 1;
                }
            }
            _ => {}
        }
        j += 1;
    }
    bytes.len()
}

fn skip_ws(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && bytes[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

fn word_end(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
        i += 1;
    }
    i
}

/// The end of the right operand of `%` starting at `i`: a unary minus, an atom (literal,
/// name, bracketed group), its attribute/subscript/call postfixes and its filters, which all
/// bind tighter than `%` in Jinja.
fn operand_end(bytes: &[u8], i: usize) -> Option<usize> {
    let mut j = skip_ws(bytes, i);
    if bytes.get(j) == Some(&b'-') {
        j = skip_ws(bytes, j + 1);
    }
    j = match *bytes.get(j)? {
        b'\'' | b'"' => string_end(bytes, j),
        b'(' | b'[' | b'{' => group_end(bytes, j),
        c if c.is_ascii_digit() => {
            let mut k = j;
            while k < bytes.len() && (bytes[k].is_ascii_alphanumeric() || bytes[k] == b'.') {
                k += 1;
            }
            k
        }
        c if c.is_ascii_alphabetic() || c == b'_' => word_end(bytes, j),
        _ => return None,
    };
    loop {
        match bytes.get(j) {
            Some(b'.') => j = word_end(bytes, j + 1),
            Some(b'[' | b'(') => j = group_end(bytes, j),
            _ => {
                let k = skip_ws(bytes, j);
                if bytes.get(k) == Some(&b'|') {
                    let name = skip_ws(bytes, k + 1);
                    j = word_end(bytes, name);
                    if bytes.get(j) == Some(&b'(') {
                        j = group_end(bytes, j);
                    }
                } else {
                    return Some(j);
                }
            }
        }
    }
}

/// Python's printf-style formatting of a string literal, `'%s-%s' % (a, b)`, which
/// minijinja's `%` does not do: rewrites it to `__dbtc_fmt('%s-%s', (a, b))`. Only a string
/// literal on the left is recognized (the usual form in dbt projects). Returns None when
/// the tag has no such expression.
pub fn rewrite_percent(tag: &str) -> Option<String> {
    if !tag.contains('%') {
        return None;
    }
    let bytes = tag.as_bytes();
    let mut out = String::with_capacity(tag.len() + 16);
    let mut copied = 0;
    let mut changed = false;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'\'' && bytes[i] != b'"' {
            i += 1;
            continue;
        }
        let lit_end = string_end(bytes, i);
        let op = skip_ws(bytes, lit_end);
        if bytes.get(op) == Some(&b'%')
            && !matches!(bytes.get(op + 1), Some(b'}') | None)
            && let Some(end) = operand_end(bytes, op + 1)
        {
            let operand = &tag[op + 1..end];
            let operand = rewrite_percent(operand).unwrap_or_else(|| operand.to_string());
            out.push_str(&tag[copied..i]);
            out.push_str(&format!(
                "__dbtc_fmt({}, {})",
                &tag[i..lit_end],
                operand.trim()
            ));
            copied = end;
            changed = true;
            i = end;
        } else {
            i = lit_end;
        }
    }
    changed.then(|| {
        out.push_str(&tag[copied..]);
        out
    })
}

/// `__dbtc_fmt(format, args)`: Python's `format % args` (a tuple gives several arguments,
/// anything else one).
pub fn percent_format(format: &str, args: Value) -> Result<Value, Error> {
    let args: Vec<Value> = if args.is_tuple() {
        args.try_iter()?.collect()
    } else {
        vec![args]
    };
    minijinja::formatting::format(minijinja::formatting::FormatStyle::Printf, format, &args)
        .map(Value::from)
}

/// Rewrites one tag's content starting at `start` up to its closing delimiter. Returns the
/// rewritten text (including the delimiter) and the position after it.
fn rewrite_expr(source: &str, start: usize, close: &str) -> (String, usize) {
    let bytes = source.as_bytes();
    let mut out = String::new();
    let mut i = start;
    // Stack of open brackets: true when we opened a rewritten call (needs an extra `)`).
    let mut stack: Vec<(u8, bool)> = Vec::new();
    // Whether the previous significant token ends an operand (then `[` is a subscript).
    let mut prev_operand = false;
    while i < bytes.len() {
        if stack.is_empty() && source[i..].starts_with(close) {
            out.push_str(close);
            return (out, i + close.len());
        }
        // Whitespace-control before the closing delimiter.
        if stack.is_empty()
            && (bytes[i] == b'-' || bytes[i] == b'+')
            && source[i + 1..].starts_with(close)
        {
            out.push(bytes[i] as char);
            out.push_str(close);
            return (out, i + 1 + close.len());
        }
        let c = bytes[i];
        match c {
            b'\'' | b'"' => {
                let mut j = i + 1;
                while j < bytes.len() && bytes[j] != c {
                    if bytes[j] == b'\\' {
                        j += 1;
                    }
                    j += 1;
                }
                let end = (j + 1).min(bytes.len());
                out.push_str(&source[i..end]);
                i = end;
                prev_operand = true;
            }
            b'[' | b'{' => {
                let literal = c == b'{' || !prev_operand;
                if literal {
                    out.push_str(if c == b'[' {
                        "__dbtc_list(["
                    } else {
                        "__dbtc_dict({"
                    });
                } else {
                    out.push('[');
                }
                stack.push((c, literal));
                i += 1;
                prev_operand = false;
            }
            b']' | b'}' => {
                if let Some((_, literal)) = stack.pop() {
                    out.push(c as char);
                    if literal {
                        out.push(')');
                    }
                } else {
                    out.push(c as char);
                }
                i += 1;
                prev_operand = true;
            }
            b'(' => {
                stack.push((c, false));
                out.push('(');
                i += 1;
                prev_operand = false;
            }
            b')' => {
                stack.pop();
                out.push(')');
                i += 1;
                prev_operand = true;
            }
            c if c.is_ascii_alphanumeric() || c == b'_' => {
                let mut j = i;
                while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_') {
                    j += 1;
                }
                let word = &source[i..j];
                out.push_str(word);
                i = j;
                // Keywords are not operands: `in [..]`, `and [..]`, `set x = [..]`.
                prev_operand = !matches!(
                    word,
                    "in" | "and"
                        | "or"
                        | "not"
                        | "if"
                        | "else"
                        | "is"
                        | "return"
                        | "do"
                        | "set"
                        | "for"
                );
            }
            c if c.is_ascii_whitespace() => {
                out.push(c as char);
                i += 1;
            }
            _ => {
                let ch = source[i..].chars().next().unwrap_or(' ');
                out.push(ch);
                i += ch.len_utf8();
                prev_operand = false;
            }
        }
    }
    (out, bytes.len())
}

/// The end of the `{% ... %}` tag starting at `start` (after its `%}`), skipping strings.
fn tag_end(src: &str, start: usize) -> Option<usize> {
    let bytes = src.as_bytes();
    let mut i = start + 2;
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

/// The byte range of the parameter list (inside the parentheses) of a `{% macro %}` tag.
fn param_range(tag: &str) -> Option<(usize, usize)> {
    let open = tag.find('(')?;
    let bytes = tag.as_bytes();
    let (mut depth, mut quote) = (0usize, None::<u8>);
    for (i, &b) in bytes.iter().enumerate().skip(open) {
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None => match b {
                b'\'' | b'"' => quote = Some(b),
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some((open + 1, i));
                    }
                }
                _ => {}
            },
        }
    }
    None
}

/// Jinja2 lets a macro whose body mentions `varargs` or `kwargs` take extra positional or
/// keyword arguments and collects them there; minijinja has no such thing. Declares them as
/// trailing parameters (`varargs=[], kwargs={}`) of a `{% macro %}` block that uses them, on
/// the same line so error positions do not move; [`pack_extra_args`] fills them at call time.
pub fn declare_extra_args(block: &str) -> String {
    let Some(end) = tag_end(block, 0) else {
        return block.to_string();
    };
    let body_words = super::macros::candidate_names(&block[end..]);
    let Some((start, stop)) = param_range(&block[..end]) else {
        return block.to_string();
    };
    let params = &block[start..stop];
    let declared: Vec<&str> = params
        .split(',')
        .map(|p| p.split('=').next().unwrap_or("").trim())
        .collect();
    let missing: Vec<&str> = ["varargs", "kwargs"]
        .into_iter()
        .filter(|w| body_words.contains(*w) && !declared.contains(w))
        .collect();
    if missing.is_empty() {
        return block.to_string();
    }
    let mut extra = missing
        .iter()
        .map(|w| {
            if *w == "varargs" {
                "varargs=[]"
            } else {
                "kwargs={}"
            }
        })
        .collect::<Vec<_>>()
        .join(", ");
    if !params.trim().is_empty() && !params.trim_end().ends_with(',') {
        extra = format!(", {extra}");
    }
    format!("{}{}{}", &block[..stop], extra, &block[stop..])
}

/// Moves the arguments a macro does not declare into its `varargs` (extra positional
/// arguments) and `kwargs` (unknown keyword arguments) parameters, as Jinja2 does. `spec` is
/// the macro's parameter names; other macros get `args` unchanged.
pub fn pack_extra_args(spec: &[String], args: Vec<Value>) -> Result<Vec<Value>, Error> {
    let has_var = spec.iter().any(|s| s == "varargs");
    let has_kw = spec.iter().any(|s| s == "kwargs");
    if !has_var && !has_kw {
        return Ok(args);
    }
    let declared: Vec<&str> = spec
        .iter()
        .map(String::as_str)
        .filter(|s| *s != "varargs" && *s != "kwargs")
        .collect();
    let (mut pos, kwargs) = match args.last() {
        Some(last) if last.is_kwargs() => {
            let kw = minijinja::value::Kwargs::try_from(last.clone())?;
            (args[..args.len() - 1].to_vec(), Some(kw))
        }
        _ => (args, None),
    };
    let mut named: indexmap::IndexMap<String, Value> = indexmap::IndexMap::new();
    let mut extra_kw: indexmap::IndexMap<Value, Value> = indexmap::IndexMap::new();
    if let Some(kw) = &kwargs {
        for key in kw.args() {
            let value: Value = kw.peek(key)?;
            if has_kw && !declared.contains(&key) && !matches!(key, "caller" | "varargs" | "kwargs")
            {
                extra_kw.insert(Value::from(key), value);
            } else {
                named.insert(key.to_string(), value);
            }
        }
    }
    if has_var && !named.contains_key("varargs") {
        let extra = if pos.len() > declared.len() {
            pos.split_off(declared.len())
        } else {
            Vec::new()
        };
        named.insert("varargs".into(), new_list(extra));
    }
    if has_kw && !named.contains_key("kwargs") {
        named.insert("kwargs".into(), new_dict(extra_kw));
    }
    pos.push(Value::from(minijinja::value::Kwargs::from_iter(named)));
    Ok(pos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_literals_not_subscripts() {
        assert_eq!(
            rewrite_template("{% set x = [1, 2] %}{{ x[0] }}{{ {'a': [3]} }}"),
            "{% set x = __dbtc_list([1, 2]) %}{{ x[0] }}{{ __dbtc_dict({'a': __dbtc_list([3])}) }}"
        );
        assert_eq!(rewrite_template("a { b } [c]"), "a { b } [c]");
        assert_eq!(
            rewrite_template("{{ 'x' in ['x'] }}"),
            "{{ 'x' in __dbtc_list(['x']) }}"
        );
    }

    #[test]
    fn declares_varargs_and_kwargs_only_when_the_body_uses_them() {
        assert_eq!(
            declare_extra_args("{% macro m(a, b=1) %}{{ kwargs.x }}{{ varargs }}{% endmacro %}"),
            "{% macro m(a, b=1, varargs=[], kwargs={}) %}{{ kwargs.x }}{{ varargs }}{% endmacro %}"
        );
        assert_eq!(
            declare_extra_args("{%- macro m() -%}{{ kwargs }}{%- endmacro %}"),
            "{%- macro m(kwargs={}) -%}{{ kwargs }}{%- endmacro %}"
        );
        assert_eq!(
            declare_extra_args("{% macro m(a,\n) %}{{ varargs }}{% endmacro %}"),
            "{% macro m(a,\nvarargs=[]) %}{{ varargs }}{% endmacro %}"
        );
        let plain = "{% macro m(a) %}{{ a }}{% endmacro %}";
        assert_eq!(declare_extra_args(plain), plain);
        let declared = "{% macro m(kwargs) %}{{ kwargs }}{% endmacro %}";
        assert_eq!(declare_extra_args(declared), declared);
    }

    #[test]
    fn packs_undeclared_arguments() {
        let spec: Vec<String> = ["a", "varargs", "kwargs"].map(String::from).to_vec();
        let kwargs = Value::from(minijinja::value::Kwargs::from_iter([
            ("a", Value::from(1)),
            ("z", Value::from(2)),
        ]));
        let packed = pack_extra_args(&spec, vec![kwargs]).unwrap();
        let kw = minijinja::value::Kwargs::try_from(packed[0].clone()).unwrap();
        assert_eq!(kw.peek::<Value>("a").unwrap(), Value::from(1));
        assert_eq!(kw.peek::<Value>("kwargs").unwrap().to_string(), "{'z': 2}");
        assert_eq!(kw.peek::<Value>("varargs").unwrap().to_string(), "[]");
        let packed = pack_extra_args(&spec, vec![Value::from(1), Value::from(2)]).unwrap();
        assert_eq!(packed[0], Value::from(1));
        let kw = minijinja::value::Kwargs::try_from(packed[1].clone()).unwrap();
        assert_eq!(kw.peek::<Value>("varargs").unwrap().to_string(), "[2]");
        // Macros that do not take extra arguments are called as written.
        let args = vec![Value::from(1)];
        assert_eq!(
            pack_extra_args(&["a".to_string()], args.clone()).unwrap(),
            args
        );
    }

    #[test]
    fn rewrites_printf_style_formatting_of_string_literals() {
        assert_eq!(
            rewrite_percent("{{ '%s-%s' % (a, b.c) ~ 'x' }}").as_deref(),
            Some("{{ __dbtc_fmt('%s-%s', (a, b.c)) ~ 'x' }}")
        );
        assert_eq!(
            rewrite_percent("{% set x = \"%d\" % n | int %}").as_deref(),
            Some("{% set x = __dbtc_fmt(\"%d\", n | int) %}")
        );
        assert_eq!(rewrite_percent("{% set x = 'a' %}"), None);
        assert_eq!(rewrite_percent("{{ 7 % 3 }}"), None);
        assert_eq!(
            percent_format(
                "%s|%5.2f|%(k)s",
                tuple(vec![Value::from("a"), Value::from(1.5)])
            )
            .map(|v| v.to_string())
            .ok(),
            None,
            "mixing positional and mapping keys is an error in Python too"
        );
        assert_eq!(
            percent_format("%s|%5.2f", tuple(vec![Value::from("a"), Value::from(1.5)]))
                .unwrap()
                .to_string(),
            "a| 1.50"
        );
        assert_eq!(
            percent_format("%s", Value::from(vec![1, 2]))
                .unwrap()
                .to_string(),
            "[1, 2]"
        );
    }

    #[test]
    fn do_takes_any_expression() {
        assert_eq!(
            rewrite_template("{%- do x.append(1) or y -%}{% do(z) %}{% doc %}"),
            "{%- do __dbtc_discard(x.append(1) or y) -%}{% do __dbtc_discard((z)) %}{% doc %}"
        );
    }
}
