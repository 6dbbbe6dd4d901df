//! Company registration, approval (creates the first HR user), rejection, lifecycle, settings.

use super::{Identity, IdentityError, emails};
use crate::bus::{CommandError, CommandMetadata, Committed};
use crate::passwords;
use hireledger_domain::company::{
    CompanyCommand, CompanyError, CompanySettings, CompanyStatus, ContactPerson,
};
use hireledger_domain::user::{UserCommand, UserStatus};
use hireledger_domain::{Actor, CompanyName, DomainName, EmailAddress, Password, PersonName, Role};
use uuid::Uuid;

/// A public registration request, as typed by the applicant.
#[derive(Debug, Clone)]
pub struct RegisterCompany {
    pub name: String,
    pub domain: String,
    pub contact_name: String,
    pub contact_email: String,
}

#[derive(Debug, Clone, Copy)]
pub struct RegisteredCompany {
    pub company_id: Uuid,
    pub contact_person_id: Uuid,
    pub committed: Committed,
}

/// The outcome of an approval: the company is active and its first HR user exists.
#[derive(Debug, Clone)]
pub struct ApprovedCompany {
    pub committed: Committed,
    pub hr_user_id: Uuid,
    /// Shown once to the approving admin, to hand to the HR contact.
    pub temporary_password: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct CompanyProfileChange {
    pub name: Option<String>,
    pub domain: Option<String>,
}

impl Identity {
    #[tracing::instrument(skip_all)]
    pub async fn register_company(
        &self,
        input: RegisterCompany,
        meta: &CommandMetadata,
    ) -> Result<RegisteredCompany, IdentityError> {
        let name = CompanyName::parse(&input.name)?;
        let domain = DomainName::parse(&input.domain)?;
        let contact_name = PersonName::parse(&input.contact_name)?;
        let email = EmailAddress::parse(&input.contact_email)?;
        let company_id = Uuid::now_v7();
        let person_id = Uuid::now_v7();
        // The address is not claimed here: a request claims nothing (no squatting on someone's
        // address) and answers the same whether or not the address has an account (no oracle).
        // Approval claims it.
        let contact = ContactPerson {
            person_id,
            name: self
                .vault
                .seal(
                    person_id,
                    hireledger_infra::vault::Field::Name,
                    contact_name.as_str(),
                )
                .await?,
            email: self
                .vault
                .seal(
                    person_id,
                    hireledger_infra::vault::Field::Email,
                    email.as_str(),
                )
                .await?,
        };
        let command = CompanyCommand::RequestRegistration {
            company_id,
            name,
            domain,
            contact,
        };
        let meta = meta.clone().with_tenant(Some(company_id));
        match self
            .companies
            .execute(&company_id.to_string(), command, &meta)
            .await
        {
            Ok(committed) => Ok(RegisteredCompany {
                company_id,
                contact_person_id: person_id,
                committed,
            }),
            Err(e) => {
                // The key made for a contact who was never recorded is useless: destroy it.
                self.vault.erase(person_id).await?;
                Err(e.into())
            }
        }
    }

    /// Approves a pending registration and creates its first HR user. Safe to retry after a
    /// crash between the two steps: an active company whose HR user is missing gets it created.
    #[tracing::instrument(skip(self, meta))]
    pub async fn approve_company(
        &self,
        actor: Actor,
        company_id: Uuid,
        meta: &CommandMetadata,
    ) -> Result<ApprovedCompany, IdentityError> {
        let id = company_id.to_string();
        let meta = meta.clone().with_tenant(Some(company_id));
        let (company, version) = self.companies.load(&id).await?;
        let contact = company
            .contact
            .clone()
            .ok_or(IdentityError::Company(CompanyError::NotFound))?;
        let (hr_user, _) = self.users.load(&contact.person_id.to_string()).await?;
        let repairing = company.status == CompanyStatus::Active
            && hr_user.status == UserStatus::None
            && actor.is_platform_admin();
        // The contact's address is claimed now, before the approval is recorded: an address that
        // has an account meanwhile refuses the approval (USER_002) and writes nothing.
        let claimed = hr_user.status == UserStatus::None
            && (repairing || company.status == CompanyStatus::Pending);
        if claimed {
            let email = self
                .vault
                .open(&contact.email, hireledger_infra::vault::Field::Email)
                .await?
                .ok_or(IdentityError::Company(CompanyError::NotPending))?;
            let email = EmailAddress::parse(&email)?;
            emails::claim(
                &self.pool,
                &self.vault.email_digest(&email),
                contact.person_id,
            )
            .await?;
        }
        let committed = if repairing {
            Committed { version, events: 0 }
        } else {
            match self
                .companies
                .execute(&id, CompanyCommand::Approve { actor }, &meta)
                .await
            {
                Ok(c) => c,
                Err(e) => {
                    if claimed {
                        emails::release(&self.pool, contact.person_id).await?;
                    }
                    return Err(e.into());
                }
            }
        };
        if hr_user.status != UserStatus::None {
            return Ok(ApprovedCompany {
                committed,
                hr_user_id: contact.person_id,
                temporary_password: None,
            });
        }
        let temporary = passwords::generate_temporary();
        let password_hash = self.hasher.hash(Password::parse(&temporary)?).await?;
        let register = UserCommand::Register {
            actor: Actor::System,
            user_id: contact.person_id,
            company_id: Some(company_id),
            role: Role::Hr,
            name: contact.name,
            email: contact.email,
            password_hash,
        };
        self.users
            .execute(
                &contact.person_id.to_string(),
                register,
                &meta.caused_by(&id),
            )
            .await?;
        Ok(ApprovedCompany {
            committed,
            hr_user_id: contact.person_id,
            temporary_password: Some(temporary),
        })
    }

    /// Rejects a pending registration and erases the contact's personal data (their key is
    /// destroyed: the sealed name and e-mail in the events and on Kafka become unreadable).
    /// Retrying after a crash between the two steps finishes the job.
    #[tracing::instrument(skip(self, reason, meta))]
    pub async fn reject_company(
        &self,
        actor: Actor,
        company_id: Uuid,
        reason: String,
        meta: &CommandMetadata,
    ) -> Result<Committed, IdentityError> {
        let id = company_id.to_string();
        let meta = meta.clone().with_tenant(Some(company_id));
        let committed = match self
            .companies
            .execute(&id, CompanyCommand::Reject { actor, reason }, &meta)
            .await
        {
            Ok(c) => c,
            Err(CommandError::Rejected(CompanyError::NotPending)) => {
                let (company, version) = self.companies.load(&id).await?;
                if company.status != CompanyStatus::Rejected || !actor.is_platform_admin() {
                    return Err(IdentityError::Company(CompanyError::NotPending));
                }
                Committed { version, events: 0 }
            }
            Err(e) => return Err(e.into()),
        };
        let (company, _) = self.companies.load(&id).await?;
        if let Some(contact) = company.contact {
            // The rejection recorded the contact's erasure job in its own transaction: finish it
            // now (a crash here leaves it to the worker every API instance runs).
            crate::erasure::Erasures::new(self.pool.clone())
                .finish(contact.person_id)
                .await?;
            // Rejections from before that job existed: free the claim and the key directly.
            emails::release(&self.pool, contact.person_id).await?;
            self.vault.erase(contact.person_id).await?;
        }
        Ok(committed)
    }

    /// Runs a lifecycle or settings command on a company.
    #[tracing::instrument(skip(self, command, meta))]
    pub async fn company_command(
        &self,
        company_id: Uuid,
        command: CompanyCommand,
        meta: &CommandMetadata,
    ) -> Result<Committed, IdentityError> {
        let meta = meta.clone().with_tenant(Some(company_id));
        Ok(self
            .companies
            .execute(&company_id.to_string(), command, &meta)
            .await?)
    }

    pub async fn update_company_profile(
        &self,
        actor: Actor,
        company_id: Uuid,
        change: CompanyProfileChange,
        meta: &CommandMetadata,
    ) -> Result<Committed, IdentityError> {
        let name = change.name.as_deref().map(CompanyName::parse).transpose()?;
        let domain = change
            .domain
            .as_deref()
            .map(DomainName::parse)
            .transpose()?;
        let command = CompanyCommand::UpdateProfile {
            actor,
            name,
            domain,
        };
        self.company_command(company_id, command, meta).await
    }

    pub async fn change_company_settings(
        &self,
        actor: Actor,
        company_id: Uuid,
        settings: CompanySettings,
        meta: &CommandMetadata,
    ) -> Result<Committed, IdentityError> {
        let command = CompanyCommand::ChangeSettings { actor, settings };
        self.company_command(company_id, command, meta).await
    }
}
