//! States stored as text: each state enum names its values once, and text the code does not
//! know is an error ([`UnknownState`]), never a default.
//!
//! The database keeps states in `TEXT` columns (readable in `psql`/`sqlite3`, the same on both
//! engines). Rows declare such a field as `#[diesel(deserialize_as = String)]` and inserts as
//! `#[diesel(serialize_as = String)]`, so loading a row with an unknown state fails with this
//! error instead of inventing one.

/// Text found where a state was expected, and which kind of state it was.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} state {value:?} in the database")]
pub struct UnknownState {
    /// What kind of state was read, e.g. `case status`.
    pub kind: &'static str,
    /// The text read.
    pub value: String,
}

/// Implements `as_str`, `parse`, `Display`, `TryFrom<String>` and `From<Self> for String` for a
/// state enum from one table of `Variant => "text"` pairs.
#[macro_export]
macro_rules! text_state {
    ($ty:ident, $kind:literal, { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $ty {
            /// Every state, in declaration order.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            /// The text stored in the database.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $text),+
                }
            }

            /// The state stored as `s`.
            ///
            /// Errors: [`UnknownState`](crate::domain::state::UnknownState) for text the code
            /// does not know.
            pub fn parse(s: &str) -> Result<$ty, $crate::domain::state::UnknownState> {
                match s {
                    $($text => Ok($ty::$variant),)+
                    other => Err($crate::domain::state::UnknownState {
                        kind: $kind,
                        value: other.to_string(),
                    }),
                }
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl TryFrom<String> for $ty {
            type Error = $crate::domain::state::UnknownState;
            fn try_from(s: String) -> Result<$ty, Self::Error> {
                $ty::parse(&s)
            }
        }

        impl From<$ty> for String {
            fn from(s: $ty) -> String {
                s.as_str().to_string()
            }
        }
    };
}
