//! The progress bar of execution commands: shown only when stdout is a terminal (and
//! the output is neither JSON nor quiet); console lines are printed above it through
//! `ProgressBar::println`, so they never mix with the bar.

use std::io::IsTerminal;
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub struct Progress {
    bar: ProgressBar,
    /// The nodes running now, shown after the counts.
    running: Mutex<Vec<String>>,
}

impl Progress {
    /// A bar of `total` nodes on stdout, or None when stdout is not a terminal.
    pub fn on_terminal(total: usize) -> Option<Progress> {
        if !std::io::stdout().is_terminal() {
            return None;
        }
        Some(Progress::new(total, ProgressDrawTarget::stdout()))
    }

    fn new(total: usize, target: ProgressDrawTarget) -> Progress {
        let bar = ProgressBar::with_draw_target(Some(total as u64), target);
        let style = ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {wide_msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
        Progress {
            bar,
            running: Mutex::new(Vec::new()),
        }
    }

    /// Prints a line above the bar.
    pub fn println(&self, line: &str) {
        self.bar.println(line);
    }

    fn show_running(&self, running: &[String]) {
        self.bar.set_message(match running {
            [] => String::new(),
            names => format!("running {}", names.join(", ")),
        });
    }

    /// A node started.
    pub fn start(&self, label: &str) {
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        running.push(label.to_string());
        self.show_running(&running);
    }

    /// A node finished.
    pub fn advance(&self, label: &str) {
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        running.retain(|r| r != label);
        self.show_running(&running);
        self.bar.inc(1);
    }

    pub fn finish(self) {
        self.bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_finished_nodes() {
        let p = Progress::new(3, ProgressDrawTarget::hidden());
        p.start("model.a");
        p.start("model.b");
        p.advance("model.a");
        assert_eq!(p.bar.message(), "running model.b");
        p.advance("model.b");
        assert_eq!(p.bar.position(), 2);
        assert_eq!(p.bar.length(), Some(3));
        p.finish();
    }
}
