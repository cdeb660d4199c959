//! Booking-photo gallery: persisted templates, in-memory index, exact 1:N search.
//!
//! The database is the truth: subjects, photos (SHA-256, path, active flag) and
//! templates (model id/version, vector, box, landmarks). [`Gallery::open_in`]
//! loads the index of every active template of the engine's model — int8 codes
//! scanned by every search, f32 rows read row by row for the exact re-rank
//! ([`index`]) — from its saved files ([`index_file`]) when they match the
//! database, else rebuilds it from the database; enrollment writes to the
//! database first and then to the index, and [`Gallery::follow`] brings in what
//! other instances enrolled or removed (from the gallery log). A search reads
//! only: a probe is never added to the gallery.

pub mod calibration;
pub mod demo;
pub mod enroll;
pub mod index;
pub mod index_file;
pub mod log;
pub mod quant;
pub mod schema;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::RwLock;
use std::time::Instant;

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use crate::face::{FaceAnalysis, FaceEngine, Template, vector_from_le_bytes};
use crate::platform::db::{DbConnection, DbPool};
use crate::platform::storage::Storage;
pub use calibration::{Calibration, Fmr};
pub use index::{Hit, IndexBuilder, SearchStats, TemplateIndex};
pub use index_file::{GalleryVersion, IndexFiles};
use schema::{gallery_photos, gallery_subjects, gallery_templates};

/// Smallest and largest candidate-list sizes a search accepts.
pub const MIN_CANDIDATES: usize = 2;
pub const MAX_CANDIDATES: usize = 50;
/// Candidate-list size when the requester does not choose.
pub const DEFAULT_CANDIDATES: usize = 20;

#[derive(Debug, thiserror::Error)]
pub enum GalleryError {
    #[error("candidate list size {0} is outside {MIN_CANDIDATES}..={MAX_CANDIDATES}")]
    CandidateCount(usize),
    #[error(
        "probe template is {got}, the gallery holds {expected}: templates of different models are never compared"
    )]
    ModelMismatch { expected: String, got: String },
    #[error("database: {0}")]
    Db(#[from] diesel::result::Error),
    #[error("database pool: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    #[error("calibration: {0}")]
    Calibration(String),
    #[error("invalid record: {0}")]
    Invalid(String),
    #[error("gallery index lock poisoned")]
    Poisoned,
    #[error("gallery index file: {0}")]
    IndexFile(#[from] std::io::Error),
}

/// A person in the gallery (`gallery_subjects`).
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Serialize)]
#[diesel(table_name = gallery_subjects)]
pub struct Subject {
    pub id: i64,
    /// The agency's subject id.
    pub subject_key: String,
    pub name: String,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub removed_at: Option<NaiveDateTime>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = gallery_subjects)]
struct NewSubject<'a> {
    subject_key: &'a str,
    name: &'a str,
    active: bool,
    created_at: NaiveDateTime,
}

impl Subject {
    pub fn by_key(conn: &mut DbConnection, key: &str) -> QueryResult<Option<Subject>> {
        gallery_subjects::table
            .filter(gallery_subjects::subject_key.eq(key))
            .select(Subject::as_select())
            .first(conn)
            .optional()
    }

    /// The subject with this key, created when absent. A removed subject is
    /// not revived: enrolling into it is refused by the caller.
    pub fn find_or_create(conn: &mut DbConnection, key: &str, name: &str) -> QueryResult<Subject> {
        if let Some(s) = Self::by_key(conn, key)? {
            return Ok(s);
        }
        diesel::insert_into(gallery_subjects::table)
            .values(NewSubject {
                subject_key: key,
                name,
                active: true,
                created_at: Utc::now().naive_utc(),
            })
            .execute(conn)?;
        gallery_subjects::table
            .filter(gallery_subjects::subject_key.eq(key))
            .select(Subject::as_select())
            .first(conn)
    }

    /// Which of `ids` were removed from the gallery (logically deleted: sealed, expunged).
    pub fn removed_among(
        conn: &mut DbConnection,
        ids: &[i64],
    ) -> QueryResult<std::collections::BTreeSet<i64>> {
        Ok(gallery_subjects::table
            .filter(gallery_subjects::id.eq_any(ids))
            .filter(gallery_subjects::active.eq(false))
            .select(gallery_subjects::id)
            .load::<i64>(conn)?
            .into_iter()
            .collect())
    }

    /// Logical deletion: the subject and its photos and templates stay in the
    /// database for audit but are no longer searchable. Returns the subject, or
    /// `None` when no active subject has this key.
    ///
    /// Each template taken out of search gets a `remove` row in the gallery log ([`log`]),
    /// with `by`'s actor and reason.
    pub fn remove(
        conn: &mut DbConnection,
        key: &str,
        by: &log::GalleryChange,
    ) -> QueryResult<Option<Subject>> {
        conn.transaction(|conn| {
            let Some(s) = Self::by_key(conn, key)? else {
                return Ok(None);
            };
            if !s.active {
                return Ok(None);
            }
            let now = Utc::now().naive_utc();
            let live: Vec<(i64, String, String, String, String)> = gallery_templates::table
                .inner_join(gallery_photos::table)
                .filter(gallery_templates::subject_id.eq(s.id))
                .filter(gallery_templates::active.eq(true))
                .select((
                    gallery_templates::id,
                    gallery_templates::model_id,
                    gallery_templates::model_version,
                    gallery_photos::sha256,
                    gallery_photos::booking_number,
                ))
                .load(conn)?;
            let mut rows = Vec::with_capacity(live.len());
            for (template_id, model_id, model_version, sha, booking) in live {
                rows.push(log::NewLogEntry {
                    at: now,
                    action: log::REMOVE.into(),
                    template_id,
                    subject_id: s.id,
                    subject_key: s.subject_key.clone(),
                    model_id,
                    model_version,
                    photo_sha256: sha,
                    booking_number: booking,
                    source_system: log::source_of(conn, template_id)?,
                    reason: by.reason.clone(),
                    actor: by.actor.clone(),
                });
            }
            log::append(conn, &rows)?;
            diesel::update(gallery_subjects::table.find(s.id))
                .set((
                    gallery_subjects::active.eq(false),
                    gallery_subjects::removed_at.eq(Some(now)),
                ))
                .execute(conn)?;
            diesel::update(gallery_photos::table.filter(gallery_photos::subject_id.eq(s.id)))
                .set(gallery_photos::active.eq(false))
                .execute(conn)?;
            diesel::update(gallery_templates::table.filter(gallery_templates::subject_id.eq(s.id)))
                .set(gallery_templates::active.eq(false))
                .execute(conn)?;
            Ok(Some(s))
        })
    }
}

/// A booking photo (`gallery_photos`).
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Serialize)]
#[diesel(table_name = gallery_photos)]
pub struct Photo {
    pub id: i64,
    pub subject_id: i64,
    pub booking_number: String,
    /// YYYY-MM-DD.
    pub booking_date: Option<String>,
    /// SHA-256 (hex) of the photo file's bytes.
    pub sha256: String,
    /// The photo file: the path of the file it was enrolled from, or a name in the desk's file
    /// store (`gallery/…`, [`Photo::STORE_PREFIX`]; [`Photo::read`]).
    pub file_path: String,
    pub active: bool,
    pub created_at: NaiveDateTime,
}

impl Photo {
    /// How [`Photo::file_path`] names a copy in the desk's file store.
    pub const STORE_PREFIX: &'static str = "gallery/";

    /// The bytes of the photo file: from the desk's store `files` when [`Photo::file_path`] is
    /// a store name ([`Photo::STORE_PREFIX`]), else from the file system. Not checked against
    /// the hash here.
    ///
    /// Errors: the file is missing or cannot be read (named).
    pub fn read(&self, files: &Storage) -> anyhow::Result<Vec<u8>> {
        use anyhow::Context;
        if !self.file_path.starts_with(Self::STORE_PREFIX) {
            std::fs::read(&self.file_path)
                .with_context(|| format!("Failed to read booking photo {}", self.file_path))
        } else {
            files.get(&self.file_path)?.with_context(|| {
                format!(
                    "Booking photo {} is missing",
                    files.describe(&self.file_path)
                )
            })
        }
    }

    /// The store name a copy of a photo of `sha256` gets: `gallery/ab/cd/<sha256>.<ext>`
    /// (`ext` from the enrolled file's name, `jpg` when it has none).
    pub fn store_name(sha256: &str, ext: &str) -> String {
        let ext = if ext.is_empty() || !ext.bytes().all(|b| b.is_ascii_alphanumeric()) {
            "jpg".to_string()
        } else {
            ext.to_ascii_lowercase()
        };
        format!(
            "gallery/{}/{}/{sha256}.{ext}",
            sha256.get(0..2).unwrap_or("00"),
            sha256.get(2..4).unwrap_or("00")
        )
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = gallery_photos)]
struct NewPhoto<'a> {
    subject_id: i64,
    booking_number: &'a str,
    booking_date: Option<&'a str>,
    sha256: &'a str,
    file_path: &'a str,
    active: bool,
    created_at: NaiveDateTime,
}

impl Photo {
    pub fn by_sha256(conn: &mut DbConnection, sha: &str) -> QueryResult<Option<Photo>> {
        gallery_photos::table
            .filter(gallery_photos::sha256.eq(sha))
            .select(Photo::as_select())
            .first(conn)
            .optional()
    }

    /// SHA-256 of every photo already in the gallery (for resumable enrollment).
    pub fn all_sha256(conn: &mut DbConnection) -> QueryResult<Vec<String>> {
        gallery_photos::table
            .select(gallery_photos::sha256)
            .load(conn)
    }
}

/// A stored template (`gallery_templates`).
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = gallery_templates)]
pub struct TemplateRow {
    pub id: i64,
    pub photo_id: i64,
    pub subject_id: i64,
    pub model_id: String,
    pub model_version: String,
    /// `dim` f32 little-endian.
    pub vector: Vec<u8>,
    /// JSON [x, y, width, height] in photo pixels.
    pub face_box: String,
    /// JSON [[x, y]; 5] in photo pixels.
    pub landmarks: String,
    pub detector_score: f64,
    pub active: bool,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = gallery_templates)]
struct NewTemplate<'a> {
    photo_id: i64,
    subject_id: i64,
    model_id: &'a str,
    model_version: &'a str,
    vector: &'a [u8],
    face_box: &'a str,
    landmarks: &'a str,
    detector_score: f64,
    active: bool,
    created_at: NaiveDateTime,
}

impl TemplateRow {
    /// The template of booking photo `photo_id` for a model (a group photo has one photo row,
    /// so one template, per face): where the candidate's face is on the photo.
    pub fn of_photo(
        conn: &mut DbConnection,
        photo_id: i64,
        model_id: &str,
        version: &str,
    ) -> QueryResult<Option<TemplateRow>> {
        gallery_templates::table
            .filter(gallery_templates::photo_id.eq(photo_id))
            .filter(gallery_templates::model_id.eq(model_id))
            .filter(gallery_templates::model_version.eq(version))
            .order(gallery_templates::id.asc())
            .select(TemplateRow::as_select())
            .first(conn)
            .optional()
    }

    /// The face box `[x, y, width, height]` and the five landmarks, in photo pixels; `None`
    /// when the stored JSON does not parse.
    pub fn face(&self) -> Option<([f32; 4], [[f32; 2]; 5])> {
        Some((
            serde_json::from_str(&self.face_box).ok()?,
            serde_json::from_str(&self.landmarks).ok()?,
        ))
    }

    /// Number of active templates of a model.
    pub fn count_active(
        conn: &mut DbConnection,
        model_id: &str,
        version: &str,
    ) -> QueryResult<i64> {
        gallery_templates::table
            .filter(gallery_templates::active.eq(true))
            .filter(gallery_templates::model_id.eq(model_id))
            .filter(gallery_templates::model_version.eq(version))
            .count()
            .get_result(conn)
    }
}

/// Subject and booking data of one enrolled photo.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BookingRecord {
    /// The agency's subject id.
    pub subject_key: String,
    pub name: String,
    pub booking_number: String,
    /// YYYY-MM-DD, validated.
    pub booking_date: Option<String>,
    /// The system the photo came from (e.g. `LASD booking system`): kept in the gallery log;
    /// a DMV/Cal-Photo source is refused ([`log::forbidden_source`]).
    pub source: String,
}

/// One row of a candidate list.
#[derive(Debug, Clone, Serialize)]
pub struct Candidate {
    /// 1 = most similar.
    pub rank: u32,
    /// Cosine similarity of the probe with this subject's best template (-1..=1).
    pub score: f32,
    /// Calibrated false-match rate of `score` (see docs/FACE.md).
    pub fmr: Fmr,
    pub subject_id: i64,
    pub subject_key: String,
    pub name: String,
    pub booking_number: String,
    pub booking_date: Option<String>,
    /// The subject's best-matching photo.
    pub photo_id: i64,
    pub photo_path: String,
    pub photo_sha256: String,
    pub template_id: i64,
    pub model_id: String,
    pub model_version: String,
}

/// Counts for `frdesk gallery stats`.
#[derive(Debug, Clone, Serialize)]
pub struct GalleryStats {
    pub subjects_active: i64,
    pub subjects_removed: i64,
    pub photos_active: i64,
    pub templates_active: i64,
    /// Active templates of the engine's model (the searchable ones).
    pub templates_current_model: i64,
    pub model: String,
    pub index_templates: usize,
    pub index_memory_bytes: usize,
    /// How the index was loaded at start.
    pub index_origin: IndexOrigin,
}

/// How the in-memory index was obtained the last time it was loaded.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct IndexOrigin {
    /// `file` (the saved index matched the database), `rebuilt` (from the database).
    pub kind: &'static str,
    /// Why the saved index was not used (`rebuilt` only).
    pub reason: Option<String>,
    /// Reading the database's gallery version (ids of the active templates).
    pub version_seconds: f64,
    /// Loading and checking the saved files (`file`) or rebuilding from the database and
    /// saving (`rebuilt`).
    pub seconds: f64,
}

/// The in-memory index against the database ([`Gallery::currency`]): each side's
/// (searchable templates, largest template id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Currency {
    pub memory: (u64, i64),
    pub database: (u64, i64),
}

impl Currency {
    /// The index holds exactly what the database holds.
    pub fn is_current(&self) -> bool {
        self.memory == self.database
    }
}

/// What [`Gallery::enroll`] did with one photo.
#[derive(Debug, Clone, PartialEq)]
pub enum EnrollOutcome {
    /// New photo: template ids written.
    Enrolled(Vec<i64>),
    /// A photo with this SHA-256 is already in the gallery.
    AlreadyEnrolled,
}

/// The gallery service: a database pool, the in-memory index of the engine's
/// model and the model's FMR calibration.
pub struct Gallery {
    pool: DbPool,
    model_id: String,
    model_version: String,
    index: RwLock<TemplateIndex>,
    calibration: Calibration,
    /// Where the index is saved (`None`: an unnamed temporary file holds the f32 rows).
    index_dir: Option<PathBuf>,
    origin: RwLock<IndexOrigin>,
    /// Held while the index is rebuilt, so two rebuilds never write the same files.
    rebuilding: std::sync::Mutex<()>,
    /// The newest gallery-log id the index has followed ([`Self::follow`]): the gallery
    /// version a search runs against.
    followed: std::sync::Mutex<i64>,
    /// Where enrollment keeps a copy of each booking photo (`storage.backend = "database"`,
    /// so every instance can show it); unset, a photo row names the file it was enrolled from.
    photo_store: std::sync::OnceLock<Storage>,
}

/// How far back (in log ids) [`Gallery::follow`] reads again on every pass: a PostgreSQL
/// transaction can commit a log row with a smaller id after a larger one was read. Applying a
/// row twice changes nothing.
pub const FOLLOW_WINDOW: i64 = 1_000;

impl Gallery {
    /// Enrollment from now on keeps a copy of each booking photo in `storage`
    /// (`gallery/ab/cd/<sha256>.<ext>`) and names that copy in the photo row. Set once; a
    /// second call is ignored.
    pub fn keep_photos_in(&self, storage: Storage) {
        let _ = self.photo_store.set(storage);
    }

    /// The store enrollment copies booking photos into, if any ([`Self::keep_photos_in`]).
    pub fn photo_store(&self) -> Option<&Storage> {
        self.photo_store.get()
    }

    /// [`Self::open_in`] without a saved index: the index is rebuilt from the database and its
    /// f32 rows kept in an unnamed temporary file (small galleries, tools, tests).
    pub fn open(pool: DbPool, engine: &FaceEngine) -> Result<Self, GalleryError> {
        Self::open_in(pool, engine, None)
    }

    /// The index folder of an instance: `<data_dir>/gallery-index`.
    pub fn index_dir_in(data_dir: &Path) -> PathBuf {
        data_dir.join("gallery-index")
    }

    /// Opens the gallery for `engine`'s embedder model: reads the calibration
    /// file named in the model manifest and loads the index of every active template of that
    /// model — from its saved files in `index_dir` when they were built from the database's
    /// current [`GalleryVersion`] and pass their checksums, else rebuilt from the database
    /// (and saved there). Both times are logged and kept in [`GalleryStats::index_origin`].
    ///
    /// Errors: calibration of another model, database, invalid stored template.
    pub fn open_in(
        pool: DbPool,
        engine: &FaceEngine,
        index_dir: Option<&Path>,
    ) -> Result<Self, GalleryError> {
        let path = engine.manifest().calibration_path();
        let calibration =
            Calibration::load(&path).map_err(|e| GalleryError::Calibration(e.to_string()))?;
        if calibration.model_id != engine.model_id()
            || calibration.model_version != engine.model_version()
        {
            return Err(GalleryError::Calibration(format!(
                "{} is for {}/{}, the engine runs {}/{}",
                path.display(),
                calibration.model_id,
                calibration.model_version,
                engine.model_id(),
                engine.model_version()
            )));
        }
        let g = Self {
            pool,
            model_id: engine.model_id().to_string(),
            model_version: engine.model_version().to_string(),
            index: RwLock::new(TemplateIndex::new(engine.template_dim())),
            calibration,
            index_dir: index_dir.map(Path::to_path_buf),
            origin: RwLock::new(IndexOrigin::default()),
            rebuilding: std::sync::Mutex::new(()),
            followed: std::sync::Mutex::new(0),
            photo_store: std::sync::OnceLock::new(),
        };
        g.load_or_rebuild()?;
        Ok(g)
    }

    /// The database's [`GalleryVersion`] of this model (reads the ids of the active templates,
    /// an index-only scan).
    pub fn db_version(&self) -> Result<GalleryVersion, GalleryError> {
        let mut conn = self.pool.get()?;
        let ids = gallery_templates::table
            .filter(gallery_templates::model_id.eq(&self.model_id))
            .filter(gallery_templates::model_version.eq(&self.model_version))
            .filter(gallery_templates::active.eq(true))
            .order(gallery_templates::id)
            .select(gallery_templates::id)
            .load_iter::<i64, diesel::connection::DefaultLoadingMode>(&mut conn)?;
        let mut v = GalleryVersion::default();
        for id in ids {
            v.add(id?);
        }
        Ok(v)
    }

    /// Whether the in-memory index holds the database's searchable templates of this model:
    /// (number, largest id) of the index's live rows against the database's active templates
    /// (one aggregate query). Enrolment only adds larger ids and removal only deactivates
    /// templates, so any change since the index was loaded changes one of the two.
    ///
    /// Errors: database.
    pub fn currency(&self) -> Result<Currency, GalleryError> {
        let memory = self
            .index
            .read()
            .map_err(|_| GalleryError::Poisoned)?
            .live_summary();
        let mut conn = self.pool.get()?;
        let (count, max): (i64, Option<i64>) = gallery_templates::table
            .filter(gallery_templates::active.eq(true))
            .filter(gallery_templates::model_id.eq(&self.model_id))
            .filter(gallery_templates::model_version.eq(&self.model_version))
            .select((
                diesel::dsl::count_star(),
                diesel::dsl::max(gallery_templates::id),
            ))
            .first(&mut conn)?;
        Ok(Currency {
            memory,
            database: (u64::try_from(count).unwrap_or(0), max.unwrap_or(0)),
        })
    }

    /// The gallery version this instance's index holds: the newest gallery-log id it has
    /// followed (0 for an empty log). A search records it.
    pub fn version(&self) -> i64 {
        self.followed.lock().map(|v| *v).unwrap_or(0)
    }

    /// The newest gallery-log id in the database (0 for an empty log).
    fn log_head(&self) -> Result<i64, GalleryError> {
        let mut conn = self.pool.get()?;
        let head: Option<i64> = schema::gallery_log::table
            .select(diesel::dsl::max(schema::gallery_log::id))
            .first(&mut conn)?;
        Ok(head.unwrap_or(0))
    }

    /// Brings the index up to the gallery log: every template enrolled and every template
    /// removed since the last pass — by this instance or any other on the same database
    /// (issue 18). Rows of other models are skipped; the rows of the last [`FOLLOW_WINDOW`]
    /// ids are read again (late commits), and applying a row twice changes nothing. Returns
    /// how many templates were added or removed.
    ///
    /// Errors: database; a stored template of the wrong length.
    pub fn follow(&self) -> Result<usize, GalleryError> {
        use schema::gallery_log as gl;
        let mut at = self.followed.lock().map_err(|_| GalleryError::Poisoned)?;
        let mut conn = self.pool.get()?;
        let rows: Vec<(i64, String, i64, String, String)> = gl::table
            .filter(gl::id.gt(*at - FOLLOW_WINDOW))
            .order(gl::id.asc())
            .select((
                gl::id,
                gl::action,
                gl::template_id,
                gl::model_id,
                gl::model_version,
            ))
            .load(&mut conn)?;
        let ours = |m: &str, v: &str| m == self.model_id && v == self.model_version;
        let wanted: Vec<i64> = {
            let idx = self.index.read().map_err(|_| GalleryError::Poisoned)?;
            rows.iter()
                .filter(|r| r.1 == log::ENROLL && ours(&r.3, &r.4) && !idx.contains(r.2))
                .map(|r| r.2)
                .collect()
        };
        let mut vectors: HashMap<i64, (i64, Vec<u8>)> = HashMap::new();
        for chunk in wanted.chunks(500) {
            let found: Vec<(i64, i64, Vec<u8>)> = gallery_templates::table
                .filter(gallery_templates::id.eq_any(chunk))
                .filter(gallery_templates::active.eq(true))
                .select((
                    gallery_templates::id,
                    gallery_templates::subject_id,
                    gallery_templates::vector,
                ))
                .load(&mut conn)?;
            vectors.extend(found.into_iter().map(|(t, s, v)| (t, (s, v))));
        }
        drop(conn);
        let mut idx = self.index.write().map_err(|_| GalleryError::Poisoned)?;
        let dim = idx.dim();
        let mut changed = 0;
        let mut buf = Vec::with_capacity(dim);
        for (_, action, tid, m, v) in &rows {
            if !ours(m, v) {
                continue;
            }
            if action == log::ENROLL && !idx.contains(*tid) {
                let Some((sid, bytes)) = vectors.get(tid) else {
                    continue; // removed again before this pass saw it
                };
                buf.clear();
                if !vector_from_le_bytes(bytes, &mut buf) || !idx.push(*tid, *sid, &buf) {
                    return Err(GalleryError::Invalid(format!(
                        "template {tid} has {} bytes, expected {}",
                        bytes.len(),
                        dim * 4
                    )));
                }
                changed += 1;
            } else if action == log::REMOVE && idx.remove_template(*tid) {
                changed += 1;
            }
        }
        if let Some(last) = rows.last() {
            *at = (*at).max(last.0);
        }
        if changed > 0 {
            tracing::info!(changed, version = *at, model = %self.model_key(), "Gallery index followed the gallery log");
        }
        Ok(changed)
    }

    /// Uses the saved index when it matches the database, else rebuilds it.
    fn load_or_rebuild(&self) -> Result<usize, GalleryError> {
        let Some(dir) = &self.index_dir else {
            return self.reload();
        };
        let t = Instant::now();
        let head = self.log_head()?;
        let version = self.db_version()?;
        let version_seconds = t.elapsed().as_secs_f64();
        let dim = self.index.read().map_err(|_| GalleryError::Poisoned)?.dim();
        let files = IndexFiles::new(dir, &self.model_key());
        let t = Instant::now();
        match index_file::load(&files, &self.model_key(), dim, &version) {
            Ok(idx) => {
                let seconds = t.elapsed().as_secs_f64();
                let n = idx.len();
                tracing::info!(
                    templates = n,
                    model = %self.model_key(),
                    version_seconds,
                    load_seconds = seconds,
                    kernel = idx.kernel().name(),
                    "Gallery index loaded from its file"
                );
                *self.index.write().map_err(|_| GalleryError::Poisoned)? = idx;
                *self.followed.lock().map_err(|_| GalleryError::Poisoned)? = head;
                *self.origin.write().map_err(|_| GalleryError::Poisoned)? = IndexOrigin {
                    kind: "file",
                    reason: None,
                    version_seconds,
                    seconds,
                };
                Ok(n)
            }
            Err(e) => {
                tracing::info!(reason = %e, model = %self.model_key(), "Gallery index file not used; rebuilding from the database");
                let n = self.reload()?;
                let mut o = self.origin.write().map_err(|_| GalleryError::Poisoned)?;
                o.reason = Some(e.to_string());
                o.version_seconds = version_seconds;
                Ok(n)
            }
        }
    }

    /// How the index was obtained (saved file or rebuilt, and how long it took).
    pub fn index_origin(&self) -> IndexOrigin {
        self.origin.read().map(|o| o.clone()).unwrap_or_default()
    }

    pub fn pool(&self) -> &DbPool {
        &self.pool
    }

    pub fn calibration(&self) -> &Calibration {
        &self.calibration
    }

    /// `id/version` of the model this gallery searches.
    pub fn model_key(&self) -> String {
        format!("{}/{}", self.model_id, self.model_version)
    }

    /// Rebuilds the index from the database: compact rows on the heap, f32 rows streamed to
    /// a file (saved with the index when the gallery has an index folder). Returns the number
    /// of searchable templates; the time is logged and kept in [`Self::index_origin`].
    pub fn reload(&self) -> Result<usize, GalleryError> {
        let _one_at_a_time = self.rebuilding.lock().map_err(|_| GalleryError::Poisoned)?;
        let t = Instant::now();
        let head = self.log_head()?;
        let dim = self.index.read().map_err(|_| GalleryError::Poisoned)?.dim();
        let mut conn = self.pool.get()?;
        let n = TemplateRow::count_active(&mut conn, &self.model_id, &self.model_version)?;
        let files = match &self.index_dir {
            Some(dir) => {
                std::fs::create_dir_all(dir)?;
                Some(IndexFiles::new(dir, &self.model_key()))
            }
            None => None,
        };
        let rows_file = match &files {
            Some(f) => std::fs::OpenOptions::new()
                .create(true)
                .truncate(true)
                .read(true)
                .write(true)
                .open(f.rows_tmp())?,
            None => tempfile::tempfile()?,
        };
        let mut idx = IndexBuilder::new(dim, usize::try_from(n).unwrap_or(0), rows_file);
        let mut version = GalleryVersion::default();
        let mut buf = Vec::with_capacity(dim);
        let rows = gallery_templates::table
            .filter(gallery_templates::active.eq(true))
            .filter(gallery_templates::model_id.eq(&self.model_id))
            .filter(gallery_templates::model_version.eq(&self.model_version))
            .order(gallery_templates::id)
            .select((
                gallery_templates::id,
                gallery_templates::subject_id,
                gallery_templates::vector,
            ))
            .load_iter::<(i64, i64, Vec<u8>), diesel::connection::DefaultLoadingMode>(&mut conn)?;
        for row in rows {
            let (tid, sid, bytes) = row?;
            buf.clear();
            if !vector_from_le_bytes(&bytes, &mut buf) || !idx.push(tid, sid, &buf)? {
                return Err(GalleryError::Invalid(format!(
                    "template {tid} has {} bytes, expected {}",
                    bytes.len(),
                    dim * 4
                )));
            }
            version.add(tid);
        }
        drop(conn);
        let (idx, rows_crc) = idx.finish()?;
        if let Some(files) = &files
            && let Err(e) = index_file::save(files, &self.model_key(), &version, &idx, rows_crc)
        {
            // The index in memory is complete; only the next start will rebuild again.
            tracing::warn!(error = %e, path = %files.index.display(), "Failed to save the gallery index file");
        }
        let len = idx.len();
        let seconds = t.elapsed().as_secs_f64();
        tracing::info!(
            templates = len,
            model = %self.model_key(),
            rebuild_seconds = seconds,
            kernel = idx.kernel().name(),
            "Gallery index rebuilt from the database"
        );
        *self.index.write().map_err(|_| GalleryError::Poisoned)? = idx;
        *self.followed.lock().map_err(|_| GalleryError::Poisoned)? = head;
        *self.origin.write().map_err(|_| GalleryError::Poisoned)? = IndexOrigin {
            kind: "rebuilt",
            reason: None,
            version_seconds: 0.0,
            seconds,
        };
        Ok(len)
    }

    /// Searchable templates in memory.
    pub fn len(&self) -> usize {
        self.index.read().map(|i| i.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Exact 1:N search: compares `probe` with every active template of the
    /// gallery's model and returns up to `max_candidates` subjects (one row per
    /// subject, with its best photo), most similar first, each with its
    /// calibrated false-match rate. The probe is never stored. When an f32 row of the saved
    /// index cannot be read or fails its checksum, the index is rebuilt from the database and
    /// the search run again ([`Self::index_origin`] then says why).
    ///
    /// Errors: [`GalleryError::CandidateCount`] outside 2..=50,
    /// [`GalleryError::ModelMismatch`] for a template of another model,
    /// [`GalleryError::IndexFile`] when rows are still unreadable after the rebuild.
    pub fn search(
        &self,
        probe: &Template,
        max_candidates: usize,
    ) -> Result<Vec<Candidate>, GalleryError> {
        if !(MIN_CANDIDATES..=MAX_CANDIDATES).contains(&max_candidates) {
            return Err(GalleryError::CandidateCount(max_candidates));
        }
        let dim = self.index.read().map_err(|_| GalleryError::Poisoned)?.dim();
        if probe.model_id != self.model_id
            || probe.model_version != self.model_version
            || probe.vector.len() != dim
        {
            return Err(GalleryError::ModelMismatch {
                expected: self.model_key(),
                got: probe.model_key(),
            });
        }
        let (mut hits, stats) = self.search_index(probe, max_candidates)?;
        if stats.unreadable > 0 {
            // A row the re-rank could not read (or that failed its checksum) might have been a
            // candidate: that list is never used. The index is rebuilt from the database (the
            // truth) and searched again; if that fails too, no list at all rather than a list
            // that silently misses someone (the job fails and is retried).
            tracing::error!(
                rows = stats.unreadable,
                model = %self.model_key(),
                "Gallery index rows unreadable or corrupt; rebuilding the index from the database"
            );
            self.reload()?;
            if let Ok(mut o) = self.origin.write() {
                o.reason = Some(format!(
                    "corrupt index file: {} f32 row(s) failed their checksum or could not be read",
                    stats.unreadable
                ));
            }
            let (again, stats) = self.search_index(probe, max_candidates)?;
            if stats.unreadable > 0 {
                return Err(GalleryError::IndexFile(std::io::Error::other(format!(
                    "{} gallery index row(s) could not be read",
                    stats.unreadable
                ))));
            }
            hits = again;
        }
        self.candidates(&hits)
    }

    /// One timed search of the in-memory index.
    fn search_index(
        &self,
        probe: &Template,
        max_candidates: usize,
    ) -> Result<(Vec<Hit>, SearchStats), GalleryError> {
        let t = Instant::now();
        let (hits, stats) = self
            .index
            .read()
            .map_err(|_| GalleryError::Poisoned)?
            .search_with_stats(&probe.vector, max_candidates);
        tracing::debug!(
            search_ms = t.elapsed().as_secs_f64() * 1000.0,
            rescored = stats.rescored,
            passes = stats.passes,
            bound = stats.bound,
            "Gallery searched"
        );
        Ok((hits, stats))
    }

    /// Subject and booking data of search hits (one query).
    fn candidates(&self, hits: &[Hit]) -> Result<Vec<Candidate>, GalleryError> {
        if hits.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.pool.get()?;
        let ids: Vec<i64> = hits.iter().map(|h| h.template_id).collect();
        let rows: Vec<(i64, Photo, Subject)> = gallery_templates::table
            .inner_join(gallery_photos::table.inner_join(gallery_subjects::table))
            .filter(gallery_templates::id.eq_any(&ids))
            .select((
                gallery_templates::id,
                Photo::as_select(),
                Subject::as_select(),
            ))
            .load(&mut conn)?;
        let by_id: HashMap<i64, (Photo, Subject)> =
            rows.into_iter().map(|(t, p, s)| (t, (p, s))).collect();
        let mut out = Vec::with_capacity(hits.len());
        for h in hits {
            // A row removed from the database after the index was read is skipped.
            let Some((p, s)) = by_id.get(&h.template_id) else {
                continue;
            };
            out.push(Candidate {
                rank: out.len() as u32 + 1,
                score: h.score,
                fmr: self.calibration.fmr(h.score),
                subject_id: s.id,
                subject_key: s.subject_key.clone(),
                name: s.name.clone(),
                booking_number: p.booking_number.clone(),
                booking_date: p.booking_date.clone(),
                photo_id: p.id,
                photo_path: p.file_path.clone(),
                photo_sha256: p.sha256.clone(),
                template_id: h.template_id,
                model_id: self.model_id.clone(),
                model_version: self.model_version.clone(),
            });
        }
        Ok(out)
    }

    /// Enrolls one photo: subject (created if new), photo row and one template
    /// per face in `faces`, in one transaction; then adds the templates to the
    /// index. A photo whose SHA-256 is already present is skipped.
    ///
    /// Each template gets an `enroll` row in the gallery log ([`log`]) in the same
    /// transaction, with the record's source and `by`'s actor and reason.
    ///
    /// Errors: [`GalleryError::Invalid`] for a removed subject, a bad booking
    /// date, a DMV/Cal-Photo source or a template of another model; database errors.
    pub fn enroll(
        &self,
        record: &BookingRecord,
        sha256: &str,
        file_path: &str,
        faces: &[FaceAnalysis],
        by: &log::GalleryChange,
    ) -> Result<EnrollOutcome, GalleryError> {
        Self::validate(record)?;
        for f in faces {
            if f.template.model_id != self.model_id
                || f.template.model_version != self.model_version
            {
                return Err(GalleryError::ModelMismatch {
                    expected: self.model_key(),
                    got: f.template.model_key(),
                });
            }
        }
        let mut conn = self.pool.get()?;
        let result = conn.transaction::<_, GalleryError, _>(|conn| {
            if Photo::by_sha256(conn, sha256)?.is_some() {
                return Ok(None);
            }
            let subject = Subject::find_or_create(conn, &record.subject_key, &record.name)?;
            if !subject.active {
                return Err(GalleryError::Invalid(format!(
                    "subject {} was removed; it is not re-enrolled",
                    record.subject_key
                )));
            }
            let now = Utc::now().naive_utc();
            diesel::insert_into(gallery_photos::table)
                .values(NewPhoto {
                    subject_id: subject.id,
                    booking_number: &record.booking_number,
                    booking_date: record.booking_date.as_deref(),
                    sha256,
                    file_path,
                    active: true,
                    created_at: now,
                })
                .execute(conn)?;
            let photo = Photo::by_sha256(conn, sha256)?.ok_or(diesel::result::Error::NotFound)?;
            let mut ids = Vec::new();
            for f in faces {
                let bytes = f.template.to_le_bytes();
                let b = &f.face.bbox;
                let face_box = serde_json::to_string(&[b.x, b.y, b.width, b.height])
                    .map_err(|e| GalleryError::Invalid(e.to_string()))?;
                let landmarks = serde_json::to_string(&f.face.landmarks)
                    .map_err(|e| GalleryError::Invalid(e.to_string()))?;
                diesel::insert_into(gallery_templates::table)
                    .values(NewTemplate {
                        photo_id: photo.id,
                        subject_id: subject.id,
                        model_id: &self.model_id,
                        model_version: &self.model_version,
                        vector: &bytes,
                        face_box: &face_box,
                        landmarks: &landmarks,
                        detector_score: f64::from(f.face.score),
                        active: true,
                        created_at: now,
                    })
                    .execute(conn)?;
                let id: i64 = gallery_templates::table
                    .filter(gallery_templates::photo_id.eq(photo.id))
                    .select(gallery_templates::id)
                    .order(gallery_templates::id.desc())
                    .first(conn)?;
                ids.push((id, subject.id));
            }
            let rows: Vec<log::NewLogEntry> = ids
                .iter()
                .map(|(template_id, subject_id)| log::NewLogEntry {
                    at: now,
                    action: log::ENROLL.into(),
                    template_id: *template_id,
                    subject_id: *subject_id,
                    subject_key: subject.subject_key.clone(),
                    model_id: self.model_id.clone(),
                    model_version: self.model_version.clone(),
                    photo_sha256: sha256.to_string(),
                    booking_number: record.booking_number.clone(),
                    source_system: record.source.trim().to_string(),
                    reason: by.reason.clone(),
                    actor: by.actor.clone(),
                })
                .collect();
            log::append(conn, &rows)?;
            Ok(Some(ids))
        })?;
        let Some(ids) = result else {
            return Ok(EnrollOutcome::AlreadyEnrolled);
        };
        let mut idx = self.index.write().map_err(|_| GalleryError::Poisoned)?;
        for ((tid, sid), f) in ids.iter().zip(faces) {
            // The follower ([`Self::follow`]) may have added it from the log already.
            if !idx.contains(*tid) {
                idx.push(*tid, *sid, &f.template.vector);
            }
        }
        Ok(EnrollOutcome::Enrolled(
            ids.into_iter().map(|(t, _)| t).collect(),
        ))
    }

    fn validate(r: &BookingRecord) -> Result<(), GalleryError> {
        if r.subject_key.trim().is_empty() {
            return Err(GalleryError::Invalid("empty subject id".into()));
        }
        if r.source.trim().is_empty() {
            return Err(GalleryError::Invalid(
                "the photo's source system is not declared".into(),
            ));
        }
        if let Some(why) = log::forbidden_source(&r.source) {
            return Err(GalleryError::Invalid(why));
        }
        if let Some(d) = &r.booking_date {
            chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| {
                GalleryError::Invalid(format!("booking date `{d}` is not YYYY-MM-DD"))
            })?;
        }
        Ok(())
    }

    /// Logically removes a subject (see [`Subject::remove`]) and drops its
    /// templates from the index. Returns false when no active subject has this key.
    pub fn remove_subject(
        &self,
        subject_key: &str,
        by: &log::GalleryChange,
    ) -> Result<bool, GalleryError> {
        let mut conn = self.pool.get()?;
        let Some(s) = Subject::remove(&mut conn, subject_key, by)? else {
            return Ok(false);
        };
        self.index
            .write()
            .map_err(|_| GalleryError::Poisoned)?
            .remove_subject(s.id);
        Ok(true)
    }

    /// SHA-256 of every photo already enrolled.
    pub fn enrolled_sha256(&self) -> Result<std::collections::HashSet<String>, GalleryError> {
        let mut conn = self.pool.get()?;
        Ok(Photo::all_sha256(&mut conn)?.into_iter().collect())
    }

    pub fn stats(&self) -> Result<GalleryStats, GalleryError> {
        let mut conn = self.pool.get()?;
        let subjects_active = gallery_subjects::table
            .filter(gallery_subjects::active.eq(true))
            .count()
            .get_result(&mut conn)?;
        let subjects_removed = gallery_subjects::table
            .filter(gallery_subjects::active.eq(false))
            .count()
            .get_result(&mut conn)?;
        let photos_active = gallery_photos::table
            .filter(gallery_photos::active.eq(true))
            .count()
            .get_result(&mut conn)?;
        let templates_active = gallery_templates::table
            .filter(gallery_templates::active.eq(true))
            .count()
            .get_result(&mut conn)?;
        let templates_current_model =
            TemplateRow::count_active(&mut conn, &self.model_id, &self.model_version)?;
        let idx = self.index.read().map_err(|_| GalleryError::Poisoned)?;
        Ok(GalleryStats {
            subjects_active,
            subjects_removed,
            photos_active,
            templates_active,
            templates_current_model,
            model: self.model_key(),
            index_templates: idx.len(),
            index_memory_bytes: idx.memory_bytes(),
            index_origin: self.index_origin(),
        })
    }
}
