//! The gallery follower (issue 18, "Gallery"): once the face engine and gallery are loaded,
//! every second it brings this instance's index up to the gallery log
//! ([`crate::gallery::Gallery::follow`]), so a template enrolled or removed by another
//! instance (or `frdesk gallery`) is searched here within about a second. Before the first
//! load there is nothing to follow: the load reads the database as it is.

use std::time::Duration;

use crate::platform::jobs::runner::{Worker, blocking};
use crate::search::job::SearchContext;

/// Follows the gallery log into the loaded index.
pub struct GalleryFollower {
    pub ctx: SearchContext,
}

impl Worker for GalleryFollower {
    fn name(&self) -> &'static str {
        "gallery follower"
    }

    fn interval(&self) -> Duration {
        Duration::from_secs(1)
    }

    async fn pass(&mut self) -> anyhow::Result<bool> {
        let Some(engines) = self.ctx.loaded() else {
            return Ok(false);
        };
        blocking(move || Ok(engines.gallery.follow()?)).await?;
        Ok(false)
    }
}
