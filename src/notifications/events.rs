//! The case events staff are told of, each called inside the transaction that makes the event
//! happen: a submission or resubmission (reviewers), probes awaiting the probe assessment and
//! candidate lists awaiting their first review (examiners), a candidate list awaiting its blind
//! second review (examiners but the first), a disagreement (supervisors).

use chrono::NaiveDate;

use crate::cases::store::Case;
use crate::domain::notification::NotificationKind;
use crate::notifications::NotifyContext;
use crate::notifications::notify::{Notice, notify};
use crate::notifications::recipients;
use crate::platform::db::DbConnection;

/// A request was submitted (`version` 1) or a corrected version resubmitted: every reviewer
/// who may review it.
///
/// Errors: database errors; a template that fails to render.
pub fn request_submitted(
    conn: &mut DbConnection,
    ctx: &NotifyContext,
    case: &Case,
    case_number: &str,
    version: i32,
) -> anyhow::Result<()> {
    let headline = if version == 1 {
        format!("Request {case_number} was submitted and awaits compliance review")
    } else {
        format!(
            "Corrected request {case_number} (version {version}) was resubmitted and awaits compliance review"
        )
    };
    let notice = Notice {
        kind: NotificationKind::RequestSubmitted,
        subject_key: format!("case:{}:v{version}", case.id),
        case_id: Some(case.id),
        headline,
        link: format!("/review/{}", case.id),
    };
    let to = recipients::reviewers(conn, case)?;
    notify(conn, ctx, &notice, &to)?;
    Ok(())
}

/// The probes of `case` (its current version) were analysed and await an examiner's probe
/// assessment: every trained examiner who may examine the case.
///
/// Errors: database errors; a template that fails to render.
pub fn assessment_awaiting(
    conn: &mut DbConnection,
    ctx: &NotifyContext,
    case: &Case,
    today: NaiveDate,
) -> anyhow::Result<()> {
    let number = case.display_number();
    let notice = Notice {
        kind: NotificationKind::SearchAwaiting,
        subject_key: format!("case:{}:v{}:assessment", case.id, case.current_version),
        case_id: Some(case.id),
        headline: format!("The probe images of {number} await an examiner's probe assessment"),
        link: format!("/cases/{}/assessment", case.id),
    };
    let to = recipients::examiners(conn, ctx, case, today, None)?;
    notify(conn, ctx, &notice, &to)?;
    Ok(())
}

/// Every search of `case` finished and its candidate lists await their first review: every
/// trained examiner who may examine the case.
///
/// Errors: database errors; a template that fails to render.
pub fn first_review_awaiting(
    conn: &mut DbConnection,
    ctx: &NotifyContext,
    case: &Case,
    today: NaiveDate,
) -> anyhow::Result<()> {
    let number = case.display_number();
    let notice = Notice {
        kind: NotificationKind::SearchAwaiting,
        subject_key: format!("case:{}:v{}:first_review", case.id, case.current_version),
        case_id: Some(case.id),
        headline: format!("The search of {number} finished: candidate lists await a first review"),
        link: "/examine".into(),
    };
    let to = recipients::examiners(conn, ctx, case, today, None)?;
    notify(conn, ctx, &notice, &to)?;
    Ok(())
}

/// The first review of probe search `ps_id` of `case` was recorded by `first_examiner`: every
/// other trained examiner who may examine the case — never the first examiner.
///
/// Errors: database errors; a template that fails to render.
pub fn second_review_awaiting(
    conn: &mut DbConnection,
    ctx: &NotifyContext,
    case: &Case,
    ps_id: i64,
    first_examiner: i64,
    today: NaiveDate,
) -> anyhow::Result<()> {
    let number = case.display_number();
    let notice = Notice {
        kind: NotificationKind::SecondReviewAwaiting,
        subject_key: format!("probe_search:{ps_id}:second_review"),
        case_id: Some(case.id),
        headline: format!("A candidate list of {number} awaits its blind second review"),
        link: format!("/cases/{}/probes/{ps_id}/review", case.id),
    };
    let to = recipients::examiners(conn, ctx, case, today, Some(first_examiner))?;
    notify(conn, ctx, &notice, &to)?;
    Ok(())
}

/// The examiners of probe search `ps_id` of `case` disagree: every trained supervisor who may
/// adjudicate the case.
///
/// Errors: database errors; a template that fails to render.
pub fn adjudication_needed(
    conn: &mut DbConnection,
    ctx: &NotifyContext,
    case: &Case,
    ps_id: i64,
    today: NaiveDate,
) -> anyhow::Result<()> {
    let number = case.display_number();
    let notice = Notice {
        kind: NotificationKind::AdjudicationNeeded,
        subject_key: format!("probe_search:{ps_id}:adjudication"),
        case_id: Some(case.id),
        headline: format!(
            "The examiners of {number} disagree: a supervisor's adjudication is needed"
        ),
        link: format!("/cases/{}/probes/{ps_id}/review", case.id),
    };
    let to = recipients::supervisors(conn, ctx, case, today)?;
    notify(conn, ctx, &notice, &to)?;
    Ok(())
}
