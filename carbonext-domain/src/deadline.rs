//! The facade's time limit on each attempt, kept by one process-wide watchdog thread instead of
//! a tokio timer per attempt.
//!
//! A tokio timer per attempt (`tokio::time::timeout`) enters the runtime's timer wheel when the
//! attempt first waits and leaves it when the attempt ends; on P1's loopback request of about
//! 30 µs that cost 0.5–1 % of the throughput (BENCHMARKS.md). Here an attempt that has to wait
//! is written into a table (a deadline and a waker) under an uncontended lock, and erased when
//! it ends; a thread of its own, started on first use and named `carbonext-deadlines`, sleeps
//! until the earliest deadline in the table (at most [`LINGER`] while the table is in use, for
//! ever once it has been empty that long), marks the attempts whose deadline has passed and
//! wakes them. An attempt learns that it was marked from a counter of marks, one atomic load
//! per wake-up, and only then looks at its own entry.
//!
//! The thread is independent of any runtime: attempts on several runtimes share it, and a
//! runtime that shuts down takes nothing with it. Should the thread fail to start, attempts fall
//! back to a tokio timer.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// How long the watchdog sleeps at most while its table is in use, and how long it waits with
/// an empty table before it sleeps until woken. A new attempt whose deadline is later than the
/// watchdog's next wake-up (every attempt of a time limit above this) does not wake it.
const LINGER: Duration = Duration::from_secs(1);

/// The time ran out before the future completed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Elapsed;

/// `future`, or [`Elapsed`] once `deadline` has passed (checked when the future waits: one that
/// completes on its first poll is never timed).
pub(crate) fn within<F: Future + Unpin>(deadline: Instant, future: F) -> Within<F> {
    WATCHDOG.within(deadline, future)
}

/// The future of [`within`].
pub(crate) struct Within<F> {
    future: F,
    deadline: Instant,
    watchdog: &'static Watchdog,
    /// `None` until the future first waits.
    watch: Option<Watch>,
}

enum Watch {
    /// An entry in the watchdog's table.
    Entry(Entry),
    /// The watchdog thread could not be started: a tokio timer instead.
    Timer(Pin<Box<tokio::time::Sleep>>),
}

impl<F: Future + Unpin> Future for Within<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        if let Poll::Ready(output) = Pin::new(&mut this.future).poll(cx) {
            return Poll::Ready(Ok(output));
        }
        // Armed when the future first waits.
        let watch =
            this.watch
                .get_or_insert_with(|| match this.watchdog.arm(this.deadline, cx.waker()) {
                    Some(entry) => Watch::Entry(entry),
                    None => Watch::Timer(Box::pin(tokio::time::sleep_until(this.deadline.into()))),
                });
        let expired = match watch {
            Watch::Entry(entry) => entry.expired(cx.waker()),
            Watch::Timer(timer) => timer.as_mut().poll(cx).is_ready(),
        };
        if expired {
            Poll::Ready(Err(Elapsed))
        } else {
            Poll::Pending
        }
    }
}

/// An attempt's entry in the table; erased when dropped.
struct Entry {
    watchdog: &'static Watchdog,
    index: usize,
    /// Which waker is in the table (compared without the lock, as `Waker::will_wake` does).
    waker: WakerId,
    /// [`Watchdog::marks`] when the entry was last looked at.
    marks_seen: u64,
}

/// A waker's data and vtable addresses: equal for wakers that wake the same task the same way
/// (what `Waker::will_wake` compares), without holding a clone of it.
#[derive(Clone, Copy, PartialEq, Eq)]
struct WakerId(usize, usize);

impl WakerId {
    fn of(waker: &Waker) -> Self {
        Self(
            waker.data() as usize,
            std::ptr::from_ref(waker.vtable()) as usize,
        )
    }
}

impl Entry {
    /// Whether the watchdog marked this entry; keeps the table's waker current.
    fn expired(&mut self, waker: &Waker) -> bool {
        let marks = self.watchdog.marks.load(Ordering::Acquire);
        let id = WakerId::of(waker);
        if marks == self.marks_seen && id == self.waker {
            return false;
        }
        let mut table = self.watchdog.lock();
        let slot = &mut table.slots[self.index];
        if slot.marked {
            return true;
        }
        self.marks_seen = marks;
        if id != self.waker {
            self.waker = id;
            slot.waker = Some(waker.clone());
        }
        false
    }
}

impl Drop for Entry {
    fn drop(&mut self) {
        let mut table = self.watchdog.lock();
        let slot = &mut table.slots[self.index];
        slot.waker = None;
        slot.marked = false;
        table.free.push(self.index);
        table.armed -= 1;
    }
}

struct Watchdog {
    table: Mutex<Table>,
    /// Wakes the thread when an entry's deadline is earlier than its next wake-up.
    wake: Condvar,
    /// Entries marked so far.
    marks: AtomicU64,
}

struct Table {
    slots: Vec<Slot>,
    /// Indices of the free slots.
    free: Vec<usize>,
    /// Entries in use.
    armed: usize,
    /// Entries made since the thread last woke.
    recent: bool,
    thread: ThreadState,
    /// When the thread wakes next on its own; `None` while it sleeps until woken.
    wakes_at: Option<Instant>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ThreadState {
    NotStarted,
    Running,
    /// Could not be started; attempts use tokio timers.
    Failed,
}

struct Slot {
    deadline: Instant,
    /// `None` while the slot is free.
    waker: Option<Waker>,
    marked: bool,
}

/// The process's watchdog, which [`within`] uses.
static WATCHDOG: Watchdog = Watchdog::new();

impl Watchdog {
    const fn new() -> Self {
        Self {
            table: Mutex::new(Table {
                slots: Vec::new(),
                free: Vec::new(),
                armed: 0,
                recent: false,
                thread: ThreadState::NotStarted,
                wakes_at: None,
            }),
            wake: Condvar::new(),
            marks: AtomicU64::new(0),
        }
    }

    /// [`within`] on this watchdog.
    fn within<F: Future + Unpin>(&'static self, deadline: Instant, future: F) -> Within<F> {
        Within {
            future,
            deadline,
            watchdog: self,
            watch: None,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Writes an entry for `deadline` and `waker`; `None` when the thread cannot run.
    fn arm(&'static self, deadline: Instant, waker: &Waker) -> Option<Entry> {
        let marks_seen = self.marks.load(Ordering::Acquire);
        let mut table = self.lock();
        match table.thread {
            ThreadState::Running => {}
            ThreadState::Failed => return None,
            ThreadState::NotStarted => {
                let started = std::thread::Builder::new()
                    .name("carbonext-deadlines".to_owned())
                    .spawn(move || self.run());
                if let Err(error) = started {
                    tracing::warn!(%error, "could not start the deadline thread; using tokio timers");
                    table.thread = ThreadState::Failed;
                    return None;
                }
                table.thread = ThreadState::Running;
            }
        }
        let slot = Slot {
            deadline,
            waker: Some(waker.clone()),
            marked: false,
        };
        let index = match table.free.pop() {
            Some(index) => {
                table.slots[index] = slot;
                index
            }
            None => {
                table.slots.push(slot);
                table.slots.len() - 1
            }
        };
        table.armed += 1;
        table.recent = true;
        if table.wakes_at.is_none_or(|at| deadline < at) {
            self.wake.notify_one();
        }
        Some(Entry {
            watchdog: self,
            index,
            waker: WakerId::of(waker),
            marks_seen,
        })
    }

    /// The thread: marks and wakes the entries whose deadline has passed, then sleeps until the
    /// earliest deadline left.
    fn run(&self) {
        let mut due = Vec::new();
        let mut table = self.lock();
        loop {
            let now = Instant::now();
            let mut earliest: Option<Instant> = None;
            for slot in table.slots.iter_mut() {
                let Some(waker) = &slot.waker else { continue };
                if slot.marked {
                    continue;
                }
                if slot.deadline <= now {
                    slot.marked = true;
                    due.push(waker.clone());
                } else if earliest.is_none_or(|at| slot.deadline < at) {
                    earliest = Some(slot.deadline);
                }
            }
            if !due.is_empty() {
                // Before the wake-ups: a woken attempt must see the mark.
                self.marks.fetch_add(1, Ordering::Release);
            }
            let idle = table.armed == 0 && !table.recent;
            table.recent = false;
            let wakes_at = match earliest {
                Some(at) => Some(at.min(now + LINGER)),
                None if idle => None,
                None => Some(now + LINGER),
            };
            table.wakes_at = wakes_at;
            if !due.is_empty() {
                drop(table);
                for waker in due.drain(..) {
                    // A waker that panics must not take the thread (and every time limit) down.
                    let woken = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        waker.wake();
                    }));
                    if woken.is_err() {
                        tracing::warn!("a waker panicked when its attempt's time ran out");
                    }
                }
                table = self.lock();
                continue;
            }
            table = match wakes_at {
                Some(at) => {
                    self.wake
                        .wait_timeout(table, at.saturating_duration_since(now))
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
                None => self
                    .wake
                    .wait(table)
                    .unwrap_or_else(PoisonError::into_inner),
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::sync::Arc;

    /// A watchdog (and thread) of the test's own, so that no other test's entries count.
    fn watchdog() -> &'static Watchdog {
        Box::leak(Box::new(Watchdog::new()))
    }

    /// Counts its wake-ups.
    struct Counter(AtomicUsize);

    impl futures::task::ArcWake for Counter {
        fn wake_by_ref(arc_self: &Arc<Self>) {
            arc_self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn never() -> futures::future::Pending<()> {
        futures::future::pending()
    }

    #[tokio::test]
    async fn a_future_that_never_completes_ends_at_its_deadline() {
        let started = Instant::now();
        let outcome = within(started + Duration::from_millis(150), never()).await;
        let waited = started.elapsed();
        assert_eq!(outcome, Err(Elapsed));
        assert!(waited >= Duration::from_millis(150), "{waited:?}");
        assert!(waited < Duration::from_secs(2), "{waited:?}");
    }

    #[tokio::test]
    async fn a_future_that_completes_in_time_keeps_its_output_and_frees_its_entry() {
        let watchdog = watchdog();
        let deadline = Instant::now() + Duration::from_secs(30);
        let slow = Box::pin(async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            7
        });
        assert_eq!(watchdog.within(deadline, slow).await, Ok(7));
        assert_eq!(watchdog.lock().armed, 0, "erased when done");
        assert_eq!(
            watchdog.within(deadline, std::future::ready(8)).await,
            Ok(8)
        );
        assert_eq!(
            watchdog.lock().slots.len(),
            1,
            "a ready future takes no entry"
        );

        let mut kept = Box::pin(watchdog.within(deadline, never()));
        assert!(futures::poll!(kept.as_mut()).is_pending());
        assert_eq!(watchdog.lock().armed, 1);
        drop(kept);
        let table = watchdog.lock();
        assert_eq!(table.armed, 0, "erased when dropped");
        assert_eq!(table.slots.len(), 1, "the freed slot was reused");
    }

    #[tokio::test]
    async fn the_earlier_deadline_ends_first_and_the_later_is_untouched() {
        let watchdog = watchdog();
        let now = Instant::now();
        let mut late = Box::pin(watchdog.within(now + Duration::from_secs(30), never()));
        assert!(futures::poll!(late.as_mut()).is_pending());
        let early = watchdog.within(now + Duration::from_millis(100), never());
        assert_eq!(early.await, Err(Elapsed));
        assert!(futures::poll!(late.as_mut()).is_pending());
        assert_eq!(watchdog.lock().armed, 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn many_attempts_at_once_each_end_in_time_or_at_their_deadline() {
        let watchdog = watchdog();
        let started = Instant::now();
        let attempts: Vec<_> = (0..200u64)
            .map(|i| {
                tokio::spawn(async move {
                    // Even attempts finish after 10 ms; odd ones never do.
                    let work = Box::pin(async move {
                        if i % 2 == 0 {
                            tokio::time::sleep(Duration::from_millis(10)).await;
                        } else {
                            never().await;
                        }
                        i
                    });
                    watchdog
                        .within(started + Duration::from_millis(200), work)
                        .await
                })
            })
            .collect();
        for (i, attempt) in attempts.into_iter().enumerate() {
            let outcome = attempt.await.expect("no panic");
            if i % 2 == 0 {
                assert_eq!(outcome, Ok(i as u64));
            } else {
                assert_eq!(outcome, Err(Elapsed));
            }
        }
        assert!(started.elapsed() < Duration::from_secs(3));
        assert_eq!(watchdog.lock().armed, 0, "every entry erased");
    }

    #[test]
    fn the_latest_waker_is_the_one_woken() {
        let first = Arc::new(Counter(AtomicUsize::new(0)));
        let second = Arc::new(Counter(AtomicUsize::new(0)));
        let mut timed = watchdog().within(Instant::now() + Duration::from_millis(100), never());
        let poll = |timed: &mut Within<_>, counter: &Arc<Counter>| {
            let waker = futures::task::waker(Arc::clone(counter));
            Pin::new(timed).poll(&mut Context::from_waker(&waker))
        };
        assert!(poll(&mut timed, &first).is_pending());
        assert!(poll(&mut timed, &second).is_pending());
        let waited = Instant::now();
        while second.0.load(Ordering::SeqCst) == 0 {
            assert!(waited.elapsed() < Duration::from_secs(5), "never woken");
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(first.0.load(Ordering::SeqCst), 0);
        assert_eq!(poll(&mut timed, &second), Poll::Ready(Err(Elapsed)));
    }

    #[test]
    fn attempts_on_runtimes_that_come_and_go_share_the_thread() {
        let watchdog = watchdog();
        for _ in 0..3 {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .build()
                .expect("runtime");
            let outcome = runtime
                .block_on(watchdog.within(Instant::now() + Duration::from_millis(50), never()));
            assert_eq!(outcome, Err(Elapsed));
        }
        assert_eq!(watchdog.lock().armed, 0);
    }
}
