//! The second `dbtc compile` in a row on an unchanged project: a stamp under `target/`
//! (`target/.dbtc/compile.json`) keyed by a content hash of everything a compile reads —
//! dbtc's version and executable, every project and package file and profiles.yml, the
//! settings (`--target`, `--vars`, `--static-analysis`, selection) and the environment —
//! plus the size and modification time of every file the compile wrote. When all of them
//! are unchanged, `compile` prints the recorded findings instead of compiling again.
//!
//! Why a stamp and not a resident server or a serialized salsa database: the inputs are
//! already read to build the database, so hashing them is nearly free, and an
//! all-or-nothing key cannot be subtly stale: any change of any input, or of any output,
//! falls back to a full compile. Projects whose SQL depends on the clock
//! (`run_started_at`, `invocation_id`, `modules.datetime`) are never stamped.

use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};

use crate::db::{Db, Project};

/// Env vars that differ between two shells without affecting a compile.
const VOLATILE_ENV: &[&str] = &["_", "OLDPWD", "PWD", "SHLVL", "TERM", "COLUMNS", "LINES"];

/// Words that make a render depend on the clock or the invocation.
const CLOCK_WORDS: &[&str] = &["run_started_at", "invocation_id", "modules.datetime"];

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Stamp {
    pub key: String,
    /// (path, size, mtime in ns) of every file the compile wrote.
    pub outputs: Vec<(PathBuf, u64, u128)>,
    pub report_text: String,
    pub report_json: String,
    pub summary: (usize, usize, usize),
    pub exit_code: i32,
}

fn stamp_path(target_dir: &Path) -> PathBuf {
    target_dir.join(".dbtc").join("compile.json")
}

/// The key of this compile, or None when the project must not be stamped.
pub fn key(db: &dyn Db, project: Project, cli: &str) -> Option<String> {
    let mut h = Md5::new();
    h.update(env!("CARGO_PKG_VERSION"));
    if let Ok(exe) = std::env::current_exe()
        && let Some((len, mtime)) = size_and_mtime(&exe)
    {
        h.update(format!("{len}:{mtime}"));
    }
    h.update(cli);
    let settings = project.settings(db);
    h.update(format!(
        "{:?}|{}|{:?}|{:?}",
        settings.target, settings.cli_vars, settings.target_path, settings.static_analysis
    ));
    for (k, v) in &settings.env {
        if !VOLATILE_ENV.contains(&k.as_str()) {
            h.update(format!("{k}={v}\0"));
        }
    }
    // Sources typed from the target database: its state is an input too.
    h.update(crate::sql::source_catalog::stamp_input(db, project)?);
    let profiles = project.profiles(db);
    for file in project.files(db).iter().copied().chain([profiles]) {
        let text = file.text(db);
        if CLOCK_WORDS.iter().any(|w| text.contains(w)) {
            return None;
        }
        h.update(file.path(db).to_string_lossy().as_bytes());
        h.update([u8::from(file.present(db))]);
        h.update(text.len().to_le_bytes());
        h.update(text.as_bytes());
    }
    Some(format!("{:x}", h.finalize()))
}

fn size_and_mtime(path: &Path) -> Option<(u64, u128)> {
    let meta = std::fs::metadata(path).ok()?;
    let mtime = meta
        .modified()
        .ok()?
        .duration_since(UNIX_EPOCH)
        .ok()?
        .as_nanos();
    Some((meta.len(), mtime))
}

/// The recorded compile, when its key matches and every output is as it was written.
pub fn lookup(target_dir: &Path, key: &str) -> Option<Stamp> {
    let text = std::fs::read_to_string(stamp_path(target_dir)).ok()?;
    let stamp: Stamp = serde_json::from_str(&text).ok()?;
    if stamp.key != key {
        return None;
    }
    let unchanged = stamp
        .outputs
        .iter()
        .all(|(p, len, mtime)| size_and_mtime(p) == Some((*len, *mtime)));
    unchanged.then_some(stamp)
}

/// Records a compile (best effort: a stamp that cannot be written only costs the next
/// compile its shortcut).
/// `known`: outputs whose size and modification time were read when they were written;
/// `others` are read here (a later write of a known path wins).
pub fn record(
    target_dir: &Path,
    key: &str,
    known: Vec<(PathBuf, u64, u128)>,
    others: &[PathBuf],
    stamp: Stamp,
) {
    let later: std::collections::HashSet<&PathBuf> = others.iter().collect();
    let outputs = known
        .into_iter()
        .filter(|(p, _, _)| !later.contains(p))
        .chain(
            others
                .iter()
                .filter_map(|p| size_and_mtime(p).map(|(l, m)| (p.clone(), l, m))),
        )
        .collect();
    let stamp = Stamp {
        key: key.to_string(),
        outputs,
        ..stamp
    };
    let path = stamp_path(target_dir);
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    if let Ok(bytes) = serde_json::to_vec(&stamp) {
        let _ = crate::artifacts::write::write_bytes(&path, &bytes);
    }
}

/// Forgets the stamp (before writing outputs, so a compile killed midway is never reused).
pub fn invalidate(target_dir: &Path) {
    let _ = std::fs::remove_file(stamp_path(target_dir));
}
