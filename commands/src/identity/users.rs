//! User accounts: creation inside a company, profile, role, password, lifecycle and erasure.

use super::{Identity, IdentityError, emails};
use crate::bus::{CommandMetadata, Committed};
use crate::passwords;
use hireledger_domain::company::{CompanyError, CompanyStatus};
use hireledger_domain::user::{UserCommand, UserError};
use hireledger_domain::{Actor, EmailAddress, Password, PersonName, Role};
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct NewUser {
    /// Required for platform admins creating company users; HR may omit it (their own company).
    pub company_id: Option<Uuid>,
    pub role: Role,
    pub name: String,
    pub email: String,
    /// When absent a temporary password is generated and returned once.
    pub password: Option<String>,
}

#[derive(Debug, Clone)]
pub struct CreatedUser {
    pub user_id: Uuid,
    pub committed: Committed,
    pub temporary_password: Option<String>,
}

/// A change of the profile's name. The login address changes only through a verification
/// ([`Identity::start_email_change`]).
#[derive(Debug, Clone, Default)]
pub struct UserProfileChange {
    pub name: Option<String>,
}

fn actor_company(actor: &Actor) -> Option<Uuid> {
    match actor {
        Actor::User { company_id, .. } => *company_id,
        _ => None,
    }
}

impl Identity {
    #[tracing::instrument(skip_all, fields(role = input.role.as_str()))]
    pub async fn create_user(
        &self,
        actor: Actor,
        input: NewUser,
        meta: &CommandMetadata,
    ) -> Result<CreatedUser, IdentityError> {
        let name = PersonName::parse(&input.name)?;
        let email = EmailAddress::parse(&input.email)?;
        let (password, temporary) = match input.password {
            Some(p) => (Password::parse(&p)?, None),
            None => {
                let t = passwords::generate_temporary();
                (Password::parse(&t)?, Some(t))
            }
        };
        let company_id = if input.role.needs_company() {
            input.company_id.or_else(|| actor_company(&actor))
        } else {
            input.company_id
        };
        if let Some(cid) = company_id {
            let (company, _) = self.companies.load(&cid.to_string()).await?;
            match company.status {
                CompanyStatus::Active => {}
                CompanyStatus::None => return Err(IdentityError::Company(CompanyError::NotFound)),
                _ => return Err(IdentityError::Company(CompanyError::NotActive)),
            }
        }
        let user_id = Uuid::now_v7();
        emails::claim(&self.pool, &self.vault.email_digest(&email), user_id).await?;
        let result = async {
            let command = UserCommand::Register {
                actor,
                user_id,
                company_id,
                role: input.role,
                name: self
                    .vault
                    .seal(user_id, hireledger_infra::vault::Field::Name, name.as_str())
                    .await?,
                email: self
                    .vault
                    .seal(
                        user_id,
                        hireledger_infra::vault::Field::Email,
                        email.as_str(),
                    )
                    .await?,
                password_hash: self.hasher.hash(password).await?,
            };
            let meta = meta.clone().with_tenant(company_id);
            Ok::<_, IdentityError>(
                self.users
                    .execute(&user_id.to_string(), command, &meta)
                    .await?,
            )
        }
        .await;
        match result {
            Ok(committed) => {
                // A candidate account is linked to candidate records only once it proves control
                // of its address. The account exists either way; a lost mail is sent again on
                // request (`POST /auth/email/verification`).
                if input.role == Role::Candidate
                    && let Err(e) = self.send_verification(user_id, &email, false).await
                {
                    tracing::warn!(error = %e, "mailing an e-mail verification failed");
                }
                Ok(CreatedUser {
                    user_id,
                    committed,
                    temporary_password: temporary,
                })
            }
            Err(e) => {
                emails::release(&self.pool, user_id).await?;
                // The key made for a user who never existed is useless: destroy it.
                self.vault.erase(user_id).await?;
                Err(e)
            }
        }
    }

    /// Runs a user command, tagging the events with the user's company as tenant.
    #[tracing::instrument(skip(self, command, meta))]
    pub async fn user_command(
        &self,
        user_id: Uuid,
        command: UserCommand,
        meta: &CommandMetadata,
    ) -> Result<Committed, IdentityError> {
        let id = user_id.to_string();
        let (user, _) = self.users.load(&id).await?;
        let meta = meta.clone().with_tenant(user.company_id);
        Ok(self.users.execute(&id, command, &meta).await?)
    }

    pub async fn update_user_profile(
        &self,
        actor: Actor,
        user_id: Uuid,
        change: UserProfileChange,
        meta: &CommandMetadata,
    ) -> Result<Committed, IdentityError> {
        let name = change.name.as_deref().map(PersonName::parse).transpose()?;
        let sealed_name = match &name {
            Some(n) => Some(
                self.vault
                    .seal(user_id, hireledger_infra::vault::Field::Name, n.as_str())
                    .await?,
            ),
            None => None,
        };
        let command = UserCommand::UpdateProfile {
            actor,
            name: sealed_name,
            email: None,
        };
        self.user_command(user_id, command, meta).await
    }

    /// Changes a password. Users changing their own must give the current one.
    pub async fn change_password(
        &self,
        actor: Actor,
        user_id: Uuid,
        current: Option<String>,
        new_password: String,
        meta: &CommandMetadata,
    ) -> Result<Committed, IdentityError> {
        let new_password = Password::parse(&new_password)?;
        if actor.user_id() == Some(user_id) {
            let (user, _) = self.users.load(&user_id.to_string()).await?;
            let current = current.ok_or(IdentityError::WrongPassword)?;
            if !self.hasher.verify(current, user.password_hash).await {
                return Err(IdentityError::WrongPassword);
            }
        }
        let command = UserCommand::ChangePassword {
            actor,
            password_hash: self.hasher.hash(new_password).await?,
        };
        self.user_command(user_id, command, meta).await
    }

    /// Erases a person: records the erasure, destroys their key (every sealed copy of their data
    /// in events and on Kafka becomes unreadable) and drops their login. Retrying after a crash
    /// finishes the job.
    #[tracing::instrument(skip(self, meta))]
    pub async fn erase_user(
        &self,
        actor: Actor,
        user_id: Uuid,
        meta: &CommandMetadata,
    ) -> Result<Committed, IdentityError> {
        let command = UserCommand::ErasePersonalData { actor };
        let committed = match self.user_command(user_id, command, meta).await {
            Ok(c) => c,
            // Already recorded (an earlier attempt stopped before the key was destroyed): whoever
            // may erase this user finishes the job.
            Err(IdentityError::User(UserError::Erased)) => {
                let (user, version) = self.users.load(&user_id.to_string()).await?;
                if !actor.manages_company(user.company_id) {
                    return Err(IdentityError::User(UserError::Erased));
                }
                Committed { version, events: 0 }
            }
            Err(e) => return Err(e),
        };
        // The event's commit recorded the erasure job (see `crate::erasure`): destroy the key,
        // free the e-mail and revoke the sessions now. A crash before this line leaves the job to
        // the periodic worker or to a retry.
        crate::erasure::Erasures::new(self.pool.clone())
            .finish(user_id)
            .await?;
        Ok(committed)
    }
}
