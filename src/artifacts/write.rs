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
    Ok(write_files_stat(files, threads)?.0)
}

/// The size and modification time (ns since the epoch) of a file, as the compile cache
/// records its outputs.
pub type FileStat = (u64, u128);

fn stat_of(meta: &std::fs::Metadata) -> Option<FileStat> {
    let mtime = meta
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_nanos();
    Some((meta.len(), mtime))
}

/// Writes `text` to `path` unless the file (`exists`) already holds it; returns whether it
/// wrote, and the file's size and modification time after, read from the open file (a
/// second lookup of the path costs as much as the open in a large folder).
fn write_one(path: &Path, text: &[u8], exists: bool) -> std::io::Result<(bool, Option<FileStat>)> {
    use std::io::{Read, Write};
    if exists && let Ok(mut file) = std::fs::File::open(path) {
        let meta = file.metadata()?;
        if meta.len() == text.len() as u64 {
            let mut old = Vec::with_capacity(text.len());
            file.read_to_end(&mut old)?;
            if old == text {
                return Ok((false, stat_of(&meta)));
            }
        }
    }
    let mut file = std::fs::File::create(path)?;
    file.write_all(text)?;
    Ok((true, file.metadata().ok().as_ref().and_then(stat_of)))
}

/// [`write_files`], also returning each file's size and modification time after the
/// write (None when it could not be read), in the order of `files`.
pub fn write_files_stat<T: AsRef<[u8]> + Sync>(
    files: Vec<(PathBuf, T)>,
    threads: usize,
) -> Result<(usize, Vec<Option<FileStat>>), String> {
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
    type Part = Result<(usize, Vec<Option<FileStat>>), String>;
    let results: Vec<Part> = std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    let mut written = 0;
                    let mut stats = Vec::with_capacity(part.len());
                    for (path, text) in part {
                        let (wrote, stat) = write_one(path, text.as_ref(), existing.contains(path))
                            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                        written += usize::from(wrote);
                        stats.push(stat);
                    }
                    Ok((written, stats))
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
    let mut written = 0;
    let mut stats = Vec::with_capacity(files.len());
    for part in results {
        let (n, s) = part?;
        written += n;
        stats.extend(s);
    }
    Ok((written, stats))
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
