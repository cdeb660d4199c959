//! Writing a laid-out document to bytes: printpdf builds the objects, then the document gets
//! our own Info dictionary (printpdf's carries epoch dates and PDF/X keys), is compressed and
//! saved with lopdf. Every generated PDF (lead packets, audit and transparency reports) is
//! finished here.

use lopdf::{Dictionary, Object, StringFormat};
use printpdf::{PdfDocument, PdfParseErrorSeverity, PdfSaveOptions};

use crate::platform::pdf::error::PacketError;
use crate::platform::pdf::pdfobj::text_string_bytes;

/// The document Info dictionary of a generated PDF. Keys are written in this order: `Title`,
/// `Subject` (when set), `Author`, `Creator` (always "frdesk"), `Producer` (when set),
/// `CreationDate` and `ModDate` (both the time of saving, UTC), then [`DocInfo::custom`].
#[derive(Debug, Clone, Default)]
pub struct DocInfo {
    /// `/Title`.
    pub title: String,
    /// `/Subject`, left out when `None`.
    pub subject: Option<String>,
    /// `/Author`.
    pub author: String,
    /// `/Producer`, left out when `None`.
    pub producer: Option<String>,
    /// Extra keys (names without the slash, e.g. `FrdeskPacketId`) and their text values,
    /// written as hex strings (see [`hex_text`]) so that a reader gets them back byte for byte.
    pub custom: Vec<(String, String)>,
}

/// Converts `doc` to a PDF file with `info` as its Info dictionary; returns the file's bytes.
///
/// Options: optimized, fonts subset, no image recompression. Errors: [`PacketError::Pdf`] when
/// printpdf reports an error-severity problem while building the objects or lopdf fails to
/// write them.
pub fn save(doc: &PdfDocument, info: &DocInfo) -> Result<Vec<u8>, PacketError> {
    let opts = PdfSaveOptions {
        optimize: true,
        subset_fonts: true,
        secure: true,
        image_optimization: None,
    };
    let mut warnings = Vec::new();
    let mut lo = doc.to_lopdf_document(&opts, &mut warnings);
    let errors: Vec<String> = warnings
        .iter()
        .filter(|w| w.severity == PdfParseErrorSeverity::Error)
        .map(|w| w.msg.clone())
        .collect();
    if !errors.is_empty() {
        return Err(PacketError::Pdf(errors.join("; ")));
    }

    let now = chrono::Utc::now()
        .format("D:%Y%m%d%H%M%S+00'00'")
        .to_string();
    let mut entries: Vec<(String, Object)> =
        vec![("Title".into(), lopdf::text_string(&info.title))];
    if let Some(subject) = &info.subject {
        entries.push(("Subject".into(), lopdf::text_string(subject)));
    }
    entries.push(("Author".into(), lopdf::text_string(&info.author)));
    entries.push(("Creator".into(), lopdf::text_string("frdesk")));
    if let Some(producer) = &info.producer {
        entries.push(("Producer".into(), lopdf::text_string(producer)));
    }
    entries.push((
        "CreationDate".into(),
        Object::String(now.clone().into_bytes(), StringFormat::Literal),
    ));
    entries.push((
        "ModDate".into(),
        Object::String(now.into_bytes(), StringFormat::Literal),
    ));
    for (key, value) in &info.custom {
        entries.push((key.clone(), hex_text(value)));
    }
    let info_id = lo.add_object(Object::Dictionary(Dictionary::from_iter(entries)));
    lo.trailer.set("Info", Object::Reference(info_id));
    lo.compress();
    let mut out = Vec::new();
    lo.save_to(&mut out)
        .map_err(|e| PacketError::Pdf(e.to_string()))?;
    Ok(out)
}

/// A PDF text string as a hex string object: PDFDocEncoding for ASCII, UTF-16BE with BOM
/// otherwise.
pub fn hex_text(s: &str) -> Object {
    Object::String(text_string_bytes(s), StringFormat::Hexadecimal)
}
