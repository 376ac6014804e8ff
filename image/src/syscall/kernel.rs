//! This kernel as the system-call layer sees it: the one implementation of
//! [`syscall::Kernel`], over the globals `image` owns.

use alloc::sync::Arc;
use alloc::vec::Vec;

use abi::{Errno, KernelResult, Timespec};
use arch::paging::HardwarePageTable;
use arch::trap::{FpuState, TrapFrame};
use arch::usercopy::ActiveUserMemory;
use fs::{FileSystem, PathContext, Vfs};
use mm::PageTable;
use mm::{AddressSpace, UserMemory};
use process::{Credentials, Process, ProcessTable, Thread};
use sched::{Priority, WakeReason};
use syscall::futex::{FutexKey, FutexTable};
use syscall::process::lifecycle::{ChildStart, LoadedProgram};
use syscall::{Context, MemoryStats};

use crate::memory::frames::KernelFrames;
use crate::memory::user::SharedAddressSpace;
use crate::task::WaitQueue;
use crate::userland::exec::{ExecIds, load};
use crate::userland::{KernelEnv, lifecycle, processes, signals, vfs};
use signal::{SigInfo, Signal, UserSelectors};
use syscall::signals::send::send_to_thread;

/// A trap frame resuming user mode as `child` says.
fn child_frame(child: &ChildStart) -> TrapFrame {
    let mut frame = lifecycle::initial_frame(child.registers.rip, child.registers.rsp);
    signals::load_registers(&mut frame, &child.registers);
    frame
}

/// The running kernel.
pub struct RunningKernel;

impl syscall::Kernel for RunningKernel {
    type Env = KernelEnv;
    type Events = WaitQueue;
    const TRAMPOLINE: u64 = signals::TRAMPOLINE_ADDRESS;
    const SELECTORS: UserSelectors = signals::SELECTORS;
    type PageTable = arch::paging::HardwarePageTable;
    type Frames = KernelFrames;

    fn with_address_space<R>(
        &self,
        process: &Process<KernelEnv>,
        f: impl FnOnce(&mut AddressSpace<HardwarePageTable>, &mut KernelFrames) -> KernelResult<R>,
    ) -> KernelResult<R> {
        let space = process
            .data()
            .address_space()
            .cloned()
            .ok_or(Errno::EFAULT)?;
        let mut space = space.lock();
        f(&mut space, &mut KernelFrames)
    }

    fn with_process_memory<R>(
        &self,
        process: &Process<KernelEnv>,
        f: impl FnOnce(&dyn mm::UserMemory) -> KernelResult<R>,
    ) -> KernelResult<R> {
        self.with_address_space(process, |space, frames| {
            let memory = mm::AddressSpaceMemory::new(space, frames, &arch::paging::DirectMap);
            f(&memory)
        })
    }

    fn populate_memory(
        &self,
        process: &Process<KernelEnv>,
        address: u64,
        len: u64,
    ) -> KernelResult<()> {
        self.with_address_space(process, |space, frames| {
            let memory = mm::AddressSpaceMemory::new(space, frames, &arch::paging::DirectMap);
            memory.populate(mm::VirtAddr(address), len)
        })
    }

    fn force_write_process_memory(
        &self,
        process: &Process<KernelEnv>,
        address: u64,
        bytes: &[u8],
    ) -> KernelResult<()> {
        self.with_address_space(process, |space, frames| {
            let memory = mm::AddressSpaceMemory::new(space, frames, &arch::paging::DirectMap);
            memory.force_write(mm::UserSlice::new(address, bytes.len())?, bytes)
        })
    }

    fn processes(&self) -> &ProcessTable<KernelEnv> {
        processes()
    }

    fn vfs(&self) -> &Vfs {
        vfs::vfs()
    }

    fn user_memory(&self) -> &dyn UserMemory {
        &ActiveUserMemory
    }

    fn now_ns(&self) -> u64 {
        crate::time::now_ns()
    }
    fn fold_cpu_time(&self) {
        crate::userland::lifecycle::fold_current_ticks();
    }

    fn thread_cpu_ns(&self, thread: &Thread<KernelEnv>) -> u64 {
        thread.data().task().map_or(0, crate::task::cpu_time_ns)
    }

    fn realtime(&self) -> Timespec {
        crate::time::realtime()
    }

    fn signal_waiters(&self) -> Arc<dyn fs::WaitQueue> {
        signal_waiters().clone()
    }

    fn wake_signal_waiters(&self) {
        signal_waiters().wake_all();
    }

    fn set_realtime(&self, now: Timespec) -> KernelResult<()> {
        crate::time::set_realtime(now)
    }

    fn timer_clock(&self) -> Arc<dyn fs::timerfd::TimerClock> {
        Arc::new(crate::time::KernelTimerClock)
    }

    fn sleep_until(&self, deadline_ns: u64) -> WakeReason {
        crate::task::sleep_until(deadline_ns)
    }

    fn new_wait_queue(&self) -> Arc<dyn fs::WaitQueue> {
        Arc::new(crate::task::WaitQueue::new())
    }

    fn new_filesystem(&self, kind: &str) -> KernelResult<Arc<dyn FileSystem>> {
        match kind {
            "tmpfs" | "ramfs" => Ok(fs::Tmpfs::new(vfs::next_device(), vfs::clock())),
            "proc" => crate::userland::procfs::filesystem().ok_or(Errno::ENODEV),
            "devpts" => vfs::devpts()
                .map(|fs| fs as Arc<dyn FileSystem>)
                .ok_or(Errno::ENODEV),
            _ => Err(Errno::ENODEV),
        }
    }

    fn raise_sigpipe(&self) {
        if let Ok(link) = crate::userland::current() {
            let info = SigInfo::kernel(Signal::SIGPIPE);
            let _ = send_to_thread(self, &link.process, &link.thread, info);
        }
    }

    fn fill_random(&self, out: &mut [u8]) {
        vfs::random().fill(out);
    }

    fn kernel_log(&self, clear: bool) -> Vec<u8> {
        let log = crate::logger::kernel_log();
        if clear {
            crate::logger::clear_kernel_log();
        }
        log
    }

    fn kernel_log_size(&self) -> usize {
        crate::logger::RING_CAPACITY
    }

    fn memory_stats(&self) -> MemoryStats {
        let stats = crate::memory::frames::stats();
        MemoryStats {
            total_bytes: stats.map_or(0, |s| s.total_frames * 4096),
            free_bytes: stats.map_or(0, |s| s.free_frames * 4096),
        }
    }

    fn thread_priority(&self, thread: &Thread<KernelEnv>) -> KernelResult<Priority> {
        crate::task::priority(thread.data().task().ok_or(Errno::ESRCH)?)
    }

    fn set_thread_priority(
        &self,
        thread: &Thread<KernelEnv>,
        priority: Priority,
    ) -> KernelResult<()> {
        crate::task::set_priority(thread.data().task().ok_or(Errno::ESRCH)?, priority)
    }

    fn thread_affinity(&self, thread: &Thread<KernelEnv>) -> KernelResult<u64> {
        crate::task::affinity(thread.data().task().ok_or(Errno::ESRCH)?).map(|set| set.bits())
    }

    fn set_thread_affinity(&self, thread: &Thread<KernelEnv>, mask: u64) -> KernelResult<()> {
        crate::task::set_affinity(
            thread.data().task().ok_or(Errno::ESRCH)?,
            sched::CpuSet::from_bits(mask),
        )
    }

    fn child_events(&self) -> &[WaitQueue] {
        lifecycle::child_events()
    }

    fn stop_events(&self) -> &WaitQueue {
        signals::stop_events()
    }

    fn new_event_queue(&self) -> Arc<WaitQueue> {
        Arc::new(WaitQueue::new())
    }

    fn futexes(&self) -> &FutexTable<WaitQueue> {
        static FUTEXES: FutexTable<WaitQueue> = FutexTable::new();
        &FUTEXES
    }

    fn shm_segments(&self) -> &syscall::ipc::shm::ShmSegments {
        static SEGMENTS: syscall::ipc::shm::ShmSegments =
            lock::Mutex::new(ipc::ShmNamespace::new());
        &SEGMENTS
    }

    fn message_queues(&self) -> &syscall::ipc::msg::MessageQueues {
        static QUEUES: syscall::ipc::msg::MessageQueues =
            lock::Mutex::new(ipc::MsgNamespace::new());
        &QUEUES
    }

    fn semaphores(&self) -> &syscall::ipc::sem::Semaphores {
        static SETS: syscall::ipc::sem::Semaphores = lock::Mutex::new(ipc::SemNamespace::new());
        &SETS
    }

    fn ipc_events(&self) -> &WaitQueue {
        static EVENTS: spin::Once<WaitQueue> = spin::Once::new();
        EVENTS.call_once(WaitQueue::new)
    }

    fn futex_key(
        &self,
        process: &Process<KernelEnv>,
        address: u64,
        private: bool,
    ) -> KernelResult<FutexKey> {
        let space = process
            .data()
            .address_space()
            .cloned()
            .ok_or(Errno::EFAULT)?;
        // The space's identity is where it lives (as Linux keys by its
        // `mm`): a key outliving the space can only wake spuriously.
        let private_key = FutexKey::Private {
            space: Arc::as_ptr(&space) as usize as u64,
            address,
        };
        if private {
            return Ok(private_key);
        }
        let space = space.lock();
        let page = mm::VirtAddr(address & !0xfff);
        if !space.region_at(page).is_some_and(mm::Region::is_shared) {
            return Ok(private_key);
        }
        let (frame, _) = space.page_table().translate(page).ok_or(Errno::EFAULT)?;
        Ok(FutexKey::Shared(frame.start().0 + (address & 0xfff)))
    }

    fn interrupt(&self, thread: &Thread<KernelEnv>) {
        if let Some(id) = thread.data().task() {
            crate::task::interrupt(id);
        }
    }

    fn clear_interrupt(&self, thread: &Thread<KernelEnv>) {
        if let Some(id) = thread.data().task() {
            crate::task::clear_interrupt(id);
        }
    }

    fn scheduler_state(&self, thread: &Thread<KernelEnv>) -> Option<sched::ThreadState> {
        crate::task::state(thread.data().task()?)
    }

    fn running_pid(&self) -> Option<i32> {
        crate::userland::current()
            .ok()
            .map(|link| link.process.pid())
    }

    fn session_terminal(&self, sid: i32) -> Option<alloc::sync::Arc<dyn fs::File>> {
        crate::userland::vfs::session_terminal(sid)
    }

    fn session_ended(&self, sid: i32) {
        let mut groups = alloc::vec::Vec::new();
        let mut hang_up = |terminal: &fs::devices::terminal::Terminal| {
            let mut jobs = terminal.jobs.lock();
            if jobs.session() == Some(sid) {
                groups.extend(jobs.hang_up());
            }
        };
        crate::userland::vfs::console_terminals().for_each(&mut hang_up);
        if let Some(pair) = crate::userland::vfs::session_pty(sid) {
            hang_up(pair.terminal());
        }
        // A terminal that hung up before: the group that was in front then.
        if let Some(leader) = self.processes().from_pid(sid) {
            groups.extend(leader.data().take_hung_up_foreground());
        }
        for group in groups {
            for signal in [Signal::SIGHUP, Signal::SIGCONT] {
                syscall::signals::send::send_to_group(self, group, SigInfo::kernel(signal));
            }
        }
    }

    fn yield_now(&self) {
        crate::task::yield_now();
    }

    fn cpu_count(&self) -> usize {
        crate::task::cpu_count() as usize
    }

    fn current_cpu(&self) -> u32 {
        arch::percpu::this_cpu()
    }

    fn memory_barrier(&self, scope: syscall::kernel::BarrierScope) {
        match scope {
            // The caller's space is the one this CPU runs (its CR3).
            syscall::kernel::BarrierScope::OwnAddressSpace => {
                arch::tlb::barrier_user(arch::paging::active_root().start().0)
            }
            syscall::kernel::BarrierScope::EveryCpu => arch::tlb::barrier_all(),
        }
    }

    fn fork(
        &self,
        _ctx: &Context<'_, Self>,
        child: &ChildStart,
        before_start: &mut dyn FnMut(i32),
    ) -> KernelResult<i32> {
        let frame = child_frame(child);
        let memory = if child.share_memory {
            process::ForkMemory::Share
        } else {
            process::ForkMemory::Copy
        };
        lifecycle::fork(
            &frame,
            &FpuState::from_image(child.fpu),
            child.child_tid,
            memory,
            before_start,
        )
    }

    fn spawn_thread(&self, _ctx: &Context<'_, Self>, child: &ChildStart) -> KernelResult<i32> {
        let frame = child_frame(child);
        let clear = child.child_tid.clear.then_some(child.child_tid.address);
        lifecycle::spawn_thread(
            &frame,
            &FpuState::from_image(child.fpu),
            0,
            child.tls,
            clear,
            |tid| child.write_thread_ids(&ActiveUserMemory, tid),
        )
    }

    fn load_program(
        &self,
        at: PathContext<'_>,
        path: &[u8],
        opened: Option<Arc<fs::FileDescription>>,
        argv: Vec<Vec<u8>>,
        envp: Vec<Vec<u8>>,
        credentials: &Credentials,
    ) -> KernelResult<LoadedProgram<SharedAddressSpace>> {
        let ids = ExecIds {
            uid: credentials.uid(),
            euid: credentials.euid(),
            gid: credentials.gid(),
            egid: credentials.egid(),
        };
        let image = load(at, path, opened, argv, envp, ids)?;
        Ok(LoadedProgram {
            space: crate::memory::user::share(image.space),
            entry: image.entry,
            stack_pointer: image.stack_pointer,
            name: image.name,
            exe: image.exe,
            argv: image.argv,
            auxv: image.auxv,
        })
    }

    fn enter_address_space(&self, space: &SharedAddressSpace) {
        crate::task::current().set_address_space(Some(space.clone()));
    }

    fn saved_user_context(
        &self,
        thread: &process::Thread<KernelEnv>,
    ) -> Option<syscall::registers::SavedUserContext> {
        let id = thread.data().task()?;
        let task = crate::task::thread(id)?;
        if core::ptr::eq(&*task, crate::task::current()) || !crate::task::settle_off_cpu(&task) {
            return None;
        }
        // SAFETY: `task` is another kernel thread, off every CPU: switched
        // out inside a trap (its entry frame at its stack top) or never
        // entered from user mode (rejected by `cs`).
        let (frame, fpu) =
            unsafe { arch::trap::saved_user_state(task.stack_top(), &task.switched_out_fpu().0) }?;
        Some(syscall::registers::SavedUserContext {
            registers: crate::userland::signals::registers(&frame),
            fpu,
            fs_base: task.fs_base(),
        })
    }

    fn fs_base(&self) -> u64 {
        crate::task::current().fs_base()
    }

    fn set_fs_base(&self, base: u64) -> KernelResult<()> {
        crate::task::current().set_fs_base(base);
        Ok(())
    }

    fn alarms_changed(&self) {
        signals::alarm_queue().wake_all();
    }

    fn power_off(&self) -> KernelResult<()> {
        let (asked, failed) = fault_injection::stats();
        if asked > 0 {
            log::warn!("fault injection: {failed} of {asked} kernel allocations failed");
        }
        log::info!("reboot: powering off");
        crate::power::power_off()
    }

    fn restart(&self) -> KernelResult<()> {
        log::info!("reboot: restarting");
        crate::power::restart()
    }
}

/// The queue every posted signal wakes.
fn signal_waiters() -> &'static Arc<crate::task::WaitQueue> {
    static SIGNAL_WAITERS: spin::Once<Arc<crate::task::WaitQueue>> = spin::Once::new();
    SIGNAL_WAITERS.call_once(|| Arc::new(crate::task::WaitQueue::new()))
}
