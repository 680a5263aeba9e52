//! Shared by the integration tests.

use std::path::PathBuf;

use dbtc::db::{OsSystem, Project, RootDb};
use dbtc::project::{LoadOptions, load_project};

/// The folder of a fixture project.
pub fn fixture_dir(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// A fixture project loaded into a fresh database (profiles.yml from the fixture folder,
/// no environment variables, so env_var() defaults apply as in the dbt-core goldens).
pub fn load_fixture(name: &str) -> (RootDb, Project) {
    let db = RootDb::default();
    let project = load_project(&db, &OsSystem, &LoadOptions::in_dir(fixture_dir(name)));
    (db, project)
}
