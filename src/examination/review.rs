//! Examiner review of a stored candidate list (NY MPTC §IV.E): the first review, the blind second
//! review by a different trained examiner, and a supervisor's adjudication when they disagree.
//! Each is one transaction with its timeline event and audit record. Timeline entries never
//! reveal dispositions, so the second review stays blind.

use chrono::NaiveDate;
use diesel::prelude::*;

use crate::accounts::store::User;
use crate::audit::{self, Actor, Entry, Outcome};
use crate::domain::Role;
use crate::domain::examination::{
    AssessmentForm, Consensus, ExaminerRefusal, Review, ReviewErrors, may_examine,
};
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
    #[error("This probe has no candidate list to review yet.")]
    NotSearched,
    #[error("Both examiner reviews of this candidate list are recorded.")]
    AlreadyReviewed,
    #[error("Give a disposition for every candidate (see the marked rows).")]
    Invalid(ReviewErrors),
    #[error(
        "Only a supervisor (reviewer or local administrator) who did not examine this list can adjudicate."
    )]
    NotSupervisor,
    #[error("This candidate list does not need adjudication.")]
    NotDisputed,
    #[error(
        "Adjudication needs a comment and, for a possible lead, a candidate rank from the list."
    )]
    BadAdjudication,
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub struct Ctx<'a> {
    pub user: &'a User,
    pub actor: Actor,
    pub today: NaiveDate,
    pub single_examiner_allowed: bool,
}

/// Records a trained examiner's review (first, or blind second by another examiner).
pub fn submit_review(
    conn: &mut DbConnection,
    ctx: &Ctx<'_>,
    ps_id: i64,
    forms: &[AssessmentForm],
) -> Result<(Standing, AfterCommit), ExamineError> {
    let training = crate::accounts::training::records_of(conn, ctx.user.user_id())?;
    if let Err(refusal) = may_examine(&ctx.user.roles(), &training, ctx.today) {
        audit::record(
            conn,
            &ctx.actor,
            Entry::new("examine.review", "probe_search", ps_id)
                .outcome(Outcome::Denied)
                .details(refusal.to_string()),
        )?;
        return Err(refusal.into());
    }
    let result = crate::platform::db::write_tx(
        conn,
        |conn| -> Result<(Standing, AfterCommit), ExamineError> {
            let ps = ProbeSearch::find(conn, ps_id)?;
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
            let ranks: Vec<u32> = ps.candidates().iter().map(|c| c.rank).collect();
            let review = Review::parse(&ranks, forms).map_err(ExamineError::Invalid)?;
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
            let effects = settle(conn, ctx, ps.case_id, &now_standing)?;
            Ok((now_standing, effects))
        },
    );
    if let Err(ExamineError::Refused(r)) = &result {
        audit::record(
            conn,
            &ctx.actor,
            Entry::new("examine.review", "probe_search", ps_id)
                .outcome(Outcome::Denied)
                .details(r.to_string()),
        )?;
    }
    result
}

/// A supervisor settles a disagreement; all three views are kept.
pub fn adjudicate(
    conn: &mut DbConnection,
    ctx: &Ctx<'_>,
    case_id: i64,
    ps_id: i64,
    lead_rank: Option<u32>,
    comment: &str,
) -> Result<(Standing, AfterCommit), ExamineError> {
    // Service supervisors only (a reviewer, or a local administrator who is service staff): a
    // requesting agency's administrator never adjudicates the service's examinations.
    let roles = ctx.user.roles();
    if !((roles.has(Role::Reviewer) || roles.has(Role::LocalAdmin)) && roles.sees_all_agencies()) {
        return Err(ExamineError::NotSupervisor);
    }
    let comment = crate::domain::request::clean(comment);
    if comment.chars().count() < 5 {
        return Err(ExamineError::BadAdjudication);
    }
    crate::platform::db::write_tx(
        conn,
        |conn| -> Result<(Standing, AfterCommit), ExamineError> {
            let ps = ProbeSearch::find(conn, ps_id)?;
            if ps.case_id != case_id {
                return Err(ExamineError::Db(diesel::result::Error::NotFound));
            }
            let exams = Examination::for_probe(conn, ps_id)?;
            if exams.iter().any(|e| e.examiner_id == ctx.user.id) {
                return Err(ExamineError::NotSupervisor);
            }
            if standing(&exams, false) != Standing::NeedsAdjudication {
                return Err(ExamineError::NotDisputed);
            }
            if let Some(r) = lead_rank
                && !ps.candidates().iter().any(|c| c.rank == r)
            {
                return Err(ExamineError::BadAdjudication);
            }
            diesel::insert_into(examinations::table)
                .values((
                    examinations::case_id.eq(ps.case_id),
                    examinations::probe_search_id.eq(ps.id),
                    examinations::examiner_id.eq(ctx.user.id),
                    examinations::round.eq(ExaminationRound::Adjudication.as_str()),
                    examinations::review_json
                        .eq(serde_json::to_string(&Adjudication { lead_rank })
                            .map_err(anyhow::Error::from)?),
                    examinations::comment.eq(&comment),
                    examinations::created_at.eq(now()),
                ))
                .execute(conn)?;
            audit::record(
                conn,
                &ctx.actor,
                Entry::new("examine.adjudicate", "probe_search", ps.id).details(format!(
                    "case {}; {}; {comment}",
                    ps.case_id,
                    match lead_rank {
                        Some(r) => format!("possible lead at rank {r}"),
                        None => "no lead".into(),
                    }
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
            let effects = settle(conn, ctx, ps.case_id, &s)?;
            Ok((s, effects))
        },
    )
}

/// After a review or an adjudication: announces the new standing on the timeline and, once the
/// probe is concluded, queues the packet job if the whole case is. Returns what to wake.
fn settle(
    conn: &mut DbConnection,
    ctx: &Ctx<'_>,
    case_id: i64,
    now: &Standing,
) -> Result<AfterCommit, ExamineError> {
    announce(conn, case_id, now)?;
    let effects = AfterCommit::none().and_history(case_id);
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
