//! The freestanding runtime: `mem*` and friends.

use crate::ktest::{check, check_eq, ktest};

ktest! {
    fn memmove_handles_overlap_in_both_directions() {
        let mut buffer = *b"0123456789";
        buffer.copy_within(0..6, 2);
        check_eq!(&buffer, b"0101234589");
        let mut buffer = *b"0123456789";
        buffer.copy_within(3..10, 0);
        check_eq!(&buffer, b"3456789789");
        Ok(())
    }
}

ktest! {
    fn memcmp_orders_like_c() {
        let a = core::hint::black_box(*b"abcdef-long-enough-for-a-call");
        let b = core::hint::black_box(*b"abcdeg-long-enough-for-a-call");
        let a_again = core::hint::black_box(a);
        check!(a < b);
        check!(a[..] == a_again[..]);
        check!(a != b);
        Ok(())
    }
}

ktest! {
    fn memset_fills_and_returns() {
        let mut buffer = core::hint::black_box([7u8; 300]);
        buffer.fill(0xab);
        check!(buffer.iter().all(|&b| b == 0xab));
        Ok(())
    }
}

ktest! {
    fn mem_functions_match_a_reference_at_every_offset_and_length() {
        unsafe extern "C" {
            fn memmove(dst: *mut u8, src: *const u8, len: usize) -> *mut u8;
            fn memcpy(dst: *mut u8, src: *const u8, len: usize) -> *mut u8;
            fn memset(dst: *mut u8, value: i32, len: usize) -> *mut u8;
        }
        let pattern: [u8; 64] = core::array::from_fn(|i| i as u8 ^ 0x5a);
        for len in 0..40 {
            for src in 0..12 {
                for dst in 0..12 {
                    // Overlapping moves, both directions.
                    let mut buffer = pattern;
                    let mut expected = pattern;
                    let moved: alloc::vec::Vec<u8> = pattern[src..src + len].to_vec();
                    expected[dst..dst + len].copy_from_slice(&moved);
                    let base = buffer.as_mut_ptr();
                    // SAFETY: both ranges lie inside `buffer` (offsets and
                    // lengths below 52 in a 64-byte array).
                    let returned = unsafe { memmove(base.add(dst), base.add(src), len) };
                    check_eq!(returned, base.wrapping_add(dst));
                    check_eq!(buffer, expected);
                    // Disjoint copies.
                    let mut target = [0u8; 64];
                    // SAFETY: distinct arrays, ranges in bounds.
                    unsafe { memcpy(target.as_mut_ptr().add(dst), pattern.as_ptr().add(src), len) };
                    check_eq!(&target[dst..dst + len], &pattern[src..src + len]);
                    check!(target[..dst].iter().chain(&target[dst + len..]).all(|&b| b == 0));
                }
                let mut filled = [1u8; 64];
                // SAFETY: in bounds.
                unsafe { memset(filled.as_mut_ptr().add(src), 0x1c5, len) };
                check!(filled[src..src + len].iter().all(|&b| b == 0xc5));
                check!(filled[..src].iter().chain(&filled[src + len..]).all(|&b| b == 1));
            }
        }
        Ok(())
    }
}
