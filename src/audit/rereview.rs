//! The monthly re-review sample (NY MPTC Facial Recognition Model Policy §VI.C: "periodic and
//! random audits" of examiners' compliance). Once a month the daily pass draws a random sample
//! of the previous month's concluded examinations (cases whose first result packet was issued
//! that month): `audit.rereview_sample_percent` (default 10 %) rounded up, at least 1 when any.
//! The draw's seed (32 random bytes) and population size are stored with it (`rereview_draws`,
//! one per month — drawing again is a no-op, also after a restart), so the sample can be
//! recomputed ([`crate::domain::rereview::draw`]) and shown to be random. Each sampled case
//! waits in `/audit/rereviews` for a service supervisor who neither requested, approved,
//! examined nor adjudicated it, who records whether it is consistent with its conclusion or
//! raises concerns (with a note). Each step is audited and on the case's timeline.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use rand::RngCore;
use serde::Serialize;

use crate::accounts::store::{Agency, User};
use crate::audit::monthly_report::Month;
use crate::audit::{self, Actor, Entry};
use crate::cases::store::Case;
use crate::domain::duties::{Duty, may_take};
use crate::domain::rereview::{ReReviewOutcome, draw, sample_size};
use crate::domain::{CaseId, Role};
use crate::platform::db::schema::{cases, examinations, packets, rereview_draws, rereviews};
use crate::platform::db::{DbConnection, write_tx};

/// Shortest note for "concerns" (characters).
pub const MIN_NOTE: usize = 10;

/// A month's draw.
#[derive(Debug, Clone, Serialize)]
pub struct Draw {
    pub id: i64,
    pub month: String,
    /// Hex of the 32 random bytes.
    pub seed: String,
    pub population: i64,
    pub sample_size: i64,
    pub percent: i32,
    pub drawn_at: NaiveDateTime,
    /// The sampled case ids, in rank order.
    pub cases: Vec<i64>,
}

/// Why a re-review was refused; `Display` is the user's message.
#[derive(Debug, thiserror::Error)]
pub enum ReReviewError {
    #[error("Only a supervisor of the service re-reviews sampled cases.")]
    NotSupervisor,
    #[error(
        "You requested, approved, examined or adjudicated this case: another supervisor re-reviews it."
    )]
    TookPart,
    #[error("Choose consistent or concerns.")]
    BadOutcome,
    #[error("Say what the concerns are (at least {MIN_NOTE} characters).")]
    NoNote,
    #[error("This sampled case is already re-reviewed.")]
    AlreadyDone,
    #[error("No such sampled case.")]
    NotFound,
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

/// The concluded examinations of `month`: cases whose first packet was issued in it.
///
/// Errors: database errors.
pub fn population(conn: &mut DbConnection, month: Month) -> QueryResult<Vec<i64>> {
    let issued: Vec<(i64, NaiveDateTime)> = packets::table
        .filter(packets::issued_at.lt(month.end()))
        .select((packets::case_id, packets::issued_at))
        .load(conn)?;
    let mut first: std::collections::BTreeMap<i64, NaiveDateTime> = Default::default();
    for (c, at) in issued {
        first
            .entry(c)
            .and_modify(|f| *f = (*f).min(at))
            .or_insert(at);
    }
    Ok(first
        .into_iter()
        .filter(|(_, at)| *at >= month.start())
        .map(|(c, _)| c)
        .collect())
}

/// The daily pass's step: draws the sample of the month before `now` unless it is drawn
/// already. One transaction: the draw, its sampled cases, a timeline event per case and the
/// `rereview.draw` audit record (seed, population, size, cases). Returns the new draw, or
/// `None` when the month was drawn before.
///
/// Errors: database errors.
pub fn draw_monthly(
    conn: &mut DbConnection,
    percent: u32,
    actor: &Actor,
    now: NaiveDateTime,
) -> anyhow::Result<Option<Draw>> {
    let month = Month::of(now).previous();
    let label = month.to_string();
    let exists: i64 = rereview_draws::table
        .filter(rereview_draws::month.eq(&label))
        .count()
        .get_result(conn)?;
    if exists > 0 {
        return Ok(None);
    }
    let mut seed = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut seed);
    let seed_hex = hex::encode(seed);
    let result = write_tx(conn, |c| -> anyhow::Result<Option<Draw>> {
        let exists: i64 = rereview_draws::table
            .filter(rereview_draws::month.eq(&label))
            .count()
            .get_result(c)?;
        if exists > 0 {
            return Ok(None);
        }
        let pop = population(c, month)?;
        let k = sample_size(pop.len(), percent);
        let sample = draw(&seed, &pop, k);
        diesel::insert_into(rereview_draws::table)
            .values((
                rereview_draws::month.eq(&label),
                rereview_draws::seed.eq(&seed_hex),
                rereview_draws::population.eq(pop.len() as i64),
                rereview_draws::sample_size.eq(sample.len() as i64),
                rereview_draws::percent.eq(i32::try_from(percent).unwrap_or(100)),
                rereview_draws::drawn_at.eq(now),
            ))
            .execute(c)?;
        let id: i64 = rereview_draws::table
            .filter(rereview_draws::month.eq(&label))
            .select(rereview_draws::id)
            .first(c)?;
        let mut numbers = Vec::new();
        for case_id in &sample {
            diesel::insert_into(rereviews::table)
                .values((rereviews::draw_id.eq(id), rereviews::case_id.eq(case_id)))
                .execute(c)?;
            let number: Option<String> = cases::table
                .find(case_id)
                .select(cases::case_number)
                .first(c)?;
            numbers.push(number.unwrap_or_else(|| case_id.to_string()));
            crate::cases::timeline::timeline(
                c,
                *case_id,
                None,
                "rereview_sampled",
                format!("Drawn for the {label} random re-review (NY MPTC §VI.C)"),
                None,
            )?;
        }
        audit::record(
            c,
            actor,
            Entry::new("rereview.draw", "rereview_draw", id).details(format!(
                "{label}: {} of {} concluded examinations at {percent} %, seed {seed_hex}: {}",
                sample.len(),
                pop.len(),
                numbers.join(", ")
            )),
        )?;
        Ok(Some(Draw {
            id,
            month: label.clone(),
            seed: seed_hex.clone(),
            population: pop.len() as i64,
            sample_size: sample.len() as i64,
            percent: i32::try_from(percent).unwrap_or(100),
            drawn_at: now,
            cases: sample,
        }))
    });
    match result {
        // A second instance drew the month first (the unique index).
        Err(e)
            if e.downcast_ref::<diesel::result::Error>().is_some_and(|d| {
                matches!(
                    d,
                    diesel::result::Error::DatabaseError(
                        diesel::result::DatabaseErrorKind::UniqueViolation,
                        _
                    )
                )
            }) =>
        {
            Ok(None)
        }
        other => other,
    }
}

/// One sampled case as listed.
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    pub id: i64,
    pub month: String,
    pub case_id: i64,
    pub case_number: String,
    pub outcome: Option<String>,
    pub note: Option<String>,
    pub reviewer: Option<String>,
    pub reviewed_at: Option<NaiveDateTime>,
    /// Whether the viewing supervisor may re-review it.
    pub mine: bool,
}

/// Whether `user` may re-review `case`: a service supervisor who neither requested, approved,
/// examined nor adjudicated it.
///
/// Errors: the outer `Result` is a failed database query.
pub fn may_rereview(
    conn: &mut DbConnection,
    user: &User,
    agency: &Agency,
    case: &Case,
) -> QueryResult<Result<(), ReReviewError>> {
    if !user.roles_in(agency).has(Role::Supervisor) {
        return Ok(Err(ReReviewError::NotSupervisor));
    }
    let parties = crate::examination::duties::parties(conn, case)?;
    let adjudicated: i64 = examinations::table
        .filter(examinations::case_id.eq(case.id))
        .filter(examinations::examiner_id.eq(user.id))
        .count()
        .get_result(conn)?;
    if adjudicated > 0 || may_take(user.id, Duty::Adjudicate, &parties, false).is_err() {
        return Ok(Err(ReReviewError::TookPart));
    }
    Ok(Ok(()))
}

/// Every sampled case, open ones first, newest draw first.
///
/// Errors: database errors.
pub fn list(conn: &mut DbConnection, user: &User, agency: &Agency) -> QueryResult<Vec<Item>> {
    type Row = (
        i64,
        String,
        i64,
        Option<String>,
        Option<String>,
        Option<i64>,
        Option<NaiveDateTime>,
    );
    let rows: Vec<Row> = rereviews::table
        .inner_join(rereview_draws::table.on(rereview_draws::id.eq(rereviews::draw_id)))
        .order((rereview_draws::id.desc(), rereviews::id.asc()))
        .select((
            rereviews::id,
            rereview_draws::month,
            rereviews::case_id,
            rereviews::outcome,
            rereviews::note,
            rereviews::reviewer_id,
            rereviews::reviewed_at,
        ))
        .load(conn)?;
    let mut out = Vec::new();
    for (id, month, case_id, outcome, note, reviewer_id, reviewed_at) in rows {
        let case = Case::find(conn, CaseId(case_id))?;
        let mine = match (&case, outcome.is_none()) {
            (Some(c), true) => may_rereview(conn, user, agency, c)?.is_ok(),
            _ => false,
        };
        let reviewer = match reviewer_id {
            Some(r) => Some(User::find(conn, crate::domain::UserId(r))?.name),
            None => None,
        };
        out.push(Item {
            id,
            month,
            case_id,
            case_number: case
                .as_ref()
                .map(Case::display_number)
                .unwrap_or_else(|| format!("case {case_id}")),
            outcome,
            note,
            reviewer,
            reviewed_at,
            mine,
        });
    }
    out.sort_by_key(|i| i.outcome.is_some());
    Ok(out)
}

/// Records supervisor `user`'s re-review `id`: `outcome` (`consistent` | `concerns`) and a note
/// (required for concerns). One transaction with the timeline event and the `rereview.record`
/// audit record. Refusals of the person are audited as denied.
///
/// Errors: see [`ReReviewError`]; nothing is changed on error.
pub fn record(
    conn: &mut DbConnection,
    actor: &Actor,
    (user, agency): (&User, &Agency),
    id: i64,
    outcome: &str,
    note: &str,
    now: NaiveDateTime,
) -> Result<(), ReReviewError> {
    let note = crate::domain::text::multi_line(note);
    let result = write_tx(conn, |c| -> Result<(), ReReviewError> {
        let (case_id, done): (i64, Option<String>) = rereviews::table
            .find(id)
            .select((rereviews::case_id, rereviews::outcome))
            .first(c)
            .optional()?
            .ok_or(ReReviewError::NotFound)?;
        let case = Case::find(c, CaseId(case_id))?.ok_or(ReReviewError::NotFound)?;
        may_rereview(c, user, agency, &case)??;
        if done.is_some() {
            return Err(ReReviewError::AlreadyDone);
        }
        let outcome =
            ReReviewOutcome::parse(outcome.trim()).map_err(|_| ReReviewError::BadOutcome)?;
        if outcome == ReReviewOutcome::Concerns && note.chars().count() < MIN_NOTE {
            return Err(ReReviewError::NoNote);
        }
        let n = diesel::update(
            rereviews::table
                .filter(rereviews::id.eq(id))
                .filter(rereviews::outcome.is_null()),
        )
        .set((
            rereviews::outcome.eq(Some(outcome.as_str())),
            rereviews::note.eq(Some(&note)),
            rereviews::reviewer_id.eq(Some(user.id)),
            rereviews::reviewed_at.eq(Some(now)),
        ))
        .execute(c)?;
        if n == 0 {
            return Err(ReReviewError::AlreadyDone);
        }
        crate::cases::timeline::timeline(
            c,
            case_id,
            Some((user, "supervisor")),
            "rereview",
            format!("Random re-review: {}", outcome.label()),
            (!note.is_empty()).then(|| note.clone()),
        )?;
        audit::record(
            c,
            actor,
            Entry::new("rereview.record", "case", case_id)
                .details(format!("{}: {note}", outcome.as_str())),
        )?;
        Ok(())
    });
    if let Err(e @ (ReReviewError::NotSupervisor | ReReviewError::TookPart)) = &result {
        audit::record(
            conn,
            actor,
            Entry::new("rereview.record", "rereview", id)
                .outcome(audit::Outcome::Denied)
                .details(e.to_string()),
        )?;
    }
    result
}

/// Re-review outcomes of the sampled cases of `month` (`YYYY-MM`) for the published summary:
/// (sampled, consistent, concerns).
///
/// Errors: database errors.
pub fn counts_for(conn: &mut DbConnection, month: &str) -> QueryResult<(u64, u64, u64)> {
    let outcomes: Vec<Option<String>> = rereviews::table
        .inner_join(rereview_draws::table.on(rereview_draws::id.eq(rereviews::draw_id)))
        .filter(rereview_draws::month.eq(month))
        .select(rereviews::outcome)
        .load(conn)?;
    let n = |o: ReReviewOutcome| {
        outcomes
            .iter()
            .filter(|x| x.as_deref() == Some(o.as_str()))
            .count() as u64
    };
    Ok((
        outcomes.len() as u64,
        n(ReReviewOutcome::Consistent),
        n(ReReviewOutcome::Concerns),
    ))
}

/// A month's draw as listed.
#[derive(Debug, Clone, Serialize)]
pub struct DrawRow {
    pub month: String,
    pub seed: String,
    pub population: i64,
    pub sample_size: i64,
    pub percent: i32,
    pub drawn_on: NaiveDate,
}

/// The draws, newest first (for the page: month, seed, population, size).
///
/// Errors: database errors.
pub fn draws(conn: &mut DbConnection) -> QueryResult<Vec<DrawRow>> {
    let rows: Vec<(String, String, i64, i64, i32, NaiveDateTime)> = rereview_draws::table
        .order(rereview_draws::id.desc())
        .select((
            rereview_draws::month,
            rereview_draws::seed,
            rereview_draws::population,
            rereview_draws::sample_size,
            rereview_draws::percent,
            rereview_draws::drawn_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(month, seed, population, sample_size, percent, at)| DrawRow {
                month,
                seed,
                population,
                sample_size,
                percent,
                drawn_on: at.date(),
            },
        )
        .collect())
}
