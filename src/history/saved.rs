//! Saved searches (issue 16, "Finding and exporting"): a user keeps a history search under a
//! name (the free text and the order) and reruns it from the search page. Each user sees and
//! deletes only their own; saving and deleting are audit records (`saved_search.save`,
//! `saved_search.delete`).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::audit::{self, Actor, Entry};
use crate::domain::UserId;
use crate::history::query::{MAX_TEXT, Sort};
use crate::platform::db::DbConnection;
use crate::platform::db::schema::saved_searches;

/// Longest name, in characters.
pub const MAX_NAME: usize = 80;
/// Most saved searches per user.
pub const MAX_PER_USER: i64 = 100;

/// One saved search.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = saved_searches)]
pub struct SavedSearch {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub query_text: String,
    /// A [`Sort`] name (`relevance`, `newest`, `oldest`, `case_number`).
    pub sort: String,
    pub created_at: NaiveDateTime,
}

/// Why a search was not saved or deleted; `Display` is the user's message.
#[derive(Debug, thiserror::Error)]
pub enum SavedSearchError {
    #[error("Give the search a name.")]
    NoName,
    #[error("The name is longer than 80 characters.")]
    NameTooLong,
    #[error("You already have a saved search with this name.")]
    NameTaken,
    #[error("Type some words to search for before saving.")]
    NoText,
    #[error("You have 100 saved searches; delete one first.")]
    TooMany,
    /// Not found, or another user's (answered alike).
    #[error("No such saved search.")]
    NotFound,
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

impl SavedSearchError {
    /// The form field the message belongs beside (`name` or `q`), if any.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            SavedSearchError::NoName
            | SavedSearchError::NameTooLong
            | SavedSearchError::NameTaken
            | SavedSearchError::TooMany => Some("name"),
            SavedSearchError::NoText => Some("q"),
            _ => None,
        }
    }
}

impl SavedSearch {
    /// `user`'s saved searches, by name.
    ///
    /// Errors: database errors.
    pub fn of_user(conn: &mut DbConnection, user: UserId) -> QueryResult<Vec<SavedSearch>> {
        saved_searches::table
            .filter(saved_searches::user_id.eq(user.0))
            .order((saved_searches::name.asc(), saved_searches::id.asc()))
            .select(SavedSearch::as_select())
            .load(conn)
    }

    /// The order to rerun with (relevance if the stored name is unknown).
    pub fn sort(&self) -> Sort {
        Sort::parse(&self.sort).unwrap_or_default()
    }

    /// The search page's address that reruns this search (`/search?q=…&sort=…`).
    pub fn url(&self) -> String {
        let q: Vec<(&str, &str)> = vec![("q", &self.query_text), ("sort", self.sort().as_str())];
        format!(
            "/search?{}",
            serde_urlencoded::to_string(q).unwrap_or_default()
        )
    }
}

/// Saves `text` in `sort` order under `name` for the actor's user, in one transaction with its
/// audit record. The name and text arrive cleaned (`CsrfForm`); text is cut to
/// [`MAX_TEXT`] characters like the search itself.
///
/// Errors: a missing or taken name, an empty text, too many saved searches, database errors.
pub fn save(
    conn: &mut DbConnection,
    actor: &Actor,
    user: UserId,
    name: &str,
    text: &str,
    sort: Sort,
    at: NaiveDateTime,
) -> Result<SavedSearch, SavedSearchError> {
    let name = name.trim();
    let text: String = text.trim().chars().take(MAX_TEXT).collect();
    if name.is_empty() {
        return Err(SavedSearchError::NoName);
    }
    if name.chars().count() > MAX_NAME {
        return Err(SavedSearchError::NameTooLong);
    }
    if text.is_empty() {
        return Err(SavedSearchError::NoText);
    }
    crate::platform::db::write_tx(conn, |c| {
        let mine: i64 = saved_searches::table
            .filter(saved_searches::user_id.eq(user.0))
            .count()
            .get_result(c)?;
        if mine >= MAX_PER_USER {
            return Err(SavedSearchError::TooMany);
        }
        let taken: i64 = saved_searches::table
            .filter(saved_searches::user_id.eq(user.0))
            .filter(saved_searches::name.eq(name))
            .count()
            .get_result(c)?;
        if taken > 0 {
            return Err(SavedSearchError::NameTaken);
        }
        diesel::insert_into(saved_searches::table)
            .values((
                saved_searches::user_id.eq(user.0),
                saved_searches::name.eq(name),
                saved_searches::query_text.eq(&text),
                saved_searches::sort.eq(sort.as_str()),
                saved_searches::created_at.eq(at),
            ))
            .execute(c)?;
        let saved: SavedSearch = saved_searches::table
            .filter(saved_searches::user_id.eq(user.0))
            .filter(saved_searches::name.eq(name))
            .select(SavedSearch::as_select())
            .first(c)?;
        audit::record(
            c,
            actor,
            Entry::new("saved_search.save", "saved_search", saved.id).details(format!(
                "name \"{name}\"; text \"{text}\"; sort {}",
                sort.as_str()
            )),
        )?;
        Ok(saved)
    })
}

/// Deletes saved search `id` if it is `user`'s, with its audit record. Another user's answers
/// exactly like one that does not exist (and the refusal is audited as denied).
///
/// Errors: `NotFound`, database errors.
pub fn delete(
    conn: &mut DbConnection,
    actor: &Actor,
    user: UserId,
    id: i64,
) -> Result<(), SavedSearchError> {
    crate::platform::db::write_tx::<_, diesel::result::Error, _>(conn, |c| {
        let n = diesel::delete(
            saved_searches::table
                .filter(saved_searches::id.eq(id))
                .filter(saved_searches::user_id.eq(user.0)),
        )
        .execute(c)?;
        let entry = Entry::new("saved_search.delete", "saved_search", id);
        if n == 0 {
            audit::record(c, actor, entry.outcome(audit::Outcome::Denied))?;
            return Ok(Err(SavedSearchError::NotFound));
        }
        audit::record(c, actor, entry)?;
        Ok(Ok(()))
    })?
}
