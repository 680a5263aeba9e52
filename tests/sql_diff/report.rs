//! Scores dbtc against the oracle, query by query, and renders the report.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::LazyLock;

use dbtc::sql::QueryAnalysis;

use crate::corpus::Entry;
use crate::oracle::Verdict;

/// dbtc's side of one query.
pub enum Outcome {
    Analyzed(QueryAnalysis),
    /// analyze_query panicked (the message).
    Panicked(String),
}

pub struct Scored {
    pub entry: Entry,
    pub verdict: Verdict,
    pub outcome: Outcome,
    /// sqlparser 0.64 (DuckDB dialect) does not parse it as one statement.
    pub parse_gap: bool,
    /// Wall time of analyze_query (debug build, shared machine: a hint, never asserted).
    pub analysis_time: std::time::Duration,
}

#[derive(Default, Clone, Copy)]
pub struct Tally {
    pub queries: usize,
    pub parse_gaps: usize,
    pub syntax_errors: usize,
    pub panics: usize,
    pub errors: usize,
    pub errors_flagged: usize,
    pub valid: usize,
    pub valid_flagged: usize,
    pub valid_with_schema: usize,
    pub names_equal: usize,
    pub columns: usize,
    pub types_exact: usize,
    pub types_unknown: usize,
    /// DuckDB columns past the end of dbtc's (shorter) column list.
    pub types_unpaired: usize,
    /// Flagged DuckDB errors whose cause maps to one dbtc code, and those where dbtc
    /// reported that code (informational: not part of the ratchet).
    pub codes_expected: usize,
    pub codes_equal: usize,
}

impl Tally {
    pub fn add(&mut self, o: &Tally) {
        self.queries += o.queries;
        self.parse_gaps += o.parse_gaps;
        self.syntax_errors += o.syntax_errors;
        self.panics += o.panics;
        self.errors += o.errors;
        self.errors_flagged += o.errors_flagged;
        self.valid += o.valid;
        self.valid_flagged += o.valid_flagged;
        self.valid_with_schema += o.valid_with_schema;
        self.names_equal += o.names_equal;
        self.columns += o.columns;
        self.types_exact += o.types_exact;
        self.types_unknown += o.types_unknown;
        self.types_unpaired += o.types_unpaired;
        self.codes_expected += o.codes_expected;
        self.codes_equal += o.codes_equal;
    }
    pub fn recall(&self) -> f64 {
        ratio(self.errors_flagged, self.errors)
    }
    pub fn false_positive_rate(&self) -> f64 {
        ratio(self.valid_flagged, self.valid)
    }
    pub fn name_agreement(&self) -> f64 {
        ratio(self.names_equal, self.valid_with_schema)
    }
    pub fn type_agreement(&self) -> f64 {
        ratio(self.types_exact, self.columns)
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

fn is_error(code: &str) -> bool {
    code.starts_with('E')
}

/// Scores one query into `t`; returns its disagreements (class, detail) if any.
pub fn score(s: &Scored, t: &mut Tally) -> Vec<(String, String)> {
    t.queries += 1;
    let mut out = Vec::new();
    if matches!(s.verdict, Verdict::SyntaxError(_)) {
        t.syntax_errors += 1;
        return out;
    }
    if s.parse_gap {
        t.parse_gaps += 1;
        return out;
    }
    let a = match &s.outcome {
        Outcome::Analyzed(a) => a,
        Outcome::Panicked(msg) => {
            t.panics += 1;
            out.push(("dbtc panicked".into(), msg.clone()));
            return out;
        }
    };
    let errors: Vec<String> = a
        .diagnostics
        .iter()
        .filter(|d| is_error(d.code))
        .map(|d| format!("{} {}", d.code, d.message))
        .collect();
    match &s.verdict {
        Verdict::BindError(msg) => {
            t.errors += 1;
            if errors.is_empty() {
                out.push((format!("missed error: {}", error_class(msg)), msg.clone()));
            } else {
                t.errors_flagged += 1;
                if let Some(code) = expected_code(msg) {
                    t.codes_expected += 1;
                    if a.diagnostics.iter().any(|d| d.code == code) {
                        t.codes_equal += 1;
                    } else {
                        let got: std::collections::BTreeSet<&str> =
                            a.diagnostics.iter().map(|d| d.code).collect();
                        out.push((
                            format!("code differs: DuckDB's cause is {code}, dbtc {got:?}"),
                            format!("{msg}\n      dbtc: {}", errors.join(" | ")),
                        ));
                    }
                }
            }
        }
        Verdict::Valid(cols) => {
            t.valid += 1;
            if !errors.is_empty() {
                t.valid_flagged += 1;
                let code = a.diagnostics[0].code;
                out.push((format!("false positive: {code}"), errors.join(" | ")));
            }
            let Some(schema) = &a.schema else {
                out.push(("no schema for a valid query".into(), String::new()));
                return out;
            };
            t.valid_with_schema += 1;
            let names: Vec<&str> = schema.columns.iter().map(|c| c.name.as_str()).collect();
            let want: Vec<&str> = cols.iter().map(|(n, _)| n.as_str()).collect();
            if names == want {
                t.names_equal += 1;
            } else {
                out.push((
                    "names differ".into(),
                    format!("duckdb {want:?}\n      dbtc   {names:?}"),
                ));
            }
            t.columns += cols.len();
            for (i, (name, ty)) in cols.iter().enumerate() {
                let Some(c) = schema.columns.get(i) else {
                    t.types_unpaired += cols.len() - i;
                    break;
                };
                let got = c.ty.to_string();
                if &got == ty {
                    t.types_exact += 1;
                } else if c.ty.is_unknown() {
                    t.types_unknown += 1;
                    out.push((
                        format!("type UNKNOWN where DuckDB has {}", coarse(ty)),
                        format!("column {i} `{name}`: duckdb {ty}, dbtc UNKNOWN"),
                    ));
                } else {
                    out.push((
                        format!("type {ty} vs dbtc {got}"),
                        format!("column {i} `{name}`: duckdb {ty}, dbtc {got}"),
                    ));
                }
            }
        }
        Verdict::SyntaxError(_) => unreachable!(),
    }
    out
}

/// A type name without its parameters (`DECIMAL(18,2)[]` -> `DECIMAL[]`), so UNKNOWN
/// columns group by kind.
fn coarse(ty: &str) -> String {
    let mut out = String::new();
    let mut depth = 0;
    for ch in ty.chars() {
        match ch {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ if depth == 0 => out.push(ch),
            _ => {}
        }
    }
    out
}

/// The dbtc code for the cause of a DuckDB bind error, where there is one.
pub fn expected_code(msg: &str) -> Option<&'static str> {
    use dbtc::diagnostics::codes;
    let has = |s: &str| msg.contains(s);
    Some(if has("Ambiguous reference") {
        codes::AMBIGUOUS_COLUMN
    } else if (has("Referenced column") && has("not found"))
        || has("does not have a column named")
        || has("Could not find key")
    {
        codes::UNKNOWN_COLUMN
    } else if has("Referenced table") || (has("Table with name") && has("does not exist")) {
        codes::UNKNOWN_RELATION
    } else if has("Function with name") && has("does not exist") {
        codes::UNKNOWN_FUNCTION
    } else if has("No function matches") || has("takes exactly") {
        codes::NO_OVERLOAD
    } else if has("Cannot compare values") || has("Cannot mix values") {
        codes::TYPE_MISMATCH
    } else if has("must appear in the GROUP BY clause") {
        codes::NOT_GROUPED
    } else if has("Set operations can only apply") {
        codes::SET_OP_ARITY
    } else if has("cannot be nested") || has("cannot contain aggregates") {
        codes::AGGREGATE_MISUSE
    } else {
        return None;
    })
}

/// A DuckDB error message with names and values blanked, so equal causes group together.
pub fn error_class(msg: &str) -> String {
    static NAMES: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(r#""[^"]*"|'[^']*'|\([^()]*\)|(with name|table) \w+"#).expect("regex")
    });
    let s = NAMES.replace_all(msg, "_");
    let s: String = s.chars().take(90).collect();
    s
}

/// Renders per-category rows, the most common disagreement classes and the disagreeing
/// queries (the first `limit` in the short text, all in the full one); returns the totals
/// over everything and over the mutations alone.
pub fn render(scored: &[Scored], limit: usize) -> (String, String, Tally, Tally) {
    let mut by_cat: BTreeMap<String, Tally> = BTreeMap::new();
    let mut classes: BTreeMap<String, usize> = BTreeMap::new();
    let mut details = String::new();
    let mut short = String::new();
    let mut shown = 0;
    let mut later: Vec<String> = Vec::new();
    let mut gaps = String::new();
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for s in scored {
        if let Verdict::BindError(e) = &s.verdict {
            *kinds.entry(e.split(':').next().unwrap_or("")).or_default() += 1;
        }
        if let Verdict::SyntaxError(e) = &s.verdict {
            let _ = writeln!(gaps, "  DuckDB syntax error: {} ({e})", s.entry.name);
        } else if s.parse_gap && !s.entry.category.starts_with("mutation:") {
            let _ = writeln!(gaps, "  sqlparser parse gap: {}", s.entry.name);
        }
        let group = s.entry.category.clone();
        let t = by_cat.entry(group).or_default();
        let diffs = score(s, t);
        if diffs.is_empty() {
            continue;
        }
        let mut block = format!(
            "--- [{}] {}\n{}\n",
            s.entry.category, s.entry.name, s.entry.sql
        );
        if let Verdict::BindError(e) = &s.verdict {
            let _ = writeln!(block, "  duckdb: {e}");
        }
        // Only a differing diagnostic code is informational: such queries are listed on
        // the console only when nothing else is left to show.
        let informational = diffs.iter().all(|(c, _)| c.starts_with("code differs"));
        for (class, detail) in diffs {
            *classes.entry(class.clone()).or_default() += 1;
            let _ = writeln!(block, "  => {class}\n      {detail}");
        }
        details.push_str(&block);
        if informational {
            if later.len() < limit {
                later.push(block);
            }
        } else if shown < limit {
            short.push_str(&block);
            shown += 1;
        }
    }
    for block in later.into_iter().take(limit - shown) {
        short.push_str(&block);
    }
    let mut total = Tally::default();
    let mut mutations = Tally::default();
    let mut table = String::new();
    let _ = writeln!(
        table,
        "{:<34} {:>5} {:>5} {:>5} {:>9} {:>9} {:>9} {:>9} {:>5}",
        "category", "n", "gaps", "syntx", "recall", "fp", "names", "types", "unk"
    );
    for (cat, t) in &by_cat {
        total.add(t);
        if cat.starts_with("mutation:") {
            mutations.add(t);
        }
        let _ = writeln!(
            table,
            "{:<34} {:>5} {:>5} {:>5} {:>4}/{:<4} {:>4}/{:<4} {:>4}/{:<4} {:>4}/{:<4} {:>5}",
            cat,
            t.queries,
            t.parse_gaps,
            t.syntax_errors,
            t.errors_flagged,
            t.errors,
            t.valid_flagged,
            t.valid,
            t.names_equal,
            t.valid_with_schema,
            t.types_exact,
            t.columns,
            t.types_unknown
        );
    }
    let mut top: Vec<(&String, &usize)> = classes.iter().collect();
    top.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let mut head = String::new();
    let _ = writeln!(head, "{table}");
    let _ = writeln!(head, "DuckDB bind errors by kind: {kinds:?}\n");
    let _ = writeln!(head, "most common disagreement classes:");
    for (c, n) in top.iter().take(40) {
        let _ = writeln!(head, "  {n:>5}  {c}");
    }
    let _ = writeln!(
        head,
        "not scored (parse gaps, DuckDB syntax errors):\n{gaps}"
    );
    (
        format!("{head}\nfirst {limit} disagreeing queries:\n{short}"),
        format!("{head}\nall disagreeing queries:\n{details}"),
        total,
        mutations,
    )
}

/// One line per query, `category<TAB>name<TAB>DuckDB's verdict<TAB>disagreement classes or
/// ok`, sorted: diff two runs to see what a binder change fixed and what it broke.
pub fn outcomes(scored: &[Scored]) -> String {
    let mut lines: Vec<String> = scored
        .iter()
        .map(|s| {
            let verdict = match (&s.verdict, s.parse_gap) {
                (Verdict::SyntaxError(_), _) => "duckdb-syntax-error",
                (_, true) => "parse-gap",
                (Verdict::Valid(_), _) => "valid",
                (Verdict::BindError(_), _) => "bind-error",
            };
            let classes: Vec<String> = score(s, &mut Tally::default())
                .into_iter()
                .map(|(c, _)| c)
                .collect();
            let result = if classes.is_empty() {
                "ok".to_string()
            } else {
                classes.join("; ")
            };
            format!(
                "{}\t{}\t{verdict}\t{result}",
                s.entry.category, s.entry.name
            )
        })
        .collect();
    lines.sort();
    lines.join("\n") + "\n"
}
