//! Verification of a signed packet that comes back (upload, e-mail, court request).
//!
//! The bytes are untrusted: nothing here indexes without a bounds check, recursion is absent,
//! and the only parser of structure is OpenSSL's DER decoder for the CMS blob.

use openssl::pkcs7::{Pkcs7, Pkcs7Flags};
use openssl::stack::Stack;
use openssl::x509::X509;
use openssl::x509::store::X509StoreBuilder;

use crate::platform::pdf::pdfobj::{find_from, parse_uint, rfind, skip_white, string_value};
use crate::platform::pdf::signer::{fingerprint, subject_line};

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// True only if the last signature's `/ByteRange` covers the whole file except its
    /// `/Contents` hex string, the digest of those bytes matches, and the CMS signature
    /// verifies with the certificate embedded in it. It says nothing about *who* signed:
    /// check [`Verification::signer_fingerprint`] (or use [`Verification::is_valid_for`]).
    pub signature_valid: bool,
    /// SHA-256 of the signer certificate embedded in the CMS (64 lowercase hex digits), when
    /// the CMS could be read — also for an invalid signature.
    pub signer_fingerprint: Option<String>,
    /// `/FrdeskPacketId` of the Info dictionary named by the last trailer, when present.
    /// Only trustworthy when the signature is valid and the signer is ours.
    pub packet_id: Option<String>,
    /// `/FrdeskCase` of the same dictionary, when present.
    pub case_number: Option<String>,
    /// One sentence for people: why it is valid or what failed.
    pub detail: String,
}

impl Verification {
    /// Valid *and* signed by the certificate with this SHA-256 fingerprint (hex, case and
    /// colons ignored, e.g. the output of [`crate::platform::pdf::signer::Signer::fingerprint_sha256`]).
    pub fn is_valid_for(&self, expected_fingerprint: &str) -> bool {
        let norm = |s: &str| {
            s.chars()
                .filter(|c| *c != ':')
                .collect::<String>()
                .to_ascii_lowercase()
        };
        self.signature_valid
            && self
                .signer_fingerprint
                .as_deref()
                .is_some_and(|f| !f.is_empty() && norm(f) == norm(expected_fingerprint))
    }
}

/// Check the signature of a packet. Never panics, whatever `pdf` holds.
///
/// Steps: find the last `/ByteRange [a b c d]`; require `a = 0`, `b < c`, `c + d` = file
/// length, the bytes `b..c` to be exactly one hex string `<…>` directly after `/Contents`,
/// and the file to start with `%PDF-`; decode the CMS; verify it over bytes `0..b` and `c..`
/// with the embedded certificate (`NOVERIFY`: the chain is not checked against any trust
/// store; compare the fingerprint instead). Also reads `/FrdeskPacketId` and `/FrdeskCase`.
pub fn verify(pdf: &[u8]) -> Verification {
    let (packet_id, case_number) = info_fields(pdf);
    let mut v = Verification {
        signature_valid: false,
        signer_fingerprint: None,
        packet_id,
        case_number,
        detail: String::new(),
    };
    match check_signature(pdf, &mut v.signer_fingerprint) {
        Ok(subject) => {
            v.signature_valid = true;
            v.detail = format!(
                "Signature is valid: the file is unchanged since it was signed by \"{subject}\"."
            );
        }
        Err(why) => v.detail = format!("Signature is NOT valid: {why}."),
    }
    v
}

/// The subject of the signer on success, a reason on failure.
fn check_signature(pdf: &[u8], fp: &mut Option<String>) -> Result<String, String> {
    if !pdf.starts_with(b"%PDF-") {
        return Err("the file is not a PDF".into());
    }
    let at = rfind(pdf, b"/ByteRange").ok_or("the file has no signature")?;
    let range = byte_range(pdf, at + b"/ByteRange".len()).ok_or("the /ByteRange is malformed")?;
    let len = pdf.len() as u64;
    let [a, b, c, d] = range;
    if a != 0 || b >= c || c.checked_add(d) != Some(len) {
        return Err(
            "the signature does not cover the whole file (content was added or removed after \
             signing)"
                .into(),
        );
    }
    let (b, c) = (
        usize::try_from(b).map_err(|_| "bad range")?,
        usize::try_from(c).map_err(|_| "bad range")?,
    );
    let hexpart = pdf
        .get(b..c)
        .ok_or("the /ByteRange points outside the file")?;
    let inner = hexpart
        .strip_prefix(b"<")
        .and_then(|h| h.strip_suffix(b">"))
        .ok_or("the excluded range is not the signature's hex string")?;
    if inner.is_empty() || inner.len() % 2 != 0 || !inner.iter().all(u8::is_ascii_hexdigit) {
        return Err("the excluded range holds something other than a hex signature".into());
    }
    // The hex string must be the value of /Contents, so nothing else hides in the gap.
    let before = pdf.get(..b).ok_or("bad range")?;
    let trimmed = before
        .iter()
        .rposition(|&x| !crate::platform::pdf::pdfobj::is_white(x))
        .map(|i| &before[..=i])
        .unwrap_or_default();
    if !trimmed.ends_with(b"/Contents") {
        return Err("the excluded range is not the /Contents of the signature".into());
    }
    let der = hex::decode(inner).map_err(|_| "the signature is not valid hex")?;
    let der = der_prefix(&der).ok_or("the signature is not a DER structure")?;
    let p7 = Pkcs7::from_der(der).map_err(|_| "the signature is not a readable PKCS#7/CMS")?;

    let empty = Stack::<X509>::new().map_err(|_| "OpenSSL failed")?;
    let signer = p7
        .signers(&empty, Pkcs7Flags::empty())
        .ok()
        .and_then(|s| s.iter().next().map(|c| c.to_owned()))
        .ok_or("the signature carries no signer certificate")?;
    *fp = Some(fingerprint(&signer));

    let mut signed = Vec::with_capacity(pdf.len().saturating_sub(c - b));
    signed.extend_from_slice(before);
    signed.extend_from_slice(pdf.get(c..).ok_or("bad range")?);
    let store = X509StoreBuilder::new()
        .map_err(|_| "OpenSSL failed")?
        .build();
    p7.verify(
        &empty,
        &store,
        Some(&signed),
        None,
        Pkcs7Flags::BINARY | Pkcs7Flags::NOVERIFY,
    )
    .map_err(
        |_| "the document digest does not match the signature (the file was changed after signing)",
    )?;
    Ok(subject_line(&signer))
}

/// `[a b c d]` after `/ByteRange`.
fn byte_range(pdf: &[u8], i: usize) -> Option<[u64; 4]> {
    let mut i = skip_white(pdf, i);
    if pdf.get(i) != Some(&b'[') {
        return None;
    }
    i += 1;
    let mut out = [0u64; 4];
    for slot in &mut out {
        let (v, j) = parse_uint(pdf, i)?;
        *slot = v;
        i = j;
    }
    (pdf.get(skip_white(pdf, i)) == Some(&b']')).then_some(out)
}

/// The leading DER element of `buf` (the rest is the zero padding of the placeholder).
fn der_prefix(buf: &[u8]) -> Option<&[u8]> {
    if buf.first() != Some(&0x30) {
        return None;
    }
    let first = *buf.get(1)?;
    let (len, header) = if first < 0x80 {
        (usize::from(first), 2usize)
    } else {
        let n = usize::from(first & 0x7F);
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for k in 0..n {
            len = (len << 8) | usize::from(*buf.get(2 + k)?);
        }
        (len, 2 + n)
    };
    buf.get(..header.checked_add(len)?)
}

/// `/FrdeskPacketId` and `/FrdeskCase` from the Info dictionary of the last trailer.
fn info_fields(pdf: &[u8]) -> (Option<String>, Option<String>) {
    let Some(info) = info_dict(pdf) else {
        return (None, None);
    };
    (
        string_value(info, b"FrdeskPacketId"),
        string_value(info, b"FrdeskCase"),
    )
}

fn info_dict(pdf: &[u8]) -> Option<&[u8]> {
    let t = rfind(pdf, b"trailer")?;
    let end = find_from(pdf, b">>", t).map_or(pdf.len(), |e| e + 2);
    let trailer = pdf.get(t..end)?;
    let k = find_from(trailer, b"/Info", 0)?;
    let (num, j) = parse_uint(trailer, k + b"/Info".len())?;
    let (generation, j) = parse_uint(trailer, j)?;
    if trailer.get(skip_white(trailer, j)) != Some(&b'R') {
        return None;
    }
    let header = format!("{num} {generation} obj");
    // The last definition wins (incremental updates); it must start a token.
    let mut search_end = pdf.len();
    loop {
        let at = rfind(pdf.get(..search_end)?, header.as_bytes())?;
        let starts_token = at == 0 || pdf.get(at - 1).is_some_and(|&c| !c.is_ascii_digit());
        if starts_token {
            let body_start = at + header.len();
            let body_end = find_from(pdf, b"endobj", body_start).unwrap_or(pdf.len());
            return pdf.get(body_start..body_end);
        }
        search_end = at;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_inputs_are_invalid_not_panics() {
        let cases: Vec<Vec<u8>> = vec![
            vec![],
            b"%PDF-".to_vec(),
            b"%PDF-1.3 /ByteRange".to_vec(),
            b"%PDF-1.3 /ByteRange [".to_vec(),
            b"%PDF-1.3 /ByteRange [0 1 2 3]".to_vec(),
            b"%PDF-1.3 /ByteRange [0 99999999999999999999 2 3]".to_vec(),
            b"%PDF-1.3 /ByteRange [0 10 12 0] /Contents <>".to_vec(),
            b"%PDF-1.3 /Contents <3082FFFF> /ByteRange [0 19 29 26]            ".to_vec(),
            b"%PDF-1.3 trailer << /Info 1 0 R >> 1 0 obj".to_vec(),
            b"%PDF-1.3 trailer << /Info 1 0".to_vec(),
            b"%PDF-1.3 1 0 obj << /FrdeskPacketId (abc".to_vec(),
            vec![0xFF; 1000],
        ];
        for c in cases {
            let v = verify(&c);
            assert!(!v.signature_valid, "{:?}", String::from_utf8_lossy(&c));
            assert!(!v.detail.is_empty());
        }
    }

    #[test]
    fn der_prefix_reads_lengths() {
        assert_eq!(
            der_prefix(&[0x30, 0x02, 1, 2, 0, 0]),
            Some(&[0x30, 0x02, 1, 2][..])
        );
        assert_eq!(
            der_prefix(&[0x30, 0x81, 0x01, 9, 0]),
            Some(&[0x30, 0x81, 0x01, 9][..])
        );
        assert_eq!(der_prefix(&[0x30, 0x85, 1, 1, 1, 1, 1]), None);
        assert_eq!(der_prefix(&[0x30, 0x05, 1]), None);
        assert_eq!(der_prefix(&[0x31]), None);
    }

    #[test]
    fn info_fields_follow_the_last_trailer() {
        let pdf = b"%PDF-1.3\n3 0 obj\n<</FrdeskPacketId (old)>>\nendobj\n13 0 obj <<>> endobj\n\
                    3 0 obj\n<</FrdeskPacketId <616263> /FrdeskCase (C-1)>>\nendobj\n\
                    trailer\n<</Info 3 0 R>>\n";
        assert_eq!(
            info_fields(pdf),
            (Some("abc".to_string()), Some("C-1".to_string()))
        );
    }

    #[test]
    fn fingerprint_comparison_ignores_case_and_colons() {
        let v = Verification {
            signature_valid: true,
            signer_fingerprint: Some("abcd".into()),
            packet_id: None,
            case_number: None,
            detail: String::new(),
        };
        assert!(v.is_valid_for("AB:CD"));
        assert!(!v.is_valid_for("abce"));
        assert!(
            !Verification {
                signature_valid: false,
                ..v
            }
            .is_valid_for("abcd")
        );
    }
}
