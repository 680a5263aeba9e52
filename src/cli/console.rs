//! Console output shared by the commands that build things (`seed`, `run`), in dbt's
//! format: dotted status lines and the closing summary.

/// `msg ......... [status]`, padded to dbt's 80 columns.
pub fn justified(msg: &str, status: &str) -> String {
    let dots = 80usize.saturating_sub(msg.chars().count() + 2).max(3);
    format!("{msg} {} [{status}]", ".".repeat(dots))
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

/// The end of a build: `Completed successfully` or each failure, then `Done. PASS=...`.
/// `resource` is what failed ("model", "seed"). Returns the exit code (0, or 1 on errors).
pub fn finish(
    say: &Say,
    resource: &str,
    failures: &[(String, String)],
    pass: usize,
    skip: usize,
    total: usize,
) -> i32 {
    say.line("");
    if failures.is_empty() {
        say.line("Completed successfully");
    } else {
        let n = failures.len();
        println!("Completed with {n} error{}:", if n == 1 { "" } else { "s" });
        for (uid, e) in failures {
            println!();
            println!("Runtime Error in {resource} {uid}");
            println!("  {e}");
        }
    }
    say.line("");
    say.line(&format!(
        "Done. PASS={pass} WARN=0 ERROR={} SKIP={skip} NO-OP=0 TOTAL={total}",
        failures.len()
    ));
    i32::from(!failures.is_empty())
}
