//! Sockets: `AF_UNIX`, `AF_INET`/`AF_INET6` on the loopback, and
//! `AF_NETLINK`'s routing family (the `fs` crate's `Socket`), with the
//! calls that make, name and connect them ([`socket`], [`unix`], [`inet`],
//! [`netlink`]), that move bytes, descriptors and
//! credentials through them ([`message`]) and their options
//! ([`options`]). Other families are `EAFNOSUPPORT`.

pub mod address;
pub mod inet;
pub mod interfaces;
pub mod message;
pub mod netlink;
pub mod options;
pub mod socket;
pub mod unix;
