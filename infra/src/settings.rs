//! Typed settings, from flags or `HIRELEDGER_*` environment variables, with safe local defaults.

use secrecy::SecretString;

/// Development master key (hex, 32 bytes). Used only when none is configured; `serve` and `up`
/// log a warning when it is in effect. Production must set `HIRELEDGER_MASTER_KEY`.
pub const DEV_MASTER_KEY: &str = "6869726564656c65646765722d6465762d6d61737465722d6b65792d30303031";

/// Settings every role needs: where the event store and the broker are, and the master key.
#[derive(clap::Args, Clone, Debug)]
pub struct CommonSettings {
    /// PostgreSQL URL of the event store and read models.
    #[arg(
        long,
        env = "HIRELEDGER_DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/hireledger"
    )]
    pub database_url: SecretString,

    /// Maximum connections in this process's pool.
    #[arg(
        long,
        env = "HIRELEDGER_DATABASE_MAX_CONNECTIONS",
        default_value_t = 16
    )]
    pub database_max_connections: u32,

    /// Kafka bootstrap servers.
    #[arg(
        long,
        env = "HIRELEDGER_KAFKA_BROKERS",
        default_value = "127.0.0.1:9092"
    )]
    pub kafka_brokers: String,

    /// Prefix of every topic name (`<prefix>.<aggregate type>`).
    #[arg(long, env = "HIRELEDGER_TOPIC_PREFIX", default_value = "hireledger")]
    pub topic_prefix: String,

    /// Partitions of the event topics when the relay creates them.
    #[arg(long, env = "HIRELEDGER_TOPIC_PARTITIONS", default_value_t = 3)]
    pub topic_partitions: i32,

    /// Master key (64 hex characters) that wraps every person's data key.
    #[arg(long, env = "HIRELEDGER_MASTER_KEY", default_value = DEV_MASTER_KEY, hide_default_value = true)]
    pub master_key: SecretString,
}

impl CommonSettings {
    /// Kafka topic of an aggregate type's events.
    pub fn topic_for(&self, aggregate_type: &str) -> String {
        topic_name(&self.topic_prefix, aggregate_type)
    }
}

/// `<prefix>.<aggregate type>`; the single place topic names are made.
pub fn topic_name(prefix: &str, aggregate_type: &str) -> String {
    format!("{prefix}.{aggregate_type}")
}

impl CommonSettings {
    /// Whether the built-in development master key is in effect.
    pub fn master_key_is_dev_default(&self) -> bool {
        use secrecy::ExposeSecret;
        self.master_key.expose_secret() == DEV_MASTER_KEY
    }
}
