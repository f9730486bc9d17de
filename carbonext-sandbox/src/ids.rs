//! Where identifiers and client secrets come from: random, or a seeded sequence in
//! deterministic mode so that snapshot tests see the same ids on every run.
//!
//! Access tokens never come from here: they are always drawn from the operating system's
//! random source (see [`crate::auth`]).

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
}

impl IdSource {
    /// Random ids, or a fixed sequence when `deterministic`.
    pub fn new(deterministic: bool) -> Self {
        Self {
            seeded: deterministic.then(|| Mutex::new(StdRng::seed_from_u64(DETERMINISTIC_SEED))),
        }
    }

    /// The next id.
    pub fn next_uuid(&self) -> Uuid {
        let bytes: [u8; 16] = match &self.seeded {
            Some(rng) => rng.lock().expect("id lock").random(),
            None => rand::rng().random(),
        };
        uuid::Builder::from_random_bytes(bytes).into_uuid()
    }
}
