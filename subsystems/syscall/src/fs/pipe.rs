//! Anonymous pipes.

use core::sync::atomic::{AtomicU64, Ordering};

use abi::Errno;
use fs::OpenFlags;

use crate::SyscallResult;
use crate::args::UserPtr;
use crate::context::Context;
use crate::kernel::Kernel;

/// Inode numbers of pipes (their own file system, as Linux's pipefs);
/// only `/proc/<pid>/fd` shows them.
static NEXT_PIPE_INODE: AtomicU64 = AtomicU64::new(1);

/// `pipe2(fds, flags)`: both ends installed or neither.
pub fn pipe2<K: Kernel>(ctx: &Context<'_, K>, fds: UserPtr<[i32; 2]>, flags: u32) -> SyscallResult {
    let allowed = OpenFlags::O_CLOEXEC | OpenFlags::O_NONBLOCK | OpenFlags::O_DIRECT;
    let flags = OpenFlags::from_bits(flags)
        .filter(|f| allowed.contains(*f))
        .ok_or(Errno::EINVAL)?;
    let ino = NEXT_PIPE_INODE.fetch_add(1, Ordering::Relaxed);
    // The pipe belongs to its maker, as Linux's pipefs inode does (its
    // /proc/<pid>/fd link opens only for that owner, or root).
    let credentials = ctx.fs_credentials();
    let owner = fs::Owner {
        uid: credentials.uid,
        gid: credentials.gid,
    };
    let (reader, writer) = fs::pipe::create_pipe(ctx.kernel.new_wait_queue(), flags, ino, owner)?;
    let cloexec = flags.contains(OpenFlags::O_CLOEXEC);
    ctx.install_pair((reader, writer), cloexec, fds)?;
    Ok(0)
}

/// `pipe(fds)`.
pub fn pipe<K: Kernel>(ctx: &Context<'_, K>, fds: UserPtr<[i32; 2]>) -> SyscallResult {
    pipe2(ctx, fds, 0)
}
