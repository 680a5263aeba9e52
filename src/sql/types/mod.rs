//! The DuckDB type system as the binder sees it.
//!
//! Spelling follows DuckDB's `DESCRIBE` output (the oracle of the differential tests in
//! `tests/sql_types.rs`), so `SqlType::to_string()` is what `DESCRIBE` prints for the same
//! column. Implicit casts, the max type of two values and comparison types follow DuckDB 1.5
//! (`cast.rs`, `max.rs`); parsing of type names (`parse.rs`) accepts every spelling DuckDB does.

pub(crate) mod cast;
mod display;
mod max;
mod parse;

pub use cast::implicit_cast_cost;
pub use max::{CompareOp, compare_type, comparison_type, max_type, max_type_of};

/// A DuckDB logical type. `Unknown` is the type of anything the binder cannot see into
/// (opaque relations, unknown functions): it is compatible with everything, so it never
/// causes a diagnostic.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SqlType {
    /// The type of the `NULL` literal before it is cast to something else. A projected
    /// `NULL` column is `INTEGER` in DuckDB (see [`SqlType::materialized`]).
    Null,
    Boolean,
    TinyInt,
    SmallInt,
    Integer,
    BigInt,
    HugeInt,
    UTinyInt,
    USmallInt,
    UInteger,
    UBigInt,
    UHugeInt,
    Float,
    Double,
    Decimal {
        width: u8,
        scale: u8,
    },
    Varchar,
    Blob,
    Date,
    Time,
    TimeTz,
    Timestamp,
    TimestampS,
    TimestampMs,
    TimestampNs,
    TimestampTz,
    Interval,
    Uuid,
    /// DuckDB's `JSON`: a VARCHAR with the alias `JSON`, which changes implicit casts.
    Json,
    Bit,
    List(Box<SqlType>),
    Array(Box<SqlType>, u32),
    Struct(Vec<(String, SqlType)>),
    Map(Box<SqlType>, Box<SqlType>),
    Union(Vec<(String, SqlType)>),
    Enum(Vec<String>),
    /// Any other named type the binder does not model, spelled as DESCRIBE prints it
    /// (`BIGNUM`, `TIME_NS`, `GEOMETRY`, `VARIANT`, extension types, ...).
    Other(String),
    Unknown,
}

impl SqlType {
    pub fn is_unknown(&self) -> bool {
        matches!(self, SqlType::Unknown)
    }

    /// True when the type is or contains `Unknown`.
    pub fn contains_unknown(&self) -> bool {
        match self {
            SqlType::Unknown => true,
            SqlType::List(e) | SqlType::Array(e, _) => e.contains_unknown(),
            SqlType::Map(k, v) => k.contains_unknown() || v.contains_unknown(),
            SqlType::Struct(f) | SqlType::Union(f) => f.iter().any(|(_, t)| t.contains_unknown()),
            _ => false,
        }
    }

    /// The integer types (signed and unsigned, up to 128 bits).
    pub fn is_integral(&self) -> bool {
        matches!(
            self,
            SqlType::TinyInt
                | SqlType::SmallInt
                | SqlType::Integer
                | SqlType::BigInt
                | SqlType::HugeInt
                | SqlType::UTinyInt
                | SqlType::USmallInt
                | SqlType::UInteger
                | SqlType::UBigInt
                | SqlType::UHugeInt
        )
    }

    /// Integers, DECIMAL, FLOAT and DOUBLE.
    pub fn is_numeric(&self) -> bool {
        self.is_integral()
            || matches!(
                self,
                SqlType::Float | SqlType::Double | SqlType::Decimal { .. }
            )
    }

    /// The DECIMAL width and scale that holds every value of this type (DuckDB's
    /// `GetDecimalProperties`): integers are `DECIMAL(w,0)`, BOOLEAN is `DECIMAL(1,0)`.
    pub fn decimal_properties(&self) -> Option<(u8, u8)> {
        Some(match self {
            SqlType::Null => (0, 0),
            SqlType::Boolean => (1, 0),
            SqlType::TinyInt | SqlType::UTinyInt => (3, 0),
            SqlType::SmallInt | SqlType::USmallInt => (5, 0),
            SqlType::Integer | SqlType::UInteger => (10, 0),
            SqlType::BigInt => (19, 0),
            SqlType::UBigInt => (20, 0),
            SqlType::HugeInt | SqlType::UHugeInt => (38, 0),
            SqlType::Decimal { width, scale } => (*width, *scale),
            _ => return None,
        })
    }

    /// The type DuckDB gives a value of this type once it becomes a column: a bare `NULL`
    /// is stored as `INTEGER` (also inside lists, structs and maps), which is what
    /// `DESCRIBE SELECT NULL` prints.
    pub fn materialized(&self) -> SqlType {
        match self {
            SqlType::Null => SqlType::Integer,
            SqlType::List(e) => SqlType::List(Box::new(e.materialized())),
            SqlType::Array(e, n) => SqlType::Array(Box::new(e.materialized()), *n),
            SqlType::Map(k, v) => {
                SqlType::Map(Box::new(k.materialized()), Box::new(v.materialized()))
            }
            SqlType::Struct(f) => SqlType::Struct(
                f.iter()
                    .map(|(n, t)| (n.clone(), t.materialized()))
                    .collect(),
            ),
            SqlType::Union(f) => SqlType::Union(
                f.iter()
                    .map(|(n, t)| (n.clone(), t.materialized()))
                    .collect(),
            ),
            t => t.clone(),
        }
    }
}

/// What DuckDB's binder knows about a literal, which changes implicit casts: an integer
/// literal fits any numeric type that holds its value, a string literal casts implicitly
/// to any type, and `NULL` to anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Literal {
    #[default]
    No,
    Integer(i128),
    String,
    Null,
}

/// An expression's type as the binder computes it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Typed {
    pub ty: SqlType,
    pub literal: Literal,
}

impl Typed {
    pub fn new(ty: SqlType) -> Typed {
        Typed {
            ty,
            literal: Literal::No,
        }
    }

    pub fn unknown() -> Typed {
        Typed::new(SqlType::Unknown)
    }

    /// The typed form of an integer literal as DuckDB types it: INTEGER when it fits in
    /// 32 bits, else BIGINT, else HUGEINT.
    pub fn integer_literal(v: i128) -> Typed {
        let ty = if i32::try_from(v).is_ok() {
            SqlType::Integer
        } else if i64::try_from(v).is_ok() {
            SqlType::BigInt
        } else {
            SqlType::HugeInt
        };
        Typed {
            ty,
            literal: Literal::Integer(v),
        }
    }

    /// A string literal (`'abc'`): VARCHAR that casts implicitly to anything.
    pub fn string_literal() -> Typed {
        Typed {
            ty: SqlType::Varchar,
            literal: Literal::String,
        }
    }

    /// The `NULL` literal.
    pub fn null() -> Typed {
        Typed {
            ty: SqlType::Null,
            literal: Literal::Null,
        }
    }
}
