//! Artifacts written under target/: manifest.json, compiled and executed SQL files,
//! run_results.json.

pub mod compile_cache;
pub mod lineage;
pub mod manifest;
pub mod run_results;
pub mod write;

use std::path::{Path, PathBuf};

use crate::db::{Db, NodeKey, Project};
use crate::jinja::nodes::node_info;

/// Where dbt writes a node's compiled SQL: `compiled/<package>/<original_file_path>`, and
/// for generic tests `compiled/<package>/<yml path>/<test name>.sql`.
pub fn compiled_path(
    db: &dyn Db,
    project: Project,
    target_dir: &Path,
    unique_id: &str,
) -> Option<PathBuf> {
    node_file_path(db, project, &target_dir.join("compiled"), unique_id)
}

/// Where dbt writes the SQL it executed for a node: `run/<package>/<path>`, laid out as
/// under `compiled/`.
pub fn run_path(
    db: &dyn Db,
    project: Project,
    target_dir: &Path,
    unique_id: &str,
) -> Option<PathBuf> {
    node_file_path(db, project, &target_dir.join("run"), unique_id)
}

fn node_file_path(
    db: &dyn Db,
    project: Project,
    folder: &Path,
    unique_id: &str,
) -> Option<PathBuf> {
    let Some(node) = node_info(db, project, NodeKey::new(db, unique_id.to_string())).as_ref()
    else {
        return crate::project::unit_test_manifest::file_path(db, project, folder, unique_id);
    };
    let base = folder.join(&node.package).join(&node.original_file_path);
    Some(if node.test.is_some() {
        base.join(&node.path)
    } else {
        base
    })
}
