//! How a serving process asks glibc's malloc to keep freed memory.
//!
//! Streaming a result allocates one Arrow IPC message per batch (a few hundred
//! KiB each) and frees it once tonic has written it. With glibc's defaults, a
//! tokio worker's arena gives the freed pages back to the kernel and takes
//! fresh ones for the next message, so every message costs page faults and
//! zeroed pages: 12 % of `firn serve`'s CPU while streaming 10M rows
//! (`benches/RESULTS.md`, "Flight SQL: the server's CPU beside the in-process
//! query's"). Keeping up to 32 MiB free per arena, and taking blocks under
//! 4 MiB from the arenas rather than from their own mappings, removes most of
//! them; a process-wide setting, so the server's entry point ([`super::run`])
//! makes it, not the library.

/// Keeps freed memory for reuse; says whether malloc took the settings
/// (glibc on Linux does; elsewhere there is nothing to set).
pub fn keep_freed_memory_for_reuse() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        const MMAP_THRESHOLD: libc::c_int = 4 << 20;
        const TRIM_THRESHOLD: libc::c_int = 32 << 20;
        // SAFETY: mallopt changes two of malloc's tuning values under its own
        // lock; it touches no memory of the program.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
                && libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1
        }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}

#[cfg(test)]
mod tests {
    #[test]
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    fn glibc_takes_the_settings() {
        assert!(super::keep_freed_memory_for_reuse());
    }
}
