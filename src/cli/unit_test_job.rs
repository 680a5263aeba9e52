//! A unit test as a job of `test` and `build`: dbt's console lines
//! (`START unit_test <model>::<test>`, `PASS`, `FAIL 1`, `ERROR`) and its run_results
//! entry (failures 1 when the rows differ, the diff as message).

use std::time::Instant;

use chrono::Utc;
use serde_json::json;

use super::console::justified;
use super::jobs::{Done, Job};
use crate::artifacts::run_results::{NodeResult, Status};
use crate::exec::Adapter;
use crate::exec::unit_test::{UnitStatus, run_unit_test};
use crate::exec::unit_test_render::UnitTestPlan;

pub fn run(
    adapter: &mut dyn Adapter,
    job: &Job,
    plan: &UnitTestPlan,
    prefix: &str,
    say: &dyn Fn(&str),
) -> Done {
    let start = Utc::now();
    let t = Instant::now();
    let shown = format!("{}::{}", plan.model_name, job.name);
    say(&justified(
        &format!("{prefix} START unit_test {shown}"),
        "RUN",
    ));
    let ran = run_unit_test(adapter, plan);
    let secs = t.elapsed().as_secs_f64();
    let (status, info, failures) = match ran.status {
        UnitStatus::Pass => (Status::Pass, "PASS".to_string(), Some(0)),
        UnitStatus::Fail => (Status::Fail, "FAIL 1".to_string(), Some(1)),
        UnitStatus::Error => (Status::Error, "ERROR".to_string(), None),
    };
    say(&justified(
        &format!("{prefix} {info} {shown}"),
        &format!("{info} in {secs:.2}s"),
    ));
    let response = match ran.status {
        UnitStatus::Error => json!({}),
        _ => json!({"_message": "OK"}),
    };
    Done {
        result: NodeResult {
            unique_id: job.unique_id.clone(),
            status,
            started_at: start,
            completed_at: Utc::now(),
            executed: true,
            adapter_response: response,
            message: ran.message,
            failures,
            compiled: Some(ran.compiled_sql.is_some()),
            compiled_code: ran.compiled_sql.clone().unwrap_or_default(),
            relation_name: None,
        },
        executed_sql: ran.executed_sql,
        compiled_sql: ran.compiled_sql,
    }
}

/// Plans the selected unit tests of `test` and `build` as jobs: each waits for what its
/// model waits for, comes right before its model in `all`, and in `build` the model
/// waits for it (a failing unit test skips its model and what is built from it, as dbt).
/// `build` runs a unit test only with its model (dbt runs them in the model's job), so
/// there `models` is the selection and the tests of unselected models are left out.
#[expect(
    clippy::too_many_arguments,
    reason = "the selection, the plan being extended and the target's schema"
)]
pub fn add_unit_tests(
    db: &dyn crate::db::Db,
    project: crate::db::Project,
    select: &[String],
    exclude: &[String],
    models: Option<&std::collections::BTreeSet<String>>,
    all: &mut Vec<String>,
    parents: &mut indexmap::IndexMap<String, Vec<String>>,
    default_schema: &str,
) -> Vec<Job> {
    use crate::project::unit_test_select::select_unit_tests;
    let tests = select_unit_tests(db, project, select, exclude);
    let mut jobs = Vec::with_capacity(tests.len());
    let build = models.is_some();
    for test in tests {
        if models.is_some_and(|m| !m.contains(&test.model_id)) {
            continue;
        }
        let uid = test.unique_id.clone();
        let model_parents = parents.get(&test.model_id).cloned().unwrap_or_default();
        parents.insert(uid.clone(), model_parents);
        if build && let Some(ps) = parents.get_mut(&test.model_id) {
            ps.push(uid.clone());
        }
        let at = all
            .iter()
            .position(|id| *id == test.model_id)
            .unwrap_or(all.len());
        all.insert(at, uid.clone());
        let plan = crate::exec::unit_test_render::plan(db, project, &test);
        let schema = plan
            .model_relation
            .as_ref()
            .and_then(|r| r.schema.clone())
            .unwrap_or_else(|| default_schema.to_string());
        jobs.push(Job {
            unique_id: uid.clone(),
            name: test.run_name(),
            original_file_path: test.original_file_path.clone(),
            relation: crate::exec::Relation {
                database: None,
                schema,
                identifier: test.run_name(),
            },
            relation_name: String::new(),
            introspective: false,
            work: super::jobs::Work::UnitTest(Box::new(plan)),
            extras: crate::exec::run::extras::Extras::plan(
                db,
                project,
                crate::db::NodeKey::new(db, uid.as_str()),
            ),
        });
    }
    jobs
}
