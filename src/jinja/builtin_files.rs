//! dbtc's own built-in dbt macros (package `dbt`), embedded in the binary.

pub const FILES: &[(&str, &str)] = &[
    ("aggregates.sql", include_str!("macros/aggregates.sql")),
    ("arrays.sql", include_str!("macros/arrays.sql")),
    ("configs.sql", include_str!("macros/configs.sql")),
    ("dates.sql", include_str!("macros/dates.sql")),
    ("naming.sql", include_str!("macros/naming.sql")),
    ("relations.sql", include_str!("macros/relations.sql")),
    ("sets.sql", include_str!("macros/sets.sql")),
    ("strings.sql", include_str!("macros/strings.sql")),
    ("tests.sql", include_str!("macros/tests.sql")),
    ("types.sql", include_str!("macros/types.sql")),
];
