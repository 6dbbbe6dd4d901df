//! HireLedger's domain: aggregates, commands, events, value objects and domain errors.
//!
//! Pure: no I/O crates. Personal data reaches the domain already sealed (encrypted with the
//! person's key, see [`Sealed`]), so aggregates and the event store never hold it in clear.

pub mod actor;
pub mod application;
pub mod candidate;
pub mod company;
pub mod interview;
pub mod job;
pub mod sealed;
pub mod user;
pub mod values;

pub use actor::{Actor, Role};
pub use sealed::{PasswordHash, PersonalText, Sealed};
pub use values::{
    CompanyName, DomainName, EmailAddress, InvalidValue, Password, PersonName, PhoneNumber,
};
