DROP TABLE gallery_templates;
DROP TABLE gallery_photos;
DROP TABLE gallery_subjects;
