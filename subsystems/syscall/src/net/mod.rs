//! Sockets: `AF_UNIX`, and `AF_INET`/`AF_INET6` on the loopback (the `fs`
//! crate's `Socket`), with the calls that make, name and connect them
//! ([`socket`], [`unix`], [`inet`]), that move bytes, descriptors and
//! credentials through them ([`message`]) and their options
//! ([`options`]). Other families are `EAFNOSUPPORT`.

pub mod address;
pub mod inet;
pub mod message;
pub mod options;
pub mod socket;
pub mod unix;
