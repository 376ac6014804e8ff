//! What the boot loader told the kernel.

use crate::ktest::{check, ktest};

ktest! {
    fn boot_information_describes_memory_and_command_line() {
        let info = crate::boot_info::get();
        check!(info.is_some(), "boot information missing");
        let info = info.unwrap_or_else(|| unreachable!());
        // Every test boot has at least 64 MiB.
        check!(
            info.usable_memory_bytes() >= 64 << 20,
            "only {} bytes usable",
            info.usable_memory_bytes()
        );
        check!(info.command_line().contains("ktest"), "command line {:?}", info.command_line());
        let kernel = crate::boot::boot_stack_top() - 0xffff_ffff_8000_0000;
        check!(
            info.memory_map()
                .iter()
                .any(|r| r.start <= kernel && kernel < r.end()),
            "the kernel's own memory ({kernel:#x}) is not in the memory map"
        );
        Ok(())
    }
}
