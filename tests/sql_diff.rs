//! The differential test of static analysis (issue 3, "How we will judge it"): every query
//! of the corpus, every mutation derived from it and every trap is bound by DuckDB
//! (`DESCRIBE <query>`, the oracle) and analyzed by dbtc (`analyze_query`); the report
//! compares bind errors, output names, output types and column lineage.
//!
//! Data: `tests/sql_diff/schemas.sql` (upstream tables), `tests/sql_diff/queries/*.sql`
//! (named queries, category = file stem), `tests/sql_diff/queries/*.txt` (expression
//! matrices), `tests/sql_diff/lineage.sql` (expected lineage). The full report goes to
//! `target/sql_diff_report.txt`, one line per query to `target/sql_diff_outcomes.tsv`.
//! Run: `cargo test --test sql_diff -- --nocapture` (or `scripts/sql_diff_report.sh`).
//!
//! While fixing one thing: `SQL_DIFF_ONLY=<text>` keeps the corpus entries whose category
//! or name contains it (and their mutations; the ratchet is then not asserted), and
//! `SQL_DIFF_SHOW=<n>` shows n disagreeing queries on the console instead of 40.
//!
//! The floors below are a ratchet: raise them when the binder improves.

#[path = "sql_diff/corpus.rs"]
mod corpus;
#[path = "sql_diff/lineage.rs"]
mod lineage;
#[path = "sql_diff/mutate.rs"]
mod mutate;
#[path = "sql_diff/oracle.rs"]
mod oracle;
#[path = "sql_diff/provider.rs"]
mod provider;
#[path = "sql_diff/report.rs"]
mod report;

use std::collections::BTreeSet;
use std::path::PathBuf;

use dbtc::sql::{Dialect, analyze_query};

use corpus::Entry;
use oracle::Verdict;
use report::{Outcome, Scored};

/// The targets, printed next to the measured values.
const TARGET_RECALL: f64 = 0.99;
const TARGET_FALSE_POSITIVES: f64 = 0.005;
const TARGET_NAMES: f64 = 1.0;
const TARGET_TYPES: f64 = 0.98;
const TARGET_LINEAGE: f64 = 1.0;

/// Ratchet floors (a ceiling for false positives), set on the binder of the stop-2 HEAD:
/// recall 98.23%, false positives 0.35%, names 99.82%, types 98.66%, lineage columns 100%.
/// Recall was 98.59% before: it dropped when "no overload" errors on arguments holding
/// UNKNOWN or nested STRUCT/MAP types became arity-only and unlistable expansions
/// (`unnest(struct)`, nested `COLUMNS`) made the SELECT opaque, which halved the false
/// positives (0.69% -> 0.35%, now within the target). Raise the floors as the
/// binder improves; lowering one needs a reason like this one.
/// Raised (H8): recall 98.23% -> 99.11% (3245/3274) from the arity of lambda list functions,
/// binding the input of PIVOT/UNPIVOT, `to_json`'s single argument, `col -> '$.a'` read as
/// the JSON arrow outside lambda functions and unknown struct keys; false positives unchanged (4/1157), types 98.69%;
/// names 99.82% -> 100% (1142/1142) from DuckDB's names of `INTERVAL n unit` (`to_days(...)`).
/// Raised (H9): the output schema of PIVOT/UNPIVOT with literal IN lists, SQL-standard forms
/// and DuckDB's statements (66 new PIVOT/UNPIVOT corpus entries, 5 lineage cases): recall
/// 99.32% (3514/3538), false positives 4/1229 (0.33%), names 1214/1214, types 98.81%
/// (3500/3542), lineage 117/117.
/// Raised (H9, DuckDB expansions): `unnest(struct)`, `unnest(x, recursive := true)` and
/// expressions over one `COLUMNS(...)` are listed, HAVING aggregates a SELECT, `*` over two
/// FROM items with one alias and SELECT aliases of aggregates/windows in WHERE are DuckDB's
/// errors (tests/sql_diff/queries/expansions.sql): recall 99.78% (3618/3626), false
/// positives 5/1254 (0.40%: the new same_alias_qualified_column, `o.order_id` over two
/// items aliased `o`, which DuckDB resolves in whichever has the column; resolve.rs takes
/// the last item), types 98.83% (3637/3680), names 1249/1249, lineage 117/117.
/// Lowered (H9): false positives 5/1254 -> 1/1256 (0.08%): DuckDB's `nullif` is a scalar
/// macro, so `x / nullif(sum(y), 0)` is no nested aggregate (fct_daily_revenue_by_country
/// and its mutations); recall 99.78% (3633/3641). The one left is same_alias_qualified_column.
/// Raised (H9): IN/ANY/ALL over a subquery needs a max type of the two sides, `x[i]`,
/// `x[a:b]` and `x.f` on plain scalars are DuckDB's bind errors (queries/subscripts_in.sql):
/// recall 99.84% (3669/3675), false positives 1/1262, types 98.84% (3650/3693).
/// GROUP BY column keys match by identity (queries/group_identity.sql): recall 99.87%
/// (3707/3712), false positives 1/1272, types 98.84% (3666/3709), names 1267/1267.
/// COLUMNS(lambda) over names (queries/columns_lambda.sql): recall 99.89% (3735/3739),
/// false positives 1/1282, names 1278/1278, types 98.85% (3708/3751).
/// List aggregates typed (queries/list_aggregates.sql): recall 99.89% (3774/3778), false
/// positives 1/1290, names 1286/1286, types 98.82% -> 99.15% (3754/3786, 32 UNKNOWN).
/// struct_pack typed (queries/struct_pack.sql): types 99.21% (3760/3790, 30 UNKNOWN),
/// recall 99.89% (3788/3792), false positives 1/1294, names 1290/1290.
/// Parenthesized PIVOT/UNPIVOT statements (CTE bodies, derived tables) read: parse gaps
/// 52 -> 12, recall 99.87% (3849/3854), false positives 1/1310, types 99.22% (3840/3870).
const FLOOR_RECALL: f64 = 0.998;
const CEILING_FALSE_POSITIVES: f64 = 0.001;
const FLOOR_NAMES: f64 = 1.0;
/// DuckDB's `^` (power) and ARRAY(subquery) typed: types 99.34% (3899/3925, 26 UNKNOWN),
/// recall 99.85% (3917/3923), false positives 1/1328, names 1324/1324.
const FLOOR_TYPES: f64 = 0.993;
const FLOOR_LINEAGE_COLUMNS: f64 = 0.995;

/// How many disagreeing queries the console shows by default (the file has all of them).
const SHOW: usize = 40;

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sql_diff")
}

fn report_path() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("sql_diff_report.txt")
}

fn parses(sql: &str) -> bool {
    let dialect = sqlparser::dialect::DuckDbDialect {};
    matches!(sqlparser::parser::Parser::parse_sql(&dialect, sql), Ok(s) if s.len() == 1)
}

/// dbtc's analysis, with a panic caught and reported as a failure of that query.
fn analyze(sql: &str, up: &provider::Upstream) -> Outcome {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        analyze_query(sql, Dialect::DuckDb, up)
    })) {
        Ok(a) => Outcome::Analyzed(a),
        Err(p) => Outcome::Panicked(
            p.downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default(),
        ),
    }
}

fn run(conn: &duckdb::Connection, up: &provider::Upstream, entry: Entry) -> Scored {
    let verdict = oracle::verdict(conn, &entry.sql);
    let started = std::time::Instant::now();
    let outcome = analyze(&entry.sql, up);
    let analysis_time = started.elapsed();
    // dbtc reads DuckDB's PIVOT/UNPIVOT statements itself, where sqlparser fails: a query
    // is a gap only when neither reads it (dbtc reports a syntax error then).
    let read_by_dbtc = matches!(&outcome, Outcome::Analyzed(a)
        if !a.diagnostics.iter().any(|d| d.code == dbtc::diagnostics::codes::SQL_SYNTAX));
    let parse_gap = !parses(&entry.sql) && !read_by_dbtc;
    Scored {
        entry,
        verdict,
        outcome,
        parse_gap,
        analysis_time,
    }
}

fn pct(x: f64) -> String {
    format!("{:6.2}%", x * 100.0)
}

#[test]
fn differential_against_duckdb() {
    let started = std::time::Instant::now();
    let dir = data_dir();
    let conn = oracle::connection(&std::fs::read_to_string(dir.join("schemas.sql")).unwrap());
    let up = provider::Upstream::from_duckdb(&conn);

    // Binder panics are scored as failures of their query, not printed 1000 times.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));

    let only = env("SQL_DIFF_ONLY");
    let mut scored: Vec<Scored> = corpus::load(&dir.join("queries"))
        .into_iter()
        .filter(|e| {
            only.as_ref()
                .is_none_or(|o| e.category.contains(o.as_str()) || e.name.contains(o.as_str()))
        })
        .map(|e| run(&conn, &up, e))
        .collect();

    // Mutations of every valid query sqlparser reads, deduplicated by text.
    let mut seen: BTreeSet<String> = scored.iter().map(|s| s.entry.sql.clone()).collect();
    let mut mutants = Vec::new();
    let mut syntax_dropped = 0;
    for s in scored.iter().filter(|s| !s.parse_gap) {
        let Verdict::Valid(out) = &s.verdict else {
            continue;
        };
        let candidates = mutate::mutations(&s.entry.sql, &up, out, !s.entry.matrix);
        for (k, (class, sql)) in candidates.into_iter().enumerate() {
            if !seen.insert(sql.clone()) {
                continue;
            }
            let m = run(
                &conn,
                &up,
                Entry {
                    category: format!("mutation:{class}"),
                    name: format!("{} ({class} #{k})", s.entry.name),
                    sql,
                    matrix: false,
                },
            );
            if matches!(m.verdict, Verdict::SyntaxError(_)) {
                syntax_dropped += 1;
            } else {
                mutants.push(m);
            }
        }
    }
    scored.extend(mutants);

    let lineage_text = std::fs::read_to_string(dir.join("lineage.sql")).unwrap();
    let mut lin = lineage::Score::default();
    for case in lineage::load(&lineage_text).into_iter().filter(|c| {
        only.as_ref()
            .is_none_or(|o| c.name.contains(o.as_str()) || "lineage".contains(o.as_str()))
    }) {
        if let Outcome::Analyzed(a) = analyze(&case.sql, &up) {
            lineage::score(&case, &a, &mut lin);
        } else {
            lineage::score(&case, &Default::default(), &mut lin);
        }
    }
    std::panic::set_hook(hook);

    let show = env("SQL_DIFF_SHOW")
        .and_then(|n| n.parse().ok())
        .unwrap_or(SHOW);
    let (short, full, t, m) = report::render(&scored, show);
    let mut head = String::new();
    head.push_str(&format!(
        "sql_diff: {} queries ({} corpus, {} mutations labeled by DuckDB, {} mutations dropped \
         as DuckDB syntax errors), {} parse gaps (sqlparser 0.64), {} dbtc panics, {:.1}s\n",
        t.queries,
        scored
            .iter()
            .filter(|s| !s.entry.category.starts_with("mutation:"))
            .count(),
        scored
            .iter()
            .filter(|s| s.entry.category.starts_with("mutation:"))
            .count(),
        syntax_dropped,
        t.parse_gaps,
        t.panics,
        started.elapsed().as_secs_f64()
    ));
    let lin_cols = lin.columns_exact as f64 / lin.columns.max(1) as f64;
    let rows = [
        (
            "bind-error recall",
            t.recall(),
            TARGET_RECALL,
            FLOOR_RECALL,
            ">=",
        ),
        (
            "false-positive rate",
            t.false_positive_rate(),
            TARGET_FALSE_POSITIVES,
            CEILING_FALSE_POSITIVES,
            "<=",
        ),
        (
            "name agreement",
            t.name_agreement(),
            TARGET_NAMES,
            FLOOR_NAMES,
            ">=",
        ),
        (
            "type exact agreement",
            t.type_agreement(),
            TARGET_TYPES,
            FLOOR_TYPES,
            ">=",
        ),
        (
            "lineage columns exact",
            lin_cols,
            TARGET_LINEAGE,
            FLOOR_LINEAGE_COLUMNS,
            ">=",
        ),
    ];
    head.push_str(&format!(
        "{:<24} {:>8} {:>8} {:>8}\n",
        "metric", "measured", "target", "floor"
    ));
    for (name, got, target, floor, op) in rows {
        head.push_str(&format!(
            "{name:<24} {} {op}{} {op}{}\n",
            pct(got),
            pct(target),
            pct(floor)
        ));
    }
    head.push_str(&format!(
        "  recall {}/{} DuckDB bind errors flagged; false positives {}/{} valid; names {}/{} \
         valid with a dbtc schema ({} valid without); types {}/{} columns exact, {} UNKNOWN, {} past the end of dbtc's columns\n",
        t.errors_flagged,
        t.errors,
        t.valid_flagged,
        t.valid,
        t.names_equal,
        t.valid_with_schema,
        t.valid - t.valid_with_schema,
        t.types_exact,
        t.columns,
        t.types_unknown,
        t.types_unpaired,
    ));
    head.push_str(&format!(
        "  diagnostic codes (informational): {}/{} flagged DuckDB errors with a mappable cause \
         carry the matching code\n",
        t.codes_equal, t.codes_expected
    ));
    head.push_str(&format!(
        "  corpus alone (no mutations): recall {}/{}, false positives {}/{}, names {}/{}, types \
         {}/{}; mutations alone: recall {}/{}, false positives {}/{} (mutations DuckDB accepts)\n",
        t.errors_flagged - m.errors_flagged,
        t.errors - m.errors,
        t.valid_flagged - m.valid_flagged,
        t.valid - m.valid,
        t.names_equal - m.names_equal,
        t.valid_with_schema - m.valid_with_schema,
        t.types_exact - m.types_exact,
        t.columns - m.columns,
        m.errors_flagged,
        m.errors,
        m.valid_flagged,
        m.valid,
    ));
    let mut slowest: Vec<&Scored> = scored.iter().collect();
    slowest.sort_by_key(|s| std::cmp::Reverse(s.analysis_time));
    let total_analysis: std::time::Duration = scored.iter().map(|s| s.analysis_time).sum();
    head.push_str(&format!(
        "  analyze_query: {:.0} ms in all; slowest {}\n",
        total_analysis.as_secs_f64() * 1000.0,
        slowest
            .iter()
            .take(3)
            .map(|s| format!(
                "{} ({:.1} ms)",
                s.entry.name,
                s.analysis_time.as_secs_f64() * 1000.0
            ))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    head.push_str(&format!(
        "  lineage: {}/{} cases exact, {}/{} columns exact, edges recall {}/{} precision {}/{}\n",
        lin.cases_exact,
        lin.cases,
        lin.columns_exact,
        lin.columns,
        lin.edges_found,
        lin.edges_expected,
        lin.edges_found,
        lin.edges_dbtc
    ));
    if !up.parse_gaps.is_empty() || !up.spelling_gaps.is_empty() {
        head.push_str(&format!(
            "  upstream types SqlType::parse does not read: {:?}; to_string differs from \
             DESCRIBE: {:?}\n",
            up.parse_gaps, up.spelling_gaps
        ));
    }
    head.push('\n');
    let path = report_path();
    let _ = std::fs::create_dir_all(path.parent().unwrap());
    std::fs::write(
        &path,
        format!("{head}{full}\nlineage disagreements:\n{}", lin.detail),
    )
    .unwrap();
    let outcomes_path = path.with_file_name("sql_diff_outcomes.tsv");
    std::fs::write(&outcomes_path, report::outcomes(&scored)).unwrap();
    println!(
        "{head}{short}\nlineage disagreements (first cases):\n{}\nfull report: {}\n\
         per-query outcomes (diff two runs): {}",
        lin.detail.chars().take(3000).collect::<String>(),
        path.display(),
        outcomes_path.display()
    );

    let mut failed = Vec::new();
    for (name, got, _, floor, op) in rows {
        let ok = if op == ">=" {
            got >= floor
        } else {
            got <= floor
        };
        if !ok {
            failed.push(format!(
                "{name} {} is past its ratchet {}",
                pct(got),
                pct(floor)
            ));
        }
    }
    if only.is_some() {
        println!("SQL_DIFF_ONLY is set: a subset, so the ratchet is not asserted");
        return;
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}
