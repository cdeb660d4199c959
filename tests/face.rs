#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test
//! Face engine and gallery tests on the real models and real photos.
//!
//! Needs `script/models` (models/, models/lib/, models/demo/) and LFW at
//! `FRDESK_LFW_DIR` (default `../shared/faces/lfw` beside the repository).
//! A test that needs them fails with a clear message when they are missing.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use frdesk::face::{EngineOptions, FaceEngine, FaceError, decode_image, decode_image_file};
use frdesk::gallery::enroll::{EnrollItem, FaceChoice, enroll_items};
use frdesk::gallery::{BookingRecord, Gallery, GalleryError};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn models_dir() -> PathBuf {
    repo().join("models")
}

fn engine() -> &'static FaceEngine {
    static ENGINE: OnceLock<FaceEngine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        FaceEngine::from_models_dir(&models_dir(), EngineOptions::batch()).unwrap_or_else(|e| {
            panic!(
                "cannot load the face models from {}: {e}. Run script/models first.",
                models_dir().display()
            )
        })
    })
}

fn lfw() -> PathBuf {
    let dir = std::env::var_os("FRDESK_LFW_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared/faces/lfw"));
    assert!(
        dir.join("George_W_Bush").is_dir(),
        "LFW not found at {} (set FRDESK_LFW_DIR to the deep-funneled lfw/ folder)",
        dir.display()
    );
    dir
}

fn lfw_photo(name: &str, n: usize) -> PathBuf {
    lfw().join(name).join(format!("{name}_{n:04}.jpg"))
}

fn demo(name: &str) -> PathBuf {
    let p = models_dir().join("demo").join(name);
    assert!(p.exists(), "{} missing: run script/models", p.display());
    p
}

fn template_of(path: &Path) -> frdesk::face::Template {
    let img = decode_image_file(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    engine()
        .probe(&img)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .template
}

fn temp_gallery() -> (tempfile::TempDir, Gallery) {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("gallery.sqlite");
    let pool = frdesk::platform::db::connect(&db.display().to_string()).expect("connect");
    let g = Gallery::open(pool, engine()).expect("open gallery");
    (dir, g)
}

/// Who enrolls or removes in these tests (kept in the gallery log).
fn by() -> frdesk::gallery::log::GalleryChange {
    frdesk::gallery::log::GalleryChange::new("tests/face.rs", "test enrollment")
}

/// A few LFW identities with several photos each, plus singletons.
fn lfw_items(names: &[&str], per: usize) -> Vec<EnrollItem> {
    let mut items = Vec::new();
    for name in names {
        for n in 1..=per {
            let path = lfw_photo(name, n);
            if path.exists() {
                items.push(EnrollItem {
                    path,
                    record: BookingRecord {
                        subject_key: (*name).to_string(),
                        name: name.replace('_', " "),
                        booking_number: format!("B-{name}-{n}"),
                        booking_date: Some("2024-05-01".into()),
                        source: "test booking system".into(),
                    },
                });
            }
        }
    }
    items
}

#[test]
fn engine_and_gallery_are_shareable_between_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<FaceEngine>();
    send_sync::<Gallery>();
}

#[test]
fn known_pairs_score_higher_than_non_pairs() {
    // Same person (LFW pairs.txt fold 1 style) vs different people.
    let same = [
        ("Aaron_Peirsol", 1, 2),
        ("George_W_Bush", 1, 2),
        ("Colin_Powell", 1, 3),
    ];
    let diff = [
        ("Aaron_Peirsol", 1, "George_W_Bush", 1),
        ("George_W_Bush", 2, "Colin_Powell", 3),
        ("Colin_Powell", 1, "Aaron_Peirsol", 2),
    ];
    let genuine: Vec<f32> = same
        .iter()
        .map(|(n, a, b)| {
            template_of(&lfw_photo(n, *a))
                .similarity(&template_of(&lfw_photo(n, *b)))
                .expect("same model")
        })
        .collect();
    let impostor: Vec<f32> = diff
        .iter()
        .map(|(n1, a, n2, b)| {
            template_of(&lfw_photo(n1, *a))
                .similarity(&template_of(&lfw_photo(n2, *b)))
                .expect("same model")
        })
        .collect();
    let min_g = genuine.iter().copied().fold(f32::INFINITY, f32::min);
    let max_i = impostor.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    assert!(
        min_g > max_i,
        "genuine {genuine:?} vs impostor {impostor:?}"
    );
    assert!(min_g > 0.3, "genuine scores too low: {genuine:?}");

    // Demo photos: Obama vs Obama beats Obama vs Biden.
    let o1 = template_of(&demo("obama.jpg"));
    let o2 = template_of(&demo("obama2.jpg"));
    let b = template_of(&demo("biden.jpg"));
    let (s_same, s_diff) = (
        o1.similarity(&o2).expect("sim"),
        o1.similarity(&b).expect("sim"),
    );
    assert!(
        s_same > s_diff + 0.2,
        "obama/obama2 {s_same} vs obama/biden {s_diff}"
    );
    assert_eq!(o1.vector.len(), 128);
    let norm: f32 = o1.vector.iter().map(|x| x * x).sum::<f32>().sqrt();
    assert!(
        (norm - 1.0).abs() < 1e-4,
        "template not L2-normalised: {norm}"
    );
    assert_eq!(
        (o1.model_id.as_str(), o1.model_version.as_str()),
        ("sface", "2021dec")
    );
}

#[test]
fn no_face_and_corrupt_photos_give_clear_errors() {
    // A real PNG without a face: flat grey.
    let img = image::RgbImage::from_pixel(320, 240, image::Rgb([128, 128, 128]));
    let mut png = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .expect("encode");
    let decoded = decode_image(&png).expect("decodes");
    assert!(engine().detect(&decoded).expect("detect").is_empty());
    assert!(matches!(engine().probe_bytes(&png), Err(FaceError::NoFace)));

    // Not an image at all, and a truncated JPEG.
    assert!(matches!(
        engine().probe_bytes(b"definitely not a photo"),
        Err(FaceError::Unreadable(_))
    ));
    let jpeg = std::fs::read(demo("obama.jpg")).expect("read");
    let truncated = &jpeg[..jpeg.len() / 3];
    assert!(matches!(
        engine().probe_bytes(truncated),
        Err(FaceError::Unreadable(_))
    ));

    // A PNG header claiming 10000 x 10000 pixels is refused before decoding.
    assert!(matches!(
        engine().probe_bytes(&png_header(10_000, 10_000)),
        Err(FaceError::TooLarge { .. })
    ));
}

fn png_header(w: u32, h: u32) -> Vec<u8> {
    fn crc32(data: &[u8]) -> u32 {
        let mut c = 0xFFFF_FFFFu32;
        for b in data {
            c ^= u32::from(*b);
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
        }
        !c
    }
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut out = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    // IHDR, then an (empty) IDAT and IEND: a well-formed header claiming w x h pixels.
    for (kind, data) in [
        (b"IHDR", ihdr),
        (b"IDAT", Vec::new()),
        (b"IEND", Vec::new()),
    ] {
        let mut chunk = kind.to_vec();
        chunk.extend_from_slice(&data);
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend_from_slice(&chunk);
        out.extend_from_slice(&crc32(&chunk).to_be_bytes());
    }
    out
}

#[test]
fn multi_face_photo_returns_every_face() {
    let img = decode_image_file(&demo("players.jpg")).expect("decode");
    let faces = engine().detect(&img).expect("detect");
    assert!(faces.len() >= 5, "players.jpg: only {} faces", faces.len());
    for f in &faces {
        assert!(f.score >= 0.6 && f.bbox.width > 0.0 && f.inter_eye_px() > 0.0);
    }
    let all = engine().analyze_all(&img.to_rgb8()).expect("analyze");
    assert_eq!(all.len(), faces.len());
    assert!(all.iter().all(|a| a.quality.face_count == faces.len()));
}

#[test]
fn enrollment_resumes_and_removal_hides_a_subject() {
    let (_dir, g) = temp_gallery();
    let names = [
        "Colin_Powell",
        "Tony_Blair",
        "Hugo_Chavez",
        "Aaron_Peirsol",
        "Abdullah_Gul",
    ];
    let items: Vec<EnrollItem> = lfw_items(&names, 4)
        .into_iter()
        // Keep photo 4 of each person out of the gallery: it is the probe.
        .filter(|i| !i.path.to_string_lossy().ends_with("_0004.jpg"))
        .collect();
    let first =
        enroll_items(&g, engine(), &items, FaceChoice::Primary, &by(), None).expect("enroll");
    assert_eq!(first.photos, items.len());
    assert_eq!(first.enrolled + first.no_face, items.len(), "{first:?}");
    assert!(first.enrolled >= items.len() - 1);
    let again =
        enroll_items(&g, engine(), &items, FaceChoice::Primary, &by(), None).expect("enroll again");
    assert_eq!(again.enrolled, 0, "{again:?}");
    assert_eq!(again.skipped, first.enrolled);

    let probe = template_of(&lfw_photo("Tony_Blair", 4));
    let list = g.search(&probe, 5).expect("search");
    assert_eq!(list[0].subject_key, "Tony_Blair");
    assert_eq!(list[0].rank, 1);
    assert!(list.windows(2).all(|w| w[0].score >= w[1].score));
    let keys: std::collections::HashSet<_> = list.iter().map(|c| c.subject_key.clone()).collect();
    assert_eq!(keys.len(), list.len(), "one row per subject");
    assert!(list[0].fmr.rate < 1e-3, "rank-1 FMR {:?}", list[0].fmr);
    assert!(list[0].booking_number.starts_with("B-Tony_Blair-"));

    let before_removal = chrono::Utc::now().naive_utc();
    let tony_templates = list
        .iter()
        .filter(|c| c.subject_key == "Tony_Blair")
        .count();
    assert_eq!(tony_templates, 1);
    let sealed = frdesk::gallery::log::GalleryChange::new("tests", "record sealed by order 26-1");
    assert!(g.remove_subject("Tony_Blair", &sealed).expect("remove"));
    assert!(
        !g.remove_subject("Tony_Blair", &sealed)
            .expect("remove twice")
    );
    // The gallery log states the gallery before and after the removal, and the removal's
    // reason and the photos' source.
    {
        let mut conn = g.pool().get().expect("conn");
        let (model_id, version) = (engine().model_id(), engine().model_version());
        let then = frdesk::gallery::log::state_at(&mut conn, model_id, version, before_removal)
            .expect("state then");
        let now = frdesk::gallery::log::state_at(
            &mut conn,
            model_id,
            version,
            chrono::Utc::now().naive_utc(),
        )
        .expect("state now");
        assert_eq!(then.templates, first.templates as i64, "{then:?}");
        let tony_rows = first_tony_rows(&mut conn);
        assert!(tony_rows.iter().any(|r| r.action == "remove"
            && r.reason == "record sealed by order 26-1"
            && r.source_system == "test booking system"));
        let removed = tony_rows.iter().filter(|r| r.action == "remove").count() as i64;
        assert!(removed >= 1);
        assert_eq!(now.templates, then.templates - removed, "{now:?}");
        assert_eq!(now.subjects, then.subjects - 1);
        assert_eq!(
            now.sources,
            vec![("test booking system".to_string(), now.templates)]
        );
        assert!(!now.before_log);
    }
    let list = g.search(&probe, 5).expect("search");
    assert!(list.iter().all(|c| c.subject_key != "Tony_Blair"));
    // Also after a reload from the database (the database is the truth).
    g.reload().expect("reload");
    let list = g.search(&probe, 5).expect("search");
    assert!(list.iter().all(|c| c.subject_key != "Tony_Blair"));
    let stats = g.stats().expect("stats");
    assert_eq!(stats.subjects_removed, 1);
}

/// The gallery log's rows of subject Tony_Blair.
fn first_tony_rows(
    conn: &mut frdesk::platform::db::DbConnection,
) -> Vec<frdesk::gallery::log::LogEntry> {
    let s = frdesk::gallery::Subject::by_key(conn, "Tony_Blair")
        .expect("subject")
        .expect("exists");
    frdesk::gallery::log::of_subject(conn, s.id).expect("log")
}

#[test]
fn a_probe_is_never_enrolled_and_list_size_is_bounded() {
    let (_dir, g) = temp_gallery();
    let items = lfw_items(&["Colin_Powell", "Tony_Blair", "Hugo_Chavez"], 2);
    enroll_items(&g, engine(), &items, FaceChoice::Primary, &by(), None).expect("enroll");
    let before = g.stats().expect("stats");
    let probe = template_of(&lfw_photo("Colin_Powell", 3));
    for k in [2, 20, 50] {
        let list = g.search(&probe, k).expect("search");
        assert!(list.len() <= k && !list.is_empty());
    }
    for k in [0, 1, 51] {
        assert!(matches!(
            g.search(&probe, k),
            Err(GalleryError::CandidateCount(_))
        ));
    }
    let after = g.stats().expect("stats");
    assert_eq!(before.templates_active, after.templates_active);
    assert_eq!(before.photos_active, after.photos_active);
    assert_eq!(g.len(), after.index_templates);
    assert_eq!(before.index_templates, after.index_templates);

    // A template of another model is refused, never compared.
    let mut other = probe.clone();
    other.model_version = "other".into();
    assert!(matches!(
        g.search(&other, 5),
        Err(GalleryError::ModelMismatch { .. })
    ));
}

#[test]
fn demo_gallery_finds_the_held_back_probe_at_rank_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pool = frdesk::platform::db::connect(&dir.path().join("demo.sqlite").display().to_string())
        .expect("db");
    let s = frdesk::gallery::demo::enroll_demo(&pool, engine(), &models_dir().join("demo"))
        .expect("demo");
    assert!(s.enrollment.templates >= 20, "{s:?}");
    let again = frdesk::gallery::demo::enroll_demo(&pool, engine(), &models_dir().join("demo"))
        .expect("demo again");
    assert_eq!(again.enrollment.enrolled, 0);
    let g = Gallery::open(pool, engine()).expect("open");
    let probe = template_of(&s.probe);
    let list = g.search(&probe, 10).expect("search");
    assert!(
        list[0].subject_key.starts_with("DEMO-obama"),
        "rank 1 is {} ({:.3})",
        list[0].subject_key,
        list[0].score
    );
}

#[test]
fn csv_manifest_maps_files_to_booking_records() {
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = dir.path().join("bookings.csv");
    std::fs::write(
        &csv,
        "file,subject_id,booking_number,booking_date,name\n\
         a/1.jpg,S-1,BK-1,2024-03-02,\"DOE, JANE\"\n\
         b/2.jpg,S-2,BK-2,,ROE\n",
    )
    .expect("write");
    let items = frdesk::gallery::enroll::items_from_dir(
        dir.path(),
        Some(&csv),
        Some("LASD booking system"),
    )
    .expect("csv");
    assert_eq!(items.len(), 2);
    assert_eq!(items[0].path, dir.path().join("a/1.jpg"));
    assert_eq!(items[0].record.subject_key, "S-1");
    assert_eq!(items[0].record.name, "DOE, JANE");
    assert_eq!(items[0].record.booking_date.as_deref(), Some("2024-03-02"));
    assert_eq!(items[1].record.booking_date, None);
    assert_eq!(items[0].record.source, "LASD booking system");
    // A `source` column overrides --source per row; a DMV/Cal-Photo source is refused, from
    // the column or from --source; no source at all is refused.
    std::fs::write(
        &csv,
        "file,subject_id,source\na.jpg,S-1,Pasadena PD booking\nb.jpg,S-2,\n",
    )
    .expect("write");
    let items = frdesk::gallery::enroll::items_from_dir(dir.path(), Some(&csv), Some("LASD"))
        .expect("csv with source");
    assert_eq!(items[0].record.source, "Pasadena PD booking");
    assert_eq!(items[1].record.source, "LASD");
    let err = frdesk::gallery::enroll::items_from_dir(dir.path(), Some(&csv), None)
        .expect_err("row without source");
    assert!(err.to_string().contains("line 3"), "{err}");
    std::fs::write(&csv, "file,subject_id,source\na.jpg,S-1,Cal-Photo (DMV)\n").expect("write");
    let err = frdesk::gallery::enroll::items_from_dir(dir.path(), Some(&csv), Some("LASD"))
        .expect_err("DMV row");
    assert!(err.to_string().contains("Cal-Photo CP 7.21"), "{err}");
    let err = frdesk::gallery::enroll::items_from_dir(dir.path(), None, Some("DMV"))
        .expect_err("DMV source");
    assert!(
        err.to_string().contains("never used for face recognition"),
        "{err}"
    );
    let err = frdesk::gallery::enroll::items_from_dir(dir.path(), None, None).expect_err("none");
    assert!(err.to_string().contains("--source"), "{err}");

    std::fs::write(&csv, "file,subject_id,booking_date\nx.jpg,S-9,02/03/2024\n").expect("write");
    let err = frdesk::gallery::enroll::items_from_dir(dir.path(), Some(&csv), Some("LASD"))
        .expect_err("bad date");
    assert!(err.to_string().contains("YYYY-MM-DD"), "{err}");
}

#[test]
fn committed_calibration_is_monotonic_and_conservative() {
    let c =
        frdesk::gallery::Calibration::load(&models_dir().join("calibration_sface_2021dec.toml"))
            .expect("calibration");
    assert_eq!(
        (c.model_id.as_str(), c.model_version.as_str()),
        ("sface", "2021dec")
    );
    assert!(c.impostor_comparisons > 40_000_000);
    assert!(
        c.fmr.windows(2).all(|w| w[0] >= w[1]),
        "FMR must not increase with the score"
    );
    let (low, mid, high) = (c.fmr(0.0), c.fmr(0.4), c.fmr(0.99));
    assert!(low.rate > mid.rate && mid.rate > high.rate);
    assert!(!mid.upper_bound);
    assert!(high.upper_bound && high.rate <= 1.0 / 40_000_000.0);
}

// ---------------------------------------------------------------------------------------------
// Hostile and unusual images: each is either handled correctly (the same face, the same
// template) or refused with a clear error — never a panic.

fn rgb_of(path: &Path) -> image::RgbImage {
    decode_image_file(path).unwrap().to_rgb8()
}

fn probe_similarity(bytes: &[u8], reference: &frdesk::face::Template) -> f32 {
    let checked = frdesk::cases::images::check("probe", bytes.to_vec())
        .unwrap_or_else(|e| panic!("intake refused it: {e}"));
    assert!(checked.width > 0);
    let img = decode_image(bytes).unwrap();
    let t = engine().probe(&img).unwrap().template;
    t.similarity(reference).unwrap()
}

#[test]
fn a_16_bit_png_gives_the_same_face() {
    let path = lfw_photo("Colin_Powell", 2);
    let rgb = rgb_of(&path);
    let wide: image::ImageBuffer<image::Rgb<u16>, Vec<u16>> =
        image::ImageBuffer::from_fn(rgb.width(), rgb.height(), |x, y| {
            let p = rgb.get_pixel(x, y).0;
            image::Rgb([p[0] as u16 * 257, p[1] as u16 * 257, p[2] as u16 * 257])
        });
    let mut png = Vec::new();
    wide.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    assert_eq!(&png[24..26], &[16, 2], "bit depth 16, RGB");
    let sim = probe_similarity(&png, &template_of(&path));
    assert!(sim > 0.95, "16-bit PNG template differs: {sim}");
}

#[test]
fn a_cmyk_jpeg_gives_the_same_face() {
    let path = lfw_photo("Colin_Powell", 2);
    let rgb = rgb_of(&path);
    // Naive RGB -> CMYK, as print workflows save photos.
    let mut cmyk = Vec::with_capacity(rgb.len() / 3 * 4);
    for p in rgb.pixels() {
        let [r, g, b] = p.0.map(|v| v as f32 / 255.0);
        let k = 1.0 - r.max(g).max(b);
        let d = (1.0 - k).max(1e-6);
        for v in [(1.0 - r - k) / d, (1.0 - g - k) / d, (1.0 - b - k) / d, k] {
            cmyk.push((v * 255.0).round() as u8);
        }
    }
    let mut jpeg = Vec::new();
    jpeg_encoder::Encoder::new(&mut jpeg, 95)
        .encode(
            &cmyk,
            rgb.width() as u16,
            rgb.height() as u16,
            jpeg_encoder::ColorType::Cmyk,
        )
        .unwrap();
    let sim = probe_similarity(&jpeg, &template_of(&path));
    assert!(
        sim > 0.9,
        "CMYK JPEG decoded wrongly (inverted?): similarity {sim}"
    );
}

/// A JPEG of the photo turned 90° clockwise on its side, with EXIF orientation 8 saying
/// "rotate 90° counter-clockwise to display": decoding must apply it.
#[test]
fn exif_orientation_is_applied_before_detection() {
    let path = lfw_photo("Colin_Powell", 2);
    let rgb = rgb_of(&path);
    let sideways = image::imageops::rotate90(&rgb);
    let mut exif = b"Exif\0\0MM\0\x2a\0\0\0\x08".to_vec();
    exif.extend_from_slice(&[0, 1]); // one IFD entry
    exif.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 8, 0, 0]); // Orientation = 8
    exif.extend_from_slice(&[0, 0, 0, 0]); // no next IFD
    let mut jpeg = Vec::new();
    let mut enc = jpeg_encoder::Encoder::new(&mut jpeg, 95);
    enc.add_app_segment(1, &exif).unwrap();
    enc.encode(
        sideways.as_raw(),
        sideways.width() as u16,
        sideways.height() as u16,
        jpeg_encoder::ColorType::Rgb,
    )
    .unwrap();
    let upright = decode_image(&jpeg).unwrap();
    assert_eq!(
        (upright.width(), upright.height()),
        (rgb.width(), rgb.height())
    );
    let sim = probe_similarity(&jpeg, &template_of(&path));
    assert!(sim > 0.9, "EXIF orientation not applied: similarity {sim}");
}

/// A two-frame animated WebP (each frame a real lossless WebP of the photo) is refused with a
/// clear message; a single-frame WebP of the same photo is accepted.
#[test]
fn an_animated_webp_is_refused_and_a_still_webp_accepted() {
    let path = lfw_photo("Colin_Powell", 2);
    let rgb = rgb_of(&path);
    let mut still = Vec::new();
    rgb.write_to(
        &mut std::io::Cursor::new(&mut still),
        image::ImageFormat::WebP,
    )
    .unwrap();
    let sim = probe_similarity(&still, &template_of(&path));
    assert!(sim > 0.95, "lossless WebP: {sim}");

    // RIFF/WEBP with VP8X (animation flag), ANIM and two ANMF frames wrapping the VP8L chunk.
    let vp8l = &still[12..]; // the still's single VP8L chunk (tag, length, data)
    let chunk = |tag: &[u8], data: &[u8]| -> Vec<u8> {
        let mut c = tag.to_vec();
        c.extend_from_slice(&(data.len() as u32).to_le_bytes());
        c.extend_from_slice(data);
        if data.len() % 2 == 1 {
            c.push(0);
        }
        c
    };
    let (w, h) = (rgb.width() - 1, rgb.height() - 1);
    let u24 = |v: u32| v.to_le_bytes()[..3].to_vec();
    let mut vp8x = vec![0x02, 0, 0, 0];
    vp8x.extend(u24(w));
    vp8x.extend(u24(h));
    let mut body = b"WEBP".to_vec();
    body.extend(chunk(b"VP8X", &vp8x));
    body.extend(chunk(b"ANIM", &[0, 0, 0, 0, 0, 0]));
    for _ in 0..2 {
        let mut frame = Vec::new();
        frame.extend(u24(0));
        frame.extend(u24(0));
        frame.extend(u24(w));
        frame.extend(u24(h));
        frame.extend(u24(100));
        frame.push(0);
        frame.extend_from_slice(vp8l);
        body.extend(chunk(b"ANMF", &frame));
    }
    let mut animated = b"RIFF".to_vec();
    animated.extend_from_slice(&(body.len() as u32).to_le_bytes());
    animated.extend(body);
    let err = frdesk::cases::images::check("clip.webp", animated.clone()).unwrap_err();
    assert_eq!(
        err,
        frdesk::cases::images::ImageError::Animated("clip.webp".into())
    );
    assert!(err.to_string().contains("animated"), "{err}");
    // The face engine itself never panics on it either.
    let _ = decode_image(&animated);
}

/// The file name never decides the type: PNG bytes named `.jpg` are a PNG; a JPEG with HTML
/// appended after its end marker (a polyglot) is still only ever a JPEG to the desk.
#[test]
fn the_bytes_not_the_name_decide_the_type() {
    let path = lfw_photo("Colin_Powell", 2);
    let rgb = rgb_of(&path);
    let mut png = Vec::new();
    rgb.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let c = frdesk::cases::images::check("photo.jpg", png).unwrap();
    assert_eq!(c.content_type(), "image/png");
    let mut polyglot = std::fs::read(&path).unwrap();
    polyglot.extend_from_slice(b"<html><script>alert(1)</script></html>");
    let c = frdesk::cases::images::check("photo.html", polyglot).unwrap();
    assert_eq!(c.content_type(), "image/jpeg");
    assert_eq!(c.extension(), "jpg");
}

#[test]
fn zero_byte_and_random_bytes_are_clear_errors_not_panics() {
    assert_eq!(
        frdesk::cases::images::check("empty.jpg", Vec::new()).unwrap_err(),
        frdesk::cases::images::ImageError::Empty("empty.jpg".into())
    );
    assert!(matches!(decode_image(&[]), Err(FaceError::Unreadable(_))));
    // Deterministic pseudo-random bytes behind each format's magic number.
    let mut x: u32 = 0x1234_5678;
    let mut noise = |n: usize| -> Vec<u8> {
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect()
    };
    for magic in [
        &b"\xFF\xD8\xFF\xE0"[..],
        b"\x89PNG\r\n\x1a\n",
        b"RIFF\0\0\0\0WEBPVP8 ",
    ] {
        for n in [0, 10, 1000, 100_000] {
            let mut bytes = magic.to_vec();
            bytes.extend(noise(n));
            assert!(frdesk::cases::images::check("x", bytes.clone()).is_err());
            assert!(decode_image(&bytes).is_err());
        }
    }
}

/// A gallery whose index is saved in `<dir>/gallery-index` (as the server's is in its data dir).
fn open_saved(dir: &Path) -> Gallery {
    let db = dir.join("gallery.sqlite");
    let pool = frdesk::platform::db::connect(&db.display().to_string()).expect("connect");
    Gallery::open_in(pool, engine(), Some(&Gallery::index_dir_in(dir))).expect("open gallery")
}

fn flip_byte(path: &Path, at_fraction: f64) {
    let mut b = std::fs::read(path).expect("read index file");
    let at = ((b.len() as f64 * at_fraction) as usize).min(b.len() - 1);
    b[at] ^= 0x5a;
    std::fs::write(path, b).expect("write index file");
}

#[test]
fn compact_index_gives_the_f32_top20_lists_on_lfw_templates() {
    use rayon::prelude::*;
    // A slice of LFW in name order: identities with one photo and with many.
    let paths = frdesk::cli::bench::dataset::first_photos(&lfw(), 400).expect("LFW");
    let templates: Vec<(usize, Vec<f32>)> = paths
        .par_iter()
        .enumerate()
        .filter_map(|(i, p)| {
            let img = decode_image_file(p).ok()?;
            let a = engine()
                .analyze_one(&img.to_rgb8(), frdesk::face::nearest_centre_face)
                .ok()?;
            Some((i, a.template.vector))
        })
        .collect();
    assert!(templates.len() > 350, "{} templates", templates.len());
    let mut idx = frdesk::gallery::TemplateIndex::new(engine().template_dim());
    let mut subjects = std::collections::HashMap::new();
    for (i, v) in &templates {
        // Subject = the identity folder.
        let n = subjects.len() as i64;
        let subject = *subjects.entry(paths[*i].parent()).or_insert(n);
        idx.push(*i as i64, subject, v);
    }
    let mut second_pass = 0;
    for (_, q) in &templates {
        let (hits, stats) = idx.search_with_stats(q, 20);
        assert_eq!(hits, idx.search_exact(q, 20));
        assert_eq!(hits.len(), 20);
        second_pass += usize::from(stats.passes > 1);
    }
    eprintln!(
        "{second_pass} of {} searches needed a second pass",
        templates.len()
    );
}

#[test]
fn a_corrupt_or_stale_index_file_is_rebuilt_from_the_database() {
    let dir = tempfile::tempdir().expect("tempdir");
    let g = open_saved(dir.path());
    assert_eq!(g.index_origin().kind, "rebuilt");
    let items = lfw_items(
        &["Colin_Powell", "Tony_Blair", "Hugo_Chavez", "Abdullah_Gul"],
        3,
    );
    enroll_items(&g, engine(), &items, FaceChoice::Primary, &by(), None).expect("enroll");
    let probe = template_of(&lfw_photo("Tony_Blair", 5));
    let want = g.search(&probe, 10).expect("search");
    assert_eq!(want[0].subject_key, "Tony_Blair");
    drop(g);

    // Enrolled after the file was written: stale, rebuilt from the database.
    let g = open_saved(dir.path());
    let o = g.index_origin();
    assert_eq!(o.kind, "rebuilt");
    assert!(
        o.reason.as_deref().is_some_and(|r| r.contains("stale")),
        "{o:?}"
    );
    assert_eq!(g.search(&probe, 10).expect("search").len(), want.len());
    drop(g);

    // Unchanged gallery: the saved file is used, and searches alike.
    let g = open_saved(dir.path());
    assert_eq!(g.index_origin().kind, "file");
    let ids = |l: &[frdesk::gallery::Candidate]| {
        l.iter()
            .map(|c| (c.template_id, c.score))
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&g.search(&probe, 10).expect("search")), ids(&want));
    drop(g);

    let files = frdesk::gallery::IndexFiles::new(
        &Gallery::index_dir_in(dir.path()),
        &format!("{}/{}", engine().model_id(), engine().model_version()),
    );
    // One byte changed in the index file: corrupt, rebuilt at start-up, and the search is
    // still right.
    flip_byte(&files.index, 0.6);
    let g = open_saved(dir.path());
    let o = g.index_origin();
    assert_eq!(o.kind, "rebuilt");
    assert!(
        o.reason.as_deref().is_some_and(|r| r.contains("corrupt")),
        "{o:?}"
    );
    assert_eq!(ids(&g.search(&probe, 10).expect("search")), ids(&want));
    drop(g);
    assert_eq!(open_saved(dir.path()).index_origin().kind, "file");
    // One byte changed in the f32 rows file: it is not read at start-up; the row fails its
    // checksum when the search reads it, the index is rebuilt from the database, and the
    // list is still right.
    flip_byte(&files.rows, 0.6);
    let g = open_saved(dir.path());
    assert_eq!(g.index_origin().kind, "file");
    assert_eq!(ids(&g.search(&probe, 10).expect("search")), ids(&want));
    let o = g.index_origin();
    assert_eq!(o.kind, "rebuilt");
    assert!(
        o.reason.as_deref().is_some_and(|r| r.contains("corrupt")),
        "{o:?}"
    );
    drop(g);
    assert_eq!(open_saved(dir.path()).index_origin().kind, "file");

    // A new photo enrolled into a gallery loaded from its file is searchable at once.
    let g = open_saved(dir.path());
    let extra = lfw_items(&["Tony_Blair"], 5);
    enroll_items(&g, engine(), &extra, FaceChoice::Primary, &by(), None).expect("enroll");
    let list = g.search(&probe, 10).expect("search");
    assert!(
        list[0].booking_number.ends_with("-5"),
        "{:?}",
        list[0].booking_number
    );
}

#[test]
fn a_search_never_mixes_models() {
    use diesel::prelude::*;
    use frdesk::gallery::schema::gallery_templates as t;
    let dir = tempfile::tempdir().expect("tempdir");
    let g = open_saved(dir.path());
    let items = lfw_items(&["Colin_Powell", "Hugo_Chavez"], 2);
    enroll_items(&g, engine(), &items, FaceChoice::Primary, &by(), None).expect("enroll");
    let probe = template_of(&lfw_photo("Tony_Blair", 1));
    // Templates of another model (and of another version of this one) in the same tables,
    // with the probe's own vector: a perfect score if they were ever compared.
    let mut conn = g.pool().get().expect("conn");
    let (photo_id, subject_id): (i64, i64) = t::table
        .select((t::photo_id, t::subject_id))
        .first(&mut conn)
        .expect("a template");
    for (model, version) in [
        ("other-model", engine().model_version()),
        (engine().model_id(), "other-version"),
    ] {
        diesel::insert_into(t::table)
            .values((
                t::photo_id.eq(photo_id),
                t::subject_id.eq(subject_id),
                t::model_id.eq(model),
                t::model_version.eq(version),
                t::vector.eq(probe.to_le_bytes()),
                t::face_box.eq("[0,0,1,1]"),
                t::landmarks.eq("[]"),
                t::detector_score.eq(1.0),
                t::active.eq(true),
                t::created_at.eq(chrono::Utc::now().naive_utc()),
            ))
            .execute(&mut conn)
            .expect("insert");
    }
    let foreign: Vec<i64> = t::table
        .filter(
            t::model_id
                .ne(engine().model_id())
                .or(t::model_version.ne(engine().model_version())),
        )
        .select(t::id)
        .load(&mut conn)
        .expect("ids");
    assert_eq!(foreign.len(), 2);
    drop(conn);
    let searchable = g.len();
    for g in [g, open_saved(dir.path())] {
        // Templates of other models do not change this model's gallery version or its index.
        assert_eq!(g.len(), searchable);
        let list = g.search(&probe, 50).expect("search");
        assert!(list.iter().all(|c| !foreign.contains(&c.template_id)));
        assert!(list.iter().all(|c| c.score < 0.99), "{:?}", list[0].score);
    }
}
