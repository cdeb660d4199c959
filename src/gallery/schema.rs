//! Diesel tables of the gallery (migrations `2026-11-22-000002_gallery`).

diesel::table! {
    gallery_subjects (id) {
        id -> BigInt,
        subject_key -> Text,
        name -> Text,
        active -> Bool,
        created_at -> Timestamp,
        removed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    gallery_photos (id) {
        id -> BigInt,
        subject_id -> BigInt,
        booking_number -> Text,
        booking_date -> Nullable<Text>,
        sha256 -> Text,
        file_path -> Text,
        active -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    gallery_templates (id) {
        id -> BigInt,
        photo_id -> BigInt,
        subject_id -> BigInt,
        model_id -> Text,
        model_version -> Text,
        vector -> Binary,
        face_box -> Text,
        landmarks -> Text,
        detector_score -> Double,
        active -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// Append-only (migration `2026-12-03-000024_gallery_log`): see `gallery::log`.
    gallery_log (id) {
        id -> BigInt,
        at -> Timestamp,
        action -> Text,
        template_id -> BigInt,
        subject_id -> BigInt,
        subject_key -> Text,
        model_id -> Text,
        model_version -> Text,
        photo_sha256 -> Text,
        booking_number -> Text,
        source_system -> Text,
        reason -> Text,
        actor -> Text,
    }
}

diesel::joinable!(gallery_photos -> gallery_subjects (subject_id));
diesel::joinable!(gallery_templates -> gallery_photos (photo_id));
diesel::allow_tables_to_appear_in_same_query!(
    gallery_subjects,
    gallery_photos,
    gallery_templates,
    gallery_log
);
