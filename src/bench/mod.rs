//! `dbtc bench`: what a cold compile and typical one-file edits cost on the user's own
//! project, measured on the path `dbtc watch` takes (`apply_changes` + [`Recompiler`]).
//!
//! Edits are real writes to the project's files. Every file is restored afterwards: the
//! originals are kept in memory and written back by a drop guard (also on a panic), and
//! before the first edit they are also saved to `<target>/dbtc-bench-restore.json`, which
//! is deleted once everything is restored. A run killed before that (Ctrl-C, SIGKILL)
//! leaves the file behind, and the next `dbtc bench` restores from it first.

mod edits;
mod report;
mod restore;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

pub use edits::{EditKind, edit_column_alias, edit_macro, edit_model_description};
pub use report::{BenchReport, Measurement, Series, Stats, format_duration};
pub use restore::recover;

use crate::compile::{compile_project, warm_parallel};
use crate::db::{Db, OsSystem, Project, RootDb, count_executed};
use crate::project::config::project_config;
use crate::project::nodes::{ResourceType, node_index};
use crate::project::{LoadOptions, apply_changes, load_project};
use crate::recompile::{Path as RecompilePath, Recompiler};
use crate::watch::Executions;
use restore::RestoreGuard;

/// The recovery file's name, in the project's target folder.
pub const RECOVERY_FILE: &str = "dbtc-bench-restore.json";

/// What to measure.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    pub load: LoadOptions,
    /// Where the recovery file goes; `None`: the project's target-path.
    pub target_dir: Option<PathBuf>,
    /// Cold compiles to time (at least one runs: the edits need its database).
    pub cold_runs: usize,
    /// Files sampled per edit kind.
    pub samples: usize,
    pub seed: u64,
    pub threads: usize,
    pub select: Vec<String>,
    pub exclude: Vec<String>,
}

/// splitmix64 (as the generator): stable across platforms, so `--seed` picks the same
/// files everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// `n` of `items` (all when there are fewer), chosen by `seed`.
fn sample<T>(mut items: Vec<T>, n: usize, seed: u64) -> Vec<T> {
    let mut rng = Rng(seed);
    for i in (1..items.len()).rev() {
        let j = (rng.next() % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
    items.truncate(n);
    items
}

fn executions(db: &RootDb) -> Executions {
    let log = db.take_executed();
    Executions {
        parsed_node: count_executed(&log, "parsed_node"),
        rendered_node: count_executed(&log, "rendered_node"),
        compiled_sql: count_executed(&log, "compiled_sql"),
    }
}

fn default_target_dir(db: &dyn Db, project: Project) -> PathBuf {
    let root = project.root(db).clone();
    let config = project_config(db, project);
    root.join(
        project
            .settings(db)
            .target_path
            .clone()
            .unwrap_or_else(|| config.root.target_path.clone()),
    )
}

/// The root project's files each kind of edit may apply to, sorted: model files (of the
/// selected models when there is a selection), macro files, properties yml.
fn candidate_files(
    db: &dyn Db,
    project: Project,
    opts: &BenchOptions,
) -> BTreeMap<EditKind, Vec<(PathBuf, std::sync::Arc<str>)>> {
    let config = project_config(db, project);
    let root_pkg = &config.root;
    let index = node_index(db, project);
    let selected: Option<std::collections::HashSet<String>> =
        (!opts.select.is_empty() || !opts.exclude.is_empty()).then(|| {
            crate::graph::select(db, project, &opts.select, &opts.exclude)
                .into_iter()
                .collect()
        });
    let mut models = BTreeMap::new();
    for node in index.nodes.values() {
        if node.resource_type != ResourceType::Model || node.package != root_pkg.name {
            continue;
        }
        if selected
            .as_ref()
            .is_some_and(|s| !s.contains(&node.unique_id))
        {
            continue;
        }
        if let Some(file) = node.file {
            models.insert(file.path(db).clone(), file.text(db).clone());
        }
    }
    let macros: BTreeMap<_, _> = index
        .macro_files
        .iter()
        .filter(|(pkg, _)| *pkg == root_pkg.name)
        .map(|(_, f)| (f.path(db).clone(), f.text(db).clone()))
        .collect();
    let target_dir = default_target_dir(db, project);
    let resource_dirs: Vec<&String> = [
        &root_pkg.model_paths,
        &root_pkg.seed_paths,
        &root_pkg.snapshot_paths,
        &root_pkg.analysis_paths,
        &root_pkg.macro_paths,
        &root_pkg.test_paths,
    ]
    .into_iter()
    .flatten()
    .collect();
    let mut ymls = BTreeMap::new();
    for file in project.files(db) {
        let path = file.path(db);
        let is_yml = path.extension().is_some_and(|e| e == "yml" || e == "yaml");
        if !is_yml || !file.present(db) || path.starts_with(&target_dir) {
            continue;
        }
        let Ok(rel) = path.strip_prefix(&root_pkg.root) else {
            continue;
        };
        if rel.starts_with(&root_pkg.packages_install_path)
            || !resource_dirs.iter().any(|d| rel.starts_with(d.as_str()))
        {
            continue;
        }
        ymls.insert(path.clone(), file.text(db).clone());
    }
    let mut out = BTreeMap::new();
    for kind in EditKind::ALL {
        let files = match kind {
            EditKind::ModelBody | EditKind::ColumnAlias => &models,
            EditKind::Macro => &macros,
            EditKind::YmlComment | EditKind::ModelDescription => &ymls,
        };
        let applicable = files
            .iter()
            .filter(|(_, text)| kind.edit(text).is_some())
            .map(|(p, t)| (p.clone(), t.clone()))
            .collect();
        out.insert(kind, applicable);
    }
    out
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// Runs the whole benchmark on the project `opts.load` describes. `progress` receives a
/// line per phase. Every edited file is restored before this returns (or unwinds).
pub fn run_bench(
    opts: &BenchOptions,
    mut progress: impl FnMut(&str),
) -> Result<BenchReport, String> {
    let start = Instant::now();
    let threads = opts.threads.max(1);
    let mut warnings = Vec::new();

    // A previous run that was killed left its recovery file: restore first.
    let target_dir = match &opts.target_dir {
        Some(d) => d.clone(),
        None => {
            let db = RootDb::default();
            let project = load_project(&db, &OsSystem, &opts.load);
            default_target_dir(&db, project)
        }
    };
    let recovery_file = target_dir.join(RECOVERY_FILE);
    let recovered = recover(&recovery_file)?;
    if !recovered.is_empty() {
        progress(&format!(
            "restored {} file(s) edited by an interrupted dbtc bench run (from {})",
            recovered.len(),
            recovery_file.display()
        ));
    }

    // Cold compiles: a fresh database each time, as `dbtc watch` starts.
    let mut cold = Vec::new();
    let mut state: Option<(RootDb, Project, Recompiler)> = None;
    for run in 1..=opts.cold_runs.max(1) {
        progress(&format!("cold compile {run}/{}", opts.cold_runs.max(1)));
        drop(state.take());
        let t = Instant::now();
        let db = RootDb::with_execution_log();
        let project = load_project(&db, &OsSystem, &opts.load);
        warm_parallel(&db, project, threads);
        let recompiler = Recompiler::new(&db, project, &opts.select, &opts.exclude);
        recompiler.counts();
        let elapsed = t.elapsed();
        cold.push(Measurement {
            label: format!("run {run}"),
            elapsed,
            executions: executions(&db),
            targeted: None,
        });
        state = Some((db, project, recompiler));
    }
    let (mut db, project, mut recompiler) = state.expect("at least one cold run");
    let root = project.root(&db).clone();
    let baseline = recompiler.counts();
    let nodes = crate::graph::dag(&db, project).parents.len();

    // No-op: an update with no changes, and a full compile that re-checks every memo.
    let mut noop = Vec::new();
    let mut full_check = Vec::new();
    progress("no-op recompiles");
    for run in 1..=opts.cold_runs.max(1) {
        db.take_executed();
        let t = Instant::now();
        let changes = apply_changes(&mut db, &OsSystem, project, Some(&[]));
        recompiler.update(&db, project, &changes);
        recompiler.counts();
        let elapsed = t.elapsed();
        noop.push(Measurement {
            label: format!("run {run}"),
            elapsed,
            executions: executions(&db),
            targeted: Some(matches!(recompiler.last_path, RecompilePath::Targeted(_))),
        });
        let t = Instant::now();
        let selected = crate::graph::select(&db, project, &opts.select, &opts.exclude);
        let output = compile_project(&db, project, Some(&selected));
        let elapsed = t.elapsed();
        if output.nodes.len() != baseline.0 {
            warnings.push(format!(
                "a full compile gave {} nodes, the recompiler {}",
                output.nodes.len(),
                baseline.0
            ));
        }
        full_check.push(Measurement {
            label: format!("run {run}"),
            elapsed,
            executions: executions(&db),
            targeted: None,
        });
    }

    // One-file edits.
    let candidates = candidate_files(&db, project, opts);
    let mut plan: Vec<(EditKind, PathBuf)> = Vec::new();
    for (i, kind) in EditKind::ALL.iter().enumerate() {
        let paths: Vec<PathBuf> = candidates[kind].iter().map(|(p, _)| p.clone()).collect();
        let seed = opts.seed ^ (i as u64 + 1).wrapping_mul(0xA076_1D64_78BD_642F);
        for path in sample(paths, opts.samples, seed) {
            plan.push((*kind, path));
        }
    }
    let mut originals = BTreeMap::new();
    for (_, path) in &plan {
        if !originals.contains_key(path) {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            originals.insert(path.clone(), text);
        }
    }
    let mut series: Vec<Series> = vec![
        Series {
            name: "cold".into(),
            label: "cold compile".into(),
            candidates: None,
            measurements: cold,
        },
        Series {
            name: "noop".into(),
            label: "no-op update".into(),
            candidates: None,
            measurements: noop,
        },
        Series {
            name: "noop_full_check".into(),
            label: "no-op full check".into(),
            candidates: None,
            measurements: full_check,
        },
    ];
    for kind in EditKind::ALL {
        series.push(Series {
            name: kind.name().into(),
            label: kind.label().into(),
            candidates: Some(candidates[&kind].len()),
            measurements: Vec::new(),
        });
    }
    let mut guard = RestoreGuard::new(recovery_file, originals)?;
    progress(&format!("{} one-file edits", plan.len()));
    for (kind, path) in &plan {
        let original = &guard.originals[path];
        let Some(edited) = kind.edit(original) else {
            continue;
        };
        let label = relative(&root, path);
        db.take_executed();
        std::fs::write(path, &edited).map_err(|e| format!("cannot write {label}: {e}"))?;
        let t = Instant::now();
        let changes = apply_changes(
            &mut db,
            &OsSystem,
            project,
            Some(std::slice::from_ref(path)),
        );
        recompiler.update(&db, project, &changes);
        recompiler.counts();
        let elapsed = t.elapsed();
        let targeted = matches!(recompiler.last_path, RecompilePath::Targeted(_));
        if changes.changed != [path.clone()] {
            warnings.push(format!("{label}: the {} edit was not seen", kind.label()));
        }
        let measurement = Measurement {
            label,
            elapsed,
            executions: executions(&db),
            targeted: Some(targeted),
        };
        // Restore (not timed).
        std::fs::write(path, original)
            .map_err(|e| format!("cannot restore {}: {e}", measurement.label))?;
        let changes = apply_changes(
            &mut db,
            &OsSystem,
            project,
            Some(std::slice::from_ref(path)),
        );
        recompiler.update(&db, project, &changes);
        if recompiler.counts() != baseline {
            warnings.push(format!(
                "{}: after restoring it the project has {:?} (nodes, errors), not {baseline:?}",
                measurement.label,
                recompiler.counts()
            ));
        }
        db.take_executed();
        let s = series
            .iter_mut()
            .find(|s| s.name == kind.name())
            .expect("a series per kind");
        s.measurements.push(measurement);
    }
    guard.finish()?;
    Ok(BenchReport {
        root,
        nodes,
        compiled: baseline.0,
        errors: baseline.1,
        threads,
        seed: opts.seed,
        recovered,
        series,
        warnings,
        total: start.elapsed(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sampling_is_deterministic_and_bounded() {
        let items: Vec<usize> = (0..50).collect();
        let a = sample(items.clone(), 10, 3);
        assert_eq!(a, sample(items.clone(), 10, 3));
        assert_ne!(a, sample(items.clone(), 10, 4));
        assert_eq!(sample(items, 100, 3).len(), 50);
    }
}
