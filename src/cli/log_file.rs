//! `logs/dbtc.log`: every event of every execution command as text, appended per
//! invocation (dbt writes `logs/dbt.log` the same way), debug details included.

use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

use chrono::Utc;

use super::console::Level;

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
}
