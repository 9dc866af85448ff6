//! Allocator tuning for the commands that write a whole book in one go (`import`, `demo`).
//!
//! mimalloc (the binary's allocator) gives memory that stays freed for a second back to the
//! system. A bulk write frees and allocates in waves — each batch is encoded on one thread
//! and freed on the inserting ones, and sled replaces a node with every insert — so the same
//! memory went back and came again, each time zeroed by the kernel: about 48 000 page faults
//! in a 10⁶-row import. Keeping it for the rest of such a command (which ends when the book
//! is written) removed all but 716 of them: the import took 14.6 and 16.1 s against 16.7 and
//! 17.4 s in alternated runs, for a peak about 10 % higher (450 MB against 410 MB). The
//! console keeps the default: it stays open, and what it frees should go back.

// The crate's bindings name no purge delay (and number other options as mimalloc 2 did);
// the library built is mimalloc 3, where it is option 15 (a test checks it by its defaults).
extern crate mimalloc;

use std::ffi::{c_int, c_long};

/// `mi_option_purge_delay` in mimalloc 3's `mi_option_t`.
const PURGE_DELAY: c_int = 15;

unsafe extern "C" {
    fn mi_option_set(option: c_int, value: c_long);
    #[cfg(test)]
    fn mi_option_get(option: c_int) -> c_long;
}

/// Memory freed from now on stays with the process until it exits.
pub fn keep_freed_memory() {
    // SAFETY: setting an option of the allocator is allowed at any time, from any thread.
    unsafe { mi_option_set(PURGE_DELAY, -1) }
}

#[cfg(test)]
mod tests {
    /// The number names the purge delay: in mimalloc 3's table it has the default 1000 (ms),
    /// after `arena_eager_commit` (2) and before `use_numa_nodes` (0), unless the environment
    /// set them.
    #[test]
    fn the_option_number_names_the_purge_delay() {
        if std::env::vars().any(|(k, _)| k.starts_with("MIMALLOC_")) {
            return;
        }
        // SAFETY: reading options.
        let get = |o| unsafe { super::mi_option_get(o) };
        assert_eq!(get(super::PURGE_DELAY), 1000);
        assert_eq!(get(4), 2, "arena_eager_commit");
        assert_eq!(get(super::PURGE_DELAY + 1), 0, "use_numa_nodes");
    }
}
