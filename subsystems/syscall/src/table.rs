//! The system-call table: one row per call this crate serves, naming the
//! call, its handler and its typed arguments in the order of the ABI's
//! registers (rdi, rsi, rdx, r10, r8, r9).
//!
//! A row reads like the call's prototype. The macro turns each into an arm
//! that decodes the registers with [`FromArg`] and calls the handler with
//! the [`Context`]; [`ROWS`] keeps the same rows as data, for `/proc`,
//! tracing and the tests.

use abi::capability::{CapUserData, CapUserHeader};
use abi::{
    IoVec, Itimerval, PollFd, RawRlimit, Rusage, SchedAttr, Stat, Statfs, Statx, Sysinfo, Sysno,
    Timespec, Timeval, Timezone, Utsname,
};
use fs::OpenFlags;
use signal::{KernelSigAction, RawSigInfo, StackT};

use alloc::sync::Arc;
use core::cell::RefCell;
use process::{Process, Thread};

use crate::SyscallResult;
use crate::args::{AtFlags, DirFd, Fd, FromArg, Mode, OptionalId, UserBuffer, UserPath, UserPtr};
use crate::context::Context;
use crate::fs::{
    attr, dir, epoll, eventfd, inotify, io, lock, memfd, path, pipe, poll, space, timerfd,
    transfer, xattr,
};
use crate::ipc::{msg, sem, shm};
use crate::kernel::Kernel;
use crate::net::{message, options, socket};
use crate::process::{
    capabilities, credentials, ids, ioprio, kcmp, lifecycle, pidfd, ptrace, remote_memory, seccomp,
    wait,
};
use crate::registers::SavedRegisters;
use crate::signals::calls as signals;
use crate::signals::posix_timers::{self, SigEvent};
use crate::signals::signalfd;
use crate::{info, membarrier, memory, memory_lock, time};

/// A result as the caller sees it in `rax`: the value, or `-errno`.
pub fn to_rax(result: SyscallResult) -> u64 {
    match result {
        Ok(value) => value,
        Err(errno) => errno.to_syscall_return() as u64,
    }
}

/// [`to_rax`] undone: values from `-4095` to `-1` are errnos, as Linux's
/// C library reads them.
pub fn from_rax(rax: u64) -> SyscallResult {
    let signed = rax as i64;
    if (-4095..0).contains(&signed) {
        abi::Errno::from_value(-signed as i32).map_or(Ok(rax), Err)
    } else {
        Ok(rax)
    }
}

/// One row of the table, as data.
#[derive(Clone, Copy, Debug)]
pub struct Row {
    /// The call.
    pub sysno: Sysno,
    /// The handler's path in this crate (`fs::io::read`).
    pub handler: &'static str,
    /// The arguments, `name: Type` each, in register order.
    pub args: &'static [&'static str],
}

/// One row's arm: decodes the arguments from `args` in register order
/// and calls the handler with `ctx`, answering what goes back in `rax`.
macro_rules! call_row {
    ($ctx:expr, $args:ident, $handler:path, $($arg:ident: $ty:ty),*) => {{
        let mut next = 0;
        $(
            let $arg = <$ty as FromArg>::from_arg($args[next]);
            next += 1;
        )*
        to_rax($handler($ctx $(, $arg)*))
    }};
}

macro_rules! system_call_table {
    ($($sysno:ident => $handler:path [$($arg:ident: $ty:ty),*];)*) => {
        /// The rows' numbers as constants, so that a raw number from `rax`
        /// is matched in one jump without becoming a [`Sysno`] first.
        #[allow(non_upper_case_globals)]
        mod numbers {
            $(pub(super) const $sysno: u64 = abi::Sysno::$sysno as u64;)*
        }

        /// Serves `sysno` if this crate has a row for it; `None` if not (the
        /// kernel serves it, or nobody does).
        pub fn serve<K: Kernel>(
            ctx: &Context<'_, K>,
            sysno: Sysno,
            args: [u64; 6],
        ) -> Option<SyscallResult> {
            serve_number(ctx, sysno as u64, args).map(from_rax)
        }

        /// [`serve`] for the raw number the caller put in `rax`, answering
        /// what goes back in `rax` (the value, or `-errno`): the
        /// system-call entry's path. The number becomes a [`Sysno`] only
        /// when the caller needs one (tracing, restarts), and the answer
        /// comes back in registers, not through memory.
        #[allow(unused_assignments, unused_mut, unused_variables)]
        #[inline(always)]
        pub fn serve_number<K: Kernel>(
            ctx: &Context<'_, K>,
            number: u64,
            args: [u64; 6],
        ) -> Option<u64> {
            // Each arm turns its own result into rax: a handler that
            // cannot fail returns its value in a register, with no
            // `Result` kept on the stack across the jump.
            Some(match number {
                $(numbers::$sysno => call_row!(ctx, args, $handler, $($arg: $ty),*),)*
                _ => return None,
            })
        }

        /// [`serve_number`] given the context's parts rather than the
        /// context: each arm builds the [`Context`] itself, so an arm
        /// whose handler is inlined and reads only part of it (`getpid`
        /// reads the process) stores nothing for the rest. The system-call
        /// entry's path.
        #[allow(unused_assignments, unused_mut, unused_variables)]
        #[inline(always)]
        pub fn serve_number_with<'a, K: Kernel, R: SavedRegisters + 'a>(
            kernel: &'a K,
            process: &'a Arc<Process<K::Env>>,
            thread: &'a Arc<Thread<K::Env>>,
            registers: R,
            number: u64,
            args: [u64; 6],
        ) -> Option<u64> {
            Some(match number {
                $(numbers::$sysno => {
                    let registers = RefCell::new(registers);
                    let ctx = &Context { kernel, process, thread, registers: &registers };
                    call_row!(ctx, args, $handler, $($arg: $ty),*)
                })*
                _ => return None,
            })
        }

        /// Every row of the table, in the order written.
        pub const ROWS: &[Row] = &[
            $(Row {
                sysno: Sysno::$sysno,
                handler: stringify!($handler),
                args: &[$(concat!(stringify!($arg), ": ", stringify!($ty))),*],
            },)*
        ];
    };
}

system_call_table! {
    // Descriptor I/O (fs/io.rs).
    Read => io::read [fd: Fd, buf: UserBuffer, count: usize];
    Write => io::write [fd: Fd, buf: UserBuffer, count: usize];
    Pread64 => io::pread64 [fd: Fd, buf: UserBuffer, count: usize, offset: i64];
    Pwrite64 => io::pwrite64 [fd: Fd, buf: UserBuffer, count: usize, offset: i64];
    Readv => io::readv [fd: Fd, iov: UserPtr<IoVec>, count: usize];
    Writev => io::writev [fd: Fd, iov: UserPtr<IoVec>, count: usize];
    Preadv => io::preadv [fd: Fd, iov: UserPtr<IoVec>, count: usize, offset: i64];
    Pwritev => io::pwritev [fd: Fd, iov: UserPtr<IoVec>, count: usize, offset: i64];
    Preadv2 => io::preadv2 [fd: Fd, iov: UserPtr<IoVec>, count: usize, offset: i64, offset_high: u64, flags: u32];
    Pwritev2 => io::pwritev2 [fd: Fd, iov: UserPtr<IoVec>, count: usize, offset: i64, offset_high: u64, flags: u32];
    Lseek => io::lseek [fd: Fd, offset: i64, whence: u32];
    Close => io::close [fd: Fd];
    CloseRange => io::close_range [first: u32, last: u32, flags: u32];
    Dup => io::dup [fd: Fd];
    Dup2 => io::dup2 [old: Fd, new: Fd];
    Dup3 => io::dup3 [old: Fd, new: Fd, flags: u32];
    Fcntl => io::fcntl [fd: Fd, cmd: u32, arg: u64];
    Ioctl => io::ioctl [fd: Fd, request: u32, arg: u64];
    Getdents64 => io::getdents64 [fd: Fd, dirp: UserBuffer, count: usize];
    Getdents => io::getdents [fd: Fd, dirp: UserBuffer, count: usize];
    Ftruncate => io::ftruncate [fd: Fd, length: i64];
    Fsync => io::fsync [fd: Fd];
    Fdatasync => io::fsync [fd: Fd];

    // Space and advice (fs/space.rs).
    Fallocate => space::fallocate [fd: Fd, mode: u32, offset: i64, len: i64];
    Fadvise64 => space::fadvise64 [fd: Fd, offset: i64, len: i64, advice: u32];
    Readahead => space::readahead [fd: Fd, offset: i64, count: usize];
    SyncFileRange => space::sync_file_range [fd: Fd, offset: i64, nbytes: i64, flags: u32];

    // Paths (fs/path.rs).
    Open => path::open [path: UserPath, flags: OpenFlags, mode: Mode];
    Openat => path::openat [dirfd: DirFd, path: UserPath, flags: OpenFlags, mode: Mode];
    Openat2 => path::openat2 [dirfd: DirFd, path: UserPath, how: UserBuffer, size: usize];
    Creat => path::creat [path: UserPath, mode: Mode];
    Stat => path::stat [path: UserPath, buf: UserPtr<Stat>];
    Lstat => path::lstat [path: UserPath, buf: UserPtr<Stat>];
    Fstat => path::fstat [fd: Fd, buf: UserPtr<Stat>];
    Newfstatat => path::newfstatat [dirfd: DirFd, path: UserPath, buf: UserPtr<Stat>, flags: AtFlags];
    Statx => path::statx [dirfd: DirFd, path: UserPath, flags: AtFlags, mask: u32, buf: UserPtr<Statx>];
    Access => path::access [path: UserPath, mode: u32];
    Faccessat => path::faccessat [dirfd: DirFd, path: UserPath, mode: u32];
    Faccessat2 => path::faccessat2 [dirfd: DirFd, path: UserPath, mode: u32, flags: AtFlags];
    Mkdir => path::mkdir [path: UserPath, mode: Mode];
    Mkdirat => path::mkdirat [dirfd: DirFd, path: UserPath, mode: Mode];
    Mknod => path::mknod [path: UserPath, mode: Mode, dev: u64];
    Mknodat => path::mknodat [dirfd: DirFd, path: UserPath, mode: Mode, dev: u64];
    Unlink => path::unlink [path: UserPath];
    Unlinkat => path::unlinkat [dirfd: DirFd, path: UserPath, flags: AtFlags];
    Rmdir => path::rmdir [path: UserPath];
    Link => path::link [old: UserPath, new: UserPath];
    Linkat => path::linkat [olddir: DirFd, old: UserPath, newdir: DirFd, new: UserPath, flags: AtFlags];
    Symlink => path::symlink [target: UserPath, path: UserPath];
    Symlinkat => path::symlinkat [target: UserPath, dirfd: DirFd, path: UserPath];
    Readlink => path::readlink [path: UserPath, buf: UserBuffer, size: i32];
    Readlinkat => path::readlinkat [dirfd: DirFd, path: UserPath, buf: UserBuffer, size: i32];
    Rename => path::rename [old: UserPath, new: UserPath];
    Renameat => path::renameat [olddir: DirFd, old: UserPath, newdir: DirFd, new: UserPath];
    Renameat2 => path::renameat2 [olddir: DirFd, old: UserPath, newdir: DirFd, new: UserPath, flags: u32];
    Truncate => path::truncate [path: UserPath, length: i64];

    // Attributes (fs/attr.rs).
    Chmod => attr::chmod [path: UserPath, mode: Mode];
    Fchmod => attr::fchmod [fd: Fd, mode: Mode];
    Fchmodat => attr::fchmodat [dirfd: DirFd, path: UserPath, mode: Mode];
    Chown => attr::chown [path: UserPath, uid: OptionalId, gid: OptionalId];
    Lchown => attr::lchown [path: UserPath, uid: OptionalId, gid: OptionalId];
    Fchown => attr::fchown [fd: Fd, uid: OptionalId, gid: OptionalId];
    Fchownat => attr::fchownat [dirfd: DirFd, path: UserPath, uid: OptionalId, gid: OptionalId, flags: AtFlags];
    Umask => attr::umask [mask: u32];
    Utime => attr::utime [path: UserPath, times: UserPtr<[i64; 2]>];
    Utimes => attr::utimes [path: UserPath, times: UserPtr<[Timeval; 2]>];
    Futimesat => attr::futimesat [dirfd: DirFd, path: UserPath, times: UserPtr<[Timeval; 2]>];
    Utimensat => attr::utimensat [dirfd: DirFd, path: UserPath, times: UserPtr<[Timespec; 2]>, flags: AtFlags];
    // Extended attributes (fs/xattr.rs).
    Setxattr => xattr::setxattr [path: UserPath, name: UserBuffer, value: UserBuffer, size: usize, flags: u32];
    Lsetxattr => xattr::lsetxattr [path: UserPath, name: UserBuffer, value: UserBuffer, size: usize, flags: u32];
    Fsetxattr => xattr::fsetxattr [fd: Fd, name: UserBuffer, value: UserBuffer, size: usize, flags: u32];
    Getxattr => xattr::getxattr [path: UserPath, name: UserBuffer, value: UserBuffer, size: usize];
    Lgetxattr => xattr::lgetxattr [path: UserPath, name: UserBuffer, value: UserBuffer, size: usize];
    Fgetxattr => xattr::fgetxattr [fd: Fd, name: UserBuffer, value: UserBuffer, size: usize];
    Listxattr => xattr::listxattr [path: UserPath, names: UserBuffer, size: usize];
    Llistxattr => xattr::llistxattr [path: UserPath, names: UserBuffer, size: usize];
    Flistxattr => xattr::flistxattr [fd: Fd, names: UserBuffer, size: usize];
    Removexattr => xattr::removexattr [path: UserPath, name: UserBuffer];
    Lremovexattr => xattr::lremovexattr [path: UserPath, name: UserBuffer];
    Fremovexattr => xattr::fremovexattr [fd: Fd, name: UserBuffer];
    Statfs => attr::statfs [path: UserPath, buf: UserPtr<Statfs>];
    Fstatfs => attr::fstatfs [fd: Fd, buf: UserPtr<Statfs>];

    // Directories and mounts (fs/dir.rs).
    Getcwd => dir::getcwd [buf: UserBuffer, size: usize];
    Chdir => dir::chdir [path: UserPath];
    Fchdir => dir::fchdir [fd: Fd];
    Chroot => dir::chroot [path: UserPath];
    Mount => dir::mount [source: UserPath, target: UserPath, kind: UserPath, flags: u64, data: u64];
    Umount2 => dir::umount2 [target: UserPath, flags: u32];
    Sync => dir::sync [];
    Syncfs => dir::syncfs [fd: Fd];

    // Pipes (fs/pipe.rs) and readiness (fs/poll.rs).
    Pipe => pipe::pipe [fds: UserPtr<[i32; 2]>];
    Pipe2 => pipe::pipe2 [fds: UserPtr<[i32; 2]>, flags: u32];
    Poll => poll::poll [fds: UserPtr<PollFd>, count: usize, timeout_ms: i32];
    Ppoll => poll::ppoll [fds: UserPtr<PollFd>, count: usize, timeout: UserPtr<Timespec>, sigmask: UserPtr<u64>, sigsetsize: usize];
    Select => poll::select [nfds: i32, readfds: UserPtr<u64>, writefds: UserPtr<u64>, exceptfds: UserPtr<u64>, timeout: UserPtr<Timeval>];
    Pselect6 => poll::pselect6 [nfds: i32, readfds: UserPtr<u64>, writefds: UserPtr<u64>, exceptfds: UserPtr<u64>, timeout: UserPtr<Timespec>, sigmask: UserPtr<[u64; 2]>];

    // Unix-domain sockets (net/socket.rs, net/message.rs).
    Socket => socket::socket [domain: i32, kind: i32, protocol: i32];
    Socketpair => socket::socketpair [domain: i32, kind: i32, protocol: i32, fds: UserPtr<[i32; 2]>];
    Bind => socket::bind [fd: Fd, address: UserBuffer, len: u32];
    Listen => socket::listen [fd: Fd, backlog: i32];
    Accept => socket::accept [fd: Fd, address: UserBuffer, len: UserPtr<u32>];
    Accept4 => socket::accept4 [fd: Fd, address: UserBuffer, len: UserPtr<u32>, flags: i32];
    Connect => socket::connect [fd: Fd, address: UserBuffer, len: u32];
    Getsockname => socket::getsockname [fd: Fd, address: UserBuffer, len: UserPtr<u32>];
    Getpeername => socket::getpeername [fd: Fd, address: UserBuffer, len: UserPtr<u32>];
    Shutdown => socket::shutdown [fd: Fd, how: i32];
    Getsockopt => options::getsockopt [fd: Fd, level: i32, name: i32, value: UserBuffer, len: UserPtr<u32>];
    Setsockopt => options::setsockopt [fd: Fd, level: i32, name: i32, value: UserBuffer, len: u32];
    Sendto => message::sendto [fd: Fd, buffer: UserBuffer, len: usize, flags: i32, address: UserBuffer, address_len: u32];
    Recvfrom => message::recvfrom [fd: Fd, buffer: UserBuffer, len: usize, flags: i32, address: UserBuffer, address_len: UserPtr<u32>];
    Sendmsg => message::sendmsg [fd: Fd, message: UserPtr<[u64; 7]>, flags: i32];
    Recvmsg => message::recvmsg [fd: Fd, message: UserPtr<[u64; 7]>, flags: i32];
    Sendmmsg => message::sendmmsg [fd: Fd, messages: UserBuffer, count: u32, flags: i32];
    Recvmmsg => message::recvmmsg [fd: Fd, messages: UserBuffer, count: u32, flags: i32, timeout: UserPtr<Timespec>];
    // Interest lists (fs/epoll.rs).
    EpollCreate => epoll::epoll_create [size: i32];
    EpollCreate1 => epoll::epoll_create1 [flags: u32];
    EpollCtl => epoll::epoll_ctl [epfd: Fd, op: i32, fd: Fd, event: UserBuffer];
    EpollWait => epoll::epoll_wait [epfd: Fd, events: UserBuffer, max: i32, timeout_ms: i32];
    EpollPwait => epoll::epoll_pwait [epfd: Fd, events: UserBuffer, max: i32, timeout_ms: i32, sigmask: UserPtr<u64>, sigsetsize: usize];
    EpollPwait2 => epoll::epoll_pwait2 [epfd: Fd, events: UserBuffer, max: i32, timeout: UserPtr<Timespec>, sigmask: UserPtr<u64>, sigsetsize: usize];
    // Process descriptors (process/pidfd.rs).
    PidfdOpen => pidfd::pidfd_open [pid: i32, flags: u32];
    PidfdSendSignal => pidfd::pidfd_send_signal [fd: Fd, signum: i32, info: UserPtr<RawSigInfo>, flags: u32];
    PidfdGetfd => pidfd::pidfd_getfd [fd: Fd, target_fd: i32, flags: u32];
    Kcmp => kcmp::kcmp [pid1: i32, pid2: i32, kind: i32, idx1: u64, idx2: u64];
    // Signals as descriptors (signals/signalfd.rs).
    Signalfd => signalfd::signalfd [fd: i32, mask: UserPtr<u64>, size: usize];
    Signalfd4 => signalfd::signalfd4 [fd: i32, mask: UserPtr<u64>, size: usize, flags: u32];
    // Moving bytes between descriptors (fs/transfer.rs).
    Sendfile => transfer::sendfile [out: Fd, input: Fd, offset: UserPtr<i64>, count: usize];
    Splice => transfer::splice [fd_in: Fd, off_in: UserPtr<i64>, fd_out: Fd, off_out: UserPtr<i64>, len: usize, flags: u32];
    Tee => transfer::tee [fd_in: Fd, fd_out: Fd, len: usize, flags: u32];
    Vmsplice => transfer::vmsplice [fd: Fd, iov: UserPtr<IoVec>, count: usize, flags: u32];
    CopyFileRange => transfer::copy_file_range [fd_in: Fd, off_in: UserPtr<i64>, fd_out: Fd, off_out: UserPtr<i64>, len: usize, flags: u32];
    // System V shared memory (ipc/shm.rs).
    Shmget => shm::shmget [key: i32, size: u64, flags: u32];
    Shmat => shm::shmat [id: i32, address: u64, flags: u32];
    Shmdt => shm::shmdt [address: u64];
    Shmctl => shm::shmctl [id: i32, command: i32, buf: u64];
    // System V message queues (ipc/msg.rs).
    Msgget => msg::msgget [key: i32, flags: u32];
    Msgsnd => msg::msgsnd [id: i32, msgp: u64, size: u64, flags: u32];
    Msgrcv => msg::msgrcv [id: i32, msgp: u64, size: u64, msgtyp: i64, flags: u32];
    Msgctl => msg::msgctl [id: i32, command: i32, buf: u64];
    // System V semaphores (ipc/sem.rs).
    Semget => sem::semget [key: i32, nsems: i32, flags: u32];
    Semop => sem::semop [id: i32, sops: u64, nsops: u64];
    Semtimedop => sem::semtimedop [id: i32, sops: u64, nsops: u64, timeout: UserPtr<Timespec>];
    Semctl => sem::semctl [id: i32, semnum: i32, command: i32, arg: u64];
    // Unnamed memory files (fs/memfd.rs; seals are fcntl's, in fs/io.rs).
    MemfdCreate => memfd::memfd_create [name: UserPath, flags: u32];
    // Advisory locks (fs/lock.rs; the fcntl forms are in fs/io.rs).
    Flock => lock::flock [fd: Fd, operation: i32];
    // Timers as descriptors (fs/timerfd.rs).
    TimerfdCreate => timerfd::timerfd_create [clock: i32, flags: u32];
    TimerfdSettime => timerfd::timerfd_settime [fd: Fd, flags: u32, new: UserPtr<[Timespec; 2]>, old: UserPtr<[Timespec; 2]>];
    TimerfdGettime => timerfd::timerfd_gettime [fd: Fd, current: UserPtr<[Timespec; 2]>];
    // Event counters (fs/eventfd.rs).
    Eventfd => eventfd::eventfd [initial: u32];
    Eventfd2 => eventfd::eventfd2 [initial: u32, flags: u32];
    // File-change notification (fs/inotify.rs).
    InotifyInit => inotify::inotify_init [];
    InotifyInit1 => inotify::inotify_init1 [flags: u32];
    InotifyAddWatch => inotify::inotify_add_watch [fd: Fd, path: UserPath, mask: u32];
    InotifyRmWatch => inotify::inotify_rm_watch [fd: Fd, wd: i32];

    // Time (time.rs).
    ClockGettime => time::clock_gettime [clock: u32, tp: UserPtr<Timespec>];
    ClockGetres => time::clock_getres [clock: u32, res: UserPtr<Timespec>];
    Gettimeofday => time::gettimeofday [tv: UserPtr<Timeval>, tz: UserPtr<Timezone>];
    Settimeofday => time::settimeofday [tv: UserPtr<Timeval>, tz: UserPtr<Timezone>];
    ClockSettime => time::clock_settime [clock: u32, tp: UserPtr<Timespec>];
    Time => time::time [tloc: UserPtr<i64>];
    Nanosleep => time::nanosleep [request: UserPtr<Timespec>, remaining: UserPtr<Timespec>];
    ClockNanosleep => time::clock_nanosleep [clock: u32, flags: u32, request: UserPtr<Timespec>, remaining: UserPtr<Timespec>];
    RestartSyscall => time::restart_syscall [];

    // The address space (memory.rs).
    Mmap => memory::mmap [address: u64, len: u64, prot: u32, flags: u32, fd: Fd, offset: u64];
    Munmap => memory::munmap [address: u64, len: u64];
    Mprotect => memory::mprotect [address: u64, len: u64, prot: u32];
    Brk => memory::brk [address: u64];
    Mremap => memory::mremap [address: u64, old_len: u64, new_len: u64, flags: u32, new_address: u64];
    Msync => memory::msync [address: u64, len: u64, flags: u32];
    Madvise => memory::madvise [address: u64, len: u64, advice: u32];
    Mincore => memory::mincore [address: u64, len: u64, vec: UserBuffer];
    Mlock => memory_lock::mlock [address: u64, len: u64];
    Mlock2 => memory_lock::mlock2 [address: u64, len: u64, flags: u32];
    Munlock => memory_lock::munlock [address: u64, len: u64];
    Mlockall => memory_lock::mlockall [flags: u32];
    Munlockall => memory_lock::munlockall [];
    // Barriers on other CPUs (membarrier.rs).
    Membarrier => membarrier::membarrier [cmd: i32, flags: u32, cpu_id: i32];

    // Ids, groups and sessions (process/ids.rs).
    Getpid => ids::getpid [];
    Getppid => ids::getppid [];
    Gettid => ids::gettid [];
    Getpgrp => ids::getpgrp [];
    Setpgid => ids::setpgid [pid: i32, pgid: i32];
    Getpgid => ids::getpgid [pid: i32];
    Setsid => ids::setsid [];
    Getsid => ids::getsid [pid: i32];
    SetTidAddress => ids::set_tid_address [address: u64];
    SetRobustList => ids::set_robust_list [head: u64, len: usize];
    GetRobustList => ids::get_robust_list [tid: i32, head: UserPtr<u64>, len: UserPtr<u64>];
    SchedYield => ids::sched_yield [];
    SchedSetaffinity => ids::sched_setaffinity [tid: i32, len: usize, mask: UserPtr<u64>];
    SchedGetaffinity => ids::sched_getaffinity [tid: i32, len: usize, mask: UserPtr<u64>];
    SchedSetscheduler => ids::sched_setscheduler [tid: i32, policy: i32, param: UserPtr<i32>];
    SchedSetattr => ids::sched_setattr [tid: i32, attr: UserPtr<SchedAttr>, flags: u32];
    SchedGetattr => ids::sched_getattr [tid: i32, attr: UserPtr<SchedAttr>, size: u32, flags: u32];
    SchedGetscheduler => ids::sched_getscheduler [tid: i32];
    SchedSetparam => ids::sched_setparam [tid: i32, param: UserPtr<i32>];
    SchedGetparam => ids::sched_getparam [tid: i32, param: UserPtr<i32>];
    SchedGetPriorityMax => ids::sched_get_priority_max [policy: i32];
    SchedGetPriorityMin => ids::sched_get_priority_min [policy: i32];
    SchedRrGetInterval => ids::sched_rr_get_interval [tid: i32, interval: UserPtr<Timespec>];
    Getcpu => ids::getcpu [cpu: UserPtr<u32>, node: UserPtr<u32>];

    // Credentials (process/credentials.rs).
    Getuid => credentials::getuid [];
    Geteuid => credentials::geteuid [];
    Getgid => credentials::getgid [];
    Getegid => credentials::getegid [];
    Getresuid => credentials::getresuid [real: UserPtr<u32>, effective: UserPtr<u32>, saved: UserPtr<u32>];
    Getresgid => credentials::getresgid [real: UserPtr<u32>, effective: UserPtr<u32>, saved: UserPtr<u32>];
    Setuid => credentials::setuid [uid: u32];
    Setgid => credentials::setgid [gid: u32];
    Setreuid => credentials::setreuid [real: u32, effective: u32];
    Setregid => credentials::setregid [real: u32, effective: u32];
    Setresuid => credentials::setresuid [real: u32, effective: u32, saved: u32];
    Setresgid => credentials::setresgid [real: u32, effective: u32, saved: u32];
    Setfsuid => credentials::setfsuid [fsuid: u32];
    Setfsgid => credentials::setfsgid [fsgid: u32];
    Getgroups => credentials::getgroups [size: i32, list: u64];
    Setgroups => credentials::setgroups [size: usize, list: u64];

    // Waiting for children (process/wait.rs).
    Wait4 => wait::wait4 [pid: i32, status: UserPtr<i32>, options: u32, rusage: UserPtr<Rusage>];
    Waitid => wait::waitid [idtype: u32, id: i32, info: UserPtr<RawSigInfo>, options: u32];

    // The life cycle (process/lifecycle.rs).
    Clone => lifecycle::clone [flags: u64, stack: u64, parent_tid: UserPtr<i32>, child_tid: u64, tls: u64];
    Fork => lifecycle::fork [];
    Vfork => lifecycle::vfork [];
    Execve => lifecycle::execve [path: UserPath, argv: u64, envp: u64];
    Execveat => lifecycle::execveat [dirfd: DirFd, path: UserPath, argv: u64, envp: u64, flags: AtFlags];
    Exit => lifecycle::exit [status: i32];
    ExitGroup => lifecycle::exit_group [status: i32];
    Clone3 => lifecycle::clone3 [args: u64, size: usize];
    ArchPrctl => lifecycle::arch_prctl [code: i32, address: u64];

    // Tracing (process/ptrace.rs).
    Ptrace => ptrace::ptrace [request: i64, pid: i32, addr: u64, data: u64];

    // Other processes' memory (process/remote_memory.rs).
    ProcessVmReadv => remote_memory::process_vm_readv [pid: i32, local: UserPtr<IoVec>, local_count: usize, remote: UserPtr<IoVec>, remote_count: usize, flags: u64];
    ProcessVmWritev => remote_memory::process_vm_writev [pid: i32, local: UserPtr<IoVec>, local_count: usize, remote: UserPtr<IoVec>, remote_count: usize, flags: u64];

    // Deliberately absent; libc falls back (unknown.rs).
    Rseq => crate::unknown::absent [];

    // Futexes (futex.rs).
    Futex => crate::futex::futex [address: UserPtr<u32>, op: i32, value: u32, timeout: UserPtr<Timespec>, address2: u64, bitset: u32];

    // Signals (signals/calls.rs).
    RtSigaction => signals::rt_sigaction [signum: i32, act: UserPtr<KernelSigAction>, oldact: UserPtr<KernelSigAction>, size: usize];
    RtSigprocmask => signals::rt_sigprocmask [how: i32, set: UserPtr<u64>, oldset: UserPtr<u64>, size: usize];
    RtSigpending => signals::rt_sigpending [set: UserPtr<u64>, size: usize];
    Sigaltstack => signals::sigaltstack [ss: UserPtr<StackT>, old: UserPtr<StackT>];
    Kill => signals::kill [pid: i32, signum: i32];
    Tkill => signals::tkill [tid: i32, signum: i32];
    Tgkill => signals::tgkill [tgid: i32, tid: i32, signum: i32];
    RtSigqueueinfo => signals::rt_sigqueueinfo [pid: i32, signum: i32, info: UserPtr<RawSigInfo>];
    RtTgsigqueueinfo => signals::rt_tgsigqueueinfo [tgid: i32, tid: i32, signum: i32, info: UserPtr<RawSigInfo>];
    Pause => signals::pause [];
    RtSigsuspend => signals::rt_sigsuspend [mask: UserPtr<u64>, size: usize];
    RtSigtimedwait => signals::rt_sigtimedwait [set: UserPtr<u64>, info: UserPtr<RawSigInfo>, timeout: UserPtr<Timespec>, size: usize];
    Alarm => signals::alarm [seconds: u32];
    // POSIX timers (signals/posix_timers.rs).
    TimerCreate => posix_timers::timer_create [clock: u32, event: UserPtr<SigEvent>, id: UserPtr<i32>];
    TimerSettime => posix_timers::timer_settime [id: i32, flags: u32, new: UserPtr<[Timespec; 2]>, old: UserPtr<[Timespec; 2]>];
    TimerGettime => posix_timers::timer_gettime [id: i32, current: UserPtr<[Timespec; 2]>];
    TimerGetoverrun => posix_timers::timer_getoverrun [id: i32];
    TimerDelete => posix_timers::timer_delete [id: i32];
    Getitimer => signals::getitimer [which: i32, value: UserPtr<Itimerval>];
    Setitimer => signals::setitimer [which: i32, new: UserPtr<Itimerval>, old: UserPtr<Itimerval>];
    RtSigreturn => signals::rt_sigreturn [];

    // System information and limits (info.rs).
    Uname => info::uname [buf: UserPtr<Utsname>];
    Sethostname => info::sethostname [name: UserBuffer, len: usize];
    Setdomainname => info::setdomainname [name: UserBuffer, len: usize];
    Prlimit64 => info::prlimit64 [pid: i32, resource: u32, new: UserPtr<RawRlimit>, old: UserPtr<RawRlimit>];
    Getrlimit => info::getrlimit [resource: u32, old: UserPtr<RawRlimit>];
    Setrlimit => info::setrlimit [resource: u32, new: UserPtr<RawRlimit>];
    Getrusage => info::getrusage [who: i32, usage: UserPtr<Rusage>];
    Times => info::times [buf: UserPtr<[u64; 4]>];
    Sysinfo => info::sysinfo [info: UserPtr<Sysinfo>];
    Syslog => info::syslog [action: i32, buffer: UserBuffer, len: i32];
    Getrandom => info::getrandom [buf: UserBuffer, count: usize, flags: u32];
    Getpriority => info::getpriority [which: i32, who: i32];
    Setpriority => info::setpriority [which: i32, who: i32, nice: i32];
    IoprioSet => ioprio::ioprio_set [which: i32, who: i32, ioprio: i32];
    IoprioGet => ioprio::ioprio_get [which: i32, who: i32];
    Prctl => info::prctl [option: u32, arg2: u64, arg3: u64, arg4: u64, arg5: u64];
    Personality => info::personality [persona: u32];
    Capget => capabilities::capget [header: UserPtr<CapUserHeader>, data: UserPtr<CapUserData>];
    Capset => capabilities::capset [header: UserPtr<CapUserHeader>, data: UserPtr<CapUserData>];
    Seccomp => seccomp::seccomp [operation: u32, flags: u32, args: u64];
    Reboot => info::reboot [magic1: u32, magic2: u32, cmd: u32];
}
