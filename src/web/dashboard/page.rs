//! `GET /dashboard`: "my work" with due times, the cases per status in the person's scope and,
//! for the service's supervisors and system administrators, the queue depth per stage over the
//! last days and the turnaround per stage per month, each as a chart with its table
//! ([`crate::clocks::dashboard`]).

use actix_web::{HttpResponse, web};
use askama::Template;

use crate::clocks::chart::{Chart, Series, fmt};
use crate::clocks::dashboard::{Dashboard, MyItem, Viewer, build};
use crate::clocks::figures::Turnaround;
use crate::domain::clock::Stage;
use crate::web::error::AppError;
use crate::web::layout::Layout;
use crate::web::session::CurrentUser;
use crate::web::state::AppState;

/// The colour of each stage in the charts (Okabe–Ito, told apart without red–green), in
/// [`Stage::ALL`] order.
const COLOURS: [&str; 5] = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00"];

/// One row of the turnaround table.
pub struct TurnaroundRow {
    pub month: String,
    pub stage: &'static str,
    pub count: usize,
    pub median: String,
    pub p90: String,
}

#[derive(Template)]
#[template(path = "dashboard/show.html")]
pub struct DashboardPage {
    pub layout: Layout,
    pub my_work: Vec<MyItem>,
    pub overdue: usize,
    pub counts: Vec<(&'static str, &'static str, i64)>,
    /// The service view: (depth chart, depth table rows (day, counts), turnaround charts,
    /// turnaround table).
    pub service: bool,
    pub depth_chart: Option<Chart>,
    pub depth_rows: Vec<(String, Vec<usize>)>,
    pub turnaround_charts: Vec<Chart>,
    pub turnaround_rows: Vec<TurnaroundRow>,
    pub stages: Vec<&'static str>,
    pub time_zone: String,
    pub targets: Vec<(&'static str, String)>,
}

pub async fn page(user: CurrentUser, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let clocks = crate::clocks::Clocks::of(&state.settings);
    let u = user.clone();
    let scope = user.case_scope();
    let approver_may_examine = state.settings.face.approver_may_examine;
    let now = crate::platform::time::now();
    let d: Dashboard = crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        let v = Viewer {
            user: &u.user,
            roles: &u.roles,
            agency: &u.agency,
            scope,
            approver_may_examine,
        };
        Ok(build(c, &clocks, &v, now)?)
    })
    .await?;
    let stages: Vec<&'static str> = Stage::ALL.iter().map(|s| s.label()).collect();
    let (mut depth_chart, mut depth_rows) = (None, Vec::new());
    let (mut turnaround_charts, mut turnaround_rows) = (Vec::new(), Vec::new());
    let service = d.service.is_some();
    if let Some(s) = &d.service {
        let days: Vec<String> = s
            .depth
            .iter()
            .map(|x| x.day.format("%m-%d").to_string())
            .collect();
        let series: Vec<Series> = Stage::ALL
            .iter()
            .enumerate()
            .map(|(i, st)| {
                (
                    st.label(),
                    COLOURS[i],
                    s.depth.iter().map(|x| Some(x.counts[i] as f64)).collect(),
                )
            })
            .collect();
        depth_chart = Some(Chart::grouped(
            "chart-depth",
            "Items waiting per stage at the end of each day",
            &days,
            &series,
            "items",
        ));
        depth_rows = s
            .depth
            .iter()
            .map(|x| (x.day.to_string(), x.counts.to_vec()))
            .collect();
        let mut months: Vec<String> = s.turnaround.iter().map(|t| t.month.clone()).collect();
        months.dedup();
        let figure = |t: &Turnaround, p90: bool| if p90 { t.p90_hours } else { t.median_hours };
        for (id, title, p90) in [
            (
                "chart-median",
                "Median business hours per stage, by month",
                false,
            ),
            (
                "chart-p90",
                "90th percentile of business hours per stage, by month",
                true,
            ),
        ] {
            let series: Vec<Series> = Stage::ALL
                .iter()
                .enumerate()
                .map(|(i, st)| {
                    (
                        st.label(),
                        COLOURS[i],
                        months
                            .iter()
                            .map(|m| {
                                s.turnaround
                                    .iter()
                                    .find(|t| &t.month == m && t.stage == *st)
                                    .map(|t| figure(t, p90))
                            })
                            .collect(),
                    )
                })
                .collect();
            if !months.is_empty() {
                turnaround_charts.push(Chart::grouped(
                    id,
                    title,
                    &months,
                    &series,
                    "business hours",
                ));
            }
        }
        turnaround_rows = s
            .turnaround
            .iter()
            .map(|t| TurnaroundRow {
                month: t.month.clone(),
                stage: t.stage.label(),
                count: t.count,
                median: fmt(t.median_hours),
                p90: fmt(t.p90_hours),
            })
            .collect();
    }
    let targets = &state.settings.sla.targets;
    crate::web::respond::html(&DashboardPage {
        layout: Layout::new(&user, &state.settings.service.name),
        overdue: d
            .my_work
            .iter()
            .filter(|i| i.due.as_ref().is_some_and(|x| x.is_overdue()))
            .count(),
        my_work: d.my_work,
        counts: d.counts,
        service,
        depth_chart,
        depth_rows,
        turnaround_charts,
        turnaround_rows,
        stages,
        time_zone: state.settings.service.time_zone.clone(),
        targets: Stage::ALL
            .iter()
            .map(|s| (s.label(), targets.of(*s).label()))
            .collect(),
    })
}
