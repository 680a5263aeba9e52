//! Running data tests the way dbt-core's `test` materialization does: the compiled test
//! SQL (generic or singular) is wrapped in `select <fail_calc> as failures, <fail_calc>
//! <warn_if> as should_warn, <fail_calc> <error_if> as should_error from (...)`; with
//! `store_failures` the failing rows are first saved to a table in the audit schema.

use serde_json::{Map, Value};

use super::{Adapter, Relation};

/// The test configs that change how a test runs and is judged (dbt's defaults when unset).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestConfig {
    /// `error` or `warn` (lower-cased).
    pub severity: String,
    pub warn_if: String,
    pub error_if: String,
    pub fail_calc: String,
    pub limit: Option<String>,
    pub store_failures: bool,
    /// `table` or `view`.
    pub store_failures_as: String,
}

fn text(config: &Map<String, Value>, key: &str, default: &str) -> String {
    match config.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => default.to_string(),
        Some(other) => other.to_string(),
    }
}

impl TestConfig {
    /// Reads a test node's config; `store_failures_flag` is `--store-failures` (used when
    /// the config does not say).
    pub fn from_config(config: &Map<String, Value>, store_failures_flag: bool) -> TestConfig {
        let store_failures_as = match config.get("store_failures_as") {
            Some(Value::String(s)) => Some(s.clone()),
            _ => None,
        };
        let store_failures = stores_failures(config, store_failures_flag);
        let limit = match config.get("limit") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => Some(other.to_string()),
        };
        TestConfig {
            severity: text(config, "severity", "error").to_ascii_lowercase(),
            warn_if: text(config, "warn_if", "!= 0"),
            error_if: text(config, "error_if", "!= 0"),
            fail_calc: text(config, "fail_calc", "count(*)"),
            limit,
            store_failures,
            store_failures_as: store_failures_as.unwrap_or_else(|| "table".into()),
        }
    }
}

/// Whether a test stores its failures, as dbt-core's TestConfig decides: `store_failures_as`
/// wins over `store_failures` (`ephemeral` turns storing off); with neither,
/// `--store-failures` (`flag`) decides.
pub fn stores_failures(config: &Map<String, Value>, flag: bool) -> bool {
    match (
        config.get("store_failures_as"),
        config.get("store_failures"),
    ) {
        (Some(Value::String(as_)), _) => as_ != "ephemeral",
        (_, Some(Value::Bool(b))) => *b,
        (_, Some(Value::String(s))) => s.eq_ignore_ascii_case("true"),
        _ => flag,
    }
}

/// dbt's `get_limit_sql`: the query with `limit N` appended when a limit is set.
pub fn limited_sql(sql: &str, limit: Option<&str>) -> String {
    match limit {
        Some(n) => format!("{sql}\n  limit {n}"),
        None => sql.to_string(),
    }
}

/// dbt's `get_test_sql`: the query that counts failures and judges them.
pub fn test_query(main_sql: &str, config: &TestConfig) -> String {
    let calc = &config.fail_calc;
    format!(
        "select\n      {calc} as failures,\n      {calc} {warn} as should_warn,\n      {calc} {err} as should_error\n    from (\n      {main_sql}\n      \n    ) dbt_internal_test",
        warn = config.warn_if,
        err = config.error_if,
    )
}

/// How a test ended (dbt's TestStatus).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestStatus {
    Pass,
    Warn,
    Fail,
}

impl TestStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TestStatus::Pass => "pass",
            TestStatus::Warn => "warn",
            TestStatus::Fail => "fail",
        }
    }
}

/// The result of one test.
#[derive(Debug, Clone, PartialEq)]
pub struct TestOutcome {
    pub status: TestStatus,
    /// The failure count dbt reports: 0 for a passing test, whatever its count.
    pub failures: i64,
    /// `Got N results, configured to fail if != 0` (None when it passed).
    pub message: Option<String>,
    /// The statements run, as dbt writes them under target/run.
    pub executed_sql: String,
}

fn results(n: i64) -> String {
    format!("{n} result{}", if n == 1 { "" } else { "s" })
}

/// dbt-core's judgement (`build_test_run_result`): `error` severity fails when
/// should_error; otherwise should_warn warns.
pub fn judge(
    config: &TestConfig,
    failures: i64,
    should_warn: bool,
    should_error: bool,
) -> (TestStatus, i64, Option<String>) {
    if config.severity == "error" && should_error {
        let msg = format!(
            "Got {}, configured to fail if {}",
            results(failures),
            config.error_if
        );
        (TestStatus::Fail, failures, Some(msg))
    } else if should_warn {
        let msg = format!(
            "Got {}, configured to warn if {}",
            results(failures),
            config.warn_if
        );
        (TestStatus::Warn, failures, Some(msg))
    } else {
        (TestStatus::Pass, 0, None)
    }
}

fn as_bool(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

fn as_count(v: &Value) -> i64 {
    match v {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f as i64))
            .unwrap_or(0),
        Value::String(s) => s.parse::<f64>().map_or(0, |f| f as i64),
        _ => 0,
    }
}

/// Saves the failing rows to `audit` (dropping what a previous run left there).
fn store_failures(
    adapter: &mut dyn Adapter,
    audit: &Relation,
    sql_with_limit: &str,
    as_view: bool,
) -> Result<String, String> {
    adapter.execute(&format!(
        "CREATE SCHEMA IF NOT EXISTS {}",
        adapter.quote(&audit.schema)
    ))?;
    let rendered = adapter.render_relation(audit);
    match adapter.relation_kind(audit)?.as_deref() {
        Some("view") => adapter.execute(&format!("DROP VIEW IF EXISTS {rendered}"))?,
        Some(_) => adapter.execute(&format!("DROP TABLE IF EXISTS {rendered}"))?,
        None => {}
    }
    let kind = if as_view { "view" } else { "table" };
    let create = format!("create {kind} {rendered} as (\n{sql_with_limit}\n)");
    adapter.execute(&create)?;
    Ok(create)
}

/// Runs one test's compiled SQL. `audit` is where failures are stored when
/// `store_failures` is on.
pub fn run_test(
    adapter: &mut dyn Adapter,
    sql: &str,
    config: &TestConfig,
    audit: Option<&Relation>,
) -> Result<TestOutcome, String> {
    if config.store_failures && !matches!(config.store_failures_as.as_str(), "table" | "view") {
        return Err(format!(
            "'{}' is not a valid value for `store_failures_as`. Accepted values are: ['ephemeral', 'table', 'view']",
            config.store_failures_as
        ));
    }
    let sql_with_limit = limited_sql(sql, config.limit.as_deref());
    let mut executed = Vec::new();
    let main_sql = match audit.filter(|_| config.store_failures) {
        Some(audit) => {
            let view = config.store_failures_as == "view";
            executed.push(store_failures(adapter, audit, &sql_with_limit, view)?);
            format!("select *\n        from {}", adapter.render_relation(audit))
        }
        None => sql_with_limit,
    };
    let query = test_query(&main_sql, config);
    let result = adapter.query(&query)?;
    executed.push(query);
    let row = result.rows.first().cloned().unwrap_or_default();
    let get = |i: usize| row.get(i).cloned().unwrap_or(Value::Null);
    let (status, failures, message) = judge(
        config,
        as_count(&get(0)),
        as_bool(&get(1)),
        as_bool(&get(2)),
    );
    Ok(TestOutcome {
        status,
        failures,
        message,
        executed_sql: executed.join(";\n\n"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config(v: Value) -> TestConfig {
        TestConfig::from_config(v.as_object().unwrap(), false)
    }

    #[test]
    fn defaults_and_judgement() {
        let c = config(json!({"severity": "ERROR", "where": null}));
        assert_eq!(c.warn_if, "!= 0");
        assert_eq!(c.fail_calc, "count(*)");
        assert_eq!(judge(&c, 0, false, false).0, TestStatus::Pass);
        let (s, n, m) = judge(&c, 3, true, true);
        assert_eq!((s, n), (TestStatus::Fail, 3));
        assert_eq!(m.unwrap(), "Got 3 results, configured to fail if != 0");
        let w = config(json!({"severity": "warn"}));
        let (s, _, m) = judge(&w, 1, true, true);
        assert_eq!(s, TestStatus::Warn);
        assert_eq!(m.unwrap(), "Got 1 result, configured to warn if != 0");
        let t = config(json!({"error_if": ">5", "warn_if": ">1"}));
        assert_eq!(judge(&t, 3, true, false).0, TestStatus::Warn);
        assert_eq!(judge(&t, 1, false, false), (TestStatus::Pass, 0, None));
    }

    #[test]
    fn store_failures_as_wins() {
        let c = |v: Value, flag| TestConfig::from_config(v.as_object().unwrap(), flag);
        assert!(!c(json!({}), false).store_failures);
        assert!(c(json!({}), true).store_failures);
        assert!(!c(json!({"store_failures": false}), true).store_failures);
        let v = c(
            json!({"store_failures": false, "store_failures_as": "view"}),
            false,
        );
        assert!(v.store_failures);
        assert_eq!(v.store_failures_as, "view");
        assert!(
            !c(
                json!({"store_failures": true, "store_failures_as": "ephemeral"}),
                true
            )
            .store_failures
        );
    }

    #[test]
    fn query_shape() {
        let c = config(json!({"limit": 10}));
        let q = test_query(&limited_sql("select 1", c.limit.as_deref()), &c);
        assert!(q.contains("count(*) != 0 as should_error"));
        assert!(q.contains("select 1\n  limit 10"));
        assert!(q.ends_with(") dbt_internal_test"));
    }
}
