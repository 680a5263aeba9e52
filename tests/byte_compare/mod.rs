//! Comparing dbtc's compiled SQL with dbt-core's goldens byte for byte, and saying where
//! two texts first differ. Shared by tests/fixtures.rs and tests/pg_compiled_bytes.rs.

use std::path::{Path, PathBuf};

/// Runs of whitespace collapsed to one space, leading and trailing whitespace dropped.
pub fn normalize(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Where two texts first differ: 1-based line and column, and both lines (escaped, so
/// trailing spaces and missing newlines show).
pub fn first_difference(want: &str, got: &str) -> String {
    let mut at = want
        .bytes()
        .zip(got.bytes())
        .position(|(a, b)| a != b)
        .unwrap_or(want.len().min(got.len()));
    // Both texts are equal before `at`, so a boundary of one is a boundary of the other.
    while !want.is_char_boundary(at) {
        at -= 1;
    }
    let line = want[..at].matches('\n').count() + 1;
    let line_start = want[..at].rfind('\n').map_or(0, |i| i + 1);
    let col = at - line_start + 1;
    let line_of = |s: &str| {
        let rest = &s[line_start.min(s.len())..];
        let end = rest.find('\n').map_or(rest.len(), |i| i + 1);
        format!("{:?}", &rest[..end])
    };
    format!(
        "first difference at {line}:{col}\n  dbt : {}\n  dbtc: {}",
        line_of(want),
        line_of(got)
    )
}

/// Every file under `dir`, sorted.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p)
            } else {
                out.push(p)
            }
        }
    }
    out.sort();
    out
}

/// Checks the whitespace-only differences found against the known ones (file, reason):
/// returns a problem for each unknown one and for each known one that no longer is one.
pub fn whitespace_problems(found: &[(String, String)], known: &[(&str, &str)]) -> Vec<String> {
    let mut problems: Vec<String> = found
        .iter()
        .filter(|(f, _)| !known.iter().any(|(k, _)| k == f))
        .map(|(f, at)| format!("{f}: whitespace differs, {at}"))
        .collect();
    for (file, _reason) in known {
        if !found.iter().any(|(f, _)| f == file) {
            problems.push(format!(
                "{file} is no longer a whitespace-only difference (byte-identical now, or \
                 worse): remove it from the known whitespace differences"
            ));
        }
    }
    problems
}
