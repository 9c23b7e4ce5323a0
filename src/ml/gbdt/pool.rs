//! Which threads a fit runs on.
//!
//! All parallel work of the trainer is rayon tasks. A fit started outside any
//! rayon pool runs in a pool of `threads` threads (kept for reuse, one per
//! thread count; `threads = 0` is as many as rayon's global pool has, all
//! cores unless `RAYON_NUM_THREADS` says otherwise). The fit itself runs on one
//! of the pool's threads, so a parallel step too small to split (every step
//! of a fit on a few thousand rows) runs where it is, with no hand-off to a
//! sleeping thread and back.
//! A fit started inside a pool — a fold of a search, which runs its fits as
//! tasks of one pool — runs in that pool, so folds and candidates share the
//! cores without oversubscribing them. Results never depend on the pool:
//! see the module documentation of `gbdt`.

use std::sync::{Arc, Mutex, OnceLock};

use datafusion::common::{DataFusionError, Result};
use rayon::{ThreadPool, ThreadPoolBuilder};

/// A pool and its thread count.
type SizedPool = (usize, Arc<ThreadPool>);

/// Pools by thread count.
static POOLS: OnceLock<Mutex<Vec<SizedPool>>> = OnceLock::new();

fn pool(threads: usize) -> Result<Arc<ThreadPool>> {
    let pools = POOLS.get_or_init(|| Mutex::new(Vec::new()));
    let mut pools = pools
        .lock()
        .map_err(|_| DataFusionError::Internal("the training thread pools are poisoned".into()))?;
    if let Some((_, pool)) = pools.iter().find(|(n, _)| *n == threads) {
        return Ok(Arc::clone(pool));
    }
    let pool = ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("firn-train-{i}"))
        .build()
        .map_err(|e| {
            DataFusionError::Execution(format!("cannot start {threads} training threads: {e}"))
        })?;
    let pool = Arc::new(pool);
    pools.push((threads, Arc::clone(&pool)));
    Ok(pool)
}

/// Runs `work` on `threads` threads (0 = all cores), or in the current pool when already in one.
pub(crate) fn run_with_threads<R: Send>(
    threads: usize,
    work: impl FnOnce() -> R + Send,
) -> Result<R> {
    if rayon::current_thread_index().is_some() {
        return Ok(work());
    }
    let threads = match threads {
        0 => rayon::current_num_threads(),
        n => n,
    };
    Ok(pool(threads)?.install(work))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_on_the_asked_threads_or_the_current_pool() {
        assert_eq!(
            run_with_threads(3, rayon::current_num_threads).expect("runs"),
            3
        );
        // 0: as many as the global pool, and the work runs on one of them.
        assert_eq!(
            run_with_threads(0, || (
                rayon::current_num_threads(),
                rayon::current_thread_index().is_some()
            ))
            .expect("runs"),
            (rayon::current_num_threads(), true)
        );
        let outer = ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .expect("pool");
        let nested = outer.install(|| run_with_threads(3, rayon::current_num_threads));
        assert_eq!(
            nested.expect("runs"),
            2,
            "a nested fit shares its caller's pool"
        );
    }
}
