//! What an operator runs the desk with (issue 18, "Operations"): readiness for a load balancer
//! (`GET /ready`), and the online backup and its restore (`frdesk backup`, `frdesk restore`).

pub mod backup;
pub mod keys;
pub mod manifest;
pub mod metrics;
pub mod postgres;
pub mod readiness;
pub mod restore;
pub mod storage;
