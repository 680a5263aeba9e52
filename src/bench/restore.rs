//! Putting back every file the bench edited: a drop guard for this run, and a recovery
//! file (`path -> original text`) for a run that was killed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Writes `text` to `path` through a temporary file and a rename.
fn write_atomic(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}

/// Restores the files a previous, interrupted run left edited, from its recovery file
/// (`path -> original text`), then deletes the file. Returns the files whose text it
/// changed back (none when there is no recovery file).
pub fn recover(recovery_file: &Path) -> Result<Vec<PathBuf>, String> {
    let text = match std::fs::read_to_string(recovery_file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("cannot read {}: {e}", recovery_file.display())),
    };
    let originals: BTreeMap<PathBuf, String> = serde_json::from_str(&text).map_err(|e| {
        format!(
            "{} is not a dbtc bench recovery file ({e}); restore the files it lists by hand, then delete it",
            recovery_file.display()
        )
    })?;
    let restored = restore_files(&originals)?;
    std::fs::remove_file(recovery_file)
        .map_err(|e| format!("cannot delete {}: {e}", recovery_file.display()))?;
    Ok(restored)
}

/// Writes back every file whose text differs from its original; returns those files.
fn restore_files(originals: &BTreeMap<PathBuf, String>) -> Result<Vec<PathBuf>, String> {
    let mut restored = Vec::new();
    let mut errors = Vec::new();
    for (path, original) in originals {
        if std::fs::read_to_string(path).ok().as_deref() == Some(original.as_str()) {
            continue;
        }
        match std::fs::write(path, original) {
            Ok(()) => restored.push(path.clone()),
            Err(e) => errors.push(format!("cannot restore {}: {e}", path.display())),
        }
    }
    if errors.is_empty() {
        Ok(restored)
    } else {
        Err(errors.join("; "))
    }
}

/// Owns the original texts of every file the bench edits: writes the recovery file when
/// created, and restores the files and deletes the recovery file when finished or dropped
/// (also during a panic's unwinding).
pub(super) struct RestoreGuard {
    pub(super) originals: BTreeMap<PathBuf, String>,
    recovery_file: PathBuf,
    done: bool,
}

impl RestoreGuard {
    pub(super) fn new(
        recovery_file: PathBuf,
        originals: BTreeMap<PathBuf, String>,
    ) -> Result<Self, String> {
        let text = serde_json::to_string_pretty(&originals).expect("paths and strings");
        write_atomic(&recovery_file, &text)
            .map_err(|e| format!("cannot write {}: {e}", recovery_file.display()))?;
        Ok(RestoreGuard {
            originals,
            recovery_file,
            done: false,
        })
    }

    /// Restores every file; the recovery file is deleted only when all were restored.
    pub(super) fn finish(&mut self) -> Result<(), String> {
        self.done = true;
        restore_files(&self.originals)?;
        std::fs::remove_file(&self.recovery_file)
            .map_err(|e| format!("cannot delete {}: {e}", self.recovery_file.display()))
    }
}

impl Drop for RestoreGuard {
    fn drop(&mut self) {
        if !self.done
            && let Err(e) = self.finish()
        {
            eprintln!(
                "error: {e} (the originals are in {})",
                self.recovery_file.display()
            );
        }
    }
}
