//! The database schema, as sqlx migrations embedded in the binary.

/// Every migration in `migrations/sql`, applied in order by `hireledger migrate` and by tests.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./sql");
