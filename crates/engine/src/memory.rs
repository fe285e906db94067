//! Where the large arrays that serving reads at random live in memory.

/// Asks the kernel to back `data` with huge pages (2 MiB), collapsing the pages it already has.
/// Serving reads factor rows anywhere in matrices of hundreds of megabytes: with 4 KiB pages
/// nearly every row read also misses the TLB and walks the page tables. A hint only: where the
/// kernel declines (huge pages off, no contiguous memory, not Linux) nothing changes.
pub(crate) fn prefer_huge_pages<T>(data: &[T]) {
    #[cfg(target_os = "linux")]
    {
        const HUGE: usize = 2 << 20;
        let start = data.as_ptr() as usize;
        let end = start + std::mem::size_of_val(data);
        let (lo, hi) = (start.next_multiple_of(HUGE), end / HUGE * HUGE);
        if hi <= lo {
            return;
        }
        // SAFETY: the range lies inside `data`'s allocation, and neither advice changes what
        // it holds (MADV_COLLAPSE copies the pages into huge ones).
        unsafe {
            libc::madvise(lo as *mut libc::c_void, hi - lo, libc::MADV_HUGEPAGE);
            libc::madvise(lo as *mut libc::c_void, hi - lo, libc::MADV_COLLAPSE);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = data;
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_hint_keeps_what_the_memory_holds() {
        // 8 MiB: several huge pages' worth, and unaligned ends.
        let data: Vec<u32> = (0..(2u32 << 20) + 123).map(|i| i.wrapping_mul(2_654_435_761)).collect();
        super::prefer_huge_pages(&data);
        assert!(data.iter().enumerate().all(|(i, &x)| x == (i as u32).wrapping_mul(2_654_435_761)));
        super::prefer_huge_pages::<u8>(&[]);
    }
}
