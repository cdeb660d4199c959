-- Booking-photo gallery for face search (issue 3). Same shape as the sqlite migration.
CREATE TABLE gallery_subjects (
    id BIGSERIAL PRIMARY KEY,
    subject_key TEXT NOT NULL UNIQUE,         -- the agency's subject id
    name TEXT NOT NULL DEFAULT '',
    active BOOLEAN NOT NULL DEFAULT TRUE,        -- false = logically removed (kept for audit)
    created_at TIMESTAMP NOT NULL,
    removed_at TIMESTAMP
);

CREATE TABLE gallery_photos (
    id BIGSERIAL PRIMARY KEY,
    subject_id BIGINT NOT NULL REFERENCES gallery_subjects(id),
    booking_number TEXT NOT NULL DEFAULT '',
    booking_date TEXT,                        -- YYYY-MM-DD
    sha256 TEXT NOT NULL UNIQUE,              -- of the photo file's bytes
    file_path TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX gallery_photos_subject ON gallery_photos(subject_id);

CREATE TABLE gallery_templates (
    id BIGSERIAL PRIMARY KEY,
    photo_id BIGINT NOT NULL REFERENCES gallery_photos(id),
    subject_id BIGINT NOT NULL REFERENCES gallery_subjects(id),
    model_id TEXT NOT NULL,
    model_version TEXT NOT NULL,
    vector BYTEA NOT NULL,                     -- dim x f32, little-endian, L2-normalised
    face_box TEXT NOT NULL,                   -- JSON [x, y, width, height], photo pixels
    landmarks TEXT NOT NULL,                  -- JSON [[x, y] x 5]
    detector_score DOUBLE PRECISION NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX gallery_templates_model ON gallery_templates(model_id, model_version, active);
CREATE INDEX gallery_templates_subject ON gallery_templates(subject_id);
