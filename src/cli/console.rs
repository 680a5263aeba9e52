//! Console output shared by the commands that run things (`seed`, `run`, `test`,
//! `build`), in dbt's format.

/// `msg ......... [status]`: dbt's `format_fancy_output_line` (the message and a space,
/// padded with dots to 80 columns).
pub fn justified(msg: &str, status: &str) -> String {
    let prefix = format!("{msg} ");
    let dots = 80usize.saturating_sub(prefix.chars().count());
    format!("{prefix}{} [{status}]", ".".repeat(dots))
}

/// Prints a line unless `--quiet`.
pub struct Say {
    pub quiet: bool,
}

impl Say {
    pub fn line(&self, line: &str) {
        if !self.quiet {
            println!("{line}");
        }
    }
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
