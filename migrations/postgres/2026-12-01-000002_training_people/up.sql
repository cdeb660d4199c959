-- Training records, background checks and role changes (issue 13, "Training, people").
--
-- One row per completed training (a renewal is a new row; rows are never changed):
--   kind      fr_system          the FR-system training that grants access (LACRIS FR Policy,
--                                "Training": LACRIS training, or FBI-equivalent training not
--                                offered by LACRIS attended after 2017-01-01)
--             facial_comparison  the training that makes a "Facial Reviewer" (FBI or LACRIS
--                                training in facial comparison)
--   provider  FBI | LACRIS | other
CREATE TABLE training_records (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL,
    provider TEXT NOT NULL,
    completed_on DATE NOT NULL,
    -- The audit actor who recorded it (an account's email, or cli:<command>).
    recorded_by TEXT NOT NULL,
    recorded_at TIMESTAMP NOT NULL
);
CREATE INDEX training_records_user ON training_records(user_id, kind);

-- The one training date each user had becomes an FR-system training record.
INSERT INTO training_records (user_id, kind, provider, completed_on, recorded_by, recorded_at)
SELECT id, 'fr_system', training_provider, training_completed,
       'migration 2026-12-01-000002', (now() AT TIME ZONE 'UTC')
FROM users
WHERE training_provider IS NOT NULL AND training_completed IS NOT NULL;

-- Before this migration an examiner's one date was the examiner's training ("facial-comparison
-- training" in the refusal): FBI or LACRIS rows of examiners and supervisors also become
-- facial-comparison records, so existing examiner accounts keep working. "other" never does.
INSERT INTO training_records (user_id, kind, provider, completed_on, recorded_by, recorded_at)
SELECT id, 'facial_comparison', training_provider, training_completed,
       'migration 2026-12-01-000002', (now() AT TIME ZONE 'UTC')
FROM users
WHERE training_provider IN ('FBI', 'LACRIS') AND training_completed IS NOT NULL
  AND ((',' || roles || ',') LIKE '%,examiner,%' OR (',' || roles || ',') LIKE '%,supervisor,%');

ALTER TABLE users DROP COLUMN training_provider;
ALTER TABLE users DROP COLUMN training_completed;

-- The date of the user's last background check (LACRIS "Prohibited Uses": "met any other
-- applicable requirements, such as a background check"); shown in access reviews.
ALTER TABLE users ADD COLUMN background_check_on DATE;
ALTER TABLE access_review_items ADD COLUMN background_check_on DATE;
