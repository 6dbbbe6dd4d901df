//! One small declarative macro that lists an aggregate's published events once, so that the event
//! type literal, the variant, the payload struct, decoding and the JSON Schema can never disagree.

/// Declares the enum of one aggregate's published events (version 1 forms) and its plumbing:
/// `AGGREGATE_TYPE`, `EVENT_TYPES`, `event_type()`, `payload()`, `from_payload()` (bare struct JSON
/// in, keyed by event type) and `json_schemas()` (for the generated documents).
///
/// The event type literals are the domain's `DomainEvent::event_type()` values; they never change.
macro_rules! published_events {
    (
        $(#[$meta:meta])*
        pub enum $name:ident for $aggregate:literal {
            $( $event_type:literal => $variant:ident($form:ty), )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq)]
        pub enum $name {
            $( $variant($form), )+
        }

        impl $name {
            /// The aggregate type (`Aggregate::TYPE`), also the suffix of the Kafka topic.
            pub const AGGREGATE_TYPE: &'static str = $aggregate;

            /// Every event type of this aggregate, in declaration order.
            pub const EVENT_TYPES: &'static [&'static str] = &[$( $event_type ),+];

            /// The event type (`DomainEvent::event_type()`), e.g. `UserRegistered`.
            pub fn event_type(&self) -> &'static str {
                match self {
                    $( Self::$variant(_) => $event_type, )+
                }
            }

            /// The published payload: the bare struct as JSON, without an enum tag.
            pub fn payload(&self) -> Result<serde_json::Value, $crate::SchemaError> {
                Ok(match self {
                    $( Self::$variant(e) => serde_json::to_value(e)?, )+
                })
            }

            /// Reads a published payload whose event type came from the CloudEvents type.
            pub(crate) fn from_payload(
                event_type: &str,
                payload: &[u8],
            ) -> Result<Self, $crate::SchemaError> {
                match event_type {
                    $( $event_type => Ok(Self::$variant(serde_json::from_slice(payload)?)), )+
                    _ => Err($crate::SchemaError::UnknownEvent {
                        aggregate_type: $aggregate.to_owned(),
                        event_type: event_type.to_owned(),
                    }),
                }
            }

            /// `(event type, JSON Schema of its payload)` for every event, in declaration order.
            pub(crate) fn json_schemas() -> Vec<(&'static str, schemars::Schema)> {
                vec![$( ($event_type, schemars::schema_for!($form)), )+]
            }
        }
    };
}
