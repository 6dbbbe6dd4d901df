use super::{
    AssigneeView, CandidateCommand, CandidateError, CandidateEvent, CandidateProfile,
    CandidateStatus,
};
use crate::{Actor, InvalidValue, PersonalText, Role};
use cqrs_es::Aggregate;
use cqrs_es::event_sink::EventSink;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use uuid::Uuid;

const MAX_TAGS: usize = 20;
const MAX_EXPERIENCE_YEARS: u8 = 70;

/// The candidate as the command side sees it. Read it through the accessors; `status` is public
/// so callers can match on it.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    id: Option<Uuid>,
    company_id: Option<Uuid>,
    pub status: CandidateStatus,
    /// `None` before creation and after deletion.
    profile: Option<CandidateProfile>,
    assigned_to: Option<Uuid>,
    user_id: Option<Uuid>,
    import_id: Option<Uuid>,
}

fn invalid(field: &'static str, reason: &'static str) -> InvalidValue {
    InvalidValue { field, reason }
}

/// Trims `raw` and checks its length in chars and that it has no control characters.
fn text(field: &'static str, raw: &str, min: usize, max: usize) -> Result<String, InvalidValue> {
    let s = raw.trim();
    let n = s.chars().count();
    if n < min {
        return Err(invalid(field, "empty"));
    }
    if n > max {
        return Err(invalid(field, "too_long"));
    }
    if s.chars().any(char::is_control) {
        return Err(invalid(field, "control_characters"));
    }
    Ok(s.to_owned())
}

/// Trims the position and checks it: at most 200 chars, no control characters. The command layer
/// runs it before sealing the position under the candidate's key.
pub fn normalize_position(raw: &str) -> Result<String, InvalidValue> {
    text("position", raw, 0, 200)
}

fn check_tag_count(n: usize) -> Result<(), InvalidValue> {
    if n > MAX_TAGS {
        return Err(invalid("tags", "too_many"));
    }
    Ok(())
}

/// Trims the tags and checks them: at most 20, each 1–50 chars without control characters,
/// unique case-insensitively (case kept). The command layer runs it before sealing each tag under
/// the candidate's key.
pub fn normalize_tags(tags: &[String]) -> Result<Vec<String>, InvalidValue> {
    check_tag_count(tags.len())?;
    let mut seen = HashSet::new();
    tags.iter()
        .map(|t| {
            let tag = text("tag", t, 1, 50)?;
            if !seen.insert(tag.to_lowercase()) {
                return Err(invalid("tags", "duplicate"));
            }
            Ok(tag)
        })
        .collect()
}

/// Every sealed value must be sealed under `subject` (the candidate's own key); position and
/// tags too, which commands never carry in clear.
fn check_subject(p: &CandidateProfile, subject: Uuid) -> Result<(), CandidateError> {
    let sealed = [Some(&p.name), Some(&p.email), p.phone.as_ref()];
    let all = sealed.into_iter().chain([p.qualifications.as_ref()]);
    let texts = std::iter::once(&p.position).chain(&p.tags);
    let mine = |t: &PersonalText| t.sealed().is_some_and(|s| s.subject == subject);
    if all.flatten().all(|s| s.subject == subject) && texts.into_iter().all(mine) {
        Ok(())
    } else {
        Err(CandidateError::WrongDataSubject)
    }
}

/// Validates and normalizes the clear fields; sealed ones pass through (their clear form was
/// checked by [`normalize_position`] and [`normalize_tags`]; only the number of tags is checked
/// again here).
fn check_profile(p: CandidateProfile) -> Result<CandidateProfile, InvalidValue> {
    if p.experience_years > MAX_EXPERIENCE_YEARS {
        return Err(invalid("experience_years", "out_of_range"));
    }
    check_tag_count(p.tags.len())?;
    Ok(CandidateProfile {
        domain: text("domain", &p.domain, 0, 200)?,
        ..p
    })
}

/// An active `EMPLOYEE` of `company_id`.
fn is_valid_assignee(view: &AssigneeView, company_id: Option<Uuid>) -> bool {
    view.role == Role::Employee
        && view.active
        && company_id.is_some()
        && view.company_id == company_id
}

impl Candidate {
    pub fn id(&self) -> Option<Uuid> {
        self.id
    }

    pub fn company_id(&self) -> Option<Uuid> {
        self.company_id
    }

    /// The employee the candidate is assigned to.
    pub fn assigned_to(&self) -> Option<Uuid> {
        self.assigned_to
    }

    /// The linked `CANDIDATE` user account.
    pub fn user_id(&self) -> Option<Uuid> {
        self.user_id
    }

    /// The import that brought the candidate in.
    pub fn import_id(&self) -> Option<Uuid> {
        self.import_id
    }

    /// `None` before creation and after deletion.
    pub fn profile(&self) -> Option<&CandidateProfile> {
        self.profile.as_ref()
    }

    pub fn is_active(&self) -> bool {
        self.status == CandidateStatus::Active
    }

    /// Existence, authority and "not deleted", in that order; every command but `Create`.
    fn require_live(&self, actor: &Actor) -> Result<(), CandidateError> {
        if self.status == CandidateStatus::None {
            return Err(CandidateError::NotFound);
        }
        if !actor.manages_company(self.company_id) {
            return Err(CandidateError::Forbidden);
        }
        if self.status == CandidateStatus::Deleted {
            return Err(CandidateError::Deleted);
        }
        Ok(())
    }

    fn decide(&self, command: CandidateCommand) -> Result<CandidateEvent, CandidateError> {
        use CandidateCommand as C;
        use CandidateEvent as E;
        use CandidateStatus as S;
        match command {
            C::Create {
                actor,
                candidate_id,
                company_id,
                profile,
                user_id,
                import_id,
            } => {
                if !actor.manages_company(Some(company_id)) {
                    return Err(CandidateError::Forbidden);
                }
                match self.status {
                    S::None => {}
                    S::Active => return Err(CandidateError::AlreadyExists),
                    S::Deleted => return Err(CandidateError::Deleted),
                }
                check_subject(&profile, candidate_id)?;
                Ok(E::CandidateCreated {
                    candidate_id,
                    company_id,
                    created_by: actor.user_id(),
                    profile: check_profile(profile)?,
                    user_id,
                    import_id,
                })
            }
            C::Update { actor, profile } => {
                self.require_live(&actor)?;
                check_subject(&profile, self.id.ok_or(CandidateError::NotFound)?)?;
                let profile = check_profile(profile)?;
                if self.profile.as_ref() == Some(&profile) {
                    return Err(CandidateError::NothingToChange);
                }
                Ok(E::CandidateUpdated {
                    updated_by: actor.user_id(),
                    profile,
                })
            }
            C::Assign { actor, assignee } => {
                self.require_live(&actor)?;
                match assignee {
                    Some(view) if !is_valid_assignee(&view, self.company_id) => {
                        Err(CandidateError::InvalidAssignee)
                    }
                    Some(view) if self.assigned_to == Some(view.user_id) => {
                        Err(CandidateError::NothingToChange)
                    }
                    Some(view) => Ok(E::CandidateAssigned {
                        assigned_by: actor.user_id(),
                        employee_id: view.user_id,
                    }),
                    None if self.assigned_to.is_none() => Err(CandidateError::NothingToChange),
                    None => Ok(E::CandidateUnassigned {
                        unassigned_by: actor.user_id(),
                    }),
                }
            }
            C::LinkUser { actor, user_id } => {
                self.require_live(&actor)?;
                match self.user_id {
                    Some(linked) if linked == user_id => Err(CandidateError::NothingToChange),
                    Some(_) => Err(CandidateError::AlreadyLinked),
                    None => Ok(E::CandidateLinkedToUser {
                        linked_by: actor.user_id(),
                        user_id,
                    }),
                }
            }
            C::Delete { actor } => {
                self.require_live(&actor)?;
                Ok(E::CandidateDeleted {
                    deleted_by: actor.user_id(),
                })
            }
        }
    }
}

impl Aggregate for Candidate {
    const TYPE: &'static str = "candidate";
    type Command = CandidateCommand;
    type Event = CandidateEvent;
    type Error = CandidateError;
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
        use CandidateEvent as E;
        match event {
            E::CandidateCreated {
                candidate_id,
                company_id,
                profile,
                user_id,
                import_id,
                ..
            } => {
                self.id = Some(candidate_id);
                self.company_id = Some(company_id);
                self.status = CandidateStatus::Active;
                self.profile = Some(profile);
                self.user_id = user_id;
                self.import_id = import_id;
            }
            E::CandidateUpdated { profile, .. } => self.profile = Some(profile),
            E::CandidateAssigned { employee_id, .. } => self.assigned_to = Some(employee_id),
            E::CandidateUnassigned { .. } => self.assigned_to = None,
            E::CandidateLinkedToUser { user_id, .. } => self.user_id = Some(user_id),
            E::CandidateDeleted { .. } => {
                self.status = CandidateStatus::Deleted;
                self.profile = None;
            }
        }
    }
}
