DROP TABLE rereviews;
DROP TABLE rereview_draws;
DROP TABLE corrective_actions;
DROP TABLE audit_reminders;
