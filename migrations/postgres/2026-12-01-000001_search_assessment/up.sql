-- A trained examiner starts each search from the probe assessment (docs/POLICIES.md): the
-- examiner and the time are kept on every probe search. Probes that waited for a face choice
-- under the earlier flow now wait for the assessment.
ALTER TABLE probe_searches ADD COLUMN started_by BIGINT;
ALTER TABLE probe_searches ADD COLUMN started_at TIMESTAMP;
UPDATE probe_searches SET status = 'awaiting_assessment' WHERE status = 'needs_face_choice';
