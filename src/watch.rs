//! Watch mode: file events -> [`apply_changes`] -> recompile -> one [`CycleReport`] per cycle.
//!
//! As in ty's main loop, the loop owns the database (`&mut RootDb`) and is the only caller of
//! setters. Heavy work runs on database clones ([`warm_parallel`], [`ManifestCache`])
//! that are all joined and dropped before the next `apply_changes`: a clone alive on the
//! thread that calls a setter deadlocks. Since no setter runs while a cycle computes, nothing
//! is ever cancelled; events that arrive during a cycle are handled by the next one.

use std::collections::{BTreeSet, HashMap};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use notify::RecursiveMode;
use notify::event::{AccessKind, AccessMode, EventKind};
use notify_debouncer_full::{DebounceEventResult, new_debouncer};
use serde_json::json;

use crate::artifacts::compiled_path;
use crate::artifacts::manifest::ManifestCache;
use crate::compile::warm_parallel;
use crate::db::{OsSystem, Project, RootDb, count_executed};
use crate::diagnostics::{Diagnostic, Severity};
use crate::project::apply_changes;
use crate::project::load::{Changes, discover};
use crate::recompile::Recompiler;

/// How the watch loop runs.
#[derive(Debug, Clone)]
pub struct WatchOptions {
    /// How long a file must be quiet before its events are handed over.
    pub debounce: Duration,
    /// Stop after this many change cycles (the initial compile is cycle 0 and not counted).
    pub max_cycles: Option<usize>,
    /// Worker threads for rendering and the manifest.
    pub threads: usize,
    pub select: Vec<String>,
    pub exclude: Vec<String>,
    /// Write target/compiled/** and target/manifest.json.
    pub write_artifacts: bool,
    /// Set to stop the loop from another thread (checked a few times a second).
    pub stop: Option<Arc<AtomicBool>>,
}

impl Default for WatchOptions {
    fn default() -> Self {
        WatchOptions {
            debounce: Duration::from_millis(100),
            max_cycles: None,
            threads: 1,
            select: Vec::new(),
            exclude: Vec::new(),
            write_artifacts: true,
            stop: None,
        }
    }
}

/// Query executions seen during one cycle.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Executions {
    pub parsed_node: usize,
    pub rendered_node: usize,
    pub compiled_sql: usize,
}

impl Executions {
    /// Nodes re-rendered: the widest of the three per-node stages. Each stage runs at most
    /// once per node and cycle; the stages' salsa keys are not comparable across queries,
    /// so a cycle that parses one node and renders another counts 1, not 2.
    pub fn nodes(&self) -> usize {
        self.parsed_node
            .max(self.rendered_node)
            .max(self.compiled_sql)
    }
}

/// What one cycle did, as data (printed by the CLI, asserted on by tests).
#[derive(Debug, Clone, Default)]
pub struct CycleReport {
    /// 0 for the initial compile, then 1, 2, ...
    pub cycle: usize,
    /// The files whose inputs changed (empty for the initial compile).
    pub changes: Changes,
    pub executions: Executions,
    /// Selected nodes that compiled this cycle.
    pub nodes: usize,
    /// Diagnostics not present in the previous cycle.
    pub new_diagnostics: Vec<Diagnostic>,
    /// Diagnostics of the previous cycle that are gone.
    pub fixed_diagnostics: Vec<Diagnostic>,
    pub errors: usize,
    pub warnings: usize,
    /// Compiled SQL files written (only nodes whose SQL changed).
    pub files_written: usize,
    /// Compiled SQL files removed because their node disappeared.
    pub files_removed: usize,
    pub manifest_written: bool,
    /// Artifacts that could not be written (the loop goes on).
    pub write_errors: Vec<String>,
    /// A bug in dbtc (a panic) during this cycle; the loop goes on.
    pub internal_error: Option<String>,
    pub elapsed: Duration,
}

impl CycleReport {
    /// Files created, changed or removed.
    pub fn files_changed(&self) -> usize {
        self.changes.changed.len() + self.changes.created.len() + self.changes.removed.len()
    }

    /// Nodes re-rendered (see [`Executions::nodes`]).
    pub fn rerendered(&self) -> usize {
        self.executions.nodes()
    }

    /// One line for people.
    pub fn summary(&self) -> String {
        let what = if self.cycle == 0 {
            format!("compiled {} nodes", self.nodes)
        } else {
            format!(
                "{} file{} changed, {} node{} re-rendered",
                self.files_changed(),
                plural(self.files_changed()),
                self.rerendered(),
                plural(self.rerendered()),
            )
        };
        let mut line = format!(
            "[{}] {what}, {} file{} written | {} new, {} fixed diagnostics | {} error{}, {} warning{} | {:.0}ms",
            self.cycle,
            self.files_written,
            plural(self.files_written),
            self.new_diagnostics.len(),
            self.fixed_diagnostics.len(),
            self.errors,
            plural(self.errors),
            self.warnings,
            plural(self.warnings),
            self.elapsed.as_secs_f64() * 1000.0
        );
        if self.files_removed > 0 {
            line.push_str(&format!(
                " ({} stale compiled files removed)",
                self.files_removed
            ));
        }
        if let Some(e) = &self.internal_error {
            line.push_str(&format!(" (internal error: {e})"));
        }
        line
    }

    /// The same as one JSON object; paths relative to `root`.
    pub fn to_json(&self, root: &Path) -> serde_json::Value {
        let rel = |paths: &[PathBuf]| -> Vec<String> {
            paths
                .iter()
                .map(|p| p.strip_prefix(root).unwrap_or(p).display().to_string())
                .collect()
        };
        json!({
            "cycle": self.cycle,
            "files_changed": self.files_changed(),
            "changed": rel(&self.changes.changed),
            "created": rel(&self.changes.created),
            "removed": rel(&self.changes.removed),
            "rerendered": self.rerendered(),
            "executions": {
                "parsed_node": self.executions.parsed_node,
                "rendered_node": self.executions.rendered_node,
                "compiled_sql": self.executions.compiled_sql,
            },
            "nodes": self.nodes,
            "new_diagnostics": self.new_diagnostics.iter().map(|d| d.to_json(root)).collect::<Vec<_>>(),
            "fixed_diagnostics": self.fixed_diagnostics.iter().map(|d| d.to_json(root)).collect::<Vec<_>>(),
            "errors": self.errors,
            "warnings": self.warnings,
            "files_written": self.files_written,
            "files_removed": self.files_removed,
            "manifest_written": self.manifest_written,
            "write_errors": self.write_errors,
            "internal_error": self.internal_error,
            "elapsed_ms": self.elapsed.as_secs_f64() * 1000.0,
        })
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Watches the project's folder (and profiles.yml's, when it lives elsewhere), compiles once,
/// then runs one cycle per debounced batch of changes that touches an input. `on_cycle`
/// sees every report (the initial compile first) and may stop the loop. Returns the number
/// of change cycles run, or an error if the watcher cannot start.
///
/// `db` should come from [`RootDb::with_execution_log`]: other databases record no query
/// executions, and every report then says 0 nodes re-rendered.
pub fn watch(
    db: &mut RootDb,
    project: Project,
    opts: &WatchOptions,
    mut on_cycle: impl FnMut(&CycleReport) -> ControlFlow<()>,
) -> Result<usize, String> {
    watch_with(db, project, opts, |report, _| on_cycle(report))
}

/// What a cycle's callback may read besides its report. No setter runs while it is
/// borrowed; clones of `db` made from it must be dropped before the callback returns.
pub struct CycleView<'a> {
    pub db: &'a RootDb,
    pub project: Project,
    /// The compile kept up to date (None when the cycle failed before it existed).
    pub recompiler: Option<&'a Recompiler>,
}

/// [`watch`], with a callback that also sees the database and the compile (`--run`).
pub fn watch_with(
    db: &mut RootDb,
    project: Project,
    opts: &WatchOptions,
    mut on_cycle: impl FnMut(&CycleReport, &CycleView<'_>) -> ControlFlow<()>,
) -> Result<usize, String> {
    let root = project.root(db).clone();
    let (tx, rx) = mpsc::channel::<DebounceEventResult>();
    // The watcher starts before the initial compile so no edit made after it is missed.
    let mut debouncer = new_debouncer(opts.debounce, None, tx)
        .map_err(|e| format!("cannot start the file watcher: {e}"))?;
    debouncer
        .watch(&root, RecursiveMode::Recursive)
        .map_err(|e| format!("cannot watch {}: {e}", root.display()))?;
    // profiles.yml's input may hold a relative path (`--profiles-dir .`); events carry
    // absolute ones.
    let profiles_path = project.profiles(db).path(db).clone();
    let profiles_abs = std::fs::canonicalize(&profiles_path)
        .or_else(|_| std::path::absolute(&profiles_path))
        .unwrap_or_else(|_| profiles_path.clone());
    if let Some(dir) = profiles_abs.parent()
        && !dir.starts_with(&root)
        && dir.is_dir()
        && let Err(e) = debouncer.watch(dir, RecursiveMode::NonRecursive)
    {
        tracing::warn!("cannot watch {}: {e}", dir.display());
    }

    db.record_executions();
    db.take_executed();
    let mut state = CycleState::default();
    let initial = state.run(db, project, opts, 0, Changes::default(), Instant::now());
    if on_cycle(&initial, &state.view(db, project)).is_break() {
        return Ok(0);
    }

    let stopped = || {
        opts.stop
            .as_ref()
            .is_some_and(|s| s.load(Ordering::Relaxed))
    };
    let poll = Duration::from_millis(200);
    let mut cycles = 0;
    while opts.max_cycles.is_none_or(|max| cycles < max) && !stopped() {
        let first = match rx.recv_timeout(poll) {
            Ok(batch) => batch,
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => break,
        };
        let mut batch = Batch::default();
        batch.add(first);
        // Edits to several files land in separate batches when their last events are a
        // tick apart: gather what follows closely, but never wait forever on a busy tree.
        let drain_until = Instant::now() + opts.debounce * 2;
        while let Some(left) = drain_until.checked_duration_since(Instant::now()) {
            match rx.recv_timeout(left.min(opts.debounce / 2)) {
                Ok(more) => batch.add(more),
                Err(_) => break,
            }
        }
        let start = Instant::now();
        let target_dir = crate::project::config::target_dir(db, project);
        let mut paths: Vec<PathBuf> = batch
            .paths
            .into_iter()
            .filter(|p| !p.starts_with(&target_dir))
            .collect();
        if profiles_abs != profiles_path && paths.contains(&profiles_abs) {
            paths.push(profiles_path.clone());
        }
        if paths.is_empty() && !batch.rescan {
            continue;
        }
        let rescan = batch.rescan;
        if !rescan {
            expand_directories(db, project, &mut paths);
        }
        let mut changes = apply_changes(
            db,
            &OsSystem,
            project,
            if rescan { None } else { Some(&paths) },
        );
        for list in [
            &mut changes.changed,
            &mut changes.created,
            &mut changes.removed,
        ] {
            // One file, two inputs (profiles.yml inside the project): report it once.
            for path in list.iter_mut() {
                if *path == profiles_path {
                    path.clone_from(&profiles_abs);
                }
            }
            let mut seen = BTreeSet::new();
            list.retain(|p| seen.insert(p.clone()));
        }
        if changes.is_empty() {
            continue;
        }
        cycles += 1;
        let report = state.run(db, project, opts, cycles, changes, start);
        if on_cycle(&report, &state.view(db, project)).is_break() {
            break;
        }
    }
    debouncer.stop_nonblocking();
    Ok(cycles)
}

/// The events of one or more debounced batches.
#[derive(Default)]
struct Batch {
    paths: BTreeSet<PathBuf>,
    rescan: bool,
}

impl Batch {
    fn add(&mut self, result: DebounceEventResult) {
        match result {
            Ok(events) => {
                for event in events {
                    // inotify reports opens: reading the project (as every cycle does)
                    // must not start another cycle. A close after writing is a change.
                    if let EventKind::Access(kind) = event.kind
                        && kind != AccessKind::Close(AccessMode::Write)
                    {
                        continue;
                    }
                    self.rescan |= event.need_rescan();
                    self.paths.extend(event.event.paths.iter().cloned());
                }
            }
            Err(errors) => {
                for e in errors {
                    tracing::warn!("file watcher: {e}");
                }
                self.rescan = true;
            }
        }
    }
}

/// A directory's event stands for its files, which get no events of their own (a folder
/// moved in, renamed or deleted): adds the files now below it and the known ones that were.
fn expand_directories(db: &RootDb, project: Project, paths: &mut Vec<PathBuf>) {
    let mut more = Vec::new();
    for p in paths.iter() {
        if p.is_dir() {
            more.extend(discover(&OsSystem, p));
        }
        more.extend(
            project
                .files(db)
                .iter()
                .map(|f| f.path(db))
                .filter(|f| f.starts_with(p) && *f != p)
                .cloned(),
        );
    }
    paths.extend(more);
    paths.sort();
    paths.dedup();
}

/// What a cycle compares with: the previous cycle's diagnostics and artifacts.
#[derive(Default)]
struct CycleState {
    diagnostics: Vec<Diagnostic>,
    /// unique_id -> (compiled file, SQL) as last written.
    compiled: HashMap<String, (PathBuf, Arc<str>)>,
    manifest: Option<Vec<u8>>,
    /// Serialized manifest entries; after a targeted recompile only the touched nodes'
    /// entries are serialized again.
    manifest_cache: Option<ManifestCache>,
    recompiler: Option<Recompiler>,
}

impl CycleState {
    fn view<'a>(&'a self, db: &'a RootDb, project: Project) -> CycleView<'a> {
        CycleView {
            db,
            project,
            recompiler: self.recompiler.as_ref(),
        }
    }

    fn run(
        &mut self,
        db: &RootDb,
        project: Project,
        opts: &WatchOptions,
        cycle: usize,
        changes: Changes,
        start: Instant,
    ) -> CycleReport {
        let mut report = CycleReport {
            cycle,
            changes,
            ..CycleReport::default()
        };
        // A panic is a dbtc bug, not a user error: report it and keep watching. Memos of
        // the queries that completed stay valid; the failed ones re-run next cycle.
        let computed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            // The first cycle compiles everything (on worker threads); later cycles ask
            // only for the nodes the changes can reach when that is enough.
            let output = match &mut self.recompiler {
                Some(r) => {
                    r.update(db, project, &report.changes);
                    r.output()
                }
                None => {
                    warm_parallel(db, project, opts.threads);
                    let r = Recompiler::new(db, project, &opts.select, &opts.exclude);
                    let output = r.output();
                    self.recompiler = Some(r);
                    output
                }
            };
            (output, crate::project::config::target_dir(db, project))
        }));
        let log = db.take_executed();
        report.executions = Executions {
            parsed_node: count_executed(&log, "parsed_node"),
            rendered_node: count_executed(&log, "rendered_node"),
            compiled_sql: count_executed(&log, "compiled_sql"),
        };
        let (output, target_dir) = match computed {
            Ok(v) => v,
            Err(panic) => {
                report.internal_error = Some(panic_message(&panic));
                report.elapsed = start.elapsed();
                return report;
            }
        };
        report.nodes = output.nodes.len();
        report.errors = output.error_count();
        report.warnings = output.diagnostics.len() - report.errors;
        report.new_diagnostics = difference(&output.diagnostics, &self.diagnostics);
        report.fixed_diagnostics = difference(&self.diagnostics, &output.diagnostics);
        self.diagnostics = output.diagnostics;

        if opts.write_artifacts {
            self.write_compiled(db, project, &target_dir, &output.nodes, &mut report);
            self.write_manifest(db, project, opts, &target_dir, &mut report);
        }
        report.elapsed = start.elapsed();
        report
    }

    fn write_compiled(
        &mut self,
        db: &RootDb,
        project: Project,
        target_dir: &Path,
        nodes: &[crate::compile::CompiledNode],
        report: &mut CycleReport,
    ) {
        let mut next: HashMap<String, (PathBuf, Arc<str>)> = HashMap::with_capacity(nodes.len());
        for node in nodes {
            let (Some(sql), Some(path)) = (
                &node.sql,
                compiled_path(db, project, target_dir, &node.unique_id),
            ) else {
                // A node that failed to render keeps its last compiled file, as in compile.
                if let Some(old) = self.compiled.remove(&node.unique_id) {
                    next.insert(node.unique_id.clone(), old);
                }
                continue;
            };
            let previous = self.compiled.get(&node.unique_id);
            let unchanged = previous.is_some_and(|(p, s)| *p == path && **s == **sql);
            // A node whose file moved (a renamed folder) leaves its old compiled file.
            if let Some((old, _)) = previous
                && *old != path
                && std::fs::remove_file(old).is_ok()
            {
                report.files_removed += 1;
            }
            // On the first write, files already on disk with this text are left alone.
            let on_disk = !self.compiled.contains_key(&node.unique_id)
                && std::fs::read(&path).is_ok_and(|old| old == sql.as_bytes());
            if !unchanged && !on_disk {
                match write_atomic(&path, sql.as_bytes()) {
                    Ok(()) => report.files_written += 1,
                    Err(e) => {
                        report.write_errors.push(e);
                        continue;
                    }
                }
            }
            self.compiled.remove(&node.unique_id);
            next.insert(node.unique_id.clone(), (path, Arc::from(&**sql)));
        }
        // What is left belonged to nodes that are gone (deleted, disabled, deselected).
        for (path, _) in self.compiled.values() {
            if !next.values().any(|(p, _)| p == path) && std::fs::remove_file(path).is_ok() {
                report.files_removed += 1;
            }
        }
        self.compiled = next;
    }

    fn write_manifest(
        &mut self,
        db: &RootDb,
        project: Project,
        opts: &WatchOptions,
        target_dir: &Path,
        report: &mut CycleReport,
    ) {
        let touched = self
            .recompiler
            .as_ref()
            .filter(|r| matches!(r.last_path, crate::recompile::Path::Targeted(_)))
            .map(|r| r.last_touched.clone());
        // Taken out while it is updated: after a panic the next cycle rebuilds it whole.
        let cache = self.manifest_cache.take();
        let manifest = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let cache = match (cache, touched) {
                (Some(mut cache), Some(touched)) => {
                    cache.refresh(db, project, &touched);
                    cache
                }
                _ => ManifestCache::build(db, project, true, opts.threads),
            };
            let bytes = cache.bytes();
            (cache, bytes)
        }));
        let bytes = match manifest {
            Ok((cache, bytes)) => {
                self.manifest_cache = Some(cache);
                bytes
            }
            Err(panic) => {
                report.internal_error = Some(panic_message(&panic));
                return;
            }
        };
        if self.manifest.as_ref() == Some(&bytes) {
            return;
        }
        match write_atomic(&target_dir.join("manifest.json"), &bytes) {
            Ok(()) => {
                report.manifest_written = true;
                self.manifest = Some(bytes);
            }
            Err(e) => report.write_errors.push(e),
        }
    }
}

/// The diagnostics of `a` not in `b`, as multisets, ignoring positions: a diagnostic that
/// only moved because lines were added above it is neither new nor fixed.
fn difference(a: &[Diagnostic], b: &[Diagnostic]) -> Vec<Diagnostic> {
    type Key<'a> = (
        &'a str,
        Severity,
        &'a str,
        Option<&'a str>,
        Option<&'a Path>,
    );
    fn key(d: &Diagnostic) -> Key<'_> {
        (
            d.code,
            d.severity,
            &d.message,
            d.node.as_deref(),
            d.file.as_deref(),
        )
    }
    let mut counts: HashMap<Key<'_>, usize> = HashMap::new();
    for d in b {
        *counts.entry(key(d)).or_default() += 1;
    }
    a.iter()
        .filter(|d| match counts.get_mut(&key(d)) {
            Some(n) if *n > 0 => {
                *n -= 1;
                false
            }
            _ => true,
        })
        .cloned()
        .collect()
}

/// Writes through a temporary file in the same folder and renames it over `path`, so an
/// interrupted process (Ctrl-C) never leaves a half-written artifact.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let name = path
        .file_name()
        .map_or_else(|| "artifact".into(), |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path));
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("cannot write {}: {e}", path.display())
    })
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".to_string())
}
