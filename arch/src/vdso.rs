//! The vDSO's machine code: `clock_gettime`, `gettimeofday`, `time`,
//! `getcpu` and `clock_getres` as user-mode functions that read the data
//! page ([`vdso::VdsoData`]) and fall back to the system call when they
//! cannot answer (an unsupported clock, no usable TSC, a time before 1970).
//!
//! The code is position-independent and self-contained: the kernel never
//! runs it, it copies the bytes into the vDSO image, which sits right after
//! the data page in every address space, so the data is at
//! [`vdso::DATA_DISTANCE`] before the code's first byte. It follows the
//! System V calling convention, touches only caller-saved registers and
//! needs no stack beyond its own return address.

use vdso::Function;

// Clock ids the page answers: realtime (0, 5: REALTIME_COARSE) and the
// monotonic family (1, 4: MONOTONIC_RAW, 6: MONOTONIC_COARSE, 7: BOOTTIME),
// as bit masks over the id.
const REALTIME_CLOCKS: u32 = 1 << 0 | 1 << 5;
const MONOTONIC_CLOCKS: u32 = 1 << 1 | 1 << 4 | 1 << 6 | 1 << 7;

core::arch::global_asm!(
    // Data, not kernel text: the bytes are only ever copied.
    ".pushsection .rodata.courage_vdso, \"a\"",
    ".balign 16",
    ".global courage_vdso_code_start",
    "courage_vdso_code_start:",
    // read_clock (internal): r8 = data page. Returns rax = monotonic ns,
    // rdx = wall-clock offset, r9d = 0; or r9d = 1 when the page has no
    // clock. Clobbers rcx, r10, r11.
    "courage_vdso_read_clock:",
    "2:",
    "mov r10d, dword ptr [r8 + {sequence}]",
    "test r10d, 1",
    "jnz 4f",
    "cmp dword ptr [r8 + {clock_mode}], {mode_tsc}",
    "jne 5f",
    // The TSC read may not pass the sequence load.
    "lfence",
    "rdtsc",
    "shl rdx, 32",
    "or rax, rdx",
    "sub rax, qword ptr [r8 + {tsc_at_boot}]",
    "jnb 3f",
    "xor eax, eax",
    "3:",
    "mul qword ptr [r8 + {tsc_mult}]",
    "shrd rax, rdx, {shift}",
    "mov r11, qword ptr [r8 + {wall_offset}]",
    "cmp r10d, dword ptr [r8 + {sequence}]",
    "jne 2b",
    "mov rdx, r11",
    "xor r9d, r9d",
    "ret",
    "4:",
    "pause",
    "jmp 2b",
    "5:",
    "mov r9d, 1",
    "ret",
    // int clock_gettime(clockid_t clock = edi, struct timespec *ts = rsi)
    ".global courage_vdso_clock_gettime",
    "courage_vdso_clock_gettime:",
    // CLOCK_MONOTONIC, what programs time themselves with, runs straight
    // through (18 instructions, against 37 through the general path): one
    // test of the sequence word covers "being written" and "not
    // available here" (its top bit: no TSC clock, no rdtscp, or a CPU
    // that read a TSC behind the boot value when it came up, so this path
    // needs no check of its own), rdtscp reads the TSC in order after
    // that load, and one division of the 128-bit product by a second in
    // product units (a constant in the page) gives the seconds, its
    // remainder the nanoseconds (`vdso::VdsoData::monotonic_timespec`).
    "cmp edi, 1",
    "jne 20f",
    "1:",
    "mov r10d, dword ptr [rip + courage_vdso_code_start - {distance} + {sequence}]",
    "test r10d, {unsettled}",
    "jnz 3f",
    "rdtscp",
    "shl rdx, 32",
    "or rax, rdx",
    "sub rax, qword ptr [rip + courage_vdso_code_start - {distance} + {tsc_at_boot}]",
    "mul qword ptr [rip + courage_vdso_code_start - {distance} + {tsc_mult}]",
    "div qword ptr [rip + courage_vdso_code_start - {distance} + {second}]",
    "cmp r10d, dword ptr [rip + courage_vdso_code_start - {distance} + {sequence}]",
    "jne 1b",
    "shr rdx, {shift}",
    "mov qword ptr [rsi], rax",
    "mov qword ptr [rsi + 8], rdx",
    "xor eax, eax",
    "ret",
    // Being written: wait. No straight path: the general one.
    "3:",
    "test r10d, {no_straight_path}",
    "jnz 20f",
    "pause",
    "jmp 1b",
    // Every other clock: the general path.
    "20:",
    "cmp edi, 7",
    "ja 9f",
    "mov eax, 1",
    "mov ecx, edi",
    "shl eax, cl",
    "lea r8, [rip + courage_vdso_code_start - {distance}]",
    "test eax, {monotonic}",
    "jnz 6f",
    "test eax, {realtime}",
    "jz 9f",
    "call courage_vdso_read_clock",
    "test r9d, r9d",
    "jnz 9f",
    "add rax, rdx",
    "js 9f",
    "jmp 7f",
    "6:",
    "call courage_vdso_read_clock",
    "test r9d, r9d",
    "jnz 9f",
    // rax = nanoseconds: split into the timespec.
    "7:",
    "xor edx, edx",
    "mov ecx, 1000000000",
    "div rcx",
    "mov qword ptr [rsi], rax",
    "mov qword ptr [rsi + 8], rdx",
    "xor eax, eax",
    "ret",
    "9:",
    "mov eax, 228",
    "syscall",
    "ret",
    ".global courage_vdso_clock_gettime_end",
    "courage_vdso_clock_gettime_end:",
    // int gettimeofday(struct timeval *tv = rdi, struct timezone *tz = rsi)
    ".global courage_vdso_gettimeofday",
    "courage_vdso_gettimeofday:",
    "lea r8, [rip + courage_vdso_code_start - {distance}]",
    "call courage_vdso_read_clock",
    "test r9d, r9d",
    "jnz 9f",
    "add rax, rdx",
    "js 9f",
    "test rdi, rdi",
    "jz 6f",
    "xor edx, edx",
    "mov ecx, 1000000000",
    "div rcx",
    "mov qword ptr [rdi], rax",
    "mov rax, rdx",
    "xor edx, edx",
    "mov ecx, 1000",
    "div rcx",
    "mov qword ptr [rdi + 8], rax",
    "6:",
    // The time zone is always UTC, as the system call reports.
    "test rsi, rsi",
    "jz 7f",
    "mov qword ptr [rsi], 0",
    "7:",
    "xor eax, eax",
    "ret",
    "9:",
    "mov eax, 96",
    "syscall",
    "ret",
    ".global courage_vdso_gettimeofday_end",
    "courage_vdso_gettimeofday_end:",
    // time_t time(time_t *tloc = rdi)
    ".global courage_vdso_time",
    "courage_vdso_time:",
    "lea r8, [rip + courage_vdso_code_start - {distance}]",
    "call courage_vdso_read_clock",
    "test r9d, r9d",
    "jnz 9f",
    "add rax, rdx",
    "js 9f",
    "xor edx, edx",
    "mov ecx, 1000000000",
    "div rcx",
    "test rdi, rdi",
    "jz 6f",
    "mov qword ptr [rdi], rax",
    "6:",
    "ret",
    "9:",
    "mov eax, 201",
    "syscall",
    "ret",
    ".global courage_vdso_time_end",
    "courage_vdso_time_end:",
    // int getcpu(unsigned *cpu = rdi, unsigned *node = rsi, void *cache)
    ".global courage_vdso_getcpu",
    "courage_vdso_getcpu:",
    "lea r8, [rip + courage_vdso_code_start - {distance}]",
    "cmp dword ptr [r8 + {cpu_mode}], {mode_rdtscp}",
    "jne 9f",
    "rdtscp",
    "test rdi, rdi",
    "jz 6f",
    "mov eax, ecx",
    "and eax, 0xfff",
    "mov dword ptr [rdi], eax",
    "6:",
    "test rsi, rsi",
    "jz 7f",
    "shr ecx, 12",
    "mov dword ptr [rsi], ecx",
    "7:",
    "xor eax, eax",
    "ret",
    "9:",
    "mov eax, 309",
    "syscall",
    "ret",
    ".global courage_vdso_getcpu_end",
    "courage_vdso_getcpu_end:",
    // int clock_getres(clockid_t clock = edi, struct timespec *res = rsi):
    // one nanosecond for every clock the page answers, as the system call.
    ".global courage_vdso_clock_getres",
    "courage_vdso_clock_getres:",
    "cmp edi, 7",
    "ja 9f",
    "mov eax, 1",
    "mov ecx, edi",
    "shl eax, cl",
    "test eax, {answered}",
    "jz 9f",
    "test rsi, rsi",
    "jz 6f",
    "mov qword ptr [rsi], 0",
    "mov qword ptr [rsi + 8], 1",
    "6:",
    "xor eax, eax",
    "ret",
    "9:",
    "mov eax, 229",
    "syscall",
    "ret",
    ".global courage_vdso_clock_getres_end",
    "courage_vdso_clock_getres_end:",
    ".global courage_vdso_code_end",
    "courage_vdso_code_end:",
    ".popsection",
    sequence = const vdso::OFFSET_SEQUENCE,
    clock_mode = const vdso::OFFSET_CLOCK_MODE,
    tsc_at_boot = const vdso::OFFSET_TSC_AT_BOOT,
    tsc_mult = const vdso::OFFSET_TSC_MULT,
    wall_offset = const vdso::OFFSET_WALL_OFFSET,
    cpu_mode = const vdso::OFFSET_CPU_MODE,
    mode_tsc = const vdso::CLOCK_MODE_TSC,
    mode_rdtscp = const vdso::CPU_MODE_RDTSCP,
    shift = const vdso::TSC_SHIFT,
    second = const vdso::OFFSET_SECOND,
    unsettled = const vdso::SEQUENCE_NO_STRAIGHT_PATH | 1,
    no_straight_path = const vdso::SEQUENCE_NO_STRAIGHT_PATH,
    distance = const vdso::DATA_DISTANCE,
    monotonic = const MONOTONIC_CLOCKS,
    realtime = const REALTIME_CLOCKS,
    answered = const MONOTONIC_CLOCKS | REALTIME_CLOCKS,
);

unsafe extern "C" {
    static courage_vdso_code_start: u8;
    static courage_vdso_code_end: u8;
    static courage_vdso_clock_gettime: u8;
    static courage_vdso_clock_gettime_end: u8;
    static courage_vdso_gettimeofday: u8;
    static courage_vdso_gettimeofday_end: u8;
    static courage_vdso_time: u8;
    static courage_vdso_time_end: u8;
    static courage_vdso_getcpu: u8;
    static courage_vdso_getcpu_end: u8;
    static courage_vdso_clock_getres: u8;
    static courage_vdso_clock_getres_end: u8;
}

/// The code's bytes.
pub fn code() -> &'static [u8] {
    let start = &raw const courage_vdso_code_start;
    let end = &raw const courage_vdso_code_end;
    // SAFETY: both symbols delimit the bytes emitted above in one
    // read-only section of the kernel image, which lives for ever.
    unsafe { core::slice::from_raw_parts(start, end as usize - start as usize) }
}

/// The functions in [`code`], by their C names.
pub fn functions() -> [Function; 5] {
    let start = &raw const courage_vdso_code_start as usize;
    let function = |name, from: *const u8, to: *const u8| Function {
        name,
        offset: from as usize - start,
        len: to as usize - from as usize,
    };
    [
        function(
            "clock_gettime",
            &raw const courage_vdso_clock_gettime,
            &raw const courage_vdso_clock_gettime_end,
        ),
        function(
            "gettimeofday",
            &raw const courage_vdso_gettimeofday,
            &raw const courage_vdso_gettimeofday_end,
        ),
        function(
            "time",
            &raw const courage_vdso_time,
            &raw const courage_vdso_time_end,
        ),
        function(
            "getcpu",
            &raw const courage_vdso_getcpu,
            &raw const courage_vdso_getcpu_end,
        ),
        function(
            "clock_getres",
            &raw const courage_vdso_clock_getres,
            &raw const courage_vdso_clock_getres_end,
        ),
    ]
}
