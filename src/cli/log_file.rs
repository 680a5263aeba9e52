//! `logs/dbtc.log`: every event of every execution command as text, appended per
//! invocation (dbt writes `logs/dbt.log` the same way), debug details included. Past
//! 10 MiB the file is rotated when an invocation starts, as dbt rotates its log:
//! `dbtc.log.1` ... `dbtc.log.5` keep the older ones.

use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

use chrono::Utc;

use super::console::Level;

const MAX_BYTES: u64 = 10 * 1024 * 1024;
const BACKUPS: usize = 5;

/// Renames `path` to `path.1` (and `.1` to `.2`, ..., dropping the oldest) when it is
/// larger than `max` bytes. Failures are ignored: the log then keeps growing.
fn rotate(path: &Path, max: u64, backups: usize) {
    if std::fs::metadata(path).map_or(true, |m| m.len() <= max) {
        return;
    }
    let numbered = |n: usize| {
        let mut name = path.as_os_str().to_owned();
        name.push(format!(".{n}"));
        std::path::PathBuf::from(name)
    };
    for n in (1..backups).rev() {
        let _ = std::fs::rename(numbered(n), numbered(n + 1));
    }
    let _ = std::fs::rename(path, numbered(1));
}

/// The log file of one invocation.
pub struct LogFile {
    file: Mutex<std::fs::File>,
}

impl LogFile {
    /// Opens `<dir>/dbtc.log` for appending (creating the folder) and writes the
    /// invocation's header line.
    pub fn open(dir: &Path) -> Result<LogFile, String> {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create the log folder {}: {e}", dir.display()))?;
        let path = dir.join("dbtc.log");
        rotate(&path, MAX_BYTES, BACKUPS);
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        let rule = "=".repeat(30);
        let header = format!(
            "\n\n{rule} {} | {} {rule}\n",
            Utc::now().format("%H:%M:%S%.6f"),
            crate::jinja::context::invocation_id()
        );
        file.write_all(header.as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        Ok(LogFile {
            file: Mutex::new(file),
        })
    }

    /// `HH:MM:SS.ffffff [level] [thread]: message`, as dbt's text log lines. A failed write
    /// is ignored: the log must never stop a run.
    pub fn write(&self, level: Level, thread: &str, msg: &str) {
        let line = format!(
            "{} [{:<5}] [{thread}]: {msg}\n",
            Utc::now().format("%H:%M:%S%.6f"),
            level.as_str()
        );
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        let _ = file.write_all(line.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_one_header_per_invocation() {
        let dir = tempfile::tempdir().expect("tempdir");
        for msg in ["first", "second"] {
            let log = LogFile::open(dir.path()).expect("open");
            log.write(Level::Info, "MainThread", msg);
            log.write(Level::Debug, "Thread-1 (worker)", "select 1");
        }
        let text = std::fs::read_to_string(dir.path().join("dbtc.log")).expect("read");
        assert_eq!(text.matches("==============================").count(), 4);
        assert!(text.contains("[info ] [MainThread]: first"));
        assert!(text.contains("[debug] [Thread-1 (worker)]: select 1"));
        assert!(text.find("first").unwrap_or(0) < text.find("second").unwrap_or(0));
    }

    #[test]
    fn rotates_past_the_limit() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("dbtc.log");
        for round in 0..4 {
            std::fs::write(&path, format!("round {round} {}", "x".repeat(100))).expect("write");
            rotate(&path, 50, 2);
        }
        assert!(!path.exists());
        let one = std::fs::read_to_string(dir.path().join("dbtc.log.1")).expect(".1");
        let two = std::fs::read_to_string(dir.path().join("dbtc.log.2")).expect(".2");
        assert!(one.starts_with("round 3") && two.starts_with("round 2"));
        assert!(!dir.path().join("dbtc.log.3").exists());
        std::fs::write(&path, "small").expect("write");
        rotate(&path, 50, 2);
        assert!(path.exists());
    }
}
