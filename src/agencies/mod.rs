//! agencies: what the service keeps about a member agency beyond its row — its FR policy
//! document, the service's suspension of it, and its acceptance of the terms of use.

pub mod policy;
pub mod suspension;
pub mod terms;
