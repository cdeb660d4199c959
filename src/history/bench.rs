//! `frdesk bench history`: indexing time and query latency over synthetic cases (no database).
//!
//! The cases are made up but shaped like real ones: reasons in the LACRIS formats built from a
//! word list, 40 agencies, 600 requesters, every status, dates over three years, a timeline with
//! decisions and, for concluded cases, examiner notes. The generator is seeded, so runs compare.

use std::time::Instant;

use anyhow::Context;
use chrono::{Duration, NaiveDate, NaiveDateTime};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::json;

use crate::cases::store::CaseScope;
use crate::domain::{AgencyId, CaseStatus};
use crate::history::doc::CaseDoc;
use crate::history::index::HistoryIndex;
use crate::history::query::{HistoryQuery, Sort};

const OFFENSES: &[(&str, &str)] = &[
    ("Robbery", "211 PC"),
    ("Burglary", "459 PC"),
    ("Grand theft", "487 PC"),
    ("Assault with a deadly weapon", "245(a)(1) PC"),
    ("Carjacking", "215 PC"),
    ("Identity theft", "530.5 PC"),
    ("Fraud", "532 PC"),
    ("Vandalism", "594 PC"),
    ("Arson", "451 PC"),
    ("Shoplifting", "459.5 PC"),
    ("Homicide", "187 PC"),
    ("Kidnapping", "207 PC"),
    ("Hit and run", "20001 VC"),
    ("Elder abuse", "368 PC"),
    ("Counterfeiting", "476 PC"),
    ("Stalking", "646.9 PC"),
];
const ROLES: &[&str] = &[
    "suspect",
    "witness",
    "victim identification",
    "person of interest",
    "missing person",
    "unidentified deceased",
];
const PLACES: &[&str] = &[
    "convenience store",
    "parking garage",
    "bank branch",
    "gas station",
    "transit platform",
    "pharmacy",
    "apartment complex",
    "shopping mall",
    "jewelry store",
    "residence",
    "warehouse",
    "motel",
];
const FIRST: &[&str] = &[
    "Dana", "Alex", "Sam", "Lee", "Kim", "Jordan", "Morgan", "Casey", "Riley", "Taylor", "Jamie",
    "Avery", "Quinn", "Rowan", "Harper", "Elliot", "Marisol", "Tomás", "Priya", "Wei", "Amara",
    "Kofi", "Ingrid", "Mateo",
];
const LAST: &[&str] = &[
    "Reyes",
    "Chen",
    "Ortega",
    "Park",
    "Alvarez",
    "Nguyen",
    "Okafor",
    "Schmidt",
    "Haddad",
    "Kowalski",
    "Silva",
    "Johnson",
    "Patel",
    "Garcia",
    "Williams",
    "Tanaka",
    "Murphy",
    "Novak",
    "Rossi",
    "Brooks",
    "Dubois",
    "Yilmaz",
    "Moreau",
    "Lindqvist",
    "Baker",
];
const TOWNS: &[&str] = &[
    "Alhambra",
    "Burbank",
    "Carson",
    "Downey",
    "El Monte",
    "Glendale",
    "Hawthorne",
    "Inglewood",
    "Lakewood",
    "Monrovia",
    "Norwalk",
    "Pasadena",
    "Pomona",
    "Redondo",
    "Santa Clarita",
    "Torrance",
    "Whittier",
    "Azusa",
    "Bellflower",
    "Compton",
];
const COMMENTS: &[&str] = &[
    "Reason and case number verified.",
    "Add the booking number to the reason.",
    "Image source confirmed with the investigating officer.",
    "Live video is not permitted; send a still.",
    "Policy on file; training current.",
    "Probe quality is low; proceed with caution.",
];
const NOTES: &[&str] = &[
    "Compared eyes, nose and hairline; consistent shapes.",
    "Scar above the right eyebrow visible in both images.",
    "Tattoo on the left forearm does not match.",
    "Ear shape differs; excluded.",
    "Probe too blurred to compare the mouth region.",
    "Chin and lips consistent; possible lead only.",
];

fn pick<'a>(rng: &mut StdRng, xs: &'a [&'a str]) -> &'a str {
    xs.choose(rng).copied().unwrap_or("")
}

/// `n` synthetic cases (seeded).
pub fn synthetic_cases(n: usize, seed: u64) -> Vec<CaseDoc> {
    let mut rng = StdRng::seed_from_u64(seed);
    let agencies: Vec<String> = (0..40)
        .map(|i| {
            let town = TOWNS[i % TOWNS.len()];
            if i < TOWNS.len() {
                format!("{town} Police Department")
            } else {
                format!("{town} Sheriff's Station")
            }
        })
        .collect();
    let requesters: Vec<String> = (0..600)
        .map(|_| format!("{} {}", pick(&mut rng, FIRST), pick(&mut rng, LAST)))
        .collect();
    let start = NaiveDate::from_ymd_opt(2024, 1, 1)
        .and_then(|d| d.and_hms_opt(8, 0, 0))
        .unwrap_or_default();
    let statuses = [
        (CaseStatus::Draft, 5),
        (CaseStatus::Submitted, 10),
        (CaseStatus::Returned, 5),
        (CaseStatus::Approved, 5),
        (CaseStatus::Searched, 60),
        (CaseStatus::Rejected, 10),
        (CaseStatus::Withdrawn, 5),
    ];
    let total_weight: u32 = statuses.iter().map(|s| s.1).sum();
    (1..=n)
        .map(|i| {
            let id = i64::try_from(i).unwrap_or(i64::MAX);
            let mut w = rng.gen_range(0..total_weight);
            let status = statuses
                .iter()
                .find(|(_, sw)| {
                    if w < *sw {
                        true
                    } else {
                        w -= sw;
                        false
                    }
                })
                .map(|s| s.0)
                .unwrap_or(CaseStatus::Searched);
            let agency = rng.gen_range(0..agencies.len());
            let created: NaiveDateTime =
                start + Duration::minutes(rng.gen_range(0..3 * 365 * 24 * 60));
            let submitted = (status != CaseStatus::Draft)
                .then(|| created + Duration::minutes(rng.gen_range(5..600)));
            let (offense, code) = OFFENSES[rng.gen_range(0..OFFENSES.len())];
            let file = format!(
                "{:03}-{:05}-{:04}-{:02}",
                rng.gen_range(100..999),
                rng.gen_range(10000..99999),
                rng.gen_range(1000..9999),
                rng.gen_range(10..99)
            );
            let reason = match rng.gen_range(0..3) {
                0 => format!(
                    "{offense} {}, {}, Case# {file}, {code}",
                    pick(&mut rng, ROLES),
                    pick(&mut rng, PLACES)
                ),
                1 => format!(
                    "{} {} housing, BK#{}",
                    pick(&mut rng, FIRST),
                    pick(&mut rng, LAST),
                    rng.gen_range(1_000_000..9_999_999)
                ),
                _ => format!(
                    "{offense} at a {} in {}, Incident #{}",
                    pick(&mut rng, PLACES),
                    pick(&mut rng, TOWNS),
                    rng.gen_range(100..99_999)
                ),
            };
            let mut history = vec!["Draft request created".to_string()];
            if submitted.is_some() {
                history.push("Request submitted".into());
            }
            match status {
                CaseStatus::Returned | CaseStatus::Rejected => {
                    history.push(format!("Request {}", status.as_str()));
                    history.push(pick(&mut rng, COMMENTS).into());
                }
                CaseStatus::Approved | CaseStatus::Searched => {
                    history.push("Approved for search".into());
                    history.push(pick(&mut rng, COMMENTS).into());
                }
                _ => {}
            }
            let concluded = status == CaseStatus::Searched && rng.gen_bool(0.7);
            if concluded {
                history.push("Examination concluded: no lead".into());
            }
            CaseDoc {
                messages: String::new(),
                case_id: id,
                case_number: submitted.map(|s| {
                    use chrono::Datelike;
                    format!("FR-{}-{id:06}", s.year())
                }),
                agency_id: i64::try_from(agency + 10).unwrap_or(0),
                agency_name: agencies[agency].clone(),
                requester_name: requesters[rng.gen_range(0..requesters.len())].clone(),
                search_reason: reason,
                case_file_number: file,
                status: status.as_str().into(),
                created_at: created,
                submitted_at: submitted,
                history: history.join("\n"),
                examiner_notes: if concluded {
                    pick(&mut rng, NOTES).into()
                } else {
                    String::new()
                },
            }
        })
        .collect()
}

/// A mixed workload over `docs`: free text, filters, scopes, orders and pages.
fn queries(docs: &[CaseDoc], n: usize, seed: u64) -> Vec<(HistoryQuery, CaseScope)> {
    let mut rng = StdRng::seed_from_u64(seed);
    let words = [
        "robbery",
        "burglary",
        "theft",
        "assault",
        "fraud",
        "carjacking",
        "suspect",
        "witness",
        "pharmacy",
        "garage",
        "booking",
        "housing",
        "tattoo",
        "verified",
        "Pasadena",
        "Chen",
        "Reyes",
        "\"convenience store\"",
        "missing person",
        "robbery -suspect",
        // Typos and prefixes (issue 16): matched with fuzzy terms / as prefixes.
        "robbrey",
        "burglery",
        "pharmcy",
        "Pasadna",
        "convenence",
        "identif*",
        "carjack*",
        "witnes",
        "Kowalsky",
        "tatoo",
    ];
    let statuses = CaseStatus::ALL;
    (0..n)
        .map(|_| {
            let doc = &docs[rng.gen_range(0..docs.len())];
            let scope = if rng.gen_bool(0.5) {
                CaseScope::Service
            } else {
                CaseScope::Agency(AgencyId(doc.agency_id))
            };
            let mut q = HistoryQuery {
                page: if rng.gen_bool(0.9) { 1 } else { 2 },
                ..Default::default()
            };
            match rng.gen_range(0..10) {
                0..=3 => q.text = pick(&mut rng, &words).into(),
                4 | 5 => {
                    q.text = format!("{} {}", pick(&mut rng, &words), pick(&mut rng, &words));
                    q.status = Some(statuses[rng.gen_range(0..statuses.len())]);
                }
                6 => q.text = doc.case_number.clone().unwrap_or_else(|| "draft".into()),
                7 | 8 => {
                    q.text = pick(&mut rng, &words).into();
                    let from = doc.created_at.date() - Duration::days(rng.gen_range(0..60));
                    q.from = Some(from);
                    q.to = Some(from + Duration::days(rng.gen_range(1..120)));
                    q.sort = Sort::Newest;
                }
                _ => {
                    q.status = Some(statuses[rng.gen_range(0..statuses.len())]);
                    q.sort = if rng.gen_bool(0.5) {
                        Sort::Newest
                    } else {
                        Sort::CaseNumber
                    };
                    if matches!(scope, CaseScope::Service) {
                        q.agency = Some(doc.agency_id);
                    }
                }
            }
            (q, scope)
        })
        .collect()
}

/// Whether `text` holds a word the bench spelled wrong or as a prefix.
fn is_fuzzy(text: &str) -> bool {
    [
        "robbrey",
        "burglery",
        "pharmcy",
        "Pasadna",
        "convenence",
        "identif*",
        "carjack*",
        "witnes",
        "Kowalsky",
        "tatoo",
    ]
    .iter()
    .any(|w| text.split_whitespace().any(|t| t == *w))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Builds a temporary index of `cases` synthetic cases, runs `queries` mixed searches (after
/// 50 warm-up searches) and reports
/// `{"cases", "index_seconds", "p50_ms", "p95_ms", "index_bytes", …}`. Latency covers the whole
/// [`HistoryIndex::search`]: query, count, top 50, stored fields and snippets.
///
/// Errors: the temporary folder cannot be written, or indexing fails.
pub fn run(cases: usize, queries_n: usize) -> anyhow::Result<serde_json::Value> {
    let dir = std::env::temp_dir().join(format!("frdesk-bench-history-{}", uuid::Uuid::new_v4()));
    let result = (|| -> anyhow::Result<serde_json::Value> {
        let docs = synthetic_cases(cases.max(1), 42);
        let index = HistoryIndex::create(&dir)?;
        let t0 = Instant::now();
        let n = index.replace_all(docs.iter().cloned().map(Ok), 0)?;
        let index_seconds = t0.elapsed().as_secs_f64();
        let workload = queries(&docs, queries_n.max(1), 7);
        for (q, scope) in workload.iter().take(50) {
            index.search(q, *scope).context("Warm-up search failed")?;
        }
        let mut lat = Vec::with_capacity(workload.len());
        let mut total_hits = 0usize;
        for (q, scope) in &workload {
            let t = Instant::now();
            let r = index.search(q, *scope)?;
            lat.push(t.elapsed().as_secs_f64() * 1000.0);
            total_hits += r.total;
        }
        lat.sort_by(f64::total_cmp);
        // Typo-tolerant and prefix words alone (the slowest kind of free text).
        let mut fuzzy_lat = Vec::new();
        for (q, scope) in workload.iter().filter(|(q, _)| is_fuzzy(&q.text)) {
            let t = Instant::now();
            index.search(q, *scope)?;
            fuzzy_lat.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        fuzzy_lat.sort_by(f64::total_cmp);
        Ok(json!({
            "fuzzy_queries": fuzzy_lat.len(),
            "fuzzy_p50_ms": percentile(&fuzzy_lat, 0.5),
            "fuzzy_p95_ms": percentile(&fuzzy_lat, 0.95),
            "cases": n,
            "index_seconds": index_seconds,
            "p50_ms": percentile(&lat, 0.5),
            "p95_ms": percentile(&lat, 0.95),
            "p99_ms": percentile(&lat, 0.99),
            "max_ms": lat.last().copied().unwrap_or(0.0),
            "queries": lat.len(),
            "mean_matching_cases": total_hits as f64 / lat.len().max(1) as f64,
            "index_bytes": index.size_bytes(),
        }))
    })();
    let _ = std::fs::remove_dir_all(&dir);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_cases_are_varied_and_reproducible() {
        let a = synthetic_cases(300, 1);
        assert_eq!(a, synthetic_cases(300, 1));
        let statuses: std::collections::BTreeSet<&str> =
            a.iter().map(|d| d.status.as_str()).collect();
        assert!(statuses.len() >= 5, "{statuses:?}");
        assert!(a.iter().any(|d| d.case_number.is_none()));
        assert!(a.iter().any(|d| !d.examiner_notes.is_empty()));
    }

    #[test]
    fn a_small_run_reports_every_figure() {
        let r = run(500, 40).unwrap();
        assert_eq!(r["cases"], 500);
        for k in ["index_seconds", "p50_ms", "p95_ms", "index_bytes"] {
            assert!(r[k].as_f64().unwrap() > 0.0, "{k}: {r}");
        }
        assert!(r["fuzzy_p50_ms"].as_f64().unwrap() >= 0.0, "{r}");
    }
}
