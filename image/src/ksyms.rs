//! The kernel's own symbol table and symbolised backtraces.

use ksyms::SymbolTable;

unsafe extern "C" {
    static __ksyms_start: u8;
    static __ksyms_end: u8;
}

// The table `cargo xtask build` extracted from the previous link. Code finds
// it only through the linker symbols above, so its size never changes code
// generation (which would move the very addresses it describes).
#[unsafe(link_section = ".ksyms")]
#[used]
static KSYMS_BLOB: [u8; include_bytes!(concat!(env!("OUT_DIR"), "/ksyms.bin")).len()] =
    *include_bytes!(concat!(env!("OUT_DIR"), "/ksyms.bin"));

/// The symbol table linked into this kernel, if the build embedded one.
pub fn table() -> Option<SymbolTable<'static>> {
    // SAFETY: the linker script brackets the read-only .ksyms section with
    // these two symbols; the bytes between them are immutable for the life of
    // the kernel.
    let blob = unsafe {
        let start = &raw const __ksyms_start;
        let end = &raw const __ksyms_end;
        core::slice::from_raw_parts(start, end as usize - start as usize)
    };
    SymbolTable::parse(blob)
}

/// Writes `address` as `0x... name+0xoff`, like SerenityOS's
/// `symbolicate_kernel_address`.
pub fn write_symbolised(out: &mut dyn core::fmt::Write, address: u64) -> core::fmt::Result {
    match table().and_then(|t| t.lookup(address)) {
        Some(location) => write!(
            out,
            "{address:#018x} {}+{:#x}",
            location.name, location.offset
        ),
        None => write!(out, "{address:#018x} ???"),
    }
}

/// Prints a backtrace starting at frame pointer `rbp`, after `first` (the
/// faulting or current instruction) when given.
pub fn print_backtrace(out: &mut dyn core::fmt::Write, first: Option<u64>, rbp: u64) {
    let _ = writeln!(out, "backtrace:");
    let mut index = 0;
    let mut line = |address: u64| {
        let _ = write!(out, "  #{index:<2} ");
        let _ = write_symbolised(out, address);
        let _ = writeln!(out);
        index += 1;
    };
    if let Some(address) = first {
        line(address);
    }
    // Return addresses point after the call; subtract one so the lookup lands
    // inside the calling function even when the call is its last instruction.
    arch::backtrace::walk(rbp, |ret| line(ret - 1));
}
