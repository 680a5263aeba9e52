//! Shared by the tests that run against the PostgreSQL server of `.ci/run`
//! (scripts/pg_server.sh): its settings, a database per test, and relation dumps in the
//! format of scripts/postgres_goldens.sh.

// Each test crate includes this module and uses only part of it.
#![allow(dead_code, reason = "each test crate uses a subset of these helpers")]

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use dbtc::db::{NodeKey, OsSystem, Project, RootDb, Settings};
use dbtc::exec::postgres::PostgresAdapter;
use dbtc::exec::{Adapter, Relation};
use dbtc::jinja::nodes::node_relation;
use dbtc::project::profiles::Target;
use dbtc::project::{LoadOptions, load_project};
use serde_json::{Value, json};

/// The test server's connection settings, or None (with a notice) when there is none.
pub fn server() -> Option<BTreeMap<&'static str, String>> {
    let mut env = BTreeMap::new();
    for (key, var) in [
        ("host", "DBTC_TEST_PG_HOST"),
        ("port", "DBTC_TEST_PG_PORT"),
        ("user", "DBTC_TEST_PG_USER"),
        ("password", "DBTC_TEST_PG_PASSWORD"),
        ("dbname", "DBTC_TEST_PG_DBNAME"),
    ] {
        match std::env::var(var) {
            Ok(v) => env.insert(key, v),
            Err(_) => {
                eprintln!(
                    "notice: {var} is not set, skipping this Postgres test \
                     (.ci/run starts a server: scripts/pg_server.sh)"
                );
                return None;
            }
        };
    }
    assert!(
        ["127.0.0.1", "localhost", "::1"].contains(&env["host"].as_str())
            || env["host"].starts_with('/'),
        "the tests only talk to a server on loopback, not {}",
        env["host"]
    );
    Some(env)
}

pub fn connect(env: &BTreeMap<&str, String>, dbname: &str) -> PostgresAdapter {
    let mut target = Target::fallback("test");
    target.adapter_type = "postgres".into();
    for (k, v) in env {
        target.fields.insert((*k).into(), v.clone().into());
    }
    target.fields.insert("dbname".into(), dbname.into());
    PostgresAdapter::open(&target).expect("connect to the test server")
}

/// A database of its own for one test, dropped when the test ends.
pub struct TestDb {
    pub env: BTreeMap<&'static str, String>,
    pub name: String,
}

static NEXT: AtomicUsize = AtomicUsize::new(0);

impl TestDb {
    pub fn create(env: BTreeMap<&'static str, String>) -> TestDb {
        let name = format!(
            "dbtc_test_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        );
        let mut admin = connect(&env, &env["dbname"]);
        admin
            .execute(&format!("drop database if exists \"{name}\""))
            .unwrap();
        admin
            .execute(&format!("create database \"{name}\""))
            .unwrap();
        TestDb { env, name }
    }

    pub fn adapter(&self) -> PostgresAdapter {
        connect(&self.env, &self.name)
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let mut admin = connect(&self.env, &self.env["dbname"]);
        let _ = admin.execute(&format!(
            "drop database if exists \"{}\" with (force)",
            self.name
        ));
    }
}

pub fn dbtc(db: &TestDb, verb: &str, dir: &Path, extra: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dbtc"));
    cmd.arg(verb)
        .arg("--project-dir")
        .arg(dir)
        .arg("--profiles-dir")
        .arg(dir)
        .args(extra)
        .env("DBTC_TEST_PG_DBNAME", &db.name);
    cmd
}

pub fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

pub fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// Every relation outside the system schemas, `schema.name`, sorted.
pub fn relations(adapter: &mut PostgresAdapter) -> Vec<String> {
    adapter
        .query(
            "select table_schema || '.' || table_name from information_schema.tables \
             where table_schema not in ('pg_catalog', 'information_schema') order by 1",
        )
        .unwrap()
        .rows
        .into_iter()
        .map(|r| r[0].as_str().unwrap().to_string())
        .collect()
}

/// A relation as scripts/postgres_goldens.sh dumps it.
pub fn dump(adapter: &mut PostgresAdapter, rel: &str) -> Value {
    let (schema, table) = rel.split_once('.').unwrap();
    let relation = crate::common::relation(schema, table);
    let columns = adapter.columns(&relation).unwrap();
    let casts: Vec<String> = columns
        .iter()
        .map(|c| format!("{}::text", adapter.quote(&c.name)))
        .collect();
    let order: Vec<String> = (1..=columns.len()).map(|i| i.to_string()).collect();
    let rows = adapter
        .query(&format!(
            "select {} from {} order by {}",
            casts.join(", "),
            adapter.render_relation(&relation),
            order.join(", ")
        ))
        .unwrap()
        .rows;
    json!({
        "relation": rel,
        "kind": adapter.relation_kind(&relation).unwrap().unwrap(),
        "columns": columns.iter().map(|c| json!({"name": c.name, "type": c.data_type})).collect::<Vec<_>>(),
        "rows": rows,
    })
}

/// The project as `dbtc ... --vars <vars>` loads it, pointed at the test's database.
pub fn load(dir: &Path, db: &TestDb, vars: Value) -> (RootDb, Project) {
    let mut env: BTreeMap<String, String> = std::env::vars().collect();
    env.insert("DBTC_TEST_PG_DBNAME".into(), db.name.clone());
    let opts = LoadOptions {
        project_dir: dir.to_path_buf(),
        profiles_dir: Some(dir.to_path_buf()),
        settings: Settings {
            cli_vars: vars,
            env,
            ..Settings::default()
        },
    };
    let root = RootDb::default();
    let project = load_project(&root, &OsSystem, &opts);
    (root, project)
}

pub fn relation_of(root: &RootDb, project: Project, key: NodeKey) -> Relation {
    let rel = node_relation(root, project, key)
        .clone()
        .expect("a relation");
    Relation {
        database: None,
        schema: rel.schema.clone().unwrap(),
        identifier: rel.identifier.clone().unwrap(),
    }
}
