use super::{
    CompanyCommand, CompanyError, CompanyEvent, CompanySettings, CompanyStatus, ContactPerson,
};
use crate::{Actor, CompanyName, DomainName};
use cqrs_es::Aggregate;
use cqrs_es::event_sink::EventSink;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Company {
    pub id: Option<Uuid>,
    pub status: CompanyStatus,
    pub name: Option<CompanyName>,
    pub domain: Option<DomainName>,
    pub contact: Option<ContactPerson>,
    pub settings: CompanySettings,
}

fn check_reason(reason: &str) -> Result<String, CompanyError> {
    let r = reason.trim();
    if r.is_empty() || r.chars().count() > 1000 {
        return Err(CompanyError::InvalidReason);
    }
    Ok(r.to_owned())
}

impl Company {
    fn require_exists(&self) -> Result<(), CompanyError> {
        if self.status == CompanyStatus::None {
            Err(CompanyError::NotFound)
        } else {
            Ok(())
        }
    }

    fn require_platform_admin(actor: &Actor) -> Result<(), CompanyError> {
        if actor.is_platform_admin() {
            Ok(())
        } else {
            Err(CompanyError::Forbidden)
        }
    }

    fn require_manager(&self, actor: &Actor) -> Result<(), CompanyError> {
        if actor.manages_company(self.id) {
            Ok(())
        } else {
            Err(CompanyError::Forbidden)
        }
    }

    fn decide(&self, command: CompanyCommand) -> Result<CompanyEvent, CompanyError> {
        use CompanyCommand as C;
        use CompanyEvent as E;
        if !matches!(command, C::RequestRegistration { .. }) {
            self.require_exists()?;
        }
        match command {
            C::RequestRegistration {
                company_id,
                name,
                domain,
                contact,
            } => {
                if self.status != CompanyStatus::None {
                    return Err(CompanyError::AlreadyRegistered);
                }
                if contact.name.subject != contact.person_id
                    || contact.email.subject != contact.person_id
                {
                    return Err(CompanyError::WrongDataSubject);
                }
                Ok(E::CompanyRegistrationRequested {
                    company_id,
                    name,
                    domain,
                    contact,
                })
            }
            C::Approve { actor } => {
                Self::require_platform_admin(&actor)?;
                if self.status != CompanyStatus::Pending {
                    return Err(CompanyError::NotPending);
                }
                let first_hr_user_id = self
                    .contact
                    .as_ref()
                    .map(|c| c.person_id)
                    .ok_or(CompanyError::NotPending)?;
                Ok(E::CompanyApproved {
                    approved_by: actor.user_id(),
                    first_hr_user_id,
                })
            }
            C::Reject { actor, reason } => {
                Self::require_platform_admin(&actor)?;
                if self.status != CompanyStatus::Pending {
                    return Err(CompanyError::NotPending);
                }
                Ok(E::CompanyRegistrationRejected {
                    rejected_by: actor.user_id(),
                    reason: check_reason(&reason)?,
                })
            }
            C::Deactivate { actor, reason } => {
                Self::require_platform_admin(&actor)?;
                if self.status != CompanyStatus::Active {
                    return Err(CompanyError::NotActive);
                }
                Ok(E::CompanyDeactivated {
                    deactivated_by: actor.user_id(),
                    reason: check_reason(&reason)?,
                })
            }
            C::Reactivate { actor } => {
                Self::require_platform_admin(&actor)?;
                if self.status != CompanyStatus::Deactivated {
                    return Err(CompanyError::NotDeactivated);
                }
                Ok(E::CompanyReactivated {
                    reactivated_by: actor.user_id(),
                })
            }
            C::UpdateProfile {
                actor,
                name,
                domain,
            } => {
                self.require_manager(&actor)?;
                if self.status != CompanyStatus::Active {
                    return Err(CompanyError::NotActive);
                }
                let name = name.filter(|n| Some(n) != self.name.as_ref());
                let domain = domain.filter(|d| Some(d) != self.domain.as_ref());
                if name.is_none() && domain.is_none() {
                    return Err(CompanyError::NothingToChange);
                }
                Ok(E::CompanyProfileUpdated {
                    updated_by: actor.user_id(),
                    name,
                    domain,
                })
            }
            C::ChangeSettings { actor, settings } => {
                self.require_manager(&actor)?;
                if self.status != CompanyStatus::Active {
                    return Err(CompanyError::NotActive);
                }
                if settings.pass_threshold > 100
                    || settings.fail_threshold >= settings.pass_threshold
                {
                    return Err(CompanyError::InvalidThresholds);
                }
                if settings == self.settings {
                    return Err(CompanyError::NothingToChange);
                }
                Ok(E::CompanySettingsChanged {
                    changed_by: actor.user_id(),
                    settings,
                })
            }
        }
    }
}

impl Aggregate for Company {
    const TYPE: &'static str = "company";
    type Command = CompanyCommand;
    type Event = CompanyEvent;
    type Error = CompanyError;
    type Services = ();

    async fn handle(
        &mut self,
        command: Self::Command,
        _services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        let event = self.decide(command)?;
        sink.write(event, self).await;
        Ok(())
    }

    fn apply(&mut self, event: Self::Event) {
        use CompanyEvent as E;
        match event {
            E::CompanyRegistrationRequested {
                company_id,
                name,
                domain,
                contact,
            } => {
                self.id = Some(company_id);
                self.status = CompanyStatus::Pending;
                self.name = Some(name);
                self.domain = Some(domain);
                self.contact = Some(contact);
            }
            E::CompanyApproved { .. } | E::CompanyReactivated { .. } => {
                self.status = CompanyStatus::Active;
            }
            E::CompanyRegistrationRejected { .. } => self.status = CompanyStatus::Rejected,
            E::CompanyDeactivated { .. } => self.status = CompanyStatus::Deactivated,
            E::CompanyProfileUpdated { name, domain, .. } => {
                if let Some(n) = name {
                    self.name = Some(n);
                }
                if let Some(d) = domain {
                    self.domain = Some(d);
                }
            }
            E::CompanySettingsChanged { settings, .. } => self.settings = settings,
        }
    }
}
