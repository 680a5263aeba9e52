//! The progress bar of execution commands: shown only when stdout is a terminal (and
//! the output is neither JSON nor quiet); console lines are printed above it through
//! `ProgressBar::println`, so they never mix with the bar.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub struct Progress {
    bar: ProgressBar,
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
        Progress { bar }
    }

    /// Prints a line above the bar.
    pub fn println(&self, line: &str) {
        self.bar.println(line);
    }

    /// One more node finished (`label`: what finished last).
    pub fn advance(&self, label: &str) {
        self.bar.set_message(label.to_string());
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
        p.advance("model.a");
        p.advance("model.b");
        assert_eq!(p.bar.position(), 2);
        assert_eq!(p.bar.length(), Some(3));
        p.finish();
    }
}
