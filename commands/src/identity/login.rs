//! Credential checks for login and token refresh.

use super::{Identity, IdentityError, emails};
use crate::sessions::{self, SessionGenerations};
use hireledger_domain::company::CompanyStatus;
use hireledger_domain::user::UserStatus;
use hireledger_domain::{EmailAddress, Role};
use uuid::Uuid;

/// A user allowed to act now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthenticatedUser {
    pub user_id: Uuid,
    pub role: Role,
    pub company_id: Option<Uuid>,
    /// The session generations read before the account was checked: a token issued with them
    /// dies at the next deactivation, erasure, role or password change.
    pub generations: SessionGenerations,
}

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error("invalid credentials")]
    InvalidCredentials,
    #[error("account or company disabled")]
    Disabled,
    #[error(transparent)]
    Failed(#[from] IdentityError),
}

impl Identity {
    /// Checks e-mail and password. Unknown e-mail, wrong password and erased accounts all answer
    /// `InvalidCredentials` after the same amount of work.
    #[tracing::instrument(skip_all)]
    pub async fn authenticate(
        &self,
        email: &str,
        password: &str,
    ) -> Result<AuthenticatedUser, LoginError> {
        let user_id = match EmailAddress::parse(email) {
            Ok(e) => emails::lookup(&self.pool, &self.vault.email_digest(&e)).await?,
            Err(_) => None,
        };
        let user = match user_id {
            Some(id) => Some(
                self.users
                    .load(&id.to_string())
                    .await
                    .map_err(IdentityError::from)?
                    .0,
            ),
            None => None,
        };
        let hash = user.as_ref().and_then(|u| u.password_hash.clone());
        if !self.hasher.verify(password.to_owned(), hash).await {
            return Err(LoginError::InvalidCredentials);
        }
        match (user_id, user) {
            (Some(id), Some(_)) => self.current_user(id).await,
            _ => Err(LoginError::InvalidCredentials),
        }
    }

    /// The user's current role and company, if they (and their company) may act now.
    pub async fn current_user(&self, user_id: Uuid) -> Result<AuthenticatedUser, LoginError> {
        // Each generation is read before the state it guards: a change committed after the read
        // bumps it past the token's.
        let user_generation = sessions::generations(&self.pool, user_id, None)
            .await
            .map_err(IdentityError::from)?
            .user;
        let (user, _) = self
            .users
            .load(&user_id.to_string())
            .await
            .map_err(IdentityError::from)?;
        match user.status {
            UserStatus::Active => {}
            UserStatus::Deactivated => return Err(LoginError::Disabled),
            UserStatus::None | UserStatus::Erased => return Err(LoginError::InvalidCredentials),
        }
        let role = user.role.ok_or(LoginError::InvalidCredentials)?;
        let mut company_generation = 0;
        if let Some(cid) = user.company_id {
            company_generation = sessions::generations(&self.pool, user_id, Some(cid))
                .await
                .map_err(IdentityError::from)?
                .company;
            let (company, _) = self
                .companies
                .load(&cid.to_string())
                .await
                .map_err(IdentityError::from)?;
            if company.status != CompanyStatus::Active {
                return Err(LoginError::Disabled);
            }
        }
        Ok(AuthenticatedUser {
            user_id,
            role,
            company_id: user.company_id,
            generations: SessionGenerations {
                user: user_generation,
                company: company_generation,
            },
        })
    }

    /// Whether an e-mail address already has an account (bootstrap uses it to stay idempotent).
    pub async fn email_in_use(&self, email: &EmailAddress) -> Result<bool, IdentityError> {
        Ok(emails::lookup(&self.pool, &self.vault.email_digest(email))
            .await?
            .is_some())
    }
}
