//! `grants` and `indexes` on PostgreSQL (fixtures/pg_grants), compared with what dbt-core
//! 1.11 + dbt-postgres 1.11 leave after two runs (fixtures/pg_grants/expected/postgres,
//! written by scripts/postgres_goldens.sh): the privileges granted to the roles of
//! `_roles.txt` (created in the test's server), the indexes of every table (pg_indexes,
//! names left out: dbt-postgres names them by an md5 of the time) and every relation.
//! The second run changes the grants of the incremental model, the snapshot and the seed
//! `items`, whose tables stay: what they no longer list is revoked (and the truncated
//! seed keeps its index). The `hooked_*` seed and models grant SELECT to both roles and
//! revoke it from one in a post-hook: what is left shows whether the grants came before
//! the hook (views, seeds) or after it (tables), as in dbt's materializations.
//!
//! Twice: with `dbtc seed` loading the seeds and the models and the snapshot built through
//! the library calls that take a node's grants and indexes
//! (`transactional::build_model_with`, `build_incremental`, `build_snapshot`); and through
//! the CLI alone (`dbtc seed`, `run`, `snapshot`, statuses compared with dbt's too). Last,
//! the fixture on DuckDB, as dbt-duckdb runs it (no grants; indexes without `type`).

mod common;
mod pg_common;

use std::path::PathBuf;

use dbtc::db::{NodeKey, Project, RootDb};
use dbtc::exec::Adapter;
use dbtc::exec::postgres::PostgresAdapter;
use dbtc::exec::run::Materialization;
use dbtc::exec::run::incremental::{IncrementalConfig, build_incremental};
use dbtc::exec::run::snapshot::{SnapshotConfig, build_snapshot};
use dbtc::exec::transactional::{PostBuild, build_model_with};
use dbtc::jinja::incremental::incremental_sql;
use dbtc::jinja::nodes::{node_config, rendered_node};
use pg_common::{TestDb, dbtc, dump, load, read_json, relation_of, relations, server, text};
use serde_json::{Value, json};

fn golden(file: &str) -> PathBuf {
    common::fixture_dir("pg_grants")
        .join("expected/postgres")
        .join(file)
}

/// Builds the models (parents first) and the snapshot as a run and a snapshot would.
fn build_all(adapter: &mut PostgresAdapter, root: &RootDb, project: Project) {
    for name in ["indexed_table", "granted_view", "inc_granted"] {
        let key = NodeKey::new(root, format!("model.pg_grants.{name}"));
        let relation = relation_of(root, project, key);
        let config = node_config(root, project, key);
        let existing = adapter.relation_kind(&relation).unwrap();
        let materialization =
            Materialization::parse(config["materialized"].as_str().unwrap()).unwrap();
        let built = if materialization == Materialization::Incremental
            && existing.as_deref() == Some("table")
        {
            let sql = incremental_sql(root, project, key).sql.clone().unwrap();
            let inc = IncrementalConfig::from_config(config).unwrap();
            build_incremental(adapter, &relation, &sql, &inc)
        } else {
            let sql = rendered_node(root, project, key).sql.clone().unwrap();
            let post = PostBuild::from_config(config).unwrap();
            build_model_with(
                adapter,
                &relation,
                existing.as_deref(),
                materialization,
                &sql,
                &post,
            )
        };
        built.unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    let key = NodeKey::new(root, "snapshot.pg_grants.snap_granted".to_string());
    let relation = relation_of(root, project, key);
    let config = SnapshotConfig::from_config(node_config(root, project, key)).unwrap();
    let sql = rendered_node(root, project, key).sql.clone().unwrap();
    build_snapshot(adapter, &relation, &sql, &config).unwrap();
}

/// The same queries as scripts/postgres_goldens.sh.
fn grants_and_indexes(adapter: &mut PostgresAdapter) -> (Value, Value) {
    let grants = adapter
        .query(
            "select table_schema || '.' || table_name, grantee, privilege_type \
             from information_schema.role_table_grants \
             where grantor = current_role and grantee != current_role \
             and table_schema not in ('pg_catalog', 'information_schema') order by 1, 2, 3",
        )
        .unwrap()
        .rows;
    let indexes = adapter
        .query(
            "select schemaname || '.' || tablename, \
             regexp_replace(indexdef, 'INDEX \\S+ ON', 'INDEX ON') from pg_indexes \
             where schemaname not in ('pg_catalog', 'information_schema') order by 1, 2",
        )
        .unwrap()
        .rows;
    (json!(grants), json!(indexes))
}

/// Creates the roles of `_roles.txt` (they belong to the server: created once, kept).
/// Roles are cluster-wide: two tests creating the same role at once make one of them fail
/// with a unique violation rather than duplicate_object, so the tests take turns and both
/// errors mean "already there".
fn create_roles(adapter: &mut PostgresAdapter) {
    static ROLES: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _turn = ROLES.lock().unwrap_or_else(|e| e.into_inner());
    for role in std::fs::read_to_string(golden("_roles.txt"))
        .unwrap()
        .split_whitespace()
    {
        adapter
            .execute(&format!(
                "do $$ begin create role \"{role}\"; exception when duplicate_object or unique_violation then null; end $$"
            ))
            .unwrap();
    }
}

/// A golden's rows whose relation (the first field) `keep` accepts.
fn golden_rows(file: &str, keep: &dyn Fn(&str) -> bool) -> Value {
    let rows = read_json(&golden(file));
    let kept: Vec<Value> = rows
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| keep(r[0].as_str().unwrap()))
        .cloned()
        .collect();
    json!(kept)
}

/// The grants, indexes and relations after the second run are dbt-postgres's (those of
/// the relations `keep` accepts).
fn matches_goldens(adapter: &mut PostgresAdapter, keep: &dyn Fn(&str) -> bool) {
    let (grants, indexes) = grants_and_indexes(adapter);
    assert_eq!(grants, golden_rows("_grants.json", keep), "grants");
    assert_eq!(indexes, golden_rows("_indexes.json", keep), "indexes");
    let mut want: Vec<String> = std::fs::read_dir(golden(""))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter_map(|f| f.strip_suffix(".json").map(str::to_string))
        .filter(|f| f.contains('.') && keep(f))
        .collect();
    want.sort();
    assert_eq!(relations(adapter), want);
    for rel in want.iter().filter(|r| !r.starts_with("snapshots.")) {
        assert_eq!(
            dump(adapter, rel),
            read_json(&golden(&format!("{rel}.json"))),
            "{rel}"
        );
    }
}

#[test]
fn grants_and_indexes_match_dbt_postgres() {
    let Some(env) = server() else { return };
    let db = TestDb::create(env);
    let mut adapter = db.adapter();
    create_roles(&mut adapter);
    let (_tmp, dir) = common::fixture_copy("pg_grants");
    std::fs::copy(golden("profiles.yml"), dir.join("profiles.yml")).unwrap();
    // The hooked nodes need the CLI's hooks: left to the CLI test.
    for file in [
        "models/hooked_table.sql",
        "models/hooked_view.sql",
        "seeds/hooked_seed.csv",
    ] {
        std::fs::remove_file(dir.join(file)).unwrap();
    }
    let out = dbtc(&db, "seed", &dir, &[]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let (root, project) = load(&dir, &db, Value::Null);
    build_all(&mut adapter, &root, project);
    // Before the second run every listed role holds its privilege.
    let (grants, _) = grants_and_indexes(&mut adapter);
    assert!(
        grants
            .to_string()
            .contains(r#"["main.inc_granted","dbtc_reporter","SELECT"]"#),
        "{grants}"
    );

    for entry in std::fs::read_dir(dir.join("phase2")).unwrap().flatten() {
        std::fs::copy(entry.path(), dir.join("seeds").join(entry.file_name())).unwrap();
    }
    let out = dbtc(&db, "seed", &dir, &["--vars", "{phase: 2}"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let (root, project) = load(&dir, &db, json!({"phase": 2}));
    build_all(&mut adapter, &root, project);
    matches_goldens(&mut adapter, &|rel| !rel.starts_with("main.hooked_"));
}

/// A run's statuses and relation names (the database named as in the goldens).
fn cli_results(dir: &std::path::Path, db: &TestDb) -> Value {
    let got = read_json(&dir.join("target/run_results.json"));
    let mut rows: Vec<Value> = got["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            json!({
                "unique_id": r["unique_id"],
                "status": r["status"],
                "relation_name": r["relation_name"].as_str().map(|n| n.replace(
                    &format!("\"{}\".", db.name),
                    "\"golden_pg_grants\".",
                )),
            })
        })
        .collect();
    rows.sort_by(|a, b| a["unique_id"].as_str().cmp(&b["unique_id"].as_str()));
    json!({ "results": rows })
}

/// The same two runs through the CLI: `dbtc run` gives the table its indexes and every
/// model its grants, the second run revokes what the incremental model and the snapshot
/// no longer list.
#[test]
fn grants_and_indexes_via_cli_match_dbt_postgres() {
    let Some(env) = server() else { return };
    let db = TestDb::create(env);
    let mut adapter = db.adapter();
    create_roles(&mut adapter);
    let (_tmp, dir) = common::fixture_copy("pg_grants");
    std::fs::copy(golden("profiles.yml"), dir.join("profiles.yml")).unwrap();
    for verb in ["seed", "run", "snapshot"] {
        let out = dbtc(&db, verb, &dir, &[]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "first {verb}:\n{}", text(&out));
    }
    let (grants, indexes) = grants_and_indexes(&mut adapter);
    for want in [
        r#"["main.inc_granted","dbtc_reporter","SELECT"]"#,
        r#"["main.granted_view","dbtc_reporter","SELECT"]"#,
        r#"["main.indexed_table","dbtc_analyst","SELECT"]"#,
    ] {
        assert!(grants.to_string().contains(want), "{want} in {grants}");
    }
    assert_eq!(indexes, read_json(&golden("_indexes.json")), "indexes");

    for entry in std::fs::read_dir(dir.join("phase2")).unwrap().flatten() {
        std::fs::copy(entry.path(), dir.join("seeds").join(entry.file_name())).unwrap();
    }
    for verb in ["seed", "run", "snapshot"] {
        let out = dbtc(&db, verb, &dir, &["--vars", "{phase: 2}"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "second {verb}:\n{}", text(&out));
        if verb != "seed" {
            assert_eq!(
                cli_results(&dir, &db),
                read_json(&golden(&format!("{verb}.json"))),
                "second {verb}"
            );
        }
    }
    matches_goldens(&mut adapter, &|_| true);

    // A full refresh of the seed drops and recreates its table (no view depends on it):
    // granted afresh and indexed once more, it ends as it was.
    let out = dbtc(
        &db,
        "seed",
        &dir,
        &["--vars", "{phase: 2}", "--full-refresh", "-s", "items"],
    )
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    matches_goldens(&mut adapter, &|_| true);
}

const DUCKDB_PROFILE: &str = "pg_grants:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: dev.duckdb
      schema: main
      threads: 1
";

/// The indexes of the DuckDB file (`schema.table`, unique, columns in the statement).
fn duckdb_indexes(dir: &std::path::Path) -> Vec<String> {
    let mut duck = common::open_duckdb(dir);
    let rows = duck
        .query(
            "select schema_name || '.' || table_name, is_unique, \
             regexp_replace(sql, '^.*\\(', '(') from duckdb_indexes() order by all",
        )
        .unwrap()
        .rows;
    rows.iter()
        .map(|r| format!("{} {} {}", r[0], r[1], r[2].as_str().unwrap()).replace('"', ""))
        .collect()
}

/// The same fixture on DuckDB through the CLI, as dbt-duckdb 1.11 runs it: `grants` do
/// nothing (there are no roles), the incremental model, the seed and the snapshot get
/// their indexes (kept by the second run; checked by hand against dbt-duckdb 1.11), and the table whose index has a `type` is a compilation error
/// (dbt-duckdb's index config has only `columns` and `unique`) that skips its view; without
/// that `type` the table is built, and rebuilt, with its indexes.
#[test]
fn grants_and_indexes_on_duckdb_as_dbt_duckdb() {
    let (_tmp, dir) = common::fixture_copy("pg_grants");
    std::fs::write(dir.join("profiles.yml"), DUCKDB_PROFILE).unwrap();
    let run = |verb: &str, vars: &str, code: i32| {
        let (got, console) = common::dbtc_cli(verb, &dir, &["--vars", vars]);
        assert_eq!(got, code, "{verb} {vars}:\n{console}");
        console
    };
    run("seed", "{phase: 1}", 0);
    let console = run("run", "{phase: 1}", 1);
    assert!(
        console.contains("Compilation Error in model indexed_table")
            && console.contains("('type' was unexpected)")
            && console.contains("SKIP=1"),
        "{console}"
    );
    run("snapshot", "{phase: 1}", 0);
    for entry in std::fs::read_dir(dir.join("phase2")).unwrap().flatten() {
        std::fs::copy(entry.path(), dir.join("seeds").join(entry.file_name())).unwrap();
    }
    run("seed", "{phase: 2}", 0);
    run("run", "{phase: 2}", 1);
    run("snapshot", "{phase: 2}", 0);
    let want = [
        "main.inc_granted true (id);",
        "main.items true (id);",
        "snapshots.snap_granted false (id, dbt_valid_from);",
    ];
    assert_eq!(duckdb_indexes(&dir), want);

    let model = dir.join("models/indexed_table.sql");
    let sql = std::fs::read_to_string(&model).unwrap();
    let without_type = sql.replace("{'columns': ['name'], 'type': 'hash'},", "");
    assert_ne!(sql, without_type);
    std::fs::write(&model, without_type).unwrap();
    for _ in 0..2 {
        let console = run("run", "{phase: 2}", 0);
        assert!(console.contains("PASS=5"), "{console}");
        let got = duckdb_indexes(&dir);
        let mut want = vec![
            "main.indexed_table true (id);",
            "main.indexed_table false (name, price);",
            "main.inc_granted true (id);",
            "main.items true (id);",
            "snapshots.snap_granted false (id, dbt_valid_from);",
        ];
        want.sort();
        assert_eq!(got, want);
    }

    // A seed index with a `type`: a kept (truncated) seed table creates no index in
    // dbt-duckdb, so no error, and keeps its old index; a new one (--full-refresh) is its
    // compilation error, and the table stays as it was (dbt-duckdb 1.11, checked by hand,
    // drops it first).
    let project = dir.join("dbt_project.yml");
    let yml = std::fs::read_to_string(&project).unwrap();
    let typed = yml.replace(
        "+indexes: [{columns: ['id'], unique: true}]",
        "+indexes: [{columns: ['id'], type: 'hash'}]",
    );
    assert_ne!(yml, typed);
    std::fs::write(&project, typed).unwrap();
    run("seed", "{phase: 2}", 0);
    let kept = |dir: &std::path::Path| {
        duckdb_indexes(dir)
            .iter()
            .any(|i| i == "main.items true (id);")
    };
    assert!(kept(&dir), "{:?}", duckdb_indexes(&dir));
    let (code, console) =
        common::dbtc_cli("seed", &dir, &["--vars", "{phase: 2}", "--full-refresh"]);
    assert_eq!(code, 1, "{console}");
    assert!(
        console.contains("('type' was unexpected)") && console.contains("seed file main.items"),
        "{console}"
    );
    let mut duck = common::open_duckdb(&dir);
    let rows = duck.query("select count(*) from main.items").unwrap().rows;
    assert_eq!(rows, vec![vec![serde_json::json!(4)]]);
    drop(duck);
    assert!(kept(&dir), "{:?}", duckdb_indexes(&dir));
}

/// A post-hook inside the transaction that fails rolls the whole build back, as in
/// dbt-postgres 1.11 (checked by hand: the table, the view and the seed keep their old
/// columns, rows and grants, and no `__dbt_tmp`/`__dbt_backup` relation is left): the
/// `hooked_*` nodes are rebuilt with a new column (a new row) and a post-hook that
/// divides by zero; afterwards they are what the goldens hold (the second phase does not
/// change them).
#[test]
fn a_failing_post_hook_rolls_the_build_back() {
    let Some(env) = server() else { return };
    let db = TestDb::create(env);
    let mut adapter = db.adapter();
    create_roles(&mut adapter);
    let (_tmp, dir) = common::fixture_copy("pg_grants");
    std::fs::copy(golden("profiles.yml"), dir.join("profiles.yml")).unwrap();
    for verb in ["seed", "run", "snapshot"] {
        let out = dbtc(&db, verb, &dir, &[]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{verb}:\n{}", text(&out));
    }
    let before_grants = grants_and_indexes(&mut adapter).0;
    let hook = regex::Regex::new(r#"post_hook="[^\n]*","#).unwrap();
    for model in ["hooked_table", "hooked_view"] {
        let path = dir.join(format!("models/{model}.sql"));
        let sql = std::fs::read_to_string(&path).unwrap();
        let failing = hook
            .replace(&sql, r#"post_hook="select 1/0","#)
            .replace("select id, name from", "select id, name, 1 as extra from");
        assert_ne!(sql, failing);
        std::fs::write(&path, failing).unwrap();
    }
    std::fs::write(
        dir.join("seeds/hooked_seed.csv"),
        "id,name\n1,a\n2,b\n3,c\n",
    )
    .unwrap();
    let project = dir.join("dbt_project.yml");
    let yml = std::fs::read_to_string(&project).unwrap();
    let failing = regex::Regex::new(r#"\+post-hook: "[^\n]*""#)
        .unwrap()
        .replace(&yml, r#"+post-hook: "select 1/0""#)
        .into_owned();
    assert_ne!(yml, failing);
    std::fs::write(&project, failing).unwrap();
    for (verb, nodes) in [
        ("seed", &["hooked_seed"][..]),
        ("run", &["hooked_table", "hooked_view"][..]),
    ] {
        let mut args = vec!["-s"];
        args.extend(nodes);
        let out = dbtc(&db, verb, &dir, &args).output().unwrap();
        let console = text(&out);
        assert_eq!(out.status.code(), Some(1), "{verb}:\n{console}");
        assert!(console.contains("division by zero"), "{console}");
    }
    assert_eq!(grants_and_indexes(&mut adapter).0, before_grants);
    let all = relations(&mut adapter);
    assert!(
        !all.iter().any(|r| r.contains("__dbt")),
        "leftovers: {all:?}"
    );
    for rel in ["main.hooked_seed", "main.hooked_table", "main.hooked_view"] {
        assert_eq!(
            dump(&mut adapter, rel),
            read_json(&golden(&format!("{rel}.json"))),
            "{rel}"
        );
    }
}
