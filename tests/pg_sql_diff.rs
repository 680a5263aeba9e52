//! The Postgres differential test: a real PostgreSQL is the oracle. Every query (the
//! hand-written corpus `tests/sql_diff/pg_queries.sql`, expressions generated over every
//! column of `tests/sql_diff/pg_schema.sql`, and mutations that break them) is PREPAREd
//! (parsed and bound, never executed): the server's result columns and types, or its
//! error, label it. dbtc's binder runs on the same text with the Postgres dialect.
//! The report (`target/pg_sql_diff_report.txt`) gives bind-error recall, false positives,
//! name and type agreement; the test fails below the floors. Skips without
//! `DBTC_TEST_PG_HOST` (CI starts a server with `scripts/pg_server.sh`).
//! Also checks that `src/sql/pg/pg_catalog.tsv` is what the server's catalogs hold.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

use dbtc::sql::Dialect;
use dbtc::sql::analyze_query;
use dbtc::sql::pg::generate::{catalog_tsv, test_client};
use dbtc::sql::schema::{Column, RelationLookup, RelationProvider, RelationSchema};
use dbtc::sql::types::SqlType;

const SCHEMA: &str = include_str!("sql_diff/pg_schema.sql");
const QUERIES: &str = include_str!("sql_diff/pg_queries.sql");
const DB: &str = "dbtc_pg_diff";

/// Floors: measured figures rounded down (see the report).
const MIN_RECALL: f64 = 0.995;
const MAX_FALSE_POSITIVE: f64 = 0.002;
const MIN_NAMES: f64 = 0.995;
const MIN_TYPES: f64 = 0.993;

fn client() -> Option<postgres::Client> {
    match test_client() {
        None => {
            eprintln!("skipped: DBTC_TEST_PG_HOST is not set");
            None
        }
        Some(c) => Some(c.expect("connect to the DBTC_TEST_PG_* server")),
    }
}

#[test]
fn catalog_file_matches_the_server() {
    let Some(mut c) = client() else { return };
    let live = catalog_tsv(&mut c).expect("read the catalogs");
    let body = |t: &str| -> Vec<String> {
        t.lines()
            .filter(|l| !l.starts_with('#'))
            .map(str::to_string)
            .collect()
    };
    let (want, have) = (body(&live), body(dbtc::sql::pg::DATA));
    let missing: Vec<&String> = want.iter().filter(|l| !have.contains(l)).take(10).collect();
    let extra: Vec<&String> = have.iter().filter(|l| !want.contains(l)).take(10).collect();
    assert!(
        want == have,
        "src/sql/pg/pg_catalog.tsv is stale: regenerate with `{}`\nmissing: {missing:#?}\nextra: {extra:#?}",
        dbtc::sql::pg::generate::COMMAND
    );
}

struct Tables(BTreeMap<String, Arc<RelationSchema>>);

impl RelationProvider for Tables {
    fn lookup(&self, parts: &[String]) -> RelationLookup {
        let name = match parts {
            [t] | [_, t] => t.to_ascii_lowercase(),
            _ => return RelationLookup::Missing,
        };
        if let [s, _] = parts
            && !s.eq_ignore_ascii_case("public")
        {
            return RelationLookup::Missing;
        }
        match self.0.get(&name) {
            Some(s) => RelationLookup::Known {
                node: Some(Arc::from(format!("model.t.{name}"))),
                schema: s.clone(),
            },
            None => RelationLookup::Missing,
        }
    }
}

/// A fresh database with the schema's tables; the tables as the binder sees them.
fn setup(admin: &mut postgres::Client) -> (postgres::Client, Tables) {
    admin
        .batch_execute(&format!("drop database if exists {DB}"))
        .expect("drop");
    admin
        .batch_execute(&format!("create database {DB}"))
        .expect("create database");
    let mut config = postgres::Config::new();
    let var = |k: &str| std::env::var(format!("DBTC_TEST_PG_{k}")).ok();
    config.host(var("HOST").as_deref().unwrap_or("127.0.0.1"));
    if let Some(p) = var("PORT").and_then(|p| p.parse().ok()) {
        config.port(p);
    }
    config.user(var("USER").as_deref().unwrap_or("postgres"));
    if let Some(pw) = var("PASSWORD") {
        config.password(pw);
    }
    config.dbname(DB);
    let mut c = config.connect(postgres::NoTls).expect("connect");
    c.batch_execute(SCHEMA).expect("create tables");
    let rows = c
        .query(
            "select c.relname::text, a.attname::text, format_type(a.atttypid, a.atttypmod)
             from pg_attribute a join pg_class c on c.oid = a.attrelid
             where c.relnamespace = 'public'::regnamespace and c.relkind = 'r'
               and a.attnum > 0 and not a.attisdropped
             order by c.relname, a.attnum",
            &[],
        )
        .expect("columns");
    let mut tables: BTreeMap<String, Vec<Column>> = BTreeMap::new();
    for r in rows {
        tables.entry(r.get(0)).or_default().push(Column {
            name: r.get(1),
            ty: SqlType::Other(r.get(2)),
            lineage: Vec::new(),
        });
    }
    let tables = tables
        .into_iter()
        .map(|(k, columns)| (k, Arc::new(RelationSchema { columns })))
        .collect();
    (c, Tables(tables))
}

/// What the server says about a query.
enum Oracle {
    Ok(Vec<(String, String)>),
    Err(String, String),
}

fn oracle(c: &mut postgres::Client, sql: &str) -> Oracle {
    match c.prepare(sql) {
        Ok(s) => Oracle::Ok(
            s.columns()
                .iter()
                .map(|col| (col.name().to_string(), col.type_().name().to_string()))
                .collect(),
        ),
        Err(e) => match e.as_db_error() {
            Some(db) => Oracle::Err(db.code().code().to_string(), db.message().to_string()),
            None => Oracle::Err("?".into(), e.to_string()),
        },
    }
}

/// Expressions over one column `{c}`, typed or refused by the server per column type.
const TEMPLATES: &[&str] = &[
    "{c}",
    "upper({c})",
    "length({c})",
    "abs({c})",
    "round({c})",
    "{c} + 1",
    "{c} * 2",
    "{c} || 'x'",
    "{c} = 1",
    "{c} = 'a'",
    "{c} > 0",
    "{c}::text",
    "sum({c})",
    "avg({c})",
    "max({c})",
    "count({c})",
    "coalesce({c}, {c})",
    "date_trunc('day', {c})",
    "extract(year from {c})",
    "to_char({c}, 'YYYY')",
    "string_agg({c}, ',')",
    "array_agg({c})",
    "{c} ->> 'a'",
    "-{c}",
    "{c} like 'a%'",
    "{c} - {c}",
    "{c} + interval '1 day'",
    "lower({c})",
    "{c}::integer",
    "{c} is null",
    "jsonb_agg({c})",
    "min({c})",
    "greatest({c}, 1)",
    "left({c}, 2)",
    "{c} / 2",
    "date_part('year', {c})",
    "{c} between {c} and {c}",
    "case when true then {c} else null end",
    "nullif({c}, {c})",
    "{c} @> {c}",
    "array_length({c}, 1)",
    "{c}[1]",
    "{c} in (1, 2)",
    "{c} + {c}",
    "sum({c}) over ()",
    "ceil({c})",
    "{c}::date",
    "{c} || {c}",
    "{c} < now()",
    "length({c}::text)",
    "coalesce({c}, 'x')",
    "{c} = any(array[1])",
    "case when {c} is null then 0 else {c} end",
    "round({c}, 2)",
    "{c} * 1.5",
    "{c} + 1.5",
    "concat({c}, 1)",
    "{c}::numeric",
];

/// Expressions over two columns `{a}` and `{b}` of one table: operators, comparisons and
/// common types between every pair of column types.
const PAIR_TEMPLATES: &[&str] = &[
    "{a} + {b}",
    "{a} = {b}",
    "{a} < {b}",
    "coalesce({a}, {b})",
    "case when true then {a} else {b} end",
    "{a} || {b}",
    "greatest({a}, {b})",
    "{a} - {b}",
];

/// Common functions, called with literals: `unknown` strings, integers, numerics.
const FUNCTIONS: &[&str] = &[
    "length",
    "abs",
    "round",
    "upper",
    "lower",
    "trim",
    "btrim",
    "ltrim",
    "rtrim",
    "substr",
    "replace",
    "left",
    "right",
    "lpad",
    "rpad",
    "repeat",
    "reverse",
    "md5",
    "concat",
    "concat_ws",
    "coalesce",
    "greatest",
    "least",
    "nullif",
    "ceil",
    "floor",
    "sqrt",
    "power",
    "mod",
    "trunc",
    "sign",
    "exp",
    "ln",
    "log",
    "to_char",
    "to_date",
    "to_timestamp",
    "to_number",
    "date_trunc",
    "date_part",
    "age",
    "split_part",
    "strpos",
    "position",
    "initcap",
    "ascii",
    "chr",
    "format",
    "quote_literal",
    "array_length",
    "array_append",
    "array_to_string",
    "string_to_array",
    "jsonb_build_object",
    "json_build_array",
    "to_jsonb",
    "jsonb_typeof",
    "jsonb_array_length",
    "regexp_replace",
    "regexp_match",
    "make_date",
    "octet_length",
    "char_length",
    "starts_with",
    "translate",
    "encode",
    "decode",
    "num_nulls",
    "width_bucket",
    "div",
    "gcd",
    "lcm",
    "factorial",
    "cbrt",
    "degrees",
    "radians",
    "now",
    "pi",
    "random",
    "isfinite",
    "justify_days",
];

const LITERAL_ARGS: &[&str] = &[
    "'a'",
    "1",
    "1.5",
    "'a', 'b'",
    "'a', 1",
    "1, 2",
    "1.5, 1",
    "'a', 'b', 'c'",
    "'2024-01-01'",
    "now(), 'YYYY'",
    "'day', now()",
];

fn generated(tables: &Tables) -> Vec<String> {
    let mut out = Vec::new();
    for (t, s) in &tables.0 {
        for col in &s.columns {
            for tpl in TEMPLATES {
                out.push(format!("select {} from {t}", tpl.replace("{c}", &col.name)));
            }
        }
        for a in &s.columns {
            for b in &s.columns {
                for tpl in PAIR_TEMPLATES {
                    let e = tpl.replace("{a}", &a.name).replace("{b}", &b.name);
                    out.push(format!("select {e} from {t}"));
                }
            }
        }
    }
    for f in FUNCTIONS {
        for args in LITERAL_ARGS {
            out.push(format!("select {f}({args})"));
        }
    }
    out
}

/// Broken variants of a valid query (labels come from the server, not from here).
fn mutations(sql: &str, tables: &Tables, first: Option<&(String, String)>) -> Vec<String> {
    let mut out = Vec::new();
    let words: Vec<(usize, &str)> = word_spans(sql);
    let columns: Vec<&str> = tables
        .0
        .values()
        .flat_map(|s| s.columns.iter().map(|c| c.name.as_str()))
        .collect();
    if let Some(&(i, w)) = words.iter().find(|(_, w)| columns.contains(w)) {
        out.push(format!("{}{w}x{}", &sql[..i], &sql[i + w.len()..]));
    }
    if let Some(&(i, w)) = words.iter().find(|(_, w)| tables.0.contains_key(*w)) {
        out.push(format!("{}{w}s{}", &sql[..i], &sql[i + w.len()..]));
    }
    if let Some(&(i, w)) = words
        .iter()
        .find(|(i, w)| sql[i + w.len()..].starts_with('(') && !is_keyword(w))
    {
        out.push(format!("{}{w}x{}", &sql[..i], &sql[i + w.len()..]));
        if let Some(close) = matching_paren(sql, i + w.len()) {
            out.push(format!("{}, 1, 2{}", &sql[..close], &sql[close..]));
        }
    }
    if let Some(g) = sql.find(" group by ") {
        let rest = &sql[g + 10..];
        let end = [" having ", " order by ", " limit "]
            .iter()
            .filter_map(|k| rest.find(k))
            .min()
            .map_or(sql.len(), |e| g + 10 + e);
        out.push(format!("{}{}", &sql[..g], &sql[end..]));
    }
    if let Some(u) = sql.find(" union ").or_else(|| sql.find(" except ")) {
        out.push(format!(
            "{}{}",
            sql[..u].replacen("select ", "select 1, ", 1),
            &sql[u..]
        ));
    }
    if sql.contains(" join ") {
        out.push(sql.replacen("select ", "select id, ", 1));
    }
    if let Some((name, ty)) = first {
        let lit = if matches!(ty.as_str(), "text" | "varchar" | "bpchar") {
            "1"
        } else {
            "'a'::text"
        };
        out.push(format!(
            "select * from ({sql}) s where s.\"{name}\" = {lit}"
        ));
        out.push(format!(
            "select * from ({sql}) s where s.\"{name}\" < {lit}"
        ));
    }
    out
}

fn is_keyword(w: &str) -> bool {
    matches!(
        w,
        "in" | "exists"
            | "any"
            | "all"
            | "values"
            | "over"
            | "as"
            | "using"
            | "from"
            | "select"
            | "filter"
            | "on"
            | "lateral"
            | "array"
            | "row"
            | "and"
            | "or"
            | "by"
            | "sets"
            | "rollup"
            | "cube"
            | "group"
    )
}

fn word_spans(sql: &str) -> Vec<(usize, &str)> {
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\'' {
            i += 1;
            while i < b.len() && b[i] != b'\'' {
                i += 1;
            }
            i += 1;
        } else if b[i].is_ascii_alphabetic() || b[i] == b'_' {
            let s = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            let prev = if s > 0 { b[s - 1] } else { b' ' };
            if prev != b'"' {
                out.push((s, &sql[s..i]));
            }
        } else {
            i += 1;
        }
    }
    out
}

fn matching_paren(sql: &str, open: usize) -> Option<usize> {
    let mut depth = 0;
    for (i, c) in sql[open..].char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(open + i);
                }
            }
            _ => {}
        }
    }
    None
}

#[derive(Default)]
struct Tally {
    ok: usize,
    false_positive: Vec<String>,
    rejected: usize,
    missed: Vec<String>,
    columns: usize,
    names: usize,
    types: usize,
    name_gaps: Vec<String>,
    type_gaps: BTreeMap<String, usize>,
    type_examples: Vec<String>,
    bind_time: std::time::Duration,
}

fn check(
    t: &mut Tally,
    c: &mut postgres::Client,
    tables: &Tables,
    sql: &str,
) -> Option<(String, String)> {
    let pg = dbtc::sql::pg::catalog();
    let started = std::time::Instant::now();
    let ours = analyze_query(sql, Dialect::Postgres, tables);
    t.bind_time += started.elapsed();
    match oracle(c, sql) {
        Oracle::Ok(cols) => {
            t.ok += 1;
            if let Some(d) = ours.diagnostics.first() {
                t.false_positive
                    .push(format!("{sql}\n    dbtc: {} {}", d.code, d.message));
            }
            if let Some(s) = &ours.schema {
                for (i, (name, ty)) in cols.iter().enumerate() {
                    t.columns += 1;
                    let Some(col) = s.columns.get(i) else {
                        continue;
                    };
                    if col.name == *name {
                        t.names += 1;
                    } else {
                        t.name_gaps
                            .push(format!("{sql}\n    pg: {name}, dbtc: {}", col.name));
                    }
                    let our = pg.typname(&col.ty).unwrap_or_else(|| "UNKNOWN".into());
                    if our == *ty {
                        t.types += 1;
                    } else {
                        *t.type_gaps
                            .entry(format!("pg {ty} / dbtc {our}"))
                            .or_default() += 1;
                        t.type_examples
                            .push(format!("{sql}\n    pg: {ty}, dbtc: {our}"));
                    }
                }
            } else {
                t.columns += cols.len();
            }
            cols.into_iter().next()
        }
        Oracle::Err(code, message) => {
            // Syntax errors and errors outside binding (invalid literal values) aside.
            if code.starts_with("42") && code != "42601" {
                t.rejected += 1;
                if ours.diagnostics.is_empty() {
                    t.missed.push(format!("{sql}\n    pg: {code} {message}"));
                }
            }
            None
        }
    }
}

#[test]
fn differential_against_postgres() {
    let Some(mut admin) = client() else { return };
    let (mut c, tables) = setup(&mut admin);
    let mut corpus: Vec<String> = QUERIES
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with("--"))
        .map(str::to_string)
        .collect();
    let hand_written = corpus.len();
    corpus.extend(generated(&tables));
    let mut t = Tally::default();
    let mut n_mutations = 0;
    // Accepted, false positives, refused, missed: hand-written, generated, mutations.
    let mut by_source = [[0usize; 4]; 3];
    let counts = |t: &Tally| [t.ok, t.false_positive.len(), t.rejected, t.missed.len()];
    for (k, sql) in corpus.iter().enumerate() {
        let before = counts(&t);
        let first = check(&mut t, &mut c, &tables, sql);
        let after = counts(&t);
        let source = usize::from(k >= hand_written);
        for i in 0..4 {
            by_source[source][i] += after[i] - before[i];
        }
        if k < hand_written || k % 7 == 0 {
            for m in mutations(sql, &tables, first.as_ref()) {
                n_mutations += 1;
                let before = counts(&t);
                check(&mut t, &mut c, &tables, &m);
                let after = counts(&t);
                for i in 0..4 {
                    by_source[2][i] += after[i] - before[i];
                }
            }
        }
    }
    drop(c);
    let _ = admin.batch_execute(&format!("drop database if exists {DB}"));
    let ratio = |a: usize, b: usize| if b == 0 { 1.0 } else { a as f64 / b as f64 };
    let recall = ratio(t.rejected - t.missed.len(), t.rejected);
    let fp = 1.0 - ratio(t.ok - t.false_positive.len(), t.ok);
    let names = ratio(t.names, t.columns);
    let types = ratio(t.types, t.columns);
    let mut report = String::new();
    let _ = writeln!(
        report,
        "queries: {} ({} corpus + generated, {n_mutations} mutations); accepted by Postgres {}, refused (bind errors) {}",
        corpus.len() + n_mutations,
        corpus.len(),
        t.ok,
        t.rejected
    );
    for (name, [ok, fp, rej, missed]) in ["hand-written", "generated", "mutations"]
        .iter()
        .zip(by_source)
    {
        let _ = writeln!(
            report,
            "  {name}: accepted {ok} ({fp} flagged by dbtc), refused {rej} ({missed} not flagged)"
        );
    }
    let _ = writeln!(
        report,
        "analyze_query: {} ms in all ({} µs per query)",
        t.bind_time.as_millis(),
        t.bind_time.as_micros() / (corpus.len() + n_mutations).max(1) as u128
    );
    let _ = writeln!(
        report,
        "bind-error recall: {:.1}% ({} missed)",
        recall * 100.0,
        t.missed.len()
    );
    let _ = writeln!(
        report,
        "false positives: {:.2}% ({})",
        fp * 100.0,
        t.false_positive.len()
    );
    let _ = writeln!(
        report,
        "column names agree: {:.1}% of {}",
        names * 100.0,
        t.columns
    );
    let _ = writeln!(
        report,
        "column types agree: {:.1}% of {}",
        types * 100.0,
        t.columns
    );
    let _ = writeln!(report, "\n== type disagreements by kind");
    let mut gaps: Vec<(&String, &usize)> = t.type_gaps.iter().collect();
    gaps.sort_by(|a, b| b.1.cmp(a.1));
    for (k, n) in gaps {
        let _ = writeln!(report, "{n:5} {k}");
    }
    for (title, list) in [
        ("false positives", &t.false_positive),
        ("missed errors", &t.missed),
        ("name disagreements", &t.name_gaps),
        ("type disagreements", &t.type_examples),
    ] {
        let _ = writeln!(report, "\n== {title}");
        for x in list.iter().take(150) {
            let _ = writeln!(report, "{x}");
        }
    }
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/pg_sql_diff_report.txt");
    let _ = std::fs::write(&path, &report);
    eprintln!("{}", report.lines().take(6).collect::<Vec<_>>().join("\n"));
    assert!(
        recall >= MIN_RECALL,
        "recall {recall:.3} < {MIN_RECALL} (see {})",
        path.display()
    );
    assert!(
        fp <= MAX_FALSE_POSITIVE,
        "false positives {fp:.4} > {MAX_FALSE_POSITIVE} (see {})",
        path.display()
    );
    assert!(names >= MIN_NAMES, "names {names:.3} < {MIN_NAMES}");
    assert!(types >= MIN_TYPES, "types {types:.3} < {MIN_TYPES}");
}
