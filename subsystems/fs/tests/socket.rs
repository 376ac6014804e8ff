//! Unix socket pairs as the scheduler sees them: which wakes they ask for.

mod common;

use std::sync::Arc;

use common::WakeKinds;
use fs::socket::{Socket, SocketCredentials, SocketKind};

const ME: SocketCredentials = SocketCredentials {
    pid: 7,
    uid: 1000,
    gid: 100,
};

#[test]
fn sending_and_receiving_wake_the_other_end_as_sync_wakes() {
    let queue = Arc::new(WakeKinds::default());
    let (a, b) = Socket::pair(SocketKind::Stream, ME, (1, 2), queue.clone());
    assert_eq!(
        a.send(b"ping", Vec::new(), ME, None, Default::default()),
        Ok(4)
    );
    // The receiver gets a sync wake; the sender's own pollers a plain one.
    assert_eq!(queue.counts(), (1, 1));
    let mut buf = [0u8; 4];
    assert_eq!(b.receive(&mut buf, false).map(|got| got.len), Ok(4));
    assert_eq!(&buf, b"ping");
    // Room for the sender: a sync wake of its end.
    assert_eq!(queue.counts(), (2, 2));
}
