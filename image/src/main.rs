//! The Courage kernel image.
//!
//! This crate is the only one that knows every other: it owns the boot entry
//! ([`boot`]), the order in which subsystems start ([`kernel_entry`]), the
//! glue that gives subsystem crates their hardware (the physical-memory
//! reader for boot information, the serial logger), crash reporting
//! ([`trap`], [`crash`], [`ksyms`]), the freestanding runtime ([`rt`]) and the
//! in-kernel test runner ([`ktest`], tests in [`ktests`]).
//!
//! Build it only through `cargo xtask build`: it needs the kernel code model,
//! the linker script and a second link with its own symbol table.

#![no_std]
#![no_main]
#![warn(missing_docs)]

extern crate alloc;

mod boot;
mod boot_info;
mod crash;
mod irq;
mod ksyms;
mod ktest;
mod ktests;
mod logger;
mod memory;
mod power;
mod profiler;
mod rt;
mod screen;
mod smp;
mod syscall;
mod task;
mod time;
mod trap;
mod userland;

use core::sync::atomic::Ordering;

use boot::{PROTOCOL_MULTIBOOT2, PROTOCOL_PVH};

/// The kernel's version, from Cargo.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Entered from `boot.rs` on the boot stack, in the higher half, with
/// interrupts off and the early page tables live.
#[unsafe(no_mangle)]
extern "C" fn kernel_entry(protocol: u32, info_address: u32) -> ! {
    // Per-CPU data first: locks and traps read it.
    arch::percpu::init(0, arch::cpu::initial_apic_id());
    arch::percpu::set_online();
    arch::serial::init();
    arch::gdt::init(boot::boot_stack_top());
    arch::trap::set_kernel_stack_top(boot::boot_stack_top());
    arch::trap::set_handler(trap::handle);
    arch::syscall::set_handler(syscall::dispatch);
    arch::idt::init();
    arch::pic::remap_and_mask();

    let info = match protocol {
        PROTOCOL_PVH => boot_info::parse_pvh(u64::from(info_address)),
        PROTOCOL_MULTIBOOT2 => boot_info::parse_multiboot2(u64::from(info_address)),
        other => panic!("entered through unknown boot protocol {other}"),
    };
    let options = boot_info::options();
    crash::EXIT_ON_CRASH.store(
        options.exit_on_panic || options.ktest.is_some(),
        Ordering::SeqCst,
    );
    let level = if options.quiet {
        log::LevelFilter::Warn
    } else {
        options.log_level.into()
    };
    logger::init(level);

    log::info!(
        "Courage {VERSION} (x86_64), booted via {}, {} MiB usable memory, command line \"{}\"",
        match info.protocol {
            ::boot::BootProtocol::Pvh => "PVH",
            ::boot::BootProtocol::Multiboot2 => "multiboot2",
        },
        info.usable_memory_bytes() / (1024 * 1024),
        info.command_line()
    );
    boot_info::log_details(info, &options);

    memory::init(info);
    irq::init(info);
    screen::init(info);
    time::init();
    if let Some((tsc_at_boot, mult, wall_offset)) = time::vdso_clock() {
        userland::vdso::init(tsc_at_boot, mult, wall_offset);
    }
    // Leave the boot stack (in .bss, no guard) for a guarded kernel stack,
    // which becomes the first thread's.
    let stack = memory::kstack::KernelStack::new().expect("a kernel stack for the boot CPU");
    let top = stack.top();
    *BOOT_THREAD_STACK.lock() = Some(stack);
    arch::trap::set_kernel_stack_top(top);
    arch::cpu::call_on_stack(top, kernel_main, 0)
}

/// The guarded stack `kernel_main` runs on, handed to the scheduler.
static BOOT_THREAD_STACK: lock::Mutex<Option<memory::kstack::KernelStack>> = lock::Mutex::new(None);

/// The rest of boot, on a guarded kernel stack, as the first thread.
extern "C" fn kernel_main(_: u64) -> ! {
    let stack = BOOT_THREAD_STACK
        .lock()
        .take()
        .expect("kernel_entry left the stack");
    let info = boot_info::get().expect("boot information was parsed");
    let processors = smp::processors(info, boot_info::options().max_cpus);
    task::init(stack, processors.len() as u32);
    task::start();
    arch::syscall::init(&arch::gdt::selectors().expect("the GDT is loaded"));
    let running = smp::start_application_processors(&processors);
    log::info!(
        "{running} CPU{} running (of {} listed)",
        if running == 1 { "" } else { "s" },
        processors.len()
    );
    userland::vfs::init(info);
    power::init(info);
    userland::signals::start_alarm_thread().expect("the alarm thread");
    userland::vfs::start_console_thread().expect("the console thread");
    task::start_hung_task_detector(boot_info::options().hung_task_timeout)
        .expect("the hung-task detector");
    let options = boot_info::options();
    if let Some(filter) = options.ktest {
        ktest::run(filter);
    }
    let init = options.init.unwrap_or("/init");
    let mut argv = alloc::vec![init.as_bytes().to_vec()];
    argv.extend(options.init_args().map(|a| a.as_bytes().to_vec()));
    fault_injection::configure(options.fail_alloc);
    match userland::lifecycle::start_init(init, argv) {
        Ok(()) => {
            // Failures are injected into user space's work, not the boot.
            if options.fail_alloc != fault_injection::Policy::Off {
                log::warn!(
                    "fault injection: failing kernel allocations ({:?})",
                    options.fail_alloc
                );
                // Only processes marked through `/proc/<pid>/make-it-fail`
                // (and children they fork) fail, as Linux's task filter:
                // the suite runner marks each test, not itself.
                fault_injection::set_filter(|| {
                    userland::current_link().is_ok_and(|link| link.process.make_it_fail())
                });
                // `log=debug` names each failure's site and victim.
                fault_injection::set_reporter(|location| {
                    let pid = userland::current().map_or(0, |link| link.process.pid());
                    log::debug!("fault injection: failed an allocation at {location} (pid {pid})");
                });
                fault_injection::arm();
            }
            task::exit()
        }
        Err(error) => log::error!("cannot start init {init}: {error}"),
    }

    log::info!("nothing to run yet: halting (QEMU: Ctrl-A X to quit)");
    task::exit()
}
