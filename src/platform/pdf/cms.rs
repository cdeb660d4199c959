//! Detached CMS (PKCS#7) signatures over arbitrary bytes, with the same key and the same
//! OpenSSL calls as the packets' PDF signatures (`DETACHED | BINARY`, SHA-256, the signer
//! certificate and any chain embedded). Used for a disclosure package's manifest
//! (`manifest.json.p7s`); outside frdesk the same check is
//! `openssl smime -verify -binary -inform DER -noverify -in manifest.json.p7s -content manifest.json`.

use openssl::pkcs7::{Pkcs7, Pkcs7Flags};
use openssl::stack::Stack;
use openssl::x509::X509;
use openssl::x509::store::X509StoreBuilder;

use crate::platform::pdf::error::PacketError;
use crate::platform::pdf::signer::{Signer, fingerprint, subject_line};

/// A detached signature of `data` by `signer`, DER-encoded.
///
/// Errors: [`PacketError::Crypto`] when OpenSSL fails.
pub fn sign_detached(data: &[u8], signer: &Signer) -> Result<Vec<u8>, PacketError> {
    let chain = signer.chain_stack()?;
    let p7 = Pkcs7::sign(
        &signer.cert,
        &signer.key,
        &chain,
        data,
        Pkcs7Flags::DETACHED | Pkcs7Flags::BINARY,
    )?;
    Ok(p7.to_der()?)
}

/// What [`verify_detached`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetachedCheck {
    /// The signature parses and verifies over `data` with the certificate it carries (no trust
    /// store: compare `signer_fingerprint` to know who signed).
    pub valid: bool,
    /// SHA-256 of the embedded signer certificate (64 lowercase hex digits), when readable.
    pub signer_fingerprint: Option<String>,
    /// The signer certificate's subject, when readable.
    pub signer_subject: Option<String>,
    /// One sentence for people.
    pub detail: String,
}

/// Checks a detached signature `der` over `data`. Never panics, whatever the bytes hold.
pub fn verify_detached(data: &[u8], der: &[u8]) -> DetachedCheck {
    let mut out = DetachedCheck {
        valid: false,
        signer_fingerprint: None,
        signer_subject: None,
        detail: String::new(),
    };
    let Ok(p7) = Pkcs7::from_der(der) else {
        out.detail = "the signature is not a readable PKCS#7/CMS structure".into();
        return out;
    };
    let Ok(empty) = Stack::<X509>::new() else {
        out.detail = "OpenSSL failed".into();
        return out;
    };
    let Some(signer) = p7
        .signers(&empty, Pkcs7Flags::empty())
        .ok()
        .and_then(|s| s.iter().next().map(|c| c.to_owned()))
    else {
        out.detail = "the signature carries no signer certificate".into();
        return out;
    };
    out.signer_fingerprint = Some(fingerprint(&signer));
    out.signer_subject = Some(subject_line(&signer));
    let Ok(store) = X509StoreBuilder::new().map(|b| b.build()) else {
        out.detail = "OpenSSL failed".into();
        return out;
    };
    match p7.verify(
        &empty,
        &store,
        Some(data),
        None,
        Pkcs7Flags::BINARY | Pkcs7Flags::NOVERIFY,
    ) {
        Ok(()) => {
            out.valid = true;
            out.detail = format!(
                "the signature is valid: the data is unchanged since it was signed by \"{}\"",
                subject_line(&signer)
            );
        }
        Err(_) => {
            out.detail = "the data does not match the signature (changed after signing)".into();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_detached_signature_verifies_and_one_changed_byte_does_not() {
        let dir = tempfile::tempdir().expect("tempdir");
        let signer = Signer::load_or_generate(dir.path(), None).expect("signer");
        let data = b"{\"files\":[]}".to_vec();
        let sig = sign_detached(&data, &signer).expect("sign");
        let ok = verify_detached(&data, &sig);
        assert!(ok.valid, "{}", ok.detail);
        assert_eq!(
            ok.signer_fingerprint.as_deref(),
            Some(signer.fingerprint_sha256().as_str())
        );
        let mut changed = data.clone();
        changed[2] ^= 1;
        assert!(!verify_detached(&changed, &sig).valid);
        assert!(!verify_detached(&data, b"not der").valid);
    }
}
