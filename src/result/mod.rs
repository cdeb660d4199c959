//! The result of a case: when every probe's examination has concluded, a signed PDF lead packet
//! is issued to the requester by email; a changed result is re-issued (never edited) or
//! withdrawn, and earlier packets stop being current.
//!
//! - [`packet`]: what a lead packet holds ([`packet::LeadPacket`]) and its fixed wording.
//! - [`layout`]: the packet's pages (rendered with [`crate::platform::pdf::flow`]).
//! - [`store`]: issued packets as stored ([`store::PacketRecord`]).
//! - [`outcome`]: the outcome rule — when a case's examinations have concluded.
//! - [`context`]: what the worker and the supervisor actions need from the settings.
//! - [`assemble`]: building a packet from the database, rendering and signing it.
//! - [`job`]: the packet job — queued when an examination concludes, run by a worker.
//! - [`reissue`]: re-issuing a corrected packet or withdrawing the result.
//! - [`dissemination`]: the dissemination log (every download and email of a packet).
//! - [`certificates`]: every certificate the desk has signed packets with (kept across rotation).
//! - [`verify`]: checking a packet that comes back (CLI and the public `/verify` page).

pub mod assemble;
pub mod certificates;
pub mod context;
pub mod dissemination;
pub mod job;
pub mod layout;
pub mod outcome;
pub mod packet;
pub mod reissue;
pub mod store;
pub mod verify;
