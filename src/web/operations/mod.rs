//! Operations endpoints without a login: readiness for load balancers (`/ready`).

pub mod ready;
