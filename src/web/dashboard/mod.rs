//! `GET /dashboard`: each person's dashboard (issue 16, "Dashboards").

pub mod page;
