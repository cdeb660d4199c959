//! Tests of the request form and its parsing (`domain::request::tests::*`).

use super::*;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
}

pub fn valid_form() -> RequestForm {
    RequestForm {
        requester_name: "Dana Reyes".into(),
        requester_phone: "(213) 555-0142".into(),
        requester_email: "dreyes@pasadena.example.gov".into(),
        request_date: "2026-11-22".into(),
        search_reason: "Robbery suspect, Case# 123-89765-0123-41X, 211 PC".into(),
        case_file_number: "123-89765-0123-41X".into(),
        offense_code: "211 PC".into(),
        authorized_purpose: "criminal_offense".into(),
        image_source: "surveillance_still".into(),
        image_source_other: String::new(),
        from_video: "yes".into(),
        video_recording: "Store camera 3, 2026-11-20 21:14".into(),
        images_declared: "1".into(),
        signature_name: "Dana Reyes".into(),
        attest_lead_only: "on".into(),
        attest_lawful: "on".into(),
    }
}

#[test]
fn a_complete_form_parses() {
    let r = SearchRequest::parse(&valid_form(), 1, today()).unwrap();
    assert_eq!(r.purpose, AuthorizedPurpose::CriminalOffense);
    assert_eq!(r.images_declared, 1);
}

#[test]
fn every_required_field_is_named_when_missing() {
    type Blank = fn(&mut RequestForm);
    let cases: &[(&str, Blank)] = &[
        ("requester_name", |f| f.requester_name.clear()),
        ("requester_phone", |f| f.requester_phone.clear()),
        ("requester_email", |f| f.requester_email.clear()),
        ("request_date", |f| f.request_date.clear()),
        ("search_reason", |f| f.search_reason.clear()),
        ("case_file_number", |f| f.case_file_number.clear()),
        ("authorized_purpose", |f| f.authorized_purpose.clear()),
        ("offense_code", |f| f.offense_code.clear()),
        ("image_source", |f| f.image_source.clear()),
        ("from_video", |f| f.from_video.clear()),
        ("video_recording", |f| f.video_recording.clear()),
        ("images_declared", |f| f.images_declared.clear()),
        ("signature_name", |f| f.signature_name.clear()),
        ("attest_lead_only", |f| f.attest_lead_only.clear()),
        ("attest_lawful", |f| f.attest_lawful.clear()),
    ];
    for (field, blank) in cases {
        let mut f = valid_form();
        blank(&mut f);
        let errs = SearchRequest::parse(&f, 1, today()).unwrap_err();
        assert!(errs.get(field).is_some(), "{field}: {errs:?}");
    }
}

#[test]
fn dmv_source_is_refused() {
    let mut f = valid_form();
    f.image_source = "dmv_cal_photo".into();
    let errs = SearchRequest::parse(&f, 1, today()).unwrap_err();
    assert!(errs.get("image_source").unwrap().contains("DMV"));
}

#[test]
fn declared_count_must_match() {
    let errs = SearchRequest::parse(&valid_form(), 2, today()).unwrap_err();
    assert!(errs.get("images_declared").unwrap().contains("must match"));
    let errs = SearchRequest::parse(&valid_form(), 0, today()).unwrap_err();
    assert!(errs.get("images").is_some());
}

#[test]
fn signature_must_match_requester() {
    let mut f = valid_form();
    f.signature_name = "Someone Else".into();
    assert!(
        SearchRequest::parse(&f, 1, today())
            .unwrap_err()
            .get("signature_name")
            .is_some()
    );
    f.signature_name = "dana  reyes".into();
    assert!(SearchRequest::parse(&f, 1, today()).is_ok());
}

#[test]
fn non_compliant_reason_is_refused() {
    let mut f = valid_form();
    f.search_reason = "211 PC".into();
    assert!(
        SearchRequest::parse(&f, 1, today())
            .unwrap_err()
            .get("search_reason")
            .is_some()
    );
}

#[test]
fn future_date_refused() {
    let mut f = valid_form();
    f.request_date = "2026-12-01".into();
    assert!(
        SearchRequest::parse(&f, 1, today())
            .unwrap_err()
            .get("request_date")
            .is_some()
    );
}
