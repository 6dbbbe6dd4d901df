use super::{
    ApplicationCommand, ApplicationError, ApplicationEvent, ApplicationSource, ApplicationStatus,
    JobStatusView, application_id,
};
use crate::{Actor, PersonalText, Role, Sealed};
use cqrs_es::Aggregate;
use cqrs_es::event_sink::EventSink;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The statuses an application in `status` may move to with `ChangeStatus` or `Withdraw`: the
/// next workflow step, then REJECTED and WITHDRAWN; nothing from a final status. No skipping, no
/// going back. (`RecordInterviewScheduled` is the one exception, see the module docs.)
pub fn allowed_next(status: ApplicationStatus) -> &'static [ApplicationStatus] {
    use ApplicationStatus as S;
    match status {
        S::Applied => &[S::Screening, S::Rejected, S::Withdrawn],
        S::Screening => &[S::Shortlisted, S::Rejected, S::Withdrawn],
        S::Shortlisted => &[S::InterviewScheduled, S::Rejected, S::Withdrawn],
        S::InterviewScheduled => &[S::Offered, S::Rejected, S::Withdrawn],
        S::Offered => &[S::Hired, S::Rejected, S::Withdrawn],
        S::Hired | S::Rejected | S::Withdrawn => &[],
    }
}

/// `status` is `None` until the candidate has applied.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Application {
    pub id: Option<Uuid>,
    pub status: Option<ApplicationStatus>,
    pub job_id: Option<Uuid>,
    pub candidate_id: Option<Uuid>,
    pub candidate_user_id: Option<Uuid>,
    pub company_id: Option<Uuid>,
    pub source: Option<ApplicationSource>,
}

/// Who may submit an application to a job of `company_id`, from `source`, linked to
/// `candidate_user_id`.
fn may_apply(
    actor: &Actor,
    company_id: Uuid,
    source: ApplicationSource,
    candidate_user_id: Option<Uuid>,
) -> bool {
    if actor.manages_company(Some(company_id)) {
        return true;
    }
    if source != ApplicationSource::Portal {
        return false;
    }
    match actor {
        Actor::Anonymous => candidate_user_id.is_none(),
        Actor::User {
            user_id,
            role: Role::Candidate,
            company_id: own,
        } => *own == Some(company_id) && candidate_user_id == Some(*user_id),
        _ => false,
    }
}

impl Application {
    /// A reason must be sealed under this application's candidate's key.
    fn check_reason(
        &self,
        reason: Option<Sealed>,
    ) -> Result<Option<PersonalText>, ApplicationError> {
        match reason {
            Some(sealed) if Some(sealed.subject) != self.candidate_id => {
                Err(ApplicationError::WrongDataSubject)
            }
            other => Ok(other.map(PersonalText::Sealed)),
        }
    }

    /// The current status of an existing application.
    fn current(&self) -> Result<ApplicationStatus, ApplicationError> {
        self.status.ok_or(ApplicationError::NotFound)
    }

    fn require_manager(&self, actor: &Actor) -> Result<(), ApplicationError> {
        if actor.manages_company(self.company_id) {
            Ok(())
        } else {
            Err(ApplicationError::Forbidden)
        }
    }

    /// An `EMPLOYEE` of the application's company to whom the candidate is assigned.
    fn is_assigned_employee(&self, actor: &Actor, candidate_assignee: Option<Uuid>) -> bool {
        match actor {
            Actor::User {
                user_id,
                role: Role::Employee,
                company_id,
            } => {
                company_id.is_some()
                    && *company_id == self.company_id
                    && candidate_assignee == Some(*user_id)
            }
            _ => false,
        }
    }

    fn is_own_candidate(&self, actor: &Actor) -> bool {
        actor.user_id().is_some() && actor.user_id() == self.candidate_user_id
    }

    fn decide(
        &self,
        command: ApplicationCommand,
    ) -> Result<Vec<ApplicationEvent>, ApplicationError> {
        use ApplicationCommand as C;
        use ApplicationEvent as E;
        use ApplicationStatus as S;
        match command {
            C::Apply {
                actor,
                application_id: id,
                job_id,
                candidate_id,
                candidate_user_id,
                company_id,
                job_status,
                source,
                at,
            } => {
                if !may_apply(&actor, company_id, source, candidate_user_id) {
                    return Err(ApplicationError::Forbidden);
                }
                if id != application_id(job_id, candidate_id) {
                    return Err(ApplicationError::IdMismatch);
                }
                if self.status.is_some() {
                    return Err(ApplicationError::AlreadyApplied);
                }
                if job_status != JobStatusView::Open {
                    return Err(ApplicationError::JobNotOpen);
                }
                Ok(vec![E::ApplicationSubmitted {
                    application_id: id,
                    job_id,
                    candidate_id,
                    candidate_user_id,
                    company_id,
                    source,
                    submitted_by: actor.user_id(),
                    at,
                }])
            }
            C::ChangeStatus {
                actor,
                to,
                reason,
                at,
                candidate_assignee,
            } => {
                let from = self.current()?;
                if !self.is_assigned_employee(&actor, candidate_assignee) {
                    self.require_manager(&actor)?;
                }
                if from.is_final() {
                    return Err(ApplicationError::Final);
                }
                if to == ApplicationStatus::Withdrawn {
                    return Err(ApplicationError::UseWithdraw);
                }
                if !allowed_next(from).contains(&to) {
                    return Err(ApplicationError::IllegalTransition { from, to });
                }
                let reason = self.check_reason(reason)?;
                if to == ApplicationStatus::Rejected && reason.is_none() {
                    return Err(ApplicationError::ReasonRequired);
                }
                Ok(vec![E::ApplicationStatusChanged {
                    from,
                    to,
                    by: actor.user_id(),
                    reason,
                    at,
                }])
            }
            C::RecordInterviewScheduled {
                actor,
                interview_id,
                at,
            } => {
                let from = self.current()?;
                self.require_manager(&actor)?;
                match from {
                    S::Applied | S::Screening | S::Shortlisted => {
                        Ok(vec![E::ApplicationStatusChanged {
                            from,
                            to: S::InterviewScheduled,
                            by: actor.user_id(),
                            reason: Some(PersonalText::Clear(format!(
                                "interview {interview_id} scheduled"
                            ))),
                            at,
                        }])
                    }
                    S::InterviewScheduled => Ok(vec![]),
                    S::Offered => Err(ApplicationError::IllegalTransition {
                        from,
                        to: S::InterviewScheduled,
                    }),
                    S::Hired | S::Rejected | S::Withdrawn => Err(ApplicationError::Final),
                }
            }
            C::Withdraw {
                actor,
                candidate_user_id,
                reason,
                at,
            } => {
                let from = self.current()?;
                let linked_now = actor.user_id().is_some() && actor.user_id() == candidate_user_id;
                if !self.is_own_candidate(&actor) && !linked_now {
                    self.require_manager(&actor)?;
                }
                if from.is_final() {
                    return Err(ApplicationError::Final);
                }
                Ok(vec![E::ApplicationWithdrawn {
                    from,
                    by: actor.user_id(),
                    reason: self.check_reason(reason)?,
                    at,
                }])
            }
        }
    }
}

impl Aggregate for Application {
    const TYPE: &'static str = "application";
    type Command = ApplicationCommand;
    type Event = ApplicationEvent;
    type Error = ApplicationError;
    type Services = ();

    async fn handle(
        &mut self,
        command: Self::Command,
        _services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        for event in self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: Self::Event) {
        use ApplicationEvent as E;
        match event {
            E::ApplicationSubmitted {
                application_id,
                job_id,
                candidate_id,
                candidate_user_id,
                company_id,
                source,
                ..
            } => {
                self.id = Some(application_id);
                self.status = Some(ApplicationStatus::Applied);
                self.job_id = Some(job_id);
                self.candidate_id = Some(candidate_id);
                self.candidate_user_id = candidate_user_id;
                self.company_id = Some(company_id);
                self.source = Some(source);
            }
            E::ApplicationStatusChanged { to, .. } => self.status = Some(to),
            E::ApplicationWithdrawn { .. } => self.status = Some(ApplicationStatus::Withdrawn),
        }
    }
}
