DROP TABLE examination_drafts;
