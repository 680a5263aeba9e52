//! A unit test's `given` input as written: `ref('model')`, `ref('package', 'model')`,
//! `ref('model', v=2)`, `source('source', 'table')` or `this`.

/// What a `given` input stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputKind {
    Ref {
        package: Option<String>,
        name: String,
        version: Option<String>,
    },
    Source {
        source: String,
        table: String,
    },
    /// The tested model itself (its existing relation, for incremental models).
    This,
}

/// Parses `ref('x')`, `ref('pkg', 'x')`, `ref('x', v=2)`, `source('s', 't')` and `this`.
pub fn parse_input(text: &str) -> Option<InputKind> {
    let text = text.trim();
    if text == "this" {
        return Some(InputKind::This);
    }
    let (func, rest) = text.split_once('(')?;
    let inner = rest.trim_end().strip_suffix(')')?;
    let mut positional = Vec::new();
    let mut version = None;
    for arg in split_args(inner) {
        let arg = arg.trim();
        if arg.is_empty() {
            continue;
        }
        match arg.split_once('=') {
            Some((key, value)) if !key.contains(['\'', '"']) => {
                let key = key.trim();
                if !matches!(key, "v" | "version") {
                    return None;
                }
                version = Some(literal(value.trim(), true)?);
            }
            _ => positional.push(literal(arg, false)?),
        }
    }
    match (func.trim(), positional.as_slice()) {
        ("ref", [name]) => Some(InputKind::Ref {
            package: None,
            name: name.clone(),
            version,
        }),
        ("ref", [package, name]) => Some(InputKind::Ref {
            package: Some(package.clone()),
            name: name.clone(),
            version,
        }),
        ("source", [source, table]) if version.is_none() => Some(InputKind::Source {
            source: source.clone(),
            table: table.clone(),
        }),
        _ => None,
    }
}

/// Splits call arguments on commas outside quotes.
fn split_args(inner: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut quote = None;
    let mut start = 0;
    for (i, c) in inner.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (None, '\'' | '"') => quote = Some(c),
            (None, ',') => {
                out.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&inner[start..]);
    out
}

/// A quoted string literal (or, for a version, a bare number).
fn literal(text: &str, number_ok: bool) -> Option<String> {
    for q in ['\'', '"'] {
        if let Some(s) = text.strip_prefix(q).and_then(|s| s.strip_suffix(q)) {
            return Some(s.to_string());
        }
    }
    (number_ok && !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '.'))
        .then(|| text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs() {
        assert_eq!(parse_input(" this "), Some(InputKind::This));
        assert_eq!(
            parse_input("ref('a')"),
            Some(InputKind::Ref {
                package: None,
                name: "a".into(),
                version: None
            })
        );
        assert_eq!(
            parse_input("ref(\"p\", 'a', v=2)"),
            Some(InputKind::Ref {
                package: Some("p".into()),
                name: "a".into(),
                version: Some("2".into())
            })
        );
        assert_eq!(
            parse_input("source('s', 't')"),
            Some(InputKind::Source {
                source: "s".into(),
                table: "t".into()
            })
        );
        assert_eq!(parse_input("ref(a)"), None);
        assert_eq!(parse_input("model('a')"), None);
        assert_eq!(parse_input("source('s')"), None);
    }
}
