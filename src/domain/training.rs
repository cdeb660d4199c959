//! Training records. LACRIS FR Policy, "Training": personnel who show FBI-equivalent training
//! must have attended it after January 1, 2017 to keep access.

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

/// Whether a training record is current: completed after the cutoff and not in the future.
pub fn is_current(completed: Option<NaiveDate>, today: NaiveDate) -> bool {
    matches!(completed, Some(d) if d > cutoff() && d <= today)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cutoff_is_exclusive() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        assert!(!is_current(NaiveDate::from_ymd_opt(2017, 1, 1), today));
        assert!(is_current(NaiveDate::from_ymd_opt(2017, 1, 2), today));
        assert!(!is_current(None, today));
        assert!(!is_current(NaiveDate::from_ymd_opt(2027, 1, 1), today));
    }
}
