//! Examination of candidate lists: who may take which duty on a case (`duties`), the first and
//! blind second review and the supervisor's adjudication (`review`), and where each probe's
//! examination stands (`standing`), and each examiner's private unfinished review (`drafts`).

pub mod access;
pub mod claiming;
pub mod claims;
pub mod drafts;
pub mod duties;
pub mod queue;
pub mod review;
pub mod standing;
