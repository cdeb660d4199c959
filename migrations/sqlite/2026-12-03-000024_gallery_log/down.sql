DROP TABLE gallery_log;
