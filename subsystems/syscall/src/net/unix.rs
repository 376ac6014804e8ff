//! `AF_UNIX` naming: binding a socket to a new file-system node or an
//! abstract name, and finding the socket a name stands for.

use alloc::sync::Arc;
use alloc::vec::Vec;

use abi::{Errno, KernelResult};
use fs::socket::{Socket, SocketAddress};

use crate::args::DirFd;
use crate::context::Context;
use crate::kernel::Kernel;

fn path_of(name: &[u8]) -> alloc::borrow::Cow<'_, str> {
    fs::name::from_bytes(name)
}

/// The socket a name stands for (`connect`, `sendto`): a path is resolved
/// to its node, which must be a socket (`ECONNREFUSED` if none is bound to
/// it); an abstract name is looked up directly.
pub(crate) fn find<K: Kernel>(
    ctx: &Context<'_, K>,
    name: Vec<u8>,
    is_abstract: bool,
) -> KernelResult<Arc<Socket>> {
    let address = if is_abstract {
        SocketAddress::Abstract(name)
    } else {
        let path = &*path_of(&name);
        let stat = ctx.at(DirFd::Cwd, path, |pc| ctx.kernel.vfs().stat(pc, path, true))?;
        if stat.mode & abi::S_IFMT != abi::S_IFSOCK {
            return Err(Errno::ECONNREFUSED);
        }
        ctx.at(DirFd::Cwd, path, |pc| ctx.kernel.vfs().access(pc, path, 2))?;
        SocketAddress::Path(name.clone(), (stat.dev, stat.ino))
    };
    ctx.kernel.vfs().unix_names().find(&address)
}

/// `bind` of an `AF_UNIX` socket: an abstract name, or a new socket node at
/// a path (`EADDRINUSE` if the path exists).
pub(crate) fn bind<K: Kernel>(
    ctx: &Context<'_, K>,
    socket: &Arc<Socket>,
    name: Vec<u8>,
    is_abstract: bool,
) -> KernelResult<()> {
    if socket.address() != SocketAddress::Unnamed {
        return Err(Errno::EINVAL);
    }
    let address = if is_abstract {
        SocketAddress::Abstract(name)
    } else {
        let path = &*path_of(&name);
        let umask = ctx.process.data().fs().map_or(0o022, |fs| fs.umask());
        let made = ctx.at(DirFd::Cwd, path, |pc| {
            ctx.kernel
                .vfs()
                .mknod(pc, path, abi::S_IFSOCK | (0o777 & !umask), 0)
        });
        match made {
            Err(Errno::EEXIST) => return Err(Errno::EADDRINUSE),
            other => other?,
        }
        let stat = ctx.at(DirFd::Cwd, path, |pc| {
            ctx.kernel.vfs().stat(pc, path, false)
        })?;
        SocketAddress::Path(name.clone(), (stat.dev, stat.ino))
    };
    ctx.kernel.vfs().unix_names().bind(socket, address)
}

/// unix(7)'s autobind of an unnamed socket with `SO_PASSCRED` that
/// connects or sends a datagram: it gets an abstract name first, as on
/// Linux, so that whoever receives its credentials can answer it.
pub(crate) fn autobind_to_pass_credentials<K: Kernel>(
    ctx: &Context<'_, K>,
    socket: &Arc<Socket>,
) -> KernelResult<()> {
    if socket.pass_credentials() && socket.address() == SocketAddress::Unnamed {
        ctx.kernel.vfs().unix_names().autobind(socket)?;
    }
    Ok(())
}
