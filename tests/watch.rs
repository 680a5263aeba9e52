//! The watch loop on a real temporary directory: each edit produces one cycle report, and
//! the report says what re-ran, what changed in the diagnostics and what was written.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use dbtc::db::{OsSystem, RootDb, Settings};
use dbtc::project::{LoadOptions, load_project};
use dbtc::watch::{CycleReport, WatchOptions, watch};

/// Generous: the machine is shared and debug builds are slow.
const TIMEOUT: Duration = Duration::from_secs(60);

fn write_project(root: &Path) {
    let files = [
        ("dbt_project.yml", "name: demo\nprofile: demo\n"),
        (
            "profiles.yml",
            "demo:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: dev.duckdb\n      schema: main\n",
        ),
        (
            "macros/money.sql",
            "{% macro cents(col) %}({{ col }} / 100.0){% endmacro %}\n",
        ),
        ("models/a.sql", "select 1 as id, 250 as amount_cents"),
        (
            "models/b.sql",
            "select id, {{ cents('amount_cents') }} as amount from {{ ref('a') }}",
        ),
        ("models/c.sql", "select id from {{ ref('b') }}"),
        ("models/d.sql", "select {{ cents('1') }} as x"),
    ];
    for (rel, text) in files {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

/// Saves as editors do: a temporary file renamed over the target.
fn save(path: &Path, text: &str) {
    let tmp = path.with_extension("sql.tmp~");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

struct Harness {
    root: PathBuf,
    reports: mpsc::Receiver<CycleReport>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<usize>>,
    _dir: tempfile::TempDir,
}

impl Harness {
    fn start() -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        write_project(&root);
        let stop = Arc::new(AtomicBool::new(false));
        let (tx, reports) = mpsc::channel();
        let opts = WatchOptions {
            debounce: Duration::from_millis(100),
            max_cycles: Some(50),
            threads: 2,
            stop: Some(Arc::clone(&stop)),
            ..WatchOptions::default()
        };
        let load = LoadOptions {
            project_dir: root.clone(),
            profiles_dir: Some(root.clone()),
            settings: Settings::default(),
        };
        let thread = std::thread::spawn(move || {
            let mut db = RootDb::with_execution_log();
            let project = load_project(&db, &OsSystem, &load);
            watch(&mut db, project, &opts, |report| {
                match tx.send(report.clone()) {
                    Ok(()) => ControlFlow::Continue(()),
                    Err(_) => ControlFlow::Break(()),
                }
            })
            .expect("the watcher starts")
        });
        let harness = Harness {
            root,
            reports,
            stop,
            thread: Some(thread),
            _dir: dir,
        };
        let initial = harness.next_report();
        assert_eq!(initial.cycle, 0);
        assert_eq!(initial.errors, 0, "{:?}", initial.new_diagnostics);
        assert_eq!(initial.nodes, 4);
        harness
    }

    fn next_report(&self) -> CycleReport {
        self.reports
            .recv_timeout(TIMEOUT)
            .expect("a cycle report within the timeout")
    }

    /// The first report that mentions `rel` (earlier reports, if any, are returned too).
    fn report_for(&self, rel: &str) -> (CycleReport, Vec<CycleReport>) {
        let path = self.root.join(rel);
        let deadline = Instant::now() + TIMEOUT;
        let mut earlier = Vec::new();
        while Instant::now() < deadline {
            let report = self.next_report();
            let c = &report.changes;
            if c.changed.contains(&path) || c.created.contains(&path) || c.removed.contains(&path) {
                return (report, earlier);
            }
            earlier.push(report);
        }
        panic!("no cycle for {rel}; saw {earlier:?}");
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    fn manifest_nodes(&self) -> Vec<String> {
        let text = std::fs::read_to_string(self.path("target/manifest.json")).unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        json["nodes"].as_object().unwrap().keys().cloned().collect()
    }

    fn compiled(&self, model: &str) -> Option<String> {
        std::fs::read_to_string(
            self.path("target/compiled/demo/models")
                .join(format!("{model}.sql")),
        )
        .ok()
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take()
            && !std::thread::panicking()
        {
            thread.join().expect("the watch loop ends cleanly");
        }
    }
}

#[test]
fn edits_rerender_only_what_they_change() {
    let h = Harness::start();
    assert!(h.manifest_nodes().contains(&"model.demo.c".to_string()));
    assert!(h.compiled("b").unwrap().contains("/ 100.0"));

    // A leaf model: exactly one node re-rendered, one compiled file rewritten.
    save(
        &h.path("models/c.sql"),
        "select id, 2 as two from {{ ref('b') }}",
    );
    let (report, _) = h.report_for("models/c.sql");
    assert_eq!(report.files_changed(), 1, "{report:?}");
    assert_eq!(report.rerendered(), 1, "{report:?}");
    assert_eq!(report.executions.rendered_node, 1, "{report:?}");
    assert_eq!(report.files_written, 1, "{report:?}");
    assert!(report.manifest_written);
    assert!(h.compiled("c").unwrap().contains("2 as two"));

    // The macro: its two callers (b, d) re-render, a and c do not.
    save(
        &h.path("macros/money.sql"),
        "{% macro cents(col) %}({{ col }} / 1000.0){% endmacro %}\n",
    );
    let (report, _) = h.report_for("macros/money.sql");
    assert_eq!(report.rerendered(), 2, "{report:?}");
    assert_eq!(report.executions.rendered_node, 2, "{report:?}");
    assert_eq!(report.files_written, 2, "{report:?}");
    assert!(h.compiled("b").unwrap().contains("/ 1000.0"));
    assert!(h.compiled("d").unwrap().contains("/ 1000.0"));
    assert!(report.new_diagnostics.is_empty() && report.errors == 0);
}

#[test]
fn created_and_deleted_models_follow_the_files() {
    let h = Harness::start();

    // A new file is picked up (written directly, not through a rename).
    std::fs::write(h.path("models/e.sql"), "select * from {{ ref('c') }}").unwrap();
    let (report, _) = h.report_for("models/e.sql");
    assert!(
        report.changes.created.contains(&h.path("models/e.sql")),
        "{report:?}"
    );
    // The file may arrive empty first and filled in a later cycle: wait for its text.
    let deadline = Instant::now() + TIMEOUT;
    while !h.compiled("e").is_some_and(|sql| sql.contains("from")) {
        assert!(Instant::now() < deadline, "e.sql never compiled");
        let _ = h.reports.recv_timeout(Duration::from_millis(500));
    }
    assert!(h.compiled("e").unwrap().contains("\"c\""));
    assert!(h.manifest_nodes().contains(&"model.demo.e".to_string()));

    // A new folder with a model in it (the folder's event triggers a rediscovery).
    std::fs::create_dir(h.path("models/sub")).unwrap();
    std::fs::write(h.path("models/sub/f.sql"), "select 6 as six").unwrap();
    h.report_for("models/sub/f.sql");
    let deadline = Instant::now() + TIMEOUT;
    while !h.manifest_nodes().contains(&"model.demo.f".to_string()) {
        assert!(Instant::now() < deadline, "f.sql never compiled");
        let _ = h.reports.recv_timeout(Duration::from_millis(500));
    }

    // A deleted file's node leaves the manifest, and its compiled file goes too.
    std::fs::remove_file(h.path("models/d.sql")).unwrap();
    let (report, _) = h.report_for("models/d.sql");
    assert!(
        report.changes.removed.contains(&h.path("models/d.sql")),
        "{report:?}"
    );
    assert_eq!(report.errors, 0, "{:?}", report.new_diagnostics);
    assert!(!h.manifest_nodes().contains(&"model.demo.d".to_string()));
    assert!(h.compiled("d").is_none());
}

#[test]
fn a_jinja_error_appears_then_is_fixed() {
    let h = Harness::start();

    save(&h.path("models/c.sql"), "select id from {{ ref('b' }}");
    let (report, _) = h.report_for("models/c.sql");
    assert_eq!(report.errors, 1, "{report:?}");
    assert_eq!(report.new_diagnostics.len(), 1, "{report:?}");
    let diagnostic = &report.new_diagnostics[0];
    assert!(diagnostic.code.starts_with("E2"), "{diagnostic:?}");
    assert_eq!(
        diagnostic.file.as_deref(),
        Some(h.path("models/c.sql").as_path())
    );
    assert!(report.fixed_diagnostics.is_empty());

    save(
        &h.path("models/c.sql"),
        "select id, 3 as three from {{ ref('b') }}",
    );
    let (report, _) = h.report_for("models/c.sql");
    assert_eq!(report.errors, 0, "{report:?}");
    assert!(report.new_diagnostics.is_empty(), "{report:?}");
    assert_eq!(report.fixed_diagnostics, vec![diagnostic.clone()]);
    assert!(h.compiled("c").unwrap().contains("3 as three"));
}

#[test]
fn a_bad_project_file_is_a_diagnostic_not_a_crash() {
    let h = Harness::start();

    save(
        &h.path("models/schema.yml"),
        "models:\n  - name: c\n   bad: [\n",
    );
    let (report, _) = h.report_for("models/schema.yml");
    assert!(report.errors >= 1, "{report:?}");
    assert!(report.internal_error.is_none(), "{report:?}");

    // A ref cycle, too.
    save(&h.path("models/a.sql"), "select * from {{ ref('c') }}");
    let (report, _) = h.report_for("models/a.sql");
    assert!(
        report
            .new_diagnostics
            .iter()
            .any(|d| d.code == dbtc::diagnostics::codes::CYCLE),
        "{report:?}"
    );

    std::fs::remove_file(h.path("models/schema.yml")).unwrap();
    h.report_for("models/schema.yml");
    save(
        &h.path("models/a.sql"),
        "select 1 as id, 250 as amount_cents",
    );
    let (report, _) = h.report_for("models/a.sql");
    assert_eq!(report.errors, 0, "{report:?}");
}

#[test]
fn a_profiles_change_rerenders_every_model() {
    let h = Harness::start();
    let profiles = std::fs::read_to_string(h.path("profiles.yml")).unwrap();
    save(
        &h.path("profiles.yml"),
        &profiles.replace("schema: main", "schema: other"),
    );
    let (report, _) = h.report_for("profiles.yml");
    assert_eq!(report.files_changed(), 1, "{report:?}");
    assert_eq!(report.executions.rendered_node, 4, "{report:?}");
    // a and d reference no relation: their SQL is unchanged and their files are not written.
    assert_eq!(report.files_written, 2, "{report:?}");
    assert!(h.compiled("c").unwrap().contains("\"other\""));
}

/// `dbtc watch --run` as a process on a real folder with a DuckDB file target.
mod run {
    use std::collections::BTreeSet;
    use std::io::{BufRead, BufReader};
    use std::path::{Path, PathBuf};
    use std::process::{Child, Command, Stdio};
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    use serde_json::Value;

    /// a (table) -> b (view) -> c (table, `select *`); d is a leaf view.
    fn write_project(root: &Path) {
        let files = [
            ("dbt_project.yml", "name: demo\nprofile: demo\n"),
            (
                "profiles.yml",
                "demo:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: dev.duckdb\n      schema: main\n",
            ),
            (
                "models/a.sql",
                "{{ config(materialized='table') }}\nselect 1 as id, 250 as amount_cents",
            ),
            (
                "models/b.sql",
                "select id, amount_cents / 100.0 as amount from {{ ref('a') }}",
            ),
            (
                "models/c.sql",
                "{{ config(materialized='table') }}\nselect * from {{ ref('b') }}",
            ),
            ("models/d.sql", "select 1 as x"),
            // Introspective: its SQL depends on a query, so it is rendered just in time.
            (
                "models/e.sql",
                "{% set r = run_query('select 7 as v') %}{% set v = r.rows[0][0] if r.rows | length > 0 else 0 %}select {{ v }} as n",
            ),
        ];
        for (rel, text) in files {
            let path = root.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
    }

    struct Watcher {
        root: PathBuf,
        child: Child,
        lines: mpsc::Receiver<String>,
        _dir: tempfile::TempDir,
    }

    impl Drop for Watcher {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    impl Watcher {
        fn start() -> Watcher {
            Watcher::start_with(false)
        }

        /// With `run_first`, `dbtc run` builds the project before the watcher starts.
        fn start_with(run_first: bool) -> Watcher {
            let dir = tempfile::tempdir().unwrap();
            let root = std::fs::canonicalize(dir.path()).unwrap();
            write_project(&root);
            if run_first {
                let status = Command::new(env!("CARGO_BIN_EXE_dbtc"))
                    .args(["run", "-q", "--project-dir"])
                    .arg(&root)
                    .arg("--profiles-dir")
                    .arg(&root)
                    .stdout(Stdio::null())
                    .status()
                    .unwrap();
                assert!(status.success());
            }
            let mut child = Command::new(env!("CARGO_BIN_EXE_dbtc"))
                .args([
                    "watch",
                    "--run",
                    "--log-format",
                    "json",
                    "--debounce-ms",
                    "100",
                ])
                .arg("--project-dir")
                .arg(&root)
                .arg("--profiles-dir")
                .arg(&root)
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("dbtc starts");
            let stdout = child.stdout.take().unwrap();
            let (tx, lines) = mpsc::channel();
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
            Watcher {
                root,
                child,
                lines,
                _dir: dir,
            }
        }

        /// The next `--run` step's report: (models run with their status, note).
        fn next_run(&self) -> (BTreeSet<(String, String)>, Option<String>) {
            let deadline = Instant::now() + super::TIMEOUT;
            while let Some(left) = deadline.checked_duration_since(Instant::now()) {
                let line = self
                    .lines
                    .recv_timeout(left)
                    .expect("a line from dbtc watch");
                let Ok(v) = serde_json::from_str::<Value>(&line) else {
                    continue;
                };
                let Some(run) = v.get("run") else { continue };
                let ran = run["ran"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| {
                        let uid = r["unique_id"].as_str().unwrap();
                        let name = uid.rsplit('.').next().unwrap().to_string();
                        (name, r["status"].as_str().unwrap().to_string())
                    })
                    .collect();
                return (ran, run["note"].as_str().map(str::to_string));
            }
            panic!("no run report within the timeout");
        }

        fn save(&self, rel: &str, text: &str) {
            // Past the debounce of the previous cycle's own writes.
            std::thread::sleep(Duration::from_millis(300));
            super::save(&self.root.join(rel), text);
        }

        /// The first column of a query's rows on the target (the watcher holds no
        /// connection between cycles).
        fn query(&self, sql: &str) -> Vec<String> {
            let conn = duckdb::Connection::open(self.root.join("dev.duckdb")).unwrap();
            let mut stmt = conn.prepare(sql).unwrap();
            stmt.query_map([], |row| {
                let v: duckdb::types::Value = row.get(0)?;
                Ok(format!("{v:?}"))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect()
        }
    }

    fn ok(names: &[&str]) -> BTreeSet<(String, String)> {
        names
            .iter()
            .map(|n| ((*n).to_string(), "success".to_string()))
            .collect()
    }

    #[test]
    fn watch_run_builds_only_what_changed() {
        let w = Watcher::start();
        // Nothing exists yet: the first cycle builds every model.
        let (ran, note) = w.next_run();
        assert_eq!(ran, ok(&["a", "b", "c", "d", "e"]), "{note:?}");
        assert_eq!(w.query("select amount = 2.5 from c"), ["Boolean(true)"]);
        assert_eq!(w.query("select n = 7 from e"), ["Boolean(true)"]);

        // A leaf's body: only the leaf.
        w.save("models/d.sql", "select 2 as x");
        assert_eq!(w.next_run().0, ok(&["d"]));
        assert_eq!(w.query("select x = 2 from d"), ["Boolean(true)"]);

        // New data, same columns in a table: it and the table below the view (the view
        // reads its parent when queried).
        w.save(
            "models/a.sql",
            "{{ config(materialized='table') }}\nselect 1 as id, 300 as amount_cents",
        );
        assert_eq!(w.next_run().0, ok(&["a", "c"]));
        assert_eq!(w.query("select amount = 3 from c"), ["Boolean(true)"]);

        // A column alias: the view and everything below it.
        w.save(
            "models/b.sql",
            "select id, amount_cents / 100.0 as amount_eur from {{ ref('a') }}",
        );
        assert_eq!(w.next_run().0, ok(&["b", "c"]));
        assert_eq!(w.query("select amount_eur = 3 from c"), ["Boolean(true)"]);

        // A compile error: nothing runs; fixed, the pending change is built.
        w.save("models/d.sql", "select 3 as x from {{ ref('nope') }}");
        let (ran, note) = w.next_run();
        assert!(ran.is_empty(), "{ran:?}");
        assert!(note.is_some_and(|n| n.contains("error")));
        w.save("models/d.sql", "select 3 as x");
        assert_eq!(w.next_run().0, ok(&["d"]));
        assert_eq!(w.query("select x = 3 from d"), ["Boolean(true)"]);

        // A model failing on the database is reported and watch goes on; its old relation
        // stays.
        w.save(
            "models/d.sql",
            "{{ config(materialized='table') }}\nselect cast('abc' as integer) as x",
        );
        let (ran, _) = w.next_run();
        assert_eq!(
            ran,
            BTreeSet::from([("d".to_string(), "error".to_string())])
        );
        assert_eq!(w.query("select x = 3 from d"), ["Boolean(true)"]);
        w.save("models/d.sql", "select 4 as x");
        assert_eq!(w.next_run().0, ok(&["d"]));
        assert_eq!(w.query("select x = 4 from d"), ["Boolean(true)"]);
    }

    #[test]
    fn watch_run_takes_existing_relations_as_built() {
        let w = Watcher::start_with(true);
        let (ran, note) = w.next_run();
        assert!(ran.is_empty() && note.is_none(), "{ran:?} {note:?}");
        w.save("models/d.sql", "select 5 as x");
        assert_eq!(w.next_run().0, ok(&["d"]));
        assert_eq!(w.query("select x = 5 from d"), ["Boolean(true)"]);
    }
}
