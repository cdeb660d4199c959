-- Legal holds with a second person's approval and a review every two years (issue 14 §1;
-- LAPD ALPR order, "Retaining ALPR Data Beyond the Two-Year Logical Deletion Period": the
-- DR/case number, the specific reason, the investigator's name and contact, approved by a
-- second person; "every two years, ITB shall verify with the investigating officer").
--
-- A row is a hold *request* by `placed_by` at `placed_at`. It is
--   pending   while approved_at and rejected_at are NULL (it already suspends logical
--             deletion and the purges: nothing is destroyed while a hold is being decided),
--   approved  once a different person approved it (review_due_at = approval + 2 years),
--   rejected  when an approver turned the request down (rejected_*, reject_reason),
--   released  when a release requested by one person (release_requested_*, lift_reason) was
--             approved by a different person (lifted_by, lifted_at).
-- A hold never ends by lapse: an overdue review only changes reminders and the overdue list.
-- reminder_stage records which review reminder went out for the current due date
-- (NULL, 'due_soon' = within 30 days, 'overdue'); recording a review resets it.
-- (The user columns carry no REFERENCES here: SQLite cannot drop a column that has one, and
-- down.sql drops them. PostgreSQL's migration has them.)
ALTER TABLE legal_holds ADD COLUMN investigator_name TEXT NOT NULL DEFAULT '';
ALTER TABLE legal_holds ADD COLUMN investigator_contact TEXT NOT NULL DEFAULT '';
ALTER TABLE legal_holds ADD COLUMN approved_by BIGINT;
ALTER TABLE legal_holds ADD COLUMN approved_at TIMESTAMP;
ALTER TABLE legal_holds ADD COLUMN rejected_by BIGINT;
ALTER TABLE legal_holds ADD COLUMN rejected_at TIMESTAMP;
ALTER TABLE legal_holds ADD COLUMN reject_reason TEXT;
ALTER TABLE legal_holds ADD COLUMN review_due_at TIMESTAMP;
ALTER TABLE legal_holds ADD COLUMN reviewed_by BIGINT;
ALTER TABLE legal_holds ADD COLUMN reviewed_at TIMESTAMP;
ALTER TABLE legal_holds ADD COLUMN review_note TEXT;
ALTER TABLE legal_holds ADD COLUMN reminder_stage TEXT;
ALTER TABLE legal_holds ADD COLUMN release_requested_by BIGINT;
ALTER TABLE legal_holds ADD COLUMN release_requested_at TIMESTAMP;

-- Holds placed before approval was required become approved holds, approved by their placer
-- (before approval was required), first review due two years after placing. Lifted holds
-- stay lifted.
UPDATE legal_holds
SET approved_by = placed_by,
    approved_at = placed_at,
    review_due_at = strftime('%Y-%m-%d %H:%M:%f', placed_at, '+2 years');
