//! Examiner review of a probe's candidate list: `GET/POST /cases/{id}/probes/{ps}/review`;
//! candidate photos at `…/candidates/{rank}.jpg` (each opening is a "subject viewed" audit
//! record); supervisors adjudicate at `POST …/adjudicate`.

use actix_session::Session;
use actix_web::{HttpResponse, http::StatusCode, web};
use askama::Template;

use crate::accounts::store::User;
use crate::audit::{self, Entry};
use crate::cases::store::Case;
use crate::domain::adjudication::AdjudicationForm;
use crate::domain::examination::{AssessmentForm, Consensus, Disposition, Feature, ReviewErrors};
use crate::domain::{CaseId, Role, UserId};
use crate::examination::access::{CandidateAccess, candidate_access, refusal_entry};
use crate::examination::review::{self as examine, Ctx, ExamineError};
use crate::examination::standing::{Examination, Standing};
use crate::search::{ProbeSearch, StoredCandidate};
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
    /// The case's status as seen from this candidate list (never "awaiting examiner review"
    /// once this probe's examination concluded).
    pub status_label: String,
    pub can_review: bool,
    pub can_adjudicate: bool,
    pub views: Vec<ExamView>,
    pub errors: ReviewErrors,
    pub error: Option<String>,
    /// Ranks whose subject was removed from the gallery since the search (sealed, expunged):
    /// no photo, no disposition; recorded as not available.
    pub removed: Vec<u32>,
    /// What the examiner entered (a refused post, or their saved draft), shown again.
    pub entered: Vec<AssessmentForm>,
    /// When the examiner's draft shown in the form was saved.
    pub draft_saved_at: Option<String>,
}

impl ReviewPage {
    pub fn err(&self, rank: &u32) -> Option<&str> {
        self.errors.for_rank(*rank)
    }
    pub fn is_removed(&self, rank: &u32) -> bool {
        self.removed.contains(rank)
    }
    fn entered_for(&self, rank: u32) -> Option<&AssessmentForm> {
        self.entered.iter().find(|f| f.rank == rank)
    }
    /// Whether disposition `d` was chosen for `rank`.
    pub fn chose(&self, rank: &u32, d: &str) -> bool {
        self.entered_for(*rank).is_some_and(|f| f.disposition == d)
    }
    /// Whether feature `f` was ticked for `rank`.
    pub fn ticked(&self, rank: &u32, f: &str) -> bool {
        self.entered_for(*rank)
            .is_some_and(|e| e.features.iter().any(|x| x == f))
    }
    /// The notes entered for `rank`.
    pub fn notes(&self, rank: &u32) -> &str {
        self.entered_for(*rank).map_or("", |f| f.notes.as_str())
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
    let single = state.settings.face.single_examiner_allowed;
    let approver_may_examine = state.settings.face.approver_may_examine;
    let uid = user.user.id;
    let (vu, va, roles) = (user.user.clone(), user.agency.clone(), user.roles.clone());
    let actor = user.actor_as(user.primary_role());
    let (case, probe, exams, names, access, removed, draft) =
        crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
            // Who the person is decides first (an untrained user learns nothing about ids).
            if let Err(why) = crate::examination::access::trained_for_candidates(
                c,
                &vu,
                &roles,
                chrono::Utc::now().date_naive(),
            )? {
                audit::record(
                    c,
                    &actor,
                    refusal_entry("examine.view_candidates", "probe_search", ps_id, &why),
                )?;
                return Err(AppError::Forbidden(why));
            }
            let case = crate::cases::access::live_case_for(
                c,
                &crate::cases::access::Viewer::new(&vu, &va),
                CaseId(case_id),
            )?
            .ok_or(AppError::NotFound)?;
            let ps = ProbeSearch::find(c, ps_id).map_err(|_| AppError::NotFound)?;
            if ps.case_id != case.id {
                return Err(AppError::NotFound);
            }
            let access = match candidate_access(
                c,
                &vu,
                &roles,
                &case,
                chrono::Utc::now().date_naive(),
                approver_may_examine,
            )? {
                Ok(a) => a,
                Err(why) => {
                    audit::record(
                        c,
                        &actor,
                        refusal_entry("examine.view_candidates", "probe_search", ps_id, &why),
                    )?;
                    return Err(AppError::Forbidden(why));
                }
            };
            let ids: Vec<i64> = ps.candidates().iter().map(|x| x.subject_id).collect();
            let gone = crate::gallery::Subject::removed_among(c, &ids)?;
            let removed: Vec<u32> = ps
                .candidates()
                .iter()
                .filter(|x| gone.contains(&x.subject_id))
                .map(|x| x.rank)
                .collect();
            let exams = Examination::for_probe(c, ps_id)?;
            let mut names = Vec::new();
            for e in &exams {
                names.push(
                    User::find(c, UserId(e.examiner_id))
                        .map(|u| u.name)
                        .unwrap_or_default(),
                );
            }
            let draft = crate::examination::drafts::of(c, ps_id, uid)?;
            Ok((case, ps, exams, names, access, removed, draft))
        })
        .await?;
    let is_examiner = access == CandidateAccess::Examiner;
    let is_supervisor = access == CandidateAccess::Supervisor;
    let st = crate::examination::standing::standing(&exams, single);
    let concluded = matches!(st, Standing::Concluded(_));
    let took_part = exams.iter().any(|e| e.examiner_id == uid);
    let can_adjudicate = st == Standing::NeedsAdjudication
        && (is_supervisor || user.has(Role::Supervisor))
        && !took_part;
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
    let status_label = match case.status() {
        crate::domain::CaseStatus::Searched if concluded => {
            "Examination of this probe concluded — the result is issued once every probe of the case is examined".into()
        }
        crate::domain::CaseStatus::Searched => standing_label(&st),
        other => other.label().into(),
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
        status_label,
        standing_label: standing_label(&st),
        can_review,
        can_adjudicate,
        views,
        errors: ReviewErrors::default(),
        error: None,
        removed,
        draft_saved_at: draft
            .as_ref()
            .filter(|_| can_review)
            .map(|(_, at)| crate::platform::time::fmt_time(at)),
        entered: match draft {
            Some((forms, _)) if can_review => forms,
            _ => Vec::new(),
        },
    })
}

pub async fn page(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let (case_id, ps_id) = path.into_inner();
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
    let actor = user.actor_as(user.primary_role());
    let (vu, va, roles) = (user.user.clone(), user.agency.clone(), user.roles.clone());
    let approver_may_examine = state.settings.face.approver_may_examine;
    let bytes = crate::platform::db::run(&state.pool, move |c| -> Result<Vec<u8>, AppError> {
        let ps = ProbeSearch::find(c, ps_id).map_err(|_| AppError::NotFound)?;
        if ps.case_id != case_id {
            return Err(AppError::NotFound);
        }
        let case = crate::cases::access::live_case_for(
            c,
            &crate::cases::access::Viewer::new(&vu, &va),
            CaseId(case_id),
        )?
        .ok_or(AppError::NotFound)?;
        if let Err(why) = candidate_access(
            c,
            &vu,
            &roles,
            &case,
            chrono::Utc::now().date_naive(),
            approver_may_examine,
        )? {
            audit::record(
                c,
                &actor,
                refusal_entry("subject.view", "probe_search", ps_id, &why),
            )?;
            return Err(AppError::Forbidden(why));
        }
        let cand = ps
            .candidates()
            .into_iter()
            .find(|x| x.rank == rank)
            .ok_or(AppError::NotFound)?;
        if !crate::gallery::Subject::removed_among(c, &[cand.subject_id])?.is_empty() {
            audit::record(
                c,
                &actor,
                Entry::new("subject.view", "subject", &cand.subject_key)
                    .outcome(audit::Outcome::Denied)
                    .details("removed from the gallery since the search"),
            )?;
            return Err(AppError::NotFound);
        }
        let photo =
            crate::gallery::Photo::by_sha256(c, &cand.photo_sha256)?.ok_or(AppError::NotFound)?;
        let bytes = std::fs::read(&photo.file_path).map_err(|e| {
            AppError::Internal(anyhow::anyhow!(
                "Failed to read booking photo {}: {e}",
                photo.file_path
            ))
        })?;
        let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes));
        // A group photo's second and later faces are enrolled as `<sha256>:<n>`: the file's
        // hash is the part before the colon.
        let file_sha = cand
            .photo_sha256
            .split_once(':')
            .map_or(cand.photo_sha256.as_str(), |(h, _)| h);
        if sha != file_sha {
            return Err(AppError::Internal(anyhow::anyhow!(
                "Booking photo {} no longer matches its hash",
                photo.file_path
            )));
        }
        audit::record(
            c,
            &actor,
            Entry::new("subject.view", "subject", &cand.subject_key)
                .reason(&case.search_reason)
                .details(crate::examination::access::subject_view_details(
                    &case.display_number(),
                    ps_id,
                    rank,
                    &cand.booking_number,
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
    let entered = forms.clone();
    let save_only = form.iter().any(|(k, v)| k == "action" && v == "draft");
    let u = user.clone();
    let st = state.clone();
    let single = state.settings.face.single_examiner_allowed;
    let result = crate::platform::db::run(
        &state.pool,
        move |c| -> Result<
            Result<(Standing, crate::platform::jobs::effects::AfterCommit), ExamineError>,
            AppError,
        > {
            let ctx = Ctx {
                user: &u.user,
                agency: &u.agency,
                actor: u.actor(Role::Examiner),
                today: chrono::Utc::now().date_naive(),
                single_examiner_allowed: single,
                approver_may_examine: st.settings.face.approver_may_examine,
            };
            if save_only {
                return Ok(examine::save_draft(c, &ctx, ps_id, &forms)
                    .map(|()| (Standing::AwaitingFirst, Default::default())));
            }
            Ok(examine::submit_review(c, &ctx, ps_id, &forms))
        },
    )
    .await?;
    if save_only {
        let (_, effects) = result.map_err(AppError::from)?;
        state.after_commit(&effects);
        return Ok(crate::web::respond::redirect(&format!(
            "/cases/{case_id}/probes/{ps_id}/review?draft=saved"
        )));
    }
    match result {
        Ok((_, effects)) => {
            state.after_commit(&effects);
            crate::web::flash::redirect(
                &session,
                crate::web::flash::Done::ReviewRecorded,
                case_id,
                "/examine",
            )
        }
        Err(ExamineError::Invalid(errors)) => {
            let mut page = build(&user, &state, case_id, ps_id).await?;
            page.errors = errors;
            page.entered = entered;
            page.error = Some(
                "Nothing was recorded yet: complete the marked candidates; everything you entered is kept below."
                    .into(),
            );
            crate::web::respond::html_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(e.into()),
    }
}

/// The adjudication form: `lead` ("none" or a rank), `f` (features compared, repeated),
/// `comment` (the supervisor's notes), `full_comparison` ("on" when the supervisor compared the
/// reported candidate in full).
pub async fn adjudicate(
    session: Session,
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let (case_id, ps_id) = path.into_inner();
    let form = crate::web::csrf::clean_pairs(form.into_inner(), |k| k == "comment");
    let field = |k: &str| {
        form.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    auth::verify_csrf(&session, &field("csrf_token"))?;
    let lead = match field("lead").as_str() {
        "none" => None,
        r => Some(
            r.parse::<u32>()
                .map_err(|_| AppError::BadRequest("Choose a candidate or no lead.".into()))?,
        ),
    };
    let adjudication = AdjudicationForm {
        lead_rank: lead,
        features: form
            .iter()
            .filter(|(k, _)| k == "f")
            .map(|(_, v)| v.clone())
            .collect(),
        notes: field("comment"),
        full_comparison: field("full_comparison") == "on",
    };
    let u = user.clone();
    let st = state.clone();
    let result = crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        let ctx = Ctx {
            user: &u.user,
            agency: &u.agency,
            actor: u.actor(Role::Supervisor),
            today: chrono::Utc::now().date_naive(),
            single_examiner_allowed: st.settings.face.single_examiner_allowed,
            approver_may_examine: st.settings.face.approver_may_examine,
        };
        Ok(examine::adjudicate(c, &ctx, case_id, ps_id, &adjudication))
    })
    .await?;
    match result {
        Ok((_, effects)) => {
            state.after_commit(&effects);
            crate::web::flash::redirect(
                &session,
                crate::web::flash::Done::Adjudicated,
                case_id,
                "/examine",
            )
        }
        Err(ExamineError::BadAdjudication(e)) => {
            let mut page = build(&user, &state, case_id, ps_id).await?;
            page.error = Some(e.to_string());
            crate::web::respond::html_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(e.into()),
    }
}
