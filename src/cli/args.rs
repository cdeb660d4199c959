//! Argument parsers shared by the subcommands.

/// A free-text argument (a reason, a name), cleaned like every typed field
/// ([`crate::domain::text::single_line`]) before anything stores it. Never fails.
pub fn text(s: &str) -> Result<String, std::convert::Infallible> {
    Ok(crate::domain::text::single_line(s))
}
