//! Why a PDF could not be rendered, signed, or its signing key loaded.

/// Why a packet could not be rendered, signed or the signing key loaded.
#[derive(thiserror::Error, Debug)]
pub enum PacketError {
    /// The packet content breaks a rule (empty case number, no probe, …).
    #[error("lead packet is incomplete: {0}")]
    Invalid(String),
    /// An image in the packet could not be decoded.
    #[error("image “{label}” could not be decoded: {reason}")]
    Image { label: String, reason: String },
    /// The PDF library failed or reported an error while writing the document.
    #[error("PDF could not be written: {0}")]
    Pdf(String),
    /// `sign` was given something it cannot sign (not a PDF from [`crate::result::layout::render`], already signed…).
    #[error("PDF cannot be signed: {0}")]
    NotSignable(String),
    /// Reading or writing key material failed.
    #[error("{path}: {source}")]
    Io {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Key material exists but is unusable (wrong password, key and certificate differ,
    /// file readable by others, …).
    #[error("signing key: {0}")]
    Key(String),
    /// OpenSSL failed while generating, loading or signing.
    #[error("cryptography failed: {0}")]
    Crypto(#[from] openssl::error::ErrorStack),
}
