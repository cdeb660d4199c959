// One schema for SQLite and PostgreSQL; written by hand to match
// migrations/{sqlite,postgres}/*/up.sql (same column types on both).

diesel::table! {
    agencies (id) {
        id -> BigInt,
        name -> Text,
        ori -> Text,
        contact_name -> Text,
        contact_email -> Text,
        contact_phone -> Text,
        fr_policy_date -> Nullable<Date>,
        is_service -> Bool,
        active -> Bool,
        created_at -> Timestamp,
        suspended_at -> Nullable<Timestamp>,
        suspended_by -> Nullable<Text>,
        suspension_reason -> Nullable<Text>,
    }
}

diesel::table! {
    agency_policies (id) {
        id -> BigInt,
        agency_id -> BigInt,
        sha256 -> Text,
        file_name -> Text,
        byte_size -> BigInt,
        effective_date -> Date,
        uploaded_by -> Text,
        uploaded_at -> Timestamp,
        cleared_at -> Nullable<Timestamp>,
        cleared_by -> Nullable<Text>,
    }
}

diesel::table! {
    terms_acceptances (id) {
        id -> BigInt,
        agency_id -> BigInt,
        version -> Text,
        accepted_by -> Text,
        accepted_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        agency_id -> BigInt,
        name -> Text,
        email -> Text,
        phone -> Text,
        password_hash -> Text,
        roles -> Text,
        active -> Bool,
        last_login -> Nullable<Timestamp>,
        locked_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        deactivated_reason -> Nullable<Text>,
        reactivated_at -> Nullable<Timestamp>,
        training_lapse_notified_at -> Nullable<Timestamp>,
        background_check_on -> Nullable<Date>,
    }
}

diesel::table! {
    training_records (id) {
        id -> BigInt,
        user_id -> BigInt,
        kind -> Text,
        provider -> Text,
        completed_on -> Date,
        recorded_by -> Text,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    cases (id) {
        id -> BigInt,
        case_number -> Nullable<Text>,
        form_key -> Text,
        agency_id -> BigInt,
        requester_id -> BigInt,
        status -> Text,
        current_version -> Integer,
        search_reason -> Text,
        case_file_number -> Text,
        reason_verdict -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        submitted_at -> Nullable<Timestamp>,
        hidden_at -> Nullable<Timestamp>,
        purged_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    request_versions (id) {
        id -> BigInt,
        case_id -> BigInt,
        version -> Integer,
        form_json -> Text,
        submitted_at -> Nullable<Timestamp>,
        signed_ip -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    case_images (id) {
        id -> BigInt,
        case_id -> BigInt,
        version -> Integer,
        sha256 -> Text,
        original_name -> Text,
        content_type -> Text,
        width -> Integer,
        height -> Integer,
        byte_size -> BigInt,
        uploaded_by -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    decisions (id) {
        id -> BigInt,
        case_id -> BigInt,
        version -> Integer,
        reviewer_id -> BigInt,
        decision -> Text,
        comment -> Text,
        checklist_json -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    timeline_events (id) {
        id -> BigInt,
        case_id -> BigInt,
        at -> Timestamp,
        actor_id -> Nullable<BigInt>,
        actor_name -> Text,
        actor_role -> Text,
        kind -> Text,
        summary -> Text,
        comment -> Nullable<Text>,
    }
}

diesel::table! {
    audit_records (id) {
        id -> BigInt,
        at -> Timestamp,
        user_id -> Nullable<BigInt>,
        user_email -> Text,
        role -> Text,
        agency_id -> Nullable<BigInt>,
        action -> Text,
        object_type -> Text,
        object_id -> Text,
        outcome -> Text,
        source_ip -> Text,
        user_agent -> Text,
        search_reason -> Nullable<Text>,
        details -> Nullable<Text>,
        prev_hash -> Text,
        hash -> Text,
        case_id -> Nullable<BigInt>,
        case_seq -> Nullable<BigInt>,
    }
}

diesel::table! {
    outbox_messages (id) {
        id -> BigInt,
        kind -> Text,
        case_id -> Nullable<BigInt>,
        to_addr -> Text,
        subject -> Text,
        body_text -> Text,
        body_html -> Text,
        status -> Text,
        attempts -> Integer,
        last_error -> Nullable<Text>,
        next_attempt_at -> Timestamp,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
        attachment_name -> Nullable<Text>,
        attachment_type -> Nullable<Text>,
        attachment_path -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
        lease_epoch -> BigInt,
    }
}

diesel::table! {
    jobs (id) {
        id -> BigInt,
        kind -> Text,
        case_id -> Nullable<BigInt>,
        dedupe_key -> Text,
        payload -> Text,
        status -> Text,
        attempts -> Integer,
        claimed_by -> Nullable<Text>,
        claimed_at -> Nullable<Timestamp>,
        result -> Nullable<Text>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
        lease_until -> Nullable<Timestamp>,
        lease_epoch -> BigInt,
    }
}

diesel::table! {
    probe_searches (id) {
        id -> BigInt,
        case_id -> BigInt,
        version -> Integer,
        image_sha256 -> Text,
        status -> Text,
        faces_json -> Nullable<Text>,
        chosen_face -> Nullable<Integer>,
        chosen_by -> Nullable<BigInt>,
        model_key -> Nullable<Text>,
        quality_json -> Nullable<Text>,
        candidates_json -> Nullable<Text>,
        candidate_count -> Nullable<Integer>,
        error -> Nullable<Text>,
        created_at -> Timestamp,
        searched_at -> Nullable<Timestamp>,
        started_by -> Nullable<BigInt>,
        started_at -> Nullable<Timestamp>,
        gallery_version -> Nullable<BigInt>,
    }
}

diesel::table! {
    examination_drafts (id) {
        id -> BigInt,
        probe_search_id -> BigInt,
        examiner_id -> BigInt,
        form_json -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    examinations (id) {
        id -> BigInt,
        case_id -> BigInt,
        probe_search_id -> BigInt,
        examiner_id -> BigInt,
        round -> Text,
        review_json -> Text,
        comment -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    packets (id) {
        id -> BigInt,
        case_id -> BigInt,
        packet_id -> Text,
        version -> Integer,
        result -> Text,
        file_sha256 -> Text,
        byte_size -> BigInt,
        signer_fingerprint -> Text,
        reason -> Text,
        issued_by -> Nullable<BigInt>,
        issued_at -> Timestamp,
        superseded_at -> Nullable<Timestamp>,
        superseded_reason -> Nullable<Text>,
    }
}

diesel::table! {
    signing_certificates (fingerprint_sha256) {
        fingerprint_sha256 -> Text,
        certificate_pem -> Nullable<Text>,
        subject -> Text,
        first_used_at -> Timestamp,
        retired_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    legal_holds (id) {
        id -> BigInt,
        case_id -> BigInt,
        reference -> Text,
        reason -> Text,
        placed_by -> BigInt,
        placed_at -> Timestamp,
        lifted_by -> Nullable<BigInt>,
        lifted_at -> Nullable<Timestamp>,
        lift_reason -> Nullable<Text>,
        investigator_name -> Text,
        investigator_contact -> Text,
        approved_by -> Nullable<BigInt>,
        approved_at -> Nullable<Timestamp>,
        rejected_by -> Nullable<BigInt>,
        rejected_at -> Nullable<Timestamp>,
        reject_reason -> Nullable<Text>,
        review_due_at -> Nullable<Timestamp>,
        reviewed_by -> Nullable<BigInt>,
        reviewed_at -> Nullable<Timestamp>,
        review_note -> Nullable<Text>,
        reminder_stage -> Nullable<Text>,
        release_requested_by -> Nullable<BigInt>,
        release_requested_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    case_tombstones (id) {
        id -> BigInt,
        case_id -> BigInt,
        case_number -> Text,
        agency_id -> BigInt,
        created_at -> Timestamp,
        submitted_at -> Nullable<Timestamp>,
        last_activity_at -> Timestamp,
        hidden_at -> Timestamp,
        purged_at -> Timestamp,
        purged -> Text,
        reason -> Text,
    }
}

diesel::table! {
    audit_anchors (id) {
        id -> BigInt,
        purged_through_id -> BigInt,
        last_hash -> Text,
        cutoff -> Timestamp,
        records_purged -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// Append-only (migration `2026-12-03-000025_audit_signed_heads`): `audit::signed_head`.
    audit_signed_heads (id) {
        id -> BigInt,
        day -> Text,
        occasion -> Text,
        head_id -> BigInt,
        head_hash -> Text,
        statement -> Text,
        signature -> Binary,
        signer_fingerprint -> Text,
        signed_at -> Timestamp,
    }
}

// SQLite only (PostgreSQL uses a transaction-local setting): see migration 000007.
diesel::table! {
    audit_purge_permits (cutoff) {
        cutoff -> Timestamp,
    }
}

diesel::table! {
    access_reviews (id) {
        id -> BigInt,
        agency_id -> BigInt,
        reviewer_id -> BigInt,
        quarter -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    access_review_items (id) {
        id -> BigInt,
        review_id -> BigInt,
        user_id -> BigInt,
        roles -> Text,
        training -> Text,
        last_login -> Nullable<Timestamp>,
        decision -> Text,
        background_check_on -> Nullable<Date>,
    }
}

diesel::table! {
    audit_reports (id) {
        id -> BigInt,
        agency_id -> BigInt,
        month -> Text,
        findings -> Text,
        record_count -> Integer,
        flagged_count -> Integer,
        pdf_path -> Text,
        pdf_sha256 -> Text,
        csv_path -> Text,
        csv_sha256 -> Text,
        signed_off_by -> BigInt,
        signed_off_at -> Timestamp,
        reviewed_by -> Nullable<BigInt>,
        reviewed_at -> Nullable<Timestamp>,
        review_note -> Nullable<Text>,
    }
}

diesel::table! {
    user_sessions (id) {
        id -> BigInt,
        token_sha256 -> Text,
        user_id -> BigInt,
        source_ip -> Text,
        created_at -> Timestamp,
        ended_at -> Nullable<Timestamp>,
        end_reason -> Nullable<Text>,
    }
}

diesel::table! {
    user_mfa (user_id) {
        user_id -> BigInt,
        secret_sealed -> Text,
        confirmed_at -> Nullable<Timestamp>,
        last_step -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    mfa_recovery_codes (id) {
        id -> BigInt,
        user_id -> BigInt,
        code_digest -> Text,
        used_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    audit_reminders (id) {
        id -> BigInt,
        agency_id -> BigInt,
        kind -> Text,
        period -> Text,
        stage -> Text,
        sent_at -> Timestamp,
    }
}

diesel::table! {
    published_documents (id) {
        id -> BigInt,
        kind -> Text,
        created_by -> Text,
        created_at -> Timestamp,
        withdrawn_at -> Nullable<Timestamp>,
        withdrawn_by -> Nullable<Text>,
        withdrawal_reason -> Nullable<Text>,
    }
}

diesel::table! {
    corrective_actions (id) {
        id -> BigInt,
        agency_id -> BigInt,
        audit_report_id -> BigInt,
        month -> Text,
        user_id -> BigInt,
        kind -> Text,
        description -> Text,
        recorded_by -> BigInt,
        recorded_at -> Timestamp,
        follow_up_on -> Date,
        completed_at -> Nullable<Timestamp>,
        completed_by -> Nullable<BigInt>,
        completion_note -> Nullable<Text>,
    }
}

diesel::table! {
    rereview_draws (id) {
        id -> BigInt,
        month -> Text,
        seed -> Text,
        population -> BigInt,
        sample_size -> BigInt,
        percent -> Integer,
        drawn_at -> Timestamp,
    }
}

diesel::table! {
    rereviews (id) {
        id -> BigInt,
        draw_id -> BigInt,
        case_id -> BigInt,
        outcome -> Nullable<Text>,
        note -> Nullable<Text>,
        reviewer_id -> Nullable<BigInt>,
        reviewed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    deleted_access_requests (id) {
        id -> BigInt,
        case_id -> BigInt,
        requester_id -> BigInt,
        criterion -> Text,
        reference -> Text,
        statement -> Text,
        requested_at -> Timestamp,
        status -> Text,
        decided_by -> Nullable<BigInt>,
        decided_at -> Nullable<Timestamp>,
        decision_note -> Nullable<Text>,
        expires_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    disseminations (id) {
        id -> BigInt,
        case_id -> BigInt,
        packet_id -> Text,
        packet_sha256 -> Text,
        channel -> Text,
        recipient_user_id -> Nullable<BigInt>,
        recipient_address -> Nullable<Text>,
        purpose -> Text,
        released_by -> Text,
        outbox_id -> Nullable<BigInt>,
        at -> Timestamp,
    }
}

diesel::table! {
    published_document_versions (id) {
        id -> BigInt,
        document_id -> BigInt,
        version -> Integer,
        title -> Text,
        provider -> Nullable<Text>,
        effective_date -> Date,
        sha256 -> Text,
        file_name -> Text,
        byte_size -> BigInt,
        uploaded_by -> Text,
        uploaded_at -> Timestamp,
    }
}

diesel::table! {
    work_claims (id) {
        id -> BigInt,
        item_key -> Text,
        case_id -> BigInt,
        probe_search_id -> Nullable<BigInt>,
        task -> Text,
        user_id -> BigInt,
        claimed_at -> Timestamp,
        active_at -> Timestamp,
        idle_minutes -> Integer,
    }
}

diesel::table! {
    case_messages (id) {
        id -> BigInt,
        case_id -> BigInt,
        author_id -> BigInt,
        side -> Text,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    case_message_attachments (id) {
        id -> BigInt,
        message_id -> BigInt,
        case_id -> BigInt,
        sha256 -> Text,
        content_type -> Text,
        byte_size -> BigInt,
        width -> Integer,
        height -> Integer,
        original_name -> Text,
    }
}

diesel::table! {
    saved_searches (id) {
        id -> BigInt,
        user_id -> BigInt,
        name -> Text,
        query_text -> Text,
        sort -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    notification_preferences (user_id, kind) {
        user_id -> BigInt,
        kind -> Text,
        delivery -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    notification_digests (id) {
        id -> BigInt,
        user_id -> BigInt,
        day -> Date,
        outbox_id -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    notifications (id) {
        id -> BigInt,
        user_id -> BigInt,
        kind -> Text,
        subject_key -> Text,
        case_id -> Nullable<BigInt>,
        headline -> Text,
        link -> Text,
        delivery -> Text,
        created_at -> Timestamp,
        outbox_id -> Nullable<BigInt>,
        digest_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    disclosures (id) {
        id -> BigInt,
        disclosure_id -> Text,
        case_id -> BigInt,
        basis -> Text,
        redacted -> Bool,
        order_reference -> Nullable<Text>,
        salt -> Text,
        status -> Text,
        prepared_by -> Text,
        prepared_at -> Timestamp,
        approved_by -> Nullable<Text>,
        approved_at -> Nullable<Timestamp>,
        released_at -> Nullable<Timestamp>,
        pdf_sha256 -> Nullable<Text>,
        zip_sha256 -> Nullable<Text>,
        manifest_sha256 -> Nullable<Text>,
        prepared_by_id -> Nullable<BigInt>,
        approved_by_id -> Nullable<BigInt>,
        protective_order -> Bool,
        rejected_by -> Nullable<Text>,
        rejected_at -> Nullable<Timestamp>,
        reject_reason -> Nullable<Text>,
        released_by -> Nullable<Text>,
    }
}

diesel::table! {
    desk_keys (name) {
        name -> Text,
        fingerprint -> Text,
        recorded_at -> Timestamp,
        recorded_by -> Text,
    }
}

diesel::table! {
    daily_runs (task, day) {
        task -> Text,
        day -> Text,
        instance -> Text,
        started_at -> Timestamp,
        lease_until -> Timestamp,
        finished_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    stored_files (path) {
        path -> Text,
        sha256 -> Text,
        byte_size -> BigInt,
        stored_at -> Timestamp,
    }
}

diesel::table! {
    stored_file_chunks (path, chunk_no) {
        path -> Text,
        chunk_no -> Integer,
        bytes -> Binary,
    }
}

diesel::joinable!(users -> agencies (agency_id));
diesel::joinable!(training_records -> users (user_id));
diesel::joinable!(cases -> agencies (agency_id));
diesel::joinable!(request_versions -> cases (case_id));
diesel::joinable!(case_images -> cases (case_id));
diesel::joinable!(decisions -> cases (case_id));
diesel::joinable!(timeline_events -> cases (case_id));

diesel::allow_tables_to_appear_in_same_query!(
    stored_files,
    stored_file_chunks,
    signing_certificates,
    agencies,
    agency_policies,
    terms_acceptances,
    users,
    cases,
    request_versions,
    case_images,
    decisions,
    timeline_events,
    audit_records,
    outbox_messages,
    jobs,
    probe_searches,
    examinations,
    packets,
    legal_holds,
    case_tombstones,
    audit_anchors,
    audit_purge_permits,
    access_reviews,
    access_review_items,
    training_records,
    audit_reports,
    user_sessions,
    user_mfa,
    mfa_recovery_codes,
    audit_reminders,
    corrective_actions,
    rereview_draws,
    rereviews,
    deleted_access_requests,
    disseminations,
    published_documents,
    published_document_versions,
    work_claims,
    notification_preferences,
    notification_digests,
    notifications,
    saved_searches,
    case_messages,
    case_message_attachments,
    disclosures,
);
