//! Capabilities: `capget`, `capset`, and `prctl`'s bounding-set,
//! keep-capabilities and ambient options. The `process` crate's
//! `Credentials` keeps the sets and applies Linux's rules.

use abi::capability::{
    CapSet, CapUserData, CapUserHeader, Capability, LINUX_CAPABILITY_VERSION_3, capability_words,
};
use abi::{Errno, KernelResult};
use process::Capabilities;

use crate::SyscallResult;
use crate::args::UserPtr;
use crate::context::Context;
use crate::kernel::Kernel;

/// `PR_GET_KEEPCAPS`.
pub const PR_GET_KEEPCAPS: u32 = 7;
/// `PR_SET_KEEPCAPS`.
pub const PR_SET_KEEPCAPS: u32 = 8;
/// `PR_CAPBSET_READ`.
pub const PR_CAPBSET_READ: u32 = 23;
/// `PR_CAPBSET_DROP`.
pub const PR_CAPBSET_DROP: u32 = 24;
/// `PR_CAP_AMBIENT`.
pub const PR_CAP_AMBIENT: u32 = 47;

const PR_CAP_AMBIENT_IS_SET: u64 = 1;
const PR_CAP_AMBIENT_RAISE: u64 = 2;
const PR_CAP_AMBIENT_LOWER: u64 = 3;
const PR_CAP_AMBIENT_CLEAR_ALL: u64 = 4;

/// The header's version, checked as Linux's `cap_validate_magic`: for a
/// version it does not know, the preferred one is written back and the
/// call is `EINVAL`. Returns the header and how many data words follow.
fn read_header<K: Kernel>(
    ctx: &Context<'_, K>,
    header: UserPtr<CapUserHeader>,
) -> KernelResult<(CapUserHeader, Option<usize>)> {
    let mut read: CapUserHeader = ctx.read(header)?;
    let words = capability_words(read.version);
    if words.is_none() {
        read.version = LINUX_CAPABILITY_VERSION_3;
        ctx.write(header, &read)?;
    }
    Ok((read, words))
}

/// `capget(header, data)`: the effective, permitted and inheritable sets
/// of the caller (pid 0 or its own) or of another process (`ESRCH` if none).
/// A NULL `data` only checks the version (0 even for an unknown one, whose
/// preferred replacement is written back, as Linux's probe expects).
pub fn capget<K: Kernel>(
    ctx: &Context<'_, K>,
    header: UserPtr<CapUserHeader>,
    data: UserPtr<CapUserData>,
) -> SyscallResult {
    let (header, words) = read_header(ctx, header)?;
    if data.is_null() {
        return Ok(0);
    }
    let words = words.ok_or(Errno::EINVAL)?;
    let caps = capabilities_of(ctx, header.pid)?;
    for word in 0..words {
        let part = |set: CapSet| (set.bits() >> (32 * word)) as u32;
        let out = CapUserData {
            effective: part(caps.effective),
            permitted: part(caps.permitted),
            inheritable: part(caps.inheritable),
        };
        ctx.write(data.element(word), &out)?;
    }
    Ok(0)
}

fn capabilities_of<K: Kernel>(ctx: &Context<'_, K>, pid: i32) -> KernelResult<Capabilities> {
    if pid < 0 {
        return Err(Errno::EINVAL);
    }
    if pid == 0 || pid == ctx.process.pid() {
        return Ok(ctx.process.data().credentials().capabilities());
    }
    let target = ctx.kernel.processes().from_pid(pid).ok_or(Errno::ESRCH)?;
    Ok(target.data().credentials().capabilities())
}

/// `capset(header, data)`: sets the caller's effective, permitted and
/// inheritable sets under Linux's rules (`EPERM` for another process, or
/// for a set that would grow); bits past the last capability are
/// ignored. Version 1 leaves the upper capabilities' words zero.
pub fn capset<K: Kernel>(
    ctx: &Context<'_, K>,
    header: UserPtr<CapUserHeader>,
    data: UserPtr<CapUserData>,
) -> SyscallResult {
    let (header, words) = read_header(ctx, header)?;
    let words = words.ok_or(Errno::EINVAL)?;
    if header.pid != 0 && header.pid != ctx.process.pid() {
        return Err(Errno::EPERM);
    }
    let mut sets = [0u64; 3];
    for word in 0..words {
        let read: CapUserData = ctx.read(data.element(word))?;
        for (set, value) in sets
            .iter_mut()
            .zip([read.effective, read.permitted, read.inheritable])
        {
            *set |= u64::from(value) << (32 * word);
        }
    }
    let [effective, permitted, inheritable] = sets.map(CapSet::from_bits_truncate);
    ctx.process
        .data()
        .change_credentials(|c| c.set_capabilities(effective, permitted, inheritable))?;
    Ok(0)
}

fn capability(number: u64) -> KernelResult<Capability> {
    Capability::new(number).ok_or(Errno::EINVAL)
}

/// The capability options of `prctl(option, arg2, arg3, arg4, arg5)`;
/// `None` for any other option.
pub fn prctl<K: Kernel>(
    ctx: &Context<'_, K>,
    option: u32,
    [arg2, arg3, arg4, arg5]: [u64; 4],
) -> Option<SyscallResult> {
    let change = |f: &dyn Fn(&mut process::Credentials) -> KernelResult<()>| {
        ctx.process.data().change_credentials(|c| f(c)).map(|()| 0)
    };
    let caps = || ctx.process.data().credentials().capabilities();
    Some(match option {
        PR_CAPBSET_READ => capability(arg2).map(|cap| u64::from(caps().bounding.contains(cap))),
        // EPERM before EINVAL, as Linux's cap_prctl_drop.
        PR_CAPBSET_DROP if !ctx.capable(abi::capability::CAP_SETPCAP) => Err(Errno::EPERM),
        PR_CAPBSET_DROP => capability(arg2).and_then(|cap| change(&|c| c.drop_bounding(cap))),
        PR_GET_KEEPCAPS => Ok(u64::from(
            ctx.process.data().credentials().keeps_capabilities(),
        )),
        PR_SET_KEEPCAPS if arg2 > 1 => Err(Errno::EINVAL),
        PR_SET_KEEPCAPS => change(&|c| {
            c.set_keep_capabilities(arg2 == 1);
            Ok(())
        }),
        PR_CAP_AMBIENT if arg4 != 0 || arg5 != 0 => Err(Errno::EINVAL),
        PR_CAP_AMBIENT => match arg2 {
            PR_CAP_AMBIENT_CLEAR_ALL if arg3 != 0 => Err(Errno::EINVAL),
            PR_CAP_AMBIENT_CLEAR_ALL => change(&|c| {
                c.clear_ambient();
                Ok(())
            }),
            PR_CAP_AMBIENT_IS_SET => {
                capability(arg3).map(|cap| u64::from(caps().ambient.contains(cap)))
            }
            PR_CAP_AMBIENT_RAISE => {
                capability(arg3).and_then(|cap| change(&|c| c.raise_ambient(cap)))
            }
            PR_CAP_AMBIENT_LOWER => capability(arg3).and_then(|cap| {
                change(&|c| {
                    c.lower_ambient(cap);
                    Ok(())
                })
            }),
            _ => Err(Errno::EINVAL),
        },
        _ => return None,
    })
}
