//! What the index holds and returns: a case's document, a hit, a page of results.

use chrono::{NaiveDate, NaiveDateTime};

/// The folder of the index inside `data_dir`.
pub const INDEX_DIR: &str = "history-index";

/// Results per page of the search page.
pub const PAGE_SIZE: usize = 50;

/// The highest page number served (deeper paging is refused: refine the query instead).
pub const MAX_PAGE: usize = 200;

/// Everything indexed about one case, read from the database by [`source`] (or made up by the
/// benchmark). `history` and `examiner_notes` are free text, one entry a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseDoc {
    pub case_id: i64,
    /// `FR-<year>-<id>`; `None` for a draft.
    pub case_number: Option<String>,
    pub agency_id: i64,
    pub agency_name: String,
    pub requester_name: String,
    pub search_reason: String,
    pub case_file_number: String,
    /// A `CaseStatus` string, e.g. `submitted`.
    pub status: String,
    pub created_at: NaiveDateTime,
    pub submitted_at: Option<NaiveDateTime>,
    /// Timeline summaries and comments, compliance decisions and their comments.
    pub history: String,
    /// Examiner notes; empty unless every examination of the case is concluded (blind review).
    pub examiner_notes: String,
    /// The text of the case's messages (issue 16), one a line; searched by everyone but
    /// examiners and supervisors (blind examination).
    pub messages: String,
}

impl CaseDoc {
    /// The date the search page filters and sorts on: submission, or creation for a draft.
    pub fn filed_at(&self) -> NaiveDateTime {
        self.submitted_at.unwrap_or(self.created_at)
    }
}

/// One piece of a result snippet; `hit` pieces matched the query (shown highlighted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnippetPart {
    pub text: String,
    pub hit: bool,
}

/// One result row.
#[derive(Debug, Clone)]
pub struct HistoryHit {
    pub case_id: i64,
    /// The case number, or `Draft <id>`.
    pub case_number: String,
    pub agency_name: String,
    pub requester_name: String,
    /// A `CaseStatus` string (as indexed; at most about a second behind the database).
    pub status: String,
    /// Submission date-time (UTC), or creation for a draft.
    pub filed_at: NaiveDateTime,
    /// The search reason (filled for the CSV export only; empty on the page, which shows the
    /// snippet).
    pub search_reason: String,
    /// The matching fragment, highlighted (empty in the CSV export).
    pub snippet: Vec<SnippetPart>,
}

impl HistoryHit {
    /// The status badge text.
    pub fn status_label(&self) -> &'static str {
        crate::domain::CaseStatus::parse(&self.status)
            .map(|s| s.label())
            .unwrap_or("Unknown")
    }
    /// `YYYY-MM-DD`.
    pub fn filed_label(&self) -> String {
        self.filed_at.format("%Y-%m-%d").to_string()
    }
}

/// A page of results.
#[derive(Debug, Clone, Default)]
pub struct HistoryResults {
    pub hits: Vec<HistoryHit>,
    /// Matching cases in all pages.
    pub total: usize,
    /// 1-based page number shown.
    pub page: usize,
    /// Parts of the free text that were ignored (lenient parsing), in plain words.
    pub warnings: Vec<String>,
}

impl HistoryResults {
    /// Number of pages (at least 1, at most [`MAX_PAGE`]).
    pub fn pages(&self) -> usize {
        self.total.div_ceil(PAGE_SIZE).clamp(1, MAX_PAGE)
    }

    /// "No cases match.", "1 case matches.", "120 cases match; page 2 of 3."
    pub fn summary(&self) -> String {
        match self.total {
            0 => "No cases match.".into(),
            1 => "1 case matches.".into(),
            n if self.pages() > 1 => {
                format!("{n} cases match; page {} of {}.", self.page, self.pages())
            }
            n => format!("{n} cases match."),
        }
    }
}

/// Start and end (exclusive) of the days `from..=to`, as UTC date-times.
pub fn day_bounds(
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> (Option<NaiveDateTime>, Option<NaiveDateTime>) {
    let start = from.and_then(|d| d.and_hms_opt(0, 0, 0));
    let end = to
        .and_then(|d| d.succ_opt())
        .and_then(|d| d.and_hms_opt(0, 0, 0));
    (start, end)
}
