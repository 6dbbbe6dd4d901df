//! Proof of control of an e-mail address. Links between an account and candidate records rest on
//! it (never on the address typed by someone), and a changed login address takes effect only once
//! verified.
//!
//! A verification is a random token mailed to the address (through the `mail_outbox` table, whose
//! recipient and body are sealed under the user's key) and stored only as its SHA-256 hash; it is
//! single use and expires after [`VERIFICATION_TTL`]. Presenting it marks the login address
//! verified (`login_emails.verified_at`), or for a change first moves the login claim to the new
//! address and records the change as a `UserProfileUpdated` event. A token whose address is no
//! longer the account's (changed since, or taken by someone else meanwhile) is refused.

use super::{Identity, IdentityError, emails};
use crate::bus::{CommandMetadata, Committed};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use hireledger_domain::user::{UserCommand, UserError, UserStatus};
use hireledger_domain::{Actor, EmailAddress, Role, Sealed};
use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// How long a verification token stays usable.
pub const VERIFICATION_TTL: chrono::Duration = chrono::Duration::hours(24);

/// The `kind` of a verification mail in the outbox.
pub const VERIFY_EMAIL_MAIL: &str = "verify_email";

/// An address whose control was just proven.
#[derive(Debug, Clone)]
pub struct VerifiedEmail {
    pub user_id: Uuid,
    pub role: Role,
    pub company_id: Option<Uuid>,
    pub email: EmailAddress,
    /// The user's version after the verification (a change writes an event).
    pub committed: Committed,
}

/// user_id, email_digest, sealed_email, is_change, expires_at, used_at
type VerificationRow = (
    Uuid,
    Vec<u8>,
    sqlx::types::Json<Sealed>,
    bool,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
);

fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

impl Identity {
    /// Mails a verification token for `email` to `email`. `is_change`: the address replaces the
    /// login address once verified.
    pub(super) async fn send_verification(
        &self,
        user_id: Uuid,
        email: &EmailAddress,
        is_change: bool,
    ) -> Result<(), IdentityError> {
        let token = new_token();
        let sealed_email = self
            .vault
            .seal(
                user_id,
                hireledger_infra::vault::Field::Email,
                email.as_str(),
            )
            .await?;
        let sealed_token = self
            .vault
            .seal(
                user_id,
                hireledger_infra::vault::Field::VerificationToken,
                &token,
            )
            .await?;
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO email_verifications
                 (token_hash, user_id, email_digest, sealed_email, is_change, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(token_hash(&token))
        .bind(user_id)
        .bind(self.vault.email_digest(email))
        .bind(sqlx::types::Json(&sealed_email))
        .bind(is_change)
        .bind(Utc::now() + VERIFICATION_TTL)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO mail_outbox (id, recipient_id, kind, sealed_to, sealed_body)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(Uuid::now_v7())
        .bind(user_id)
        .bind(VERIFY_EMAIL_MAIL)
        .bind(sqlx::types::Json(&sealed_email))
        .bind(sqlx::types::Json(&sealed_token))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Mails a new verification of the user's current login address.
    #[tracing::instrument(skip(self))]
    pub async fn resend_verification(&self, user_id: Uuid) -> Result<(), IdentityError> {
        let (user, _) = self.users.load(&user_id.to_string()).await?;
        self.require_live(&user.status)?;
        let email = match &user.email {
            Some(sealed) => {
                self.vault
                    .open(sealed, hireledger_infra::vault::Field::Email)
                    .await?
            }
            None => None,
        }
        .ok_or(IdentityError::User(UserError::Erased))?;
        let email = EmailAddress::parse(&email)?;
        self.send_verification(user_id, &email, false).await
    }

    fn require_live(&self, status: &UserStatus) -> Result<(), IdentityError> {
        match status {
            UserStatus::Active => Ok(()),
            UserStatus::None => Err(IdentityError::User(UserError::NotFound)),
            UserStatus::Deactivated => Err(IdentityError::User(UserError::Deactivated)),
            UserStatus::Erased => Err(IdentityError::User(UserError::Erased)),
        }
    }

    /// Starts a change of the user's login address: nothing changes until the new address is
    /// verified. Refused like the change itself would be (address in use, nothing to change).
    #[tracing::instrument(skip_all)]
    pub async fn start_email_change(
        &self,
        actor: Actor,
        user_id: Uuid,
        email: &str,
    ) -> Result<u64, IdentityError> {
        let email = EmailAddress::parse(email)?;
        let (user, version) = self.users.load(&user_id.to_string()).await?;
        self.require_live(&user.status)?;
        if actor.user_id() != Some(user_id) && !actor.manages_company(user.company_id) {
            return Err(IdentityError::User(UserError::Forbidden));
        }
        match emails::lookup(&self.pool, &self.vault.email_digest(&email)).await? {
            Some(holder) if holder == user_id => {
                return Err(IdentityError::User(UserError::NothingToChange));
            }
            Some(_) => return Err(IdentityError::EmailTaken),
            None => {}
        }
        self.send_verification(user_id, &email, true).await?;
        Ok(version)
    }

    /// Whether `email` is the user's login address and verified: `None` when it is not their
    /// address at all.
    pub async fn email_verified(
        &self,
        user_id: Uuid,
        email: &EmailAddress,
    ) -> Result<Option<bool>, IdentityError> {
        let verified: Option<Option<DateTime<Utc>>> = sqlx::query_scalar(
            "SELECT verified_at FROM login_emails WHERE user_id = $1 AND email_digest = $2",
        )
        .bind(user_id)
        .bind(self.vault.email_digest(email))
        .fetch_optional(&self.pool)
        .await?;
        Ok(verified.map(|v| v.is_some()))
    }

    /// Consumes a verification token (single use, even when what follows fails).
    #[tracing::instrument(skip_all)]
    pub async fn verify_email(
        &self,
        token: &str,
        meta: &CommandMetadata,
    ) -> Result<VerifiedEmail, IdentityError> {
        let mut tx = self.pool.begin().await?;
        let row: Option<VerificationRow> = sqlx::query_as(
            "SELECT user_id, email_digest, sealed_email, is_change, expires_at, used_at
               FROM email_verifications WHERE token_hash = $1 FOR UPDATE",
        )
        .bind(token_hash(token))
        .fetch_optional(&mut *tx)
        .await?;
        let Some((user_id, digest, sealed, is_change, expires_at, used_at)) = row else {
            return Err(IdentityError::VerificationInvalid);
        };
        if used_at.is_some() || expires_at <= Utc::now() {
            return Err(IdentityError::VerificationInvalid);
        }
        sqlx::query("UPDATE email_verifications SET used_at = now() WHERE token_hash = $1")
            .bind(token_hash(token))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;

        let email = self
            .vault
            .open(&sealed.0, hireledger_infra::vault::Field::Email)
            .await?
            .ok_or(IdentityError::VerificationInvalid)?;
        let email = EmailAddress::parse(&email)?;
        let (user, mut version) = self.users.load(&user_id.to_string()).await?;
        if user.status != UserStatus::Active {
            return Err(IdentityError::VerificationInvalid);
        }
        let role = user.role.ok_or(IdentityError::VerificationInvalid)?;
        let mut events = 0;
        if is_change {
            // Sealed before the login claim moves: a failure here leaves nothing to undo.
            let sealed_email = self
                .vault
                .seal(
                    user_id,
                    hireledger_infra::vault::Field::Email,
                    email.as_str(),
                )
                .await?;
            let previous = emails::change(&self.pool, user_id, &digest).await?;
            let command = UserCommand::UpdateProfile {
                actor: Actor::User {
                    user_id,
                    role,
                    company_id: user.company_id,
                },
                name: None,
                email: Some(sealed_email),
            };
            match self.user_command(user_id, command, meta).await {
                Ok(c) => (version, events) = (c.version, c.events),
                Err(IdentityError::User(UserError::NothingToChange)) => {}
                Err(e) => {
                    emails::restore(&self.pool, user_id, previous).await?;
                    return Err(e);
                }
            }
        }
        let marked = sqlx::query(
            "UPDATE login_emails SET verified_at = now() WHERE user_id = $1 AND email_digest = $2",
        )
        .bind(user_id)
        .bind(&digest)
        .execute(&self.pool)
        .await?;
        if marked.rows_affected() == 0 {
            // The account's address changed since the token was sent.
            return Err(IdentityError::VerificationInvalid);
        }
        Ok(VerifiedEmail {
            user_id,
            role,
            company_id: user.company_id,
            email,
            committed: Committed { version, events },
        })
    }
}
