//! The index's tantivy schema: one field per searchable or sortable part of a case.

use chrono::NaiveDateTime;
use tantivy::schema::{
    DateOptions, DateTimePrecision, FAST, Field, INDEXED, IndexRecordOption, STORED, STRING,
    Schema, TextFieldIndexing, TextOptions,
};

use crate::history::doc::CaseDoc;

/// The fields of a document.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    pub case_id: Field,
    pub case_number: Field,
    pub case_number_key: Field,
    pub agency_id: Field,
    pub agency_name: Field,
    pub requester_name: Field,
    pub reason: Field,
    pub file_number: Field,
    pub status: Field,
    pub created: Field,
    pub submitted: Field,
    pub filed: Field,
    pub history: Field,
    pub notes: Field,
    pub messages: Field,
}

/// Field names used in sorting (fast fields).
pub const FILED: &str = "filed";
pub const CASE_NUMBER_KEY: &str = "case_number_key";

/// The schema. `notes_indexed = false` gives the same fields (same ids) with the examiner notes
/// not searchable: the query parser of agency-scoped users is built on it, so even an explicit
/// `examiner_notes:word` cannot match them.
pub fn schema(notes_indexed: bool) -> (Schema, Fields) {
    schema_with(notes_indexed, true)
}

/// [`schema`], choosing also whether the messages are searchable: the query parser of
/// examiners and supervisors is built with `messages_indexed = false`, so they cannot reach a
/// case's messages through search (blind examination, `domain::message`).
pub fn schema_with(notes_indexed: bool, messages_indexed: bool) -> (Schema, Fields) {
    let mut b = Schema::builder();
    let words = |tokenizer: &str| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tokenizer)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
    };
    let date = DateOptions::from(INDEXED)
        .set_fast()
        .set_precision(DateTimePrecision::Seconds);
    let fields = Fields {
        case_id: b.add_i64_field("case_id", INDEXED | STORED | FAST),
        case_number: b.add_text_field("case_number", words("default").set_stored()),
        case_number_key: b.add_text_field(CASE_NUMBER_KEY, STRING | FAST),
        agency_id: b.add_i64_field("agency_id", INDEXED | FAST),
        agency_name: b.add_text_field("agency", words("default").set_stored()),
        requester_name: b.add_text_field("requester", words("default").set_stored()),
        reason: b.add_text_field("reason", words("en_stem").set_stored()),
        file_number: b.add_text_field("file_number", words("default")),
        status: b.add_text_field("status", STRING | STORED | FAST),
        created: b.add_date_field("created", date.clone()),
        submitted: b.add_date_field("submitted", date.clone()),
        filed: b.add_date_field(FILED, date.set_stored()),
        history: b.add_text_field("history", words("en_stem").set_stored()),
        notes: b.add_text_field(
            "examiner_notes",
            if notes_indexed {
                words("en_stem").set_stored()
            } else {
                TextOptions::default().set_stored()
            },
        ),
        messages: b.add_text_field(
            "messages",
            if messages_indexed {
                words("en_stem").set_stored()
            } else {
                TextOptions::default().set_stored()
            },
        ),
    };
    (b.build(), fields)
}

pub fn to_date(t: NaiveDateTime) -> tantivy::DateTime {
    tantivy::DateTime::from_timestamp_secs(t.and_utc().timestamp())
}

pub fn from_date(d: tantivy::DateTime) -> NaiveDateTime {
    chrono::DateTime::from_timestamp(d.into_timestamp_secs(), 0)
        .map(|t| t.naive_utc())
        .unwrap_or_default()
}

/// Sort key for "case number": submitted cases by number, drafts after them by id.
pub fn case_number_key(d: &CaseDoc) -> String {
    match &d.case_number {
        Some(n) => n.clone(),
        None => format!("~draft-{:012}", d.case_id),
    }
}
