//! This process's resident memory, open file descriptors and threads, from `/proc/self`
//! (Linux), for tests that check a server running in-process gives back what attackers made
//! it take.

/// Resident set size in bytes (`VmRSS` of `/proc/self/status`); 0 where there is no procfs.
pub fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// Open file descriptors of this process (entries of `/proc/self/fd`, without the one the
/// listing itself holds); 0 where there is no procfs.
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .map(|d| d.count().saturating_sub(1))
        .unwrap_or(0)
}

/// Threads of this process (entries of `/proc/self/task`); 0 where there is no procfs.
pub fn threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .map(|d| d.count())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_and_descriptors_are_visible() {
        if !std::path::Path::new("/proc/self/status").exists() {
            return;
        }
        assert!(rss_bytes() > 0);
        // Other tests of this binary open and close files meanwhile: only the one held here
        // is certain.
        let f = std::fs::File::open("/proc/self/status").unwrap();
        assert!(open_fds() >= 1);
        assert!(threads() >= 1);
        drop(f);
        let big = vec![1u8; 32 << 20];
        assert!(
            rss_bytes() >= 32 << 20,
            "{}",
            big.iter().map(|&b| b as u64).sum::<u64>()
        );
    }
}
