//! How much a finding weighs in the verdict.

/// How much a finding weighs in the verdict (see the "Verdict precedence" section of
/// [`crate::domain::reason`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Informational only.
    Info,
    /// A reviewer must look (verdict at least `needs_review`).
    Review,
    /// The reason is non-compliant until fixed.
    Blocking,
}
