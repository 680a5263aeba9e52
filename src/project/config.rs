//! dbt_project.yml of the root project and of every installed package.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::yaml::{parse_yaml, string_list};
use crate::db::{Db, Project};
use crate::diagnostics::{Diagnostic, codes};

/// One dbt project: the root or a package under `dbt_packages/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageConfig {
    pub name: String,
    pub root: PathBuf,
    pub is_root: bool,
    pub profile: Option<String>,
    pub model_paths: Vec<String>,
    pub macro_paths: Vec<String>,
    pub seed_paths: Vec<String>,
    pub test_paths: Vec<String>,
    pub snapshot_paths: Vec<String>,
    pub analysis_paths: Vec<String>,
    pub docs_paths: Vec<String>,
    pub target_path: String,
    pub packages_install_path: String,
    /// The whole parsed dbt_project.yml (config trees: models, seeds, snapshots, tests,
    /// sources, vars, dispatch, quoting, on-run-start, ...).
    pub raw: Value,
}

impl PackageConfig {
    pub fn section(&self, key: &str) -> Option<&Value> {
        self.raw.get(key)
    }
}

/// Every project that takes part in a compile, root first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectConfig {
    pub root: PackageConfig,
    pub packages: Vec<PackageConfig>,
    pub diagnostics: Vec<Diagnostic>,
}

impl ProjectConfig {
    pub fn all(&self) -> impl Iterator<Item = &PackageConfig> {
        std::iter::once(&self.root).chain(self.packages.iter())
    }

    pub fn package(&self, name: &str) -> Option<&PackageConfig> {
        self.all().find(|p| p.name == name)
    }

    /// The package owning `path` (the deepest package root that contains it).
    pub fn package_of(&self, path: &Path) -> &PackageConfig {
        self.packages
            .iter()
            .filter(|p| path.starts_with(&p.root))
            .max_by_key(|p| p.root.as_os_str().len())
            .unwrap_or(&self.root)
    }
}

fn paths(raw: &Value, key: &str, default: &[&str]) -> Vec<String> {
    let list = string_list(raw.get(key));
    if raw.get(key).is_none_or(Value::is_null) {
        default.iter().map(|s| s.to_string()).collect()
    } else {
        list.into_iter()
            .map(|p| p.trim_end_matches('/').to_string())
            .collect()
    }
}

/// Paths under a key dbt renamed: the old key (`source-paths`, `data-paths`) still counts
/// when the new one is absent, as in dbt 1.x; both at once is an error there too.
#[expect(
    clippy::result_large_err,
    reason = "a Diagnostic is the error; these run once per file, not on a hot path"
)]
fn renamed_paths(
    raw: &Value,
    file_path: &Path,
    key: &str,
    old_key: &str,
    default: &[&str],
) -> Result<Vec<String>, Diagnostic> {
    let present = |k: &str| raw.get(k).is_some_and(|v| !v.is_null());
    if present(old_key) && present(key) {
        return Err(Diagnostic::error(
            codes::PROJECT,
            format!("dbt_project.yml sets both `{old_key}` and `{key}`"),
        )
        .at(file_path, None)
        .with_hint(format!(
            "`{old_key}` is the old name of `{key}`: keep only `{key}`"
        )));
    }
    let chosen = if present(key) || !present(old_key) {
        key
    } else {
        old_key
    };
    Ok(paths(raw, chosen, default))
}

/// Reads one dbt_project.yml.
#[expect(
    clippy::result_large_err,
    reason = "a Diagnostic is the error; these run once per file, not on a hot path"
)]
pub fn read_package(
    file_path: &Path,
    text: &str,
    is_root: bool,
) -> Result<PackageConfig, Diagnostic> {
    let raw = parse_yaml(text, file_path)?;
    let root = file_path.parent().unwrap_or(Path::new(".")).to_path_buf();
    let Some(name) = raw.get("name").and_then(Value::as_str) else {
        return Err(
            Diagnostic::error(codes::PROJECT, "dbt_project.yml has no `name`")
                .at(file_path, None)
                .with_hint("add `name: my_project` at the top of dbt_project.yml"),
        );
    };
    let model_paths = renamed_paths(&raw, file_path, "model-paths", "source-paths", &["models"])?;
    let seed_paths = renamed_paths(&raw, file_path, "seed-paths", "data-paths", &["seeds"])?;
    let test_paths = paths(&raw, "test-paths", &["tests"]);
    let analysis_paths = paths(&raw, "analysis-paths", &["analyses"]);
    let macro_paths = paths(&raw, "macro-paths", &["macros"]);
    let snapshot_paths = paths(&raw, "snapshot-paths", &["snapshots"]);
    let mut all_paths: Vec<String> = Vec::new();
    for list in [
        &model_paths,
        &seed_paths,
        &test_paths,
        &analysis_paths,
        &macro_paths,
        &snapshot_paths,
    ] {
        all_paths.extend(list.iter().cloned());
    }
    let docs_paths = if raw.get("docs-paths").is_some() {
        paths(&raw, "docs-paths", &[])
    } else {
        all_paths
    };
    Ok(PackageConfig {
        name: name.to_string(),
        root,
        is_root,
        profile: raw
            .get("profile")
            .and_then(Value::as_str)
            .map(str::to_string),
        model_paths,
        macro_paths,
        seed_paths,
        test_paths,
        snapshot_paths,
        analysis_paths,
        docs_paths,
        target_path: raw
            .get("target-path")
            .and_then(Value::as_str)
            .unwrap_or("target")
            .to_string(),
        packages_install_path: raw
            .get("packages-install-path")
            .and_then(Value::as_str)
            .unwrap_or("dbt_packages")
            .to_string(),
        raw,
    })
}

/// The target path as configured: `--target-path`, else dbt_project.yml's `target-path`
/// (relative to the project root unless absolute).
pub fn target_path(db: &dyn Db, project: Project) -> String {
    project
        .settings(db)
        .target_path
        .clone()
        .unwrap_or_else(|| project_config(db, project).root.target_path.clone())
}

/// Where artifacts go: [`target_path`] under the project root.
pub fn target_dir(db: &dyn Db, project: Project) -> std::path::PathBuf {
    project.root(db).join(target_path(db, project))
}

/// The root dbt_project.yml and every installed package's. Reads the root project file
/// and each `<packages-install-path>/*/dbt_project.yml`. A package that fails to load is a
/// diagnostic; the root failing gives a placeholder project named after the folder.
#[salsa::tracked(returns(ref))]
pub fn project_config(db: &dyn Db, project: Project) -> ProjectConfig {
    let root_dir = project.root(db).clone();
    let root_file = root_dir.join("dbt_project.yml");
    let mut diagnostics = Vec::new();
    let files = project.files(db);
    let find = |path: &Path| files.iter().copied().find(|f| f.path(db) == path);
    let root = match find(&root_file).and_then(|f| f.contents(db)) {
        Some(text) => match read_package(&root_file, &text, true) {
            Ok(pkg) => Some(pkg),
            Err(diag) => {
                diagnostics.push(diag);
                None
            }
        },
        None => {
            diagnostics.push(
                Diagnostic::error(codes::PROJECT, "no dbt_project.yml found")
                    .at(&root_file, None)
                    .with_hint("run dbtc in a dbt project folder or pass --project-dir"),
            );
            None
        }
    };
    let root = root.unwrap_or_else(|| {
        let name = root_dir
            .file_name()
            .map(|n| n.to_string_lossy().replace(['-', ' '], "_"))
            .unwrap_or_else(|| "project".into());
        read_package(&root_file, &format!("name: {name}\n"), true).expect("placeholder project")
    });
    let pkg_dir = root_dir.join(&root.packages_install_path);
    let mut packages = Vec::new();
    for file in files {
        let path = file.path(db);
        let Ok(rel) = path.strip_prefix(&pkg_dir) else {
            continue;
        };
        if rel.components().count() != 2 || path.file_name().is_none_or(|n| n != "dbt_project.yml")
        {
            continue;
        }
        let Some(text) = file.contents(db) else {
            continue;
        };
        match read_package(path, &text, false) {
            Ok(pkg) => packages.push(pkg),
            Err(diag) => diagnostics.push(diag),
        }
    }
    packages.sort_by(|a, b| a.name.cmp(&b.name));
    ProjectConfig {
        root,
        packages,
        diagnostics,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<PackageConfig, Box<Diagnostic>> {
        read_package(Path::new("/p/dbt_project.yml"), text, true).map_err(Box::new)
    }

    #[test]
    fn legacy_path_keys_count_when_the_new_ones_are_absent() {
        let pkg = read("name: p\nsource-paths: [src/]\ndata-paths: [data]\n").unwrap();
        assert_eq!(pkg.model_paths, vec!["src"]);
        assert_eq!(pkg.seed_paths, vec!["data"]);
        assert!(
            pkg.docs_paths.contains(&"src".to_string()),
            "{:?}",
            pkg.docs_paths
        );
        let pkg = read("name: p\n").unwrap();
        assert_eq!(
            (pkg.model_paths, pkg.seed_paths),
            (vec!["models".to_string()], vec!["seeds".to_string()])
        );
        let pkg = read("name: p\nmodel-paths: [m]\nseed-paths: [s]\ndata-paths: null\n").unwrap();
        assert_eq!(
            (pkg.model_paths, pkg.seed_paths),
            (vec!["m".to_string()], vec!["s".to_string()])
        );
    }

    #[test]
    fn old_and_new_path_keys_together_are_an_error() {
        let err = read("name: p\nsource-paths: [a]\nmodel-paths: [b]\n").unwrap_err();
        assert!(format!("{err:?}").contains("source-paths"), "{err:?}");
        let err = read("name: p\ndata-paths: [a]\nseed-paths: [b]\n").unwrap_err();
        assert!(format!("{err:?}").contains("data-paths"), "{err:?}");
    }
}
