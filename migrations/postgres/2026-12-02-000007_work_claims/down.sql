DROP TABLE work_claims;
