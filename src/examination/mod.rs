//! Examination of candidate lists: who may take which duty on a case (`duties`), the first and
//! blind second review and the supervisor's adjudication (`review`), and where each probe's
//! examination stands (`standing`).

pub mod access;
pub mod duties;
pub mod queue;
pub mod review;
pub mod standing;
