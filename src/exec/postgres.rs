//! The Postgres adapter (`type: postgres` profiles), through the synchronous `postgres`
//! client: `host` (a name, an address or a Unix socket folder), `port`, `user`, `password`
//! (normally `{{ env_var(...) }}`), `dbname`, `schema`, `sslmode`, `sslrootcert`, `sslcert`,
//! `sslkey` (TLS as libpq does it: see [`tls`]), `keepalives_idle`, `connect_timeout`,
//! `search_path`, `role`.
//!
//! Postgres has transactional DDL, so materializations build, swap and drop in one
//! transaction (dbt-postgres's `__dbt_tmp`/`__dbt_backup` rename dance): see
//! `super::transactional`.

mod tls;
mod values;

use std::time::Duration;

use postgres::types::Type;
use postgres::{Client, Config, SimpleQueryMessage};
use serde_json::{Map, Value};

use super::{Adapter, Column, QueryResult, Relation};
use crate::project::profiles::Target;

use tls::{Tls, TlsKeys};

pub struct PostgresAdapter {
    client: Client,
}

/// A client error as the user should read it: the server's severity, message, detail
/// and hint when the server sent an error, otherwise the client's error and its cause.
fn err(e: postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        let mut out = format!("{}: {}", db.severity(), db.message());
        if let Some(detail) = db.detail() {
            out.push_str(&format!("\nDETAIL: {detail}"));
        }
        if let Some(hint) = db.hint() {
            out.push_str(&format!("\nHINT: {hint}"));
        }
        return out;
    }
    let mut out = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        out.push_str(&format!(": {s}"));
        source = s.source();
    }
    out
}

fn text(fields: &Map<String, Value>, key: &str) -> Option<String> {
    match fields.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn seconds(fields: &Map<String, Value>, key: &str) -> Result<Option<Duration>, String> {
    match text(fields, key) {
        None => Ok(None),
        Some(s) => s
            .trim()
            .parse::<u64>()
            .map(|n| Some(Duration::from_secs(n)))
            .map_err(|_| format!("`{key}` must be a number of seconds, got `{s}`")),
    }
}

/// The client configuration for a target, its TLS settings, and a printable summary of
/// them (never the password).
pub fn client_config(target: &Target) -> Result<(Config, Tls, String), String> {
    let f = &target.fields;
    let mut config = Config::new();
    let host = text(f, "host").ok_or("profile field `host` is missing")?;
    config.host(&host);
    let port = match text(f, "port") {
        None => 5432,
        Some(p) => p
            .trim()
            .parse::<u16>()
            .map_err(|_| format!("`port` must be a port number, got `{p}`"))?,
    };
    config.port(port);
    let user = text(f, "user").ok_or("profile field `user` is missing")?;
    config.user(&user);
    if let Some(password) = text(f, "password").or_else(|| text(f, "pass")) {
        config.password(password);
    }
    let dbname = text(f, "dbname")
        .or_else(|| text(f, "database"))
        .ok_or("profile field `dbname` is missing")?;
    config.dbname(&dbname);
    config.application_name("dbtc");
    // dbt-postgres's default.
    config.connect_timeout(seconds(f, "connect_timeout")?.unwrap_or(Duration::from_secs(10)));
    if let Some(idle) = seconds(f, "keepalives_idle")? {
        if idle.is_zero() {
            config.keepalives(false);
        } else {
            config.keepalives(true);
            config.keepalives_idle(idle);
        }
    }
    let keys = TlsKeys {
        sslmode: text(f, "sslmode"),
        sslrootcert: text(f, "sslrootcert"),
        sslcert: text(f, "sslcert"),
        sslkey: text(f, "sslkey"),
    }
    .with_env();
    let tls = Tls::new(&keys, &host)?;
    if let Some(path) = text(f, "search_path").filter(|s| !s.is_empty()) {
        // As dbt-postgres: `options='-c search_path=...'` (spaces escaped for libpq).
        config.options(&format!("-c search_path={}", path.replace(' ', "\\ ")));
    }
    let mut summary = format!(
        "host={host} port={port} user={user} dbname={dbname} schema={} sslmode={}",
        target.schema,
        keys.sslmode.as_deref().unwrap_or("prefer").trim()
    );
    if let Some(root) = &tls.rootcert {
        summary.push_str(&format!(" sslrootcert={}", root.display()));
    }
    Ok((config, tls, summary))
}

impl PostgresAdapter {
    /// information_schema.columns of `schema.table` (no schema: this session's temporary
    /// schema), formatted as dbt-postgres's `Column.data_type`.
    fn columns_where(&mut self, schema: Option<&str>, table: &str) -> Result<Vec<Column>, String> {
        let rows = self
            .client
            .query(
                "select column_name::text, data_type::text, \
                 character_maximum_length::int, numeric_precision::int, numeric_scale::int \
                 from information_schema.columns \
                 where table_schema = coalesce($1::text, \
                     (select nspname::text from pg_namespace where oid = pg_my_temp_schema())) \
                 and table_name = $2 order by ordinal_position",
                &[&schema, &table],
            )
            .map_err(err)?;
        Ok(rows
            .iter()
            .map(|row| {
                let name: String = row.get(0);
                let ty: String = row.get(1);
                let len: Option<i32> = row.get(2);
                let precision: Option<i32> = row.get(3);
                let scale: Option<i32> = row.get(4);
                let data_type = match (ty.as_str(), len, precision, scale) {
                    ("character varying" | "character", Some(n), _, _) => format!("{ty}({n})"),
                    ("numeric", _, Some(p), Some(s)) => format!("numeric({p},{s})"),
                    _ => ty,
                };
                Column { name, data_type }
            })
            .collect())
    }

    pub fn open(target: &Target) -> Result<PostgresAdapter, String> {
        let (mut config, tls, summary) = client_config(target)?;
        let mut client = tls
            .connect(&mut config)
            .map_err(|e| format!("could not connect ({summary}): {e}"))?;
        if let Some(role) = text(&target.fields, "role").filter(|s| !s.is_empty()) {
            client
                .batch_execute(&format!("set role \"{}\"", role.replace('"', "\"\"")))
                .map_err(err)?;
        }
        Ok(PostgresAdapter { client })
    }
}

/// A value the server sent as text, as JSON for its type.
fn to_json(ty: &Type, text: Option<&str>) -> Value {
    let Some(text) = text else {
        return Value::Null;
    };
    match *ty {
        Type::BOOL => Value::Bool(text == "t"),
        Type::INT2 | Type::INT4 | Type::INT8 | Type::OID => text
            .parse::<i64>()
            .map_or_else(|_| Value::String(text.into()), Value::from),
        // A whole `numeric` is psycopg2's Decimal('7'): it prints as the integer.
        Type::NUMERIC if text.parse::<i64>().is_ok() => {
            text.parse::<i64>().map_or(Value::Null, Value::from)
        }
        Type::FLOAT4 | Type::FLOAT8 | Type::NUMERIC => text
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or_else(|| Value::String(text.into()), Value::Number),
        // As dbt-postgres's agate table holds them: str() of psycopg2's Python value, a
        // list's json.dumps.
        Type::INTERVAL => Value::String(values::timedelta(text).unwrap_or_else(|| text.into())),
        Type::TIME | Type::TIMETZ => {
            Value::String(values::time(text).unwrap_or_else(|| text.into()))
        }
        _ => Value::String(values::array(ty, text).unwrap_or_else(|| text.into())),
    }
}

impl Adapter for PostgresAdapter {
    fn adapter_type(&self) -> &'static str {
        "postgres"
    }

    fn execute(&mut self, sql: &str) -> Result<(), String> {
        self.client.batch_execute(sql).map_err(err)
    }

    fn query(&mut self, sql: &str) -> Result<QueryResult, String> {
        // Prepared only to learn the result's column types; the simple protocol then
        // returns every value as text, whatever its type.
        let stmt = self.client.prepare(sql).map_err(err)?;
        let columns: Vec<Column> = stmt
            .columns()
            .iter()
            .map(|c| Column {
                name: c.name().to_string(),
                data_type: c.type_().name().to_string(),
            })
            .collect();
        let types: Vec<Type> = stmt.columns().iter().map(|c| c.type_().clone()).collect();
        let mut rows = Vec::new();
        for message in self.client.simple_query(sql).map_err(err)? {
            if let SimpleQueryMessage::Row(row) = message {
                rows.push(
                    types
                        .iter()
                        .enumerate()
                        .map(|(i, ty)| to_json(ty, row.get(i)))
                        .collect(),
                );
            }
        }
        Ok(QueryResult { columns, rows })
    }

    fn relation_kind(&mut self, relation: &Relation) -> Result<Option<String>, String> {
        let rows = self
            .client
            .query(
                "select table_type::text from information_schema.tables \
                 where table_schema = $1 and table_name = $2",
                &[&relation.schema, &relation.identifier],
            )
            .map_err(err)?;
        Ok(rows.first().map(|row| {
            let t: String = row.get(0);
            if t == "VIEW" { "view" } else { "table" }.to_string()
        }))
    }

    /// As dbt-postgres's `get_columns_in_relation`: information_schema's data_type, with
    /// the length of character types and the precision of numeric ones.
    fn columns(&mut self, relation: &Relation) -> Result<Vec<Column>, String> {
        self.columns_where(Some(&relation.schema), &relation.identifier)
    }

    /// A temporary table's columns (in this session's `pg_temp_N` schema).
    fn temp_columns(&mut self, name: &str) -> Result<Vec<Column>, String> {
        self.columns_where(None, name)
    }

    fn begin(&mut self) -> Result<(), String> {
        self.execute("BEGIN")
    }

    fn transactional_ddl(&self) -> bool {
        true
    }

    fn drop_cascade(&self) -> &'static str {
        " CASCADE"
    }

    fn seed_type(&self, inferred: &str) -> String {
        // dbt's SQLAdapter type conversions, which dbt-postgres keeps.
        match inferred {
            "INTEGER" => "integer",
            "DOUBLE" => "float8",
            "DATE" => "date",
            "TIMESTAMP" => "timestamp without time zone",
            "BOOLEAN" => "boolean",
            _ => "text",
        }
        .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(fields: Value) -> Target {
        let mut t = Target::fallback("p");
        t.adapter_type = "postgres".into();
        t.fields = fields.as_object().unwrap().clone();
        t
    }

    #[test]
    fn config_from_profile_never_shows_the_password() {
        let t = target(serde_json::json!({
            "host": "127.0.0.1", "port": 5433, "user": "u", "password": "s3cret",
            "dbname": "d", "keepalives_idle": 30, "search_path": "a, b", "connect_timeout": "5",
        }));
        let (config, _, summary) = client_config(&t).unwrap();
        assert_eq!(config.get_ports(), [5433]);
        assert_eq!(config.get_password(), Some(&b"s3cret"[..]));
        assert_eq!(config.get_options(), Some("-c search_path=a,\\ b"));
        assert_eq!(config.get_connect_timeout(), Some(&Duration::from_secs(5)));
        assert!(!summary.contains("s3cret"), "{summary}");
        let missing = target(serde_json::json!({"host": "h", "dbname": "d"}));
        assert!(client_config(&missing).err().unwrap().contains("`user`"));
    }

    fn tls_error(fields: Value) -> String {
        let mut all = serde_json::json!({"host": "h", "user": "u", "dbname": "d"});
        all.as_object_mut()
            .unwrap()
            .extend(fields.as_object().unwrap().clone());
        match client_config(&target(all)) {
            Ok(_) => panic!("accepted {fields}"),
            Err(e) => e,
        }
    }

    #[test]
    fn sslmode_values_as_libpq() {
        for (mode, want) in [
            ("disable", tls::SslMode::Disable),
            ("allow", tls::SslMode::Allow),
            ("prefer", tls::SslMode::Prefer),
            ("require", tls::SslMode::Require),
        ] {
            let t = target(
                serde_json::json!({"host": "h", "user": "u", "dbname": "d", "sslmode": mode}),
            );
            let (_, tls, summary) = client_config(&t).unwrap();
            assert_eq!(tls.mode, want);
            assert!(summary.contains(&format!("sslmode={mode}")), "{summary}");
        }
        // A Unix socket never uses TLS, whatever the mode (libpq ignores sslmode there).
        let socket = target(serde_json::json!({
            "host": "/tmp", "user": "u", "dbname": "d", "sslmode": "verify-full",
        }));
        assert!(client_config(&socket).is_ok());
        let e = tls_error(serde_json::json!({"sslmode": "on"}));
        assert!(e.contains("must be one of"), "{e}");
        let e = tls_error(
            serde_json::json!({"sslmode": "verify-ca", "sslrootcert": "/nonexistent/root.crt"}),
        );
        assert!(
            e.contains("`sslrootcert` file `/nonexistent/root.crt` does not exist"),
            "{e}"
        );
        let e = tls_error(serde_json::json!({"sslmode": "require", "sslrootcert": "system"}));
        assert!(e.contains("not supported"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        let not_pem = dir.path().join("root.crt");
        std::fs::write(&not_pem, "not a certificate").unwrap();
        let e = tls_error(serde_json::json!({
            "sslmode": "verify-full", "sslrootcert": not_pem.to_str().unwrap(),
        }));
        assert!(e.contains("no PEM certificate"), "{e}");
        let e = tls_error(serde_json::json!({"sslcert": "/nonexistent/client.crt"}));
        assert!(e.contains("`sslcert` file"), "{e}");
    }

    #[test]
    fn values_by_type() {
        assert_eq!(to_json(&Type::BOOL, Some("t")), Value::Bool(true));
        assert_eq!(to_json(&Type::INT8, Some("42")), Value::from(42));
        assert_eq!(to_json(&Type::NUMERIC, Some("1.5")), Value::from(1.5));
        assert_eq!(to_json(&Type::NUMERIC, Some("7")), Value::from(7));
        assert_eq!(
            to_json(&Type::INTERVAL, Some("1 day 02:00:00")),
            Value::from("1 day, 2:00:00")
        );
        assert_eq!(
            to_json(&Type::INT4_ARRAY, Some("{1,NULL}")),
            Value::from("[1, null]")
        );
        assert_eq!(to_json(&Type::TEXT, None), Value::Null);
        assert_eq!(
            to_json(&Type::DATE, Some("2024-01-02")),
            Value::from("2024-01-02")
        );
    }
}
