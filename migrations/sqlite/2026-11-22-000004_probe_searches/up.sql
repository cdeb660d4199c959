-- One search of one probe image of an approved request. The candidate list is stored exactly as
-- the gallery returned it (JSON, with model id/version, similarity scores and calibrated
-- false-match rates) and is never recomputed.
CREATE TABLE probe_searches (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    case_id BIGINT NOT NULL REFERENCES cases(id),
    version INTEGER NOT NULL,
    image_sha256 TEXT NOT NULL,
    -- queued | needs_face_choice | no_face | searched | failed
    status TEXT NOT NULL,
    faces_json TEXT,
    chosen_face INTEGER,
    chosen_by BIGINT REFERENCES users(id),
    model_key TEXT,
    quality_json TEXT,
    candidates_json TEXT,
    candidate_count INTEGER,
    error TEXT,
    created_at TIMESTAMP NOT NULL,
    searched_at TIMESTAMP,
    UNIQUE (case_id, version, image_sha256)
);
CREATE INDEX probe_searches_case ON probe_searches(case_id);
