use super::{UserCommand, UserError, UserEvent, UserStatus};
use crate::{Actor, PasswordHash, Role, Sealed};
use cqrs_es::Aggregate;
use cqrs_es::event_sink::EventSink;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: Option<Uuid>,
    pub status: UserStatus,
    pub company_id: Option<Uuid>,
    pub role: Option<Role>,
    pub name: Option<Sealed>,
    pub email: Option<Sealed>,
    pub password_hash: Option<PasswordHash>,
}

impl User {
    pub fn is_active(&self) -> bool {
        self.status == UserStatus::Active
    }

    /// Platform admins manage everyone; HR manages non-admin users of its own company.
    fn require_manager(&self, actor: &Actor) -> Result<(), UserError> {
        if actor.is_platform_admin() {
            return Ok(());
        }
        if self.role == Some(Role::SystemAdmin) || !actor.manages_company(self.company_id) {
            return Err(UserError::Forbidden);
        }
        Ok(())
    }

    fn require_not_self(&self, actor: &Actor) -> Result<(), UserError> {
        if actor.user_id().is_some() && actor.user_id() == self.id {
            Err(UserError::SelfAction)
        } else {
            Ok(())
        }
    }

    /// Existing, not erased; `allow_deactivated` for commands that make sense on inactive users.
    fn require_live(&self, allow_deactivated: bool) -> Result<(), UserError> {
        match self.status {
            UserStatus::None => Err(UserError::NotFound),
            UserStatus::Erased => Err(UserError::Erased),
            UserStatus::Deactivated if !allow_deactivated => Err(UserError::Deactivated),
            _ => Ok(()),
        }
    }

    fn check_role_grant(
        actor: &Actor,
        role: Role,
        company_id: Option<Uuid>,
    ) -> Result<(), UserError> {
        if role.needs_company() != company_id.is_some() {
            return Err(UserError::RoleCompanyMismatch);
        }
        if role == Role::SystemAdmin && !actor.is_platform_admin() {
            return Err(UserError::AdminRoleReserved);
        }
        Ok(())
    }

    fn decide(&self, command: UserCommand) -> Result<UserEvent, UserError> {
        use UserCommand as C;
        use UserEvent as E;
        match command {
            C::Register {
                actor,
                user_id,
                company_id,
                role,
                name,
                email,
                password_hash,
            } => {
                if self.status != UserStatus::None {
                    return Err(UserError::AlreadyExists);
                }
                if name.subject != user_id || email.subject != user_id {
                    return Err(UserError::WrongDataSubject);
                }
                Self::check_role_grant(&actor, role, company_id)?;
                if !actor.manages_company(company_id) {
                    return Err(UserError::Forbidden);
                }
                Ok(E::UserRegistered {
                    user_id,
                    company_id,
                    role,
                    name,
                    email,
                    password_hash,
                    registered_by: actor.user_id(),
                })
            }
            C::UpdateProfile { actor, name, email } => {
                self.require_live(false)?;
                if actor.user_id() != self.id {
                    self.require_manager(&actor)?;
                }
                let own =
                    |s: &Option<Sealed>| s.as_ref().is_none_or(|s| Some(s.subject) == self.id);
                if !own(&name) || !own(&email) {
                    return Err(UserError::WrongDataSubject);
                }
                let name = name.filter(|n| Some(n) != self.name.as_ref());
                let email = email.filter(|e| Some(e) != self.email.as_ref());
                if name.is_none() && email.is_none() {
                    return Err(UserError::NothingToChange);
                }
                Ok(E::UserProfileUpdated {
                    name,
                    email,
                    updated_by: actor.user_id(),
                })
            }
            C::ChangeRole { actor, role } => {
                self.require_live(false)?;
                self.require_manager(&actor)?;
                self.require_not_self(&actor)?;
                Self::check_role_grant(&actor, role, self.company_id)?;
                let from = self.role.ok_or(UserError::NotFound)?;
                if from == role {
                    return Err(UserError::NothingToChange);
                }
                Ok(E::UserRoleChanged {
                    from,
                    to: role,
                    changed_by: actor.user_id(),
                })
            }
            C::ChangePassword {
                actor,
                password_hash,
            } => {
                self.require_live(false)?;
                if actor.user_id() != self.id {
                    self.require_manager(&actor)?;
                }
                Ok(E::UserPasswordChanged {
                    password_hash,
                    changed_by: actor.user_id(),
                })
            }
            C::Deactivate { actor } => {
                self.require_live(true)?;
                self.require_manager(&actor)?;
                self.require_not_self(&actor)?;
                if self.status == UserStatus::Deactivated {
                    return Err(UserError::Deactivated);
                }
                Ok(E::UserDeactivated {
                    deactivated_by: actor.user_id(),
                })
            }
            C::Reactivate { actor } => {
                self.require_live(true)?;
                self.require_manager(&actor)?;
                self.require_not_self(&actor)?;
                if self.status == UserStatus::Active {
                    return Err(UserError::AlreadyActive);
                }
                Ok(E::UserReactivated {
                    reactivated_by: actor.user_id(),
                })
            }
            C::ErasePersonalData { actor } => {
                if self.status == UserStatus::None {
                    return Err(UserError::NotFound);
                }
                if self.status == UserStatus::Erased {
                    return Err(UserError::Erased);
                }
                self.require_manager(&actor)?;
                self.require_not_self(&actor)?;
                Ok(E::UserPersonalDataErased {
                    erased_by: actor.user_id(),
                })
            }
        }
    }
}

impl Aggregate for User {
    const TYPE: &'static str = "user";
    type Command = UserCommand;
    type Event = UserEvent;
    type Error = UserError;
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
        use UserEvent as E;
        match event {
            E::UserRegistered {
                user_id,
                company_id,
                role,
                name,
                email,
                password_hash,
                ..
            } => {
                self.id = Some(user_id);
                self.status = UserStatus::Active;
                self.company_id = company_id;
                self.role = Some(role);
                self.name = Some(name);
                self.email = Some(email);
                self.password_hash = Some(password_hash);
            }
            E::UserProfileUpdated { name, email, .. } => {
                if let Some(n) = name {
                    self.name = Some(n);
                }
                if let Some(e) = email {
                    self.email = Some(e);
                }
            }
            E::UserRoleChanged { to, .. } => self.role = Some(to),
            E::UserPasswordChanged { password_hash, .. } => {
                self.password_hash = Some(password_hash)
            }
            E::UserDeactivated { .. } => self.status = UserStatus::Deactivated,
            E::UserReactivated { .. } => self.status = UserStatus::Active,
            E::UserPersonalDataErased { .. } => {
                self.status = UserStatus::Erased;
                self.name = None;
                self.email = None;
                self.password_hash = None;
            }
        }
    }
}
