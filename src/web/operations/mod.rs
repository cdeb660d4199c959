//! Operations endpoints without a login: readiness for load balancers (`/ready`), and the
//! Prometheus metrics of the separate metrics address.

pub mod metrics;
pub mod ready;
