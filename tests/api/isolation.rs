use crate::helpers::*;

#[actix_web::test]
async fn a_requester_cannot_see_another_agencys_case_or_images() {
    let app = spawn_app().await;
    let a = app.login("requester.a@test.example").await;
    let case_id = a.submit_valid_request().await;
    let (_, page) = a.get_text(&format!("/cases/{case_id}")).await;
    let sha = regex::Regex::new(r"/images/([0-9a-f]{64})")
        .unwrap()
        .captures(&page)
        .unwrap()[1]
        .to_string();

    let b = app.login("requester.b@test.example").await;
    for path in [
        format!("/cases/{case_id}"),
        format!("/cases/{case_id}/edit"),
        format!("/cases/{case_id}/images/{sha}"),
        format!("/review/{case_id}"),
    ] {
        let s = b.get(&path).await.status().as_u16();
        assert!(s == 403 || s == 404, "{path} gave {s}");
    }
    let (_, list) = b.get_text("/cases").await;
    assert!(
        !list.contains(&format!("/cases/{case_id}\"")),
        "case listed for another agency"
    );
    // The denied attempts are audit records.
    assert!(
        app.audit()
            .iter()
            .any(|r| r.user_email == "requester.b@test.example"
                && r.outcome == "denied"
                && r.action == "case.view")
    );

    // The agency's own local administrator does see it; a reviewer sees every agency.
    let admin = app.login("admin.a@test.example").await;
    assert_eq!(
        admin
            .get(&format!("/cases/{case_id}"))
            .await
            .status()
            .as_u16(),
        200
    );
    let reviewer = app.login("reviewer@test.example").await;
    assert_eq!(
        reviewer
            .get(&format!("/cases/{case_id}"))
            .await
            .status()
            .as_u16(),
        200
    );
}

#[actix_web::test]
async fn images_are_served_only_with_no_store_and_viewing_is_audited() {
    let app = spawn_app().await;
    let a = app.login("requester.a@test.example").await;
    let case_id = a.submit_valid_request().await;
    let (_, page) = a.get_text(&format!("/cases/{case_id}")).await;
    let sha = regex::Regex::new(r"/images/([0-9a-f]{64})")
        .unwrap()
        .captures(&page)
        .unwrap()[1]
        .to_string();
    let r = a.get(&format!("/cases/{case_id}/images/{sha}")).await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers().get("cache-control").unwrap(), "no-store");
    assert_eq!(r.headers().get("content-type").unwrap(), "image/jpeg");
    let bytes = r.bytes().await.unwrap();
    assert_eq!(bytes.as_ref(), photo("Aaron_Eckhart", 1).1.as_slice());
    assert!(
        app.audit()
            .iter()
            .any(|r| r.action == "image.view" && r.object_id == sha && r.outcome == "success")
    );
}
