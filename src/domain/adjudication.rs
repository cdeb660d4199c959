//! A supervisor's adjudication of a disagreement between the two examiners (NY MPTC §IV.E;
//! docs/POLICIES.md, "Adjudication"). The supervisor is a trained examiner who compares the
//! probe with the disputed candidates themself and records that comparison: the features
//! compared and notes. They may report as a possible lead only a candidate that at least one
//! examiner marked a possible lead — unless they record a full comparison of that candidate
//! (they tick that they compared it in full, and list the features and notes as an examiner
//! would). Pure rules, no I/O.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::domain::examination::Feature;

/// Shortest notes accepted (characters): "what was compared and why".
pub const MIN_NOTES: usize = 5;

/// A supervisor's recorded adjudication (stored as JSON in the examination row).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Adjudication {
    /// The candidate rank reported as a possible lead, or `None` for no lead.
    pub lead_rank: Option<u32>,
    /// Features the supervisor compared (empty in adjudications recorded before this rule).
    #[serde(default)]
    pub features: BTreeSet<Feature>,
    /// Whether the supervisor recorded a full comparison of the reported candidate (needed when
    /// no examiner marked it a possible lead).
    #[serde(default)]
    pub full_comparison: bool,
}

/// What the supervisor typed.
#[derive(Debug, Clone, Default)]
pub struct AdjudicationForm {
    /// `None` for "no lead".
    pub lead_rank: Option<u32>,
    pub features: Vec<String>,
    pub notes: String,
    pub full_comparison: bool,
}

/// Why an adjudication form was refused; `Display` is the supervisor's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdjudicationError {
    #[error("Write your notes on the comparison (at least {MIN_NOTES} characters).")]
    NoNotes,
    #[error("Choose a candidate from the list, or no lead.")]
    NotACandidate,
    #[error("Tick the facial features you compared before reporting a possible lead.")]
    NoFeatures,
    #[error(
        "No examiner marked candidate {0} a possible lead: report it only after recording your own full comparison of it (tick \"I compared this candidate in full\")."
    )]
    NotMarkedByAnExaminer(u32),
    #[error("Unknown facial feature '{0}'.")]
    UnknownFeature(String),
}

impl Adjudication {
    /// Parses the supervisor's form. `ranks` are the candidate list's ranks; `examiner_leads`
    /// the ranks at least one examiner marked a possible lead. `notes` must already be cleaned.
    pub fn parse(
        form: &AdjudicationForm,
        ranks: &[u32],
        examiner_leads: &BTreeSet<u32>,
    ) -> Result<Adjudication, AdjudicationError> {
        if form.notes.trim().chars().count() < MIN_NOTES {
            return Err(AdjudicationError::NoNotes);
        }
        let features = form
            .features
            .iter()
            .map(|f| Feature::parse(f).ok_or_else(|| AdjudicationError::UnknownFeature(f.clone())))
            .collect::<Result<BTreeSet<_>, _>>()?;
        if let Some(rank) = form.lead_rank {
            if !ranks.contains(&rank) {
                return Err(AdjudicationError::NotACandidate);
            }
            if features.is_empty() {
                return Err(AdjudicationError::NoFeatures);
            }
            if !examiner_leads.contains(&rank) && !form.full_comparison {
                return Err(AdjudicationError::NotMarkedByAnExaminer(rank));
            }
        }
        Ok(Adjudication {
            lead_rank: form.lead_rank,
            features,
            full_comparison: form.full_comparison && form.lead_rank.is_some(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(lead: Option<u32>, features: &[&str], full: bool) -> AdjudicationForm {
        AdjudicationForm {
            lead_rank: lead,
            features: features.iter().map(|s| s.to_string()).collect(),
            notes: "Compared eyes and nose at full size.".into(),
            full_comparison: full,
        }
    }

    #[test]
    fn a_lead_must_have_been_marked_by_an_examiner_or_fully_compared() {
        let leads: BTreeSet<u32> = [2].into();
        let ranks = [1, 2, 3];
        assert!(Adjudication::parse(&form(Some(2), &["eyes"], false), &ranks, &leads).is_ok());
        assert_eq!(
            Adjudication::parse(&form(Some(1), &["eyes"], false), &ranks, &leads),
            Err(AdjudicationError::NotMarkedByAnExaminer(1))
        );
        let a =
            Adjudication::parse(&form(Some(1), &["eyes", "ears"], true), &ranks, &leads).unwrap();
        assert!(a.full_comparison);
        assert_eq!(
            Adjudication::parse(&form(Some(9), &["eyes"], true), &ranks, &leads),
            Err(AdjudicationError::NotACandidate)
        );
    }

    #[test]
    fn the_supervisors_comparison_is_recorded() {
        let leads: BTreeSet<u32> = [1].into();
        assert_eq!(
            Adjudication::parse(&form(Some(1), &[], false), &[1], &leads),
            Err(AdjudicationError::NoFeatures)
        );
        let mut f = form(None, &[], false);
        assert!(Adjudication::parse(&f, &[1], &leads).is_ok());
        f.notes = " ok ".into();
        assert_eq!(
            Adjudication::parse(&f, &[1], &leads),
            Err(AdjudicationError::NoNotes)
        );
        assert!(matches!(
            Adjudication::parse(&form(None, &["teeth"], false), &[1], &leads),
            Err(AdjudicationError::UnknownFeature(_))
        ));
    }

    #[test]
    fn earlier_records_still_load() {
        let a: Adjudication = serde_json::from_str(r#"{"lead_rank":3}"#).unwrap();
        assert_eq!(a.lead_rank, Some(3));
        assert!(a.features.is_empty() && !a.full_comparison);
    }
}
