//! The tantivy index: schema, opening (and rebuilding when unusable), keeping it current, and
//! searching it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use tantivy::collector::{Count, TopDocs};
use tantivy::directory::error::LockError;
use tantivy::query::{Query, QueryParser};
use tantivy::schema::{Field, Value};
use tantivy::snippet::{Snippet, SnippetGenerator};

use tantivy::{DocAddress, Index, IndexReader, IndexWriter, Order, ReloadPolicy, TantivyDocument};

use crate::cases::store::CaseScope;
use crate::history::doc::{CaseDoc, HistoryHit, HistoryResults, MAX_PAGE, PAGE_SIZE, SnippetPart};
use crate::history::query::{self, HistoryQuery, Sort};
use crate::history::schema::{
    CASE_NUMBER_KEY, FILED, Fields, case_number_key, from_date, schema, schema_with, to_date,
};
use crate::history::source;
use crate::platform::db::{DbConnection, DbPool};

/// Bump when the schema or what goes into a document changes: an index with another version is
/// deleted and rebuilt at start-up.
pub const SCHEMA_VERSION: u32 = 2;

/// File beside the index segments holding [`SCHEMA_VERSION`].
const VERSION_FILE: &str = "frdesk-schema-version";

/// Timeline events read per catch-up batch.
const EVENT_BATCH: i64 = 2_000;

/// How long a gap in the timeline ids is watched for a late commit (PostgreSQL sequences hand
/// out ids before commit, so a lower id can become visible after a higher one).
const HOLE_WATCH: Duration = Duration::from_secs(120);

/// Length of a result snippet, in characters.
const SNIPPET_CHARS: usize = 180;

/// What the index remembers in its commit payload.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Payload {
    /// The highest `timeline_events.id` whose changes are in the index.
    last_event_id: i64,
}

/// What the catch-up task remembers between passes.
#[derive(Debug, Default)]
struct CatchUp {
    last_event_id: i64,
    /// Ids below `last_event_id` not seen yet, with when the gap was noticed.
    holes: BTreeMap<i64, Instant>,
    /// Cases to refresh at the next pass whatever the timeline says (e.g. a draft re-saved).
    dirty: BTreeSet<i64>,
}

/// Outcome of [`HistoryIndex::rebuild`].
#[derive(Debug, Clone, Copy)]
pub struct RebuildReport {
    pub cases: usize,
    pub seconds: f64,
}

/// Outcome of one [`HistoryIndex::catch_up`] pass.
#[derive(Debug, Clone, Copy, Default)]
pub struct CatchUpReport {
    /// Cases re-read from the database.
    pub refreshed: usize,
    /// More events are waiting (run another pass at once).
    pub more: bool,
}

/// The case-history index. Cheap to share (`Arc`); searches run concurrently; writes take the
/// index's writer lock for the length of one pass, so `frdesk reindex` can run beside a server.
pub struct HistoryIndex {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    staff_parser: QueryParser,
    agency_parser: QueryParser,
    /// Service staff who compare candidates (examiners, supervisors): no messages.
    blind_parser: QueryParser,
    /// The folder, or `None` for an index in memory (fallback when the folder is unusable).
    dir: Option<PathBuf>,
    state: Mutex<CatchUp>,
}

impl HistoryIndex {
    /// `<data_dir>/history-index`.
    pub fn dir_in(data_dir: &Path) -> PathBuf {
        data_dir.join(crate::history::doc::INDEX_DIR)
    }

    /// Opens the index in `dir`; if it is missing, unreadable, corrupt or of another
    /// [`SCHEMA_VERSION`], deletes it and rebuilds it from the database (logging a warning).
    /// Never fails because of the index: if the folder cannot be written the index lives in
    /// memory, and if the rebuild fails the catch-up task fills the index from the timeline.
    ///
    /// Errors: only if not even an in-memory index can be opened.
    pub fn open_or_rebuild(dir: &Path, pool: &DbPool) -> anyhow::Result<HistoryIndex> {
        let problem = match Self::open(dir) {
            Ok(idx) => return Ok(idx),
            Err(e) => e,
        };
        if dir.exists() {
            tracing::warn!(dir = %dir.display(), problem = %format!("{problem:#}"), "History index unusable; rebuilding it from the database");
        } else {
            tracing::warn!(dir = %dir.display(), "No history index yet; building it from the database");
        }
        let idx = match Self::create(dir) {
            Ok(idx) => idx,
            Err(e) => {
                tracing::error!(dir = %dir.display(), error = %format!("{e:#}"), "Cannot write the history index folder; keeping the index in memory");
                Self::in_memory()?
            }
        };
        match idx.rebuild(pool) {
            Ok(r) => {
                tracing::info!(
                    cases = r.cases,
                    seconds = r.seconds,
                    "History index rebuilt"
                )
            }
            Err(e) => {
                tracing::error!(error = %format!("{e:#}"), "History index rebuild failed; the catch-up task will fill it")
            }
        }
        Ok(idx)
    }

    /// Opens an existing index, checking its version, schema and checksums.
    ///
    /// Errors: missing folder, other version, unreadable or corrupt files.
    pub fn open(dir: &Path) -> anyhow::Result<HistoryIndex> {
        let version = std::fs::read_to_string(dir.join(VERSION_FILE))
            .with_context(|| format!("Failed to read {}", dir.join(VERSION_FILE).display()))?;
        if version.trim() != SCHEMA_VERSION.to_string() {
            bail!(
                "index schema version {} differs from {SCHEMA_VERSION}",
                version.trim()
            );
        }
        let index = Index::open_in_dir(dir).context("Failed to open the index")?;
        let (expected, _) = schema(true);
        if serde_json::to_string(&index.schema())? != serde_json::to_string(&expected)? {
            bail!("index schema differs from this version's");
        }
        let damaged = index
            .validate_checksum()
            .context("Failed to check the index files")?;
        if !damaged.is_empty() {
            bail!("{} index file(s) fail their checksum", damaged.len());
        }
        let idx = Self::wrap(index, Some(dir.to_path_buf()))?;
        idx.reader.searcher().num_docs();
        let payload = idx.payload()?;
        idx.lock_state()?.last_event_id = payload.last_event_id;
        Ok(idx)
    }

    /// Creates a new, empty index in `dir` (which must be empty or absent).
    ///
    /// Errors: the folder cannot be created or written.
    pub fn create(dir: &Path) -> anyhow::Result<HistoryIndex> {
        if dir.exists() {
            std::fs::remove_dir_all(dir)
                .with_context(|| format!("Failed to delete {}", dir.display()))?;
        }
        std::fs::create_dir_all(dir)
            .with_context(|| format!("Failed to create {}", dir.display()))?;
        let (s, _) = schema(true);
        let index = Index::create_in_dir(dir, s).context("Failed to create the index")?;
        std::fs::write(dir.join(VERSION_FILE), SCHEMA_VERSION.to_string())
            .with_context(|| format!("Failed to write {}", dir.join(VERSION_FILE).display()))?;
        Self::wrap(index, Some(dir.to_path_buf()))
    }

    /// A new, empty index in memory (tests; fallback).
    pub fn in_memory() -> anyhow::Result<HistoryIndex> {
        let (s, _) = schema(true);
        Self::wrap(Index::create_in_ram(s), None)
    }

    fn wrap(index: Index, dir: Option<PathBuf>) -> anyhow::Result<HistoryIndex> {
        let (_, fields) = schema(true);
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::OnCommitWithDelay)
            .try_into()
            .context("Failed to open an index reader")?;
        let staff_parser = query::parser(&index, schema(true).0, &fields, true, true);
        let agency_parser = query::parser(&index, schema(false).0, &fields, false, true);
        let blind_parser = query::parser(&index, schema_with(true, false).0, &fields, true, false);
        Ok(HistoryIndex {
            index,
            reader,
            fields,
            staff_parser,
            agency_parser,
            blind_parser,
            dir,
            state: Mutex::new(CatchUp::default()),
        })
    }

    fn lock_state(&self) -> anyhow::Result<std::sync::MutexGuard<'_, CatchUp>> {
        self.state
            .lock()
            .map_err(|_| anyhow::anyhow!("history index state lock poisoned"))
    }

    fn payload(&self) -> anyhow::Result<Payload> {
        let metas = self
            .index
            .load_metas()
            .context("Failed to read index metadata")?;
        Ok(match metas.payload {
            Some(p) => serde_json::from_str(&p).context("Bad index commit payload")?,
            None => Payload::default(),
        })
    }

    /// The highest timeline event id included, as committed.
    ///
    /// Errors: the index metadata cannot be read.
    pub fn last_event_id(&self) -> anyhow::Result<i64> {
        Ok(self.payload()?.last_event_id)
    }

    /// Number of cases in the index (as of the last reload).
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Bytes of the index folder on disk (0 in memory).
    pub fn size_bytes(&self) -> u64 {
        fn walk(p: &Path) -> u64 {
            std::fs::read_dir(p)
                .map(|rd| {
                    rd.flatten()
                        .map(|e| match e.metadata() {
                            Ok(m) if m.is_dir() => walk(&e.path()),
                            Ok(m) => m.len(),
                            Err(_) => 0,
                        })
                        .sum()
                })
                .unwrap_or(0)
        }
        self.dir.as_deref().map(walk).unwrap_or(0)
    }

    /// Takes the writer lock, retrying for up to `wait`; `None` if another writer (another
    /// process, e.g. `frdesk reindex`) still holds it.
    fn writer(
        &self,
        threads: usize,
        budget: usize,
        wait: Duration,
    ) -> anyhow::Result<Option<IndexWriter>> {
        let start = Instant::now();
        loop {
            match self.index.writer_with_num_threads(threads, budget) {
                Ok(w) => return Ok(Some(w)),
                Err(tantivy::TantivyError::LockFailure(LockError::LockBusy, _)) => {
                    if start.elapsed() >= wait {
                        return Ok(None);
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(e) => return Err(e).context("Failed to open the index writer"),
            }
        }
    }

    fn commit(&self, mut writer: IndexWriter, last_event_id: i64) -> anyhow::Result<()> {
        let mut prepared = writer
            .prepare_commit()
            .context("Failed to prepare the index commit")?;
        prepared.set_payload(&serde_json::to_string(&Payload { last_event_id })?);
        prepared.commit().context("Failed to commit the index")?;
        writer
            .wait_merging_threads()
            .context("Failed to finish index merges")?;
        self.reader.reload().context("Failed to reload the index")?;
        Ok(())
    }

    fn to_doc(&self, d: &CaseDoc) -> TantivyDocument {
        let f = &self.fields;
        let mut doc = TantivyDocument::default();
        doc.add_i64(f.case_id, d.case_id);
        if let Some(n) = &d.case_number {
            doc.add_text(f.case_number, n);
        }
        doc.add_text(f.case_number_key, case_number_key(d));
        doc.add_i64(f.agency_id, d.agency_id);
        doc.add_text(f.agency_name, &d.agency_name);
        doc.add_text(f.requester_name, &d.requester_name);
        doc.add_text(f.reason, &d.search_reason);
        doc.add_text(f.file_number, &d.case_file_number);
        doc.add_text(f.status, &d.status);
        doc.add_date(f.created, to_date(d.created_at));
        if let Some(s) = d.submitted_at {
            doc.add_date(f.submitted, to_date(s));
        }
        doc.add_date(f.filed, to_date(d.filed_at()));
        doc.add_text(f.history, &d.history);
        if !d.examiner_notes.is_empty() {
            doc.add_text(f.notes, &d.examiner_notes);
        }
        if !d.messages.is_empty() {
            doc.add_text(f.messages, &d.messages);
        }
        doc
    }

    /// Replaces the whole index with `docs` and records `last_event_id` as included; returns the
    /// number of documents. Used by [`rebuild`](Self::rebuild) and the benchmark.
    ///
    /// Errors: the writer lock stays busy for a minute, or indexing fails.
    pub fn replace_all(
        &self,
        docs: impl IntoIterator<Item = anyhow::Result<CaseDoc>>,
        last_event_id: i64,
    ) -> anyhow::Result<usize> {
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .clamp(1, 4);
        let writer = self
            .writer(threads, threads * 50_000_000, Duration::from_secs(60))?
            .context("The history index is locked by another writer (a running `frdesk reindex`?); try again")?;
        writer
            .delete_all_documents()
            .context("Failed to clear the index")?;
        let mut n = 0;
        for d in docs {
            writer
                .add_document(self.to_doc(&d?))
                .context("Failed to add a document")?;
            n += 1;
        }
        self.commit(writer, last_event_id)?;
        let mut st = self.lock_state()?;
        st.last_event_id = st.last_event_id.max(last_event_id);
        st.holes.clear();
        Ok(n)
    }

    /// Rebuilds the index from the database (`frdesk reindex`, start-up after a loss).
    ///
    /// Errors: database errors, or the writer lock stays busy for a minute.
    pub fn rebuild(&self, pool: &DbPool) -> anyhow::Result<RebuildReport> {
        let started = Instant::now();
        let mut conn = pool.get().context("Failed to get a database connection")?;
        // Read the watermark first: events after it are caught up later, even if their
        // changes are already in what we load now.
        let watermark = source::max_event_id(&mut conn)?;
        let mut after = 0;
        let mut batch: std::vec::IntoIter<CaseDoc> = Vec::new().into_iter();
        let docs = std::iter::from_fn(|| -> Option<anyhow::Result<CaseDoc>> {
            loop {
                if let Some(d) = batch.next() {
                    return Some(Ok(d));
                }
                let ids = match source::case_ids_after(&mut conn, after, 1_000) {
                    Ok(ids) => ids,
                    Err(e) => return Some(Err(e)),
                };
                let last = *ids.last()?;
                after = last;
                match source::load(&mut conn, &ids) {
                    Ok(docs) => batch = docs.into_iter(),
                    Err(e) => return Some(Err(e)),
                }
            }
        });
        let cases = self.replace_all(docs, watermark)?;
        Ok(RebuildReport {
            cases,
            seconds: started.elapsed().as_secs_f64(),
        })
    }

    /// Re-reads one case from the database and replaces its document (removes it if the case
    /// is gone), then commits.
    ///
    /// Errors: database errors; the writer lock stays busy for 10 s.
    pub fn refresh_case(&self, conn: &mut DbConnection, case_id: i64) -> anyhow::Result<()> {
        let writer = self
            .writer(1, 15_000_000, Duration::from_secs(10))?
            .context("The history index is locked by another writer; try again")?;
        let last = self.lock_state()?.last_event_id;
        self.refresh_cases(conn, &writer, &[case_id])?;
        self.commit(writer, last)
    }

    fn refresh_cases(
        &self,
        conn: &mut DbConnection,
        writer: &IndexWriter,
        ids: &[i64],
    ) -> anyhow::Result<()> {
        let docs = source::load(conn, ids)?;
        for id in ids {
            writer.delete_term(tantivy::Term::from_field_i64(self.fields.case_id, *id));
        }
        for d in &docs {
            writer
                .add_document(self.to_doc(d))
                .context("Failed to add a document")?;
        }
        Ok(())
    }

    /// Asks the next catch-up pass to refresh `case_id` (for changes that write no timeline
    /// event, such as re-saving a draft).
    pub fn mark_dirty(&self, case_id: i64) {
        if let Ok(mut st) = self.state.lock() {
            st.dirty.insert(case_id);
        }
    }

    /// One catch-up pass: refreshes the cases of timeline events newer than the last pass (and
    /// of late-committed events in earlier gaps, and cases marked dirty), in one commit.
    /// Does nothing (cheaply: one indexed query) when nothing changed, or when another process
    /// holds the writer lock (the next pass retries).
    ///
    /// Errors: database or index errors; the watermark then stays where it was.
    pub fn catch_up(&self, pool: &DbPool) -> anyhow::Result<CatchUpReport> {
        let mut conn = pool.get().context("Failed to get a database connection")?;
        let (last, holes, dirty) = {
            let mut st = self.lock_state()?;
            st.holes.retain(|_, seen| seen.elapsed() < HOLE_WATCH);
            (
                st.last_event_id,
                st.holes.keys().copied().collect::<Vec<_>>(),
                std::mem::take(&mut st.dirty),
            )
        };
        let restore = |dirty: BTreeSet<i64>| {
            if let Ok(mut st) = self.state.lock() {
                st.dirty.extend(dirty);
            }
        };
        let work = (|| -> anyhow::Result<Option<CatchUpReport>> {
            let events = source::events_after(&mut conn, last, EVENT_BATCH)?;
            let late = if holes.is_empty() {
                Vec::new()
            } else {
                source::events_with_ids(&mut conn, &holes)?
            };
            if events.is_empty() && late.is_empty() && dirty.is_empty() {
                return Ok(Some(CatchUpReport::default()));
            }
            let Some(writer) = self.writer(1, 15_000_000, Duration::ZERO)? else {
                return Ok(None);
            };
            let mut cases: BTreeSet<i64> = dirty.iter().copied().collect();
            cases.extend(events.iter().map(|e| e.1));
            cases.extend(late.iter().map(|e| e.1));
            let ids: Vec<i64> = cases.into_iter().collect();
            self.refresh_cases(&mut conn, &writer, &ids)?;
            let new_last = events.last().map(|e| e.0).unwrap_or(last).max(last);
            self.commit(writer, new_last)?;
            let mut st = self.lock_state()?;
            for (id, _) in &late {
                st.holes.remove(id);
            }
            let mut expected = last + 1;
            for (id, _) in &events {
                // A gap of thousands is not a transaction in flight: do not watch it.
                if id - expected < 1_000 {
                    for missing in expected..*id {
                        st.holes.insert(missing, Instant::now());
                    }
                }
                expected = id + 1;
            }
            st.last_event_id = st.last_event_id.max(new_last);
            Ok(Some(CatchUpReport {
                refreshed: ids.len(),
                more: i64::try_from(events.len()).unwrap_or(0) == EVENT_BATCH,
            }))
        })();
        match work {
            Ok(Some(r)) => Ok(r),
            Ok(None) => {
                restore(dirty);
                Ok(CatchUpReport::default())
            }
            Err(e) => {
                restore(dirty);
                Err(e)
            }
        }
    }

    /// Searches within `scope`: `CaseScope::Agency` adds a filter on that agency to every query
    /// and cannot match examiner notes; `CaseScope::Service` is for service staff. Returns one page
    /// of [`PAGE_SIZE`] hits, the total and any ignored parts of the free text. Snippets mark
    /// the words matched exactly, with typos or as prefixes.
    ///
    /// Errors: index read errors only (bad user input is ignored and reported in `warnings`).
    pub fn search(&self, q: &HistoryQuery, scope: CaseScope) -> anyhow::Result<HistoryResults> {
        self.search_with(q, scope, true)
    }

    /// [`search`](Self::search), with `messages = false` for examiners and supervisors: their
    /// query cannot match, and their snippets never show, a case's messages (blind
    /// examination, `domain::message`).
    ///
    /// Errors: index read errors only.
    pub fn search_with(
        &self,
        q: &HistoryQuery,
        scope: CaseScope,
        messages: bool,
    ) -> anyhow::Result<HistoryResults> {
        let page = q.page.clamp(1, MAX_PAGE);
        let (hits, total, warnings) =
            self.run_query(q, scope, messages, (page - 1) * PAGE_SIZE, PAGE_SIZE, true)?;
        Ok(HistoryResults {
            hits,
            total,
            page,
            warnings,
        })
    }

    /// Every hit of `q` in `scope` in the chosen order (no paging), at most `limit`, without
    /// snippets, with the search reason: what the CSV export writes. `messages` as in
    /// [`search_with`](Self::search_with). Returns the hits and the number of matching cases
    /// (which may exceed `limit`).
    ///
    /// Errors: index read errors only.
    pub fn export(
        &self,
        q: &HistoryQuery,
        scope: CaseScope,
        messages: bool,
        limit: usize,
    ) -> anyhow::Result<(Vec<HistoryHit>, usize)> {
        let (hits, total, _) = self.run_query(q, scope, messages, 0, limit.max(1), false)?;
        Ok((hits, total))
    }

    fn run_query(
        &self,
        q: &HistoryQuery,
        scope: CaseScope,
        messages: bool,
        offset: usize,
        limit: usize,
        snippets: bool,
    ) -> anyhow::Result<(Vec<HistoryHit>, usize, Vec<String>)> {
        let staff = matches!(scope, CaseScope::Service);
        let parser = match (staff, messages) {
            (true, true) => &self.staff_parser,
            (true, false) => &self.blind_parser,
            (false, _) => &self.agency_parser,
        };
        let built = query::build(&self.index, &self.fields, parser, q, scope, messages);
        let searcher = self.reader.searcher();
        let top = TopDocs::with_limit(limit).and_offset(offset);
        let sort = if built.text.is_none() && q.sort == Sort::Relevance {
            Sort::Newest
        } else {
            q.sort
        };
        let query: &dyn Query = &*built.query;
        let (total, addrs): (usize, Vec<DocAddress>) = match sort {
            Sort::Relevance => {
                let (n, d) = searcher.search(query, &(Count, top.order_by_score()))?;
                (n, d.into_iter().map(|x| x.1).collect())
            }
            Sort::Newest | Sort::Oldest => {
                let order = if sort == Sort::Newest {
                    Order::Desc
                } else {
                    Order::Asc
                };
                let (n, d) = searcher.search(
                    query,
                    &(
                        Count,
                        top.order_by_fast_field::<tantivy::DateTime>(FILED, order),
                    ),
                )?;
                (n, d.into_iter().map(|x| x.1).collect())
            }
            Sort::CaseNumber => {
                let (n, d) = searcher.search(
                    query,
                    &(
                        Count,
                        top.order_by_string_fast_field(CASE_NUMBER_KEY, Order::Asc),
                    ),
                )?;
                (n, d.into_iter().map(|x| x.1).collect())
            }
        };
        let f = &self.fields;
        let mut generators = Vec::new();
        if snippets
            && !addrs.is_empty()
            && let Some(text) = &built.text
        {
            let mut snippet_fields = vec![f.reason, f.history];
            if staff {
                snippet_fields.push(f.notes);
            }
            if messages || !staff {
                snippet_fields.push(f.messages);
            }
            for field in snippet_fields {
                let terms = highlight_terms(&searcher, &**text, &built.expansions, field)?;
                let tokenizer = self.index.tokenizer_for_field(field)?;
                generators.push((
                    field,
                    SnippetGenerator::new(terms, tokenizer, field, SNIPPET_CHARS),
                ));
            }
        }
        let mut hits = Vec::with_capacity(addrs.len());
        for addr in addrs {
            let doc: TantivyDocument = searcher.doc(addr)?;
            let text = |field: Field| {
                doc.get_first(field)
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default()
            };
            let case_id = doc
                .get_first(f.case_id)
                .and_then(|v| v.as_i64())
                .unwrap_or_default();
            let reason = text(f.reason);
            let snippet = if snippets {
                generators
                    .iter()
                    .map(|(field, g)| g.snippet(&text(*field)))
                    .find(|s| !s.highlighted().is_empty())
                    .map(|s| parts(&s))
                    .unwrap_or_else(|| {
                        vec![SnippetPart {
                            text: truncate(&reason, SNIPPET_CHARS),
                            hit: false,
                        }]
                    })
            } else {
                Vec::new()
            };
            let number = text(f.case_number);
            hits.push(HistoryHit {
                case_id,
                case_number: if number.is_empty() {
                    format!("Draft {case_id}")
                } else {
                    number
                },
                agency_name: text(f.agency_name),
                requester_name: text(f.requester_name),
                status: text(f.status),
                filed_at: doc
                    .get_first(f.filed)
                    .and_then(|v| v.as_datetime())
                    .map(from_date)
                    .unwrap_or_default(),
                search_reason: if snippets { String::new() } else { reason },
                snippet,
            });
        }
        Ok((hits, total, built.warnings))
    }
}

/// Most index terms one typo-tolerant or prefix word highlights (per field and segment).
const MAX_EXPANDED_TERMS: usize = 64;

/// The terms of `field` to highlight, with their weights for choosing the fragment: the exact
/// terms of `text` (weight 1 / (1 + document frequency), as tantivy's own snippets) and the
/// index terms each of `expansions` matched (tantivy's snippet generator does not see into a
/// fuzzy or prefix query, so its automaton is run over the term dictionary here; half weight).
fn highlight_terms(
    searcher: &tantivy::Searcher,
    text: &dyn Query,
    expansions: &[(Field, tantivy::query::FuzzyTermQuery)],
    field: Field,
) -> anyhow::Result<BTreeMap<String, tantivy::Score>> {
    let mut terms: BTreeMap<String, tantivy::Score> = BTreeMap::new();
    let mut exact: Vec<tantivy::Term> = Vec::new();
    text.query_terms(&mut |t, _| {
        if t.field() == field {
            exact.push(t.clone());
        }
    });
    for t in exact {
        let df = searcher.doc_freq(&t)?;
        if df > 0
            && let Some(s) = t.value().as_str()
        {
            terms.insert(s.to_string(), 1.0 / (1.0 + df as tantivy::Score));
        }
    }
    for (of, q) in expansions {
        if *of != field {
            continue;
        }
        for segment in searcher.segment_readers() {
            let inverted = segment.inverted_index(field)?;
            let mut stream = inverted.terms().search(q.automaton()?).into_stream()?;
            let mut n = 0;
            while n < MAX_EXPANDED_TERMS && stream.advance() {
                if let Ok(s) = std::str::from_utf8(stream.key()) {
                    let w = 0.5 / (1.0 + stream.value().doc_freq as tantivy::Score);
                    let e = terms.entry(s.to_string()).or_insert(w);
                    *e = e.max(w);
                }
                n += 1;
            }
        }
    }
    Ok(terms)
}

/// The snippet's fragment cut into plain and highlighted pieces (askama escapes each).
fn parts(s: &Snippet) -> Vec<SnippetPart> {
    let frag = s.fragment();
    let mut out = Vec::new();
    let mut at = 0;
    for r in s.highlighted() {
        if r.start > at
            && let Some(t) = frag.get(at..r.start)
        {
            out.push(SnippetPart {
                text: t.to_string(),
                hit: false,
            });
        }
        if let Some(t) = frag.get(r.clone()) {
            out.push(SnippetPart {
                text: t.to_string(),
                hit: true,
            });
        }
        at = r.end.max(at);
    }
    if let Some(t) = frag.get(at..).filter(|t| !t.is_empty()) {
        out.push(SnippetPart {
            text: t.to_string(),
            hit: false,
        });
    }
    out
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max).collect();
        t.push('…');
        t
    }
}
