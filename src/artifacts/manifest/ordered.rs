//! Building entries on worker threads and consuming them in input order, with a bounded
//! number built ahead: the manifest's node entries are built on every core while one
//! thread writes them, without holding all of them in memory.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

/// Items a worker builds at a time.
const BATCH: usize = 64;

/// Builds `build(state, item)` for every item on one worker per state (such as a database
/// clone) and hands the results to `sink` in the order of `items`. Workers run at most
/// `ahead` items in front of `sink`. The first error of `sink` stops the work and is
/// returned.
pub(super) fn for_each_ordered<I: Sync, S: Send, T: Send>(
    items: &[I],
    states: Vec<S>,
    ahead: usize,
    build: impl Fn(&S, &I) -> T + Sync,
    mut sink: impl FnMut(T) -> std::io::Result<()>,
) -> std::io::Result<()> {
    if states.is_empty() {
        return Err(std::io::Error::other("no worker to build the entries"));
    }
    let window = ahead.div_ceil(BATCH).max(states.len() * 2);
    let next = AtomicUsize::new(0);
    // Batches the sink has consumed; a worker waits while it would run too far ahead.
    let consumed = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let (tx, rx) = mpsc::channel::<(usize, Vec<T>)>();
    std::thread::scope(|scope| {
        for state in states {
            let tx = tx.clone();
            let (next, consumed, stop, build) = (&next, &consumed, &stop, &build);
            scope.spawn(move || {
                loop {
                    let b = next.fetch_add(1, Ordering::Relaxed);
                    let start = b * BATCH;
                    if start >= items.len() {
                        break;
                    }
                    while b >= consumed.load(Ordering::Acquire) + window {
                        if stop.load(Ordering::Relaxed) {
                            return;
                        }
                        std::thread::sleep(std::time::Duration::from_micros(100));
                    }
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    let built = items[start..(start + BATCH).min(items.len())]
                        .iter()
                        .map(|item| build(&state, item))
                        .collect();
                    if tx.send((b, built)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(tx);
        let mut pending: BTreeMap<usize, Vec<T>> = BTreeMap::new();
        let mut want = 0;
        let mut result = Ok(());
        for (b, built) in rx {
            pending.insert(b, built);
            while let Some(built) = pending.remove(&want) {
                for t in built {
                    if result.is_ok() {
                        result = sink(t);
                    }
                }
                want += 1;
                consumed.store(want, Ordering::Release);
            }
            if result.is_err() {
                stop.store(true, Ordering::Relaxed);
            }
        }
        result
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_in_input_order_whatever_the_threads() {
        let items: Vec<usize> = (0..1000).collect();
        for threads in [1, 2, 3] {
            let mut got = Vec::new();
            for_each_ordered(
                &items,
                vec![7; threads],
                100,
                |s, i| {
                    if i % 97 == 0 {
                        std::thread::sleep(std::time::Duration::from_millis(1));
                    }
                    i * s
                },
                |x| {
                    got.push(x);
                    Ok(())
                },
            )
            .expect("no error");
            assert_eq!(got, items.iter().map(|i| i * 7).collect::<Vec<_>>());
        }
    }

    #[test]
    fn the_sinks_first_error_is_returned_and_stops_it() {
        let items: Vec<usize> = (0..10_000).collect();
        let mut seen = 0;
        let err = for_each_ordered(
            &items,
            vec![(), ()],
            128,
            |_, i| *i,
            |x| {
                seen += 1;
                if x == 300 {
                    Err(std::io::Error::other("disk full"))
                } else {
                    Ok(())
                }
            },
        )
        .expect_err("the sink failed");
        assert_eq!(err.to_string(), "disk full");
        assert_eq!(seen, 301);
    }
}
