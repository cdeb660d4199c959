//! The lead packet's page layout: what a signed result packet shows, in which order, on the
//! shared flow engine ([`crate::platform::pdf::flow`]).
//!
//! Every page carries [`BANNER`] at the top and bottom, the issuer and case number in the
//! header, the packet id and "Page x of y" in the footer. The probe photo floats on the left of
//! its details; each reported lead shows the probe's and the candidate's faces as aligned crops
//! of equal size side by side (the same 5-point alignment, [`crate::face::align`]) with the
//! whole booking photo beside them, the candidate's face boxed. A sign-off block names who
//! approved the search and who examined, with dates.
//!
//! Images are embedded as JPEG at 150–200 dpi of their printed size
//! ([`crate::platform::pdf::embed`]). Headings and sub-headings are kept with what follows
//! them, and the layout is rebalanced when the last page would hold only a few lines
//! ([`TAIL_MIN`]).

use image::RgbImage;
use printpdf::{Op, PdfDocument, Pt, XObjectTransform};

use crate::face::align::{box_crop, comparison_crop};
use crate::platform::pdf::PacketError;
use crate::platform::pdf::draw::frame;
use crate::platform::pdf::embed::{
    Embedded, Jpeg, TARGET_PPI, decode, print_size, scale_for_print,
};
use crate::platform::pdf::flow::{
    BODY, BODY_BOLD, BODY_BOTTOM, BODY_TOP, BODY_W, DARK_RED, Flow, HEADING, MARGIN_X, MONO, SMALL,
    Style, TITLE, frame_ops,
};
use crate::platform::pdf::save::{DocInfo, save};
use crate::platform::pdf::text::{Fonts, printable};
use crate::result::packet::BANNER;
use crate::result::packet::CAVEAT;
use crate::result::packet::CAVEAT_SOURCE;
use crate::result::packet::CandidateInfo;
use crate::result::packet::FaceRegion;
use crate::result::packet::LeadPacket;
use crate::result::packet::MAX_PACKET_ID_CHARS;
use crate::result::packet::NO_LEAD_TEXT;
use crate::result::packet::PacketResult;

/// Printed side of each comparison crop, in points (2⅓ inches).
pub const CROP_PT: f32 = 150.0;
/// Box the whole probe photo is fitted into (width, height), in points.
const PROBE_BOX: (f32, f32) = (130.0, 160.0);
/// Box the whole booking photo beside the crops is fitted into, in points.
const PHOTO_BOX: (f32, f32) = (150.0, CROP_PT);
/// Gap between the images of a comparison row, in points.
const ROW_GAP: f32 = 12.0;
/// Least body height, in points, the last page must hold (about ten lines of text): a last
/// page with less is "near-empty" and the layout is rebalanced (see [`render`]).
pub const TAIL_MIN: f32 = 140.0;
/// Height a section heading takes (space above, the heading, the rule and space below).
const HEADING_H: f32 = 6.0 + HEADING.leading + 5.0;
/// Colour of the box marking the searched face on a whole photo.
const FACE_BOX: (f32, f32, f32) = (0.85, 0.1, 0.1);

/// Render `p` as an unsigned PDF (US Letter pages).
///
/// Returns the complete file. Errors: [`PacketError::Invalid`] when the packet breaks a rule
/// (empty case number or packet id, packet id longer than [`MAX_PACKET_ID_CHARS`] or with
/// control characters, no probe, no examiner, a single examiner without
/// `single_examiner_note`), [`PacketError::Image`] when an image does not decode,
/// [`PacketError::Pdf`] when the PDF library fails.
///
/// The body is laid out once; when its last page would hold less than [`TAIL_MIN`] points of
/// content, it is laid out again with a page break before a later section (the latest one that
/// gives the last page enough without adding a page), so the packet never ends on a page with
/// a few stray lines.
pub fn render(p: &LeadPacket) -> Result<Vec<u8>, PacketError> {
    check(p)?;
    let fonts = Fonts::load();
    let images = Images::prepare(p)?;

    let mut best = lay_out(&fonts, p, &images, None);
    if best.near_empty_tail() {
        let pages = best.flow.pages.len();
        for at in (1..SECTIONS).rev() {
            let tried = lay_out(&fonts, p, &images, Some(at));
            if tried.flow.pages.len() <= pages && !tried.near_empty_tail() {
                best = tried;
                break;
            }
        }
    }
    let Laid { mut doc, flow } = best;
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

/// One layout of the body: the document holding its images, and the laid-out pages.
struct Laid<'a> {
    doc: PdfDocument,
    flow: Flow<'a>,
}

impl Laid<'_> {
    /// Whether the last of several pages holds less than [`TAIL_MIN`] points of body.
    fn near_empty_tail(&self) -> bool {
        self.flow.pages.len() > 1 && BODY_TOP - self.flow.y < TAIL_MIN
    }
}

/// The body's sections, in order (index 0 starts the first page): title and caveat, request,
/// probe images, result, sign-off, examiner review, issue and verification.
const SECTIONS: usize = 7;

fn lay_out<'a>(
    fonts: &'a Fonts,
    p: &LeadPacket,
    images: &Images,
    break_before: Option<usize>,
) -> Laid<'a> {
    let mut doc = PdfDocument::new(&format!("Lead packet {}", p.packet_id));
    let placed = images.add_to(&mut doc);
    let mut flow = Flow::new(fonts);
    body(&mut flow, p, &placed, fonts, break_before);
    Laid { doc, flow }
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
    if matches!(&p.result, PacketResult::PossibleLead(cs)
        if cs.iter().any(|c| c.probe_index >= p.probes.len()))
    {
        return invalid("a candidate refers to a probe that is not listed");
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
// Images

/// Pixels a side of a comparison crop: [`CROP_PT`] at [`TARGET_PPI`].
fn crop_px() -> u32 {
    (CROP_PT / 72.0 * TARGET_PPI).round() as u32
}

/// A whole photo as printed: the image, its printed size in points and the searched face's
/// box in points from the image's top-left corner.
struct Whole<I> {
    img: I,
    w: f32,
    h: f32,
    face: Option<[f32; 4]>,
}

/// The images of one reported lead.
struct Lead<I> {
    probe_crop: I,
    candidate_crop: I,
    /// Whether each crop is aligned on landmarks (otherwise cut around the face box).
    probe_aligned: bool,
    candidate_aligned: bool,
    photo: Whole<I>,
}

/// Every image of a packet, decoded, cropped, sized and JPEG-encoded once.
struct Images {
    probes: Vec<Whole<Jpeg>>,
    leads: Vec<Lead<Jpeg>>,
}

/// The images of a packet registered with one document.
struct Placed {
    probes: Vec<Whole<Embedded>>,
    leads: Vec<Lead<Embedded>>,
}

impl Images {
    fn prepare(p: &LeadPacket) -> Result<Images, PacketError> {
        let mut decoded = Vec::new();
        let mut probes = Vec::new();
        for (i, probe) in p.probes.iter().enumerate() {
            let label = probe_label(i, &probe.label);
            let img = decode(&label, &probe.image)?;
            probes.push(whole(&label, &img, probe.face.as_ref(), PROBE_BOX)?);
            decoded.push((label, img));
        }
        let mut leads = Vec::new();
        if let PacketResult::PossibleLead(cs) = &p.result {
            for c in cs {
                let (probe_label, probe_img) = decoded.get(c.probe_index).ok_or_else(|| {
                    PacketError::Invalid("a candidate refers to a probe that is not listed".into())
                })?;
                let probe_face = p.probes.get(c.probe_index).and_then(|p| p.face.as_ref());
                let label = format!("booking photo {}", c.booking_number);
                let photo = decode(&label, &c.booking_photo)?;
                let (probe_crop, probe_aligned) = face_crop(probe_img, probe_face);
                let (candidate_crop, candidate_aligned) = face_crop(&photo, c.face.as_ref());
                leads.push(Lead {
                    probe_crop: Jpeg::encode(probe_label, &probe_crop)?,
                    candidate_crop: Jpeg::encode(&label, &candidate_crop)?,
                    probe_aligned,
                    candidate_aligned,
                    photo: whole(&label, &photo, c.face.as_ref(), PHOTO_BOX)?,
                });
            }
        }
        Ok(Images { probes, leads })
    }

    fn add_to(&self, doc: &mut PdfDocument) -> Placed {
        let whole = |w: &Whole<Jpeg>, doc: &mut PdfDocument| Whole {
            img: w.img.add_to(doc),
            w: w.w,
            h: w.h,
            face: w.face,
        };
        Placed {
            probes: self.probes.iter().map(|w| whole(w, doc)).collect(),
            leads: self
                .leads
                .iter()
                .map(|l| Lead {
                    probe_crop: l.probe_crop.add_to(doc),
                    candidate_crop: l.candidate_crop.add_to(doc),
                    probe_aligned: l.probe_aligned,
                    candidate_aligned: l.candidate_aligned,
                    photo: whole(&l.photo, doc),
                })
                .collect(),
        }
    }
}

/// A whole photo fitted into `(max_w, max_h)` points at no less than 150 dpi, scaled down to
/// about 180 dpi when it has more, with its face box scaled to the printed size.
fn whole(
    label: &str,
    img: &RgbImage,
    face: Option<&FaceRegion>,
    (max_w, max_h): (f32, f32),
) -> Result<Whole<Jpeg>, PacketError> {
    let (w, h) = print_size(img.width(), img.height(), max_w, max_h);
    let s = w / img.width().max(1) as f32;
    Ok(Whole {
        img: Jpeg::encode(label, &scale_for_print(img, w))?,
        w,
        h,
        face: face.map(|f| {
            let [x, y, bw, bh] = f.bbox;
            [x * s, y * s, bw * s, bh * s]
        }),
    })
}

/// The comparison crop of the face in `img`: aligned on its landmarks when they are known,
/// otherwise cut around its box (or the whole photo); whether it is aligned.
fn face_crop(img: &RgbImage, face: Option<&FaceRegion>) -> (RgbImage, bool) {
    let size = crop_px();
    if let Some(crop) = face
        .and_then(|f| f.landmarks.as_ref())
        .and_then(|l| comparison_crop(img, l, size))
    {
        return (crop, true);
    }
    let bbox = face
        .map(|f| f.bbox)
        .unwrap_or([0.0, 0.0, img.width() as f32, img.height() as f32]);
    (box_crop(img, bbox, size), false)
}

fn probe_label(i: usize, label: &str) -> String {
    if label.trim().is_empty() {
        format!("Probe {}", i + 1)
    } else {
        label.to_string()
    }
}

// ---------------------------------------------------------------------------------------------
// Drawing helpers

/// Draws `img` `w` × `h` points with its top-left corner at (`x`, `top`), framed.
fn draw_image(flow: &mut Flow<'_>, img: &Embedded, x: f32, top: f32, w: f32, h: f32) {
    flow.ops().push(Op::UseXobject {
        id: img.id.clone(),
        transform: XObjectTransform {
            translate_x: Some(Pt(x)),
            translate_y: Some(Pt(top - h)),
            scale_x: Some(w / img.width.max(1) as f32),
            scale_y: Some(h / img.height.max(1) as f32),
            dpi: Some(72.0),
            ..Default::default()
        },
    });
    flow.ops()
        .extend(frame(x, top - h, w, h, 0.5, (0.3, 0.3, 0.3)));
}

/// Boxes the face on a whole photo drawn with its top-left corner at (`x`, `top`).
fn face_box(flow: &mut Flow<'_>, photo: &Whole<Embedded>, x: f32, top: f32) {
    if let Some([fx, fy, fw, fh]) = photo.face {
        // Clipped to the photo: a box reaching past the edge is drawn at the edge.
        let x0 = fx.clamp(0.0, photo.w);
        let y0 = fy.clamp(0.0, photo.h);
        let x1 = (fx + fw).clamp(0.0, photo.w);
        let y1 = (fy + fh).clamp(0.0, photo.h);
        if x1 > x0 && y1 > y0 {
            flow.ops()
                .extend(frame(x + x0, top - y1, x1 - x0, y1 - y0, 1.2, FACE_BOX));
        }
    }
}

/// `text` wrapped in `style` within `width` points, lines drawn from `top` down at `x`;
/// returns the height used. The cursor does not move.
fn text_block(flow: &mut Flow<'_>, x: f32, top: f32, width: f32, style: Style, text: &str) -> f32 {
    let (text, replaced) = printable(text);
    flow.replaced |= replaced;
    let mut words: Vec<String> = text.split_whitespace().map(str::to_string).collect();
    words.reverse();
    let mut y = top;
    while !words.is_empty() {
        let line = flow.take_line(&mut words, style, width);
        flow.text_at(x, y - style.size * 0.85, style, &line);
        y -= style.leading;
    }
    top - y
}

/// One row of a table: each cell wrapped in its column; the row is kept on one page.
fn table_row(flow: &mut Flow<'_>, cells: &[(&str, Style)], widths: &[f32]) {
    let gap = 8.0;
    let lines = |flow: &Flow<'_>, (text, style): (&str, Style), w: f32| {
        let (text, _) = printable(if text.trim().is_empty() {
            "(not recorded)"
        } else {
            text
        });
        let mut words: Vec<String> = text.split_whitespace().map(str::to_string).collect();
        words.reverse();
        let mut n = 0;
        while !words.is_empty() {
            flow.take_line(&mut words, style, w - gap);
            n += 1;
        }
        n as f32 * style.leading
    };
    let h = cells
        .iter()
        .zip(widths)
        .map(|(c, w)| lines(flow, *c, *w))
        .fold(0.0, f32::max);
    flow.ensure(h);
    let top = flow.y;
    let mut x = MARGIN_X;
    for ((text, style), w) in cells.iter().zip(widths) {
        let text = if text.trim().is_empty() {
            "(not recorded)"
        } else {
            text
        };
        text_block(flow, x, top, w - gap, *style, text);
        x += w;
    }
    flow.y = top - h - 3.0;
}

/// Height of what `draw` lays out on an empty page ([`f32::MAX`] when it needs more than
/// one page).
fn measure(fonts: &Fonts, draw: impl FnOnce(&mut Flow<'_>)) -> f32 {
    let mut m = Flow::new(fonts);
    draw(&mut m);
    m.clear_float();
    if m.pages.len() > 1 {
        f32::MAX
    } else {
        BODY_TOP - m.y
    }
}

/// Starts a new page unless `h` points fit below the cursor; a block taller than a page
/// starts at the top of one.
fn keep(flow: &mut Flow<'_>, h: f32) {
    flow.clear_float();
    flow.ensure(h.min(BODY_TOP - BODY_BOTTOM));
}

/// A section heading kept on one page with the `next` points that follow it.
fn heading_with(flow: &mut Flow<'_>, text: &str, next: f32) {
    keep(
        flow,
        HEADING_H + next.min(BODY_TOP - BODY_BOTTOM - HEADING_H),
    );
    flow.heading(text);
}

// ---------------------------------------------------------------------------------------------
// Content

fn body(
    flow: &mut Flow<'_>,
    p: &LeadPacket,
    img: &Placed,
    fonts: &Fonts,
    break_before: Option<usize>,
) {
    let section = |flow: &mut Flow<'_>, n: usize| {
        if break_before == Some(n) {
            flow.clear_float();
            flow.ensure(BODY_TOP);
        }
    };
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

    section(flow, 1);
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

    section(flow, 2);
    let probe_h = |i: usize| {
        measure(fonts, |m| {
            if let (Some(probe), Some(photo)) = (p.probes.get(i), img.probes.get(i)) {
                probe_block(m, &probe_label(i, &probe.label), probe, photo);
            }
        })
    };
    heading_with(
        flow,
        if p.probes.len() == 1 {
            "Probe image"
        } else {
            "Probe images"
        },
        probe_h(0),
    );
    for (i, (probe, photo)) in p.probes.iter().zip(&img.probes).enumerate() {
        keep(flow, probe_h(i));
        probe_block(flow, &probe_label(i, &probe.label), probe, photo);
    }
    flow.paragraph(
        "Photos are printed scaled (JPEG, at least 150 dpi at the printed size), the searched \
         face boxed in red; the SHA-256 identifies the original file held by the desk.",
        SMALL,
    );

    section(flow, 3);
    match &p.result {
        PacketResult::PossibleLead(cs) => {
            let intro = |m: &mut Flow<'_>| {
                m.paragraph(
                    if cs.len() == 1 {
                        "POSSIBLE INVESTIGATIVE LEAD"
                    } else {
                        "POSSIBLE INVESTIGATIVE LEADS"
                    },
                    TITLE,
                );
                m.paragraph(
                    "The examiners reported the candidate(s) below as a possible investigative \
                     lead. This is not an identification: a candidate may not be the person in \
                     the probe image. For each, the probe's face and the candidate's face are \
                     cut with the same five-point alignment (eyes, nose tip, mouth corners) and \
                     printed at the same size side by side, with the whole booking photo.",
                    BODY,
                );
                m.space(3.0);
                m.paragraph(
                    "Similarity and false-match rate describe the algorithm's comparison only; \
                     they are not the probability that a candidate is the person in the probe \
                     image.",
                    SMALL,
                );
                m.space(8.0);
            };
            let lead_h = |i: usize| {
                measure(fonts, |m| {
                    if let (Some(c), Some(l)) = (cs.get(i), img.leads.get(i)) {
                        lead_block(m, c, p, l);
                    }
                })
            };
            // The heading stays with the intro; each lead is kept whole on one page.
            let first = measure(fonts, intro);
            heading_with(flow, "Result", first);
            intro(flow);
            for (i, (c, l)) in cs.iter().zip(&img.leads).enumerate() {
                keep(flow, lead_h(i));
                lead_block(flow, c, p, l);
            }
        }
        PacketResult::NoSearchableFace => {
            heading_with(flow, "Result", TITLE.leading + 4.0 * BODY.leading);
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
            heading_with(flow, "Result", TITLE.leading + 4.0 * BODY.leading);
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

    section(flow, 4);
    let signoff_h = measure(fonts, |m| signoff(m, p));
    heading_with(flow, "Sign-off", signoff_h);
    signoff(flow, p);

    section(flow, 5);
    let examiner_h = |i: usize| measure(fonts, |m| examiner_entry(m, p, i));
    heading_with(
        flow,
        "Examiner review",
        if p.examiners.is_empty() {
            BODY.leading
        } else {
            examiner_h(0)
        },
    );
    if p.examiners.is_empty() {
        flow.paragraph(
            "None: there was no candidate list to review (no face was found to search).",
            BODY,
        );
    }
    for i in 0..p.examiners.len() {
        keep(flow, examiner_h(i));
        examiner_entry(flow, p, i);
    }
    if let Some(note) = p
        .single_examiner_note
        .as_deref()
        .filter(|n| !n.trim().is_empty())
    {
        flow.field("Single examiner", note, 90.0);
    }

    section(flow, 6);
    let replaced = flow.replaced;
    let issue_h = measure(fonts, |m| issue(m, p, replaced));
    heading_with(flow, "Issue and verification", issue_h);
    // The note on unprintable characters covers this section's own text too.
    let replaced = flow.replaced
        || [&p.packet_id, &p.issued_at, &p.issuer]
            .iter()
            .any(|s| printable(s).1);
    issue(flow, p, replaced);
    flow.clear_float();
}

fn probe_block(
    flow: &mut Flow<'_>,
    label: &str,
    probe: &crate::result::packet::ProbeInfo,
    photo: &Whole<Embedded>,
) {
    flow.paragraph(label, BODY_BOLD);
    flow.space(2.0);
    flow.ensure(photo.h + 4.0);
    let top = flow.y;
    flow.float_image(&photo.img, photo.w, photo.h);
    face_box(flow, photo, MARGIN_X, top);
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

/// One reported lead: the probe's and the candidate's face crops side by side at equal size,
/// the whole booking photo beside them (the candidate's face boxed), then the numbers.
fn lead_block(flow: &mut Flow<'_>, c: &CandidateInfo, p: &LeadPacket, l: &Lead<Embedded>) {
    flow.paragraph(
        &format!("Candidate at rank {} for {}", c.rank, c.probe_label),
        BODY_BOLD,
    );
    flow.space(3.0);
    let top = flow.y;
    let x0 = MARGIN_X;
    let x1 = x0 + CROP_PT + ROW_GAP;
    let x2 = x1 + CROP_PT + ROW_GAP;
    draw_image(flow, &l.probe_crop, x0, top, CROP_PT, CROP_PT);
    draw_image(flow, &l.candidate_crop, x1, top, CROP_PT, CROP_PT);
    draw_image(flow, &l.photo.img, x2, top, l.photo.w, l.photo.h);
    face_box(flow, &l.photo, x2, top);
    let how = |aligned: bool| {
        if aligned {
            "aligned face crop"
        } else {
            "face crop (not aligned: landmarks not recorded)"
        }
    };
    let probe_name = p
        .probes
        .get(c.probe_index)
        .map(|x| x.label.as_str())
        .filter(|s| !s.trim().is_empty())
        .unwrap_or(c.probe_label.as_str());
    let cap = top - CROP_PT - 3.0;
    let h0 = text_block(
        flow,
        x0,
        cap,
        CROP_PT,
        SMALL,
        &format!("{probe_name}: {}", how(l.probe_aligned)),
    );
    let h1 = text_block(
        flow,
        x1,
        cap,
        CROP_PT,
        SMALL,
        &format!("Candidate at rank {}: {}", c.rank, how(l.candidate_aligned)),
    );
    let photo_cap_top = top - l.photo.h - 3.0;
    let h2 = text_block(
        flow,
        x2,
        photo_cap_top,
        (BODY_W - (x2 - MARGIN_X)).max(l.photo.w),
        SMALL,
        &format!(
            "Booking photo {}{}",
            c.booking_number,
            if l.photo.face.is_some() {
                "; the candidate's face is boxed"
            } else {
                ""
            }
        ),
    );
    let bottom = (cap - h0.max(h1)).min(photo_cap_top - h2);
    flow.y = bottom - 6.0;
    let lw = 120.0;
    flow.field("Booking number", &c.booking_number, lw);
    flow.field("Subject id", &c.subject_id, lw);
    flow.field("Rank", &format!("{} in the candidate list", c.rank), lw);
    flow.field("Similarity", &format_similarity(c.similarity), lw);
    flow.field("False-match rate", &format_fmr(c.false_match_rate), lw);
    flow.field("Model", &c.model, lw);
    flow.space(12.0);
}

/// Who approved the search and who examined the candidates, with dates.
fn signoff(flow: &mut Flow<'_>, p: &LeadPacket) {
    let widths = [185.0, 170.0, BODY_W - 355.0];
    table_row(
        flow,
        &[
            ("Role", BODY_BOLD),
            ("Name", BODY_BOLD),
            ("Date", BODY_BOLD),
        ],
        &widths,
    );
    table_row(
        flow,
        &[
            ("Approved the search (reviewer)", BODY),
            (&p.approved_by, BODY),
            (&p.approval_date, BODY),
        ],
        &widths,
    );
    for e in &p.examiners {
        let mut role = e.role.clone();
        if let Some(first) = role.get(..1) {
            role = first.to_uppercase() + &role[1..];
        }
        table_row(
            flow,
            &[(&role, BODY), (&e.name, BODY), (&e.date, BODY)],
            &widths,
        );
    }
    flow.space(6.0);
}

fn examiner_entry(flow: &mut Flow<'_>, p: &LeadPacket, i: usize) {
    let Some(e) = p.examiners.get(i) else {
        return;
    };
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
    flow.paragraph(&title, BODY_BOLD);
    flow.field("Disposition", &e.disposition, 90.0);
    if !e.notes.trim().is_empty() {
        flow.field("Notes", &e.notes, 90.0);
    }
    flow.space(6.0);
}

fn issue(flow: &mut Flow<'_>, p: &LeadPacket, replaced: bool) {
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
    if replaced {
        flow.space(4.0);
        flow.paragraph(
            "Note: some characters in this packet cannot be printed in the PDF's built-in \
             font and appear as \"?\". The case record at the issuing desk holds the exact text.",
            SMALL,
        );
    }
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
