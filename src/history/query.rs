//! What a user asks for ([`HistoryQuery`], read from the search form by [`SearchForm::parse`])
//! and the tantivy query built from it ([`build`]). Pure: no I/O.

use std::ops::Bound;

use chrono::NaiveDate;
use serde::Deserialize;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, FuzzyTermQuery, Occur, Query, QueryParser,
    RangeQuery, TermQuery,
};
use tantivy::query_grammar::{Delimiter, UserInputAst, UserInputLeaf};
use tantivy::schema::{Field, IndexRecordOption, Schema};
use tantivy::{Index, Score, Term};

use crate::cases::store::CaseScope;
use crate::domain::CaseStatus;
use crate::history::doc::day_bounds;
use crate::history::schema::Fields;
use crate::history::words::{self, WordMatch};

/// Longest free text accepted, in characters (longer input is cut).
pub const MAX_TEXT: usize = 300;

/// Result order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// Best match first (newest first when there is no free text).
    #[default]
    Relevance,
    Newest,
    Oldest,
    CaseNumber,
}

impl Sort {
    pub const ALL: [Sort; 4] = [
        Sort::Relevance,
        Sort::Newest,
        Sort::Oldest,
        Sort::CaseNumber,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Relevance => "relevance",
            Sort::Newest => "newest",
            Sort::Oldest => "oldest",
            Sort::CaseNumber => "case_number",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Sort::Relevance => "Best match",
            Sort::Newest => "Newest first",
            Sort::Oldest => "Oldest first",
            Sort::CaseNumber => "Case number",
        }
    }
    pub fn parse(s: &str) -> Option<Sort> {
        Sort::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// A validated search.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HistoryQuery {
    /// Free text in tantivy's query syntax (words, `"phrases"`, `-exclusions`, `field:word`);
    /// every word must match (conjunction). Empty = every case.
    pub text: String,
    /// Only this agency (staff filter; a requester's own agency is enforced by the scope).
    pub agency: Option<i64>,
    pub status: Option<CaseStatus>,
    /// First day included (UTC), on the submission date (creation date for drafts).
    pub from: Option<NaiveDate>,
    /// Last day included (UTC).
    pub to: Option<NaiveDate>,
    pub sort: Sort,
    /// 1-based page of [`crate::history::doc::PAGE_SIZE`] results.
    pub page: usize,
}

/// A form field that could not be used, with the message shown beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryProblem {
    /// The input's `name` (`q`, `agency`, `status`, `from`, `to`, `sort`, `page`).
    pub field: &'static str,
    pub message: String,
}

/// The search form as submitted (GET parameters); every field optional.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SearchForm {
    pub q: Option<String>,
    pub agency: Option<String>,
    pub status: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub sort: Option<String>,
    pub page: Option<String>,
}

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl SearchForm {
    /// Whether anything was asked (a blank form shows no results yet).
    pub fn is_empty(&self) -> bool {
        [
            &self.q,
            &self.agency,
            &self.status,
            &self.from,
            &self.to,
            &self.sort,
        ]
        .into_iter()
        .all(|v| given(v).is_none())
    }

    /// Validates the form. Problems name the field; the query is still usable (bad fields are
    /// left out), so a page can show results and the messages together.
    pub fn parse(&self) -> (HistoryQuery, Vec<QueryProblem>) {
        let mut problems = Vec::new();
        let mut problem = |field, message: &str| {
            problems.push(QueryProblem {
                field,
                message: message.to_string(),
            })
        };
        let text: String = given(&self.q)
            .unwrap_or("")
            .chars()
            .filter(|c| !c.is_control())
            .take(MAX_TEXT)
            .collect();
        let agency = given(&self.agency).and_then(|s| match s.parse::<i64>() {
            Ok(v) if v > 0 => Some(v),
            _ => {
                problem("agency", "Choose an agency from the list.");
                None
            }
        });
        let status = given(&self.status).and_then(|s| {
            let st = CaseStatus::parse(s).ok();
            if st.is_none() {
                problem("status", "Choose a status from the list.");
            }
            st
        });
        let mut date = |field, v: &Option<String>| {
            given(v).and_then(|s| match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
                Ok(d) => Some(d),
                Err(_) => {
                    problem(field, "Enter a date as YYYY-MM-DD, e.g. 2026-03-31.");
                    None
                }
            })
        };
        let from = date("from", &self.from);
        let mut to = date("to", &self.to);
        if let (Some(f), Some(t)) = (from, to)
            && t < f
        {
            problem("to", "The end date is before the start date.");
            to = None;
        }
        let sort = given(&self.sort)
            .and_then(|s| {
                let x = Sort::parse(s);
                if x.is_none() {
                    problem("sort", "Choose an order from the list.");
                }
                x
            })
            .unwrap_or_default();
        let page = given(&self.page)
            .and_then(|s| s.parse::<usize>().ok())
            .unwrap_or(1)
            .clamp(1, crate::history::doc::MAX_PAGE);
        (
            HistoryQuery {
                text,
                agency,
                status,
                from,
                to,
                sort,
                page,
            },
            problems,
        )
    }
}

/// The fields a word without `field:` is searched in; `staff` adds the examiner notes,
/// `messages` the case's messages (never for examiners and supervisors: blind examination).
pub(crate) fn default_fields(f: &Fields, staff: bool, messages: bool) -> Vec<Field> {
    let mut v = vec![
        f.case_number,
        f.agency_name,
        f.requester_name,
        f.reason,
        f.file_number,
        f.history,
    ];
    if staff {
        v.push(f.notes);
    }
    if messages {
        v.push(f.messages);
    }
    v
}

/// The ranking weight of a word found in `field` (identifying fields first).
fn field_boost(f: &Fields, field: Field) -> Score {
    if field == f.case_number {
        4.0
    } else if field == f.file_number {
        3.0
    } else if field == f.reason {
        2.0
    } else if field == f.requester_name {
        1.5
    } else {
        1.0
    }
}

/// The query parser: conjunction by default, boosts on the short identifying fields. `staff`
/// parsers also search examiner notes by default; the others get a schema where the notes are
/// not indexed (same field ids), so no query can reach them.
pub(crate) fn parser(
    index: &Index,
    schema: Schema,
    f: &Fields,
    staff: bool,
    messages: bool,
) -> QueryParser {
    let fields = default_fields(f, staff, messages);
    let mut p = QueryParser::new(schema, fields.clone(), index.tokenizers().clone());
    p.set_conjunction_by_default();
    for field in fields {
        let boost = field_boost(f, field);
        if boost != 1.0 {
            p.set_field_boost(field, boost);
        }
    }
    p
}

/// A built query.
pub(crate) struct Built {
    /// Everything: text, scope and filters.
    pub query: Box<dyn Query>,
    /// The free-text part alone (for snippets), if any.
    pub text: Option<Box<dyn Query>>,
    /// The typo-tolerant and prefix parts of the free text, by field: the snippet expands each
    /// against the index's term dictionary to highlight the words it matched.
    pub expansions: Vec<(Field, FuzzyTermQuery)>,
    /// Ignored parts of the free text, in plain words.
    pub warnings: Vec<String>,
}

fn filter(q: Box<dyn Query>) -> (Occur, Box<dyn Query>) {
    // Filters must not change the ranking: constant score 0.
    (Occur::Must, Box::new(ConstScoreQuery::new(q, 0.0)))
}

fn term(t: Term) -> Box<dyn Query> {
    Box::new(TermQuery::new(t, IndexRecordOption::Basic))
}

/// What builds the free-text part: the parser (for everything it already does exactly) and
/// what a word needs to be matched with typos or as a prefix.
struct TextBuilder<'a> {
    index: &'a Index,
    f: &'a Fields,
    parser: &'a QueryParser,
    staff: bool,
    messages: bool,
    expansions: Vec<(Field, FuzzyTermQuery)>,
    warnings: Vec<String>,
}

impl TextBuilder<'_> {
    /// The query of one node of the user's query; `None` when the node is left out (it could
    /// not be used, and a warning says so). `negated`: under a `-`, words stay exact.
    fn node(&mut self, ast: UserInputAst, negated: bool) -> Option<Box<dyn Query>> {
        match ast {
            UserInputAst::Clause(children) => {
                let mut clauses = Vec::new();
                for (occur, child) in children {
                    let occur = occur.unwrap_or(Occur::Must);
                    if let Some(q) = self.node(child, negated || occur == Occur::MustNot) {
                        clauses.push((occur, q));
                    }
                }
                if clauses.is_empty() {
                    return None;
                }
                if clauses.iter().all(|(o, _)| *o == Occur::MustNot) {
                    // Only exclusions: everything else in scope.
                    clauses.push((Occur::Should, Box::new(AllQuery)));
                }
                Some(Box::new(BooleanQuery::new(clauses)))
            }
            UserInputAst::Boost(inner, boost) => {
                let q = self.node(*inner, negated)?;
                Some(Box::new(BoostQuery::new(q, boost.into_inner() as Score)))
            }
            UserInputAst::Leaf(leaf) => self.leaf(*leaf, negated),
        }
    }

    fn leaf(&mut self, leaf: UserInputLeaf, negated: bool) -> Option<Box<dyn Query>> {
        let leaf = match leaf {
            UserInputLeaf::Literal(mut lit) => {
                let word = lit.phrase.trim_end_matches('*').to_string();
                let prefix = lit.prefix || lit.phrase.ends_with('*');
                let rule = words::rule(&word, prefix);
                if rule == WordMatch::Exact {
                    // Identifiers (case, booking and file numbers) never become prefixes.
                    if words::is_identifier(&word) {
                        lit.prefix = false;
                        lit.phrase = word;
                    }
                } else if lit.field_name.is_none()
                    && lit.delimiter == Delimiter::None
                    && lit.slop == 0
                    && !negated
                    && let Some(q) = self.word(&word, rule)
                {
                    return Some(q);
                }
                UserInputLeaf::Literal(lit)
            }
            other => other,
        };
        let (q, errors) = self
            .parser
            .build_query_from_user_input_ast_lenient(UserInputAst::Leaf(Box::new(leaf)));
        if errors.is_empty() {
            Some(q)
        } else {
            for e in errors {
                self.warnings
                    .push(format!("Part of the search text was ignored: {e}."));
            }
            None
        }
    }

    /// One plain word matched in every default field: exactly (full weight) or, in the text
    /// fields, with typos or as a prefix (half weight). `None` when a field's tokenizer splits
    /// the word (then the parser makes it a phrase, exactly).
    fn word(&mut self, word: &str, rule: WordMatch) -> Option<Box<dyn Query>> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for field in default_fields(self.f, self.staff, self.messages) {
            let mut analyzer = self.index.tokenizer_for_field(field).ok()?;
            let mut tokens = Vec::new();
            analyzer
                .token_stream(word)
                .process(&mut |t| tokens.push(t.text.clone()));
            if tokens.len() > 1 {
                return None;
            }
            let Some(token) = tokens.pop() else { continue };
            let boost = field_boost(self.f, field);
            let exact = Term::from_field_text(field, &token);
            clauses.push((
                Occur::Should,
                Box::new(BoostQuery::new(
                    Box::new(TermQuery::new(exact.clone(), IndexRecordOption::WithFreqs)),
                    boost,
                )),
            ));
            if !words::tolerant_field(self.f, field) {
                continue;
            }
            let mut loose = Vec::new();
            match rule {
                WordMatch::Fuzzy(d) => loose.push(FuzzyTermQuery::new(exact, d, true)),
                WordMatch::Prefix => {
                    loose.push(FuzzyTermQuery::new_prefix(exact, 0, true));
                    // A stemmed field holds stems ("robberi"); a typed prefix may be longer
                    // than the stem or shorter than the word, so both forms are tried.
                    let lower = word.to_lowercase();
                    if lower != token {
                        loose.push(FuzzyTermQuery::new_prefix(
                            Term::from_field_text(field, &lower),
                            0,
                            true,
                        ));
                    }
                }
                WordMatch::Exact => {}
            }
            for q in loose {
                self.expansions.push((field, q.clone()));
                clauses.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(q), boost * 0.5)),
                ));
            }
        }
        if clauses.is_empty() {
            return None;
        }
        Some(Box::new(BooleanQuery::new(clauses)))
    }
}

/// Builds the query for `q` in `scope`. The scope filter is always added for an agency scope,
/// whatever the text or the agency filter says. Words of the free text tolerate typos and take
/// a trailing `*` as a prefix ([`words::rule`]); identifiers stay exact.
pub(crate) fn build(
    index: &Index,
    f: &Fields,
    parser: &QueryParser,
    q: &HistoryQuery,
    scope: CaseScope,
    messages: bool,
) -> Built {
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    let mut tb = TextBuilder {
        index,
        f,
        parser,
        staff: matches!(scope, CaseScope::Service),
        messages,
        expansions: Vec::new(),
        warnings: Vec::new(),
    };
    let text = if q.text.trim().is_empty() {
        None
    } else {
        let (ast, errors) = tantivy::query_grammar::parse_query_lenient(&q.text);
        for e in errors {
            tb.warnings.push(format!(
                "Part of the search text was ignored: {} at position {}.",
                e.message, e.pos
            ));
        }
        Some(
            tb.node(ast, false)
                .unwrap_or_else(|| Box::new(tantivy::query::EmptyQuery)),
        )
    };
    let TextBuilder {
        expansions,
        warnings,
        ..
    } = tb;
    match &text {
        Some(t) => clauses.push((Occur::Must, t.box_clone())),
        None => clauses.push((Occur::Must, Box::new(AllQuery))),
    }
    match scope {
        CaseScope::Agency(a) => {
            clauses.push(filter(term(Term::from_field_i64(f.agency_id, a.0))));
        }
        // Service staff find submitted cases only: a never-submitted draft has no `submitted`
        // date, so this range leaves it out.
        CaseScope::Service => {
            let epoch =
                Term::from_field_date(f.submitted, tantivy::DateTime::from_timestamp_secs(0));
            clauses.push(filter(Box::new(RangeQuery::new(
                Bound::Included(epoch),
                Bound::Unbounded,
            ))));
        }
    }
    if let Some(a) = q.agency {
        clauses.push(filter(term(Term::from_field_i64(f.agency_id, a))));
    }
    if let Some(s) = q.status {
        clauses.push(filter(term(Term::from_field_text(f.status, s.as_str()))));
    }
    let (start, end) = day_bounds(q.from, q.to);
    if start.is_some() || end.is_some() {
        let date = |t: chrono::NaiveDateTime| {
            Term::from_field_date(
                f.filed,
                tantivy::DateTime::from_timestamp_secs(t.and_utc().timestamp()),
            )
        };
        let lower = start.map_or(Bound::Unbounded, |t| Bound::Included(date(t)));
        let upper = end.map_or(Bound::Unbounded, |t| Bound::Excluded(date(t)));
        clauses.push(filter(Box::new(RangeQuery::new(lower, upper))));
    }
    Built {
        query: Box::new(BooleanQuery::new(clauses)),
        text,
        expansions,
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> SearchForm {
        let mut f = SearchForm::default();
        for (k, v) in pairs {
            let v = Some(v.to_string());
            match *k {
                "q" => f.q = v,
                "agency" => f.agency = v,
                "status" => f.status = v,
                "from" => f.from = v,
                "to" => f.to = v,
                "sort" => f.sort = v,
                "page" => f.page = v,
                _ => panic!("no field {k}"),
            }
        }
        f
    }

    #[test]
    fn a_good_form_parses() {
        let (q, problems) = form(&[
            ("q", "  robbery  "),
            ("agency", "3"),
            ("status", "approved"),
            ("from", "2026-01-01"),
            ("to", "2026-01-31"),
            ("sort", "newest"),
            ("page", "2"),
        ])
        .parse();
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(q.text, "robbery");
        assert_eq!(q.agency, Some(3));
        assert_eq!(q.status, Some(CaseStatus::Approved));
        assert_eq!(q.sort, Sort::Newest);
        assert_eq!(q.page, 2);
    }

    #[test]
    fn bad_fields_are_named_and_left_out() {
        let (q, problems) = form(&[
            ("agency", "x"),
            ("status", "lost"),
            ("from", "31/01/2026"),
            ("sort", "random"),
            ("page", "-4"),
        ])
        .parse();
        let named: Vec<&str> = problems.iter().map(|p| p.field).collect();
        assert_eq!(named, vec!["agency", "status", "from", "sort"]);
        assert_eq!(q.agency, None);
        assert_eq!(q.status, None);
        assert_eq!(q.from, None);
        assert_eq!(q.sort, Sort::Relevance);
        assert_eq!(q.page, 1);
    }

    #[test]
    fn an_end_before_the_start_is_refused() {
        let (q, problems) = form(&[("from", "2026-02-01"), ("to", "2026-01-01")]).parse();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].field, "to");
        assert_eq!(q.to, None);
        assert_eq!(q.from, NaiveDate::from_ymd_opt(2026, 2, 1));
    }

    #[test]
    fn control_characters_and_overlong_text_are_cleaned() {
        let long = "a".repeat(MAX_TEXT + 50);
        let (q, _) = form(&[("q", &format!("rob\u{0}bery {long}"))]).parse();
        assert!(q.text.starts_with("robbery "));
        assert_eq!(q.text.chars().count(), MAX_TEXT);
    }

    #[test]
    fn a_blank_form_is_empty() {
        assert!(form(&[("q", "  "), ("page", "3")]).is_empty());
        assert!(!form(&[("status", "draft")]).is_empty());
    }

    fn parts() -> (Index, Fields) {
        let (s, f) = crate::history::schema::schema(true);
        (Index::create_in_ram(s), f)
    }

    #[test]
    fn an_agency_scope_is_always_a_required_filter() {
        let (index, f) = parts();
        let p = parser(&index, index.schema(), &f, false, true);
        let q = HistoryQuery {
            text: "robbery OR agency_id:1".into(),
            agency: Some(1),
            ..Default::default()
        };
        let built = build(
            &index,
            &f,
            &p,
            &q,
            CaseScope::Agency(crate::domain::AgencyId(2)),
            true,
        );
        let dbg = format!("{:?}", built.query);
        // The scope's agency 2 is required even though the text and the filter ask for 1.
        let scope_term = format!("{:?}", Term::from_field_i64(f.agency_id, 2));
        assert!(dbg.contains(&scope_term), "{dbg}");
        assert!(dbg.matches("Must").count() >= 3, "{dbg}");
    }

    #[test]
    fn syntax_problems_are_warnings_not_errors() {
        let (index, f) = parts();
        let p = parser(&index, index.schema(), &f, true, true);
        let q = HistoryQuery {
            text: "robbery nosuchfield:x \"unclosed".into(),
            ..Default::default()
        };
        let built = build(&index, &f, &p, &q, CaseScope::Service, true);
        assert!(built.text.is_some());
        assert!(!built.warnings.is_empty());
    }

    #[test]
    fn no_text_matches_everything_in_scope() {
        let (index, f) = parts();
        let p = parser(&index, index.schema(), &f, true, true);
        let built = build(
            &index,
            &f,
            &p,
            &HistoryQuery::default(),
            CaseScope::Service,
            true,
        );
        assert!(built.text.is_none());
        assert!(format!("{:?}", built.query).contains("AllQuery"));
    }
}
