DROP TABLE corrective_actions;
DROP TABLE audit_reminders;
