"""Reduce a dbt manifest.json to the stable per-node keys dbtc's tests compare.

Output: {unique_id: row} for every enabled node (models, tests, seeds, snapshots,
analyses, operations) and source, sorted by unique_id. Disabled nodes are not in
the manifest's node list.
With --disabled, prints instead the sorted unique_ids of the disabled nodes
(manifest["disabled"]), so a dbt engine can check that it disables the same ones.
With --depends-on-macros, prints {unique_id: sorted depends_on.macros} of the nodes and of
the project's and packages' macros.

Per row:
  - the identity / relation keys in KEYS (when dbt has them for that resource type);
  - config: the keys in CONFIG_KEYS plus every key the user set explicitly
    (i.e. present in unrendered_config -- this is how unknown/custom config
    keys such as `+sla_hours` show up), with their *rendered* values from config;
  - depends_on: sorted depends_on.nodes; depends_on_macros: sorted depends_on.macros;
  - columns: {name: {description, data_type}} for the documented columns;
  - test_metadata (generic tests only);
  - the file, code and property keys in FILE_KEYS (checksum, unrendered_config, raw_code,
    refs, sources, patch_path, contract, ..., and after a compile extra_ctes,
    extra_ctes_injected and compiled_code) as dbt has them;
  - compiled_path relative to the target folder's parent (`target/compiled/...`, whatever
    --target-path the golden run used);
  - created_at as its type name ("float"): the value is a time.
root_path and the other machine-dependent keys are left out.
Macros of the project and its packages (not dbt's internal ones): MACRO_KEYS (with
depends_on, the macros dbt's static parser finds a macro calling) and created_at.
"""
import json
import sys

KEYS = ["resource_type", "package_name", "name", "path", "original_file_path", "fqn",
        "database", "schema", "alias", "relation_name", "tags", "description",
        # sources
        "source_name", "identifier", "quoting", "loader", "source_description",
        # tests
        "column_name", "attached_node"]
FILE_KEYS = ["checksum", "unrendered_config", "raw_code", "language", "build_path", "doc_blocks",
             "refs", "sources", "patch_path", "docs", "group", "metrics", "functions", "contract",
             "access", "constraints", "version", "latest_version", "deprecation_date",
             "time_spine", "file_key_name", "primary_key",
             # sources
             "source_meta", "loaded_at_field", "loaded_at_query", "external", "freshness",
             "unrendered_schema", "unrendered_database",
             # compiled nodes (the goldens come from `dbt compile`): ephemeral models
             # injected as CTEs, and the SQL with them
             "extra_ctes", "extra_ctes_injected", "compiled_code"]
CONFIG_KEYS = ["materialized", "enabled", "tags", "meta", "schema", "alias", "database",
               "unique_key", "incremental_strategy", "on_schema_change", "severity",
               "static_analysis", "full_refresh", "pre-hook", "post-hook", "column_types",
               "quote_columns", "persist_docs", "docs", "where", "strategy", "updated_at",
               "target_schema", "target_database"]


def reduce_node(node):
    row = {k: node.get(k) for k in KEYS if k in node}
    config = node.get("config", {})
    keys = set(CONFIG_KEYS) | set(node.get("unrendered_config", {}))
    row["config"] = {k: config[k] for k in sorted(keys) if k in config}
    depends = node.get("depends_on", {})
    row["depends_on"] = sorted(depends.get("nodes", []))
    row["depends_on_macros"] = sorted(depends.get("macros", []))
    row["columns"] = {name: {"description": col.get("description", ""),
                             "data_type": col.get("data_type")}
                      for name, col in node.get("columns", {}).items()}
    if node.get("test_metadata"):
        row["test_metadata"] = node["test_metadata"]
    for key in FILE_KEYS:
        if key in node:
            row[key] = node[key]
    if "compiled_path" in node:
        path = node["compiled_path"]
        if path is not None and "/compiled/" in path:
            path = "target" + path[path.index("/compiled/"):]
        row["compiled_path"] = path
    if "created_at" in node:
        row["created_at"] = type(node["created_at"]).__name__
    return row


manifest = json.load(open(sys.argv[1]))
if "--depends-on-macros" in sys.argv[2:]:
    # depends_on.macros of every node and of the project's and packages' macros (for a
    # manifest of `dbt parse`, which differs from a compile's for tests).
    rows = {uid: sorted(n.get("depends_on", {}).get("macros", []))
            for section in ("nodes", "macros") for uid, n in manifest.get(section, {}).items()
            if n.get("package_name") not in ("dbt", "dbt_duckdb", "dbt_postgres")}
    json.dump(rows, sys.stdout, indent=2, sort_keys=True)
    print()
    sys.exit(0)
if "--disabled" in sys.argv[2:]:
    json.dump(sorted(manifest.get("disabled", {})), sys.stdout, indent=2)
    print()
    sys.exit(0)
out = {}
for section in ("nodes", "sources", "seeds"):
    for uid, node in manifest.get(section, {}).items():
        out[uid] = reduce_node(node)
# Macros of the project and its packages (dbt's own adapters' macros are dbt's code, and
# dbtc ships its own built-ins).
INTERNAL_PACKAGES = {"dbt", "dbt_duckdb", "dbt_postgres"}
MACRO_KEYS = ["name", "resource_type", "package_name", "path", "original_file_path",
              "macro_sql", "description", "meta", "docs", "patch_path", "arguments",
              "supported_languages", "depends_on"]
for uid, mac in manifest.get("macros", {}).items():
    if mac.get("package_name") in INTERNAL_PACKAGES:
        continue
    row = {k: mac.get(k) for k in MACRO_KEYS if k in mac}
    if "created_at" in mac:
        row["created_at"] = type(mac["created_at"]).__name__
    out[uid] = row
for uid, doc in manifest.get("docs", {}).items():
    if doc.get("package_name") == "dbt":
        continue  # dbt's own docs (overview); dbtc does not ship them
    out[uid] = {k: doc.get(k) for k in ("name", "package_name", "original_file_path", "block_contents")}
json.dump({k: out[k] for k in sorted(out)}, sys.stdout, indent=2, sort_keys=True)
print()
