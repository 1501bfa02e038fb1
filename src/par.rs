//! A parallel map over a slice for the stages that pay for it (rendering,
//! reading and hashing the output tree): each thread takes the next item,
//! since items differ in cost by orders of magnitude. Results keep order.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Below this many items a thread costs more than it saves.
const MIN_ITEMS: usize = 16;

pub fn map<T, R, F>(items: &[T], f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> R + Sync,
{
    map_with(items, || (), |(), item| f(item))
}

/// `map`, each thread keeping its own `state` (made by `init`) across the
/// items it takes.
pub fn map_with<T, S, R, I, F>(items: &[T], init: I, f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    I: Fn() -> S + Sync,
    F: Fn(&mut S, &T) -> R + Sync,
{
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8)
        .min(items.len());
    if threads < 2 || items.len() < MIN_ITEMS {
        let mut state = init();
        return items.iter().map(|item| f(&mut state, item)).collect();
    }
    let next = AtomicUsize::new(0);
    let mut results: Vec<(usize, R)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut state = init();
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(i) else {
                            break done;
                        };
                        done.push((i, f(&mut state, item)));
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("worker threads do not panic"))
            .collect()
    });
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn keeps_order_whatever_the_cost() {
        let items: Vec<u64> = (0..200).collect();
        let squares = super::map(&items, |&n| {
            if n % 7 == 0 {
                std::thread::sleep(std::time::Duration::from_micros(200));
            }
            n * n
        });
        assert_eq!(squares, items.iter().map(|n| n * n).collect::<Vec<_>>());
    }
}
