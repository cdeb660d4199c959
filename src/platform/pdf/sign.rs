//! Signing: an incremental update with a signature field and a detached CMS signature.

use chrono::{DateTime, Utc};
use lopdf::{Dictionary, Document, Object, ObjectId};
use openssl::pkcs7::{Pkcs7, Pkcs7Flags};

use crate::platform::pdf::error::PacketError;
use crate::platform::pdf::pdfobj::{hex_text_string, write_object};
use crate::platform::pdf::signer::{Signer, subject_line};

/// Room reserved for the DER signature at first try, in bytes (hex takes twice as much).
const FIRST_RESERVE: usize = 8192;
/// Width of each number in the `/ByteRange` placeholder.
const RANGE_DIGITS: usize = 10;

/// Sign `pdf` (a file from [`crate::result::layout::render`]) with `signer`.
///
/// Appends an incremental update: a signature dictionary (`/Filter /Adobe.PPKLite`,
/// `/SubFilter /adbe.pkcs7.detached`, `/M` = `signed_at`, `/Reason` = `reason`, `/Name` =
/// the certificate subject), an invisible, locked widget for it on page 1, the page with the
/// widget in `/Annots`, the catalog with an `/AcroForm` (`/SigFlags 3`), a classic xref
/// section and a trailer with `/Prev`. `/ByteRange` covers the whole file except the
/// `/Contents` hex string, which holds a detached PKCS#7 (SHA-256, signer certificate and
/// any chain embedded) of those bytes. The bytes before the update are unchanged.
///
/// `signed_at` goes into `/M`; the CMS signing-time attribute is OpenSSL's clock.
///
/// Errors: [`PacketError::NotSignable`] when `pdf` cannot be parsed, is encrypted, uses a
/// cross-reference stream or already has a form (we sign a packet once);
/// [`PacketError::Crypto`] when OpenSSL fails.
pub fn sign(
    pdf: &[u8],
    signer: &Signer,
    reason: &str,
    signed_at: DateTime<Utc>,
) -> Result<Vec<u8>, PacketError> {
    let not = |m: String| PacketError::NotSignable(m);
    let doc = Document::load_mem(pdf).map_err(|e| not(format!("not a readable PDF: {e}")))?;
    if doc.is_encrypted() {
        return Err(not("the PDF is encrypted".into()));
    }
    if !matches!(
        doc.reference_table.cross_reference_type,
        lopdf::xref::XrefType::CrossReferenceTable
    ) {
        return Err(not(
            "the PDF uses a cross-reference stream; sign() takes files from render()".into(),
        ));
    }
    let startxref = last_startxref(pdf).ok_or_else(|| not("no startxref".into()))?;
    let root_id = doc
        .trailer
        .get(b"Root")
        .and_then(Object::as_reference)
        .map_err(|_| not("the trailer has no /Root".into()))?;
    let mut catalog = doc
        .get_dictionary(root_id)
        .map_err(|_| not("the catalog is missing".into()))?
        .clone();
    if catalog.has(b"AcroForm") {
        return Err(not(
            "the PDF already has a form (is it signed already?)".into()
        ));
    }
    let (page_id, mut page) = first_page(&doc)?;

    let base = doc.max_id;
    let sig_id: ObjectId = (base + 1, 0);
    let widget_id: ObjectId = (base + 2, 0);

    // Page 1 gets the widget in /Annots (resolving an indirect array).
    let mut annots = match page.get(b"Annots") {
        Ok(Object::Array(a)) => a.clone(),
        Ok(Object::Reference(r)) => doc
            .get_object(*r)
            .and_then(Object::as_array)
            .cloned()
            .map_err(|_| not("page 1 /Annots is unreadable".into()))?,
        Ok(_) => return Err(not("page 1 /Annots is not an array".into())),
        Err(_) => Vec::new(),
    };
    annots.push(Object::Reference(widget_id));
    page.set("Annots", Object::Array(annots));
    catalog.set(
        "AcroForm",
        Object::Dictionary(Dictionary::from_iter(vec![
            ("Fields", Object::Array(vec![Object::Reference(widget_id)])),
            ("SigFlags", Object::Integer(3)),
        ])),
    );

    let mut trailer = Dictionary::new();
    trailer.set("Size", Object::Integer(i64::from(base) + 3));
    trailer.set("Root", Object::Reference(root_id));
    if let Ok(info) = doc.trailer.get(b"Info") {
        trailer.set("Info", info.clone());
    }
    if let Ok(id) = doc.trailer.get(b"ID") {
        trailer.set("ID", id.clone());
    }
    trailer.set(
        "Prev",
        Object::Integer(i64::try_from(startxref).unwrap_or(i64::MAX)),
    );

    let parts = UpdateParts {
        sig_id,
        widget_id,
        page_id,
        page,
        root_id,
        catalog,
        trailer,
        reason: reason.to_string(),
        name: subject_line(&signer.cert),
        when: signed_at.format("D:%Y%m%d%H%M%S+00'00'").to_string(),
    };

    let mut reserve = FIRST_RESERVE;
    loop {
        let (mut out, contents_at) = parts.assemble(pdf, reserve)?;
        let start = contents_at; // the '<'
        let end = start + 2 * reserve + 2; // after the '>'
        let range = [0, start, end, out.len() - end];
        patch_byte_range(&mut out, &range)?;

        let mut signed = Vec::with_capacity(out.len() - (end - start));
        signed.extend_from_slice(&out[..start]);
        signed.extend_from_slice(&out[end..]);
        let chain = signer.chain_stack()?;
        let p7 = Pkcs7::sign(
            &signer.cert,
            &signer.key,
            &chain,
            &signed,
            Pkcs7Flags::DETACHED | Pkcs7Flags::BINARY,
        )?;
        let der = p7.to_der()?;
        if der.len() > reserve {
            // A long certificate chain: make room and lay the update out again.
            reserve = der.len() + 2048;
            continue;
        }
        let hexsig = hex::encode_upper(&der);
        out[start + 1..start + 1 + hexsig.len()].copy_from_slice(hexsig.as_bytes());
        return Ok(out);
    }
}

struct UpdateParts {
    sig_id: ObjectId,
    widget_id: ObjectId,
    page_id: ObjectId,
    page: Dictionary,
    root_id: ObjectId,
    catalog: Dictionary,
    trailer: Dictionary,
    reason: String,
    name: String,
    when: String,
}

impl UpdateParts {
    /// The original file plus the update with a zero-filled `/Contents` of `reserve` bytes and a
    /// placeholder `/ByteRange`; returns the bytes and the offset of the `<` of `/Contents`.
    fn assemble(&self, pdf: &[u8], reserve: usize) -> Result<(Vec<u8>, usize), PacketError> {
        let mut out = Vec::with_capacity(pdf.len() + 2 * reserve + 4096);
        out.extend_from_slice(pdf);
        if !out.ends_with(b"\n") {
            out.push(b'\n');
        }
        let mut xref: Vec<(ObjectId, usize)> = Vec::new();

        // Signature dictionary.
        xref.push((self.sig_id, out.len()));
        out.extend_from_slice(format!("{} {} obj\n", self.sig_id.0, self.sig_id.1).as_bytes());
        out.extend_from_slice(
            b"<</Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached\n/ByteRange ",
        );
        out.extend_from_slice(placeholder_range().as_bytes());
        out.extend_from_slice(b"\n/Contents ");
        let contents_at = out.len();
        out.push(b'<');
        out.resize(out.len() + 2 * reserve, b'0');
        out.push(b'>');
        out.extend_from_slice(
            format!(
                "\n/M {}\n/Reason {}\n/Name {}\n>>\nendobj\n",
                hex_text_string(&self.when),
                hex_text_string(&self.reason),
                hex_text_string(&self.name)
            )
            .as_bytes(),
        );

        // The invisible widget / signature field.
        xref.push((self.widget_id, out.len()));
        out.extend_from_slice(
            format!(
                "{} {} obj\n<</Type /Annot /Subtype /Widget /FT /Sig /T (Lead packet signature) \
                 /V {} {} R /F 132 /Rect [0 0 0 0] /P {} {} R>>\nendobj\n",
                self.widget_id.0,
                self.widget_id.1,
                self.sig_id.0,
                self.sig_id.1,
                self.page_id.0,
                self.page_id.1
            )
            .as_bytes(),
        );

        for (id, dict) in [(self.page_id, &self.page), (self.root_id, &self.catalog)] {
            xref.push((id, out.len()));
            out.extend_from_slice(format!("{} {} obj\n", id.0, id.1).as_bytes());
            write_object(&mut out, &Object::Dictionary(dict.clone()))?;
            out.extend_from_slice(b"\nendobj\n");
        }

        // Classic xref section: one subsection per object, 20-byte entries.
        let xref_at = out.len();
        out.extend_from_slice(b"xref\n");
        xref.sort_by_key(|(id, _)| *id);
        for ((num, generation), offset) in &xref {
            out.extend_from_slice(
                format!("{num} 1\n{offset:010} {generation:05} n\r\n").as_bytes(),
            );
        }
        out.extend_from_slice(b"trailer\n");
        write_object(&mut out, &Object::Dictionary(self.trailer.clone()))?;
        out.extend_from_slice(format!("\nstartxref\n{xref_at}\n%%EOF\n").as_bytes());
        Ok((out, contents_at))
    }
}

fn placeholder_range() -> String {
    let z = "0".repeat(RANGE_DIGITS);
    format!("[0 {z} {z} {z}]")
}

/// Overwrite the placeholder `/ByteRange` (same length) with the real numbers.
fn patch_byte_range(out: &mut [u8], range: &[usize; 4]) -> Result<(), PacketError> {
    let placeholder = placeholder_range();
    let at = crate::platform::pdf::pdfobj::rfind(out, placeholder.as_bytes())
        .ok_or_else(|| PacketError::NotSignable("ByteRange placeholder lost".into()))?;
    let real = format!(
        "[{} {:0w$} {:0w$} {:0w$}]",
        range[0],
        range[1],
        range[2],
        range[3],
        w = RANGE_DIGITS
    );
    if real.len() != placeholder.len() {
        return Err(PacketError::NotSignable(
            "the file is too large for the ByteRange field".into(),
        ));
    }
    out[at..at + real.len()].copy_from_slice(real.as_bytes());
    Ok(())
}

/// Offset named by the last `startxref` in the file.
fn last_startxref(pdf: &[u8]) -> Option<u64> {
    let at = crate::platform::pdf::pdfobj::rfind(pdf, b"startxref")?;
    crate::platform::pdf::pdfobj::parse_uint(pdf, at + b"startxref".len()).map(|(v, _)| v)
}

fn first_page(doc: &Document) -> Result<(ObjectId, Dictionary), PacketError> {
    let id = *doc
        .get_pages()
        .get(&1)
        .ok_or_else(|| PacketError::NotSignable("the PDF has no pages".into()))?;
    let page = doc
        .get_dictionary(id)
        .map_err(|_| PacketError::NotSignable("page 1 is not a dictionary".into()))?
        .clone();
    Ok((id, page))
}
