//! The probe assessment: a trained examiner starts each search (docs/POLICIES.md, "Searching";
//! NY MPTC §IV.A). After approval the worker has found the faces in every probe image and
//! measured their quality; the examiner looks at them, chooses the face to search where there are
//! several, selects the probes to search, and starts them — one action per case, in one
//! transaction with its timeline event and audit record naming the examiner.

use chrono::NaiveDate;
use diesel::prelude::*;

use crate::accounts::store::{Agency, User};
use crate::audit::{self, Actor, Entry, Outcome};
use crate::cases::store::Case;
use crate::domain::duties::{Duty, DutyRefusal};
use crate::domain::examination::{ExaminerRefusal, may_examine};
use crate::domain::{CaseId, CaseStatus, UserId};
use crate::platform::db::DbConnection;
use crate::platform::db::schema::probe_searches;
use crate::platform::jobs::effects::AfterCommit;
use crate::platform::time::now;
use crate::search::{JOB_KIND, JobPayload, ProbeSearch, ProbeSearchState};

/// Shortest note accepted when no probe is selected (characters).
pub const MIN_NOTE: usize = 10;

/// Who starts the searches, and the settings that bear on it.
pub struct Ctx<'a> {
    pub user: &'a User,
    /// The user's agency: roles are judged with it ([`User::roles_in`]).
    pub agency: &'a Agency,
    pub actor: Actor,
    pub today: NaiveDate,
    /// `face.approver_may_examine`.
    pub approver_may_examine: bool,
}

/// The examiner's decision on one probe image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeChoice {
    pub probe_search_id: i64,
    /// Search this probe.
    pub search: bool,
    /// The face to search (0-based detector index); required when the probe holds several.
    pub face: Option<i32>,
}

/// Why the assessment was refused; `Display` is the examiner's message.
#[derive(Debug, thiserror::Error)]
pub enum AssessmentError {
    #[error(transparent)]
    Refused(#[from] ExaminerRefusal),
    /// The account's access is restricted after an audit finding (docs/POLICIES.md).
    #[error(transparent)]
    Restricted(#[from] crate::domain::corrective::Restricted),
    #[error(transparent)]
    Duty(#[from] DutyRefusal),
    /// The case does not exist, is logically deleted, or is not approved.
    #[error("This case is not awaiting a search.")]
    CaseClosed,
    #[error("The probe images are still being analysed; reload this page in a moment.")]
    NotReady,
    #[error("The search of this case was already started by {0}.")]
    AlreadyStarted(String),
    #[error(
        "Select at least one probe to search, or explain in the note (at least {MIN_NOTE} characters) why none is suitable."
    )]
    NothingSelected,
    #[error("Choose the face to search in probe image {0}.")]
    NoFaceChosen(usize),
    #[error("Probe image {0} has no such face.")]
    NoSuchFace(usize),
    /// Another examiner holds a live claim on this assessment ([`crate::examination::claims`]).
    #[error(transparent)]
    Claimed(#[from] crate::examination::claims::HeldByOther),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AssessmentError {
    /// Refusals of the person (not of the form): audit records.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            AssessmentError::Refused(_)
                | AssessmentError::Restricted(_)
                | AssessmentError::Duty(_)
                | AssessmentError::Claimed(_)
                | AssessmentError::CaseClosed
        )
    }
}

/// Whether `ctx.user` may assess and start the searches of `case`: a trained examiner (current
/// facial-comparison training) the separation-of-duties rules allow on the case.
///
/// Errors: the outer `Result` is a failed database query.
pub fn may_assess(
    conn: &mut DbConnection,
    ctx: &Ctx<'_>,
    case: &Case,
) -> QueryResult<Result<(), AssessmentError>> {
    if let Err(r) = crate::accounts::restriction::check(conn, ctx.user.id)? {
        return Ok(Err(r.into()));
    }
    let training = crate::accounts::training::records_of(conn, ctx.user.user_id())?;
    if let Err(r) = may_examine(&ctx.user.roles_in(ctx.agency), &training, ctx.today) {
        return Ok(Err(r.into()));
    }
    Ok(crate::examination::duties::check(
        conn,
        case,
        ctx.user.id,
        Duty::Examine,
        ctx.approver_may_examine,
    )?
    .map_err(AssessmentError::from))
}

/// The probe searches of the case's current version, in upload order.
pub fn probes_of(conn: &mut DbConnection, case: &Case) -> QueryResult<Vec<ProbeSearch>> {
    Ok(ProbeSearch::for_case(conn, case.case_id())?
        .into_iter()
        .filter(|p| p.version == case.current_version)
        .collect())
}

/// Starts the searches of case `case_id` as the examiner decided: each selected probe is queued
/// with its face; each probe left out is recorded as `not_selected` with the note. Refusals of
/// the person are audit records. Returns what to wake after the commit.
///
/// Errors: see [`AssessmentError`]; nothing is changed on error.
pub fn start(
    conn: &mut DbConnection,
    ctx: &Ctx<'_>,
    case_id: CaseId,
    choices: &[ProbeChoice],
    note: &str,
) -> Result<AfterCommit, AssessmentError> {
    let note = crate::domain::text::multi_line(note);
    let result =
        crate::platform::db::write_tx(conn, |conn| start_in_tx(conn, ctx, case_id, choices, &note));
    if let Err(e) = &result
        && e.is_refusal()
    {
        audit::record(
            conn,
            &ctx.actor,
            Entry::new("search.start", "case", case_id.0)
                .outcome(Outcome::Denied)
                .details(e.to_string()),
        )?;
    }
    result
}

fn start_in_tx(
    conn: &mut DbConnection,
    ctx: &Ctx<'_>,
    case_id: CaseId,
    choices: &[ProbeChoice],
    note: &str,
) -> Result<AfterCommit, AssessmentError> {
    let case = Case::find(conn, case_id)?.ok_or(AssessmentError::CaseClosed)?;
    may_assess(conn, ctx, &case)??;
    let probes = probes_of(conn, &case)?;
    if let Some(by) = probes.iter().find_map(|p| p.started_by) {
        let name = User::find(conn, UserId(by))
            .map(|u| u.name)
            .unwrap_or_default();
        return Err(AssessmentError::AlreadyStarted(name));
    }
    if case.status() != CaseStatus::Approved {
        return Err(AssessmentError::CaseClosed);
    }
    let item = crate::examination::claims::WorkItem::assessment(case.id);
    match crate::examination::claims::hold(conn, &ctx.actor, &item, ctx.user, now(), None) {
        Ok(_) => {}
        Err(crate::examination::claims::ClaimError::Held(h)) => return Err(h.into()),
        Err(crate::examination::claims::ClaimError::Db(d)) => return Err(d.into()),
        Err(e) => return Err(anyhow::anyhow!("claim check: {e}").into()),
    }
    if probes
        .iter()
        .any(|p| p.status == ProbeSearchState::Analysing)
    {
        return Err(AssessmentError::NotReady);
    }
    let open: Vec<(usize, &ProbeSearch)> = probes
        .iter()
        .enumerate()
        .filter(|(_, p)| p.status == ProbeSearchState::AwaitingAssessment)
        .map(|(i, p)| (i + 1, p))
        .collect();
    let choice = |p: &ProbeSearch| choices.iter().find(|c| c.probe_search_id == p.id);
    let selected = open
        .iter()
        .filter(|(_, p)| choice(p).is_some_and(|c| c.search))
        .count();
    if !open.is_empty() && selected == 0 && note.chars().count() < MIN_NOTE {
        return Err(AssessmentError::NothingSelected);
    }
    let at = now();
    let mut searched = Vec::new();
    let mut left_out = Vec::new();
    for (n, p) in &open {
        let faces = p.faces();
        let c = choice(p);
        let (state, face) = if c.is_some_and(|c| c.search) {
            let face = match (c.and_then(|c| c.face), faces.len()) {
                (Some(f), _) => f,
                (None, 1) => 0,
                (None, _) => return Err(AssessmentError::NoFaceChosen(*n)),
            };
            if !faces
                .iter()
                .any(|x| i32::try_from(x.index).ok() == Some(face))
            {
                return Err(AssessmentError::NoSuchFace(*n));
            }
            (ProbeSearchState::Queued, Some(face))
        } else {
            (ProbeSearchState::NotSelected, None)
        };
        let changed = diesel::update(
            probe_searches::table
                .filter(probe_searches::id.eq(p.id))
                .filter(probe_searches::status.eq(ProbeSearchState::AwaitingAssessment.as_str()))
                .filter(probe_searches::started_by.is_null()),
        )
        .set((
            probe_searches::status.eq(state.as_str()),
            probe_searches::chosen_face.eq(face),
            probe_searches::chosen_by.eq(face.map(|_| ctx.user.id)),
            probe_searches::started_by.eq(Some(ctx.user.id)),
            probe_searches::started_at.eq(Some(at)),
        ))
        .execute(conn)?;
        if changed == 0 {
            // Another examiner started it between our read and this write.
            return Err(AssessmentError::AlreadyStarted("another examiner".into()));
        }
        if let Some(face) = face {
            let payload = serde_json::to_string(&JobPayload {
                probe_search_id: p.id,
            })
            .map_err(anyhow::Error::from)?;
            crate::platform::jobs::enqueue(
                conn,
                JOB_KIND,
                Some(case.id),
                &format!("search:{}:start", p.id),
                &payload,
            )?;
            searched.push(if faces.len() > 1 {
                format!("probe {n} (face {} of {})", face + 1, faces.len())
            } else {
                format!("probe {n}")
            });
        } else {
            left_out.push(format!("probe {n}"));
        }
    }
    let summary = format!(
        "Probe assessment: search started for {}{}",
        if searched.is_empty() {
            "no probe".to_string()
        } else {
            searched.join(", ")
        },
        if left_out.is_empty() {
            String::new()
        } else {
            format!("; not searched: {}", left_out.join(", "))
        }
    );
    crate::cases::timeline::timeline(
        conn,
        case.id,
        Some((ctx.user, "examiner")),
        "search_started",
        summary.clone(),
        (!note.is_empty()).then(|| note.to_string()),
    )?;
    audit::record(
        conn,
        &ctx.actor,
        Entry::new("search.start", "case", case.id)
            .reason(&case.search_reason)
            .details(format!(
                "case {}; {summary}{}",
                case.display_number(),
                if note.is_empty() {
                    String::new()
                } else {
                    format!("; note: {note}")
                }
            )),
    )?;
    crate::examination::claims::finish(conn, &item)?;
    crate::search::completion::complete_if_finished(conn, &case)?;
    Ok(AfterCommit::none()
        .and_search()
        .and_packet()
        .and_history(case.id))
}
