//! The one-file edits `dbtc bench` times, as text transforms: each leaves the project
//! compiling and changes what its kind is meant to change (a model's body, a column's
//! name, a macro, a properties file).

/// The one-file edits `dbtc bench` times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum EditKind {
    /// A SQL comment line appended to a model.
    ModelBody,
    /// One `as x` column alias renamed to `as x_dbtc_bench`.
    ColumnAlias,
    /// A Jinja comment inserted before a macro file's first `{% endmacro %}`.
    Macro,
    /// A YAML comment line appended to a properties file.
    YmlComment,
    /// A model's `description:` replaced in a properties file.
    ModelDescription,
}

impl EditKind {
    pub const ALL: [EditKind; 5] = [
        EditKind::ModelBody,
        EditKind::ColumnAlias,
        EditKind::Macro,
        EditKind::YmlComment,
        EditKind::ModelDescription,
    ];

    /// The key in the JSON report.
    pub fn name(self) -> &'static str {
        match self {
            EditKind::ModelBody => "model_body",
            EditKind::ColumnAlias => "column_alias",
            EditKind::Macro => "macro",
            EditKind::YmlComment => "yml_comment",
            EditKind::ModelDescription => "model_description",
        }
    }

    /// The row label in the text report.
    pub fn label(self) -> &'static str {
        match self {
            EditKind::ModelBody => "model body",
            EditKind::ColumnAlias => "column alias",
            EditKind::Macro => "macro",
            EditKind::YmlComment => "yml comment",
            EditKind::ModelDescription => "model description",
        }
    }

    /// The edited text, or `None` when this kind of edit does not apply to `text`.
    pub fn edit(self, text: &str) -> Option<String> {
        let edited = match self {
            EditKind::ModelBody => Some(append_line(text, "-- dbtc bench")),
            EditKind::ColumnAlias => edit_column_alias(text),
            EditKind::Macro => edit_macro(text),
            EditKind::YmlComment => Some(append_line(text, "# dbtc bench")),
            EditKind::ModelDescription => edit_model_description(text),
        }?;
        (edited != text).then_some(edited)
    }
}

fn append_line(text: &str, line: &str) -> String {
    let mut out = String::with_capacity(text.len() + line.len() + 2);
    out.push_str(text);
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(line);
    out.push('\n');
    out
}

/// Whether `pos` lies inside a Jinja tag, expression or comment (by the last opener and
/// closer before it).
fn inside_jinja(text: &str, pos: usize) -> bool {
    let before = &text[..pos];
    let open = ["{{", "{%", "{#"]
        .iter()
        .filter_map(|o| before.rfind(o))
        .max();
    let close = ["}}", "%}", "#}"]
        .iter()
        .filter_map(|c| before.rfind(c))
        .max();
    match (open, close) {
        (Some(o), Some(c)) => o > c,
        (Some(_), None) => true,
        _ => false,
    }
}

/// Renames the first column alias (`as x` followed by a comma or the end of the line, not
/// in Jinja or a `--` comment) to `x_dbtc_bench`.
pub fn edit_column_alias(text: &str) -> Option<String> {
    static ALIAS: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"(?mi)\bas[ \t]+([A-Za-z_][A-Za-z0-9_]*)[ \t]*(?:,|\r?$)")
            .expect("alias regex")
    });
    for caps in ALIAS.captures_iter(text) {
        let whole = caps.get(0).expect("match");
        let ident = caps.get(1).expect("identifier");
        let line_start = text[..whole.start()].rfind('\n').map_or(0, |i| i + 1);
        if text[line_start..whole.start()].contains("--")
            || inside_jinja(text, whole.start())
            || ident.as_str().ends_with("_dbtc_bench")
        {
            continue;
        }
        let mut out = String::with_capacity(text.len() + 11);
        out.push_str(&text[..ident.end()]);
        out.push_str("_dbtc_bench");
        out.push_str(&text[ident.end()..]);
        return Some(out);
    }
    None
}

/// Inserts `{# dbtc bench #}` before the first `{% endmacro %}` (or `{% endtest %}`): text
/// outside a block changes no macro. Before `{%- endmacro` it goes before the whitespace
/// the tag strips, so the macro's output is unchanged.
pub fn edit_macro(text: &str) -> Option<String> {
    static END: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"\{%(-?)\s*end(?:macro|test)\b").expect("endmacro regex")
    });
    let caps = END.captures(text)?;
    let tag = caps.get(0).expect("match");
    let at = if caps[1].is_empty() {
        tag.start()
    } else {
        text[..tag.start()].trim_end().len()
    };
    let mut out = String::with_capacity(text.len() + 16);
    out.push_str(&text[..at]);
    out.push_str("{# dbtc bench #}");
    out.push_str(&text[at..]);
    Some(out)
}

/// Replaces the first single-line `description:` of a model (a key of an item of the
/// top-level `models:` list, not of a column or version) with another string.
pub fn edit_model_description(text: &str) -> Option<String> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let indent = |l: &str| l.len() - l.trim_start_matches(' ').len();
    let skip = |l: &str| {
        let t = l.trim();
        t.is_empty() || t.starts_with('#')
    };
    fn content(l: &str) -> &str {
        l.trim_end_matches(['\n', '\r']).trim_start_matches(' ')
    }
    let mut in_models = false;
    // The indent of the models list's dashes, and of the current item's keys.
    let mut dash: Option<usize> = None;
    let mut key_indent: Option<usize> = None;
    for (i, line) in lines.iter().enumerate() {
        if skip(line) {
            continue;
        }
        let ind = indent(line);
        let body = content(line);
        let is_item = body == "-" || body.starts_with("- ");
        if ind == 0 && !is_item {
            let key = body.split(" #").next().unwrap_or("").trim_end();
            in_models = key == "models:";
            dash = None;
            key_indent = None;
            continue;
        }
        if !in_models {
            continue;
        }
        if is_item {
            if dash.is_none() {
                dash = Some(ind);
            }
            if dash == Some(ind) {
                let rest = body[1..].trim_start_matches(' ');
                key_indent = Some(ind + body.len() - rest.len());
            }
            continue;
        }
        if key_indent != Some(ind) {
            continue;
        }
        let Some(value) = body.strip_prefix("description:") else {
            continue;
        };
        let value = value.trim();
        let single_line = match value.chars().next() {
            None | Some('|' | '>' | '{' | '[' | '&' | '*' | '!') => false,
            Some(q @ ('"' | '\'')) => value.len() >= 2 && value.ends_with(q),
            Some(_) => true,
        };
        // A plain scalar may continue on more indented lines.
        let continues = lines[i + 1..]
            .iter()
            .find(|l| !skip(l))
            .is_some_and(|next| indent(next) > ind);
        if !single_line || continues {
            continue;
        }
        let ending = &line[line.trim_end_matches(['\n', '\r']).len()..];
        let mut out = String::with_capacity(text.len() + 32);
        for (j, l) in lines.iter().enumerate() {
            if j == i {
                out.push_str(&" ".repeat(ind));
                out.push_str("description: \"dbtc bench description\"");
                out.push_str(ending);
            } else {
                out.push_str(l);
            }
        }
        return Some(out);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_body_appends_a_comment_line() {
        assert_eq!(
            EditKind::ModelBody.edit("select 1").as_deref(),
            Some("select 1\n-- dbtc bench\n")
        );
        assert_eq!(
            EditKind::ModelBody.edit("select 1\n").as_deref(),
            Some("select 1\n-- dbtc bench\n")
        );
    }

    #[test]
    fn column_alias_skips_casts_jinja_and_comments() {
        let sql = "-- x as y,\nselect cast(a as int) as b_id,\n  {{ m('x as z') }} as c\nfrom t";
        assert_eq!(
            edit_column_alias(sql).as_deref(),
            Some(
                "-- x as y,\nselect cast(a as int) as b_id_dbtc_bench,\n  {{ m('x as z') }} as c\nfrom t"
            )
        );
        assert_eq!(
            edit_column_alias("with a as (\n select 1\n) select * from a"),
            None
        );
        assert_eq!(
            edit_column_alias("{% set x = 1 %}\nselect 1 AS one\n").as_deref(),
            Some("{% set x = 1 %}\nselect 1 AS one_dbtc_bench\n")
        );
    }

    #[test]
    fn macro_comment_goes_inside_the_block() {
        assert_eq!(
            edit_macro("{% macro m() %}\n  x\n{% endmacro %}\n").as_deref(),
            Some("{% macro m() %}\n  x\n{# dbtc bench #}{% endmacro %}\n")
        );
        assert_eq!(
            edit_macro("{% macro m() -%}\n  x\n{%- endmacro %}").as_deref(),
            Some("{% macro m() -%}\n  x{# dbtc bench #}\n{%- endmacro %}")
        );
        assert_eq!(
            edit_macro("{% test t(model) %}\nselect 1\n{% endtest %}").as_deref(),
            Some("{% test t(model) %}\nselect 1\n{# dbtc bench #}{% endtest %}")
        );
        assert_eq!(edit_macro("select 1"), None);
    }

    #[test]
    fn model_description_only_at_model_level() {
        let yml = "version: 2\nsources:\n  - name: s\n    description: src\nmodels:\n  - name: a\n    columns:\n      - name: id\n        description: col\n  - name: b\n    description: 'the b'\n";
        assert_eq!(
            edit_model_description(yml).as_deref(),
            Some(
                "version: 2\nsources:\n  - name: s\n    description: src\nmodels:\n  - name: a\n    columns:\n      - name: id\n        description: col\n  - name: b\n    description: \"dbtc bench description\"\n"
            )
        );
        // Block scalars and multi-line plain scalars are skipped.
        assert_eq!(
            edit_model_description("models:\n  - name: a\n    description: >\n      long\n"),
            None
        );
        assert_eq!(
            edit_model_description("models:\n- name: a\n  description: one\n    two\n"),
            None
        );
        assert_eq!(
            edit_model_description("models:\n- name: a\n  description: one\n").as_deref(),
            Some("models:\n- name: a\n  description: \"dbtc bench description\"\n")
        );
    }
}
