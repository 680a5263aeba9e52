//! The DuckDB type system and function catalog against DuckDB itself: every expectation
//! here is what the linked DuckDB's `DESCRIBE` says for the same expression.

use std::collections::BTreeMap;

use dbtc::sql::catalog::{self, CallError, FunctionKind};
use dbtc::sql::types::{CompareOp, SqlType, Typed, compare_type, implicit_cast_cost, max_type};
use duckdb::Connection;

/// Column types of the battery's table, as `c0, c1, ...`.
const COLUMNS: &str = "BOOLEAN; TINYINT; SMALLINT; INTEGER; BIGINT; HUGEINT; UTINYINT; USMALLINT; \
     UINTEGER; UBIGINT; FLOAT; DOUBLE; DECIMAL(4,1); DECIMAL(10,2); DECIMAL(18,6); \
     DECIMAL(38,10); VARCHAR; BLOB; DATE; TIME; TIMESTAMP; TIMESTAMP WITH TIME ZONE; \
     TIMESTAMP_MS; INTERVAL; UUID; JSON; INTEGER[]; VARCHAR[]; DOUBLE[3]; \
     STRUCT(a INTEGER, b VARCHAR); MAP(VARCHAR, INTEGER); ENUM('x', 'y')";

fn column_types() -> Vec<&'static str> {
    COLUMNS.split("; ").collect()
}

/// Literal arguments: SQL text and the type the binder gives them.
fn literals() -> Vec<(String, Typed)> {
    vec![
        ("1".into(), Typed::integer_literal(1)),
        ("300".into(), Typed::integer_literal(300)),
        ("5000000000".into(), Typed::integer_literal(5_000_000_000)),
        ("-2".into(), Typed::integer_literal(-2)),
        ("'abc'".into(), Typed::string_literal()),
        ("NULL".into(), Typed::null()),
        (
            "1.5".into(),
            Typed::new(SqlType::Decimal { width: 2, scale: 1 }),
        ),
        ("2.5e0".into(), Typed::new(SqlType::Double)),
    ]
}

fn connection() -> Connection {
    let con = Connection::open_in_memory().expect("duckdb");
    let cols: Vec<String> = column_types()
        .iter()
        .enumerate()
        .map(|(i, t)| format!("c{i} {t}"))
        .collect();
    con.execute_batch(&format!("CREATE TABLE t({})", cols.join(", ")))
        .expect("create table");
    con
}

/// Every argument of the battery: columns, then literals.
fn arguments() -> Vec<(String, Typed)> {
    let mut out: Vec<(String, Typed)> = column_types()
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let ty = SqlType::parse(t).unwrap_or_else(|| panic!("parse {t}"));
            (format!("c{i}"), Typed::new(ty))
        })
        .collect();
    out.extend(literals());
    out
}

/// DuckDB's type for `SELECT <expr> FROM t`, or Err with its message.
fn describe(con: &Connection, expr: &str) -> Result<String, String> {
    let sql = format!("DESCRIBE SELECT {expr} FROM t");
    let mut stmt = con.prepare(&sql).map_err(|e| e.to_string())?;
    let mut rows = stmt.query([]).map_err(|e| e.to_string())?;
    let row = rows.next().map_err(|e| e.to_string())?.ok_or("no row")?;
    row.get::<_, String>(1).map_err(|e| e.to_string())
}

#[derive(Default, Debug)]
struct Tally {
    exact: usize,
    both_fail: usize,
    abstain: usize,
    abstain_on_error: usize,
    wrong_type: usize,
    we_reject: usize,
    we_accept: usize,
    examples: BTreeMap<&'static str, Vec<String>>,
}

impl Tally {
    fn total(&self) -> usize {
        self.exact
            + self.both_fail
            + self.abstain
            + self.wrong_type
            + self.we_reject
            + self.we_accept
    }

    fn agree(&self) -> f64 {
        (self.exact + self.both_fail) as f64 / self.total().max(1) as f64
    }

    /// Agreement among the cases where we commit to an answer (not Unknown).
    fn agree_committed(&self) -> f64 {
        (self.exact + self.both_fail) as f64 / (self.total() - self.abstain).max(1) as f64
    }

    fn note(&mut self, kind: &'static str, what: String) {
        if let Ok(path) = std::env::var("DBTC_TYPES_DUMP") {
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .unwrap();
            writeln!(f, "{kind}: {what}").unwrap();
        }
        let v = self.examples.entry(kind).or_default();
        if v.len() < 12 {
            v.push(what);
        }
    }

    fn record(
        &mut self,
        expr: &str,
        ours: Result<SqlType, String>,
        theirs: Result<String, String>,
    ) {
        match (ours, theirs) {
            (Ok(SqlType::Unknown), Ok(t)) => {
                self.abstain += 1;
                self.note("abstain", format!("{expr} => {t}"));
            }
            (Ok(SqlType::Unknown), Err(e)) => {
                self.abstain += 1;
                self.abstain_on_error += 1;
                let first = e.lines().next().unwrap_or_default().to_string();
                self.note("unknown, duckdb fails", format!("{expr}: {first}"));
            }
            (Ok(o), Ok(t)) if o.materialized().to_string() == t => self.exact += 1,
            (Ok(o), Ok(t)) => {
                self.wrong_type += 1;
                self.note("wrong type", format!("{expr}: ours {o}, duckdb {t}"));
            }
            (Err(_), Err(_)) => self.both_fail += 1,
            (Err(e), Ok(t)) => {
                self.we_reject += 1;
                self.note("we reject", format!("{expr} => duckdb {t}; ours {e}"));
            }
            (Ok(o), Err(e)) => {
                self.we_accept += 1;
                let first = e.lines().next().unwrap_or_default().to_string();
                self.note("we accept", format!("{expr}: ours {o}; duckdb {first}"));
            }
        }
    }

    /// Floors: overall agreement, agreement where we commit to an answer, and no call
    /// DuckDB binds that we reject (a false error is the worst outcome for the analyzer).
    fn check(&self, overall: f64, committed: f64) {
        assert!(
            self.agree() >= overall,
            "agreement {:.4} < {overall}",
            self.agree()
        );
        let c = self.agree_committed();
        assert!(c >= committed, "committed agreement {c:.4} < {committed}");
        assert_eq!(self.we_reject, 0, "calls DuckDB binds but we reject");
    }

    fn print(&self, what: &str) {
        println!(
            "{what}: {} cases, agreement {:.2}% ({:.2}% where we commit), exact {}, both fail {}, \
             unknown {} ({} where DuckDB fails), wrong type {}, we reject {}, we accept {}",
            self.total(),
            100.0 * self.agree(),
            100.0 * self.agree_committed(),
            self.exact,
            self.both_fail,
            self.abstain,
            self.abstain_on_error,
            self.wrong_type,
            self.we_reject,
            self.we_accept
        );
        for (kind, v) in &self.examples {
            for e in v {
                println!("  {kind}: {e}");
            }
        }
    }
}

fn call_error(e: CallError) -> String {
    format!("{e:?}")
}

/// Operators, variadic functions and the most used ones (the whole-catalog battery covers
/// every fixed-arity function), called with every argument or every pair of a smaller set.
const UNARY: &str = "coalesce greatest least concat list_value array_value count - + abs sum avg \
     min max round floor ceil median first array_agg string_agg lag first_value";

const BINARY: &str = "+ - * / // % ** || ~~ & << round coalesce greatest least concat list_value \
     array_value ifnull nullif list_concat date_diff date_trunc substr strftime list_extract \
     arg_max date_part date_add list_append contains regexp_matches";

/// The arguments named by their SQL text.
fn pick(all: &[(String, Typed)], names: &str) -> Vec<(String, Typed)> {
    let names: Vec<&str> = names.split(' ').collect();
    all.iter()
        .filter(|(sql, _)| names.contains(&sql.as_str()))
        .cloned()
        .collect()
}

/// Calls `f` with each argument list and records ours against DESCRIBE's type.
fn battery(con: &Connection, tally: &mut Tally, f: &str, calls: &[Vec<&(String, Typed)>]) {
    let over = match f {
        "fill" => " OVER (ORDER BY c3)",
        f if catalog::WINDOW_ONLY.contains(&f) => " OVER ()",
        _ => "",
    };
    let infix = !f.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_');
    for call in calls {
        let sql: Vec<String> = call.iter().map(|(s, _)| format!("({s})")).collect();
        let types: Vec<Typed> = call.iter().map(|(_, t)| t.clone()).collect();
        let expr = match sql.as_slice() {
            [a, b] if infix => format!("{a} {f} {b}"),
            _ => format!("{f}({}){over}", sql.join(", ")),
        };
        let ours = catalog::duckdb().bind_call(f, &types).map_err(call_error);
        tally.record(&expr, ours, describe(con, &expr));
    }
}

fn singles(args: &[(String, Typed)]) -> Vec<Vec<&(String, Typed)>> {
    args.iter().map(|a| vec![a]).collect()
}

fn pairs(args: &[(String, Typed)]) -> Vec<Vec<&(String, Typed)>> {
    args.iter()
        .flat_map(|a| args.iter().map(move |b| vec![a, b]))
        .collect()
}

#[test]
fn function_battery_agrees_with_duckdb() {
    let con = connection();
    let args = arguments();
    let small = pick(
        &args,
        "c0 c1 c3 c4 c5 c6 c9 c10 c11 c13 c15 c16 c18 c20 c21 c23 c25 c26 \
         1 300 5000000000 -2 'abc' NULL 1.5 2.5e0",
    );
    let mut tally = Tally::default();
    for f in UNARY.split_whitespace() {
        battery(&con, &mut tally, f, &singles(&args));
    }
    for f in BINARY.split_whitespace() {
        battery(&con, &mut tally, f, &pairs(&small));
    }
    tally.print("function battery");
    assert!(tally.total() > 5000, "the battery shrank");
    tally.check(0.99, 0.995);
}

#[test]
fn max_type_and_comparisons_agree_with_duckdb() {
    let con = connection();
    let args = arguments();
    let mut max = Tally::default();
    let mut order = Tally::default();
    let mut equal = Tally::default();
    for (sa, ta) in &args {
        for (sb, tb) in &args {
            let expr = format!("CASE WHEN c0 THEN {sa} ELSE {sb} END");
            let ours = max_type(ta, tb)
                .map(|t| t.ty)
                .ok_or_else(|| "no max type".to_string());
            max.record(&expr, ours, describe(&con, &expr));
            for (op, tally, sym) in [
                (CompareOp::Ordering, &mut order, "<"),
                (CompareOp::Equality, &mut equal, "="),
            ] {
                let expr = format!("({sa}) {sym} ({sb})");
                let ours = compare_type(op, ta, tb)
                    .map(|_| SqlType::Boolean)
                    .ok_or_else(|| "cannot compare".to_string());
                tally.record(&expr, ours, describe(&con, &expr));
            }
        }
    }
    max.print("max_type (CASE)");
    order.print("comparison_type (<)");
    equal.print("compare_type equality (=)");
    for t in [&max, &order, &equal] {
        assert!(
            t.agree() >= 0.98,
            "agreement {:.4} below the floor",
            t.agree()
        );
    }
}

/// `implicit_cast_cost` between plain (non-literal) types agrees with DuckDB's
/// `can_cast_implicitly`, which includes the casts extensions register (JSON's).
#[test]
fn implicit_casts_agree_with_can_cast_implicitly() {
    let con = connection();
    let mut failures = Vec::new();
    let columns = column_types();
    for from in &columns {
        for to in &columns {
            let sql =
                format!("SELECT can_cast_implicitly(CAST(NULL AS {from}), CAST(NULL AS {to}))");
            let theirs: bool = con.query_row(&sql, [], |r| r.get(0)).unwrap();
            let ours = implicit_cast_cost(
                &Typed::new(SqlType::parse(from).unwrap()),
                &SqlType::parse(to).unwrap(),
            );
            if ours.is_some() != theirs {
                failures.push(format!("{from} -> {to}: ours {ours:?}, duckdb {theirs}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every function DuckDB lists with a fixed arity of one to three, called with columns and
/// literals of many types.
#[test]
fn whole_catalog_battery_agrees_with_duckdb() {
    let con = connection();
    let mut stmt = con
        .prepare(
            "SELECT DISTINCT function_name, len(parameters) FROM duckdb_functions() \
             WHERE function_type IN ('scalar', 'aggregate') AND varargs IS NULL \
             AND len(parameters) IN (1, 2, 3) AND regexp_full_match(function_name, '[a-z_][a-z0-9_]*') \
             AND function_name NOT IN ('sum_no_overflow', 'setseed', 'nextval', 'currval', 'position') \
             AND NOT starts_with(function_name, '__internal') \
             ORDER BY ALL",
        )
        .unwrap();
    let fns: Vec<(String, i64)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let args = arguments();
    let small = pick(&args, "c1 c3 c11 c13 c16 c18 c20 c26 1 'abc' NULL");
    let tiny = pick(&args, "c3 c13 c16 c20 c26 1 'abc' NULL");
    let triples: Vec<Vec<&(String, Typed)>> = pairs(&tiny)
        .into_iter()
        .flat_map(|p| tiny.iter().map(move |c| [p.clone(), vec![c]].concat()))
        .collect();
    let mut tally = Tally::default();
    for (f, arity) in &fns {
        let calls = match arity {
            1 => singles(&args),
            2 => pairs(&small),
            _ => triples.clone(),
        };
        battery(&con, &mut tally, f, &calls);
    }
    tally.print("whole catalog battery");
    assert!(tally.total() > 20000, "the battery shrank");
    tally.check(0.97, 0.99);
}

/// Hand-picked cases the binder relies on: all must match DuckDB exactly. Each line is
/// `expression | function | arguments`, arguments as columns (`c3`) or literals.
const CORE: &str = "sum(c3) | sum | c3
    sum(c13) | sum | c13
    avg(c3) | avg | c3
    count(c16) | count | c16
    count(*) | count |
    c13 + c3 | + | c13 c3
    c13 * c14 | * | c13 c14
    c13 / c3 | / | c13 c3
    c3 / c3 | / | c3 c3
    c3 // c3 | // | c3 c3
    c1 + 1 | + | c1 1
    c1 + 1000 | + | c1 1000
    c16 || c16 | || | c16 c16
    round(c13, 1) | round | c13 1
    list_extract(c26, 1) | list_extract | c26 1
    coalesce(c3, c4) | coalesce | c3 c4
    coalesce(c3, 0) | coalesce | c3 0
    greatest(c3, c13) | greatest | c3 c13
    date_trunc('day', c20) | date_trunc | 'day' c20
    date_trunc('day', c18) | date_trunc | 'day' c18
    upper(c16) | upper | c16
    max(c18) | max | c18
    min(c13) | min | c13
    row_number() OVER () | row_number |
    lag(c3) OVER () | lag | c3
    lead(c3, 2, 0) OVER () | lead | c3 2 0
    substr(c16, 1, 2) | substr | c16 1 2
    strftime(c20, '%Y') | strftime | c20 '%Y'
    c18 - c18 | - | c18 c18
    c20 - c20 | - | c20 c20
    c18 + c23 | + | c18 c23
    array_agg(c16) | array_agg | c16
    string_agg(c16, ',') | string_agg | c16 ','
    length(c16) | length | c16
    abs(c13) | abs | c13
    nullif(c3, 0) | nullif | c3 0
    date_diff('day', c18, c18) | date_diff | 'day' c18 c18
    c16 ~~ 'a%' | ~~ | c16 'a%'
    concat(c16, c3) | concat | c16 c3
    ifnull(c3, 1.5) | ifnull | c3 1.5
    list_value(c3, c4) | list_value | c3 c4
    c26[1] | list_extract | c26 1";

fn core_arg(text: &str) -> Typed {
    if text.starts_with('\'') {
        return Typed::string_literal();
    }
    if let Ok(v) = text.parse::<i128>() {
        return Typed::integer_literal(v);
    }
    let all = arguments();
    all.into_iter().find(|(s, _)| s == text).expect(text).1
}

#[test]
fn core_cases_match_duckdb_exactly() {
    let con = connection();
    let cat = catalog::duckdb();
    let mut failures = Vec::new();
    for line in CORE.lines() {
        let line = format!("{} ", line.trim());
        let parts: Vec<&str> = line.split(" | ").map(str::trim).collect();
        let args: Vec<Typed> = parts[2].split_whitespace().map(core_arg).collect();
        let theirs = describe(&con, parts[0]);
        let ours = cat
            .bind_call(parts[1], &args)
            .map(|t| t.materialized().to_string());
        if theirs.as_ref().ok() != ours.as_ref().ok() {
            failures.push(format!("{}: ours {ours:?}, duckdb {theirs:?}", parts[0]));
        }
    }
    assert!(
        failures.is_empty(),
        "core cases differ:\n{}",
        failures.join("\n")
    );
}

#[test]
fn type_names_parse_and_print_as_describe_does() {
    let con = connection();
    let spellings = "int; INT4; int8; long; short; text; string; numeric; decimal(5); dec(4,2); \
         double precision; float(30); real; bool; bytea; datetime; timestamp with time zone; \
         timestamptz; time with time zone; timestamp(3); timestamp_ns; varchar(10); \
         character varying(3); int[]; int[3]; int[3][2]; int[][]; struct(a int, b varchar[]); \
         row(a int); map(varchar, int); map(int, struct(x double)); \
         union(a int, \"B c\" varchar); enum('a', 'b''c'); \
         struct(\"select\" int, \"name\" int, \"Ab\" int, \"a-b\" int, \"é\" int, \"a\"\"b\" int); \
         struct(\"year\" int, \"value\" int, \"abort\" int, x1 int, _y int); uuid; json; \
         json[]; interval; blob; bit; hugeint; uhugeint; utinyint; uint64; varint; time_ns; \
         oid; guid; int array; decimal(38,38); timestamp_s";
    let sql_dialect = sqlparser::dialect::DuckDbDialect {};
    let mut failures = Vec::new();
    for s in spellings.split("; ") {
        let theirs = describe(&con, &format!("CAST(NULL AS {s})")).expect(s);
        let ours = SqlType::parse(s).map(|t| t.to_string());
        if ours.as_deref() != Some(theirs.as_str()) {
            failures.push(format!("parse {s}: ours {ours:?}, duckdb {theirs}"));
        }
        let round_trip = SqlType::parse(&theirs).map(|t| t.to_string());
        if round_trip.as_deref() != Some(theirs.as_str()) {
            failures.push(format!("reparse {theirs}: {round_trip:?}"));
        }
        let expr = sqlparser::parser::Parser::new(&sql_dialect)
            .try_with_sql(&format!("CAST(NULL AS {s})"))
            .and_then(|mut p| p.parse_expr());
        if let Ok(sqlparser::ast::Expr::Cast { data_type, .. }) = expr {
            let from_ast = SqlType::from_ast(&data_type);
            if !from_ast.is_unknown() && from_ast.to_string() != theirs {
                failures.push(format!(
                    "from_ast {s}: {data_type} => {from_ast}, duckdb {theirs}"
                ));
            }
        }
    }
    for bad in [
        "",
        "int(",
        "foo",
        "decimal(39,1)",
        "struct(a)",
        "map(int)",
        "int[x]",
    ] {
        if let Some(t) = SqlType::parse(bad) {
            failures.push(format!("{bad:?} parsed as {t}"));
        }
    }
    assert_eq!(
        describe(&con, "NULL").unwrap(),
        SqlType::Null.materialized().to_string()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn catalog_kinds_errors_and_tables() {
    let cat = catalog::duckdb();
    assert_eq!(cat.kind("SUM"), Some(FunctionKind::Aggregate));
    assert_eq!(cat.kind("upper"), Some(FunctionKind::Scalar));
    assert_eq!(cat.kind("row_number"), Some(FunctionKind::Window));
    assert_eq!(cat.kind("read_csv"), Some(FunctionKind::Table));
    assert_eq!(cat.kind("no_such_fn"), None);
    assert_eq!(cat.kind("coalesce"), Some(FunctionKind::Scalar));
    assert_eq!(cat.kind("nullif"), Some(FunctionKind::Scalar));
    match cat.bind_call("uper", &[Typed::new(SqlType::Varchar)]) {
        Err(CallError::Unknown { suggestions }) => {
            assert!(
                suggestions.contains(&"upper".to_string()),
                "{suggestions:?}"
            )
        }
        other => panic!("{other:?}"),
    }
    match cat.bind_call("upper", &[Typed::new(SqlType::Integer)]) {
        Err(CallError::NoOverload { candidates }) => {
            assert!(
                candidates.contains(&"upper(VARCHAR)".to_string()),
                "{candidates:?}"
            )
        }
        other => panic!("{other:?}"),
    }
    let range = cat
        .bind_table("range", &[Typed::integer_literal(3)])
        .unwrap();
    assert_eq!(range, Some(vec![("range".to_string(), SqlType::BigInt)]));
    let con = connection();
    let mut stmt = con.prepare("DESCRIBE SELECT * FROM range(3)").unwrap();
    let described: Vec<(String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(described, vec![("range".to_string(), "BIGINT".to_string())]);
    let ts = Typed::new(SqlType::Timestamp);
    let iv = Typed::new(SqlType::Interval);
    let series = cat
        .bind_table("generate_series", &[ts.clone(), ts, iv])
        .unwrap();
    assert_eq!(
        series,
        Some(vec![("generate_series".to_string(), SqlType::Timestamp)])
    );
    assert_eq!(
        cat.bind_table("read_csv", &[Typed::string_literal()]),
        Ok(None)
    );
    assert_eq!(
        cat.bind_table("read_parquet", &[Typed::string_literal()]),
        Ok(None)
    );
    assert!(matches!(
        cat.bind_table("read_cvs", &[]),
        Err(CallError::Unknown { .. })
    ));
    assert!(
        cat.bind_call("some_unknown_arg", &[Typed::unknown()])
            .is_err()
    );
    assert_eq!(
        cat.bind_call("upper", &[Typed::unknown()]),
        Ok(SqlType::Varchar)
    );
}

/// The checked-in catalog is what the linked DuckDB reports now: after a DuckDB upgrade,
/// regenerate it with the command at the top of the file.
#[test]
fn checked_in_catalog_is_current() {
    let con = Connection::open_in_memory().unwrap();
    let now = catalog::generate::catalog_tsv(&con).unwrap();
    assert!(
        now == catalog::DATA,
        "src/sql/catalog/duckdb_functions.tsv is stale: run `{}`",
        catalog::generate::COMMAND
    );
}

/// The binder calls `bind_call` for every expression of every model: keep it cheap.
#[test]
fn bind_call_is_fast() {
    let cat = catalog::duckdb();
    let dec = Typed::new(SqlType::Decimal {
        width: 10,
        scale: 2,
    });
    let calls: Vec<(&str, Vec<Typed>)> = vec![
        (
            "+",
            vec![Typed::new(SqlType::Integer), Typed::integer_literal(1)],
        ),
        ("sum", vec![dec.clone()]),
        ("upper", vec![Typed::new(SqlType::Varchar)]),
        (
            "date_trunc",
            vec![Typed::string_literal(), Typed::new(SqlType::Timestamp)],
        ),
        ("coalesce", vec![dec, Typed::integer_literal(0)]),
    ];
    let n = 20_000;
    let start = std::time::Instant::now();
    for _ in 0..n {
        for (f, args) in &calls {
            std::hint::black_box(cat.bind_call(f, args).ok());
        }
    }
    let per_call = start.elapsed() / (n * calls.len() as u32);
    println!("bind_call: {per_call:?} per call");
    assert!(
        per_call < std::time::Duration::from_micros(200),
        "{per_call:?}"
    );
}
