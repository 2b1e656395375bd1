//! What the simulator saw: authorized requests per operation with their arrival times, and the
//! most requests it had in flight at once — so tests can check a client's politeness from the
//! server's side, as the real target would experience it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

#[derive(Debug, Default)]
pub(crate) struct Traffic {
    arrivals: Mutex<HashMap<String, Vec<Instant>>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

/// Holds one request "in flight" until dropped.
pub(crate) struct InFlight<'a>(&'a Traffic);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Traffic {
    /// Records an authorized request for `operation`; it counts as in flight until the guard drops.
    pub(crate) fn arrive(&self, operation: &str) -> InFlight<'_> {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        self.arrivals
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(operation.to_string())
            .or_default()
            .push(Instant::now());
        InFlight(self)
    }

    pub(crate) fn arrivals(&self, operation: &str) -> Vec<Instant> {
        self.arrivals.lock().unwrap_or_else(PoisonError::into_inner).get(operation).cloned().unwrap_or_default()
    }

    pub(crate) fn max_in_flight(&self) -> usize {
        self.max_in_flight.load(Ordering::SeqCst)
    }
}
