use crate::helpers::*;

#[actix_web::test]
async fn happy_path_submit_gets_a_case_number_ack_email_timeline_and_audit() {
    let app = spawn_app().await;
    let c = app.login("requester.a@test.example").await;
    let case_id = c.submit_valid_request().await;
    let (status, page) = c.get_text(&format!("/cases/{case_id}")).await;
    assert_eq!(status, 200);
    let number = regex::Regex::new(r"FR-\d{4}-\d{6}")
        .unwrap()
        .find(&page)
        .expect("case number")
        .as_str()
        .to_string();
    assert!(page.contains("Awaiting compliance review"));
    // The image hash is shown for chain of custody and matches the file.
    let (_, bytes) = photo("Aaron_Eckhart", 1);
    let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes));
    assert!(page.contains(&sha));
    assert_eq!(app.stored_image_files(), 1);
    // Acknowledgement email in the outbox.
    let mails = app.wait_for_mail_to("requester.a@test.example", 1).await;
    assert_eq!(mails.len(), 1, "one acknowledgement");
    assert!(mails[0].contains(&number));
    assert!(mails[0].contains("To: requester.a@test.example"));
    // Timeline and audit.
    assert!(page.contains("Request submitted and signed by Dana Reyes"));
    let audit = app.audit();
    let submit = audit
        .iter()
        .find(|r| r.action == "request.submit" && r.outcome == "success")
        .expect("submit audited");
    assert_eq!(
        submit.search_reason.as_deref(),
        Some("Robbery suspect, Case# 123-89765-0123-41X, 211 PC")
    );
    assert_eq!(submit.source_ip, "127.0.0.1");
    assert!(
        audit
            .iter()
            .any(|r| r.action == "image.upload" && r.object_id == sha)
    );
    assert!(
        audit
            .iter()
            .any(|r| r.action == "case.view" && r.object_id == case_id.to_string())
    );
}

#[actix_web::test]
async fn every_required_field_missing_in_turn_is_named_and_input_is_kept() {
    let app = spawn_app().await;
    let c = app.login("requester.a@test.example").await;
    let required = [
        "request_date",
        "search_reason",
        "case_file_number",
        "authorized_purpose",
        "offense_code",
        "image_source",
        "from_video",
        "video_recording",
        "signature_name",
        "attest_lead_only",
        "attest_lawful",
    ];
    for field in required {
        let (csrf, key) = c.new_form().await;
        let fields: Vec<(&str, String)> = valid_fields()
            .into_iter()
            .filter(|(k, _)| *k != field)
            .collect();
        let r = c
            .post_request(&csrf, &key, "submit", &fields, &[photo("Aaron_Eckhart", 1)])
            .await;
        assert_eq!(r.status().as_u16(), 422, "missing {field} was accepted");
        let page = r.text().await.unwrap();
        assert!(
            page.contains(&format!("id=\"{field}-error\"")),
            "no error beside {field}"
        );
        // What was typed is kept.
        if field != "case_file_number" {
            assert!(
                page.contains("123-89765-0123-41X"),
                "input lost when {field} missing"
            );
        }
    }
    // No image attached at all.
    let (csrf, key) = c.new_form().await;
    let r = c
        .post_request(&csrf, &key, "submit", &valid_fields(), &[])
        .await;
    assert_eq!(r.status().as_u16(), 422);
    assert!(r.text().await.unwrap().contains("id=\"images-error\""));
    // None of these became a submitted case.
    let (_, list) = c.get_text("/cases?status=submitted").await;
    assert!(!list.contains("FR-"), "an incomplete form was submitted");
}

#[actix_web::test]
async fn each_bad_image_kind_is_refused_with_a_clear_error_and_nothing_stored() {
    let app = spawn_app().await;
    let c = app.login("requester.a@test.example").await;
    let (_, jpeg) = photo("Aaron_Eckhart", 1);
    // A PNG whose header claims 60 000 × 60 000 pixels (a decompression bomb).
    let mut bomb = Vec::new();
    {
        let img = image::RgbImage::new(1, 1);
        img.write_to(
            &mut std::io::Cursor::new(&mut bomb),
            image::ImageFormat::Png,
        )
        .unwrap();
        bomb[16..20].copy_from_slice(&60_000u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&60_000u32.to_be_bytes());
        let crc = crc32(&bomb[12..29]);
        bomb[29..33].copy_from_slice(&crc.to_be_bytes());
    }
    let mut oversized = jpeg.clone();
    oversized.resize(11 * 1024 * 1024, 0);
    let gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;".to_vec();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty.jpg", vec![], "is empty"),
        (
            "notes.jpg",
            b"this is not an image at all".to_vec(),
            "is not a JPEG, PNG or WebP",
        ),
        (
            "truncated.jpg",
            jpeg[..jpeg.len() / 2].to_vec(),
            "corrupt or truncated",
        ),
        ("bomb.png", bomb, "50 megapixels"),
        ("huge.jpg", oversized, "larger than 10 MB"),
        ("anim.gif", gif, "is not a JPEG, PNG or WebP"),
    ];
    for (name, bytes, message) in cases {
        let (csrf, key) = c.new_form().await;
        let r = c
            .post_request(
                &csrf,
                &key,
                "submit",
                &valid_fields(),
                &[(name.to_string(), bytes)],
            )
            .await;
        assert_eq!(r.status().as_u16(), 422, "{name} accepted");
        let page = r.text().await.unwrap();
        assert!(page.contains(message), "{name}: expected “{message}”");
        assert!(page.contains(name), "{name}: file not named");
    }
    assert_eq!(app.stored_image_files(), 0, "a refused image was stored");
}

#[actix_web::test]
async fn dmv_source_is_refused() {
    let app = spawn_app().await;
    let c = app.login("requester.a@test.example").await;
    let (csrf, key) = c.new_form().await;
    let fields = fields_with(&[("image_source", "dmv_cal_photo")]);
    let r = c
        .post_request(&csrf, &key, "submit", &fields, &[photo("Aaron_Eckhart", 1)])
        .await;
    assert_eq!(r.status().as_u16(), 422);
    let page = r.text().await.unwrap();
    assert!(page.contains("DMV / Cal-Photo images may not be used for facial recognition"));
    assert!(
        app.audit()
            .iter()
            .any(|a| a.action == "request.submit" && a.outcome == "failed")
    );
}

#[actix_web::test]
async fn a_double_submit_makes_one_case() {
    let app = spawn_app().await;
    let c = app.login("requester.a@test.example").await;
    let (csrf, key) = c.new_form().await;
    let files = [photo("Aaron_Eckhart", 1)];
    let fields = valid_fields();
    // Two clicks at the same moment, then a replay later.
    let (r1, r2) = tokio::join!(
        c.post_request(&csrf, &key, "submit", &fields, &files),
        c.post_request(&csrf, &key, "submit", &fields, &files)
    );
    assert_eq!(r1.status().as_u16(), 303);
    assert_eq!(r2.status().as_u16(), 303);
    assert_eq!(case_id_from_location(&r1), case_id_from_location(&r2));
    let r3 = c.post_request(&csrf, &key, "submit", &fields, &files).await;
    assert_eq!(case_id_from_location(&r3), case_id_from_location(&r1));
    assert_eq!(app.count_cases(), 1);
    let mails = app.wait_for_mail_to("requester.a@test.example", 1).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        app.wait_for_mail_to("requester.a@test.example", 1)
            .await
            .len(),
        1,
        "one acknowledgement only: {}",
        mails.len()
    );
}

/// LACRIS's "Number of Images Submitted" is counted from the attached images, never typed
/// (issue 15: the form made the requester count files the browser already knows).
#[actix_web::test]
async fn the_number_of_images_is_counted_not_typed() {
    let app = spawn_app().await;
    let c = app.login("requester.a@test.example").await;
    let (_, page) = c.get_text("/cases/new").await;
    assert!(
        !page.contains("name=\"images_declared\""),
        "no field to type the number into"
    );
    assert!(page.contains("id=\"images_count\""));
    let (csrf, key) = c.new_form().await;
    // Whatever a script still posts is ignored.
    let fields = fields_with(&[("images_declared", "7")]);
    let r = c
        .post_request(
            &csrf,
            &key,
            "submit",
            &fields,
            &[photo("Aaron_Eckhart", 1), photo("Colin_Powell", 1)],
        )
        .await;
    assert_eq!(
        r.status().as_u16(),
        303,
        "{}",
        r.text().await.unwrap_or_default()
    );
    let case_id = case_id_from_location(&r);
    let (_, page) = c.get_text(&format!("/cases/{case_id}")).await;
    assert!(page.contains("2 declared, 2 attached"), "{page}");
}

/// "Submit" on an empty new form creates nothing — no empty draft — and names what is needed
/// (issue 15).
#[actix_web::test]
async fn submitting_an_empty_form_creates_no_draft() {
    let app = spawn_app().await;
    let c = app.login("requester.a@test.example").await;
    let (csrf, key) = c.new_form().await;
    let today = chrono::Utc::now().date_naive().to_string();
    let r = c
        .post_request(&csrf, &key, "submit", &[("request_date", today)], &[])
        .await;
    assert_eq!(r.status().as_u16(), 422);
    let page = r.text().await.unwrap();
    assert!(page.contains("Nothing was saved"), "{page}");
    assert!(page.contains("Attach at least one image"), "{page}");
    assert!(page.contains("id=\"search_reason-error\""), "{page}");
    assert_eq!(app.count_cases(), 0, "no draft was created");
    // With something typed, an incomplete submit keeps the work as a draft, as before.
    let r = c
        .post_request(
            &csrf,
            &key,
            "submit",
            &[(
                "search_reason",
                "Robbery suspect, Case# 123-89765-0123-41X".into(),
            )],
            &[],
        )
        .await;
    assert_eq!(r.status().as_u16(), 422);
    assert!(r.text().await.unwrap().contains("saved as a draft"));
    assert_eq!(app.count_cases(), 1);
}

#[actix_web::test]
async fn drafts_can_be_saved_incomplete_and_submitted_later() {
    let app = spawn_app().await;
    let c = app.login("requester.a@test.example").await;
    let (csrf, key) = c.new_form().await;
    let r = c
        .post_request(
            &csrf,
            &key,
            "save",
            &[("search_reason", "Burglary, DR# 23-0145678".to_string())],
            &[],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let case_id = case_id_from_location(&r);
    let (_, page) = c.get_text(&format!("/cases/{case_id}/edit")).await;
    assert!(page.contains("Burglary, DR# 23-0145678"));
    assert!(page.contains("Draft"));
    let r = c
        .post_request(
            &csrf,
            &key,
            "submit",
            &valid_fields(),
            &[photo("Colin_Powell", 2)],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(case_id_from_location(&r), case_id);
    // A submitted request can no longer be edited.
    assert_eq!(
        c.get(&format!("/cases/{case_id}/edit"))
            .await
            .status()
            .as_u16(),
        409
    );
}

#[actix_web::test]
async fn an_agency_without_an_fr_policy_cannot_submit() {
    let app = spawn_app().await;
    let c = app.login("requester.c@test.example").await;
    let (csrf, key) = c.new_form().await;
    let fields = fields_with(&[("signature_name", "Cy Nopolicy")]);
    let r = c
        .post_request(&csrf, &key, "submit", &fields, &[photo("Aaron_Eckhart", 1)])
        .await;
    assert_eq!(r.status().as_u16(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("no facial recognition policy on file")
    );
}

#[actix_web::test]
async fn a_non_compliant_reason_is_refused_with_the_rule() {
    let app = spawn_app().await;
    let c = app.login("requester.a@test.example").await;
    for reason in [
        "Investigation",
        "Positive ID",
        "Housing",
        "211 PC",
        "Verify",
    ] {
        let (csrf, key) = c.new_form().await;
        let fields = fields_with(&[("search_reason", reason)]);
        let r = c
            .post_request(&csrf, &key, "submit", &fields, &[photo("Aaron_Eckhart", 1)])
            .await;
        assert_eq!(r.status().as_u16(), 422, "{reason} accepted");
        assert!(
            r.text()
                .await
                .unwrap()
                .contains("does not meet LACRIS policy"),
            "{reason}"
        );
    }
    // The live check endpoint gives the same verdict.
    let r = c
        .get("/reason/check?text=Wristband%20Verification%2C%20BK%237654321")
        .await;
    let j: serde_json::Value = r.json().await.unwrap();
    assert_eq!(j["verdict"], "compliant");
}

/// CRC-32 (IEEE) as PNG chunks use it.
pub(crate) fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}
