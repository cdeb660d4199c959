DROP TABLE probe_searches;
