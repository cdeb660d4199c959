//! `frdesk bench …`: accuracy and speed of the face engine and the gallery.
//!
//! [`BenchCommand`] and [`run`] ([`command`]) dispatch to one file per benchmark kind
//! ([`accuracy`](mod@accuracy), [`search`], [`load`], [`enroll`], [`probe`]; the case-history
//! benchmark is [`crate::history::bench`]). [`dataset`] reads LFW-style folders and
//! [`measure`] holds the shared timing and memory helpers.

pub mod accuracy;
pub mod command;
pub mod dataset;
pub mod enroll;
pub mod load;
pub mod measure;
pub mod probe;
pub mod search;

pub use accuracy::accuracy;
pub use command::{BenchCommand, run};
pub use dataset::lfw_identities;
pub use enroll::enroll_bench;
pub use load::load_bench;
pub use probe::probe_bench;
pub use search::search_bench;
