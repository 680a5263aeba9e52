//! Console output shared by the commands that run things (`seed`, `run`, `test`,
//! `snapshot`, `build`, `run-operation`), in dbt's format: every line is an event that goes
//! to stdout (text, or one JSON object per line with `--log-format json`), to the log file
//! (`logs/dbtc.log`, text, debug details included) and moves the progress bar.

use std::sync::{Arc, Mutex, RwLock};

use chrono::Utc;
use serde_json::{Value, json};

use super::log_file::LogFile;
use super::progress::Progress;
use super::{Common, LogFormat};

/// `msg ......... [status]`: dbt's `format_fancy_output_line` (the message and a space,
/// padded with dots to 80 columns).
pub fn justified(msg: &str, status: &str) -> String {
    let prefix = format!("{msg} ");
    let dots = 80usize.saturating_sub(prefix.chars().count());
    format!("{prefix}{} [{status}]", ".".repeat(dots))
}

/// dbt's event levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Debug,
    Info,
    Warn,
    Error,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        }
    }
}

/// One structured event, as dbt's logger fires them: `name` and `code` are dbt's event
/// type and code (`LogModelResult`, `Q012`), `data` its fields.
#[derive(Debug, Clone)]
pub struct Event {
    pub name: &'static str,
    pub code: &'static str,
    pub level: Level,
    pub msg: String,
    pub data: Value,
}

impl Event {
    pub fn new(
        name: &'static str,
        code: &'static str,
        level: Level,
        msg: impl Into<String>,
    ) -> Self {
        let msg = msg.into();
        Event {
            name,
            code,
            level,
            data: json!({"msg": msg}),
            msg,
        }
    }

    pub fn with_data(mut self, data: Value) -> Self {
        self.data = data;
        self
    }
}

/// The name of the current thread as dbt names its threads (`MainThread`, `Thread-1
/// (worker)`).
pub fn thread_name() -> String {
    match std::thread::current().name() {
        None | Some("main") => "MainThread".into(),
        Some(name) => name.to_string(),
    }
}

/// Where the events of one invocation go.
pub struct Console {
    pub quiet: bool,
    pub json: bool,
    log: Option<LogFile>,
    progress: Mutex<Option<Progress>>,
}

/// The console of the running command, for events fired outside its call tree (Jinja's
/// `log()`/`print()` through tracing, the Ctrl-C handler).
static ACTIVE: RwLock<Option<Arc<Console>>> = RwLock::new(None);

impl Console {
    /// A console for `common`'s flags; the log file goes to `--log-path`, else `logs/` in
    /// the project folder (None: no log file, e.g. when it cannot be created: a warning is
    /// printed and the command goes on).
    pub fn new(common: &Common) -> Arc<Console> {
        let dir = common
            .log_path
            .clone()
            .unwrap_or_else(|| common.project_dir.join("logs"));
        let log = match LogFile::open(&dir) {
            Ok(f) => Some(f),
            Err(e) => {
                eprintln!("warning: {e}; no log file is written");
                None
            }
        };
        Console::with_log(common, log)
    }

    /// A console without a log file.
    pub fn with_log(common: &Common, log: Option<LogFile>) -> Arc<Console> {
        let console = Arc::new(Console {
            quiet: common.quiet,
            json: common.log_format == LogFormat::Json,
            log,
            progress: Mutex::new(None),
        });
        *ACTIVE.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::clone(&console));
        console
    }

    /// The console of the running command, if any.
    pub fn active() -> Option<Arc<Console>> {
        ACTIVE.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Fires an event: the log file gets every level, stdout gets info and above (errors
    /// and `print()` only with `--quiet`), as text or as one JSON line.
    pub fn emit(&self, event: &Event) {
        let thread = thread_name();
        if let Some(log) = &self.log {
            log.write(event.level, &thread, &event.msg);
        }
        // As dbt's `--quiet`: errors only, and what Jinja's `print()` prints.
        let quieted = self.quiet && event.level < Level::Error && event.name != "PrintEvent";
        if event.level == Level::Debug || quieted {
            return;
        }
        let line = if self.json {
            json!({
                "info": {
                    "name": event.name,
                    "code": event.code,
                    "msg": event.msg,
                    "level": event.level.as_str(),
                    "invocation_id": crate::jinja::context::invocation_id(),
                    "pid": std::process::id(),
                    "thread": thread,
                    "ts": Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                    "category": "",
                    "extra": {},
                },
                "data": event.data,
            })
            .to_string()
        } else {
            event.msg.clone()
        };
        let progress = self.progress.lock().unwrap_or_else(|e| e.into_inner());
        match progress.as_ref() {
            Some(p) => p.println(&line),
            None => println!("{line}"),
        }
    }

    /// A plain info line (dbt's `Formatting` for empty lines, else a generic info event).
    pub fn line(&self, msg: &str) {
        let name = if msg.is_empty() { "Formatting" } else { "Note" };
        let code = if msg.is_empty() { "Z017" } else { "Z050" };
        self.emit(&Event::new(name, code, Level::Info, msg));
    }

    /// A line shown even with `--quiet` (errors and their details).
    pub fn error(&self, msg: &str) {
        self.emit(&Event::new("RunResultError", "Z024", Level::Error, msg));
    }

    /// Details for the log file only (SQL executed, ...).
    pub fn debug(&self, msg: &str) {
        if let Some(log) = &self.log {
            log.write(Level::Debug, &thread_name(), msg);
        }
    }

    /// Shows a progress bar of `total` nodes when stdout is a terminal and the output is
    /// neither JSON nor quiet.
    pub fn start_progress(&self, total: usize) {
        if self.json || self.quiet {
            return;
        }
        *self.progress.lock().unwrap_or_else(|e| e.into_inner()) = Progress::on_terminal(total);
    }

    /// A node started (the progress bar names what runs).
    pub fn started(&self, label: &str) {
        if let Some(p) = self
            .progress
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            p.start(label);
        }
    }

    /// Advances the progress bar by one finished node.
    pub fn advance(&self, label: &str) {
        if let Some(p) = self
            .progress
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            p.advance(label);
        }
    }

    /// Removes the progress bar.
    pub fn finish_progress(&self) {
        if let Some(p) = self
            .progress
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        {
            p.finish();
        }
    }
}

/// A message of Jinja's `log()` (`info`: shown on the console, else the log file only) or
/// `print()` (always shown), sent to the running command's console. Outside a command
/// (compile, watch) it is dropped here: tracing's own output still shows it with
/// `--log-level info`.
pub fn jinja_message(msg: &str, info: bool, print: bool) {
    let Some(console) = Console::active() else {
        return;
    };
    let event = match (print, info) {
        (true, _) => Event::new("PrintEvent", "Z052", Level::Info, msg),
        (false, true) => Event::new("JinjaLogInfo", "I062", Level::Info, msg),
        (false, false) => Event::new("JinjaLogDebug", "I063", Level::Debug, msg),
    };
    console.emit(&event);
}

#[cfg(test)]
mod tests {
    #[test]
    fn dbt_width() {
        let line = super::justified("1 of 2 START test x", "RUN");
        assert_eq!(line.find(" [RUN]"), Some(80));
        let long = "x".repeat(90);
        assert_eq!(super::justified(&long, "RUN"), format!("{long}  [RUN]"));
    }
}
