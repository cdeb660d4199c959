-- Issue 17: the append-only gallery log. Every enrollment and removal of a template, with its
-- time, reason, who made it and the photo's source (the booking system and booking number), so
-- the gallery's state at any past time can be stated (src/gallery/log.rs). The templates in the
-- gallery when the log began enter it as one dated baseline.
CREATE TABLE gallery_log (
    id BIGSERIAL PRIMARY KEY,
    at TIMESTAMP NOT NULL,
    -- 'baseline' | 'enroll' | 'remove'
    action TEXT NOT NULL,
    template_id BIGINT NOT NULL,
    subject_id BIGINT NOT NULL,
    subject_key TEXT NOT NULL,
    model_id TEXT NOT NULL,
    model_version TEXT NOT NULL,
    photo_sha256 TEXT NOT NULL,
    booking_number TEXT NOT NULL,
    source_system TEXT NOT NULL,
    reason TEXT NOT NULL,
    actor TEXT NOT NULL
);
CREATE INDEX gallery_log_model_at ON gallery_log(model_id, model_version, at);
CREATE TRIGGER gallery_log_append_only BEFORE UPDATE OR DELETE ON gallery_log
FOR EACH ROW EXECUTE FUNCTION audit_records_append_only();

INSERT INTO gallery_log (at, action, template_id, subject_id, subject_key, model_id,
                         model_version, photo_sha256, booking_number, source_system, reason, actor)
SELECT (now() AT TIME ZONE 'UTC'), 'baseline', t.id, t.subject_id, s.subject_key,
       t.model_id, t.model_version, p.sha256, p.booking_number,
       'not recorded (enrolled before the gallery log began)',
       'baseline: the gallery as it stood when the log began', 'migration'
  FROM gallery_templates t
  JOIN gallery_photos p ON p.id = t.photo_id
  JOIN gallery_subjects s ON s.id = t.subject_id
 WHERE t.active AND s.active
 ORDER BY t.id;
