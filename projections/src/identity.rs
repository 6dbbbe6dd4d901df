//! The `identity` projector: companies and users (`rm_companies`, `rm_users`).
//!
//! Personal values (contact and user name/e-mail) arrive sealed; the projector opens them with the
//! [`Vault`] and stores them in clear. A subject whose key was destroyed opens as `NULL`, so a
//! rebuild after an erasure never brings the data back. `UserPersonalDataErased` clears the user's
//! row and the contact fields of every company whose contact is that same person.

use crate::envelope::Envelope;
use crate::runner::Projector;
use anyhow::Context as _;
use chrono::{DateTime, Utc};
use hireledger_domain::Sealed;
use hireledger_domain::company::CompanySettings;
use hireledger_infra::settings::topic_name;
use hireledger_infra::vault::{Field, Vault, VaultError};
use hireledger_schemas::common::{RoleV1, SealedV1};
use hireledger_schemas::{CompanyEventV1, PublishedEvent, UserEventV1};
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

/// Name of the identity projector (its key in `projection_offsets`).
pub const IDENTITY_PROJECTOR: &str = "identity";

/// The topics the identity projector consumes: `<prefix>.company` and `<prefix>.user`.
pub fn identity_topics(prefix: &str) -> Vec<String> {
    vec![
        topic_name(prefix, CompanyEventV1::AGGREGATE_TYPE),
        topic_name(prefix, UserEventV1::AGGREGATE_TYPE),
    ]
}

/// The stable wire name of a role (`SYSTEM_ADMIN`, `HR`, ...), as stored in `rm_users.role`.
pub fn role_name(role: RoleV1) -> &'static str {
    match role {
        RoleV1::SystemAdmin => "SYSTEM_ADMIN",
        RoleV1::Hr => "HR",
        RoleV1::Employee => "EMPLOYEE",
        RoleV1::Candidate => "CANDIDATE",
    }
}

/// Maintains `rm_companies` and `rm_users`.
#[derive(Debug, Clone)]
pub struct IdentityProjector {
    vault: Vault,
}

impl IdentityProjector {
    pub fn new(vault: Vault) -> Self {
        Self { vault }
    }

    /// Opens a sealed value; `None` when its subject was erased.
    async fn open(&self, sealed: &SealedV1, field: Field) -> anyhow::Result<Option<String>> {
        let sealed = Sealed {
            subject: sealed.subject,
            ct: sealed.ct.clone(),
        };
        match self.vault.open(&sealed, field).await {
            Ok(v) => Ok(v),
            // Keep the sqlx error at the top of the chain so the runner retries it.
            Err(VaultError::Db(e)) => Err(anyhow::Error::new(e).context("opening a sealed value")),
            Err(e) => Err(anyhow::Error::new(e).context("opening a sealed value")),
        }
    }

    async fn apply_company(
        &self,
        tx: &mut Transaction<'_, Postgres>,
        env: &Envelope,
        event: &CompanyEventV1,
    ) -> anyhow::Result<()> {
        let id = env.aggregate_id;
        let at = env.recorded_at;
        match event {
            CompanyEventV1::CompanyRegistrationRequested(e) => {
                anyhow::ensure!(
                    e.company_id == id,
                    "company_id differs from the subject {id}"
                );
                let contact_name = self.open(&e.contact.name, Field::Name).await?;
                let contact_email = self.open(&e.contact.email, Field::Email).await?;
                let defaults = CompanySettings::default();
                sqlx::query(
                    "INSERT INTO rm_companies (company_id, name, domain, status, contact_person_id,
                        contact_name, contact_email, pass_threshold, fail_threshold, status_reason,
                        requested_at, updated_at, version, events_applied)
                     VALUES ($1, $2, $3, 'PENDING', $4, $5, $6, $7, $8, NULL, $9, $9, $10, 1)",
                )
                .bind(id)
                .bind(&e.name)
                .bind(&e.domain)
                .bind(e.contact.person_id)
                .bind(contact_name)
                .bind(contact_email)
                .bind(i16::from(defaults.pass_threshold))
                .bind(i16::from(defaults.fail_threshold))
                .bind(at)
                .bind(env.sequence)
                .execute(&mut **tx)
                .await
                .context("inserting the company")?;
                return Ok(());
            }
            CompanyEventV1::CompanyApproved(_) | CompanyEventV1::CompanyReactivated(_) => {
                set_company_status(tx, env, "ACTIVE", None).await?;
            }
            CompanyEventV1::CompanyRegistrationRejected(e) => {
                set_company_status(tx, env, "REJECTED", Some(&e.reason)).await?;
                // The contact's key is destroyed with the rejection: drop the opened copies.
                sqlx::query(
                    "UPDATE rm_companies SET contact_name = NULL, contact_email = NULL
                     WHERE company_id = $1",
                )
                .bind(id)
                .execute(&mut **tx)
                .await
                .context("erasing a rejected registration's contact")?;
            }
            CompanyEventV1::CompanyDeactivated(e) => {
                set_company_status(tx, env, "DEACTIVATED", Some(&e.reason)).await?;
            }
            CompanyEventV1::CompanyProfileUpdated(e) => {
                sqlx::query(
                    "UPDATE rm_companies SET name = COALESCE($2, name), domain = COALESCE($3, domain)
                     WHERE company_id = $1",
                )
                .bind(id)
                .bind(e.name.as_deref())
                .bind(e.domain.as_deref())
                .execute(&mut **tx)
                .await
                .context("updating the company profile")?;
            }
            CompanyEventV1::CompanySettingsChanged(e) => {
                sqlx::query(
                    "UPDATE rm_companies SET pass_threshold = $2, fail_threshold = $3
                     WHERE company_id = $1",
                )
                .bind(id)
                .bind(i16::from(e.settings.pass_threshold))
                .bind(i16::from(e.settings.fail_threshold))
                .execute(&mut **tx)
                .await
                .context("updating the company settings")?;
            }
        }
        bump(tx, "rm_companies", "company_id", id, env.sequence, at).await
    }

    async fn apply_user(
        &self,
        tx: &mut Transaction<'_, Postgres>,
        env: &Envelope,
        event: &UserEventV1,
    ) -> anyhow::Result<()> {
        let id = env.aggregate_id;
        let at = env.recorded_at;
        match event {
            UserEventV1::UserRegistered(e) => {
                anyhow::ensure!(e.user_id == id, "user_id differs from the subject {id}");
                let name = self.open(&e.name, Field::Name).await?;
                let email = self.open(&e.email, Field::Email).await?;
                sqlx::query(
                    "INSERT INTO rm_users (user_id, company_id, role, status, name, email,
                        created_at, updated_at, version, events_applied)
                     VALUES ($1, $2, $3, 'ACTIVE', $4, $5, $6, $6, $7, 1)",
                )
                .bind(id)
                .bind(e.company_id)
                .bind(role_name(e.role))
                .bind(name)
                .bind(email)
                .bind(at)
                .bind(env.sequence)
                .execute(&mut **tx)
                .await
                .context("inserting the user")?;
                return Ok(());
            }
            UserEventV1::UserProfileUpdated(e) => {
                let name = match &e.name {
                    Some(s) => Some(self.open(s, Field::Name).await?),
                    None => None,
                };
                let email = match &e.email {
                    Some(s) => Some(self.open(s, Field::Email).await?),
                    None => None,
                };
                sqlx::query(
                    "UPDATE rm_users SET
                        name = CASE WHEN $2 THEN $3 ELSE name END,
                        email = CASE WHEN $4 THEN $5 ELSE email END
                     WHERE user_id = $1",
                )
                .bind(id)
                .bind(name.is_some())
                .bind(name.flatten())
                .bind(email.is_some())
                .bind(email.flatten())
                .execute(&mut **tx)
                .await
                .context("updating the user profile")?;
            }
            UserEventV1::UserRoleChanged(e) => {
                sqlx::query("UPDATE rm_users SET role = $2 WHERE user_id = $1")
                    .bind(id)
                    .bind(role_name(e.to))
                    .execute(&mut **tx)
                    .await
                    .context("updating the user role")?;
            }
            UserEventV1::UserPasswordChanged(_) => {}
            UserEventV1::UserDeactivated(_) => set_user_status(tx, id, "DEACTIVATED").await?,
            UserEventV1::UserReactivated(_) => set_user_status(tx, id, "ACTIVE").await?,
            UserEventV1::UserPersonalDataErased(_) => {
                sqlx::query(
                    "UPDATE rm_users SET name = NULL, email = NULL, status = 'ERASED'
                     WHERE user_id = $1",
                )
                .bind(id)
                .execute(&mut **tx)
                .await
                .context("erasing the user's personal data")?;
                // The same person may be the registration contact of companies.
                sqlx::query(
                    "UPDATE rm_companies SET contact_name = NULL, contact_email = NULL
                     WHERE contact_person_id = $1",
                )
                .bind(id)
                .execute(&mut **tx)
                .await
                .context("erasing the person's company contact data")?;
            }
        }
        bump(tx, "rm_users", "user_id", id, env.sequence, at).await
    }
}

async fn set_company_status(
    tx: &mut Transaction<'_, Postgres>,
    env: &Envelope,
    status: &str,
    reason: Option<&str>,
) -> anyhow::Result<()> {
    sqlx::query("UPDATE rm_companies SET status = $2, status_reason = $3 WHERE company_id = $1")
        .bind(env.aggregate_id)
        .bind(status)
        .bind(reason)
        .execute(&mut **tx)
        .await
        .context("updating the company status")?;
    Ok(())
}

async fn set_user_status(
    tx: &mut Transaction<'_, Postgres>,
    id: Uuid,
    status: &str,
) -> anyhow::Result<()> {
    sqlx::query("UPDATE rm_users SET status = $2 WHERE user_id = $1")
        .bind(id)
        .bind(status)
        .execute(&mut **tx)
        .await
        .context("updating the user status")?;
    Ok(())
}

/// Records that the event at `sequence` was applied to the row (`table`/`key` are literals).
async fn bump(
    tx: &mut Transaction<'_, Postgres>,
    table: &'static str,
    key: &'static str,
    id: Uuid,
    sequence: i64,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    let done = sqlx::query(&format!(
        "UPDATE {table} SET version = $2, events_applied = events_applied + 1, updated_at = $3
         WHERE {key} = $1"
    ))
    .bind(id)
    .bind(sequence)
    .bind(at)
    .execute(&mut **tx)
    .await
    .with_context(|| format!("recording the applied event in {table}"))?;
    anyhow::ensure!(
        done.rows_affected() == 1,
        "{table} has no row {id} for event {sequence}"
    );
    Ok(())
}

#[async_trait::async_trait]
impl Projector for IdentityProjector {
    fn name(&self) -> &str {
        IDENTITY_PROJECTOR
    }

    async fn applied_version(
        &self,
        tx: &mut Transaction<'_, Postgres>,
        env: &Envelope,
    ) -> anyhow::Result<i64> {
        let sql = match env.event {
            PublishedEvent::Company(_) => {
                "SELECT version FROM rm_companies WHERE company_id = $1 FOR UPDATE"
            }
            PublishedEvent::User(_) => "SELECT version FROM rm_users WHERE user_id = $1 FOR UPDATE",
            ref other => anyhow::bail!(
                "the identity projector does not consume {} events",
                other.aggregate_type()
            ),
        };
        let version: Option<i64> = sqlx::query_scalar(sql)
            .bind(env.aggregate_id)
            .fetch_optional(&mut **tx)
            .await
            .context("reading the applied version")?;
        Ok(version.unwrap_or(0))
    }

    async fn apply(
        &self,
        tx: &mut Transaction<'_, Postgres>,
        env: &Envelope,
    ) -> anyhow::Result<()> {
        match &env.event {
            PublishedEvent::Company(e) => self.apply_company(tx, env, e).await,
            PublishedEvent::User(e) => self.apply_user(tx, env, e).await,
            other => anyhow::bail!(
                "the identity projector does not consume {} events",
                other.aggregate_type()
            ),
        }
    }
}

/// Runs the identity projector with the process settings until `shutdown` completes: creates the
/// topics if missing (`common.topic_partitions`), opens the vault with the master key, and runs
/// [`run_projector`](crate::run_projector) in consumer group `group_id`.
pub async fn run_identity(
    pool: sqlx::PgPool,
    common: &hireledger_infra::CommonSettings,
    group_id: &str,
    shutdown: impl Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    let vault = Vault::new(pool.clone(), &common.master_key).context("opening the vault")?;
    let topics = identity_topics(&common.topic_prefix);
    hireledger_infra::kafka::ensure_topics(&common.kafka_brokers, &topics, common.topic_partitions)
        .await?;
    crate::run_projector(
        pool,
        &common.kafka_brokers,
        group_id,
        topics,
        std::sync::Arc::new(IdentityProjector::new(vault)),
        shutdown,
    )
    .await
}
