//! Examiner review of a candidate list (NY MPTC §IV.E; FBI facial-comparison practice).
//!
//! Every candidate gets a [`Disposition`] with the facial features compared (§IV.E.1). A second
//! trained examiner reviews the same list *blind* — without the first examiner's dispositions —
//! when practicable (§IV.E.2). [`consensus`] combines the two: agreement on the same possible
//! lead(s) gives a possible lead; no possible lead from either gives no lead; anything else goes
//! to a supervisor, and the record keeps all three views. Pure rules, no I/O.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::Roles;

/// An examiner's conclusion about one candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    /// Not the person in the probe.
    Excluded,
    /// Enough similarity to report as an investigative lead (never an identification).
    PossibleLead,
    /// Cannot tell from the images.
    Inconclusive,
    /// Recorded by the system, never chosen: the candidate was removed from the gallery (e.g. a
    /// sealed record) after the search, so nobody may view or compare it.
    NotAvailable,
}

impl Disposition {
    /// The dispositions an examiner chooses from ([`Disposition::NotAvailable`] is the
    /// system's).
    pub const ALL: [Disposition; 3] = [
        Disposition::Excluded,
        Disposition::PossibleLead,
        Disposition::Inconclusive,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Disposition::Excluded => "excluded",
            Disposition::PossibleLead => "possible_lead",
            Disposition::Inconclusive => "inconclusive",
            Disposition::NotAvailable => "not_available",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Disposition::Excluded => "Excluded",
            Disposition::PossibleLead => "Possible lead",
            Disposition::Inconclusive => "Inconclusive",
            Disposition::NotAvailable => "Not available — removed from the gallery",
        }
    }
    pub fn parse(s: &str) -> Option<Disposition> {
        Disposition::ALL.into_iter().find(|d| d.as_str() == s)
    }
}

/// Facial features an examiner compares (NY MPTC §IV.E.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Feature {
    Eyes,
    Ears,
    Nose,
    Mouth,
    Chin,
    Lips,
    Eyebrows,
    HairHairline,
    Scars,
    Marks,
    Tattoos,
}

impl Feature {
    pub const ALL: [Feature; 11] = [
        Feature::Eyes,
        Feature::Ears,
        Feature::Nose,
        Feature::Mouth,
        Feature::Chin,
        Feature::Lips,
        Feature::Eyebrows,
        Feature::HairHairline,
        Feature::Scars,
        Feature::Marks,
        Feature::Tattoos,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Feature::Eyes => "eyes",
            Feature::Ears => "ears",
            Feature::Nose => "nose",
            Feature::Mouth => "mouth",
            Feature::Chin => "chin",
            Feature::Lips => "lips",
            Feature::Eyebrows => "eyebrows",
            Feature::HairHairline => "hair_hairline",
            Feature::Scars => "scars",
            Feature::Marks => "marks",
            Feature::Tattoos => "tattoos",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Feature::HairHairline => "hair / hairline",
            other => other.as_str(),
        }
    }
    pub fn parse(s: &str) -> Option<Feature> {
        Feature::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

/// One candidate's assessment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    /// Rank of the candidate in the stored list (1 = highest similarity).
    pub rank: u32,
    pub disposition: Disposition,
    pub features: BTreeSet<Feature>,
    pub notes: String,
}

/// What an examiner typed for one candidate.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AssessmentForm {
    pub rank: u32,
    pub disposition: String,
    pub features: Vec<String>,
    pub notes: String,
}

/// `saved` (an examiner's draft) with `newer` entries laid over it: a candidate in `newer`
/// replaces its saved entry whole (a cleared choice is cleared), the others are kept; in rank
/// order. The per-candidate save of the comparison view and the final submit both merge so.
pub fn merge_forms(saved: Vec<AssessmentForm>, newer: &[AssessmentForm]) -> Vec<AssessmentForm> {
    let mut out: Vec<AssessmentForm> = saved
        .into_iter()
        .filter(|s| !newer.iter().any(|n| n.rank == s.rank))
        .collect();
    out.extend(newer.iter().cloned());
    out.sort_by_key(|f| f.rank);
    out.dedup_by_key(|f| f.rank);
    out
}

/// What the desk knows about one candidate when a review is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CandidateSight {
    /// Its booking photo was served to this examiner (a `subject.view` audit record).
    Seen,
    /// Never opened by this examiner: no disposition is accepted for it.
    NotSeen,
    /// Removed from the gallery since the search: recorded as not available.
    Removed,
}

/// Notes the system writes for a candidate removed from the gallery since the search.
pub const REMOVED_NOTE: &str = "Removed from the gallery after the search (e.g. a sealed or expunged record); not viewed or compared.";

/// A complete review: exactly one assessment per candidate. Only [`Review::parse`] makes one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    pub assessments: Vec<Assessment>,
}

/// Problems with a review form, per candidate rank.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReviewErrors(pub Vec<(u32, String)>);

impl ReviewErrors {
    pub fn for_rank(&self, rank: u32) -> Option<&str> {
        self.0
            .iter()
            .find(|(r, _)| *r == rank)
            .map(|(_, m)| m.as_str())
    }
}

/// Longest note per candidate, in characters.
pub const MAX_NOTES: usize = 2000;

impl Review {
    /// Parses a review of the candidate list `ranks`. Every candidate needs a disposition; a
    /// possible lead needs at least one compared feature and a note describing the similarities
    /// (NY MPTC §IV.E.1); the features compared are optional for an exclusion; an inconclusive
    /// needs a note saying why. Each candidate is checked by [`check_candidate`].
    ///
    /// `candidates` gives each rank of the list with what the examiner could see of it: a
    /// candidate removed from the gallery is recorded [`Disposition::NotAvailable`] whatever was
    /// sent (a case never waits on a face nobody may see); a candidate whose booking photo was
    /// never served to this examiner gets no disposition ("open the photo first").
    pub fn parse(
        candidates: &[(u32, CandidateSight)],
        forms: &[AssessmentForm],
    ) -> Result<Review, ReviewErrors> {
        let mut errors = Vec::new();
        let mut assessments = Vec::new();
        for &(rank, sight) in candidates {
            match check_candidate(rank, sight, forms.iter().find(|f| f.rank == rank)) {
                Ok(a) => assessments.push(a),
                Err(e) => errors.push((rank, e)),
            }
        }
        if errors.is_empty() {
            Ok(Review { assessments })
        } else {
            Err(ReviewErrors(errors))
        }
    }

    /// Ranks marked possible lead.
    pub fn possible_leads(&self) -> BTreeSet<u32> {
        self.assessments
            .iter()
            .filter(|a| a.disposition == Disposition::PossibleLead)
            .map(|a| a.rank)
            .collect()
    }
}

/// One candidate's assessment from what the examiner entered for it (`form`, if anything), or
/// what is still missing — the message shown beside the candidate and in the overview of the
/// comparison view. See [`Review::parse`] for the rules.
pub fn check_candidate(
    rank: u32,
    sight: CandidateSight,
    form: Option<&AssessmentForm>,
) -> Result<Assessment, String> {
    match sight {
        CandidateSight::Removed => {
            return Ok(Assessment {
                rank,
                disposition: Disposition::NotAvailable,
                features: BTreeSet::new(),
                notes: REMOVED_NOTE.to_string(),
            });
        }
        CandidateSight::NotSeen => {
            return Err("Its booking photo was never shown to you: open the photo and compare it before giving a disposition.".to_string());
        }
        CandidateSight::Seen => {}
    }
    let Some(f) = form else {
        return Err("Give a disposition for this candidate.".to_string());
    };
    let Some(disposition) = Disposition::parse(f.disposition.trim()) else {
        return Err("Give a disposition for this candidate.".to_string());
    };
    let features: BTreeSet<Feature> = f
        .features
        .iter()
        .filter_map(|s| Feature::parse(s.trim()))
        .collect();
    let notes = crate::domain::request::clean(&f.notes);
    if notes.chars().count() > MAX_NOTES {
        return Err(format!("Keep the notes under {MAX_NOTES} characters."));
    }
    match disposition {
        Disposition::PossibleLead if features.is_empty() => {
            return Err(
                "Tick the facial features you compared (required for a possible lead).".to_string(),
            );
        }
        Disposition::PossibleLead if notes.chars().count() < 10 => {
            return Err(
                "Describe the similarities that justify reporting a possible lead.".to_string(),
            );
        }
        Disposition::Inconclusive if notes.is_empty() => {
            return Err("Say why the comparison is inconclusive.".to_string());
        }
        _ => {}
    }
    Ok(Assessment {
        rank,
        disposition,
        features,
        notes,
    })
}

/// The combined result of the examiners' reviews.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Consensus {
    /// The second (blind) review is still needed.
    AwaitingSecondReview,
    /// Both examiners (or the single permitted one) found these possible leads.
    PossibleLead {
        ranks: Vec<u32>,
        single_examiner: bool,
    },
    /// Neither found a possible lead.
    NoLead { single_examiner: bool },
    /// The examiners disagree: a supervisor must adjudicate.
    NeedsAdjudication,
}

/// Combines the first review with the second, if any. `single_examiner_allowed` is the setting
/// for when a second examiner is not practicable; the result then says so.
pub fn consensus(
    first: &Review,
    second: Option<&Review>,
    single_examiner_allowed: bool,
) -> Consensus {
    let a = first.possible_leads();
    match second {
        None if single_examiner_allowed => {
            if a.is_empty() {
                Consensus::NoLead {
                    single_examiner: true,
                }
            } else {
                Consensus::PossibleLead {
                    ranks: a.into_iter().collect(),
                    single_examiner: true,
                }
            }
        }
        None => Consensus::AwaitingSecondReview,
        Some(second) => {
            let b = second.possible_leads();
            if a.is_empty() && b.is_empty() {
                Consensus::NoLead {
                    single_examiner: false,
                }
            } else if a == b {
                Consensus::PossibleLead {
                    ranks: a.into_iter().collect(),
                    single_examiner: false,
                }
            } else {
                Consensus::NeedsAdjudication
            }
        }
    }
}

/// Why a user may not examine.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExaminerRefusal {
    #[error("Only users with the examiner role may review candidates.")]
    NotExaminer,
    #[error("Only a supervisor of the service may adjudicate.")]
    NotSupervisor,
    /// The training on file does not make an examiner; the message quotes the policy.
    #[error("{0}")]
    Training(crate::domain::training::TrainingRefusal),
    #[error("The second review must be done by a different examiner.")]
    SameExaminer,
}

/// Whether a user may review candidates now (NY MPTC §IV.A, §VII; LACRIS "Training" and
/// "Facial Reviewer"): the examiner role and training on file that makes an examiner
/// ([`crate::domain::training::makes_examiner`]). `training` is all of the user's records
/// (load them with `accounts::training::records_of`, or use `accounts::training::trained_examiner`).
pub fn may_examine(
    roles: &Roles,
    training: &[crate::domain::training::Training],
    today: NaiveDate,
) -> Result<(), ExaminerRefusal> {
    if !roles.has(crate::domain::Role::Examiner) {
        return Err(ExaminerRefusal::NotExaminer);
    }
    crate::domain::training::makes_examiner(training, today).map_err(ExaminerRefusal::Training)
}

/// Whether a user may adjudicate now: the supervisor role (a trained examiner of the service,
/// docs/POLICIES.md) with current facial-comparison training.
pub fn may_adjudicate(
    roles: &Roles,
    training: &[crate::domain::training::Training],
    today: NaiveDate,
) -> Result<(), ExaminerRefusal> {
    if !roles.has(crate::domain::Role::Supervisor) {
        return Err(ExaminerRefusal::NotSupervisor);
    }
    crate::domain::training::makes_examiner(training, today).map_err(ExaminerRefusal::Training)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(ranks: &[u32]) -> Vec<(u32, CandidateSight)> {
        ranks.iter().map(|&r| (r, CandidateSight::Seen)).collect()
    }

    #[test]
    fn removed_candidates_are_recorded_not_available_and_unseen_ones_refused() {
        let cands = [
            (1, CandidateSight::Seen),
            (2, CandidateSight::Removed),
            (3, CandidateSight::NotSeen),
        ];
        // A disposition for the unseen candidate is refused; the removed one needs none.
        let errs = Review::parse(&cands, &[form(1, "excluded"), form(3, "excluded")]).unwrap_err();
        assert!(errs.for_rank(3).unwrap().contains("never shown"));
        assert!(errs.for_rank(2).is_none());
        let cands = [(1, CandidateSight::Seen), (2, CandidateSight::Removed)];
        // Whatever was sent for a removed candidate, the system records it as not available.
        let r = Review::parse(&cands, &[form(1, "excluded"), form(2, "possible_lead")]).unwrap();
        assert_eq!(r.assessments[1].disposition, Disposition::NotAvailable);
        assert_eq!(r.assessments[1].notes, REMOVED_NOTE);
        assert!(r.possible_leads().is_empty());
        assert!(
            Disposition::parse("not_available").is_none(),
            "never chosen"
        );
    }

    fn form(rank: u32, d: &str) -> AssessmentForm {
        AssessmentForm {
            rank,
            disposition: d.into(),
            features: vec!["eyes".into(), "nose".into()],
            notes: "Compared eyes, nose and hairline; consistent shapes.".into(),
        }
    }

    fn review(ds: &[&str]) -> Review {
        let ranks: Vec<u32> = (1..=ds.len() as u32).collect();
        let forms: Vec<_> = ds
            .iter()
            .enumerate()
            .map(|(i, d)| form(i as u32 + 1, d))
            .collect();
        Review::parse(&seen(&ranks), &forms).unwrap()
    }

    #[test]
    fn every_candidate_needs_a_disposition() {
        let errs =
            Review::parse(&seen(&[1, 2, 3]), &[form(1, "excluded"), form(3, "")]).unwrap_err();
        assert!(errs.for_rank(2).is_some());
        assert!(errs.for_rank(3).is_some());
        assert!(errs.for_rank(1).is_none());
    }

    #[test]
    fn newer_entries_replace_saved_ones_per_candidate() {
        let saved = vec![form(1, "excluded"), form(2, "excluded")];
        let mut cleared = form(2, "");
        cleared.features.clear();
        let m = merge_forms(saved, &[form(3, "possible_lead"), cleared]);
        let ds: Vec<(u32, &str)> = m.iter().map(|f| (f.rank, f.disposition.as_str())).collect();
        assert_eq!(ds, vec![(1, "excluded"), (2, ""), (3, "possible_lead")]);
        assert!(m[1].features.is_empty());
    }

    #[test]
    fn features_are_optional_for_an_exclusion() {
        let mut f = form(1, "excluded");
        f.features.clear();
        f.notes.clear();
        let r = Review::parse(&seen(&[1]), &[f]).unwrap();
        assert_eq!(r.assessments[0].disposition, Disposition::Excluded);
        let mut f = form(1, "possible_lead");
        f.features.clear();
        assert!(
            check_candidate(1, CandidateSight::Seen, Some(&f))
                .unwrap_err()
                .contains("required for a possible lead")
        );
    }

    #[test]
    fn leads_need_features_and_notes() {
        let mut f = form(1, "possible_lead");
        f.features.clear();
        assert!(Review::parse(&seen(&[1]), &[f]).is_err());
        let mut f = form(1, "possible_lead");
        f.notes = "same".into();
        assert!(Review::parse(&seen(&[1]), &[f]).is_err());
        let mut f = form(1, "inconclusive");
        f.features.clear();
        f.notes = "Probe too blurred to compare.".into();
        assert!(Review::parse(&seen(&[1]), &[f]).is_ok());
    }

    #[test]
    fn consensus_rules() {
        let lead1 = review(&["possible_lead", "excluded"]);
        let lead1b = review(&["possible_lead", "inconclusive"]);
        let lead2 = review(&["excluded", "possible_lead"]);
        let none = review(&["excluded", "inconclusive"]);
        assert_eq!(
            consensus(&lead1, None, false),
            Consensus::AwaitingSecondReview
        );
        assert_eq!(
            consensus(&lead1, Some(&lead1b), false),
            Consensus::PossibleLead {
                ranks: vec![1],
                single_examiner: false
            }
        );
        assert_eq!(
            consensus(&lead1, Some(&lead2), false),
            Consensus::NeedsAdjudication
        );
        assert_eq!(
            consensus(&lead1, Some(&none), false),
            Consensus::NeedsAdjudication
        );
        assert_eq!(
            consensus(&none, Some(&none), false),
            Consensus::NoLead {
                single_examiner: false
            }
        );
        assert_eq!(
            consensus(&lead1, None, true),
            Consensus::PossibleLead {
                ranks: vec![1],
                single_examiner: true
            }
        );
    }

    #[test]
    fn only_trained_examiners() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        let ex = Roles::parse("examiner").unwrap();
        let rq = Roles::parse("requester").unwrap();
        use crate::domain::training::{Training, TrainingKind, TrainingProvider, TrainingRefusal};
        let rec = |kind, provider, y| Training {
            kind,
            provider,
            completed_on: NaiveDate::from_ymd_opt(y, 1, 10).unwrap(),
        };
        let trained = [
            rec(TrainingKind::FrSystem, TrainingProvider::Lacris, 2024),
            rec(TrainingKind::FacialComparison, TrainingProvider::Fbi, 2024),
        ];
        assert_eq!(may_examine(&ex, &trained, today), Ok(()));
        assert_eq!(
            may_examine(&rq, &trained, today),
            Err(ExaminerRefusal::NotExaminer)
        );
        assert_eq!(
            may_examine(&ex, &trained[..1], today),
            Err(ExaminerRefusal::Training(
                TrainingRefusal::NotFacialReviewer
            ))
        );
    }
}
