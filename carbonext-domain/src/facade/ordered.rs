//! Running a stream of futures a few at a time while yielding their outputs in input order,
//! without letting one slow item stall the others (what `futures`' `buffered` does: its
//! finished outputs queued behind a slow one count against its limit).

use std::collections::BTreeMap;
use std::future::Future;
use std::task::Poll;

use futures_util::future::BoxFuture;
use futures_util::stream::{FuturesUnordered, Stream, StreamExt};
use futures_util::FutureExt;

/// Outputs held at most per running future while an earlier one is still running: with 32
/// running, 128 finished outputs may wait for the oldest before no new item starts.
pub(crate) const AHEAD_PER_SLOT: usize = 4;

/// Runs at most `concurrency` of `items`' futures at once and yields their outputs in the
/// order of `items`. An item starts whenever fewer than `concurrency` run and it is less than
/// `concurrency × AHEAD_PER_SLOT` items ahead of the oldest one not yet yielded, so memory
/// stays bounded however slow one item is.
pub(crate) fn run_in_order<S, F>(items: S, concurrency: usize) -> impl Stream<Item = F::Output>
where
    S: Stream<Item = F> + Send + 'static,
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let concurrency = concurrency.max(1);
    let window = concurrency * AHEAD_PER_SLOT;
    let mut items = Box::pin(items.fuse());
    let mut exhausted = false;
    let mut running: FuturesUnordered<BoxFuture<'static, (usize, F::Output)>> =
        FuturesUnordered::new();
    let mut finished: BTreeMap<usize, F::Output> = BTreeMap::new();
    let (mut started, mut yielded) = (0usize, 0usize);
    futures_util::stream::poll_fn(move |cx| loop {
        if let Some(output) = finished.remove(&yielded) {
            yielded += 1;
            return Poll::Ready(Some(output));
        }
        while !exhausted && running.len() < concurrency && started - yielded < window {
            match items.as_mut().poll_next(cx) {
                Poll::Ready(Some(item)) => {
                    let index = started;
                    started += 1;
                    running.push(item.map(move |output| (index, output)).boxed());
                }
                Poll::Ready(None) => exhausted = true,
                Poll::Pending => break,
            }
        }
        match running.poll_next_unpin(cx) {
            Poll::Ready(Some((index, output))) => {
                finished.insert(index, output);
            }
            // Nothing runs: either every item is yielded, or `items` has none ready yet (it
            // was polled above and will wake this task).
            Poll::Ready(None) if exhausted => return Poll::Ready(None),
            Poll::Ready(None) | Poll::Pending => return Poll::Pending,
        }
    })
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;

    /// Item `n` takes `cost(n)` ms of tokio's clock; records the most running at once.
    fn timed(
        count: usize,
        cost: fn(usize) -> u64,
        live: Arc<AtomicUsize>,
        peak: Arc<AtomicUsize>,
    ) -> impl Stream<Item = BoxFuture<'static, usize>> + Send + 'static {
        futures::stream::iter(0..count).map(move |n| {
            let (live, peak) = (Arc::clone(&live), Arc::clone(&peak));
            async move {
                let now = live.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(cost(n))).await;
                live.fetch_sub(1, Ordering::SeqCst);
                n
            }
            .boxed()
        })
    }

    #[tokio::test(start_paused = true)]
    async fn outputs_come_in_input_order_whatever_order_they_finish_in() {
        let (live, peak) = Default::default();
        let outputs: Vec<usize> = run_in_order(timed(50, |n| 50 - n as u64, live, peak), 8)
            .collect()
            .await;
        assert_eq!(outputs, (0..50).collect::<Vec<_>>());
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_item_does_not_stall_the_others_and_the_limit_holds() {
        // Item 0 takes 1 s, the rest 10 ms each: with 4 slots, the other 3 keep running
        // (as far as the window of 16 allows) while item 0 waits.
        let (live, peak): (Arc<AtomicUsize>, Arc<AtomicUsize>) = Default::default();
        let started = tokio::time::Instant::now();
        let outputs: Vec<usize> = run_in_order(
            timed(
                16,
                |n| if n == 0 { 1000 } else { 10 },
                live,
                Arc::clone(&peak),
            ),
            4,
        )
        .collect()
        .await;
        assert_eq!(outputs, (0..16).collect::<Vec<_>>());
        assert_eq!(peak.load(Ordering::SeqCst), 4, "never more than 4 at once");
        // `buffered(4)` would run items 1-3, then wait for item 0 (1 s) before starting 4:
        // 1 s + 12 × 10 ms / 4 = 1.03 s at best. Here the 15 short items run beside item 0.
        assert_eq!(started.elapsed(), Duration::from_millis(1000));
    }

    #[tokio::test(start_paused = true)]
    async fn no_item_starts_more_than_the_window_ahead_of_the_oldest_unfinished() {
        let (live, peak): (Arc<AtomicUsize>, Arc<AtomicUsize>) = Default::default();
        let started = tokio::time::Instant::now();
        // 2 slots, window 8: items 1..=7 finish while item 0 (1 s) runs, then item 8 waits.
        let outputs: Vec<usize> =
            run_in_order(timed(9, |n| if n == 0 { 1000 } else { 10 }, live, peak), 2)
                .collect()
                .await;
        assert_eq!(outputs, (0..9).collect::<Vec<_>>());
        assert_eq!(started.elapsed(), Duration::from_millis(1010));
    }

    #[tokio::test]
    async fn an_empty_input_ends_at_once() {
        let items = futures::stream::iter(Vec::<BoxFuture<'static, ()>>::new());
        assert_eq!(run_in_order(items, 4).count().await, 0);
    }
}
