//! Infrastructure shared by every role: settings, Postgres, Kafka client configuration, the
//! personal-data vault (crypto-shredding), telemetry, and the relay (event store → Kafka).

pub mod db;
pub mod kafka;
pub mod relay;
pub mod settings;
pub mod telemetry;
pub mod vault;

pub use settings::CommonSettings;
