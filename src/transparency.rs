//! The public transparency report (`/transparency`, no login): per month and per agency, how
//! many requests were received, approved, returned and rejected, how many searches ran, how many
//! results were possible leads or no lead, the median days from request to result, and how many
//! requests had wording the compliance rules flag (First-Amendment activity, protected
//! characteristics); per month, requests by authorized purpose. It answers what the public
//! records request in `shared/seeds/002` could not get.
//!
//! No personal data and no case data: only counts. **Small cells are suppressed**: a count of 1
//! to 4 is shown as "<5" (0 is shown). So that a suppressed count cannot be recovered by
//! subtracting the others from the month's total, a month in which exactly one agency's cell of
//! a measure is suppressed also suppresses the smallest other non-zero cell of that measure
//! (complementary suppression); that cell may hold 5 or more, so it is labelled "suppressed",
//! not "<5". A total is itself suppressed when under 5 ("<5"), or "suppressed" when it would
//! give a lone hidden cell away. Medians are shown only over at least 5 results. See
//! docs/TRANSPARENCY.md.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::accounts::store::Agency;
use crate::audit::monthly_report::Month;
use crate::domain::AuthorizedPurpose;
use crate::platform::db::DbConnection;
use crate::platform::db::schema::{cases, decisions, packets, probe_searches, request_versions};
use crate::platform::pdf::flow::{Block, PlainDocument};

/// Smallest count shown as itself (below it, and above 0, "<5").
pub const MIN_CELL: u64 = 5;

/// A published count: the value, a small count (1 to 4, shown "<5"), or a count hidden
/// whatever its size (complementary suppression, shown "suppressed": it may be 5 or more).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Cell {
    Value(u64),
    /// 1 to [`MIN_CELL`] − 1: shown as "<5".
    Small,
    /// Hidden so that a small cell cannot be worked out; its true count may be any size.
    Suppressed,
}

impl Cell {
    /// `n` as published: suppressed from 1 to `MIN_CELL - 1`.
    pub fn of(n: u64) -> Cell {
        if n > 0 && n < MIN_CELL {
            Cell::Small
        } else {
            Cell::Value(n)
        }
    }
    /// Whether the count is hidden (small or complementary).
    pub fn is_hidden(self) -> bool {
        !matches!(self, Cell::Value(_))
    }
}

impl std::fmt::Display for Cell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cell::Value(n) => write!(f, "{n}"),
            Cell::Small => write!(f, "<{MIN_CELL}"),
            Cell::Suppressed => write!(f, "suppressed"),
        }
    }
}

/// The measures, in column order.
pub const MEASURES: [&str; 8] = [
    "Requests received",
    "Approved",
    "Returned for correction",
    "Rejected",
    "Searches run",
    "Results: possible lead",
    "Results: no lead",
    "Requests flagged: First-Amendment or protected-characteristic wording",
];

/// One row: an agency (or the month's total) with a cell per measure and the median.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// Agency name, or "All agencies".
    pub label: String,
    pub cells: Vec<Cell>,
    /// Median days from request to first result, when at least [`MIN_CELL`] results.
    pub median_days: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MonthBlock {
    pub month: String,
    pub rows: Vec<Row>,
    pub total: Row,
    /// Requests received by authorized purpose (label, cell).
    pub purposes: Vec<(String, Cell)>,
}

/// The report for a range of months, newest first.
#[derive(Debug, Clone, Serialize)]
pub struct TransparencyReport {
    pub from: String,
    pub to: String,
    pub months: Vec<MonthBlock>,
}

#[derive(Default, Clone)]
struct Counts {
    m: [u64; 8],
    result_days: Vec<f64>,
}

fn median(v: &mut [f64]) -> Option<f64> {
    if (v.len() as u64) < MIN_CELL {
        return None;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

/// Applies small-cell and complementary suppression to one month's agency rows (raw counts per
/// measure) and returns the published cells and the total row's cells. Also used by the
/// published audit outcomes (`crate::audit::outcomes`), with months as rows.
pub fn suppress<const N: usize>(raw: &[[u64; N]]) -> (Vec<Vec<Cell>>, Vec<Cell>) {
    let mut cells: Vec<Vec<Cell>> = raw
        .iter()
        .map(|r| r.iter().map(|&n| Cell::of(n)).collect())
        .collect();
    let mut totals = Vec::new();
    for k in 0..N {
        let suppressed = suppressed_count(&cells, k);
        if suppressed == 1 {
            // Complementary: hide the smallest other non-zero value as well (whatever its size,
            // so it is labelled "suppressed", not "<5").
            if let Some(i) = (0..raw.len())
                .filter(|&i| !cells[i][k].is_hidden() && raw[i][k] > 0)
                .min_by_key(|&i| raw[i][k])
            {
                cells[i][k] = Cell::Suppressed;
            }
        }
        let total: u64 = raw.iter().map(|r| r[k]).sum();
        let any_deleted = cells.iter().any(|r| r[k].is_hidden());
        // A total is shown only when it cannot give away a lone hidden cell: with complementary
        // suppression at least two are hidden, so the total reveals only their sum.
        totals.push(if any_deleted && suppressed_count(&cells, k) < 2 {
            if total < MIN_CELL {
                Cell::of(total)
            } else {
                Cell::Suppressed
            }
        } else {
            Cell::of(total)
        });
    }
    (cells, totals)
}

fn suppressed_count(cells: &[Vec<Cell>], k: usize) -> usize {
    cells.iter().filter(|r| r[k].is_hidden()).count()
}

/// Whether a search reason carries the First-Amendment or protected-characteristic flag of the
/// compliance rules ([`crate::domain::reason`], NY MPTC §V.B).
fn has_protected_flag(reason: &str) -> bool {
    let a = crate::domain::reason::assess(reason);
    a.has(crate::domain::reason::codes::FIRST_AMENDMENT_ACTIVITY)
        || a.has(crate::domain::reason::codes::PROTECTED_CHARACTERISTIC)
}

fn purpose_of(form_json: &str) -> String {
    serde_json::from_str::<serde_json::Value>(form_json)
        .ok()
        .and_then(|v| v["authorized_purpose"].as_str().map(str::to_string))
        .and_then(|p| AuthorizedPurpose::parse(&p).map(|p| p.label().to_string()))
        .unwrap_or_else(|| "Not stated".into())
}

impl TransparencyReport {
    /// Builds the report for `from..=to` (months). Errors: database errors.
    pub fn build(
        conn: &mut DbConnection,
        from: Month,
        to: Month,
    ) -> QueryResult<TransparencyReport> {
        let (start, end) = (from.start(), to.end());
        let agencies: Vec<Agency> = Agency::all(conn)?
            .into_iter()
            .filter(|a| !a.is_service)
            .collect();
        let mut by: BTreeMap<(Month, i64), Counts> = BTreeMap::new();
        let mut purposes: BTreeMap<(Month, String), u64> = BTreeMap::new();

        // Received (and flagged wording), by submission month; purpose from the first version.
        let received: Vec<(i64, Option<NaiveDateTime>, String, String)> = cases::table
            .inner_join(
                request_versions::table.on(request_versions::case_id
                    .eq(cases::id)
                    .and(request_versions::version.eq(1))),
            )
            .filter(cases::submitted_at.ge(start))
            .filter(cases::submitted_at.lt(end))
            .select((
                cases::agency_id,
                cases::submitted_at,
                cases::search_reason,
                request_versions::form_json,
            ))
            .load(conn)?;
        for (agency, at, reason, form) in received {
            let Some(at) = at else { continue };
            let m = Month::of(at);
            let c = by.entry((m, agency)).or_default();
            c.m[0] += 1;
            if has_protected_flag(&reason) {
                c.m[7] += 1;
            }
            *purposes.entry((m, purpose_of(&form))).or_default() += 1;
        }

        // Decisions, by decision month.
        let decided: Vec<(i64, String, NaiveDateTime)> = decisions::table
            .inner_join(cases::table.on(cases::id.eq(decisions::case_id)))
            .filter(decisions::created_at.ge(start))
            .filter(decisions::created_at.lt(end))
            .select((cases::agency_id, decisions::decision, decisions::created_at))
            .load(conn)?;
        for (agency, decision, at) in decided {
            let k = match decision.as_str() {
                "approved" => 1,
                "returned" => 2,
                "rejected" => 3,
                _ => continue,
            };
            by.entry((Month::of(at), agency)).or_default().m[k] += 1;
        }

        // Searches run, by search month.
        let searched: Vec<(i64, Option<NaiveDateTime>)> = probe_searches::table
            .inner_join(cases::table.on(cases::id.eq(probe_searches::case_id)))
            .filter(probe_searches::status.eq("searched"))
            .filter(probe_searches::searched_at.ge(start))
            .filter(probe_searches::searched_at.lt(end))
            .select((cases::agency_id, probe_searches::searched_at))
            .load(conn)?;
        for (agency, at) in searched {
            if let Some(at) = at {
                by.entry((Month::of(at), agency)).or_default().m[4] += 1;
            }
        }

        // Results: the first packet of each case, by issue month; days from request.
        let results: Vec<(i64, String, NaiveDateTime, Option<NaiveDateTime>)> = packets::table
            .inner_join(cases::table.on(cases::id.eq(packets::case_id)))
            .filter(packets::version.eq(1))
            .filter(packets::issued_at.ge(start))
            .filter(packets::issued_at.lt(end))
            .select((
                cases::agency_id,
                packets::result,
                packets::issued_at,
                cases::submitted_at,
            ))
            .load(conn)?;
        for (agency, result, at, submitted) in results {
            let c = by.entry((Month::of(at), agency)).or_default();
            c.m[if result == "possible_lead" { 5 } else { 6 }] += 1;
            if let Some(s) = submitted {
                c.result_days
                    .push((at - s).num_seconds().max(0) as f64 / 86_400.0);
            }
        }

        let mut months = Vec::new();
        let mut m = to;
        loop {
            let raw: Vec<[u64; 8]> = agencies
                .iter()
                .map(|a| by.get(&(m, a.id)).map(|c| c.m).unwrap_or_default())
                .collect();
            let (cells, totals) = suppress(&raw);
            let mut all_days: Vec<f64> = Vec::new();
            let rows = agencies
                .iter()
                .zip(cells)
                .map(|(a, cells)| {
                    let mut days = by
                        .get(&(m, a.id))
                        .map(|c| c.result_days.clone())
                        .unwrap_or_default();
                    all_days.extend(days.iter().copied());
                    Row {
                        label: format!("{} ({})", a.name, a.ori),
                        cells,
                        median_days: median(&mut days),
                    }
                })
                .collect();
            let total = Row {
                label: "All agencies".into(),
                cells: totals.clone(),
                median_days: median(&mut all_days),
            };
            // Purposes add up to the month's total, so they get complementary suppression too.
            let raw_purposes: Vec<(String, u64)> = purposes
                .iter()
                .filter(|((pm, _), _)| *pm == m)
                .map(|((_, p), n)| (p.clone(), *n))
                .collect();
            let column: Vec<[u64; 8]> = raw_purposes
                .iter()
                .map(|(_, n)| {
                    let mut r = [0u64; 8];
                    r[0] = *n;
                    r
                })
                .collect();
            let (purpose_cells, _) = suppress(&column);
            let month_purposes: Vec<(String, Cell)> = raw_purposes
                .into_iter()
                .zip(purpose_cells)
                .map(|((p, _), c)| (p, c[0]))
                .collect();
            months.push(MonthBlock {
                month: m.to_string(),
                rows,
                total,
                purposes: month_purposes,
            });
            if m <= from {
                break;
            }
            m = m.previous();
        }
        Ok(TransparencyReport {
            from: from.to_string(),
            to: to.to_string(),
            months,
        })
    }

    /// CSV: one row per month and agency (and the month's total), cells as published;
    /// formulas neutralised ([`crate::platform::csv`]).
    pub fn to_csv(&self) -> anyhow::Result<Vec<u8>> {
        let mut w = crate::platform::csv::CsvOut::new();
        let mut header = vec!["month".to_string(), "agency".to_string()];
        header.extend(MEASURES.iter().map(|s| s.to_string()));
        header.push("Median days from request to result".into());
        w.row(&header)?;
        for b in &self.months {
            for r in b.rows.iter().chain(std::iter::once(&b.total)) {
                let mut rec = vec![b.month.clone(), r.label.clone()];
                rec.extend(r.cells.iter().map(|c| c.to_string()));
                rec.push(
                    r.median_days
                        .map(|d| format!("{d:.1}"))
                        .unwrap_or_else(|| "-".into()),
                );
                w.row(&rec)?;
            }
        }
        w.finish()
    }

    /// The report's charts, oldest month first: requests received, decisions, and results.
    pub fn charts(&self) -> Vec<Chart> {
        let series = |k: usize| -> Vec<(String, Cell)> {
            self.months
                .iter()
                .rev()
                .map(|b| (b.month.clone(), b.total.cells[k]))
                .collect()
        };
        vec![
            Chart::grouped(
                "chart-received",
                "Requests received per month (all agencies)",
                &[("Requests received", "#1f4e79", series(0))],
            ),
            Chart::grouped(
                "chart-decisions",
                "Review decisions per month (all agencies)",
                &[
                    ("Approved", "#1b6e2f", series(1)),
                    ("Returned for correction", "#8a5a00", series(2)),
                    ("Rejected", "#a4161a", series(3)),
                ],
            ),
            Chart::grouped(
                "chart-results",
                "Results issued per month (all agencies)",
                &[
                    ("Possible lead", "#0b4f8a", series(5)),
                    ("No lead", "#6b6b6b", series(6)),
                ],
            ),
        ]
    }

    /// The report as a printable document (the packets' page layout), for
    /// [`crate::platform::pdf::flow::render_document`]. Only published cells: nothing suppressed is printed.
    pub fn to_document(&self, service: &str) -> PlainDocument {
        let mut b = vec![
            Block::Title(format!(
                "Facial recognition search requests — transparency report {} to {}",
                self.from, self.to
            )),
            Block::Paragraph(INTRO.into()),
            Block::Small(SUPPRESSION.into()),
        ];
        for m in &self.months {
            b.push(Block::Heading(format!("{} — all agencies", m.month)));
            push_row(&mut b, &m.total);
            for r in &m.rows {
                b.push(Block::Strong(r.label.clone()));
                push_row(&mut b, r);
            }
            b.push(Block::Strong(format!(
                "{} — search reasons by authorized purpose (NY MPTC §IV.B)",
                m.month
            )));
            if m.purposes.is_empty() {
                b.push(Block::Paragraph("No requests were received.".into()));
            }
            for (p, c) in &m.purposes {
                b.push(Block::Field(p.clone(), c.to_string()));
            }
            b.push(Block::Space);
        }
        PlainDocument {
            title: format!("Transparency report {} to {}", self.from, self.to),
            banner: "PUBLIC RECORD — AGGREGATE COUNTS ONLY, NO PERSONAL DATA".into(),
            header_left: service.to_string(),
            header_right: format!("{} to {}", self.from, self.to),
            footer_left: "Facial recognition transparency report".into(),
            author: service.to_string(),
            blocks: b,
        }
    }
}

fn push_row(b: &mut Vec<Block>, r: &Row) {
    for (name, c) in MEASURES.iter().zip(&r.cells) {
        b.push(Block::Field((*name).to_string(), c.to_string()));
    }
    b.push(Block::Field(
        "Median days from request to result".into(),
        r.median_days
            .map(|d| format!("{d:.1}"))
            .unwrap_or_else(|| "fewer than 5 results".into()),
    ));
}

/// What the report counts, for the page and the PDF.
pub const INTRO: &str = "Counts of the facial recognition search requests this service received \
from requesting agencies, the compliance review decisions, the searches run and the results issued. \
A result is an investigative lead only, never a positive identification. Requests are counted in \
the month they were submitted, decisions in the month they were made, searches in the month they \
ran and results in the month the first result packet was issued. Flagged requests are those whose \
search reason mentions First-Amendment activity or a protected characteristic (NY MPTC §V.B); a \
flag sends the request to a reviewer and is not a finding of misuse.";

/// How small counts are protected, for the page and the PDF.
pub const SUPPRESSION: &str = "Counts from 1 to 4 are shown as \"<5\". Where only one count of a \
measure would be hidden in a month, the next smallest is hidden too, so that no hidden count can \
be worked out from the total; that second count may be 5 or more and is shown as \"suppressed\". \
Medians are shown only over 5 or more results. No names, case \
numbers or other personal data are published.";

/// One series of a chart: its name, its colour and its (month, cell) values.
pub type Series<'a> = (&'a str, &'static str, Vec<(String, Cell)>);

/// One bar of a [`Chart`], in SVG user units.
#[derive(Debug, Clone, Serialize)]
pub struct Bar {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
    pub fill: &'static str,
    /// The published value ("12", "<5"), drawn above the bar.
    pub value: String,
    pub value_x: f64,
    pub value_y: f64,
    /// Suppressed cells are drawn as a short hatched stub.
    pub suppressed: bool,
}

/// A month label under a group of bars.
#[derive(Debug, Clone, Serialize)]
pub struct AxisLabel {
    pub x: f64,
    pub text: String,
}

/// A grouped bar chart, laid out here and drawn by `templates/transparency/chart.html` (an
/// inline SVG: askama escapes every text, nothing is built as markup in Rust).
#[derive(Debug, Clone, Serialize)]
pub struct Chart {
    pub id: &'static str,
    pub title: &'static str,
    pub width: f64,
    pub height: f64,
    pub baseline: f64,
    pub left: f64,
    pub right: f64,
    pub label_y: f64,
    pub bars: Vec<Bar>,
    pub labels: Vec<AxisLabel>,
    /// (series name, colour, legend x) for the legend.
    pub legend: Vec<(String, &'static str, f64)>,
    /// The same figures as text, for screen readers: "2026-05: Approved 12, Rejected <5".
    pub summary: String,
}

impl Chart {
    const W: f64 = 720.0;
    const H: f64 = 260.0;
    const PAD: f64 = 36.0;

    /// Lays out one group of bars per month, one bar per series (`(name, colour, cells)`; every
    /// series has the same months in the same order).
    pub fn grouped(id: &'static str, title: &'static str, series: &[Series<'_>]) -> Chart {
        let months: Vec<String> = series
            .first()
            .map(|s| s.2.iter().map(|(m, _)| m.clone()).collect())
            .unwrap_or_default();
        let value = |c: &Cell| match c {
            Cell::Value(v) => *v,
            Cell::Small | Cell::Suppressed => MIN_CELL,
        };
        let max = series
            .iter()
            .flat_map(|s| s.2.iter().map(|(_, c)| value(c)))
            .max()
            .unwrap_or(0)
            .max(MIN_CELL) as f64;
        let (top, baseline) = (Self::PAD, Self::H - Self::PAD);
        let (left, right) = (Self::PAD, Self::W - 8.0);
        let group = (right - left) / months.len().max(1) as f64;
        let bw = group * 0.8 / series.len().max(1) as f64;
        let mut bars = Vec::new();
        let mut labels = Vec::new();
        for (i, month) in months.iter().enumerate() {
            let gx = left + i as f64 * group + group * 0.1;
            labels.push(AxisLabel {
                x: gx + group * 0.4,
                text: month.clone(),
            });
            for (j, (_, fill, cells)) in series.iter().enumerate() {
                let Some((_, c)) = cells.get(i) else { continue };
                let (v, suppressed) = match c {
                    Cell::Value(v) => (*v as f64, false),
                    // A stub of half the smallest published value: present, not measurable.
                    Cell::Small | Cell::Suppressed => (MIN_CELL as f64 / 2.0, true),
                };
                let h = (baseline - top) * v / max;
                let x = gx + j as f64 * bw;
                bars.push(Bar {
                    x,
                    y: baseline - h,
                    w: bw * 0.92,
                    h,
                    fill,
                    value: c.to_string(),
                    value_x: x + bw * 0.46,
                    value_y: baseline - h - 3.0,
                    suppressed,
                });
            }
        }
        let mut lx = left;
        let legend = series
            .iter()
            .map(|(name, fill, _)| {
                let item = (name.to_string(), *fill, lx);
                lx += 24.0 + 7.0 * name.chars().count() as f64;
                item
            })
            .collect();
        let summary = months
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let parts: Vec<String> = series
                    .iter()
                    .filter_map(|(name, _, cells)| cells.get(i).map(|(_, c)| format!("{name} {c}")))
                    .collect();
                format!("{m}: {}", parts.join(", "))
            })
            .collect::<Vec<_>>()
            .join("; ");
        Chart {
            id,
            title,
            width: Self::W,
            height: Self::H,
            baseline,
            left,
            right,
            label_y: baseline + 14.0,
            bars,
            labels,
            legend,
            summary,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_cells_are_hidden_and_cannot_be_recovered_from_the_total() {
        // Measure 0: agencies with 12, 3 and 7 requests.
        let raw = [
            [12, 0, 0, 0, 0, 0, 0, 0],
            [3, 0, 0, 0, 0, 0, 0, 0],
            [7, 0, 0, 0, 0, 0, 0, 0],
        ];
        let (cells, totals) = suppress(&raw);
        assert_eq!(cells[1][0], Cell::Small, "3 is hidden as <5");
        assert_eq!(
            cells[2][0],
            Cell::Suppressed,
            "the smallest other is hidden too"
        );
        assert_eq!(
            cells[2][0].to_string(),
            "suppressed",
            "7 is not labelled <5: its true count is 5 or more"
        );
        assert_eq!(cells[1][0].to_string(), "<5");
        assert_eq!(cells[0][0], Cell::Value(12));
        assert_eq!(
            totals[0],
            Cell::Value(22),
            "the total gives only 3 + 7 together"
        );
        // Zeros are shown; a total under 5 is hidden.
        assert_eq!(cells[0][1], Cell::Value(0));
        let (_, totals) = suppress(&[[2, 0, 0, 0, 0, 0, 0, 0], [0; 8]]);
        assert_eq!(totals[0], Cell::Small);
        // A lone hidden cell with no other non-zero cell to pair with: the total is hidden.
        let (cells, totals) = suppress(&[[3, 0, 0, 0, 0, 0, 0, 0], [0; 8]]);
        assert_eq!(cells[0][0], Cell::Small);
        assert_eq!(totals[0], Cell::Small);
    }

    #[test]
    fn medians_need_five_results() {
        assert_eq!(median(&mut [1.0, 2.0, 3.0, 4.0]), None);
        assert_eq!(median(&mut [5.0, 1.0, 3.0, 2.0, 4.0]), Some(3.0));
    }
}
