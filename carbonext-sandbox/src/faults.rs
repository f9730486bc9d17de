//! Fault injection: latency, 5xx answers, 429 rate limiting, dropped connections, token
//! revocation (of the tokens issued so far, or of the next ones as they are issued) and token
//! lifetime, all switchable at runtime.
//!
//! Shares fire **at random**, like real failures: each request a fault sees draws from that
//! fault's own generator, seeded from the sandbox's fault seed ([`FaultSchedule::Seeded`]),
//! so about `s` of the requests fire, at no fixed rhythm a client's retries could fall into
//! step with. The same seed fires on the same draws: a run is reproduced by its seed, which
//! `carbonext-sandbox` / `carbonext sandbox serve` print at start and take with
//! `--fault-seed`, and which [`SandboxBuilder::fault_seed`](crate::SandboxBuilder::fault_seed)
//! sets (with [`deterministic(true)`](crate::SandboxBuilder::deterministic) it is
//! [`DETERMINISTIC_FAULT_SEED`]; otherwise random). A share of 1.0 fires on every request.
//!
//! [`FaultSchedule::Periodic`] is the exact "every n-th request" schedule instead (0.2 fires
//! on the 5th, 10th… request), for tests that count on it. It can livelock a client: at 0.5
//! a placement's creation is always the dropped request and its lookup the passing one.
//!
//! Faults apply to API requests (`/v1/...`) only. Latency applies to the token endpoint too;
//! the control paths (`/__sandbox/...`) are never faulted. Order: latency, then
//! drop-before-handler, rate limit, 5xx share; drop-after-commit is decided by `create_order`
//! itself after its order is stored.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use std::time::Duration;
//! let sandbox = carbonext_sandbox::Sandbox::builder().start().await?;
//! sandbox.faults().fail_share(503, 0.5);           // half the API requests, at random: 503
//! sandbox.faults().rate_limit(0.2, 7);             // a fifth: 429 with Retry-After: 7
//! sandbox.faults().set_latency(Duration::from_millis(50));
//! sandbox.faults().clear();
//! # Ok(()) }
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::store::Store;

/// Parts per million of a share, so shares compare exactly.
const PPM: u64 = 1_000_000;

/// The fault seed of a sandbox built with
/// [`deterministic(true)`](crate::SandboxBuilder::deterministic) and no seed of its own.
pub const DETERMINISTIC_FAULT_SEED: u64 = 26;

/// How fault shares pick the requests they fire on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FaultSchedule {
    /// At random, from generators seeded with this value: reproducible by the seed.
    Seeded(u64),
    /// Exactly on every n-th request: a share `s` fires on request `n` (counted since the
    /// fault was set) when `floor(n·s)` grows. For tests that count on an exact schedule.
    Periodic,
}

impl FaultSchedule {
    /// A random seed (what a sandbox uses unless told otherwise).
    pub fn random() -> Self {
        Self::Seeded(rand::random())
    }
}

/// Which fault a generator belongs to, so each fault draws its own sequence.
#[derive(Clone, Copy, Debug)]
enum Fault {
    Fail = 1,
    RateLimit = 2,
    DropBefore = 3,
    DropAfterCommit = 4,
}

/// A trigger that fires on about `share` of the requests it sees.
#[derive(Clone, Debug)]
struct Share {
    ppm: u64,
    seen: u64,
    /// `None`: the periodic schedule.
    rng: Option<StdRng>,
}

impl Share {
    fn new(share: f64, schedule: FaultSchedule, fault: Fault) -> Self {
        let share = if share.is_finite() {
            share.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let rng = match schedule {
            FaultSchedule::Seeded(seed) => Some(StdRng::seed_from_u64(
                seed ^ (fault as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
            )),
            FaultSchedule::Periodic => None,
        };
        Self {
            ppm: (share * PPM as f64).round() as u64,
            seen: 0,
            rng,
        }
    }

    fn fires(&mut self) -> bool {
        match &mut self.rng {
            Some(rng) => rng.random_range(0..PPM) < self.ppm,
            None => {
                let before = self.seen * self.ppm / PPM;
                self.seen += 1;
                self.seen * self.ppm / PPM > before
            }
        }
    }

    fn share(&self) -> f64 {
        self.ppm as f64 / PPM as f64
    }
}

#[derive(Clone, Debug)]
struct Plan {
    schedule: FaultSchedule,
    latency: Duration,
    fail: Option<(u16, Share)>,
    rate_limit: Option<(Share, u64)>,
    drop_before: Option<Share>,
    drop_after_commit: Option<Share>,
}

impl Plan {
    fn new(schedule: FaultSchedule) -> Self {
        Self {
            schedule,
            latency: Duration::ZERO,
            fail: None,
            rate_limit: None,
            drop_before: None,
            drop_after_commit: None,
        }
    }
}

/// What the gate does with one API request, decided before its handler runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Run the handler.
    Pass,
    /// Close the connection without answering.
    DropBeforeHandler,
    /// Answer 429 with this `Retry-After` (seconds).
    RateLimited(u64),
    /// Answer this 5xx status.
    Fail(u16),
}

/// Handle to a sandbox's faults. Cheap to clone; every clone controls the same sandbox.
#[derive(Clone, Debug)]
pub struct Faults {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    plan: Mutex<Plan>,
    store: Arc<Store>,
    default_lifetime: Duration,
    lifetime_secs: AtomicU64,
    /// Tokens still to revoke on issue; `u64::MAX` means all.
    revoke_on_issue: AtomicU64,
}

impl Faults {
    pub(crate) fn new(
        store: Arc<Store>,
        token_lifetime: Duration,
        schedule: FaultSchedule,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                plan: Mutex::new(Plan::new(schedule)),
                store,
                default_lifetime: token_lifetime,
                lifetime_secs: AtomicU64::new(token_lifetime.as_secs()),
                revoke_on_issue: AtomicU64::new(0),
            }),
        }
    }

    fn plan(&self) -> std::sync::MutexGuard<'_, Plan> {
        self.inner.plan.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How shares pick their requests (the seed to print, to reproduce a run).
    pub fn schedule(&self) -> FaultSchedule {
        self.plan().schedule
    }

    /// Switches the schedule of the faults set from now on (those already set keep theirs).
    pub fn set_schedule(&self, schedule: FaultSchedule) {
        self.plan().schedule = schedule;
    }

    /// Delays every API and token request by `latency` before anything else happens.
    pub fn set_latency(&self, latency: Duration) {
        self.plan().latency = latency;
    }

    /// Answers that share of API requests with `status` (a 5xx) and a problem-details body.
    /// A share of 0 turns the fault off.
    pub fn fail_share(&self, status: u16, share: f64) {
        let mut plan = self.plan();
        plan.fail = (share > 0.0).then(|| (status, Share::new(share, plan.schedule, Fault::Fail)));
    }

    /// Answers that share of API requests with 429 and `Retry-After: retry_after_secs`.
    pub fn rate_limit(&self, share: f64, retry_after_secs: u64) {
        let mut plan = self.plan();
        plan.rate_limit = (share > 0.0).then(|| {
            let trigger = Share::new(share, plan.schedule, Fault::RateLimit);
            (trigger, retry_after_secs)
        });
    }

    /// Closes the connection of that share of API requests without any response, before the
    /// handler runs (nothing is stored).
    pub fn drop_before_handler(&self, share: f64) {
        let mut plan = self.plan();
        plan.drop_before =
            (share > 0.0).then(|| Share::new(share, plan.schedule, Fault::DropBefore));
    }

    /// For that share of committed orders (`create_order` requests that passed validation):
    /// stores the order, then closes the connection without any response.
    pub fn drop_after_commit(&self, share: f64) {
        let mut plan = self.plan();
        plan.drop_after_commit =
            (share > 0.0).then(|| Share::new(share, plan.schedule, Fault::DropAfterCommit));
    }

    /// Revokes every access token issued so far; new grants work as before.
    pub fn revoke_all_tokens(&self) {
        self.inner.store.lock().tokens.clear();
    }

    /// Revokes the next `count` access tokens the moment they are issued: the token endpoint
    /// answers them as usual (and [`Sandbox::issued_tokens`](crate::Sandbox::issued_tokens)
    /// lists them), but the API refuses them with 401, as revoked. So `1` makes a client's first
    /// API call fail with 401 and its refreshed token work; `u64::MAX` revokes every token from
    /// now on (a persistent 401); `0` turns the fault off.
    pub fn revoke_on_issue(&self, count: u64) {
        self.inner.revoke_on_issue.store(count, Ordering::Relaxed);
    }

    /// Lifetime of tokens issued from now on (`expires_in`). Existing tokens keep theirs.
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        self.inner
            .lifetime_secs
            .store(lifetime.as_secs(), Ordering::Relaxed);
    }

    /// Lifetime given to new tokens.
    pub fn token_lifetime(&self) -> Duration {
        Duration::from_secs(self.inner.lifetime_secs.load(Ordering::Relaxed))
    }

    /// Turns every fault off and restores the builder's token lifetime (the schedule stays).
    pub fn clear(&self) {
        {
            let mut plan = self.plan();
            *plan = Plan::new(plan.schedule);
        }
        self.revoke_on_issue(0);
        self.set_token_lifetime(self.inner.default_lifetime);
    }

    /// The current settings.
    pub fn settings(&self) -> FaultSettings {
        let plan = self.plan();
        FaultSettings {
            latency_ms: Some(plan.latency.as_millis() as u64),
            fail_share: plan.fail.as_ref().map(|(status, s)| FailShare {
                status: *status,
                share: s.share(),
            }),
            rate_limit: plan
                .rate_limit
                .as_ref()
                .map(|(s, retry_after_secs)| RateLimit {
                    share: s.share(),
                    retry_after_secs: *retry_after_secs,
                }),
            drop_before_handler: plan.drop_before.as_ref().map(Share::share),
            drop_after_commit: plan.drop_after_commit.as_ref().map(Share::share),
            token_lifetime_secs: Some(self.token_lifetime().as_secs()),
            revoke_on_issue: match self.inner.revoke_on_issue.load(Ordering::Relaxed) {
                0 => None,
                count => Some(count),
            },
            revoke_all_tokens: false,
            clear: false,
        }
    }

    /// Applies `settings` (what `POST /__sandbox/faults` receives): `clear` first, then
    /// every member present, then `revokeAllTokens`.
    pub fn apply(&self, settings: &FaultSettings) {
        if settings.clear {
            self.clear();
        }
        if let Some(ms) = settings.latency_ms {
            self.set_latency(Duration::from_millis(ms));
        }
        if let Some(f) = settings.fail_share {
            self.fail_share(f.status, f.share);
        }
        if let Some(r) = settings.rate_limit {
            self.rate_limit(r.share, r.retry_after_secs);
        }
        if let Some(share) = settings.drop_before_handler {
            self.drop_before_handler(share);
        }
        if let Some(share) = settings.drop_after_commit {
            self.drop_after_commit(share);
        }
        if let Some(secs) = settings.token_lifetime_secs {
            self.set_token_lifetime(Duration::from_secs(secs));
        }
        if let Some(count) = settings.revoke_on_issue {
            self.revoke_on_issue(count);
        }
        if settings.revoke_all_tokens {
            self.revoke_all_tokens();
        }
    }

    pub(crate) fn latency(&self) -> Duration {
        self.plan().latency
    }

    /// Decides the fate of one API request.
    pub(crate) fn verdict(&self) -> Verdict {
        let mut plan = self.plan();
        if plan.drop_before.as_mut().is_some_and(Share::fires) {
            return Verdict::DropBeforeHandler;
        }
        if let Some((share, secs)) = plan.rate_limit.as_mut() {
            if share.fires() {
                return Verdict::RateLimited(*secs);
            }
        }
        if let Some((status, share)) = plan.fail.as_mut() {
            if share.fires() {
                return Verdict::Fail(*status);
            }
        }
        Verdict::Pass
    }

    /// Whether the token being issued now is revoked on issue (counting it against
    /// [`Faults::revoke_on_issue`]).
    pub(crate) fn revokes_on_issue(&self) -> bool {
        self.inner
            .revoke_on_issue
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| match left {
                0 => None,
                u64::MAX => Some(u64::MAX),
                left => Some(left - 1),
            })
            .is_ok()
    }

    /// Whether this committed `create_order` loses its response.
    pub(crate) fn drops_after_commit(&self) -> bool {
        self.plan()
            .drop_after_commit
            .as_mut()
            .is_some_and(Share::fires)
    }
}

/// Fault settings as JSON, for `GET`/`POST /__sandbox/faults` and the binary's flags.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultSettings {
    /// Added latency in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    /// 5xx share.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_share: Option<FailShare>,
    /// 429 share.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RateLimit>,
    /// Share of API requests dropped before their handler.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drop_before_handler: Option<f64>,
    /// Share of `create_order` requests dropped after the order is stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drop_after_commit: Option<f64>,
    /// Lifetime of new tokens, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_lifetime_secs: Option<u64>,
    /// How many of the next tokens to revoke as they are issued (see
    /// [`Faults::revoke_on_issue`]; `0` turns it off). Reported while some are left.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoke_on_issue: Option<u64>,
    /// Revoke every token issued so far.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub revoke_all_tokens: bool,
    /// Clear every fault before applying the rest.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub clear: bool,
}

/// A 5xx share.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FailShare {
    /// Status to answer (500-599).
    pub status: u16,
    /// Share of requests, 0 to 1.
    pub share: f64,
}

/// A 429 share.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RateLimit {
    /// Share of requests, 0 to 1.
    pub share: f64,
    /// `Retry-After` in seconds.
    pub retry_after_secs: u64,
}

#[cfg(test)]
mod tests {
    use super::{Fault, FaultSchedule, Share};

    fn draws(share: f64, schedule: FaultSchedule, n: usize) -> Vec<bool> {
        let mut s = Share::new(share, schedule, Fault::Fail);
        (0..n).map(|_| s.fires()).collect()
    }

    #[test]
    fn periodic_share_fires_on_every_nth_request() {
        assert_eq!(
            draws(0.2, FaultSchedule::Periodic, 10),
            [false, false, false, false, true, false, false, false, false, true]
        );
        assert!(draws(1.0, FaultSchedule::Periodic, 5)
            .into_iter()
            .all(|f| f));
    }

    #[test]
    fn seeded_share_fires_at_random_reproducibly_and_about_as_often_as_asked() {
        let seeded = FaultSchedule::Seeded(7);
        let first = draws(0.2, seeded, 10_000);
        assert_eq!(first, draws(0.2, seeded, 10_000), "same seed, same draws");
        assert_ne!(first, draws(0.2, FaultSchedule::Seeded(8), 10_000));
        let fired = first.iter().filter(|&&f| f).count();
        assert!((1_800..=2_200).contains(&fired), "{fired} of 10000");
        // No rhythm: some fire back to back, unlike every 5th.
        assert!(first.windows(2).any(|w| w[0] && w[1]));
        assert!(draws(1.0, seeded, 1_000).into_iter().all(|f| f));
    }
}
