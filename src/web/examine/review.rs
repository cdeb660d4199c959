//! Examiner review of a probe's candidate list: `GET/POST /cases/{id}/probes/{ps}/review`;
//! candidate photos at `…/candidates/{rank}.jpg` (each opening is a "subject viewed" audit
//! record); supervisors adjudicate at `POST …/adjudicate`.

use actix_session::Session;
use actix_web::{HttpResponse, http::StatusCode, web};
use askama::Template;

use crate::accounts::store::User;
use crate::audit::{self, Entry, Outcome};
use crate::cases::store::Case;
use crate::domain::examination::{
    AssessmentForm, Consensus, Disposition, Feature, ReviewErrors, may_examine,
};
use crate::domain::{CaseId, Role, UserId};
use crate::examination::review::{self as examine, Ctx, ExamineError};
use crate::examination::standing::{Examination, Standing};
use crate::search::{ProbeSearch, StoredCandidate};
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::layout::Layout;
use crate::web::session::{self as auth, CurrentUser};
use crate::web::state::AppState;

/// One examination as shown once it may be seen (after conclusion, or to the adjudicator).
pub struct ExamView {
    pub round: String,
    pub examiner: String,
    pub lines: Vec<String>,
    pub comment: String,
}

#[derive(Template)]
#[template(path = "examine/review.html")]
pub struct ReviewPage {
    pub layout: Layout,
    pub case: Case,
    pub probe: ProbeSearch,
    pub candidates: Vec<StoredCandidate>,
    pub dispositions: Vec<(&'static str, &'static str)>,
    pub features: Vec<(&'static str, &'static str)>,
    pub standing_label: String,
    pub can_review: bool,
    pub can_adjudicate: bool,
    pub views: Vec<ExamView>,
    pub errors: ReviewErrors,
    pub error: Option<String>,
}

impl ReviewPage {
    pub fn err(&self, rank: &u32) -> Option<&str> {
        self.errors.for_rank(*rank)
    }
    pub fn score(&self, c: &StoredCandidate) -> String {
        format!("{:.3}", c.score)
    }
}

fn standing_label(s: &Standing) -> String {
    match s {
        Standing::AwaitingFirst => "Awaiting the first examiner's review".into(),
        Standing::AwaitingSecond { .. } => {
            "Awaiting the blind second review by another examiner".into()
        }
        Standing::NeedsAdjudication => {
            "Examiners disagree: awaiting a supervisor's adjudication".into()
        }
        Standing::Concluded(Consensus::PossibleLead {
            ranks,
            single_examiner,
        }) => format!(
            "Concluded: possible investigative lead (rank {}){}",
            ranks
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            if *single_examiner {
                " — single examiner"
            } else {
                ""
            }
        ),
        Standing::Concluded(Consensus::NoLead { single_examiner }) => format!(
            "Concluded: no lead{}",
            if *single_examiner {
                " — single examiner"
            } else {
                ""
            }
        ),
        Standing::Concluded(Consensus::AwaitingSecondReview | Consensus::NeedsAdjudication) => {
            String::new()
        }
    }
}

async fn build(
    user: &CurrentUser,
    state: &AppState,
    case_id: i64,
    ps_id: i64,
) -> Result<ReviewPage, AppError> {
    let is_examiner = user.has(Role::Examiner);
    let is_supervisor = user.has(Role::Reviewer) || user.has(Role::LocalAdmin);
    if !(is_examiner || (is_supervisor && user.roles.sees_all_agencies())) {
        return Err(AppError::Forbidden(
            "Candidate lists are for examiners and supervisors.".into(),
        ));
    }
    let single = state.settings.face.single_examiner_allowed;
    let uid = user.user.id;
    let (vu, va) = (user.user.clone(), user.agency.clone());
    let (case, probe, exams, names) =
        crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
            let case = crate::cases::access::live_case_for(
                c,
                &crate::cases::access::Viewer::new(&vu, &va, None),
                CaseId(case_id),
            )?
            .ok_or(AppError::NotFound)?;
            let ps = ProbeSearch::find(c, ps_id).map_err(|_| AppError::NotFound)?;
            if ps.case_id != case.id {
                return Err(AppError::NotFound);
            }
            let exams = Examination::for_probe(c, ps_id)?;
            let mut names = Vec::new();
            for e in &exams {
                names.push(
                    User::find(c, UserId(e.examiner_id))
                        .map(|u| u.name)
                        .unwrap_or_default(),
                );
            }
            Ok((case, ps, exams, names))
        })
        .await?;
    let st = crate::examination::standing::standing(&exams, single);
    let concluded = matches!(st, Standing::Concluded(_));
    let took_part = exams.iter().any(|e| e.examiner_id == uid);
    let can_adjudicate = st == Standing::NeedsAdjudication && is_supervisor && !took_part;
    let can_review = is_examiner
        && match &st {
            Standing::AwaitingFirst => true,
            Standing::AwaitingSecond { first_examiner } => *first_examiner != uid,
            _ => false,
        };
    // Blind: reviews are shown only once concluded, or to the adjudicating supervisor.
    let views = if concluded || can_adjudicate {
        exams
            .iter()
            .zip(names)
            .map(|(e, name)| ExamView {
                round: e.round.to_string(),
                examiner: name,
                lines: match e.review() {
                    Some(r)
                        if e.round
                            != crate::examination::standing::ExaminationRound::Adjudication =>
                    {
                        r.assessments
                            .iter()
                            .map(|a| {
                                format!(
                                    "rank {}: {} — features: {} — {}",
                                    a.rank,
                                    a.disposition.label(),
                                    a.features
                                        .iter()
                                        .map(|f| f.label())
                                        .collect::<Vec<_>>()
                                        .join(", "),
                                    a.notes
                                )
                            })
                            .collect()
                    }
                    _ => match e.adjudication() {
                        Some(a) => vec![match a.lead_rank {
                            Some(r) => format!("possible lead at rank {r}"),
                            None => "no lead".into(),
                        }],
                        None => vec![],
                    },
                },
                comment: e.comment.clone(),
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(ReviewPage {
        layout: Layout::new(user, &state.settings.service.name),
        candidates: probe.candidates(),
        case,
        probe,
        dispositions: Disposition::ALL
            .iter()
            .map(|d| (d.as_str(), d.label()))
            .collect(),
        features: Feature::ALL
            .iter()
            .map(|f| (f.as_str(), f.label()))
            .collect(),
        standing_label: standing_label(&st),
        can_review,
        can_adjudicate,
        views,
        errors: ReviewErrors::default(),
        error: None,
    })
}

pub async fn page(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let (case_id, ps_id) = path.into_inner();
    let today = chrono::Utc::now().date_naive();
    if user.has(Role::Examiner)
        && let Err(refusal) = may_examine(&user.roles, user.user.training_completed, today)
    {
        let actor = user.actor_as(user.primary_role());
        crate::platform::db::run(&state.pool, move |c| -> Result<(), AppError> {
            audit::record(
                c,
                &actor,
                Entry::new("examine.review", "probe_search", ps_id)
                    .outcome(Outcome::Denied)
                    .details(refusal.to_string()),
            )?;
            Ok(())
        })
        .await?;
        return Err(AppError::Forbidden(
            "Your facial-comparison training is not on record as current.".into(),
        ));
    }
    let page = build(&user, &state, case_id, ps_id).await?;
    let actor = user.actor_as(user.primary_role());
    let reason = page.case.search_reason.clone();
    crate::platform::db::run(&state.pool, move |c| -> Result<(), AppError> {
        audit::record(
            c,
            &actor,
            Entry::new("examine.view_candidates", "probe_search", ps_id)
                .reason(&reason)
                .details(format!("case {case_id}")),
        )?;
        Ok(())
    })
    .await?;
    crate::web::respond::html(&page)
}

/// The booking photo of one candidate; every opening is a "subject viewed" audit record.
pub async fn candidate_photo(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64, u32)>,
) -> Result<HttpResponse, AppError> {
    let (case_id, ps_id, rank) = path.into_inner();
    if !(user.has(Role::Examiner) || (user.has(Role::Reviewer) && user.roles.sees_all_agencies())) {
        return Err(AppError::Forbidden(
            "Candidate photos are for examiners and supervisors.".into(),
        ));
    }
    let actor = user.actor_as(user.primary_role());
    let (vu, va) = (user.user.clone(), user.agency.clone());
    let bytes = crate::platform::db::run(&state.pool, move |c| -> Result<Vec<u8>, AppError> {
        let ps = ProbeSearch::find(c, ps_id).map_err(|_| AppError::NotFound)?;
        if ps.case_id != case_id {
            return Err(AppError::NotFound);
        }
        let cand = ps
            .candidates()
            .into_iter()
            .find(|x| x.rank == rank)
            .ok_or(AppError::NotFound)?;
        let photo =
            crate::gallery::Photo::by_sha256(c, &cand.photo_sha256)?.ok_or(AppError::NotFound)?;
        let bytes = std::fs::read(&photo.file_path).map_err(|e| {
            AppError::Internal(anyhow::anyhow!(
                "Failed to read booking photo {}: {e}",
                photo.file_path
            ))
        })?;
        let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes));
        if sha != cand.photo_sha256 {
            return Err(AppError::Internal(anyhow::anyhow!(
                "Booking photo {} no longer matches its hash",
                photo.file_path
            )));
        }
        let case = crate::cases::access::live_case_for(
            c,
            &crate::cases::access::Viewer::new(&vu, &va, None),
            CaseId(case_id),
        )?
        .ok_or(AppError::NotFound)?;
        audit::record(
            c,
            &actor,
            Entry::new("subject.view", "subject", &cand.subject_key)
                .reason(&case.search_reason)
                .details(format!(
                    "case {}; rank {rank}; booking {}",
                    case.display_number(),
                    cand.booking_number
                )),
        )?;
        Ok(bytes)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .content_type("image/jpeg")
        .insert_header(("Cache-Control", "no-store"))
        .body(bytes))
}

fn parse_forms(fields: &[(String, String)], ranks: &[u32]) -> (String, Vec<AssessmentForm>) {
    let mut csrf = String::new();
    let mut forms: Vec<AssessmentForm> = ranks
        .iter()
        .map(|&rank| AssessmentForm {
            rank,
            ..Default::default()
        })
        .collect();
    for (k, v) in fields {
        if k == "csrf_token" {
            csrf = v.clone();
            continue;
        }
        let Some((kind, rank)) = k.split_once('_') else {
            continue;
        };
        let Ok(rank) = rank.parse::<u32>() else {
            continue;
        };
        let Some(f) = forms.iter_mut().find(|f| f.rank == rank) else {
            continue;
        };
        match kind {
            "d" => f.disposition = v.clone(),
            "f" => f.features.push(v.clone()),
            "n" => f.notes = v.clone(),
            _ => {}
        }
    }
    (csrf, forms)
}

pub async fn submit(
    session: Session,
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let (case_id, ps_id) = path.into_inner();
    let ranks: Vec<u32> = {
        let st = state.clone();
        crate::platform::db::run(&st.pool, move |c| -> Result<_, AppError> {
            let ps = ProbeSearch::find(c, ps_id).map_err(|_| AppError::NotFound)?;
            // The probe search must belong to the case in the URL.
            if ps.case_id != case_id {
                return Err(AppError::NotFound);
            }
            Ok(ps.candidates().iter().map(|x| x.rank).collect())
        })
        .await?
    };
    // Notes (`n_<rank>`) are multi-line; features and dispositions single-line.
    let form = crate::web::csrf::clean_pairs(form.into_inner(), |k| k.starts_with("n_"));
    let (csrf, forms) = parse_forms(&form, &ranks);
    auth::verify_csrf(&session, &csrf)?;
    let u = user.clone();
    let single = state.settings.face.single_examiner_allowed;
    let result = crate::platform::db::run(
        &state.pool,
        move |c| -> Result<
            Result<(Standing, crate::platform::jobs::effects::AfterCommit), ExamineError>,
            AppError,
        > {
            let ctx = Ctx {
                user: &u.user,
                actor: u.actor(Role::Examiner),
                today: chrono::Utc::now().date_naive(),
                single_examiner_allowed: single,
            };
            Ok(examine::submit_review(c, &ctx, ps_id, &forms))
        },
    )
    .await?;
    match result {
        Ok((_, effects)) => {
            state.after_commit(&effects);
            Ok(crate::web::respond::redirect(&format!(
                "/cases/{case_id}/probes/{ps_id}/review"
            )))
        }
        Err(ExamineError::Invalid(errors)) => {
            let mut page = build(&user, &state, case_id, ps_id).await?;
            page.errors = errors;
            page.error =
                Some("Give a disposition for every candidate (see the marked rows).".into());
            crate::web::respond::html_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(serde::Deserialize)]
pub struct AdjudicationForm {
    pub csrf_token: String,
    /// "none" or a rank.
    pub lead: String,
    pub comment: String,
}

crate::web::csrf::csrf_forms!(AdjudicationForm; multi_line: ["comment"]);

pub async fn adjudicate(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
    form: CsrfForm<AdjudicationForm>,
) -> Result<HttpResponse, AppError> {
    let (case_id, ps_id) = path.into_inner();
    let lead = match form.lead.as_str() {
        "none" => None,
        r => Some(
            r.parse::<u32>()
                .map_err(|_| AppError::BadRequest("Choose a candidate or no lead.".into()))?,
        ),
    };
    let u = user.clone();
    let comment = form.comment.clone();
    let single = state.settings.face.single_examiner_allowed;
    let effects = crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        let ctx = Ctx {
            user: &u.user,
            actor: u.actor(Role::Reviewer),
            today: chrono::Utc::now().date_naive(),
            single_examiner_allowed: single,
        };
        let (_, effects) = examine::adjudicate(c, &ctx, case_id, ps_id, lead, &comment)?;
        Ok(effects)
    })
    .await?;
    state.after_commit(&effects);
    Ok(crate::web::respond::redirect(&format!(
        "/cases/{case_id}/probes/{ps_id}/review"
    )))
}
