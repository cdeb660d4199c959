//! Reviewers' side: approve, return for correction, or reject a submitted request, each with a
//! required comment and an email to the requester.

use chrono::NaiveDate;

use crate::accounts::store::{Agency, User};
use crate::audit::{self, Actor, Entry, Outcome};
use crate::cases::store::{Case, CaseImage, NewRequestVersion, RequestVersion};
use crate::compliance::store::{Decision, NewDecision};
use crate::domain::{CaseAction, CaseId, CaseStatus, Role};
use crate::platform::db::DbConnection;
use crate::platform::jobs::effects::AfterCommit;
use crate::platform::mail::templates::RequestDecision;
use crate::platform::time::now;

use crate::compliance::checklist::Checklist;

/// A reviewer's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecisionKind {
    Approve,
    Return,
    Reject,
}

impl DecisionKind {
    pub fn parse(s: &str) -> Option<DecisionKind> {
        match s {
            "approve" => Some(DecisionKind::Approve),
            "return" => Some(DecisionKind::Return),
            "reject" => Some(DecisionKind::Reject),
            _ => None,
        }
    }
    pub fn action(self) -> CaseAction {
        match self {
            DecisionKind::Approve => CaseAction::Approve,
            DecisionKind::Return => CaseAction::Return,
            DecisionKind::Reject => CaseAction::Reject,
        }
    }
    /// Stored value and email wording.
    pub fn as_str(self) -> &'static str {
        match self {
            DecisionKind::Approve => "approved",
            DecisionKind::Return => "returned",
            DecisionKind::Reject => "rejected",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            DecisionKind::Approve => "Approved",
            DecisionKind::Return => "Returned for correction",
            DecisionKind::Reject => "Rejected",
        }
    }
}

/// Errors of the review workflow; `Display` is the reviewer's message.
#[derive(Debug, thiserror::Error)]
pub enum DecisionError {
    #[error("Only reviewers can decide requests.")]
    NotReviewer,
    #[error("You cannot review a request you submitted yourself.")]
    OwnRequest,
    #[error("Choose approve, return for correction, or reject.")]
    NoDecision,
    #[error("A comment is required for every decision (at least 5 characters).")]
    CommentRequired,
    #[error("This request cannot be approved: {0}. Return it for correction or reject it.")]
    ChecklistFails(String),
    #[error(
        "The checklist has flagged items; tick the box confirming you reviewed them before approving."
    )]
    FlagsNotAcknowledged,
    #[error(
        "This request is no longer awaiting review (it is {0}); someone else may have decided it."
    )]
    NotPending(&'static str),
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl DecisionError {
    /// Whether the error is about the form (shown beside it) rather than access or state.
    pub fn is_form_error(&self) -> bool {
        matches!(
            self,
            DecisionError::NoDecision
                | DecisionError::CommentRequired
                | DecisionError::ChecklistFails(_)
                | DecisionError::FlagsNotAcknowledged
        )
    }
}

pub struct Ctx<'a> {
    pub user: &'a User,
    /// The user's agency: roles are judged with it ([`User::roles_in`]).
    pub agency: &'a crate::accounts::store::Agency,
    pub actor: Actor,
    pub service_name: &'a str,
    pub base_url: &'a str,
    pub today: NaiveDate,
}

pub struct DecisionInput {
    pub decision: Option<DecisionKind>,
    pub comment: String,
    pub acknowledge_flags: bool,
}

/// Records a decision on a submitted case.
/// Returns the decision and what to wake after the commit: the decision email, the history
/// index, and — for an approval — the search worker.
pub fn decide(
    conn: &mut DbConnection,
    ctx: &Ctx<'_>,
    case_id: CaseId,
    input: &DecisionInput,
) -> Result<(DecisionKind, AfterCommit), DecisionError> {
    let result =
        crate::platform::db::write_tx(conn, |conn| decide_in_tx(conn, ctx, case_id, input));
    if let Err(e) = &result
        && !matches!(e, DecisionError::Db(_) | DecisionError::Internal(_))
    {
        // The refusal itself is audited (outside the rolled-back transaction).
        audit::record(
            conn,
            &ctx.actor,
            Entry::new("request.decide", "case", case_id.0)
                .outcome(if e.is_form_error() {
                    Outcome::Failed
                } else {
                    Outcome::Denied
                })
                .details(e.to_string()),
        )?;
    }
    result.map(|kind| {
        let e = AfterCommit::mail().and_history(case_id.0);
        let e = if kind == DecisionKind::Approve {
            e.and_search()
        } else {
            e
        };
        (kind, e)
    })
}

fn decide_in_tx(
    conn: &mut DbConnection,
    ctx: &Ctx<'_>,
    case_id: CaseId,
    input: &DecisionInput,
) -> Result<DecisionKind, DecisionError> {
    if !ctx.user.roles_in(ctx.agency).has(Role::Reviewer) {
        return Err(DecisionError::NotReviewer);
    }
    let case = Case::find(conn, case_id)?.ok_or(DecisionError::NotFound)?;
    if case.requester_id == ctx.user.id {
        return Err(DecisionError::OwnRequest);
    }
    let from = case.status();
    if from != CaseStatus::Submitted {
        return Err(DecisionError::NotPending(from.label()));
    }
    let kind = input.decision.ok_or(DecisionError::NoDecision)?;
    let comment = crate::domain::request::clean(&input.comment);
    if comment.chars().count() < 5 {
        return Err(DecisionError::CommentRequired);
    }
    let version = RequestVersion::get(conn, case_id, case.current_version)?;
    let form = version.form();
    let agency = Agency::find(conn, crate::domain::AgencyId(case.agency_id))?;
    let requester = User::find(conn, crate::domain::UserId(case.requester_id))?;
    let training = crate::accounts::training::records_of(conn, requester.user_id())?;
    let policy = crate::agencies::policy::current(conn, &agency)?;
    let checklist = Checklist::build(&form, &agency, &policy, &requester, &training, ctx.today);
    if kind == DecisionKind::Approve {
        let fails: Vec<&str> = checklist.failures().map(|i| i.label).collect();
        if !fails.is_empty() {
            return Err(DecisionError::ChecklistFails(fails.join("; ")));
        }
        if checklist.has_flags() && !input.acknowledge_flags {
            return Err(DecisionError::FlagsNotAcknowledged);
        }
    }
    let to = from
        .apply(kind.action())
        .map_err(|_| DecisionError::NotPending(from.label()))?;
    let at = now();
    if !Case::transition(conn, case_id, from, to, at)? {
        return Err(DecisionError::NotPending(from.label()));
    }
    Decision::insert(
        conn,
        &NewDecision {
            case_id: case.id,
            version: case.current_version,
            reviewer_id: ctx.user.id,
            decision: kind.as_str().into(),
            comment: comment.clone(),
            checklist_json: serde_json::to_string(&checklist).map_err(anyhow::Error::from)?,
            created_at: at,
        },
    )?;
    if kind == DecisionKind::Return {
        // The returned version stays as it was; corrections go into a new version.
        let next = case.current_version + 1;
        RequestVersion::insert(
            conn,
            &NewRequestVersion {
                case_id: case.id,
                version: next,
                form_json: version.form_json.clone(),
                created_at: at,
                updated_at: at,
            },
        )?;
        CaseImage::copy_version(conn, case_id, case.current_version, next)?;
        Case::set_version(conn, case_id, next)?;
    }
    let queued = if kind == DecisionKind::Approve {
        crate::search::queue_analysis(conn, case_id, case.current_version)?
    } else {
        0
    };
    crate::cases::timeline::timeline(
        conn,
        case.id,
        Some((ctx.user, "reviewer")),
        kind.as_str(),
        format!("{} (version {})", kind.label(), case.current_version),
        Some(comment.clone()),
    )?;
    if queued > 0 {
        crate::cases::timeline::timeline(
            conn,
            case.id,
            None,
            "search_queued",
            format!(
                "{queued} probe image(s) queued for analysis; a trained examiner assesses them and starts the search"
            ),
            None,
        )?;
    }
    audit::record(
        conn,
        &ctx.actor,
        Entry::new("request.decide", "case", case.id)
            .reason(&case.search_reason)
            .details(format!(
                "{}; version {}; {comment}",
                kind.as_str(),
                case.current_version
            )),
    )?;
    let email = RequestDecision {
        service_name: ctx.service_name.to_string(),
        base_url: ctx.base_url.to_string(),
        case_id: case.id,
        case_number: case.display_number(),
        requester_name: requester.name.clone(),
        decision: kind.as_str().into(),
        decision_label: kind.label().into(),
        comment,
        reviewer_name: ctx.user.name.clone(),
        decided_at: crate::platform::time::fmt_time(&at),
    }
    // Every email about a case goes to the requester account's address.
    .render(&requester.email)
    .map_err(|e| anyhow::anyhow!("Failed to render the decision email: {e}"))?;
    crate::platform::mail::enqueue(conn, &email)?;
    Ok(kind)
}
