ALTER TABLE probe_searches DROP COLUMN gallery_version;
