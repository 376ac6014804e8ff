//! Sockets: `AF_UNIX` only (the `fs` crate's `UnixSocket`), with the calls
//! that make, name and connect them ([`socket`]) and that move bytes,
//! descriptors and credentials through them ([`message`]). Other families
//! are `EAFNOSUPPORT`.

pub mod message;
pub mod socket;
