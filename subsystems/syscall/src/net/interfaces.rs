//! The network-interface `ioctl`s every socket answers (`SIOCGIFCONF`,
//! `SIOCGIFINDEX`, `SIOCGIFFLAGS`, ...), which `if_nametoindex`,
//! `ifconfig` and friends use: the one interface is the loopback, as
//! [`fs::netlink`] describes it.

use abi::{Errno, KernelResult};
use fs::netlink::{ARPHRD_LOOPBACK, LOOPBACK_FLAGS, LOOPBACK_INDEX, LOOPBACK_MTU, LOOPBACK_NAME};

use crate::SyscallResult;
use crate::args::{UserBuffer, UserPtr};
use crate::context::Context;
use crate::kernel::Kernel;

const SIOCGIFNAME: u32 = 0x8910;
const SIOCGIFCONF: u32 = 0x8912;
const SIOCGIFFLAGS: u32 = 0x8913;
const SIOCGIFADDR: u32 = 0x8915;
const SIOCGIFBRDADDR: u32 = 0x8919;
const SIOCGIFNETMASK: u32 = 0x891b;
const SIOCGIFMTU: u32 = 0x8921;
const SIOCGIFHWADDR: u32 = 0x8927;
const SIOCGIFINDEX: u32 = 0x8933;
const SIOCGIFTXQLEN: u32 = 0x8942;

/// `sizeof(struct ifreq)`: a 16-byte name, then a 24-byte union.
const IFREQ_SIZE: usize = 40;
const NAME_SIZE: usize = 16;

/// A `sockaddr_in` holding `ip`.
fn sockaddr_in(ip: [u8; 4]) -> [u8; 16] {
    let mut bytes = [0u8; 16];
    bytes[..2].copy_from_slice(&2u16.to_ne_bytes());
    bytes[4..8].copy_from_slice(&ip);
    bytes
}

/// The interface the request names: `ENODEV` unless it is the loopback.
fn check_name(request: &[u8; IFREQ_SIZE]) -> KernelResult<()> {
    let name = &request[..NAME_SIZE];
    let end = name.iter().position(|&b| b == 0).unwrap_or(NAME_SIZE);
    if &name[..end] == LOOPBACK_NAME.as_bytes() {
        Ok(())
    } else {
        Err(Errno::ENODEV)
    }
}

/// Answers the interface request `req` on a socket, or `None` if `req` is
/// not one.
pub fn ioctl<K: Kernel>(ctx: &Context<'_, K>, req: u32, arg: u64) -> Option<SyscallResult> {
    let single = matches!(
        req,
        SIOCGIFNAME
            | SIOCGIFFLAGS
            | SIOCGIFADDR
            | SIOCGIFBRDADDR
            | SIOCGIFNETMASK
            | SIOCGIFMTU
            | SIOCGIFHWADDR
            | SIOCGIFINDEX
            | SIOCGIFTXQLEN
    );
    if req == SIOCGIFCONF {
        return Some(interface_list(ctx, arg));
    }
    if !single {
        return None;
    }
    Some((|| {
        let at = UserPtr::<[u8; IFREQ_SIZE]>::new(arg);
        let mut request = ctx.read(at)?;
        let value = &mut request[NAME_SIZE..];
        if req == SIOCGIFNAME {
            let index = i32::from_ne_bytes([value[0], value[1], value[2], value[3]]);
            if index != LOOPBACK_INDEX {
                return Err(Errno::ENODEV);
            }
            request[..NAME_SIZE].fill(0);
            request[..LOOPBACK_NAME.len()].copy_from_slice(LOOPBACK_NAME.as_bytes());
        } else {
            check_name(&request)?;
            let value = &mut request[NAME_SIZE..];
            value.fill(0);
            match req {
                SIOCGIFFLAGS => value[..2].copy_from_slice(&(LOOPBACK_FLAGS as u16).to_ne_bytes()),
                SIOCGIFADDR => value[..16].copy_from_slice(&sockaddr_in([127, 0, 0, 1])),
                SIOCGIFNETMASK => value[..16].copy_from_slice(&sockaddr_in([255, 0, 0, 0])),
                // A loopback has no broadcast address.
                SIOCGIFBRDADDR => value[..16].copy_from_slice(&sockaddr_in([0; 4])),
                SIOCGIFMTU => value[..4].copy_from_slice(&LOOPBACK_MTU.to_ne_bytes()),
                SIOCGIFINDEX => value[..4].copy_from_slice(&LOOPBACK_INDEX.to_ne_bytes()),
                SIOCGIFTXQLEN => value[..4].copy_from_slice(&1000i32.to_ne_bytes()),
                // SIOCGIFHWADDR: family ARPHRD_LOOPBACK, all-zero address.
                _ => value[..2].copy_from_slice(&ARPHRD_LOOPBACK.to_ne_bytes()),
            }
        }
        ctx.write(at, &request)?;
        Ok(0)
    })())
}

/// `SIOCGIFCONF`: the IPv4 interfaces as `ifreq`s with their addresses; a
/// null buffer asks for the length needed.
fn interface_list<K: Kernel>(ctx: &Context<'_, K>, arg: u64) -> SyscallResult {
    // struct ifconf { int ifc_len; char *ifc_buf; }
    let header = UserPtr::<[u64; 2]>::new(arg);
    let [len, buffer] = ctx.read(header)?;
    let room = len as u32 as i32;
    let mut entry = [0u8; IFREQ_SIZE];
    entry[..LOOPBACK_NAME.len()].copy_from_slice(LOOPBACK_NAME.as_bytes());
    entry[NAME_SIZE..NAME_SIZE + 16].copy_from_slice(&sockaddr_in([127, 0, 0, 1]));
    let written = if buffer == 0 {
        IFREQ_SIZE
    } else if room >= IFREQ_SIZE as i32 {
        ctx.write_bytes(UserBuffer(buffer), &entry)?;
        IFREQ_SIZE
    } else {
        0
    };
    ctx.write(UserPtr::<i32>::new(arg), &(written as i32))?;
    Ok(0)
}
