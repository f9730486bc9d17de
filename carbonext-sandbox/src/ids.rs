//! Where identifiers and client secrets come from: random, or a seeded sequence in
//! deterministic mode so that snapshot tests see the same ids on every run.
//!
//! Access tokens never come from here: they are always drawn from the operating system's
//! random source (see [`crate::auth`]).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

/// Seed of the deterministic id sequence.
const DETERMINISTIC_SEED: u64 = 0x00C0_2F4E_E5A9_DB0C;

/// A source of v4 UUIDs.
#[derive(Debug)]
pub struct IdSource {
    seeded: Option<Mutex<StdRng>>,
    drawn: AtomicU64,
}

impl IdSource {
    /// Random ids, or a fixed sequence when `deterministic`.
    pub fn new(deterministic: bool) -> Self {
        Self {
            seeded: deterministic.then(|| Mutex::new(StdRng::seed_from_u64(DETERMINISTIC_SEED))),
            drawn: AtomicU64::new(0),
        }
    }

    /// How many ids were drawn so far (skipped ones included).
    pub fn drawn(&self) -> u64 {
        self.drawn.load(Ordering::Relaxed)
    }

    /// Draws and forgets ids until `drawn` have been drawn, so a deterministic sequence goes on
    /// where a saved state left it (see [`crate::state_file`]).
    pub fn skip_to(&self, drawn: u64) {
        if self.seeded.is_none() {
            self.drawn.fetch_max(drawn, Ordering::Relaxed);
            return;
        }
        while self.drawn() < drawn {
            self.next_uuid();
        }
    }

    /// The next id.
    pub fn next_uuid(&self) -> Uuid {
        self.drawn.fetch_add(1, Ordering::Relaxed);
        let bytes: [u8; 16] = match &self.seeded {
            Some(rng) => rng.lock().expect("id lock").random(),
            None => rand::rng().random(),
        };
        uuid::Builder::from_random_bytes(bytes).into_uuid()
    }
}
