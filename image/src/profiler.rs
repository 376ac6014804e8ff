//! The sampling profiler's kernel half: every timer tick, the stacks of
//! whatever was interrupted, if the session samples it (see the `profile`
//! crate for the session, the buffer and the report).
//!
//! The interface is `/proc/profiling` (root only): write `pid <n>` to
//! sample process `n` and the children it forks from then on, `all` for
//! the whole machine, `off` to stop, `clear` to free the samples; read it
//! (after `off`) for the report. `cargo xtask profile -- COMMAND` drives it
//! and turns the report into a flame graph.
//!
//! Stacks: kernel frames come from the interrupted frame's `rip` and its
//! frame-pointer chain (the kernel is built with frame pointers). User
//! frames start at the user `rip` (of the interrupt frame, or the entry
//! frame at the top of the kernel stack when the tick hit a system call)
//! and follow the user `rbp` chain while it stays on the stack, moves up
//! and returns into executable mappings: exact for code built with frame
//! pointers, the leaf only for code without. User memory is read through
//! the page table, never by faulting, so the walk is safe in the interrupt.

use alloc::string::{String, ToString};
use arch::sync::IrqMutex;
use arch::trap::TrapFrame;
use core::sync::atomic::{AtomicU8, Ordering};

use abi::{Errno, KernelResult};
use mm::{PageTable, Perms, VirtAddr};
use profile::{Command, MAX_FRAMES, Profile, Target, UserFrame};

use crate::userland::{Process, processes};

/// Room for about a minute of samples at 250 Hz.
const MAX_SAMPLES: usize = 16384;
/// How far above the interrupted `rsp` a user frame pointer may point.
const MAX_USER_STACK: u64 = 8 << 20;

const OFF: u8 = 0;
const PROCESS: u8 = 1;
const MACHINE: u8 = 2;

/// What the tick samples, checked without a lock.
static MODE: AtomicU8 = AtomicU8::new(OFF);
/// The current or last session. An interrupt-safe lock: the tick takes it.
static SESSION: IrqMutex<Option<Profile>> = IrqMutex::new(None);

/// Called on every timer tick with the interrupted context.
pub fn on_tick(frame: &TrapFrame) {
    let mode = MODE.load(Ordering::Relaxed);
    if mode == OFF {
        return;
    }
    let link = crate::task::current().user();
    let sampled = match &link {
        Some(link) => mode == MACHINE || link.process.is_profiled(),
        None => mode == MACHINE,
    };
    if !sampled {
        return;
    }
    let mut kernel = [0u64; MAX_FRAMES];
    let mut kernel_len = 0;
    if !frame.from_user() {
        kernel[0] = frame.rip;
        kernel_len = 1;
        // The trap stub links the interrupted frame in, so a walk from a
        // system call ends at the user return address: kernel frames only.
        arch::backtrace::walk(frame.rbp, |address| {
            if kernel_len < MAX_FRAMES && address >= arch::backtrace::KERNEL_HALF_START {
                kernel[kernel_len] = address;
                kernel_len += 1;
            }
        });
    }
    let mut user: [UserFrame; MAX_FRAMES] = core::array::from_fn(|_| UserFrame {
        object: None,
        offset: 0,
    });
    let user_len = match (&link, user_registers(frame)) {
        (Some(_), Some((rip, rsp, rbp))) => walk_user(rip, rsp, rbp, &mut user),
        _ => 0,
    };
    let pid = link.as_ref().map_or(0, |link| link.process.pid());
    if let Some(profile) = SESSION.lock().as_mut() {
        profile.record(pid, &kernel[..kernel_len], &user[..user_len]);
    }
}

/// The user `rip`, `rsp` and `rbp` of the interrupted thread.
fn user_registers(frame: &TrapFrame) -> Option<(u64, u64, u64)> {
    if frame.from_user() {
        return Some((frame.rip, frame.rsp, frame.rbp));
    }
    let top = arch::trap::kernel_stack_top();
    if top == 0 {
        return None;
    }
    // SAFETY: `top` is the running thread's kernel stack top, and the tick
    // interrupted kernel code of that thread: if it entered from user mode,
    // its entry frame is there (a kernel thread's is rejected by `cs`).
    let entry = unsafe { arch::trap::saved_user_frame(top) }?;
    (entry.rip < mm::USER_SPACE_END).then_some((entry.rip, entry.rsp, entry.rbp))
}

/// Fills `out` with the user stack from `rip`, innermost first; returns how
/// many frames it found.
fn walk_user(rip: u64, rsp: u64, mut rbp: u64, out: &mut [UserFrame]) -> usize {
    let Some(space) = crate::memory::user::current() else {
        return 0;
    };
    // Held by the interrupted code (a page fault, an mmap): no user frames.
    let Some(space) = space.try_lock() else {
        return 0;
    };
    let locate = |address: u64| match space.region_at(VirtAddr(address)) {
        Some(region) => UserFrame {
            object: region.shared_name(),
            offset: match region.shared_name() {
                Some(_) => region.offset_of(VirtAddr(address)),
                None => address,
            },
        },
        None => UserFrame {
            object: None,
            offset: address,
        },
    };
    let read = |address: u64| -> Option<u64> {
        let (frame, flags) = space.page_table().translate(VirtAddr(address & !0xfff))?;
        if !flags.contains(mm::PageFlags::READ) {
            return None;
        }
        let at = arch::paging::phys_to_virt(frame.start().0 + address % 4096);
        // SAFETY: `address` is 8-aligned (checked by the caller), so the
        // word lies within the one present user page translated above,
        // which the direct map maps; the space's lock keeps it mapped.
        Some(unsafe { (at as *const u64).read_volatile() })
    };
    out[0] = locate(rip);
    let mut count = 1;
    while count < out.len()
        && rbp % 8 == 0
        && rbp >= rsp
        && rbp - rsp < MAX_USER_STACK
        && rbp < mm::USER_SPACE_END - 16
    {
        let (Some(next), Some(return_address)) = (read(rbp), read(rbp + 8)) else {
            break;
        };
        let executable = space
            .region_at(VirtAddr(return_address))
            .is_some_and(|region| region.perms().contains(Perms::EXEC));
        if !executable {
            break;
        }
        out[count] = locate(return_address);
        count += 1;
        if next <= rbp {
            break;
        }
        rbp = next;
    }
    count
}

/// Remembers the name of a profiled process whose thread is exiting, for
/// the report (the process may be reaped before the report is read).
pub fn note_exit(process: &Process) {
    if MODE.load(Ordering::Relaxed) == OFF || !process.is_profiled() {
        return;
    }
    let name = process.data().name().to_string();
    if let Some(profile) = SESSION.lock().as_mut() {
        profile.note_name(process.pid(), &name);
    }
}

fn stop() {
    MODE.store(OFF, Ordering::SeqCst);
    for process in processes().all_processes() {
        process.set_profiled(false);
    }
}

/// Carries out a command written to `/proc/profiling`.
pub fn control(command: &[u8]) -> KernelResult<()> {
    let link = crate::userland::current()?;
    if link.process.data().credentials().euid() != 0 {
        return Err(Errno::EPERM);
    }
    match Command::parse(command)? {
        Command::Start(target) => {
            let profiled = match target {
                Target::Process(pid) => Some(processes().from_pid(pid).ok_or(Errno::ESRCH)?),
                Target::Machine => None,
            };
            stop();
            let profile = Profile::new(target, crate::time::HZ as u32, MAX_SAMPLES)?;
            // The old session's buffers are freed outside the lock.
            let old = SESSION.lock().replace(profile);
            drop(old);
            match profiled {
                Some(process) => {
                    process.set_profiled(true);
                    MODE.store(PROCESS, Ordering::SeqCst);
                }
                None => MODE.store(MACHINE, Ordering::SeqCst),
            }
            log::info!("profiler: sampling {target:?}");
        }
        Command::Stop => stop(),
        Command::Clear => {
            stop();
            let old = SESSION.lock().take();
            drop(old);
        }
    }
    Ok(())
}

/// The report of the last session; `EBUSY` while one runs (stop it with
/// `off` first), `ENODATA` when there was none.
pub fn report() -> KernelResult<String> {
    let link = crate::userland::current()?;
    if link.process.data().credentials().euid() != 0 {
        return Err(Errno::EPERM);
    }
    if MODE.load(Ordering::SeqCst) != OFF {
        return Err(Errno::EBUSY);
    }
    // Not running, so the tick no longer touches the session: take it out
    // to render with interrupts on, then put it back for later reads.
    let profile = SESSION.lock().take().ok_or(Errno::ENODATA)?;
    let symbols = crate::ksyms::table();
    let text = profile.report(
        |address| {
            symbols
                .as_ref()
                .and_then(|table| table.lookup(address))
                .map(|location| String::from(location.name))
        },
        |pid| match pid {
            0 => Some(String::from("kernel")),
            pid => processes()
                .from_pid(pid)
                .map(|process| process.data().name().to_string()),
        },
    );
    let mut session = SESSION.lock();
    if session.is_none() {
        *session = Some(profile);
    }
    Ok(text)
}
