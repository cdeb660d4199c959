//! Compiling the built-in regular expressions.

use regex::Regex;

/// Compile a built-in pattern (panics on a bad one: a programming error).
pub(super) fn compile(pattern: &str) -> Regex {
    // Patterns are compile-time constants; `all_patterns_compile` tests them.
    Regex::new(pattern).unwrap_or_else(|e| panic!("invalid built-in pattern {pattern:?}: {e}"))
}
