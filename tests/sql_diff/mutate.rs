//! Broken variants of valid queries, derived from their tokens. Every mutation is only a
//! candidate: its label (bind error or valid) comes from DuckDB, never from here.

use std::collections::BTreeSet;

use crate::provider::Upstream;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    Word,
    Quoted,
    Str,
    Num,
    Punct,
    Space,
}

struct Token {
    kind: Tok,
    start: usize,
    end: usize,
}

/// A lexer just good enough to find identifiers, calls and clauses: strings, quoted
/// identifiers and comments are kept whole so nothing inside them is mutated.
fn lex(sql: &str) -> Vec<Token> {
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        let c = b[i];
        let kind = if c.is_ascii_whitespace() {
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            Tok::Space
        } else if c == b'-' && b.get(i + 1) == Some(&b'-') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            Tok::Space
        } else if c == b'\'' || c == b'"' {
            i += 1;
            while i < b.len() {
                if b[i] == c {
                    if b.get(i + 1) == Some(&c) {
                        i += 2;
                        continue;
                    }
                    break;
                }
                i += 1;
            }
            i = (i + 1).min(b.len());
            if c == b'\'' { Tok::Str } else { Tok::Quoted }
        } else if c.is_ascii_alphabetic() || c == b'_' {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            Tok::Word
        } else if c.is_ascii_digit() {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.') {
                i += 1;
            }
            Tok::Num
        } else {
            i += sql[i..].chars().next().map_or(1, char::len_utf8);
            Tok::Punct
        };
        out.push(Token {
            kind,
            start,
            end: i,
        });
    }
    out.retain(|t| t.kind != Tok::Space);
    out
}

/// Words a `(` may follow that are keywords or type names, not function calls.
#[rustfmt::skip]
const NOT_FUNCTIONS: &[&str] = &[
    "in", "exists", "over", "as", "values", "cast", "try_cast", "using", "filter", "within",
    "any", "all", "some", "on", "and", "or", "not", "from", "join", "struct", "map", "interval",
    "decimal", "numeric", "varchar", "row", "window", "pivot", "unpivot", "columns", "exclude",
    "replace", "recursive", "lateral", "select", "where", "by", "having", "qualify", "with",
    "then", "else", "when", "case", "union", "is", "like", "between", "rename", "group",
    "order",
];

/// Calls worth an arity mutation (fixed or bounded arity in DuckDB).
#[rustfmt::skip]
const ARITY_FUNCTIONS: &[&str] = &[
    "upper", "lower", "length", "abs", "date_trunc", "date_diff", "datediff", "round", "sum",
    "avg", "count", "left", "right", "substr", "substring", "replace", "split_part", "nullif",
    "strftime", "year", "month", "md5", "trim", "lpad", "list_transform", "list_filter",
    "greatest", "row_number", "lag", "date_part", "string_agg", "to_json", "coalesce", "concat",
];

/// Keywords that end a GROUP BY list.
#[rustfmt::skip]
const CLAUSE_END: &[&str] = &[
    "having", "order", "limit", "qualify", "window", "union", "intersect", "except", "offset",
];

/// One candidate: (mutation class, SQL).
pub type Mutation = (&'static str, String);

/// All mutation candidates of `sql` (a query DuckDB accepts). `out` is its output as
/// DESCRIBE printed it (name, type), used by the mutations that wrap the query as a
/// derived table. Without `wrap` (the expression matrix) only in-place mutations of
/// columns, qualifiers, calls and clauses are made.
pub fn mutations(sql: &str, up: &Upstream, out: &[(String, String)], wrap: bool) -> Vec<Mutation> {
    let sql = sql.trim().trim_end_matches(';').trim_end();
    let toks = lex(sql);
    let text = |t: &Token| tx(sql, t);
    let lower = |t: &Token| sql[t.start..t.end].to_ascii_lowercase();
    let replace =
        |start: usize, end: usize, with: &str| format!("{}{}{}", &sql[..start], with, &sql[end..]);
    let columns: BTreeSet<String> = up
        .tables
        .values()
        .flat_map(|(_, s)| s.columns.iter().map(|c| c.name.to_ascii_lowercase()))
        .collect();
    let tables_used: Vec<String> = toks
        .iter()
        .filter(|t| t.kind == Tok::Word && up.tables.contains_key(&lower(t)))
        .map(lower)
        .collect();
    let is_call = |i: usize| toks.get(i + 1).is_some_and(|n| text(n) == "(");
    let after_dot = |i: usize| i > 0 && text(&toks[i - 1]) == ".";
    let mut found: Vec<Mutation> = Vec::new();

    // A misspelled column: the first and the last upstream column name used.
    let col_uses: Vec<usize> = (0..toks.len())
        .filter(|&i| toks[i].kind == Tok::Word && columns.contains(&lower(&toks[i])) && !is_call(i))
        .collect();
    for i in pick_ends(&col_uses) {
        let t = &toks[i];
        let w = text(t);
        let typo = format!("{}{}", &w[..w.len() / 2], &w[w.len() / 2 + 1..]);
        found.push(("misspelled_column", replace(t.start, t.end, &typo)));
    }

    // Qualified references `q.col` (q not a schema name).
    let qualified: Vec<usize> = (0..toks.len().saturating_sub(2))
        .filter(|&i| {
            toks[i].kind == Tok::Word
                && text(&toks[i + 1]) == "."
                && matches!(toks[i + 2].kind, Tok::Word | Tok::Quoted)
                && !after_dot(i)
                && !matches!(lower(&toks[i]).as_str(), "main" | "memory")
                && !is_call(i + 2)
        })
        .collect();
    let qualifiers: BTreeSet<String> = qualified.iter().map(|&i| lower(&toks[i])).collect();
    if let Some(&i) = qualified.last() {
        let q = lower(&toks[i]);
        if let Some(other) = qualifiers.iter().find(|o| **o != q) {
            found.push((
                "wrong_qualifier",
                replace(toks[i].start, toks[i].end, other),
            ));
        }
        found.push((
            "unknown_qualifier",
            replace(toks[i].start, toks[i].end, "zz"),
        ));
    }
    // Ambiguity: drop the qualifier of a column two used tables both have.
    let shared = |col: &str| {
        let mut seen = BTreeSet::new();
        for t in &tables_used {
            if up.schema(t).is_some_and(|s| s.column(col).is_some()) {
                seen.insert(t.clone());
            }
        }
        seen.len() >= 2
    };
    if let Some(&i) = qualified.iter().find(|&&i| shared(&lower(&toks[i + 2]))) {
        found.push((
            "ambiguous_column",
            replace(toks[i].start, toks[i + 2].start, ""),
        ));
    }

    // Function calls: an unknown name, and one argument more or fewer.
    let calls: Vec<usize> = (0..toks.len())
        .filter(|&i| {
            toks[i].kind == Tok::Word
                && is_call(i)
                && !after_dot(i)
                && !NOT_FUNCTIONS.contains(&lower(&toks[i]).as_str())
                && !up.tables.contains_key(&lower(&toks[i]))
        })
        .collect();
    for i in pick_ends(&calls) {
        let w = text(&toks[i]);
        let typo = format!("{w}{}", &w[w.len() - 1..]);
        found.push((
            "unknown_function",
            replace(toks[i].start, toks[i].end, &typo),
        ));
    }
    let arity_calls: Vec<usize> = calls
        .iter()
        .copied()
        .filter(|&i| ARITY_FUNCTIONS.contains(&lower(&toks[i]).as_str()))
        .collect();
    // Not `count(*)`: `count(*, 1)` is no mistake anyone makes.
    if let Some(&i) = arity_calls
        .iter()
        .find(|&&i| toks.get(i + 2).is_some_and(|t| text(t) != "*"))
        && let Some(close) = matching_paren(&toks, i + 1, sql)
    {
        let at = toks[close].start;
        found.push(("wrong_arity_extra", replace(at, at, ", 1")));
        let commas = top_level_commas(&toks, i + 1, close, sql);
        if let Some(&last) = commas.last() {
            found.push(("wrong_arity_missing", replace(toks[last].start, at, "")));
        }
    }

    // A relation misspelled where it is used: the last table or CTE named after FROM/JOIN
    // (not in the expression matrix, where it would be the same `from orderz` 300 times).
    let ctes: BTreeSet<String> = (0..toks.len().saturating_sub(2))
        .filter(|&i| {
            toks[i].kind == Tok::Word
                && lower(&toks[i + 1]) == "as"
                && (text(&toks[i + 2]) == "(" || lower(&toks[i + 2]) == "materialized")
        })
        .map(|i| lower(&toks[i]))
        .collect();
    if let Some(i) = (1..toks.len()).rev().filter(|_| wrap).find(|&i| {
        toks[i].kind == Tok::Word
            && matches!(lower(&toks[i - 1]).as_str(), "from" | "join")
            && (ctes.contains(&lower(&toks[i])) || up.tables.contains_key(&lower(&toks[i])))
            && !is_call(i)
    }) {
        let w = text(&toks[i]);
        let typo = format!("{}{}", &w[..w.len() - 1], "z");
        found.push((
            "unknown_relation",
            replace(toks[i].start, toks[i].end, &typo),
        ));
    }
    // A window condition moved from QUALIFY to WHERE (only without a WHERE of its own).
    if !toks.iter().any(|t| lower(t) == "where")
        && let Some(q) = toks.iter().position(|t| lower(t) == "qualify")
    {
        found.push((
            "window_in_where",
            replace(toks[q].start, toks[q].end, "where"),
        ));
    }

    // GROUP BY: drop its last item (or the whole clause when it has one item).
    if let Some(g) = (0..toks.len().saturating_sub(1))
        .find(|&i| lower(&toks[i]) == "group" && lower(&toks[i + 1]) == "by")
        && toks.get(g + 2).is_some_and(|t| lower(t) != "all")
    {
        let mut depth = 0i32;
        let mut end = toks.len();
        let mut commas = Vec::new();
        for (j, t) in toks.iter().enumerate().skip(g + 2) {
            match text(t) {
                "(" => depth += 1,
                ")" if depth == 0 => {
                    end = j;
                    break;
                }
                ")" => depth -= 1,
                "," if depth == 0 => commas.push(j),
                _ if depth == 0 && CLAUSE_END.contains(&lower(t).as_str()) => {
                    end = j;
                    break;
                }
                _ => {}
            }
        }
        let stop = toks.get(end).map_or(sql.len(), |t| t.start);
        let mutated = match commas.last() {
            Some(&c) => format!("{} {}", &sql[..toks[c].start], &sql[stop..]),
            None => format!("{} {}", &sql[..toks[g].start], &sql[stop..]),
        };
        found.push(("not_grouped", mutated));
    }

    // Set operations: one more column in the branch after the first UNION.
    if let Some(u) = toks.iter().position(|t| lower(t) == "union")
        && let Some(s) = toks[u..].iter().position(|t| lower(t) == "select")
    {
        let at = toks[u + s].end;
        found.push(("union_extra_column", replace(at, at, " null as extra_col,")));
    }
    // Wrapping mutations on the output: arity of a UNION, comparisons across types. Not
    // for the expression matrix, where they would repeat one shape hundreds of times.
    if !wrap {
        return found;
    }
    let n = out.len();
    let nulls = |k: usize| vec!["null"; k].join(", ");
    found.push((
        "union_arity",
        format!(
            "select * from ({sql}) as q union all select {}",
            nulls(n + 1)
        ),
    ));
    let quote = |c: &str| format!("q.\"{}\"", c.replace('"', "\"\""));
    let of_type = |pred: &dyn Fn(&str) -> bool| out.iter().find(|(_, t)| pred(t)).map(|(c, _)| c);
    let is_int = |t: &str| t.ends_with("INT") || t == "INTEGER";
    if let Some(v) = of_type(&|t| t == "VARCHAR") {
        // DuckDB 1.5 binds `varchar = <int or date>` (both sides cast to VARCHAR) but
        // refuses `<`: both are asked, the oracle labels them.
        for (class, op, other) in [
            ("compare_eq_varchar_int", "=", of_type(&is_int)),
            ("compare_lt_varchar_int", "<", of_type(&is_int)),
            ("compare_lt_varchar_date", "<", of_type(&|t| t == "DATE")),
        ] {
            if let Some(o) = other {
                found.push((
                    class,
                    format!(
                        "select * from ({sql}) as q where {} {op} {}",
                        quote(v),
                        quote(o)
                    ),
                ));
            }
        }
        if let Some(o) = of_type(&is_int) {
            found.push((
                "add_varchar_int",
                format!("select {} + {} as s from ({sql}) as q", quote(v), quote(o)),
            ));
        }
    }
    found
}

/// The first and the last candidate (a mutation near the import CTEs and one near the
/// final select).
fn tx<'a>(sql: &'a str, t: &Token) -> &'a str {
    &sql[t.start..t.end]
}

fn pick_ends(v: &[usize]) -> Vec<usize> {
    match v {
        [] => vec![],
        [a] => vec![*a],
        [a, .., b] => vec![*a, *b],
    }
}

fn matching_paren(toks: &[Token], open: usize, sql: &str) -> Option<usize> {
    let mut depth = 0;
    for (j, t) in toks.iter().enumerate().skip(open) {
        match tx(sql, t) {
            "(" => depth += 1,
            ")" => {
                depth -= 1;
                if depth == 0 {
                    return Some(j);
                }
            }
            _ => {}
        }
    }
    None
}

fn top_level_commas(toks: &[Token], open: usize, close: usize, sql: &str) -> Vec<usize> {
    let mut depth = 0;
    let mut out = Vec::new();
    for (j, t) in toks.iter().enumerate().take(close).skip(open) {
        match tx(sql, t) {
            "(" | "[" => depth += 1,
            ")" | "]" => depth -= 1,
            "," if depth == 1 => out.push(j),
            _ => {}
        }
    }
    out
}
