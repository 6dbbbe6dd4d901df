//! Two small declarative macros that list things once, so that nothing can disagree:
//! - [`published_events!`]: one aggregate's published events (the event type literal, the variant,
//!   the payload struct, decoding, reading the stored form and the JSON Schema);
//! - [`published_aggregates!`]: every published aggregate (the [`crate::PublishedEvent`] enum and
//!   its dispatch by aggregate type).

/// Declares the enum of one aggregate's published events (version 1 forms) and its plumbing:
/// `AGGREGATE_TYPE`, `EVENT_TYPES`, `AGGREGATE`, `event_type()`, `payload()`, `from_payload()`
/// (bare struct JSON in, keyed by event type), `from_stored()` (current stored form in, read with
/// the domain enum) and `json_schemas()` (for the generated documents).
///
/// The event type literals are the domain's `DomainEvent::event_type()` values; they never change.
/// An event whose published form is past version 1 says its major after the literal
/// (`"InterviewCancelled" @ 2 => …`): its CloudEvents type ends in `.v2` and its payload is
/// `<major>.0`. The enum needs a hand-written `From<domain enum>`.
macro_rules! published_events {
    (
        $(#[$meta:meta])*
        pub enum $name:ident for $aggregate:literal {
            domain: $domain:ty,
            summary: $summary:literal,
            events: {
                $( $event_type:literal $(@ $major:literal)? => $variant:ident($form:ty), )+
            }
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

            /// The current published major of each event, in the order of `EVENT_TYPES`.
            pub const EVENT_MAJORS: &'static [u32] = &[$( published_major!($($major)?) ),+];

            /// This aggregate as [`crate::PublishedEvent::AGGREGATES`] lists it.
            pub const AGGREGATE: $crate::PublishedAggregate = $crate::PublishedAggregate {
                aggregate_type: $aggregate,
                summary: $summary,
                event_types: Self::EVENT_TYPES,
                event_majors: Self::EVENT_MAJORS,
            };

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

            /// Reads a current-version stored payload (the externally tagged domain enum) whose
            /// row says `event_type`, and maps it to its published form.
            pub(crate) fn from_stored(
                event_type: &str,
                payload: serde_json::Value,
            ) -> Result<Self, $crate::SchemaError> {
                let event: $domain = serde_json::from_value(payload)?;
                $crate::stored::ensure_event_type(
                    event_type,
                    &<$domain as cqrs_es::DomainEvent>::event_type(&event),
                )?;
                Ok(event.into())
            }

            /// `(event type, JSON Schema of its payload)` for every event, in declaration order.
            pub(crate) fn json_schemas() -> Vec<(&'static str, schemars::Schema)> {
                vec![$( ($event_type, schemars::schema_for!($form)), )+]
            }
        }
    };
}

/// The published major of an event: the one given after its literal, else 1.
macro_rules! published_major {
    () => {
        1
    };
    ($major:literal) => {
        $major
    };
}

/// Declares [`crate::PublishedEvent`], one variant per published aggregate (each holding the enum
/// that [`published_events!`] declared), with its dispatch by aggregate type: `AGGREGATES`,
/// `aggregate_type()`, `event_type()`, `payload()`, `from_stored()`, `from_payload()` and
/// `json_schemas()`.
///
/// Adding an aggregate to the published contract is one line here (see the crate docs).
macro_rules! published_aggregates {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $variant:ident($events:ident), )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq)]
        pub enum $name {
            $( $variant($events), )+
        }

        impl $name {
            /// Every published aggregate with its event types, in declaration order.
            pub const AGGREGATES: &'static [$crate::PublishedAggregate] =
                &[$( $events::AGGREGATE, )+];

            /// `Aggregate::TYPE` of the emitting aggregate (also the topic suffix).
            pub fn aggregate_type(&self) -> &'static str {
                match self {
                    $( Self::$variant(_) => $events::AGGREGATE_TYPE, )+
                }
            }

            /// The event type, e.g. `UserRegistered`.
            pub fn event_type(&self) -> &'static str {
                match self {
                    $( Self::$variant(e) => e.event_type(), )+
                }
            }

            /// The published payload (bare struct JSON).
            pub fn payload(&self) -> Result<serde_json::Value, $crate::SchemaError> {
                match self {
                    $( Self::$variant(e) => e.payload(), )+
                }
            }

            /// Reads a current-version stored payload of `aggregate_type`/`event_type`.
            fn from_stored(
                aggregate_type: &str,
                event_type: &str,
                payload: serde_json::Value,
            ) -> Result<Self, $crate::SchemaError> {
                match aggregate_type {
                    $( $events::AGGREGATE_TYPE => {
                        Ok(Self::$variant($events::from_stored(event_type, payload)?))
                    } )+
                    _ => Err($crate::SchemaError::UnknownEvent {
                        aggregate_type: aggregate_type.to_owned(),
                        event_type: event_type.to_owned(),
                    }),
                }
            }

            /// Reads a published payload of `aggregate_type`/`event_type` (bare struct JSON).
            fn from_payload(
                aggregate_type: &str,
                event_type: &str,
                payload: &[u8],
            ) -> Result<Self, $crate::SchemaError> {
                match aggregate_type {
                    $( $events::AGGREGATE_TYPE => {
                        Ok(Self::$variant($events::from_payload(event_type, payload)?))
                    } )+
                    _ => Err($crate::SchemaError::UnknownEvent {
                        aggregate_type: aggregate_type.to_owned(),
                        event_type: event_type.to_owned(),
                    }),
                }
            }

            /// Every aggregate with `(event type, JSON Schema)` of each of its events.
            pub(crate) fn json_schemas()
            -> Vec<($crate::PublishedAggregate, Vec<(&'static str, schemars::Schema)>)> {
                vec![$( ($events::AGGREGATE, $events::json_schemas()), )+]
            }
        }
    };
}
