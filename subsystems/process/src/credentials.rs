//! User and group identity, capabilities, and the rules that change them.
//!
//! The `set*id` rules follow Linux: a holder of `CAP_SETUID`/`CAP_SETGID`
//! may set any id; anyone else may only move between the ids it already
//! holds. `-1` (`u32::MAX`) means "leave unchanged" where Linux allows it.
//! The filesystem ids follow the effective ids on every change.
//!
//! Capabilities follow Linux's "root" emulation (`commoncap.c`) for a
//! system without file capabilities: uid 0 holds every capability of its
//! bounding set, a change of ids away from 0 drops them (unless
//! `PR_SET_KEEPCAPS`) and back to an effective 0 raises the permitted ones,
//! `execve` recomputes them from the ids, the inheritable, bounding and
//! ambient sets, and `capset` may only lower them.

use alloc::vec::Vec;

use abi::capability::{
    CAP_KILL, CAP_SETGID, CAP_SETPCAP, CAP_SETUID, CAP_SYS_PTRACE, CapSet, Capability,
};
use abi::{Errno, KernelResult};

/// A user id (`uid_t`).
pub type Uid = u32;
/// A group id (`gid_t`).
pub type Gid = u32;

/// `(uid_t)-1`: "no change" for the set*id calls, never a valid id.
pub const NO_CHANGE: u32 = u32::MAX;
/// Linux's `NGROUPS_MAX`: the most supplementary groups a process may hold.
pub const NGROUPS_MAX: usize = 65536;

/// A process's capability sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capabilities {
    /// What the process may use now.
    pub effective: CapSet,
    /// What it may make effective.
    pub permitted: CapSet,
    /// What a program it executes may keep (with file capabilities, or
    /// through the ambient set).
    pub inheritable: CapSet,
    /// The most it can ever gain at `execve`.
    pub bounding: CapSet,
    /// What an unprivileged program it executes keeps.
    pub ambient: CapSet,
}

impl Capabilities {
    /// What uid `uid` starts with: every capability for 0, none otherwise.
    pub const fn for_uid(uid: Uid) -> Capabilities {
        let held = if uid == 0 {
            CapSet::FULL
        } else {
            CapSet::EMPTY
        };
        Capabilities {
            effective: held,
            permitted: held,
            inheritable: CapSet::EMPTY,
            bounding: CapSet::FULL,
            ambient: CapSet::EMPTY,
        }
    }
}

/// A process's identity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    uid: Uid,
    euid: Uid,
    suid: Uid,
    fsuid: Uid,
    gid: Gid,
    egid: Gid,
    sgid: Gid,
    fsgid: Gid,
    /// Sorted, as Linux keeps them.
    groups: Vec<Gid>,
    capabilities: Capabilities,
    /// `PR_SET_KEEPCAPS`: leaving uid 0 keeps the permitted set (cleared
    /// by `execve`).
    keep_capabilities: bool,
}

impl Credentials {
    /// Real, effective, saved and filesystem ids all set to `uid`/`gid`,
    /// with no supplementary groups, and the capabilities of that uid.
    pub const fn new(uid: Uid, gid: Gid) -> Self {
        Self {
            uid,
            euid: uid,
            suid: uid,
            fsuid: uid,
            gid,
            egid: gid,
            sgid: gid,
            fsgid: gid,
            groups: Vec::new(),
            capabilities: Capabilities::for_uid(uid),
            keep_capabilities: false,
        }
    }

    /// Root's credentials (all ids 0).
    pub const fn root() -> Self {
        Self::new(0, 0)
    }

    /// Real user id.
    pub fn uid(&self) -> Uid {
        self.uid
    }
    /// Effective user id.
    pub fn euid(&self) -> Uid {
        self.euid
    }
    /// Saved set-user-id.
    pub fn suid(&self) -> Uid {
        self.suid
    }
    /// Filesystem user id (used for permission checks on files).
    pub fn fsuid(&self) -> Uid {
        self.fsuid
    }
    /// Real group id.
    pub fn gid(&self) -> Gid {
        self.gid
    }
    /// Effective group id.
    pub fn egid(&self) -> Gid {
        self.egid
    }
    /// Saved set-group-id.
    pub fn sgid(&self) -> Gid {
        self.sgid
    }
    /// Filesystem group id.
    pub fn fsgid(&self) -> Gid {
        self.fsgid
    }
    /// Supplementary groups, sorted.
    pub fn groups(&self) -> &[Gid] {
        &self.groups
    }

    /// Whether the effective set holds `cap` (Linux's `capable`).
    pub fn capable(&self, cap: Capability) -> bool {
        self.capabilities.effective.contains(cap)
    }

    /// The capability sets.
    pub fn capabilities(&self) -> Capabilities {
        self.capabilities
    }

    /// Whether `PR_SET_KEEPCAPS` is on.
    pub fn keeps_capabilities(&self) -> bool {
        self.keep_capabilities
    }

    /// `PR_SET_KEEPCAPS`.
    pub fn set_keep_capabilities(&mut self, keep: bool) {
        self.keep_capabilities = keep;
    }

    /// `capset(2)` on oneself, with Linux's rules (`cap_capset`): the
    /// permitted set may only shrink, the effective set stays inside the
    /// new permitted one, and the inheritable set may only gain what is
    /// permitted (or anything, with `CAP_SETPCAP`) and in the bounding set;
    /// else `EPERM`. Ambient capabilities no longer both permitted and
    /// inheritable go.
    pub fn set_capabilities(
        &mut self,
        effective: CapSet,
        permitted: CapSet,
        inheritable: CapSet,
    ) -> KernelResult<()> {
        let old = self.capabilities;
        let may_inherit = if self.capable(CAP_SETPCAP) {
            CapSet::FULL
        } else {
            old.inheritable.union(old.permitted)
        };
        if !inheritable.is_subset_of(may_inherit)
            || !inheritable.is_subset_of(old.inheritable.union(old.bounding))
            || !permitted.is_subset_of(old.permitted)
            || !effective.is_subset_of(permitted)
        {
            return Err(Errno::EPERM);
        }
        self.capabilities = Capabilities {
            effective,
            permitted,
            inheritable,
            bounding: old.bounding,
            ambient: old
                .ambient
                .intersection(permitted.intersection(inheritable)),
        };
        Ok(())
    }

    /// `PR_CAPBSET_DROP`: takes `cap` out of the bounding set; `EPERM`
    /// without `CAP_SETPCAP`.
    pub fn drop_bounding(&mut self, cap: Capability) -> KernelResult<()> {
        if !self.capable(CAP_SETPCAP) {
            return Err(Errno::EPERM);
        }
        self.capabilities.bounding = self.capabilities.bounding.without(cap);
        Ok(())
    }

    /// `PR_CAP_AMBIENT_RAISE`: `EPERM` unless `cap` is both permitted and
    /// inheritable.
    pub fn raise_ambient(&mut self, cap: Capability) -> KernelResult<()> {
        let caps = &mut self.capabilities;
        if !caps.permitted.contains(cap) || !caps.inheritable.contains(cap) {
            return Err(Errno::EPERM);
        }
        caps.ambient = caps.ambient.with(cap);
        Ok(())
    }

    /// `PR_CAP_AMBIENT_LOWER`.
    pub fn lower_ambient(&mut self, cap: Capability) {
        self.capabilities.ambient = self.capabilities.ambient.without(cap);
    }

    /// `PR_CAP_AMBIENT_CLEAR_ALL`.
    pub fn clear_ambient(&mut self) {
        self.capabilities.ambient = CapSet::EMPTY;
    }

    /// The capabilities a program starts with at `execve` (Linux's
    /// `cap_bprm_creds_from_file` for a file without capabilities or
    /// set-id bits): a process whose real or effective uid is 0 is
    /// permitted its bounding and inheritable sets, effective if its
    /// effective uid is 0; otherwise only the ambient set survives, as
    /// both permitted and effective. Under `no_new_privs` nothing is
    /// gained: the new permitted set stays inside the old one.
    /// `PR_SET_KEEPCAPS` ends.
    pub fn exec(&mut self, no_new_privs: bool) {
        let caps = &mut self.capabilities;
        let mut permitted = if self.uid == 0 || self.euid == 0 {
            caps.bounding.union(caps.inheritable)
        } else {
            CapSet::EMPTY
        };
        permitted = permitted.union(caps.ambient);
        if no_new_privs {
            permitted = permitted.intersection(caps.permitted);
        }
        caps.permitted = permitted;
        caps.effective = if self.euid == 0 {
            permitted
        } else {
            caps.ambient
        };
        self.keep_capabilities = false;
    }

    /// Linux's `cap_emulate_setxuid`, after a change of the real,
    /// effective or saved uid from `old` (real, effective, saved).
    fn follow_uid_change(&mut self, old: [Uid; 3]) {
        let caps = &mut self.capabilities;
        let had_root = old.contains(&0);
        let has_root = [self.uid, self.euid, self.suid].contains(&0);
        if had_root && !has_root {
            if !self.keep_capabilities {
                caps.permitted = CapSet::EMPTY;
                caps.effective = CapSet::EMPTY;
            }
            caps.ambient = CapSet::EMPTY;
        }
        if old[1] == 0 && self.euid != 0 {
            caps.effective = CapSet::EMPTY;
        }
        if old[1] != 0 && self.euid == 0 {
            caps.effective = caps.permitted;
        }
    }

    /// The file-system half of Linux's `cap_task_fix_setuid`: leaving
    /// file-system uid 0 drops the file-system capabilities from the
    /// effective set, coming back raises the permitted ones.
    fn follow_fsuid_change(&mut self, old: Uid) {
        let caps = &mut self.capabilities;
        if old == 0 && self.fsuid != 0 {
            caps.effective = caps.effective.difference(CapSet::FILE_SYSTEM);
        }
        if old != 0 && self.fsuid == 0 {
            caps.effective = caps
                .effective
                .union(caps.permitted.intersection(CapSet::FILE_SYSTEM));
        }
    }

    /// Linux's `in_group_p`: the filesystem gid or a supplementary group.
    pub fn in_group(&self, gid: Gid) -> bool {
        self.fsgid == gid || self.groups.binary_search(&gid).is_ok()
    }

    /// `setuid(2)`.
    pub fn setuid(&mut self, uid: Uid) -> KernelResult<()> {
        if uid == NO_CHANGE {
            return Err(Errno::EINVAL);
        }
        let old = [self.uid, self.euid, self.suid];
        if self.capable(CAP_SETUID) {
            self.uid = uid;
            self.suid = uid;
        } else if uid != self.uid && uid != self.suid {
            return Err(Errno::EPERM);
        }
        self.euid = uid;
        self.fsuid = uid;
        self.follow_uid_change(old);
        Ok(())
    }

    /// `setgid(2)`.
    pub fn setgid(&mut self, gid: Gid) -> KernelResult<()> {
        if gid == NO_CHANGE {
            return Err(Errno::EINVAL);
        }
        if self.capable(CAP_SETGID) {
            self.gid = gid;
            self.sgid = gid;
        } else if gid != self.gid && gid != self.sgid {
            return Err(Errno::EPERM);
        }
        self.egid = gid;
        self.fsgid = gid;
        Ok(())
    }

    /// `setreuid(2)`; [`NO_CHANGE`] leaves an id alone.
    pub fn setreuid(&mut self, ruid: Uid, euid: Uid) -> KernelResult<()> {
        let privileged = self.capable(CAP_SETUID);
        let (old_r, old_e, old_s) = (self.uid, self.euid, self.suid);
        if ruid != NO_CHANGE && !privileged && ruid != old_r && ruid != old_e {
            return Err(Errno::EPERM);
        }
        if euid != NO_CHANGE && !privileged && euid != old_r && euid != old_e && euid != old_s {
            return Err(Errno::EPERM);
        }
        let new_r = if ruid == NO_CHANGE { old_r } else { ruid };
        let new_e = if euid == NO_CHANGE { old_e } else { euid };
        // Linux: the saved id follows the effective id whenever the real id
        // is set or the effective id becomes something other than the old real id.
        if ruid != NO_CHANGE || (euid != NO_CHANGE && euid != old_r) {
            self.suid = new_e;
        }
        self.uid = new_r;
        self.euid = new_e;
        self.fsuid = new_e;
        self.follow_uid_change([old_r, old_e, old_s]);
        Ok(())
    }

    /// `setregid(2)`; [`NO_CHANGE`] leaves an id alone.
    pub fn setregid(&mut self, rgid: Gid, egid: Gid) -> KernelResult<()> {
        let privileged = self.capable(CAP_SETGID);
        let (old_r, old_e, old_s) = (self.gid, self.egid, self.sgid);
        if rgid != NO_CHANGE && !privileged && rgid != old_r && rgid != old_e {
            return Err(Errno::EPERM);
        }
        if egid != NO_CHANGE && !privileged && egid != old_r && egid != old_e && egid != old_s {
            return Err(Errno::EPERM);
        }
        let new_r = if rgid == NO_CHANGE { old_r } else { rgid };
        let new_e = if egid == NO_CHANGE { old_e } else { egid };
        if rgid != NO_CHANGE || (egid != NO_CHANGE && egid != old_r) {
            self.sgid = new_e;
        }
        self.gid = new_r;
        self.egid = new_e;
        self.fsgid = new_e;
        Ok(())
    }

    /// `setresuid(2)`: an unprivileged caller may set each id only to one of
    /// its current real, effective or saved uids.
    pub fn setresuid(&mut self, ruid: Uid, euid: Uid, suid: Uid) -> KernelResult<()> {
        let held = [self.uid, self.euid, self.suid];
        let allowed = |id: Uid| id == NO_CHANGE || held.contains(&id);
        let permitted =
            self.capable(CAP_SETUID) || (allowed(ruid) && allowed(euid) && allowed(suid));
        if !permitted {
            return Err(Errno::EPERM);
        }
        if ruid != NO_CHANGE {
            self.uid = ruid;
        }
        if euid != NO_CHANGE {
            self.euid = euid;
        }
        if suid != NO_CHANGE {
            self.suid = suid;
        }
        self.fsuid = self.euid;
        self.follow_uid_change(held);
        Ok(())
    }

    /// `setresgid(2)`, with the same rule as [`Credentials::setresuid`].
    pub fn setresgid(&mut self, rgid: Gid, egid: Gid, sgid: Gid) -> KernelResult<()> {
        let held = [self.gid, self.egid, self.sgid];
        let allowed = |id: Gid| id == NO_CHANGE || held.contains(&id);
        let permitted =
            self.capable(CAP_SETGID) || (allowed(rgid) && allowed(egid) && allowed(sgid));
        if !permitted {
            return Err(Errno::EPERM);
        }
        if rgid != NO_CHANGE {
            self.gid = rgid;
        }
        if egid != NO_CHANGE {
            self.egid = egid;
        }
        if sgid != NO_CHANGE {
            self.sgid = sgid;
        }
        self.fsgid = self.egid;
        Ok(())
    }

    /// `setfsuid(2)`: always returns the previous fsuid; changes it only to
    /// one of the held uids (any uid with `CAP_SETUID`). It never fails, as on Linux.
    pub fn setfsuid(&mut self, fsuid: Uid) -> Uid {
        let old = self.fsuid;
        let held = [self.uid, self.euid, self.suid, self.fsuid];
        if fsuid != NO_CHANGE && (self.capable(CAP_SETUID) || held.contains(&fsuid)) {
            self.fsuid = fsuid;
            self.follow_fsuid_change(old);
        }
        old
    }

    /// `setfsgid(2)`, like [`Credentials::setfsuid`].
    pub fn setfsgid(&mut self, fsgid: Gid) -> Gid {
        let old = self.fsgid;
        let held = [self.gid, self.egid, self.sgid, self.fsgid];
        if fsgid != NO_CHANGE && (self.capable(CAP_SETGID) || held.contains(&fsgid)) {
            self.fsgid = fsgid;
        }
        old
    }

    /// `setgroups(2)`: `CAP_SETGID` only (`EPERM`), at most [`NGROUPS_MAX`]
    /// (`EINVAL`).
    pub fn setgroups(&mut self, groups: &[Gid]) -> KernelResult<()> {
        if !self.capable(CAP_SETGID) {
            return Err(Errno::EPERM);
        }
        if groups.len() > NGROUPS_MAX {
            return Err(Errno::EINVAL);
        }
        let mut sorted = Vec::new();
        fault_injection::reserve_exact(&mut sorted, groups.len())?;
        sorted.extend_from_slice(groups);
        sorted.sort_unstable();
        self.groups = sorted;
        Ok(())
    }

    /// `getgroups(2)` for a user buffer of `capacity` entries: with capacity 0
    /// only the count is asked for (an empty slice comes back); a buffer
    /// smaller than the list is `EINVAL`. Returns the count and the groups to copy.
    pub fn getgroups(&self, capacity: usize) -> KernelResult<(usize, &[Gid])> {
        let count = self.groups.len();
        if capacity == 0 {
            return Ok((count, &[]));
        }
        if capacity < count {
            return Err(Errno::EINVAL);
        }
        Ok((count, &self.groups))
    }

    /// Whether `self` may act on a process with credentials `target` the way
    /// `kill(2)` checks it: `CAP_KILL`, or a real/effective uid that
    /// matches the target's real or saved uid.
    pub fn may_signal(&self, target: &Credentials) -> bool {
        self.capable(CAP_KILL)
            || [self.uid, self.euid]
                .iter()
                .any(|id| *id == target.uid || *id == target.suid)
    }

    /// Whether `self` may inspect and change a process with credentials
    /// `target` the way ptrace and `process_vm_readv` check it (Linux's
    /// `PTRACE_MODE_ATTACH_REALCREDS`): `CAP_SYS_PTRACE`, or real uid and
    /// gid equal to all three of the target's and a dumpable target.
    pub fn may_trace(&self, target: &Credentials, target_dumpable: bool) -> bool {
        if self.capable(CAP_SYS_PTRACE) {
            return true;
        }
        let same_user = [target.uid, target.euid, target.suid]
            .iter()
            .all(|id| *id == self.uid);
        let same_group = [target.gid, target.egid, target.sgid]
            .iter()
            .all(|id| *id == self.gid);
        same_user && same_group && target_dumpable
    }

    /// Whether the ids that decide dumpability changed between `self` and
    /// `after` (Linux clears the dumpable flag when they do).
    pub fn effective_ids_differ(&self, after: &Credentials) -> bool {
        self.euid != after.euid
            || self.egid != after.egid
            || self.fsuid != after.fsuid
            || self.fsgid != after.fsgid
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(uid: Uid) -> Credentials {
        Credentials::new(uid, uid)
    }

    #[test]
    fn root_setuid_drops_every_uid() {
        let mut c = Credentials::root();
        c.setuid(1000).unwrap();
        assert_eq!(
            (c.uid(), c.euid(), c.suid(), c.fsuid()),
            (1000, 1000, 1000, 1000)
        );
        // And the drop is permanent.
        assert_eq!(c.setuid(0), Err(Errno::EPERM));
    }

    #[test]
    fn user_setuid_may_only_pick_real_or_saved() {
        let mut c = user(1000);
        c.setresuid(1000, 1000, 2000).unwrap_err(); // not held
        let mut c2 = Credentials::root();
        c2.setresuid(1000, 2000, 2000).unwrap();
        // Now real 1000, effective and saved 2000: switch euid to real and back.
        c2.setuid(1000).unwrap();
        assert_eq!((c2.uid(), c2.euid(), c2.suid()), (1000, 1000, 2000));
        c2.setuid(2000).unwrap();
        assert_eq!(c2.euid(), 2000);
        assert_eq!(c2.setuid(3000), Err(Errno::EPERM));
        assert_eq!(c.setuid(NO_CHANGE), Err(Errno::EINVAL));
    }

    #[test]
    fn setreuid_swaps_real_and_effective_for_users() {
        let mut c = Credentials::root();
        c.setresuid(1000, 2000, 2000).unwrap();
        c.setreuid(2000, 1000).unwrap();
        // The real id was set, so the saved id follows the new effective id.
        assert_eq!((c.uid(), c.euid(), c.suid()), (2000, 1000, 1000));
        assert_eq!(c.setreuid(3000, NO_CHANGE), Err(Errno::EPERM));
        assert_eq!(c.setreuid(NO_CHANGE, 3000), Err(Errno::EPERM));
    }

    #[test]
    fn setreuid_effective_only_keeps_saved_when_equal_to_real() {
        let mut c = Credentials::root();
        c.setresuid(1000, 2000, 3000).unwrap();
        c.setreuid(NO_CHANGE, 1000).unwrap();
        assert_eq!((c.uid(), c.euid(), c.suid()), (1000, 1000, 3000));
    }

    #[test]
    fn setresgid_rules_follow_effective_uid() {
        let mut c = user(1000);
        assert_eq!(c.setresgid(0, NO_CHANGE, NO_CHANGE), Err(Errno::EPERM));
        c.setresgid(NO_CHANGE, 1000, 1000).unwrap();
        let mut r = Credentials::root();
        r.setresgid(5, 6, 7).unwrap();
        assert_eq!((r.gid(), r.egid(), r.sgid(), r.fsgid()), (5, 6, 7, 6));
        r.setregid(8, NO_CHANGE).unwrap();
        assert_eq!((r.gid(), r.egid(), r.sgid()), (8, 6, 6));
        r.setgid(9).unwrap();
        assert_eq!((r.gid(), r.egid(), r.sgid()), (9, 9, 9));
    }

    #[test]
    fn setfsuid_returns_old_value_and_ignores_foreign_ids() {
        let mut c = user(1000);
        assert_eq!(c.setfsuid(0), 1000);
        assert_eq!(c.fsuid(), 1000);
        let mut r = Credentials::root();
        assert_eq!(r.setfsuid(42), 0);
        assert_eq!(r.fsuid(), 42);
        assert_eq!(r.setfsgid(43), 0);
        assert!(r.in_group(43));
    }

    #[test]
    fn setgroups_is_root_only_and_getgroups_checks_size() {
        let mut c = Credentials::root();
        c.setgroups(&[30, 10, 20]).unwrap();
        assert_eq!(c.getgroups(0), Ok((3, &[][..])));
        assert_eq!(c.getgroups(2), Err(Errno::EINVAL));
        assert_eq!(c.getgroups(8), Ok((3, &[10, 20, 30][..])));
        assert!(c.in_group(20));
        assert!(!c.in_group(25));
        c.setuid(1000).unwrap();
        assert_eq!(c.setgroups(&[]), Err(Errno::EPERM));
        let too_many = alloc::vec![1; NGROUPS_MAX + 1];
        assert_eq!(Credentials::root().setgroups(&too_many), Err(Errno::EINVAL));
    }

    #[test]
    fn may_signal_matches_real_or_saved_uid() {
        let a = user(1000);
        let b = user(1000);
        let other = user(2000);
        assert!(a.may_signal(&b));
        assert!(!a.may_signal(&other));
        assert!(Credentials::root().may_signal(&other));
    }

    fn caps(c: &Credentials) -> (CapSet, CapSet) {
        (c.capabilities().effective, c.capabilities().permitted)
    }

    #[test]
    fn leaving_uid_0_drops_capabilities_unless_kept() {
        let mut c = Credentials::root();
        assert_eq!(caps(&c), (CapSet::FULL, CapSet::FULL));
        c.setuid(1000).unwrap();
        assert_eq!(caps(&c), (CapSet::EMPTY, CapSet::EMPTY));
        assert_eq!(c.setuid(0), Err(Errno::EPERM), "no CAP_SETUID left");

        let mut kept = Credentials::root();
        kept.set_keep_capabilities(true);
        kept.setresuid(1000, 1000, 1000).unwrap();
        assert_eq!(
            caps(&kept),
            (CapSet::EMPTY, CapSet::FULL),
            "effective goes, permitted stays"
        );
        kept.exec(false);
        assert_eq!(
            caps(&kept),
            (CapSet::EMPTY, CapSet::EMPTY),
            "exec of a non-root program"
        );
        assert!(!kept.keeps_capabilities());
    }

    #[test]
    fn the_effective_uid_moves_the_effective_set() {
        let mut c = Credentials::root();
        c.setresuid(0, 1000, 0).unwrap();
        assert_eq!(caps(&c), (CapSet::EMPTY, CapSet::FULL));
        assert!(!c.capable(abi::capability::CAP_KILL));
        c.setresuid(NO_CHANGE, 0, NO_CHANGE).unwrap();
        assert_eq!(caps(&c), (CapSet::FULL, CapSet::FULL));
    }

    #[test]
    fn the_file_system_uid_moves_only_the_file_system_capabilities() {
        use abi::capability::{CAP_DAC_OVERRIDE, CAP_KILL};
        let mut c = Credentials::root();
        assert_eq!(c.setfsuid(1000), 0);
        assert!(!c.capable(CAP_DAC_OVERRIDE));
        assert!(c.capable(CAP_KILL));
        c.setfsuid(0);
        assert!(c.capable(CAP_DAC_OVERRIDE));
    }

    #[test]
    fn capset_only_lowers_and_exec_recomputes_from_the_ids() {
        use abi::capability::{CAP_CHOWN, CAP_KILL, CAP_NET_RAW};
        let mut c = Credentials::root();
        let permitted = CapSet::FULL.without(CAP_KILL);
        let effective = permitted.without(CAP_CHOWN);
        c.set_capabilities(effective, permitted, CapSet::EMPTY)
            .unwrap();
        assert_eq!(caps(&c), (effective, permitted));
        assert_eq!(
            c.set_capabilities(CapSet::FULL, CapSet::FULL, CapSet::EMPTY),
            Err(Errno::EPERM),
            "the permitted set may not grow"
        );
        assert_eq!(
            c.set_capabilities(permitted, effective, CapSet::EMPTY),
            Err(Errno::EPERM),
            "effective must stay inside permitted"
        );
        // Under no_new_privs, root's exec gives nothing back ...
        c.exec(true);
        assert_eq!(caps(&c), (permitted, permitted));
        // ... else it gives back the bounding set.
        c.exec(false);
        assert_eq!(caps(&c), (CapSet::FULL, CapSet::FULL));
        c.drop_bounding(CAP_NET_RAW).unwrap();
        c.exec(false);
        assert!(!c.capable(CAP_NET_RAW), "the bounding set caps exec");
        let mut user = user(1000);
        assert_eq!(user.drop_bounding(CAP_KILL), Err(Errno::EPERM));
        assert_eq!(
            user.set_capabilities(CapSet::EMPTY, CapSet::EMPTY, CapSet::EMPTY.with(CAP_KILL)),
            Err(Errno::EPERM),
            "inheritable needs it permitted"
        );
    }

    #[test]
    fn ambient_capabilities_survive_an_unprivileged_exec() {
        use abi::capability::{CAP_NET_BIND_SERVICE, CAP_SYS_TIME};
        let mut c = Credentials::root();
        let only = CapSet::EMPTY.with(CAP_NET_BIND_SERVICE);
        c.set_keep_capabilities(true);
        c.setresuid(1000, 1000, 1000).unwrap();
        c.set_capabilities(only, only, only).unwrap();
        assert_eq!(c.raise_ambient(CAP_SYS_TIME), Err(Errno::EPERM));
        c.raise_ambient(CAP_NET_BIND_SERVICE).unwrap();
        c.exec(false);
        assert_eq!(caps(&c), (only, only));
        c.lower_ambient(CAP_NET_BIND_SERVICE);
        c.exec(false);
        assert_eq!(caps(&c), (CapSet::EMPTY, CapSet::EMPTY));
    }
}
