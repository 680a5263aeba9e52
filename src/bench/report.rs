//! What `dbtc bench` measured, its statistics, and the text and JSON reports.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Value, json};

use crate::watch::Executions;

/// One timed operation.
#[derive(Debug, Clone)]
pub struct Measurement {
    /// The edited file (relative to the project), or `run N`.
    pub label: String,
    pub elapsed: Duration,
    pub executions: Executions,
    /// For recompiles: whether the update took the targeted path.
    pub targeted: Option<bool>,
}

/// The measurements of one kind of operation.
#[derive(Debug, Clone)]
pub struct Series {
    /// The JSON key (`cold`, `noop`, `noop_full_check`, or an [`EditKind::name`]).
    pub name: String,
    pub label: String,
    /// For edits: how many files this kind of edit applies to.
    pub candidates: Option<usize>,
    pub measurements: Vec<Measurement>,
}

/// Summary statistics of a [`Series`] (nearest-rank percentiles).
#[derive(Debug, Clone, PartialEq)]
pub struct Stats {
    pub count: usize,
    pub p50: Duration,
    pub p95: Duration,
    pub max: Duration,
    /// The median of each query's executions.
    pub median_queries: Executions,
    /// The share of updates that took the targeted path, for recompiles.
    pub targeted_share: Option<f64>,
}

fn percentile<T: Copy + Ord + Default>(sorted: &[T], q: f64) -> T {
    if sorted.is_empty() {
        return T::default();
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn median_of(values: impl Iterator<Item = usize>) -> usize {
    let mut v: Vec<usize> = values.collect();
    v.sort_unstable();
    percentile(&v, 0.5)
}

impl Series {
    pub fn stats(&self) -> Stats {
        let mut times: Vec<Duration> = self.measurements.iter().map(|m| m.elapsed).collect();
        times.sort_unstable();
        let ms = &self.measurements;
        let targeted: Vec<bool> = ms.iter().filter_map(|m| m.targeted).collect();
        Stats {
            count: ms.len(),
            p50: percentile(&times, 0.5),
            p95: percentile(&times, 0.95),
            max: times.last().copied().unwrap_or_default(),
            median_queries: Executions {
                parsed_node: median_of(ms.iter().map(|m| m.executions.parsed_node)),
                rendered_node: median_of(ms.iter().map(|m| m.executions.rendered_node)),
                compiled_sql: median_of(ms.iter().map(|m| m.executions.compiled_sql)),
            },
            targeted_share: (!targeted.is_empty() && targeted.len() == ms.len())
                .then(|| targeted.iter().filter(|t| **t).count() as f64 / targeted.len() as f64),
        }
    }
}

/// Everything `dbtc bench` measured.
#[derive(Debug, Clone)]
pub struct BenchReport {
    pub root: PathBuf,
    /// Nodes in the project's DAG (models, tests, seeds, sources, ...).
    pub nodes: usize,
    /// Nodes compiled (the selected models, tests, analyses and snapshots) and errors.
    pub compiled: usize,
    pub errors: usize,
    pub threads: usize,
    pub seed: u64,
    /// Files restored from a previous, interrupted run's recovery file.
    pub recovered: Vec<PathBuf>,
    /// `cold`, `noop`, `noop_full_check`, then one per [`EditKind`].
    pub series: Vec<Series>,
    /// Anything that looked wrong (an edit not seen, counts changed after a restore).
    pub warnings: Vec<String>,
    pub total: Duration,
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

fn executions_json(e: &Executions) -> Value {
    json!({
        "parsed_node": e.parsed_node,
        "rendered_node": e.rendered_node,
        "compiled_sql": e.compiled_sql,
    })
}

/// `0.042 ms`, `12.3 ms`, `1.24 s`.
pub fn format_duration(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 1.0 {
        format!("{s:.2} s")
    } else if s >= 0.01 {
        format!("{:.1} ms", s * 1e3)
    } else {
        format!("{:.3} ms", s * 1e3)
    }
}

impl BenchReport {
    pub fn series(&self, name: &str) -> Option<&Series> {
        self.series.iter().find(|s| s.name == name)
    }

    /// One JSON object: project size, then per kind count, p50/p95/max in milliseconds,
    /// median queries re-executed, targeted-path share and the samples.
    pub fn to_json(&self) -> Value {
        let mut kinds = serde_json::Map::new();
        for s in &self.series {
            let st = s.stats();
            let time = |d: Duration| {
                if st.count == 0 {
                    Value::Null
                } else {
                    json!(ms(d))
                }
            };
            let samples: Vec<Value> = s
                .measurements
                .iter()
                .map(|m| {
                    json!({
                        "label": m.label,
                        "ms": ms(m.elapsed),
                        "queries": executions_json(&m.executions),
                        "path": m.targeted.map(|t| if t { "targeted" } else { "full" }),
                    })
                })
                .collect();
            kinds.insert(
                s.name.clone(),
                json!({
                    "count": st.count,
                    "candidates": s.candidates,
                    "p50_ms": time(st.p50),
                    "p95_ms": time(st.p95),
                    "max_ms": time(st.max),
                    "median_queries": executions_json(&st.median_queries),
                    "targeted_share": st.targeted_share,
                    "samples": samples,
                }),
            );
        }
        json!({
            "project": self.root.display().to_string(),
            "nodes": self.nodes,
            "compiled": self.compiled,
            "errors": self.errors,
            "threads": self.threads,
            "seed": self.seed,
            "recovered": self.recovered.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
            "kinds": kinds,
            "warnings": self.warnings,
            "total_ms": ms(self.total),
        })
    }

    /// The table `dbtc bench` prints.
    pub fn to_text(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{}: {} nodes ({} compiled, {} errors), {} threads, seed {}",
            self.root.display(),
            self.nodes,
            self.compiled,
            self.errors,
            self.threads,
            self.seed
        );
        let _ = writeln!(
            out,
            "{:<18} {:>5} {:>10} {:>10} {:>10} {:>22} {:>9}",
            "", "n", "p50", "p95", "max", "queries parse/rend/sql", "targeted"
        );
        for s in &self.series {
            let st = s.stats();
            if st.count == 0 {
                let why = match s.candidates {
                    Some(0) => "no file to edit",
                    _ => "not measured",
                };
                let _ = writeln!(out, "{:<18} {:>5} {why}", s.label, 0);
                continue;
            }
            let q = &st.median_queries;
            let _ = writeln!(
                out,
                "{:<18} {:>5} {:>10} {:>10} {:>10} {:>22} {:>9}",
                s.label,
                st.count,
                format_duration(st.p50),
                format_duration(st.p95),
                format_duration(st.max),
                format!("{}/{}/{}", q.parsed_node, q.rendered_node, q.compiled_sql),
                st.targeted_share
                    .map_or("-".to_string(), |t| format!("{:.0}%", t * 100.0)),
            );
        }
        for w in &self.warnings {
            let _ = writeln!(out, "warning: {w}");
        }
        let _ = write!(
            out,
            "total bench time {} (queries: median executions of parsed_node/rendered_node/compiled_sql)",
            format_duration(self.total)
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let v: Vec<u32> = (1..=20).collect();
        assert_eq!(percentile(&v, 0.5), 10);
        assert_eq!(percentile(&v, 0.95), 19);
        assert_eq!(percentile(&[7u32], 0.95), 7);
        assert_eq!(percentile::<u32>(&[], 0.5), 0);
    }
}
