//! The SQL of dbt's snapshot materialization: the first build's select (`build_snapshot_table`)
//! and the staging query of later runs (`snapshot_staging_table`), with `hard_deletes`
//! `invalidate` (close the rows whose key disappeared) and `new_record` (also insert a
//! `dbt_is_deleted = 'True'` version of them, and a new version when they come back).

use super::{HardDeletes, SnapshotConfig};
use crate::exec::run::incremental::UniqueKey;

/// The first build: the query with dbt's meta columns.
pub(super) fn build_table_sql(config: &SnapshotConfig, sql: &str, now: &str) -> String {
    let u = config.updated_at(now);
    let deleted = if config.hard_deletes == HardDeletes::NewRecord {
        ",\n    'False' as dbt_is_deleted"
    } else {
        ""
    };
    format!(
        "select *,\n    {} as dbt_scd_id,\n    {u} as dbt_updated_at,\n    {u} as dbt_valid_from,\n    coalesce(nullif({u}, {u}), null) as dbt_valid_to{deleted}\nfrom (\n{sql}\n) sbq",
        config.scd_id(now)
    )
}

/// The column names `hard_deletes: new_record` reads: the query's and the table's.
pub(super) struct Names<'a> {
    pub query: &'a [String],
    pub table: &'a [String],
}

/// dbt's `snapshot_staging_table`: the rows to insert (new keys and new versions) and to
/// close (changed keys; deleted keys unless `hard_deletes: ignore`).
pub(super) fn staging_sql(
    config: &SnapshotConfig,
    sql: &str,
    target: &str,
    row_changed: &str,
    now: &str,
    names: &Names<'_>,
    quote: &dyn Fn(&str) -> String,
) -> String {
    let (source_columns, target_columns) = (names.query, names.table);
    let u = config.updated_at(now);
    let keys = config.key_fields();
    let join = config.key_join("snapshotted_data", "source_data");
    let new_record = config.hard_deletes == HardDeletes::NewRecord;
    let deletes = config.hard_deletes != HardDeletes::Ignore;
    let mut out = format!(
        "with snapshot_query as (\n{sql}\n),\nsnapshotted_data as (\n    select *, {keys}\n    from {target}\n    where dbt_valid_to is null\n),\ninsertions_source_data as (\n    select *, {keys},\n        {u} as dbt_updated_at,\n        {u} as dbt_valid_from,\n        coalesce(nullif({u}, {u}), null) as dbt_valid_to,\n        {scd} as dbt_scd_id\n    from snapshot_query\n),\nupdates_source_data as (\n    select *, {keys},\n        {u} as dbt_updated_at,\n        {u} as dbt_valid_from,\n        {u} as dbt_valid_to\n    from snapshot_query\n),\n",
        scd = config.scd_id(now)
    );
    if deletes {
        out.push_str(&format!(
            "deletes_source_data as (\n    select *, {keys}\n    from snapshot_query\n),\n"
        ));
    }
    // A row deleted before (new_record) counts as changed when it comes back.
    let changed = if new_record {
        format!("{row_changed} or snapshotted_data.dbt_is_deleted = 'True'")
    } else {
        row_changed.to_string()
    };
    let (insert_flag, keep_flag) = if new_record {
        (
            ",\n        'False' as dbt_is_deleted",
            ",\n        snapshotted_data.dbt_is_deleted",
        )
    } else {
        ("", "")
    };
    out.push_str(&format!(
        "insertions as (\n    select 'insert' as dbt_change_type, source_data.*{insert_flag}\n    from insertions_source_data as source_data\n    left outer join snapshotted_data\n        on {join}\n    where {} or ({} and ({changed}))\n),\nupdates as (\n    select 'update' as dbt_change_type, source_data.*, snapshotted_data.dbt_scd_id{keep_flag}\n    from updates_source_data as source_data\n    join snapshotted_data\n        on {join}\n    where ({changed})\n)",
        config.key_null("snapshotted_data", true),
        config.key_null("snapshotted_data", false),
    ));
    // The latest version already says deleted: nothing more to record.
    let not_deleted_already = if new_record {
        "\n    and not (snapshotted_data.dbt_is_deleted = 'True' and snapshotted_data.dbt_valid_to is null)"
    } else {
        ""
    };
    if deletes {
        out.push_str(&format!(
            ",\ndeletes as (\n    select 'delete' as dbt_change_type, source_data.*,\n        {now} as dbt_valid_from,\n        {now} as dbt_updated_at,\n        {now} as dbt_valid_to,\n        snapshotted_data.dbt_scd_id{keep_flag}\n    from snapshotted_data\n    left join deletes_source_data as source_data\n        on {join}\n    where {}{not_deleted_already}\n)",
            config.key_null("source_data", true)
        ));
    }
    if new_record {
        let mut fields: Vec<String> = source_columns
            .iter()
            .map(|c| {
                let side = if target_columns.contains(c) {
                    "snapshotted_data"
                } else {
                    "source_data"
                };
                format!("{side}.{}", quote(c))
            })
            .collect();
        match &config.unique_key {
            UniqueKey::Many(keys) => fields.extend(
                keys.iter()
                    .enumerate()
                    .map(|(i, k)| format!("snapshotted_data.{k} as dbt_unique_key_{}", i + 1)),
            ),
            _ => fields.push("snapshotted_data.dbt_unique_key as dbt_unique_key".into()),
        }
        let new_scd = format!(
            "md5(coalesce(cast(dbt_scd_id as varchar ), '') || '|' || coalesce(cast({now} as varchar ), ''))"
        );
        out.push_str(&format!(
            ",\ndeletion_records as (\n    select 'insert' as dbt_change_type,\n        {},\n        {now} as dbt_valid_from,\n        {now} as dbt_updated_at,\n        snapshotted_data.dbt_valid_to as dbt_valid_to,\n        {new_scd} as dbt_scd_id,\n        'True' as dbt_is_deleted\n    from snapshotted_data\n    left join deletes_source_data as source_data\n        on {join}\n    where {}{not_deleted_already}\n)",
            fields.join(",\n        "),
            config.key_null("source_data", true)
        ));
    }
    out.push_str("\nselect * from insertions\nunion all\nselect * from updates");
    if deletes {
        out.push_str("\nunion all\nselect * from deletes");
    }
    if new_record {
        out.push_str("\nunion all\nselect * from deletion_records");
    }
    out
}
