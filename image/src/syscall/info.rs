//! System information and limits: uname, hostname, rlimits, times, sysinfo,
//! getrandom, reboot, prctl.

use alloc::vec;

use abi::Errno;
use process::{Resource, Rlimit};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use super::user::{read, read_bytes, write, write_bytes};
use super::{Call, SyscallResult};
use crate::userland::{self, processes};

#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, Clone, Copy)]
#[repr(C)]
struct RawRlimit {
    current: u64,
    max: u64,
}

fn prlimit(pid: i32, resource: u64, new: u64, old: u64) -> SyscallResult {
    let resource = Resource::from_raw(resource as u32)?;
    let new = if new == 0 {
        None
    } else {
        let raw: RawRlimit = read(new)?;
        Some(Rlimit {
            soft: raw.current,
            hard: raw.max,
        })
    };
    let link = userland::current()?;
    let previous = processes().prlimit(&link.process, pid, resource, new)?;
    if old != 0 {
        write(
            old,
            &RawRlimit {
                current: previous.soft,
                max: previous.hard,
            },
        )?;
    }
    Ok(0)
}

#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, Default)]
#[repr(C)]
struct Sysinfo {
    uptime: i64,
    loads: [u64; 3],
    totalram: u64,
    freeram: u64,
    sharedram: u64,
    bufferram: u64,
    totalswap: u64,
    freeswap: u64,
    procs: u16,
    pad: [u16; 3],
    totalhigh: u64,
    freehigh: u64,
    mem_unit: u32,
    padding: u32,
}

fn ticks(ns: u64) -> u64 {
    ns / 10_000_000
}

/// The rest of the small calls.
pub fn dispatch(call: &mut Call<'_>, number: u64) -> SyscallResult {
    let a = call.args;
    match number {
        63 => {
            write(a[0], &processes().uts().to_linux_bytes())?;
            Ok(0)
        }
        170 | 171 => {
            if a[1] > 64 {
                return Err(Errno::EINVAL);
            }
            let name = read_bytes(a[0], a[1] as usize)?;
            let link = userland::current()?;
            let credentials = link.process.data().credentials().clone();
            if number == 170 {
                processes().sethostname(&credentials, &name)?;
            } else {
                processes().setdomainname(&credentials, &name)?;
            }
            Ok(0)
        }
        97 => prlimit(0, a[0], 0, a[1]),
        160 => prlimit(0, a[0], a[1], 0),
        302 => prlimit(a[0] as i32, a[1], a[2], a[3]),
        98 => {
            // An int argument: only the low 32 bits are defined.
            let who = a[0] as i32;
            if !(-1..=1).contains(&who) {
                return Err(Errno::EINVAL);
            }
            let times = {
                let link = userland::current()?;
                let data = link.process.data();
                if who == -1 {
                    data.children_times()
                } else {
                    data.times()
                }
            };
            let mut usage = [0i64; 18];
            usage[0] = (times.user / 100) as i64;
            usage[1] = (times.user % 100 * 10_000) as i64;
            usage[2] = (times.kernel / 100) as i64;
            usage[3] = (times.kernel % 100 * 10_000) as i64;
            write(a[1], &usage)?;
            Ok(0)
        }
        100 => {
            let link = userland::current()?;
            let (own, children) = {
                let data = link.process.data();
                (data.times(), data.children_times())
            };
            if a[0] != 0 {
                write(
                    a[0],
                    &[own.user, own.kernel, children.user, children.kernel],
                )?;
            }
            Ok(ticks(crate::time::now_ns()))
        }
        99 => {
            let stats = crate::memory::frames::stats();
            let info = Sysinfo {
                uptime: (crate::time::now_ns() / 1_000_000_000) as i64,
                totalram: stats.map_or(0, |s| s.total_frames * 4096),
                freeram: stats.map_or(0, |s| s.free_frames * 4096),
                procs: processes().process_count() as u16,
                mem_unit: 1,
                ..Sysinfo::default()
            };
            write(a[0], &info)?;
            Ok(0)
        }
        318 => {
            const GRND_NONBLOCK: u64 = 1;
            const GRND_RANDOM: u64 = 2;
            if a[2] & !(GRND_NONBLOCK | GRND_RANDOM) != 0 {
                return Err(Errno::EINVAL);
            }
            let count = (a[1] as usize).min(1 << 20);
            let mut bytes = vec![0u8; count];
            userland::vfs::random().fill(&mut bytes);
            write_bytes(a[0], &bytes)?;
            Ok(count as u64)
        }
        169 => reboot(a),
        140 | 141 => priority(number, a),
        157 => prctl(a),
        // personality: PER_LINUX (0) is the only one; 0xffffffff queries.
        135 => match a[0] as u32 {
            0 | 0xffff_ffff => Ok(0),
            _ => Err(Errno::EINVAL),
        },
        125 => Err(Errno::EINVAL),
        _ => Err(Errno::ENOSYS),
    }
}

/// getpriority/setpriority for `PRIO_PROCESS`: the nice value of every
/// thread of the process, as the scheduler weighs it.
fn priority(number: u64, a: [u64; 6]) -> SyscallResult {
    const PRIO_PROCESS: u64 = 0;
    if a[0] != PRIO_PROCESS {
        return Err(Errno::EINVAL);
    }
    let caller = userland::current()?;
    let target = match a[1] as i32 {
        0 => caller.process.clone(),
        pid => processes().from_pid(pid).ok_or(Errno::ESRCH)?,
    };
    let threads: alloc::vec::Vec<_> = target
        .threads()
        .iter()
        .filter_map(|t| t.data().task())
        .collect();
    let first = *threads.first().ok_or(Errno::ESRCH)?;
    if number == 140 {
        // The raw syscall returns 20 - nice (1..=40); libc converts.
        return Ok((20 - i64::from(crate::task::priority(first)?.nice())) as u64);
    }
    let nice = (a[2] as i32).clamp(-20, 19);
    let current = i32::from(crate::task::priority(first)?.nice());
    // One process lock at a time: caller and target may be the same.
    let euid = caller.process.data().credentials().euid();
    let target_uid = target.data().credentials().uid();
    if euid != 0 && (euid != target_uid || nice < current) {
        return Err(if euid != target_uid {
            Errno::EPERM
        } else {
            Errno::EACCES
        });
    }
    let priority = sched::Priority::from_nice(nice)?;
    for id in threads {
        crate::task::set_priority(id, priority)?;
    }
    Ok(0)
}

fn reboot(a: [u64; 6]) -> SyscallResult {
    const MAGIC1: u64 = 0xfee1_dead;
    const MAGIC2: [u64; 4] = [672274793, 85072278, 369367448, 537993216];
    const POWER_OFF: u64 = 0x4321_fedc;
    const RESTART: u64 = 0x0123_4567;
    const HALT: u64 = 0xcdef_0123;
    if a[0] != MAGIC1 || !MAGIC2.contains(&a[1]) {
        return Err(Errno::EINVAL);
    }
    let link = userland::current()?;
    if link.process.data().credentials().euid() != 0 {
        return Err(Errno::EPERM);
    }
    match a[2] {
        POWER_OFF | HALT | RESTART => {
            log::info!("reboot: powering off");
            // QEMU's debug-exit is the power switch here; a real machine halts.
            arch::qemu::exit(arch::qemu::ExitCode::Success)
        }
        _ => Err(Errno::EINVAL),
    }
}

fn prctl(a: [u64; 6]) -> SyscallResult {
    const PR_SET_NAME: u64 = 15;
    const PR_GET_NAME: u64 = 16;
    const PR_SET_DUMPABLE: u64 = 4;
    const PR_GET_DUMPABLE: u64 = 3;
    let link = userland::current()?;
    match a[0] {
        PR_SET_NAME => {
            let name = super::user::read_c_string(a[1], 16)?;
            link.process
                .data()
                .set_name(alloc::string::String::from_utf8_lossy(&name).into_owned());
            Ok(0)
        }
        PR_GET_NAME => {
            let mut name = [0u8; 16];
            let data = link.process.data();
            let bytes = data.name().as_bytes();
            let n = bytes.len().min(15);
            name[..n].copy_from_slice(&bytes[..n]);
            drop(data);
            write(a[1], &name)?;
            Ok(0)
        }
        PR_SET_DUMPABLE => {
            if a[1] > 1 {
                return Err(Errno::EINVAL);
            }
            link.process.data().set_dumpable(a[1] == 1);
            Ok(0)
        }
        PR_GET_DUMPABLE => Ok(u64::from(link.process.data().is_dumpable())),
        _ => Err(Errno::EINVAL),
    }
}
