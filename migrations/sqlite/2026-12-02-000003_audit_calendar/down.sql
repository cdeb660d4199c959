DROP TABLE rereviews;
DROP TABLE rereview_draws;
