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
