//! Which key lookups a refresh of the key index has served, so that concurrent lookups share
//! refreshes without one waiting for a refresh that started before it.
//!
//! Every lookup takes a ticket (a number, in order); a refresh **covers** the tickets taken
//! before it started. A lookup is served once a refresh covering its ticket has completed: then
//! every order placed before the lookup began is in the index. A lookup that finds a covering
//! refresh already running waits for it; otherwise it starts one at once, even while an older
//! refresh is still running (waiting for that one to end first would cost up to another
//! round trip). A refresh that fails or is dropped serves nobody: its waiters start another.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use tokio::sync::watch;

/// The tickets and the refreshes of one client's key index.
#[derive(Debug)]
pub(crate) struct Refreshes {
    /// Tickets taken so far.
    tickets: AtomicU64,
    /// Coverage of started and completed refreshes.
    progress: Mutex<Progress>,
    /// Bumped whenever a refresh ends (completed, failed or dropped), waking its waiters.
    ended: watch::Sender<u64>,
}

#[derive(Debug, Default)]
struct Progress {
    /// Every ticket up to this one is served.
    served: u64,
    /// The highest ticket a started (maybe still running) refresh covers.
    started: u64,
}

/// What a lookup is to do next ([`Refreshes::next_step`]).
pub(crate) enum Step<'a> {
    /// A completed refresh covers it: read the index.
    Served,
    /// Run a refresh, then report how it ended through the [`Running`] guard.
    Refresh(Running<'a>),
    /// A covering refresh is running: wait for its end, then ask again.
    Wait(watch::Receiver<u64>),
}

impl Default for Refreshes {
    fn default() -> Self {
        Self {
            tickets: AtomicU64::new(0),
            progress: Mutex::default(),
            ended: watch::Sender::new(0),
        }
    }
}

impl Refreshes {
    /// A new lookup's ticket.
    pub(crate) fn ticket(&self) -> u64 {
        self.tickets.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// Tickets taken so far.
    pub(crate) fn issued(&self) -> u64 {
        self.tickets.load(Ordering::SeqCst)
    }

    /// What the lookup holding `ticket` does now.
    pub(crate) fn next_step(&self, ticket: u64) -> Step<'_> {
        let mut progress = self.progress();
        if progress.served >= ticket {
            return Step::Served;
        }
        if progress.started >= ticket {
            return Step::Wait(self.ended.subscribe());
        }
        let covers = self.issued();
        progress.started = progress.started.max(covers);
        Step::Refresh(Running {
            refreshes: self,
            covers,
            completed: false,
        })
    }

    fn progress(&self) -> MutexGuard<'_, Progress> {
        self.progress.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A refresh under way: dropped after [`Running::completed`], it serves the tickets it covers;
/// dropped otherwise (failed, or its future dropped), it serves none, and the lookups waiting
/// for it start another.
pub(crate) struct Running<'a> {
    refreshes: &'a Refreshes,
    covers: u64,
    completed: bool,
}

impl Running<'_> {
    /// The refresh read every order placed before it started into the index.
    pub(crate) fn completed(mut self) {
        self.completed = true;
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        {
            let mut progress = self.refreshes.progress();
            if self.completed {
                progress.served = progress.served.max(self.covers);
            } else if progress.started == self.covers {
                // Nobody else runs a refresh covering these tickets: let a waiter start one.
                progress.started = progress.served;
            }
        }
        self.refreshes
            .ended
            .send_modify(|ended| *ended = ended.wrapping_add(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refresh(step: Step) -> Running {
        match step {
            Step::Refresh(running) => running,
            Step::Served => panic!("served, expected a refresh to run"),
            Step::Wait(_) => panic!("told to wait, expected a refresh to run"),
        }
    }

    #[test]
    fn a_lookup_after_a_running_refresh_starts_its_own_and_one_before_it_waits() {
        let refreshes = Refreshes::default();
        let first = refreshes.ticket();
        let running = refresh(refreshes.next_step(first));
        // Taken after the refresh started: not covered by it, so it runs another at once.
        let later = refreshes.ticket();
        let second = refresh(refreshes.next_step(later));
        // Taken after both started: a third runs.
        let last = refreshes.ticket();
        let third = refresh(refreshes.next_step(last));
        // The same ticket asking again (as another lookup of it would) waits for the third.
        assert!(matches!(refreshes.next_step(last), Step::Wait(_)));
        drop(third);
        // The third failed (dropped uncompleted): its ticket is free to start again.
        assert!(matches!(refreshes.next_step(last), Step::Refresh(_)));
        second.completed();
        assert!(matches!(refreshes.next_step(later), Step::Served));
        assert!(matches!(refreshes.next_step(first), Step::Served));
        running.completed();
        assert!(matches!(refreshes.next_step(first), Step::Served));
    }

    #[test]
    fn a_dropped_refresh_serves_nobody_and_wakes_its_waiters() {
        let refreshes = Refreshes::default();
        let ticket = refreshes.ticket();
        let running = refresh(refreshes.next_step(ticket));
        let Step::Wait(ended) = refreshes.next_step(ticket) else {
            panic!("expected to wait for the running refresh");
        };
        assert!(!ended.has_changed().unwrap());
        drop(running);
        assert!(ended.has_changed().unwrap());
        assert!(matches!(refreshes.next_step(ticket), Step::Refresh(_)));
    }
}
