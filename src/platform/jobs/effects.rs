//! What a committed transaction leaves for the background workers: a workflow service returns
//! an [`AfterCommit`] with its result, and the caller hands it to the running application
//! (`AppState::after_commit`) once the transaction has committed. Handlers never decide which
//! worker to wake; the service that queued the work says so.

/// Workers to wake after a commit, and the cases whose history changed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
#[must_use = "hand it to AppState::after_commit once the transaction has committed"]
pub struct AfterCommit {
    /// Mail was queued in the outbox.
    pub mail: bool,
    /// Probe searches were queued.
    pub search: bool,
    /// A case's examination may have concluded (a packet job may be queued).
    pub packet: bool,
    /// Cases whose timeline changed (the history index catches up).
    pub history: Vec<i64>,
}

impl AfterCommit {
    /// Nothing to wake.
    pub fn none() -> AfterCommit {
        AfterCommit::default()
    }

    /// Mail was queued.
    pub fn mail() -> AfterCommit {
        AfterCommit {
            mail: true,
            ..AfterCommit::default()
        }
    }

    /// Adds mail.
    pub fn and_mail(mut self) -> AfterCommit {
        self.mail = true;
        self
    }

    /// Adds queued searches.
    pub fn and_search(mut self) -> AfterCommit {
        self.search = true;
        self
    }

    /// Adds a possibly concluded examination.
    pub fn and_packet(mut self) -> AfterCommit {
        self.packet = true;
        self
    }

    /// Adds a case whose timeline changed.
    pub fn and_history(mut self, case_id: i64) -> AfterCommit {
        if !self.history.contains(&case_id) {
            self.history.push(case_id);
        }
        self
    }
}
