//! User errors become diagnostics at file:line:col with hints; nothing panics and the rest
//! of the project still compiles.

use dbtc::compile::compile_project;
use dbtc::db::{MemSystem, RootDb};
use dbtc::project::{LoadOptions, load_project};

fn project_with(files: &[(&str, &str)]) -> (RootDb, dbtc::db::Project) {
    let fs = MemSystem::default();
    fs.write("/p/dbt_project.yml", "name: demo\nprofile: demo\n");
    fs.write(
        "/p/profiles.yml",
        "demo:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: dev.duckdb\n",
    );
    for (path, text) in files {
        fs.write(format!("/p/{path}"), *text);
    }
    let db = RootDb::default();
    let opts = LoadOptions::in_dir("/p");
    let project = load_project(&db, &fs, &opts);
    (db, project)
}

#[test]
fn error_in_nested_macro_shows_the_chain_of_frames() {
    let (db, project) = project_with(&[
        (
            "macros/boom.sql",
            "{% macro inner(x) %}\n  {{ exceptions.raise_compiler_error('bad ' ~ x) }}\n{% endmacro %}\n{% macro outer(x) %}{{ inner(x) }}{% endmacro %}\n",
        ),
        ("models/m.sql", "select\n  {{ outer(1) }} as y\n"),
        ("models/ok.sql", "select 1 as x"),
    ]);
    let out = compile_project(&db, project, None);
    let d = out
        .diagnostics
        .iter()
        .find(|d| d.code == "E2003")
        .expect("compiler error");
    assert!(d.message.starts_with("bad 1"), "{}", d.message);
    assert_eq!(
        d.file.as_deref(),
        Some(std::path::Path::new("/p/macros/boom.sql"))
    );
    assert_eq!(d.span.as_ref().map(|s| s.line), Some(2));
    let labels: Vec<(String, usize)> = d
        .labels
        .iter()
        .map(|l| (l.message.clone(), l.span.line))
        .collect();
    assert_eq!(
        labels,
        [
            ("called from macro `demo.outer`".to_string(), 4),
            ("called from this node".to_string(), 2)
        ]
    );
    assert!(
        out.nodes
            .iter()
            .any(|n| n.unique_id == "model.demo.ok" && n.sql.is_some())
    );
}

#[test]
fn missing_profile_and_bad_project_yaml_are_diagnostics() {
    let fs = MemSystem::default();
    fs.write("/q/dbt_project.yml", "name: [unclosed\n");
    fs.write("/q/models/m.sql", "select 1");
    let db = RootDb::default();
    let opts = LoadOptions::in_dir("/q");
    let project = load_project(&db, &fs, &opts);
    let out = compile_project(&db, project, None);
    assert!(
        out.diagnostics.iter().any(|d| d.code == "E1001"),
        "{:?}",
        out.diagnostics
    );
    assert!(
        out.diagnostics.iter().any(|d| d.code == "E1003"),
        "{:?}",
        out.diagnostics
    );
}

#[test]
fn unknown_source_and_duplicate_names() {
    let (db, project) = project_with(&[
        (
            "models/a.sql",
            "select * from {{ source('raw', 'orderz') }}",
        ),
        ("models/sub/a.sql", "select 1"),
        (
            "models/src.yml",
            "sources:\n  - name: raw\n    tables:\n      - name: orders\n",
        ),
    ]);
    let out = compile_project(&db, project, None);
    let src = out
        .diagnostics
        .iter()
        .find(|d| d.code == "E3002")
        .expect("unknown source");
    assert_eq!(src.hint.as_deref(), Some("did you mean `raw.orders`?"));
    assert!(
        out.diagnostics.iter().any(|d| d.code == "E1004"),
        "{:?}",
        out.diagnostics
    );
}

#[test]
fn secret_env_vars_are_refused_outside_profiles() {
    let (db, project) = project_with(&[(
        "models/s.sql",
        "select '{{ env_var('DBT_ENV_SECRET_TOKEN', 'x') }}' as t",
    )]);
    let out = compile_project(&db, project, None);
    let d = out
        .diagnostics
        .iter()
        .find(|d| d.code == "E2003")
        .expect("secret refused");
    assert!(
        d.message
            .starts_with("Secret env vars are allowed only in profiles.yml"),
        "{}",
        d.message
    );
}
