UPDATE probe_searches SET status = 'needs_face_choice' WHERE status = 'awaiting_assessment';
ALTER TABLE probe_searches DROP COLUMN started_at;
ALTER TABLE probe_searches DROP COLUMN started_by;
