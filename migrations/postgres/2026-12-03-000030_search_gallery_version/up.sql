-- Issue 18: the gallery version a search ran against: the newest gallery-log id the
-- searching instance's index had followed when the search started (src/gallery/mod.rs,
-- `Gallery::follow`). NULL for searches made before it was recorded.
ALTER TABLE probe_searches ADD COLUMN gallery_version BIGINT;
