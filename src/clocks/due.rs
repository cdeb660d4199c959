//! A stage clock as pages show it: the stage, the due time in the service's zone with the
//! zone's abbreviation, and where it stands in words (never colour alone).

use crate::domain::business_time::BusinessCalendar;
use crate::domain::clock::{DueState, StageClock};

/// What a queue row or the case page shows of one open stage.
#[derive(Debug, Clone)]
pub struct DueLabel {
    /// "Compliance review".
    pub stage: &'static str,
    /// The due time, e.g. `2026-11-24 10:00 PST`; empty while paused.
    pub due: String,
    /// CSS modifier: `overdue`, `due-soon`, `on-time`, `paused`.
    pub state: &'static str,
    /// The state in words: "Overdue", "Due soon", "On time", "Clock paused: with the requester".
    pub words: &'static str,
    /// The target, e.g. "1 business day".
    pub target: String,
    /// Sort key (overdue first, then earliest due).
    pub urgency: (DueState, chrono::NaiveDateTime),
}

impl DueLabel {
    pub fn of(c: &StageClock, cal: &BusinessCalendar) -> DueLabel {
        DueLabel {
            stage: c.span.stage.label(),
            due: c.due.map(|d| cal.format(d)).unwrap_or_default(),
            state: c.state.as_str(),
            words: c.state.label(),
            target: c.target.label(),
            urgency: c.urgency(),
        }
    }

    /// Whether the item is overdue (flagged in words and sorted first).
    pub fn is_overdue(&self) -> bool {
        self.urgency.0 == DueState::Overdue
    }
}

/// The most urgent open stage among `clocks` (none when every stage is done).
pub fn most_urgent(clocks: &[StageClock], cal: &BusinessCalendar) -> Option<DueLabel> {
    clocks
        .iter()
        .filter(|c| c.state != DueState::Done)
        .min_by_key(|c| c.urgency())
        .map(|c| DueLabel::of(c, cal))
}

/// Sort key of an optional label: overdue first, then by due time; rows without a clock last.
pub fn sort_key(d: Option<&DueLabel>) -> (DueState, chrono::NaiveDateTime) {
    d.map_or((DueState::Done, chrono::NaiveDateTime::MAX), |d| d.urgency)
}

/// The stage of an examiners' queue task.
pub fn stage_of(task: crate::examination::claims::QueueTask) -> crate::domain::clock::Stage {
    use crate::domain::clock::Stage;
    use crate::examination::claims::QueueTask;
    match task {
        QueueTask::Assessment => Stage::Search,
        QueueTask::FirstReview => Stage::FirstReview,
        QueueTask::SecondReview => Stage::SecondReview,
        QueueTask::Adjudication => Stage::Adjudication,
    }
}

/// The open clock of one examiners' queue item (its stage, and its probe for reviews).
pub fn for_item(
    clocks: &[StageClock],
    item: &crate::examination::claims::WorkItem,
    cal: &BusinessCalendar,
) -> Option<DueLabel> {
    let stage = stage_of(item.task);
    clocks
        .iter()
        .find(|c| {
            c.span.stage == stage
                && c.state != DueState::Done
                && (item.probe_search_id.is_none()
                    || c.span.probe_search_id == item.probe_search_id)
        })
        .map(|c| DueLabel::of(c, cal))
}
