//! The bounded pool for CPU-heavy work done on a peer's behalf (signature checks, parsing large
//! messages): it runs on the runtime's blocking threads, at most one job per core at a time, so
//! it never holds up the threads that serve other peers and HTTP, and a crowd of peers cannot
//! make the node run more of it at once than it has cores.

use std::sync::{Arc, OnceLock};
use tokio::sync::Semaphore;

fn permits() -> &'static Arc<Semaphore> {
    static POOL: OnceLock<Arc<Semaphore>> = OnceLock::new();
    POOL.get_or_init(|| {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        Arc::new(Semaphore::new(cores))
    })
}

/// Runs `job` on the pool once a slot is free; `None` if the runtime is shutting down.
pub async fn run<T: Send + 'static>(job: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let permit = permits().clone().acquire_owned().await.ok()?;
    actix_web::rt::task::spawn_blocking(move || {
        let _slot = permit;
        job()
    })
    .await
    .ok()
}

#[cfg(test)]
mod tests {
    #[actix_web::test]
    async fn jobs_run_and_return_their_result() {
        assert_eq!(super::run(|| 6 * 7).await, Some(42));
    }
}
