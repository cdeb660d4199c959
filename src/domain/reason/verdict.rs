//! What [`assess`](crate::domain::reason::assessment::assess) returns: the verdict and the
//! findings that explain it.

use crate::domain::reason::codes;
use crate::domain::reason::references::Reference;
use crate::domain::reason::severity::Severity;

/// Outcome of assessing one search reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Has a reference number and a purpose, and raised no reviewer flag.
    Compliant,
    /// Must be fixed by the requester (see the blocking findings).
    NonCompliant,
    /// Formally complete, but a reviewer must look before the search runs.
    NeedsReview,
}

impl Verdict {
    /// Stable machine string: `compliant`, `non_compliant`, `needs_review`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Verdict::Compliant => "compliant",
            Verdict::NonCompliant => "non_compliant",
            Verdict::NeedsReview => "needs_review",
        }
    }

    /// Human label: "Compliant", "Non-compliant", "Needs review".
    pub fn label(&self) -> &'static str {
        match self {
            Verdict::Compliant => "Compliant",
            Verdict::NonCompliant => "Non-compliant",
            Verdict::NeedsReview => "Needs review",
        }
    }
}

/// One explained observation about a reason. `code` is one of [`codes`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    /// Stable machine code, one of [`codes::ALL`].
    pub code: &'static str,
    /// Plain-language explanation for the requester and the reviewer.
    pub message: String,
}

impl Finding {
    /// Severity of this finding's code.
    pub fn severity(&self) -> Severity {
        codes::severity(self.code)
    }
}

/// Result of [`assess`](crate::domain::reason::assessment::assess). `reference` is the first
/// reference number found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ReasonAssessment {
    /// Overall outcome (see the verdict precedence in [`crate::domain::reason`]).
    pub verdict: Verdict,
    /// Every observation about the reason, reviewer flags included.
    pub findings: Vec<Finding>,
    /// The first reference number found, if any.
    pub reference: Option<Reference>,
}

impl ReasonAssessment {
    /// True if a finding with this code is present.
    pub fn has(&self, code: &str) -> bool {
        self.findings.iter().any(|f| f.code == code)
    }
}
