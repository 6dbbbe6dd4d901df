use super::{
    JobCommand, JobDetails, JobError, JobEvent, JobQuestion, JobStatus, Question, SalaryRange,
    Skill, VerdictThresholds,
};
use crate::{Actor, InvalidValue};
use cqrs_es::Aggregate;
use cqrs_es::event_sink::EventSink;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use uuid::Uuid;

const MAX_SKILLS: usize = 50;
const MAX_QUESTIONS: usize = 100;
const MAX_RUBRIC_POINTS: usize = 20;

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub id: Option<Uuid>,
    pub company_id: Option<Uuid>,
    pub status: JobStatus,
    pub details: Option<JobDetails>,
    /// `None`: the company default applies.
    pub thresholds: Option<VerdictThresholds>,
    pub human_review_required: bool,
    /// In interview order.
    pub questions: Vec<JobQuestion>,
}

fn invalid(field: &'static str, reason: &'static str) -> InvalidValue {
    InvalidValue { field, reason }
}

/// Trims `raw` and checks its length in chars; `multiline` allows `\n`, `\r` and `\t`.
fn text(
    field: &'static str,
    raw: &str,
    min: usize,
    max: usize,
    multiline: bool,
) -> Result<String, InvalidValue> {
    let s = raw.trim();
    let n = s.chars().count();
    if n < min {
        return Err(invalid(field, "empty"));
    }
    if n > max {
        return Err(invalid(field, "too_long"));
    }
    let allowed = |c: char| multiline && matches!(c, '\n' | '\r' | '\t');
    if s.chars().any(|c| c.is_control() && !allowed(c)) {
        return Err(invalid(field, "control_characters"));
    }
    Ok(s.to_owned())
}

fn check_weight(field: &'static str, weight: u8) -> Result<u8, InvalidValue> {
    if (1..=100).contains(&weight) {
        Ok(weight)
    } else {
        Err(invalid(field, "out_of_range"))
    }
}

fn check_salary(s: SalaryRange) -> Result<SalaryRange, InvalidValue> {
    if s.currency.len() != 3 || !s.currency.chars().all(|c| c.is_ascii_uppercase()) {
        return Err(invalid("salary_currency", "not_iso_4217"));
    }
    if s.min > s.max {
        return Err(invalid("salary", "min_above_max"));
    }
    Ok(s)
}

fn check_skills(skills: Vec<Skill>) -> Result<Vec<Skill>, InvalidValue> {
    if skills.len() > MAX_SKILLS {
        return Err(invalid("skills", "too_many"));
    }
    let mut seen = HashSet::new();
    skills
        .into_iter()
        .map(|s| {
            let name = text("skill_name", &s.name, 1, 100, false)?;
            if !seen.insert(name.to_lowercase()) {
                return Err(invalid("skills", "duplicate"));
            }
            Ok(Skill {
                name,
                weight: check_weight("skill_weight", s.weight)?,
            })
        })
        .collect()
}

fn check_details(d: JobDetails) -> Result<JobDetails, InvalidValue> {
    Ok(JobDetails {
        title: text("title", &d.title, 1, 200, false)?,
        description: text("description", &d.description, 0, 20_000, true)?,
        requirements: text("requirements", &d.requirements, 0, 20_000, true)?,
        department: text("department", &d.department, 0, 200, false)?,
        location: text("location", &d.location, 0, 200, false)?,
        employment_type: d.employment_type,
        salary: d.salary.map(check_salary).transpose()?,
        skills: check_skills(d.skills)?,
    })
}

fn check_question(q: Question) -> Result<Question, InvalidValue> {
    if !(10..=3600).contains(&q.expected_duration_secs) {
        return Err(invalid("expected_duration", "out_of_range"));
    }
    if q.rubric.len() > MAX_RUBRIC_POINTS {
        return Err(invalid("rubric", "too_many"));
    }
    Ok(Question {
        text: text("question_text", &q.text, 1, 2000, true)?,
        category: q.category,
        difficulty: q.difficulty,
        weight: check_weight("question_weight", q.weight)?,
        ideal_answer: q
            .ideal_answer
            .map(|a| text("ideal_answer", &a, 1, 10_000, true))
            .transpose()?,
        rubric: q
            .rubric
            .iter()
            .map(|p| text("rubric_point", p, 1, 500, false))
            .collect::<Result<_, _>>()?,
        expected_duration_secs: q.expected_duration_secs,
    })
}

fn check_thresholds(t: Option<VerdictThresholds>) -> Result<Option<VerdictThresholds>, JobError> {
    match t {
        Some(t) if t.pass > 100 || t.fail >= t.pass => Err(JobError::InvalidThresholds),
        t => Ok(t),
    }
}

/// An open job must be publishable: a description and at least one skill.
fn check_publishable(d: &JobDetails) -> Result<(), JobError> {
    if d.description.is_empty() {
        return Err(JobError::MissingDescription);
    }
    if d.skills.is_empty() {
        return Err(JobError::NoSkills);
    }
    Ok(())
}

impl Job {
    fn position(&self, question_id: Uuid) -> Option<usize> {
        self.questions
            .iter()
            .position(|q| q.question_id == question_id)
    }

    fn question(&self, question_id: Uuid) -> Result<&Question, JobError> {
        self.position(question_id)
            .map(|i| &self.questions[i].question)
            .ok_or(JobError::UnknownQuestion)
    }

    /// Existence, authority and "not closed", in that order; every command but `Create`.
    fn require_editable(&self, actor: &Actor) -> Result<(), JobError> {
        if self.status == JobStatus::None {
            return Err(JobError::NotFound);
        }
        if !actor.manages_company(self.company_id) {
            return Err(JobError::Forbidden);
        }
        if self.status == JobStatus::Closed {
            return Err(JobError::Closed);
        }
        Ok(())
    }

    fn decide(&self, command: JobCommand) -> Result<JobEvent, JobError> {
        use JobCommand as C;
        use JobEvent as E;
        use JobStatus as S;
        match command {
            C::Create {
                actor,
                job_id,
                company_id,
                details,
                thresholds,
                human_review_required,
            } => {
                if !actor.manages_company(Some(company_id)) {
                    return Err(JobError::Forbidden);
                }
                if self.status != S::None {
                    return Err(JobError::AlreadyExists);
                }
                Ok(E::JobCreated {
                    job_id,
                    company_id,
                    created_by: actor.user_id(),
                    details: check_details(details)?,
                    thresholds: check_thresholds(thresholds)?,
                    human_review_required,
                })
            }
            C::Update { actor, details } => {
                self.require_editable(&actor)?;
                let details = check_details(details)?;
                if self.status == S::Open {
                    check_publishable(&details)?;
                }
                if self.details.as_ref() == Some(&details) {
                    return Err(JobError::NothingToChange);
                }
                Ok(E::JobUpdated {
                    updated_by: actor.user_id(),
                    details,
                })
            }
            C::Open { actor } => {
                self.require_editable(&actor)?;
                if !matches!(self.status, S::Draft | S::Paused) {
                    return Err(JobError::InvalidTransition);
                }
                check_publishable(self.details.as_ref().ok_or(JobError::NotFound)?)?;
                Ok(E::JobOpened {
                    opened_by: actor.user_id(),
                })
            }
            C::Pause { actor } => {
                self.require_editable(&actor)?;
                if self.status != S::Open {
                    return Err(JobError::InvalidTransition);
                }
                Ok(E::JobPaused {
                    paused_by: actor.user_id(),
                })
            }
            C::Close { actor } => {
                self.require_editable(&actor)?;
                Ok(E::JobClosed {
                    closed_by: actor.user_id(),
                })
            }
            C::ChangeThresholds { actor, thresholds } => {
                self.require_editable(&actor)?;
                let thresholds = check_thresholds(thresholds)?;
                if thresholds == self.thresholds {
                    return Err(JobError::NothingToChange);
                }
                Ok(E::JobThresholdsChanged {
                    changed_by: actor.user_id(),
                    thresholds,
                })
            }
            C::ChangeReviewPolicy {
                actor,
                human_review_required,
            } => {
                self.require_editable(&actor)?;
                if human_review_required == self.human_review_required {
                    return Err(JobError::NothingToChange);
                }
                Ok(E::JobReviewPolicyChanged {
                    changed_by: actor.user_id(),
                    human_review_required,
                })
            }
            C::AddQuestion {
                actor,
                question_id,
                question,
            } => {
                self.require_editable(&actor)?;
                if self.position(question_id).is_some() {
                    return Err(JobError::DuplicateQuestion);
                }
                if self.questions.len() >= MAX_QUESTIONS {
                    return Err(invalid("questions", "too_many").into());
                }
                Ok(E::QuestionAdded {
                    added_by: actor.user_id(),
                    question_id,
                    question: check_question(question)?,
                })
            }
            C::EditQuestion {
                actor,
                question_id,
                question,
            } => {
                self.require_editable(&actor)?;
                let current = self.question(question_id)?;
                let question = check_question(question)?;
                if *current == question {
                    return Err(JobError::NothingToChange);
                }
                Ok(E::QuestionEdited {
                    edited_by: actor.user_id(),
                    question_id,
                    question,
                })
            }
            C::ReorderQuestions { actor, order } => {
                self.require_editable(&actor)?;
                let unique: HashSet<Uuid> = order.iter().copied().collect();
                let current: HashSet<Uuid> = self.questions.iter().map(|q| q.question_id).collect();
                if order.len() != self.questions.len() || unique != current {
                    return Err(JobError::NotAPermutation);
                }
                if self
                    .questions
                    .iter()
                    .map(|q| q.question_id)
                    .eq(order.iter().copied())
                {
                    return Err(JobError::NothingToChange);
                }
                Ok(E::QuestionsReordered {
                    reordered_by: actor.user_id(),
                    order,
                })
            }
            C::RemoveQuestion { actor, question_id } => {
                self.require_editable(&actor)?;
                self.question(question_id)?;
                Ok(E::QuestionRemoved {
                    removed_by: actor.user_id(),
                    question_id,
                })
            }
        }
    }
}

impl Aggregate for Job {
    const TYPE: &'static str = "job";
    type Command = JobCommand;
    type Event = JobEvent;
    type Error = JobError;
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
        use JobEvent as E;
        match event {
            E::JobCreated {
                job_id,
                company_id,
                details,
                thresholds,
                human_review_required,
                ..
            } => {
                self.id = Some(job_id);
                self.company_id = Some(company_id);
                self.status = JobStatus::Draft;
                self.details = Some(details);
                self.thresholds = thresholds;
                self.human_review_required = human_review_required;
            }
            E::JobUpdated { details, .. } => self.details = Some(details),
            E::JobOpened { .. } => self.status = JobStatus::Open,
            E::JobPaused { .. } => self.status = JobStatus::Paused,
            E::JobClosed { .. } => self.status = JobStatus::Closed,
            E::JobThresholdsChanged { thresholds, .. } => self.thresholds = thresholds,
            E::JobReviewPolicyChanged {
                human_review_required,
                ..
            } => self.human_review_required = human_review_required,
            E::QuestionAdded {
                question_id,
                question,
                ..
            } => self.questions.push(JobQuestion {
                question_id,
                question,
            }),
            E::QuestionEdited {
                question_id,
                question,
                ..
            } => {
                if let Some(i) = self.position(question_id) {
                    self.questions[i].question = question;
                }
            }
            E::QuestionsReordered { order, .. } => {
                let mut rest = std::mem::take(&mut self.questions);
                for id in order {
                    if let Some(i) = rest.iter().position(|q| q.question_id == id) {
                        self.questions.push(rest.remove(i));
                    }
                }
                self.questions.append(&mut rest);
            }
            E::QuestionRemoved { question_id, .. } => {
                self.questions.retain(|q| q.question_id != question_id);
            }
        }
    }
}
