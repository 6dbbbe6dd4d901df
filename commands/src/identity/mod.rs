//! Identity and tenancy services: prepare commands (validate, seal personal data, hash
//! passwords, claim e-mails) and run the company-approval process across aggregates.

mod companies;
mod emails;
mod login;
mod users;
mod verification;

pub use companies::{ApprovedCompany, CompanyProfileChange, RegisterCompany, RegisteredCompany};
pub use login::{AuthenticatedUser, LoginError};
pub use users::{CreatedUser, NewUser, UserProfileChange};
pub use verification::{VERIFICATION_TTL, VERIFY_EMAIL_MAIL, VerifiedEmail};

use crate::bus::{CommandError, EventStore};
use crate::passwords::{Hasher, PasswordError};
use hireledger_domain::InvalidValue;
use hireledger_domain::company::{Company, CompanyError};
use hireledger_domain::user::{User, UserError};
use hireledger_infra::vault::{Vault, VaultError};
use sqlx::PgPool;
use std::sync::Arc;

/// Why an identity operation failed. The API maps each variant to one stable code.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error(transparent)]
    Invalid(#[from] InvalidValue),
    #[error("e-mail address already in use")]
    EmailTaken,
    #[error("current password is wrong")]
    WrongPassword,
    #[error("verification token unknown, used or expired")]
    VerificationInvalid,
    #[error(transparent)]
    Company(CompanyError),
    #[error(transparent)]
    User(UserError),
    #[error("concurrent modification")]
    Conflict,
    #[error("dependency unavailable")]
    Unavailable(#[source] anyhow::Error),
    #[error("internal failure")]
    Internal(#[source] anyhow::Error),
}

impl From<CommandError<CompanyError>> for IdentityError {
    fn from(e: CommandError<CompanyError>) -> Self {
        match e {
            CommandError::Rejected(e) => Self::Company(e),
            CommandError::Conflict => Self::Conflict,
            CommandError::Unavailable(e) => Self::Unavailable(anyhow::anyhow!(e)),
            CommandError::Internal(e) => Self::Internal(anyhow::anyhow!(e)),
        }
    }
}

impl From<CommandError<UserError>> for IdentityError {
    fn from(e: CommandError<UserError>) -> Self {
        match e {
            CommandError::Rejected(e) => Self::User(e),
            CommandError::Conflict => Self::Conflict,
            CommandError::Unavailable(e) => Self::Unavailable(anyhow::anyhow!(e)),
            CommandError::Internal(e) => Self::Internal(anyhow::anyhow!(e)),
        }
    }
}

impl From<VaultError> for IdentityError {
    fn from(e: VaultError) -> Self {
        match e {
            VaultError::Erased => Self::User(UserError::Erased),
            VaultError::Db(e) => Self::from(e),
            e => Self::Internal(e.into()),
        }
    }
}

impl From<crate::erasure::ErasureError> for IdentityError {
    fn from(e: crate::erasure::ErasureError) -> Self {
        match e {
            crate::erasure::ErasureError::Db(e) => Self::from(e),
            crate::erasure::ErasureError::Vault(e) => Self::from(e),
        }
    }
}

impl From<sqlx::Error> for IdentityError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => {
                Self::Unavailable(e.into())
            }
            e => Self::Internal(e.into()),
        }
    }
}

impl From<PasswordError> for IdentityError {
    fn from(e: PasswordError) -> Self {
        Self::Internal(e.into())
    }
}

/// Everything the identity commands need; cheap to clone.
#[derive(Clone)]
pub struct Identity {
    pool: PgPool,
    vault: Vault,
    companies: Arc<EventStore<Company>>,
    users: Arc<EventStore<User>>,
    hasher: Hasher,
}

impl Identity {
    pub fn new(pool: PgPool, vault: Vault) -> Self {
        Self {
            companies: Arc::new(EventStore::new(pool.clone())),
            users: Arc::new(EventStore::new(pool.clone())),
            hasher: Hasher::default(),
            pool,
            vault,
        }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    pub fn vault(&self) -> &Vault {
        &self.vault
    }

    pub fn companies(&self) -> &EventStore<Company> {
        &self.companies
    }

    pub fn users(&self) -> &EventStore<User> {
        &self.users
    }
}
