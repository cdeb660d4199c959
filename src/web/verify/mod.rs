//! The public packet check (no login): `/verify`.

pub mod page;
