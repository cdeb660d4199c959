//! Examiner review of a stored candidate list (NY MPTC §IV.E): the first review, the blind second
//! review by a different trained examiner, and a supervisor's adjudication when they disagree.
//! Each is one transaction with its timeline event and audit record. Timeline entries never
//! reveal dispositions, so the second review stays blind.

use chrono::NaiveDate;
use diesel::prelude::*;

use crate::accounts::store::User;
use crate::audit::{self, Actor, Entry, Outcome};
use std::collections::BTreeSet;

use crate::domain::adjudication::AdjudicationForm;
use crate::domain::examination::{
    AssessmentForm, Consensus, ExaminerRefusal, Review, ReviewErrors, may_adjudicate, may_examine,
    merge_forms,
};
use crate::examination::claims::{ClaimError, QueueTask, WorkItem};
use crate::examination::standing::{
    Adjudication, Examination, ExaminationRound, Standing, standing,
};
use crate::platform::db::DbConnection;
use crate::platform::db::schema::examinations;
use crate::platform::jobs::effects::AfterCommit;
use crate::platform::time::now;
use crate::search::{ProbeSearch, ProbeSearchState};

/// Errors of the examination workflow; `Display` is the user's message.
#[derive(Debug, thiserror::Error)]
pub enum ExamineError {
    #[error(transparent)]
    Refused(#[from] ExaminerRefusal),
    /// The account's access is restricted after an audit finding (docs/POLICIES.md).
    #[error(transparent)]
    Restricted(#[from] crate::domain::corrective::Restricted),
    #[error("This probe has no candidate list to review yet.")]
    NotSearched,
    #[error("Both examiner reviews of this candidate list are recorded.")]
    AlreadyReviewed,
    #[error("Give a disposition for every candidate (see the marked rows).")]
    Invalid(ReviewErrors),
    #[error(
        "Only a supervisor of the service with current facial-comparison training can adjudicate."
    )]
    NotSupervisor,
    /// Separation of duties (docs/POLICIES.md).
    #[error(transparent)]
    Duty(#[from] crate::domain::duties::DutyRefusal),
    /// The case does not exist, is logically deleted, or is not awaiting examination.
    #[error("This case is not open for examination.")]
    CaseClosed,
    #[error("This candidate list does not need adjudication.")]
    NotDisputed,
    /// Another examiner holds a live claim on this work ([`crate::examination::claims`]).
    #[error(transparent)]
    Claimed(#[from] crate::examination::claims::HeldByOther),
    #[error(transparent)]
    BadAdjudication(#[from] crate::domain::adjudication::AdjudicationError),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub struct Ctx<'a> {
    pub user: &'a User,
    /// The user's agency: roles are judged with it ([`User::roles_in`]).
    pub agency: &'a crate::accounts::store::Agency,
    pub actor: Actor,
    pub today: NaiveDate,
    pub single_examiner_allowed: bool,
    /// `face.approver_may_examine`: whether the reviewer who approved a case may examine it.
    pub approver_may_examine: bool,
    /// Staff notifications of second reviews and adjudications awaiting someone.
    pub notify: &'a crate::notifications::NotifyContext,
}

/// The live case of `ps`, open for examination (`searched`), and the separation-of-duties check
/// for `duty`. A logically deleted or closed case answers [`ExamineError::CaseClosed`].
fn open_case(
    conn: &mut DbConnection,
    ctx: &Ctx<'_>,
    ps: &ProbeSearch,
    duty: crate::domain::duties::Duty,
) -> Result<crate::cases::store::Case, ExamineError> {
    let case = crate::cases::store::Case::find(conn, crate::domain::CaseId(ps.case_id))?
        .ok_or(ExamineError::CaseClosed)?;
    if case.status() != crate::domain::CaseStatus::Searched {
        return Err(ExamineError::CaseClosed);
    }
    crate::examination::duties::check(conn, &case, ctx.user.id, duty, ctx.approver_may_examine)??;
    Ok(case)
}

/// The probe search `ps_id` if `ctx.user` may record a review of it now, with the round it
/// would be.
fn reviewable(
    conn: &mut DbConnection,
    ctx: &Ctx<'_>,
    ps_id: i64,
) -> Result<(ProbeSearch, ExaminationRound), ExamineError> {
    let ps = ProbeSearch::find(conn, ps_id)?;
    open_case(conn, ctx, &ps, crate::domain::duties::Duty::Examine)?;
    if ps.status != ProbeSearchState::Searched {
        return Err(ExamineError::NotSearched);
    }
    let exams = Examination::for_probe(conn, ps_id)?;
    let round = match standing(&exams, false) {
        Standing::AwaitingFirst => ExaminationRound::First,
        Standing::AwaitingSecond { first_examiner } if first_examiner == ctx.user.id => {
            return Err(ExaminerRefusal::SameExaminer.into());
        }
        Standing::AwaitingSecond { .. } => ExaminationRound::Second,
        _ => return Err(ExamineError::AlreadyReviewed),
    };
    Ok((ps, round))
}

/// The claimable work of a review in `round` of `ps`.
fn work_item(ps: &ProbeSearch, round: ExaminationRound) -> WorkItem {
    WorkItem::on_probe(
        ps.case_id,
        ps.id,
        match round {
            ExaminationRound::First => QueueTask::FirstReview,
            ExaminationRound::Second => QueueTask::SecondReview,
            ExaminationRound::Adjudication => QueueTask::Adjudication,
        },
    )
}

/// Refuses while someone else holds a live claim on `item`; restarts the user's own claim.
fn check_claim(
    conn: &mut DbConnection,
    ctx: &Ctx<'_>,
    item: &WorkItem,
) -> Result<(), ExamineError> {
    match crate::examination::claims::hold(conn, &ctx.actor, item, ctx.user, now(), None) {
        Ok(_) => Ok(()),
        Err(ClaimError::Held(h)) => Err(h.into()),
        Err(ClaimError::Db(d)) => Err(d.into()),
        Err(e) => Err(anyhow::anyhow!("claim check: {e}").into()),
    }
}

/// Saves what an examiner entered so far for some candidates of `ps_id` (unchecked) into their
/// private draft: each candidate in `forms` replaces its saved entry, the others are kept
/// ([`merge_forms`]); audited (`examine.save_draft`). The comparison view posts one candidate
/// at a time. Refused like a review (training, duties, a closed case or a list already
/// reviewed).
pub fn save_draft(
    conn: &mut DbConnection,
    ctx: &Ctx<'_>,
    ps_id: i64,
    forms: &[AssessmentForm],
) -> Result<(), ExamineError> {
    let training = crate::accounts::training::records_of(conn, ctx.user.user_id())?;
    if let Err(refusal) = may_examine(&ctx.user.roles_in(ctx.agency), &training, ctx.today) {
        return audit_refusal(conn, ctx, "examine.save_draft", ps_id, Err(refusal.into()));
    }
    let result = crate::platform::db::write_tx(conn, |conn| -> Result<(), ExamineError> {
        let (ps, round) = reviewable(conn, ctx, ps_id)?;
        check_claim(conn, ctx, &work_item(&ps, round))?;
        let saved = crate::examination::drafts::of(conn, ps.id, ctx.user.id)?
            .map(|(f, _)| f)
            .unwrap_or_default();
        put_draft(conn, ctx, &ps, &merge_forms(saved, forms))
    });
    audit_refusal(conn, ctx, "examine.save_draft", ps_id, result)
}

/// Stores `forms` as the examiner's whole draft of `ps`, with its audit record.
fn put_draft(
    conn: &mut DbConnection,
    ctx: &Ctx<'_>,
    ps: &ProbeSearch,
    forms: &[AssessmentForm],
) -> Result<(), ExamineError> {
    crate::examination::drafts::put(conn, ps.id, ctx.user.id, forms)?;
    audit::record(
        conn,
        &ctx.actor,
        Entry::new("examine.save_draft", "probe_search", ps.id).details(format!(
            "case {}; {} of {} candidate(s) with a disposition",
            ps.case_id,
            forms.iter().filter(|f| !f.disposition.is_empty()).count(),
            ps.candidates().len()
        )),
    )?;
    Ok(())
}

/// Records a trained examiner's review (first, or blind second by another examiner): their
/// saved draft with `forms` laid over it ([`merge_forms`]; the comparison view's final submit
/// sends only the candidate on screen). A review refused for what was entered
/// ([`ExamineError::Invalid`]) keeps everything: the merged entries become the draft.
pub fn submit_review(
    conn: &mut DbConnection,
    ctx: &Ctx<'_>,
    ps_id: i64,
    forms: &[AssessmentForm],
) -> Result<(Standing, AfterCommit), ExamineError> {
    if let Err(r) = crate::accounts::restriction::check(conn, ctx.user.id)? {
        return audit_refusal(conn, ctx, "examine.review", ps_id, Err(r.into()));
    }
    let training = crate::accounts::training::records_of(conn, ctx.user.user_id())?;
    if let Err(refusal) = may_examine(&ctx.user.roles_in(ctx.agency), &training, ctx.today) {
        return audit_refusal(conn, ctx, "examine.review", ps_id, Err(refusal.into()));
    }
    let mut refused: Option<(ProbeSearch, Vec<AssessmentForm>)> = None;
    let result = crate::platform::db::write_tx(
        conn,
        |conn| -> Result<(Standing, AfterCommit), ExamineError> {
            let (ps, round) = reviewable(conn, ctx, ps_id)?;
            let item = work_item(&ps, round);
            check_claim(conn, ctx, &item)?;
            let saved = crate::examination::drafts::of(conn, ps.id, ctx.user.id)?
                .map(|(f, _)| f)
                .unwrap_or_default();
            let forms = merge_forms(saved, forms);
            let sights = crate::examination::access::candidate_sights(conn, ctx.user.id, &ps)?;
            let review = match Review::parse(&sights, &forms) {
                Ok(r) => r,
                Err(errors) => {
                    refused = Some((ps.clone(), forms));
                    return Err(ExamineError::Invalid(errors));
                }
            };
            diesel::insert_into(examinations::table)
                .values((
                    examinations::case_id.eq(ps.case_id),
                    examinations::probe_search_id.eq(ps.id),
                    examinations::examiner_id.eq(ctx.user.id),
                    examinations::round.eq(round.as_str()),
                    examinations::review_json
                        .eq(serde_json::to_string(&review).map_err(anyhow::Error::from)?),
                    examinations::created_at.eq(now()),
                ))
                .execute(conn)?;
            crate::examination::drafts::discard(conn, ps.id, ctx.user.id)?;
            crate::examination::claims::finish(conn, &item)?;
            crate::cases::timeline::timeline(
                conn,
                ps.case_id,
                Some((ctx.user, "examiner")),
                "examination",
                format!(
                    "{} examiner review recorded",
                    if round == ExaminationRound::First {
                        "First"
                    } else {
                        "Second (blind)"
                    }
                ),
                None,
            )?;
            audit::record(
                conn,
                &ctx.actor,
                Entry::new("examine.review", "probe_search", ps.id).details(format!(
                    "case {}; {round} review; {} candidate(s); {} possible lead(s)",
                    ps.case_id,
                    review.assessments.len(),
                    review.possible_leads().len()
                )),
            )?;
            let exams = Examination::for_probe(conn, ps_id)?;
            let now_standing = standing(&exams, ctx.single_examiner_allowed);
            let effects = settle(conn, ctx, ps.case_id, ps.id, &now_standing)?;
            Ok((now_standing, effects))
        },
    );
    if let (Err(ExamineError::Invalid(_)), Some((ps, forms))) = (&result, refused) {
        // Nothing was recorded; what the examiner entered is kept as their draft.
        crate::platform::db::write_tx(conn, |conn| put_draft(conn, ctx, &ps, &forms))?;
    }
    audit_refusal(conn, ctx, "examine.review", ps_id, result)
}

/// Writes the audit record of a refusal of the person (role, training, duties, a closed case)
/// and hands the result back.
fn audit_refusal<T>(
    conn: &mut DbConnection,
    ctx: &Ctx<'_>,
    action: &str,
    ps_id: i64,
    result: Result<T, ExamineError>,
) -> Result<T, ExamineError> {
    if let Err(
        e @ (ExamineError::Refused(_)
        | ExamineError::Restricted(_)
        | ExamineError::NotSupervisor
        | ExamineError::Duty(_)
        | ExamineError::Claimed(_)
        | ExamineError::CaseClosed),
    ) = &result
    {
        audit::record(
            conn,
            &ctx.actor,
            Entry::new(action, "probe_search", ps_id)
                .outcome(Outcome::Denied)
                .details(e.to_string()),
        )?;
    }
    result
}

/// A supervisor settles a disagreement; all three views are kept. The supervisor is a trained
/// examiner of the service (role `supervisor`, current facial-comparison training) who neither
/// submitted, approved nor examined the case, and records their own comparison
/// ([`Adjudication::parse`]). Refusals of the person (role, training, duties) are audit records.
pub fn adjudicate(
    conn: &mut DbConnection,
    ctx: &Ctx<'_>,
    case_id: i64,
    ps_id: i64,
    form: &AdjudicationForm,
) -> Result<(Standing, AfterCommit), ExamineError> {
    let result = adjudicate_in_tx(conn, ctx, case_id, ps_id, form);
    audit_refusal(conn, ctx, "examine.adjudicate", ps_id, result)
}

fn adjudicate_in_tx(
    conn: &mut DbConnection,
    ctx: &Ctx<'_>,
    case_id: i64,
    ps_id: i64,
    form: &AdjudicationForm,
) -> Result<(Standing, AfterCommit), ExamineError> {
    // A requesting agency's administrator never adjudicates the service's examinations: the
    // supervisor role works only in the service agency ([`User::roles_in`]).
    crate::accounts::restriction::check(conn, ctx.user.id)??;
    let training = crate::accounts::training::records_of(conn, ctx.user.user_id())?;
    if may_adjudicate(&ctx.user.roles_in(ctx.agency), &training, ctx.today).is_err() {
        return Err(ExamineError::NotSupervisor);
    }
    let form = AdjudicationForm {
        notes: crate::domain::text::multi_line(&form.notes),
        ..form.clone()
    };
    crate::platform::db::write_tx(
        conn,
        |conn| -> Result<(Standing, AfterCommit), ExamineError> {
            let ps = ProbeSearch::find(conn, ps_id)?;
            if ps.case_id != case_id {
                return Err(ExamineError::Db(diesel::result::Error::NotFound));
            }
            open_case(conn, ctx, &ps, crate::domain::duties::Duty::Adjudicate)?;
            let exams = Examination::for_probe(conn, ps_id)?;
            if exams.iter().any(|e| e.examiner_id == ctx.user.id) {
                return Err(crate::domain::duties::DutyRefusal::ExaminedIt.into());
            }
            if standing(&exams, false) != Standing::NeedsAdjudication {
                return Err(ExamineError::NotDisputed);
            }
            let item = work_item(&ps, ExaminationRound::Adjudication);
            check_claim(conn, ctx, &item)?;
            let examiner_leads: BTreeSet<u32> = exams
                .iter()
                .filter_map(Examination::review)
                .flat_map(|r| r.possible_leads())
                .collect();
            let ranks: Vec<u32> = ps.candidates().iter().map(|c| c.rank).collect();
            let adjudication = Adjudication::parse(&form, &ranks, &examiner_leads)?;
            let comment = form.notes.clone();
            diesel::insert_into(examinations::table)
                .values((
                    examinations::case_id.eq(ps.case_id),
                    examinations::probe_search_id.eq(ps.id),
                    examinations::examiner_id.eq(ctx.user.id),
                    examinations::round.eq(ExaminationRound::Adjudication.as_str()),
                    examinations::review_json
                        .eq(serde_json::to_string(&adjudication).map_err(anyhow::Error::from)?),
                    examinations::comment.eq(&comment),
                    examinations::created_at.eq(now()),
                ))
                .execute(conn)?;
            crate::examination::claims::finish(conn, &item)?;
            audit::record(
                conn,
                &ctx.actor,
                Entry::new("examine.adjudicate", "probe_search", ps.id).details(format!(
                    "case {}; {}; features compared: {}; {comment}",
                    ps.case_id,
                    match adjudication.lead_rank {
                        Some(r) if adjudication.full_comparison => {
                            format!("possible lead at rank {r} (supervisor's full comparison)")
                        }
                        Some(r) => format!("possible lead at rank {r}"),
                        None => "no lead".into(),
                    },
                    adjudication
                        .features
                        .iter()
                        .map(|f| f.label())
                        .collect::<Vec<_>>()
                        .join(", "),
                )),
            )?;
            let exams = Examination::for_probe(conn, ps_id)?;
            let s = standing(&exams, false);
            crate::cases::timeline::timeline(
                conn,
                ps.case_id,
                Some((ctx.user, "supervisor")),
                "adjudication",
                "Supervisor adjudicated the examiners' disagreement",
                Some(comment),
            )?;
            let effects = settle(conn, ctx, ps.case_id, ps.id, &s)?;
            Ok((s, effects))
        },
    )
}

/// After a review or an adjudication: announces the new standing on the timeline, tells the
/// examiners of a second review awaiting them (never the first examiner) or the supervisors of
/// a disagreement, and, once the probe is concluded, queues the packet job if the whole case
/// is. Returns what to wake.
fn settle(
    conn: &mut DbConnection,
    ctx: &Ctx<'_>,
    case_id: i64,
    ps_id: i64,
    now: &Standing,
) -> Result<AfterCommit, ExamineError> {
    announce(conn, case_id, now)?;
    let effects = AfterCommit::none().and_history(case_id);
    match now {
        Standing::AwaitingSecond { first_examiner } => {
            if let Some(case) =
                crate::cases::store::Case::find(conn, crate::domain::CaseId(case_id))?
            {
                crate::notifications::events::second_review_awaiting(
                    conn,
                    ctx.notify,
                    &case,
                    ps_id,
                    *first_examiner,
                    ctx.today,
                )?;
            }
            return Ok(effects.and_mail());
        }
        Standing::NeedsAdjudication => {
            if let Some(case) =
                crate::cases::store::Case::find(conn, crate::domain::CaseId(case_id))?
            {
                crate::notifications::events::adjudication_needed(
                    conn, ctx.notify, &case, ps_id, ctx.today,
                )?;
            }
            return Ok(effects.and_mail());
        }
        _ => {}
    }
    if !matches!(now, Standing::Concluded(_)) {
        return Ok(effects);
    }
    crate::result::job::queue_if_concluded(conn, case_id, ctx.single_examiner_allowed)?;
    Ok(effects.and_packet())
}

fn announce(conn: &mut DbConnection, case_id: i64, s: &Standing) -> diesel::QueryResult<()> {
    let text = match s {
        Standing::Concluded(Consensus::PossibleLead {
            single_examiner, ..
        }) => format!(
            "Examination concluded: possible investigative lead{}",
            if *single_examiner {
                " (single examiner)"
            } else {
                ""
            }
        ),
        Standing::Concluded(Consensus::NoLead { single_examiner }) => format!(
            "Examination concluded: no lead{}",
            if *single_examiner {
                " (single examiner)"
            } else {
                ""
            }
        ),
        Standing::NeedsAdjudication => "Examiners disagree: supervisor adjudication needed".into(),
        _ => return Ok(()),
    };
    crate::cases::timeline::timeline(conn, case_id, None, "examination_result", text, None)
}
