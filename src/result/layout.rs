//! The lead packet's page layout: what a signed result packet shows, in which order, on the
//! shared flow engine ([`crate::platform::pdf::flow`]).
//!
//! Every page carries [`BANNER`] at the top and bottom, the issuer and case number in the
//! header, the packet id and "Page x of y" in the footer. Probe images and booking photos
//! float on the left with their details beside them.

use printpdf::{Op, PdfDocument};

use crate::platform::pdf::PacketError;
use crate::platform::pdf::draw::frame;
use crate::platform::pdf::embed::embed;
use crate::platform::pdf::flow::{
    BODY, BODY_BOLD, BODY_W, DARK_RED, Flow, MARGIN_X, MONO, SMALL, Style, TITLE, frame_ops,
};
use crate::platform::pdf::save::{DocInfo, save};
use crate::platform::pdf::text::{Fonts, printable};
use crate::result::packet::BANNER;
use crate::result::packet::CAVEAT;
use crate::result::packet::CAVEAT_SOURCE;
use crate::result::packet::CandidateInfo;
use crate::result::packet::LeadPacket;
use crate::result::packet::MAX_EMBED_PIXELS;
use crate::result::packet::MAX_PACKET_ID_CHARS;
use crate::result::packet::NO_LEAD_TEXT;
use crate::result::packet::PacketResult;

/// Render `p` as an unsigned PDF (US Letter pages).
///
/// Returns the complete file. Errors: [`PacketError::Invalid`] when the packet breaks a rule
/// (empty case number or packet id, packet id longer than [`MAX_PACKET_ID_CHARS`] or with
/// control characters, no probe, no examiner, a single examiner without
/// `single_examiner_note`), [`PacketError::Image`] when an image does not decode,
/// [`PacketError::Pdf`] when the PDF library fails.
pub fn render(p: &LeadPacket) -> Result<Vec<u8>, PacketError> {
    check(p)?;
    let mut doc = PdfDocument::new(&format!("Lead packet {}", p.packet_id));
    let fonts = Fonts::load();
    let mut flow = Flow::new(&fonts);

    body(&mut flow, &mut doc, p)?;

    let pages = flow.into_pages(|n, total| page_frame(&fonts, p, n, total));
    doc.with_pages(pages);

    save(
        &doc,
        &DocInfo {
            title: format!("Investigative lead packet {}", p.packet_id),
            subject: Some(format!(
                "Face search result for case {} - investigative lead only, not a positive identification",
                p.case_number
            )),
            author: p.issuer.clone(),
            producer: Some("frdesk packet module (printpdf)".into()),
            custom: vec![
                ("FrdeskPacketId".into(), p.packet_id.clone()),
                ("FrdeskCase".into(), p.case_number.clone()),
            ],
        },
    )
}

fn check(p: &LeadPacket) -> Result<(), PacketError> {
    let invalid = |m: &str| Err(PacketError::Invalid(m.to_string()));
    if p.case_number.trim().is_empty() {
        return invalid("the case number is empty");
    }
    if p.packet_id.trim().is_empty() {
        return invalid("the packet id is empty");
    }
    if p.packet_id.chars().count() > MAX_PACKET_ID_CHARS {
        return invalid("the packet id is longer than 64 characters");
    }
    if p.packet_id.chars().any(char::is_control) {
        return invalid("the packet id contains control characters");
    }
    if p.probes.is_empty() {
        return invalid("there is no probe image");
    }
    if matches!(&p.result, PacketResult::PossibleLead(cs) if cs.is_empty()) {
        return invalid("a possible-lead result names no candidate");
    }
    if matches!(p.result, PacketResult::NoSearchableFace) {
        // Nothing was searched, so nobody can have examined anything.
        if !p.examiners.is_empty() {
            return invalid("a no-search result lists an examiner's review");
        }
        return Ok(());
    }
    if p.examiners.is_empty() {
        return invalid("no examiner's review is recorded");
    }
    if p.examiners.len() < 2
        && p.single_examiner_note
            .as_deref()
            .is_none_or(|n| n.trim().is_empty())
    {
        return invalid(
            "only one examiner reviewed the result and no single-examiner note says why policy allowed it",
        );
    }
    Ok(())
}

/// The frame of page `n` of `total`: [`BANNER`], issuer and case in the header, packet id in the
/// footer, and the [`crate::result::packet::MARKING`] above and below.
fn page_frame(fonts: &Fonts, p: &LeadPacket, n: usize, total: usize) -> Vec<Op> {
    let (case, _) = printable(&p.case_number);
    let (packet_id, _) = printable(&p.packet_id);
    let mut ops = frame_ops(
        fonts,
        BANNER,
        &p.issuer,
        &format!("Case {case}"),
        &format!("Packet {packet_id}"),
        n,
        total,
    );
    ops.extend(crate::platform::pdf::flow::marking_ops(
        fonts,
        crate::result::packet::MARKING,
    ));
    ops
}

// ---------------------------------------------------------------------------------------------
// Content

fn body(flow: &mut Flow<'_>, doc: &mut PdfDocument, p: &LeadPacket) -> Result<(), PacketError> {
    let lead = matches!(p.result, PacketResult::PossibleLead(_));
    flow.paragraph(
        if lead {
            "Facial Recognition Search — Investigative Lead Packet"
        } else {
            "Facial Recognition Search — Result Packet: No Lead"
        },
        TITLE,
    );
    flow.paragraph(
        &format!(
            "Packet {} · issued {} by {}",
            p.packet_id, p.issued_at, p.issuer
        ),
        SMALL,
    );
    flow.space(8.0);
    caveat_box(flow, lead);

    flow.heading("Request");
    let lw = 130.0;
    flow.field("Case number", &p.case_number, lw);
    flow.field("Requesting agency", &p.requesting_agency, lw);
    flow.field("Requester", &p.requester, lw);
    flow.field("Case/file number", &p.case_file_number, lw);
    flow.field("Reason for search", &p.search_reason, lw);
    flow.field("Request date", &p.request_date, lw);
    flow.field("Approval date", &p.approval_date, lw);
    flow.field("Search date", &p.search_date, lw);
    flow.field("Result date", &p.result_date, lw);

    flow.heading(if p.probes.len() == 1 {
        "Probe image"
    } else {
        "Probe images"
    });
    for (i, probe) in p.probes.iter().enumerate() {
        let label = if probe.label.trim().is_empty() {
            format!("Probe {}", i + 1)
        } else {
            probe.label.clone()
        };
        let img = embed(doc, &label, &probe.image, MAX_EMBED_PIXELS)?;
        let (_, h) = img.fit(150.0, 170.0);
        flow.ensure(BODY_BOLD.leading + h + 4.0);
        flow.paragraph(&label, BODY_BOLD);
        flow.space(2.0);
        flow.float_image(&img, 150.0, 170.0);
        flow.paragraph("SHA-256 of the file as received:", SMALL);
        flow.paragraph(&probe.sha256, MONO);
        flow.space(4.0);
        flow.paragraph("Quality:", SMALL);
        flow.paragraph(
            if probe.quality.trim().is_empty() {
                "(not recorded)"
            } else {
                &probe.quality
            },
            BODY,
        );
        flow.clear_float();
        flow.space(10.0);
    }
    flow.paragraph(
        "Images are shown as decoded from the files received (scaled for display); the \
         SHA-256 identifies the original file held by the desk.",
        SMALL,
    );

    flow.heading("Result");
    match &p.result {
        PacketResult::PossibleLead(cs) => {
            flow.paragraph(
                if cs.len() == 1 {
                    "POSSIBLE INVESTIGATIVE LEAD"
                } else {
                    "POSSIBLE INVESTIGATIVE LEADS"
                },
                TITLE,
            );
            flow.paragraph(
                "The examiners reported the candidate(s) below as a possible investigative lead. \
                 This is not an identification: a candidate may not be the person in the probe \
                 image.",
                BODY,
            );
            flow.space(6.0);
            for c in cs {
                candidate(flow, doc, c)?;
            }
        }
        PacketResult::NoSearchableFace => {
            flow.paragraph("NO LEAD — NO SEARCH POSSIBLE", TITLE);
            flow.paragraph(NO_LEAD_TEXT, BODY_BOLD);
            flow.space(4.0);
            flow.paragraph(
                "No face could be found in any probe image submitted with this request, so no \
                 search of the gallery was run and there was no candidate list for an examiner \
                 to review. A clearer, more frontal image of the face may be submitted with a \
                 new request.",
                BODY,
            );
        }
        PacketResult::NoLead => {
            flow.paragraph("NO LEAD", TITLE);
            flow.paragraph(NO_LEAD_TEXT, BODY_BOLD);
            flow.space(4.0);
            flow.paragraph(
                "The examiners did not report any candidate from the gallery as an \
                 investigative lead for this request. A gallery holds only the booking photos \
                 enrolled at the time of the search, and image quality, pose, age and \
                 appearance changes can keep a person from being found.",
                BODY,
            );
        }
    }

    flow.heading("Examiner review");
    if p.examiners.is_empty() {
        flow.paragraph(
            "None: there was no candidate list to review (no face was found to search).",
            BODY,
        );
    }
    for (i, e) in p.examiners.iter().enumerate() {
        let title = format!(
            "{}. {} — {}",
            i + 1,
            if e.name.trim().is_empty() {
                "(name not recorded)"
            } else {
                e.name.as_str()
            },
            e.role
        );
        flow.ensure(BODY_BOLD.leading + 2.0 * BODY.leading);
        flow.paragraph(&title, BODY_BOLD);
        flow.field("Disposition", &e.disposition, 90.0);
        if !e.notes.trim().is_empty() {
            flow.field("Notes", &e.notes, 90.0);
        }
        flow.space(6.0);
    }
    if let Some(note) = p
        .single_examiner_note
        .as_deref()
        .filter(|n| !n.trim().is_empty())
    {
        flow.field("Single examiner", note, 90.0);
    }

    flow.heading("Issue and verification");
    let lw = 130.0;
    flow.field("Packet id", &p.packet_id, lw);
    flow.field("Issued at", &p.issued_at, lw);
    flow.field("Issued by", &p.issuer, lw);
    flow.space(4.0);
    flow.paragraph(
        "This packet is digitally signed. A copy whose signature does not verify, or that \
         was changed after signing, must not be relied on; ask the issuing desk for the \
         original.",
        SMALL,
    );
    if flow.replaced {
        flow.space(4.0);
        flow.paragraph(
            "Note: some characters in this packet cannot be printed in the PDF's built-in \
             font and appear as \"?\". The case record at the issuing desk holds the exact text.",
            SMALL,
        );
    }
    flow.clear_float();
    Ok(())
}

fn caveat_box(flow: &mut Flow<'_>, lead: bool) {
    let pad = 10.0;
    let inner = BODY_W - 2.0 * pad;
    let heading = "READ FIRST: AN INVESTIGATIVE LEAD IS NOT AN IDENTIFICATION";
    let mut lines: Vec<(String, Style)> = vec![(heading.to_string(), BODY_BOLD)];
    let mut texts: Vec<(&str, Style)> = Vec::new();
    if !lead {
        texts.push((NO_LEAD_TEXT, BODY_BOLD));
    }
    texts.push((CAVEAT, BODY));
    texts.push((CAVEAT_SOURCE, SMALL));
    for (t, style) in texts {
        let mut words: Vec<String> = t.split_whitespace().map(str::to_string).collect();
        words.reverse();
        while !words.is_empty() {
            let line = flow.take_line(&mut words, style, inner);
            lines.push((line, style));
        }
    }
    let h: f32 = lines.iter().map(|(_, s)| s.leading).sum::<f32>() + 2.0 * pad;
    flow.ensure(h);
    let top = flow.y;
    let mut y = top - pad;
    for (line, style) in &lines {
        let baseline = y - style.size * 0.85;
        flow.text_at(MARGIN_X + pad, baseline, *style, line);
        y -= style.leading;
    }
    flow.ops()
        .extend(frame(MARGIN_X, top - h, BODY_W, h, 1.5, DARK_RED));
    flow.y = top - h - 6.0;
}

fn candidate(
    flow: &mut Flow<'_>,
    doc: &mut PdfDocument,
    c: &CandidateInfo,
) -> Result<(), PacketError> {
    let img = embed(doc, "booking photo", &c.booking_photo, MAX_EMBED_PIXELS)?;
    let (_, h) = img.fit(150.0, 190.0);
    flow.ensure(BODY_BOLD.leading + h + 4.0);
    flow.paragraph(
        &format!("Candidate at rank {} for {}", c.rank, c.probe_label),
        BODY_BOLD,
    );
    flow.space(2.0);
    flow.float_image(&img, 150.0, 190.0);
    let lw = 120.0;
    flow.field("Booking number", &c.booking_number, lw);
    flow.field("Subject id", &c.subject_id, lw);
    flow.field("Rank", &format!("{} in the candidate list", c.rank), lw);
    flow.field("Similarity", &format_similarity(c.similarity), lw);
    flow.field("False-match rate", &format_fmr(c.false_match_rate), lw);
    flow.field("Model", &c.model, lw);
    flow.space(4.0);
    flow.paragraph(
        "Similarity and false-match rate describe the algorithm's comparison only; they are not \
         the probability that the candidate is the person in the probe image.",
        SMALL,
    );
    flow.clear_float();
    flow.space(10.0);
    Ok(())
}

fn format_similarity(s: f32) -> String {
    if s.is_finite() {
        format!("{s:.3} (model score)")
    } else {
        "not available".to_string()
    }
}

/// "1.0e-4 (about 1 in 10,000 …)" for a calibrated false-match rate.
fn format_fmr(r: f64) -> String {
    if !r.is_finite() || !(0.0..=1.0).contains(&r) {
        return "not available".to_string();
    }
    if r == 0.0 {
        return "below the resolution of the calibration (no comparison between different \
                people scored this high)"
            .to_string();
    }
    let one_in = (1.0 / r).round();
    format!(
        "{r:.1e} (calibrated: about 1 in {} comparisons between different people scores this \
         high or higher)",
        group_thousands(one_in as u64)
    )
}

fn group_thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_formatted_for_people() {
        assert_eq!(group_thousands(10000), "10,000");
        assert_eq!(group_thousands(999), "999");
        assert!(format_fmr(1e-4).contains("1 in 10,000"));
        assert_eq!(format_fmr(f64::NAN), "not available");
        assert_eq!(format_similarity(0.61234), "0.612 (model score)");
    }
}
