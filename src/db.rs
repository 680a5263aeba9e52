//! The salsa database, its inputs, and the `System` trait through which all OS access goes.
//!
//! Inputs change only through [`crate::project::apply_changes`], which compares before it sets:
//! a salsa setter always invalidates, even with an equal value.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// One file of the project (or of an installed package, or profiles.yml).
/// Inputs are never deleted: a removed file has `present == false` and empty text.
/// Existence and text are separate fields so that discovery (which reads `present`) does
/// not re-run when a file's text changes.
#[salsa::input(debug)]
pub struct File {
    #[returns(ref)]
    pub path: PathBuf,
    #[returns(copy)]
    pub present: bool,
    #[returns(ref)]
    pub text: Arc<str>,
}

impl File {
    /// The text, or `None` when the file does not exist.
    pub fn contents(self, db: &dyn salsa::Database) -> Option<Arc<str>> {
        if self.present(db) {
            Some(self.text(db).clone())
        } else {
            None
        }
    }
}

/// What the command line and the process environment contribute to a compile.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Settings {
    /// `--target`, if given.
    pub target: Option<String>,
    /// `--vars` parsed as YAML/JSON (an object), or `Null`.
    pub cli_vars: serde_json::Value,
    /// A snapshot of the process environment, for `env_var()`.
    pub env: BTreeMap<String, String>,
    /// `--target-path`, if given.
    pub target_path: Option<String>,
    /// `--static-analysis`, if given.
    pub static_analysis: Option<String>,
}

/// The project: its root, every discovered file, and the settings. HIGH durability fields
/// change rarely (a file created or deleted, a new CLI invocation).
/// The project: one per database (a singleton, so per-node queries take the node's key
/// alone and find the project with `Project::get`).
#[salsa::input(singleton, debug)]
pub struct Project {
    #[returns(ref)]
    pub root: PathBuf,
    /// Every file under the project and its packages, sorted by path.
    #[returns(ref)]
    pub files: Vec<File>,
    /// profiles.yml, wherever it was found (missing text when there is none).
    #[returns(copy)]
    pub profiles: File,
    #[returns(ref)]
    pub settings: Settings,
}

/// All OS access goes through this trait so tests can use an in-memory file system.
pub trait System: Send + Sync {
    fn read_to_string(&self, path: &Path) -> std::io::Result<String>;
    /// Every file (not directory) below `dir`, recursively, skipping `skip` directory names.
    fn walk(&self, dir: &Path, skip: &[&str]) -> Vec<PathBuf>;
    fn is_file(&self, path: &Path) -> bool;
}

/// The real file system.
pub struct OsSystem;

impl System for OsSystem {
    fn read_to_string(&self, path: &Path) -> std::io::Result<String> {
        std::fs::read_to_string(path)
    }

    fn walk(&self, dir: &Path, skip: &[&str]) -> Vec<PathBuf> {
        let mut out = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&d) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                let Ok(ft) = entry.file_type() else { continue };
                if ft.is_dir() {
                    let name = entry.file_name();
                    let name = name.to_string_lossy();
                    if !name.starts_with('.') && !skip.contains(&name.as_ref()) {
                        stack.push(path);
                    }
                } else if ft.is_file() || ft.is_symlink() {
                    out.push(path);
                }
            }
        }
        out.sort();
        out
    }

    fn is_file(&self, path: &Path) -> bool {
        path.is_file()
    }
}

/// An in-memory file system for unit tests.
#[derive(Default, Clone)]
pub struct MemSystem {
    pub files: Arc<Mutex<BTreeMap<PathBuf, String>>>,
}

impl MemSystem {
    pub fn write(&self, path: impl Into<PathBuf>, text: impl Into<String>) {
        self.files
            .lock()
            .expect("mem fs lock")
            .insert(path.into(), text.into());
    }

    pub fn remove(&self, path: &Path) {
        self.files.lock().expect("mem fs lock").remove(path);
    }
}

impl System for MemSystem {
    fn read_to_string(&self, path: &Path) -> std::io::Result<String> {
        self.files
            .lock()
            .expect("mem fs lock")
            .get(path)
            .cloned()
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound))
    }

    fn walk(&self, dir: &Path, skip: &[&str]) -> Vec<PathBuf> {
        let files = self.files.lock().expect("mem fs lock");
        files
            .keys()
            .filter(|p| p.starts_with(dir))
            .filter(|p| {
                let rel = p.strip_prefix(dir).unwrap_or(p);
                let comps: Vec<_> = rel.components().collect();
                comps[..comps.len().saturating_sub(1)].iter().all(|c| {
                    let s = c.as_os_str().to_string_lossy();
                    !s.starts_with('.') && !skip.contains(&s.as_ref())
                })
            })
            .cloned()
            .collect()
    }

    fn is_file(&self, path: &Path) -> bool {
        self.files.lock().expect("mem fs lock").contains_key(path)
    }
}

/// The database trait every query takes (`&dyn Db`).
#[salsa::db]
pub trait Db: salsa::Database {}

#[salsa::db]
impl Db for RootDb {}

/// The database. Clones share storage (for parallel workers and for watch checks) and
/// the execution log.
#[salsa::db]
#[derive(Clone)]
pub struct RootDb {
    storage: salsa::Storage<Self>,
    executed: Arc<Mutex<Option<Vec<String>>>>,
}

#[salsa::db]
impl salsa::Database for RootDb {}

/// Without an event callback: salsa then builds no events at all, which matters when an
/// edit re-verifies tens of thousands of memos.
impl Default for RootDb {
    fn default() -> Self {
        Self {
            storage: salsa::Storage::new(None),
            executed: Arc::new(Mutex::new(None)),
        }
    }
}

impl RootDb {
    /// A database that logs which queries execute (for tests, `watch` and `bench`), starting
    /// now. Events cost time on every memo check, so only these databases have them.
    pub fn with_execution_log() -> Self {
        let executed: Arc<Mutex<Option<Vec<String>>>> = Arc::new(Mutex::new(Some(Vec::new())));
        let log = Arc::clone(&executed);
        let storage = salsa::Storage::new(Some(Box::new(move |event: salsa::Event| {
            if let salsa::EventKind::WillExecute { database_key } = event.kind
                && let Ok(mut guard) = log.lock()
                && let Some(list) = guard.as_mut()
            {
                list.push(format!("{database_key:?}"));
            }
        })));
        Self { storage, executed }
    }

    /// Clears the log and keeps recording (only a database from
    /// [`RootDb::with_execution_log`] records anything).
    pub fn record_executions(&self) {
        *self.executed.lock().expect("log lock") = Some(Vec::new());
    }

    /// The queries executed since the last call, as `query_name(Id(..))` strings.
    pub fn take_executed(&self) -> Vec<String> {
        self.executed
            .lock()
            .expect("log lock")
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }
}

/// Counts executions of the named query in a log from [`Db::take_executed`].
pub fn count_executed(log: &[String], query: &str) -> usize {
    log.iter()
        .filter(|entry| {
            entry
                .strip_prefix(query)
                .is_some_and(|rest| rest.starts_with('('))
        })
        .count()
}

/// A node (model, seed, snapshot, test, analysis, source) by unique_id. Interned without a
/// lifetime and never collected, so it can live inside query results.
#[salsa::interned(unsafe(no_lifetime), revisions = usize::MAX, debug)]
pub struct NodeKey {
    #[returns(ref)]
    pub unique_id: String,
}

/// A macro by (package, name).
#[salsa::interned(unsafe(no_lifetime), revisions = usize::MAX, debug)]
pub struct MacroKey {
    #[returns(ref)]
    pub package: String,
    #[returns(ref)]
    pub name: String,
}

/// Declares a per-node query for callers as `name(db, project, key)`, backed by a salsa
/// query of the same name, declared inside it, that takes the key alone (the project is
/// the database's singleton): salsa interns the arguments of a query that takes more than
/// one on every call, a hash and a lock that cost a tenth of a cold compile's CPU at
/// 10,000 models. `body(db, project, key)` computes the value; `ref`, `copy` or `clone` is
/// how the query returns it.
macro_rules! node_query {
    ($(#[$meta:meta])* $vis:vis fn $name:ident -> ref $ret:ty = $body:ident) => {
        $(#[$meta])*
        $vis fn $name(db: &dyn $crate::db::Db, project: $crate::db::Project, key: $crate::db::NodeKey) -> &$ret {
            debug_assert!($crate::db::Project::get(db) == project, "one project per database");
            #[salsa::tracked(returns(ref))]
            fn $name(db: &dyn $crate::db::Db, key: $crate::db::NodeKey) -> $ret {
                $body(db, $crate::db::Project::get(db), key)
            }
            $name(db, key)
        }
    };
    ($(#[$meta:meta])* $vis:vis fn $name:ident -> $mode:ident $ret:ty = $body:ident) => {
        $(#[$meta])*
        $vis fn $name(db: &dyn $crate::db::Db, project: $crate::db::Project, key: $crate::db::NodeKey) -> $ret {
            debug_assert!($crate::db::Project::get(db) == project, "one project per database");
            #[salsa::tracked(returns($mode))]
            fn $name(db: &dyn $crate::db::Db, key: $crate::db::NodeKey) -> $ret {
                $body(db, $crate::db::Project::get(db), key)
            }
            $name(db, key)
        }
    };
}
pub(crate) use node_query;
