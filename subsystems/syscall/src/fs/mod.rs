//! File-system calls, one family per file.

pub mod attr;
pub mod dir;
pub mod epoll;
pub mod eventfd;
pub mod inotify;
pub mod io;
pub mod lock;
pub mod memfd;
pub mod path;
pub mod pipe;
pub mod poll;
pub mod space;
pub mod terminal;
pub mod timerfd;
pub mod transfer;
pub mod xattr;
