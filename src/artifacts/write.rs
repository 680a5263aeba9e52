//! Writing compiled SQL files and manifest.json. Files whose content is unchanged are not
//! rewritten (so editors and watchers see only real changes); writes run on worker threads.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};

/// Writes every (path, text) pair, creating each directory once. Returns how many files
/// were written, or the first error.
///
/// Which files already exist comes from one listing per directory: probing each missing
/// file with `open` costs a failed lookup in a large directory (about as much as the write
/// itself on ext4), and a fresh `target/` has none to compare.
pub fn write_files<T: AsRef<[u8]> + Sync>(
    files: Vec<(PathBuf, T)>,
    threads: usize,
) -> Result<usize, String> {
    let dirs: BTreeSet<&Path> = files.iter().filter_map(|(p, _)| p.parent()).collect();
    let mut existing: HashSet<PathBuf> = HashSet::new();
    for dir in dirs {
        match std::fs::read_dir(dir) {
            Ok(entries) => existing.extend(entries.filter_map(|e| Some(e.ok()?.path()))),
            Err(_) => std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?,
        }
    }
    let existing = &existing;
    let chunk = files.len().div_ceil(threads.max(1)).max(1);
    let results: Vec<Result<usize, String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    let mut written = 0;
                    for (path, text) in part {
                        if existing.contains(path)
                            && std::fs::read(path).is_ok_and(|old| old == text.as_ref())
                        {
                            continue;
                        }
                        std::fs::write(path, text)
                            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                        written += 1;
                    }
                    Ok(written)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("writer thread panicked".into()))
            })
            .collect()
    });
    results.into_iter().sum()
}

/// Writes bytes to a file, creating its folder.
pub fn write_bytes(path: &Path, bytes: &[u8]) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Writes a file through `fill` into a buffered temporary file next to it, then renames
/// it into place, creating the folder.
pub fn write_streamed(
    path: &Path,
    fill: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> Result<(), String> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("out");
    let tmp = dir.join(format!(".{name}.tmp{}", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut w = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&tmp)?);
        fill(&mut w)?;
        w.flush()?;
        drop(w);
        std::fs::rename(&tmp, path)
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("cannot write {}: {e}", path.display())
    })
}
