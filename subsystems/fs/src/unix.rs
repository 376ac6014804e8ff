//! The `AF_UNIX` name space: abstract names and sockets bound to
//! file-system nodes, which `bind` fills and `connect` and `sendto`
//! search.

use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};
use core::sync::atomic::{AtomicU32, Ordering};

use abi::{Errno, KernelResult};
use lock::Mutex;

use crate::socket::{Socket, SocketAddress};

/// Where named sockets are found: the abstract namespace and the sockets
/// bound to file-system nodes. Held weakly: a closed socket's name is free
/// again (for a path, once its node is removed).
#[derive(Default)]
pub struct UnixNamespace {
    names: Mutex<BTreeMap<SocketAddress, Weak<Socket>>>,
    /// Where the search for a free autobind name starts.
    next_autobind: AtomicU32,
}

/// How many names autobinding has: a NUL and five hex digits.
const AUTOBIND_NAMES: u32 = 1 << 20;

impl UnixNamespace {
    /// An empty namespace.
    pub fn new() -> UnixNamespace {
        UnixNamespace::default()
    }

    /// Binds `socket` to `address`: `EADDRINUSE` if a live socket has it.
    pub fn bind(&self, socket: &Arc<Socket>, address: SocketAddress) -> KernelResult<()> {
        let mut names = self.names.lock();
        names.retain(|_, socket| socket.strong_count() > 0);
        if names.contains_key(&address) {
            return Err(Errno::EADDRINUSE);
        }
        socket.set_address(address.clone())?;
        names.insert(address, Arc::downgrade(socket));
        Ok(())
    }

    /// Binds an unnamed `socket` to a free abstract name of a NUL and five
    /// lowercase hex digits (unix(7)'s autobind: `bind` with only the
    /// family, or `SO_PASSCRED` on an unnamed socket that connects or
    /// sends); a socket with a name keeps it. `ENOSPC` when all 2^20 names
    /// are taken.
    pub fn autobind(&self, socket: &Arc<Socket>) -> KernelResult<()> {
        let mut names = self.names.lock();
        if socket.address() != SocketAddress::Unnamed {
            return Ok(());
        }
        names.retain(|_, socket| socket.strong_count() > 0);
        for _ in 0..AUTOBIND_NAMES {
            let number = self.next_autobind.fetch_add(1, Ordering::Relaxed) % AUTOBIND_NAMES;
            let digits = (0..5).rev().map(|shift| {
                let digit = (number >> (shift * 4)) & 0xf;
                b"0123456789abcdef"[digit as usize]
            });
            let address = SocketAddress::Abstract(digits.collect());
            if let alloc::collections::btree_map::Entry::Vacant(free) = names.entry(address.clone())
            {
                socket.set_address(address)?;
                free.insert(Arc::downgrade(socket));
                return Ok(());
            }
        }
        Err(Errno::ENOSPC)
    }

    /// The socket bound to `address` (a path's is found by its node):
    /// `ECONNREFUSED` when nothing live is.
    pub fn find(&self, address: &SocketAddress) -> KernelResult<Arc<Socket>> {
        let names = self.names.lock();
        let found = match address {
            SocketAddress::Path(_, node) => names.iter().find_map(|(name, socket)| match name {
                SocketAddress::Path(_, bound) if bound == node => socket.upgrade(),
                _ => None,
            }),
            other => names.get(other).and_then(Weak::upgrade),
        };
        found.ok_or(Errno::ECONNREFUSED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::socket::tests::{ME, recv};
    use crate::socket::{Domain, SocketKind};
    use crate::types::PollEvents;
    use crate::wait::NoWaiters;
    use alloc::vec::Vec;

    #[test]
    fn autobind_picks_distinct_free_abstract_names() {
        let names = UnixNamespace::new();
        let socket = |id| {
            Socket::new(
                Domain::Unix,
                SocketKind::Datagram,
                0,
                ME,
                id,
                Arc::new(NoWaiters),
            )
        };
        let taken = socket(1);
        names
            .bind(&taken, SocketAddress::Abstract(b"00000".to_vec()))
            .unwrap();
        let (a, b) = (socket(2), socket(3));
        names.autobind(&a).unwrap();
        names.autobind(&b).unwrap();
        assert_eq!(a.address(), SocketAddress::Abstract(b"00001".to_vec()));
        assert_eq!(b.address(), SocketAddress::Abstract(b"00002".to_vec()));
        names.autobind(&a).unwrap();
        assert_eq!(
            a.address(),
            SocketAddress::Abstract(b"00001".to_vec()),
            "kept"
        );
        assert!(Arc::ptr_eq(&names.find(&b.address()).unwrap(), &b));
    }

    #[test]
    fn listening_and_connecting_by_name() {
        let names = UnixNamespace::new();
        let server = Socket::new(
            Domain::Unix,
            SocketKind::Stream,
            0,
            ME,
            1,
            Arc::new(NoWaiters),
        );
        let address = SocketAddress::Abstract(b"courage".to_vec());
        assert_eq!(server.listen(5), Err(Errno::EINVAL), "unnamed");
        names.bind(&server, address.clone()).unwrap();
        server.listen(5).unwrap();
        let other = Socket::new(
            Domain::Unix,
            SocketKind::Stream,
            0,
            ME,
            9,
            Arc::new(NoWaiters),
        );
        assert_eq!(names.bind(&other, address.clone()), Err(Errno::EADDRINUSE));
        assert_eq!(server.accept().err(), Some(Errno::EAGAIN));
        let client = Socket::new(
            Domain::Unix,
            SocketKind::Stream,
            0,
            ME,
            2,
            Arc::new(NoWaiters),
        );
        let found = names.find(&address).unwrap();
        client
            .connect_to(&found, 3, found.address(), Arc::new(NoWaiters))
            .unwrap();
        assert!(server.readiness().contains(PollEvents::POLLIN));
        let accepted = server.accept().unwrap();
        assert_eq!(accepted.address(), address);
        client
            .send(b"hi", Vec::new(), ME, None, Default::default())
            .unwrap();
        assert_eq!(recv(&accepted, 8).unwrap(), b"hi");
        assert_eq!(client.peer_address(), Ok(address.clone()));
        drop(server);
        drop(found);
        assert_eq!(
            names.find(&address).err(),
            Some(Errno::ECONNREFUSED),
            "a closed listener's name is free"
        );
    }
}
