DROP TABLE examinations;
