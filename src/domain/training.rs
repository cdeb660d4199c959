//! Training records and the two rules built on them, in the words of the LACRIS FR Policy.
//!
//! - **FR-system training grants access** ("Training"; "Prohibited Uses"): "Personnel must be
//!   successfully trained by LACRIS or have previously attended FR training which meets the
//!   FBI's minimum training criteria for using FR systems", and "Personnel who provide proof of
//!   FBI equivalent training not offered by LACRIS must have attended the training after
//!   January 1, 2017, to maintain access to the FR system." So an [`TrainingKind::FrSystem`]
//!   record counts when its provider is LACRIS (any date), or FBI / other (training recorded as
//!   FBI-equivalent) completed *after* 2017-01-01 (2017-01-01 itself does not count).
//! - **Facial-comparison training makes an examiner** ("Definitions"): "Facial Reviewer – A
//!   person who completed the FBI or LACRIS training in facial comparison." Only an FBI or
//!   LACRIS [`TrainingKind::FacialComparison`] record counts; "other" never does. An examiner
//!   looks at booking photos through the FR system, so [`makes_examiner`] also needs
//!   [`grants_fr_access`].
//!
//! **Current and lapsed.** Neither the LACRIS policy nor the NY MPTC model policy sets a renewal
//! period, so a record does not expire with age. A record counts from its completion date
//! (a date in the future does not count yet). Training is *current* when the records on file
//! satisfy the rule today, and *lapsed* when they do not — e.g. FBI-equivalent training from
//! before the cutoff, facial-comparison training only from another provider, or no record. A
//! renewal is a new record (records are never changed); any one qualifying record suffices.
//! Pure rules, no I/O.

use chrono::NaiveDate;

/// The earliest training completion date LACRIS accepts (exclusive: "after January 1, 2017").
pub fn cutoff() -> NaiveDate {
    NaiveDate::from_ymd_opt(2017, 1, 1).unwrap_or_default()
}

/// Who gave the training.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrainingProvider {
    Fbi,
    Lacris,
    Other,
}

impl TrainingProvider {
    /// Stored and shown form: `FBI`, `LACRIS`, `other`.
    pub fn as_str(self) -> &'static str {
        match self {
            TrainingProvider::Fbi => "FBI",
            TrainingProvider::Lacris => "LACRIS",
            TrainingProvider::Other => "other",
        }
    }
}

impl std::str::FromStr for TrainingProvider {
    type Err = String;
    /// Case-insensitive `FBI`, `LACRIS` or `other`; the error names what was given.
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "fbi" => Ok(TrainingProvider::Fbi),
            "lacris" => Ok(TrainingProvider::Lacris),
            "other" => Ok(TrainingProvider::Other),
            _ => Err(format!(
                "unknown training provider '{s}' (expected FBI, LACRIS or other)"
            )),
        }
    }
}

/// What the training was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrainingKind {
    /// Using the FR system (grants access).
    FrSystem,
    /// Facial comparison (makes a "Facial Reviewer", i.e. an examiner).
    FacialComparison,
}

impl TrainingKind {
    pub const ALL: [TrainingKind; 2] = [TrainingKind::FrSystem, TrainingKind::FacialComparison];
    /// Stored form: `fr_system`, `facial_comparison`.
    pub fn as_str(self) -> &'static str {
        match self {
            TrainingKind::FrSystem => "fr_system",
            TrainingKind::FacialComparison => "facial_comparison",
        }
    }
    /// Shown form.
    pub fn label(self) -> &'static str {
        match self {
            TrainingKind::FrSystem => "FR-system training",
            TrainingKind::FacialComparison => "facial-comparison training",
        }
    }
}

impl std::str::FromStr for TrainingKind {
    type Err = String;
    /// `fr-system` / `fr_system` or `facial-comparison` / `facial_comparison`.
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "fr_system" => Ok(TrainingKind::FrSystem),
            "facial_comparison" => Ok(TrainingKind::FacialComparison),
            _ => Err(format!(
                "unknown training kind '{s}' (expected fr-system or facial-comparison)"
            )),
        }
    }
}

/// One completed training, as the rules need it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Training {
    pub kind: TrainingKind,
    pub provider: TrainingProvider,
    pub completed_on: NaiveDate,
}

/// Why training on file does not satisfy a rule; `Display` quotes the LACRIS FR Policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TrainingRefusal {
    #[error(
        "No FR-system training on record grants access. LACRIS FR Policy, \"Training\": personnel must be \"successfully trained by LACRIS or have previously attended FR training which meets the FBI's minimum training criteria for using FR systems\", and \"Personnel who provide proof of FBI equivalent training not offered by LACRIS must have attended the training after January 1, 2017, to maintain access to the FR system.\""
    )]
    NoFrAccess,
    #[error(
        "No facial-comparison training by the FBI or LACRIS on record. LACRIS FR Policy, \"Definitions\": \"Facial Reviewer – A person who completed the FBI or LACRIS training in facial comparison.\" Training by another provider does not make an examiner."
    )]
    NotFacialReviewer,
}

/// Whether one record satisfies the FR-system rule on `today`.
pub fn counts_for_access(t: &Training, today: NaiveDate) -> bool {
    t.kind == TrainingKind::FrSystem
        && t.completed_on <= today
        && match t.provider {
            TrainingProvider::Lacris => true,
            TrainingProvider::Fbi | TrainingProvider::Other => t.completed_on > cutoff(),
        }
}

/// Whether one record is facial-comparison training by the FBI or LACRIS, completed by `today`.
pub fn counts_for_examiner(t: &Training, today: NaiveDate) -> bool {
    t.kind == TrainingKind::FacialComparison
        && t.completed_on <= today
        && matches!(t.provider, TrainingProvider::Fbi | TrainingProvider::Lacris)
}

/// The FR-system rule: `Ok` when any record grants access on `today`.
pub fn grants_fr_access(records: &[Training], today: NaiveDate) -> Result<(), TrainingRefusal> {
    if records.iter().any(|t| counts_for_access(t, today)) {
        Ok(())
    } else {
        Err(TrainingRefusal::NoFrAccess)
    }
}

/// The examiner rule: FR-system access ([`grants_fr_access`]) *and* FBI or LACRIS
/// facial-comparison training, on `today`. The first missing part is the refusal.
pub fn makes_examiner(records: &[Training], today: NaiveDate) -> Result<(), TrainingRefusal> {
    grants_fr_access(records, today)?;
    if records.iter().any(|t| counts_for_examiner(t, today)) {
        Ok(())
    } else {
        Err(TrainingRefusal::NotFacialReviewer)
    }
}

/// Checks a training about to be recorded: not completed in the future.
pub fn check_new(t: &Training, today: NaiveDate) -> Result<(), String> {
    if t.completed_on > today {
        return Err(format!(
            "The completion date {} is in the future; record training once it is completed.",
            t.completed_on
        ));
    }
    Ok(())
}

/// The newest record of `kind`, for display ("LACRIS, 2024-01-10").
pub fn latest(records: &[Training], kind: TrainingKind) -> Option<&Training> {
    records
        .iter()
        .filter(|t| t.kind == kind)
        .max_by_key(|t| t.completed_on)
}

/// One line for pages and reports: each kind's newest record, and whether the user may access
/// the FR system and examine, e.g. `FR system: LACRIS 2024-01-10; facial comparison: none`.
pub fn summary(records: &[Training]) -> String {
    TrainingKind::ALL
        .iter()
        .map(|k| {
            let what = match k {
                TrainingKind::FrSystem => "FR system",
                TrainingKind::FacialComparison => "facial comparison",
            };
            match latest(records, *k) {
                Some(t) => format!("{what}: {} {}", t.provider.as_str(), t.completed_on),
                None => format!("{what}: none"),
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, dd: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, dd).unwrap()
    }
    fn t(kind: TrainingKind, provider: TrainingProvider, on: NaiveDate) -> Training {
        Training {
            kind,
            provider,
            completed_on: on,
        }
    }
    use TrainingKind::*;
    use TrainingProvider::*;

    #[test]
    fn fbi_equivalent_access_needs_training_after_the_cutoff() {
        let today = d(2026, 11, 22);
        assert_eq!(
            grants_fr_access(&[t(FrSystem, Fbi, d(2017, 1, 1))], today),
            Err(TrainingRefusal::NoFrAccess)
        );
        assert!(grants_fr_access(&[t(FrSystem, Fbi, d(2017, 1, 2))], today).is_ok());
        assert!(grants_fr_access(&[t(FrSystem, Other, d(2017, 1, 2))], today).is_ok());
        assert!(grants_fr_access(&[t(FrSystem, Lacris, d(2015, 6, 1))], today).is_ok());
        assert!(grants_fr_access(&[t(FrSystem, Lacris, d(2027, 1, 1))], today).is_err());
        assert!(grants_fr_access(&[t(FacialComparison, Lacris, d(2024, 1, 1))], today).is_err());
        assert!(grants_fr_access(&[], today).is_err());
    }

    #[test]
    fn only_fbi_or_lacris_facial_comparison_makes_an_examiner() {
        let today = d(2026, 11, 22);
        let fr = t(FrSystem, Lacris, d(2024, 1, 1));
        assert_eq!(
            makes_examiner(&[fr], today),
            Err(TrainingRefusal::NotFacialReviewer)
        );
        assert_eq!(
            makes_examiner(&[fr, t(FacialComparison, Other, d(2024, 1, 1))], today),
            Err(TrainingRefusal::NotFacialReviewer)
        );
        assert!(makes_examiner(&[fr, t(FacialComparison, Fbi, d(2024, 1, 1))], today).is_ok());
        assert!(makes_examiner(&[fr, t(FacialComparison, Lacris, d(2012, 1, 1))], today).is_ok());
        assert_eq!(
            makes_examiner(&[t(FacialComparison, Fbi, d(2024, 1, 1))], today),
            Err(TrainingRefusal::NoFrAccess)
        );
    }

    #[test]
    fn refusals_quote_the_policy() {
        assert!(
            TrainingRefusal::NotFacialReviewer
                .to_string()
                .contains("A person who completed the FBI or LACRIS training in facial comparison")
        );
        assert!(
            TrainingRefusal::NoFrAccess
                .to_string()
                .contains("must have attended the training after January 1, 2017")
        );
    }

    #[test]
    fn kinds_parse_and_summary_shows_the_newest() {
        assert_eq!("facial-comparison".parse(), Ok(FacialComparison));
        assert_eq!("FR_SYSTEM".parse(), Ok(FrSystem));
        assert!("other".parse::<TrainingKind>().is_err());
        let r = [
            t(FrSystem, Fbi, d(2018, 1, 1)),
            t(FrSystem, Lacris, d(2024, 1, 10)),
        ];
        assert_eq!(
            summary(&r),
            "FR system: LACRIS 2024-01-10; facial comparison: none"
        );
    }
}
