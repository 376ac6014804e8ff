//! `AF_NETLINK` sockets (`NETLINK_ROUTE`): binding port ids, and requests
//! to the kernel answered into the asking socket's queue by
//! [`fs::netlink`].

use alloc::sync::Arc;

use abi::KernelResult;
use fs::socket::{Socket, SocketAddress};

use crate::context::Context;
use crate::kernel::Kernel;

/// `bind` of a netlink socket: port id 0 picks one (the process id when
/// free).
pub(crate) fn bind<K: Kernel>(
    ctx: &Context<'_, K>,
    socket: &Arc<Socket>,
    port: u32,
    groups: u32,
) -> KernelResult<u32> {
    let pid = ctx.process.pid() as u32;
    ctx.kernel
        .vfs()
        .netlink_ports()
        .bind(socket, port, groups, pid)
}

/// The socket's port id, binding it first if it has none (as a first send
/// does on Linux).
fn autobind<K: Kernel>(ctx: &Context<'_, K>, socket: &Arc<Socket>) -> KernelResult<u32> {
    match socket.address() {
        SocketAddress::Netlink { port, .. } => Ok(port),
        _ => bind(ctx, socket, 0, 0),
    }
}

/// A datagram sent to the kernel: every request in it is answered into
/// the sender's own queue.
pub(crate) fn to_kernel<K: Kernel>(
    ctx: &Context<'_, K>,
    socket: &Arc<Socket>,
    datagram: &[u8],
) -> KernelResult<()> {
    autobind(ctx, socket)?;
    socket.ask_kernel(datagram);
    Ok(())
}
