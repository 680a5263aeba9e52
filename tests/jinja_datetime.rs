//! `modules.datetime` / `modules.pytz` against Python: every template of
//! tests/jinja_datetime/cases.txt rendered by dbtc must give what Jinja2 with Python's
//! datetime and pytz gave (tests/jinja_datetime/expected.json, written by
//! scripts/datetime_goldens.py), or fail where Python raised.

use dbtc::jinja::compat::rewrite_template;
use dbtc::jinja::env::ENV;
use dbtc::jinja::pymodules::DateTime;

const EXPECTED: &str = include_str!("jinja_datetime/expected.json");

/// Templates whose output depends on the clock; Python and dbtc ran at different times.
const PREAMBLE: &str = "{% set D = modules.datetime %}{% set P = modules.pytz %}";

fn render(template: &str) -> Result<String, String> {
    let run_started_at = DateTime::from_utc(
        chrono::NaiveDate::from_ymd_opt(2024, 5, 6)
            .and_then(|d| d.and_hms_micro_opt(7, 8, 9, 123_456))
            .expect("a valid instant"),
    );
    let source = rewrite_template(&format!("{PREAMBLE}{template}"));
    ENV.render_str(
        &source,
        minijinja::context! { run_started_at => run_started_at },
    )
    .map_err(|e| e.to_string())
}

#[test]
fn datetime_and_pytz_render_as_in_python() {
    let cases: Vec<serde_json::Value> = serde_json::from_str(EXPECTED).expect("valid JSON");
    assert!(cases.len() > 50, "the golden file lost its cases");
    let mut failures = Vec::new();
    for case in &cases {
        let template = case["template"].as_str().expect("a template");
        let got = render(template);
        match (case.get("output").and_then(|o| o.as_str()), &got) {
            (Some(want), Ok(out)) if out == want => {}
            (None, Err(_)) => {}
            (want, _) => failures.push(format!(
                "{template}\n   python: {}\n     dbtc: {got:?}",
                want.map_or_else(|| format!("error {}", case["error"]), str::to_string)
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
