//! A unit test's `checksum` in manifest.json, as dbt computes it (for `state:modified`):
//! the sha256 of `<model>-<versions>-<given>-<expect>-<overrides>` written the way Python
//! prints dbt's definition objects, then `-<rows>` for each input read from a fixture
//! file. Everything but the description counts.

use super::generic_tests::py_repr_str as py_str;
use serde_json::Value;

use super::unit_test_rows::{Rows, RowsFormat};
use super::unit_tests::Given;

/// Python's `repr()` of a JSON-like value (dicts in their order).
pub fn py_repr(value: &Value) -> String {
    let mut out = String::new();
    write_repr(value, &mut out);
    out
}

fn write_repr(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("None"),
        Value::Bool(true) => out.push_str("True"),
        Value::Bool(false) => out.push_str("False"),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => out.push_str(&i.to_string()),
            (_, Some(u), _) => out.push_str(&u.to_string()),
            (_, _, Some(f)) => out.push_str(&py_float(f)),
            _ => out.push_str(&n.to_string()),
        },
        Value::String(s) => out.push_str(&py_str(s)),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_repr(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&py_str(k));
                out.push_str(": ");
                write_repr(v, out);
            }
            out.push('}');
        }
    }
}

/// Python's `repr()` of a float: the shortest digits that read back, `.0` on whole
/// numbers, exponents below 1e-4 and from 1e16 (`1e-05`, `1e+16`).
fn py_float(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf" } else { "-inf" }.into();
    }
    let magnitude = f.abs();
    if f != 0.0 && !(1e-4..1e16).contains(&magnitude) {
        let text = format!("{f:e}");
        let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
        let (sign, digits) = match exponent.strip_prefix('-') {
            Some(d) => ('-', d),
            None => ('+', exponent),
        };
        return format!("{mantissa}e{sign}{digits:0>2}");
    }
    let text = format!("{f}");
    if text.contains('.') {
        text
    } else {
        format!("{text}.0")
    }
}

fn format_repr(format: RowsFormat) -> &'static str {
    match format {
        RowsFormat::Dict => "<UnitTestFormat.Dict: 'dict'>",
        RowsFormat::Csv => "<UnitTestFormat.CSV: 'csv'>",
        RowsFormat::Sql => "<UnitTestFormat.SQL: 'sql'>",
    }
}

fn fixture_repr(fixture: &Option<String>) -> String {
    fixture.as_deref().map_or_else(|| "None".into(), py_str)
}

/// The checksum of a unit test from its normalized parts.
pub fn checksum(
    model: &str,
    versions: &Value,
    given: &[Given],
    expect: (&Rows, RowsFormat, &Option<String>),
    overrides: &Value,
) -> String {
    let versions = match versions {
        Value::Object(v) => format!(
            "UnitTestNodeVersions(include={}, exclude={})",
            py_repr(v.get("include").unwrap_or(&Value::Null)),
            py_repr(v.get("exclude").unwrap_or(&Value::Null))
        ),
        _ => "None".into(),
    };
    let inputs: Vec<String> = given
        .iter()
        .map(|g| {
            format!(
                "UnitTestInputFixture(input={}, rows={}, format={}, fixture={})",
                py_str(&g.input),
                py_repr(&g.rows.to_value()),
                format_repr(g.format),
                fixture_repr(&g.fixture)
            )
        })
        .collect();
    let (rows, format, fixture) = expect;
    let expect = format!(
        "UnitTestOutputFixture(rows={}, format={}, fixture={})",
        py_repr(&rows.to_value()),
        format_repr(format),
        fixture_repr(fixture)
    );
    let overrides = match overrides {
        Value::Object(o) => {
            let part = |k: &str| py_repr(o.get(k).unwrap_or(&Value::Null));
            format!(
                "UnitTestOverrides(macros={}, vars={}, env_vars={})",
                part("macros"),
                part("vars"),
                part("env_vars")
            )
        }
        _ => "None".into(),
    };
    let mut data = format!(
        "{model}-{versions}-[{}]-{expect}-{overrides}",
        inputs.join(", ")
    );
    for g in given.iter().filter(|g| g.fixture.is_some()) {
        data.push('-');
        // Python's str(): a SQL fixture's text as it is, rows as their repr.
        match &g.rows {
            Rows::Sql(sql) => data.push_str(sql),
            rows => data.push_str(&py_repr(&rows.to_value())),
        }
    }
    use sha2::Digest;
    sha2::Sha256::digest(data.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn python_reprs() {
        assert_eq!(
            py_repr(&json!({"a": 1, "b": [true, null, 2.5, "it's"], "c": "x\"y'z"})),
            r#"{'a': 1, 'b': [True, None, 2.5, "it's"], 'c': 'x"y\'z'}"#
        );
        assert_eq!(py_float(250.0), "250.0");
        assert_eq!(py_float(0.00001), "1e-05");
        assert_eq!(py_float(1e16), "1e+16");
        assert_eq!(py_float(0.1), "0.1");
        assert_eq!(py_str("a\nb"), "'a\\nb'");
    }
}
