//! Artifacts written under target/: manifest.json and compiled SQL files.

pub mod manifest;
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
    let node = node_info(db, project, NodeKey::new(db, unique_id.to_string())).as_ref()?;
    let base = target_dir
        .join("compiled")
        .join(&node.package)
        .join(&node.original_file_path);
    Some(if node.test.is_some() {
        base.join(&node.path)
    } else {
        base
    })
}
