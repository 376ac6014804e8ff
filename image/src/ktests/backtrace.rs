//! The kernel symbol table and frame-pointer backtraces.

use crate::ktest::{check, ktest};

#[inline(never)]
fn innermost(out: &mut [u64; 8]) -> usize {
    let mut count = 0;
    arch::backtrace::walk(arch::backtrace::current_frame_pointer(), |ret| {
        if count < out.len() {
            out[count] = ret - 1;
            count += 1;
        }
    });
    core::hint::black_box(count)
}

#[inline(never)]
fn middle(out: &mut [u64; 8]) -> usize {
    core::hint::black_box(innermost(out))
}

ktest! {
    fn symbol_table_names_kernel_functions() {
        let table = crate::ksyms::table();
        check!(table.is_some(), "no symbol table embedded (was the kernel built by xtask?)");
        let table = table.unwrap_or_else(|| unreachable!());
        let entry = crate::kernel_entry as *const () as u64;
        let location = table.lookup(entry + 1);
        check!(location.is_some(), "kernel_entry not found");
        let location = location.unwrap_or_else(|| unreachable!());
        check!(location.name.ends_with("kernel_entry"), "got {}", location.name);
        check!(location.offset == 1, "offset {}", location.offset);
        Ok(())
    }
}

ktest! {
    fn backtrace_names_every_caller() {
        let mut frames = [0u64; 8];
        let count = middle(&mut frames);
        check!(count >= 3, "only {} frames", count);
        let table = crate::ksyms::table();
        check!(table.is_some(), "no symbol table");
        let table = table.unwrap_or_else(|| unreachable!());
        let name = |i: usize| table.lookup(frames[i]).map_or("???", |l| l.name);
        check!(name(0).ends_with("backtrace::middle"), "frame 0 is {}", name(0));
        check!(
            name(1).ends_with("backtrace_names_every_caller"),
            "frame 1 is {}",
            name(1)
        );
        check!(
            frames[..count].iter().any(|&f| table
                .lookup(f)
                .is_some_and(|l| l.name.ends_with("ktest::run"))),
            "the test runner is not on the stack"
        );
        Ok(())
    }
}
