//! Who may use and who may change an IPC object.

/// An object's owner, creator and permission bits (Linux's
/// `kern_ipc_perm`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpcPerm {
    /// The key it was created with; [`crate::IPC_PRIVATE`] once removed.
    pub key: i32,
    /// Owner's user id (`IPC_SET` changes it).
    pub uid: u32,
    /// Owner's group id.
    pub gid: u32,
    /// Creator's user id (never changes).
    pub cuid: u32,
    /// Creator's group id.
    pub cgid: u32,
    /// The permission bits (`0o777`) and the object's own flags
    /// ([`crate::SHM_DEST`], [`crate::SHM_LOCKED`]).
    pub mode: u32,
    /// The sequence number in its identifier.
    pub seq: u16,
}

/// The caller of an IPC call as the checks see it.
#[derive(Clone, Copy, Debug)]
pub struct Requester<'a> {
    /// Process id (recorded as the last to send, receive or attach).
    pub pid: i32,
    /// Effective user id.
    pub euid: u32,
    /// Effective group id.
    pub egid: u32,
    /// Supplementary groups.
    pub groups: &'a [u32],
    /// `CAP_IPC_OWNER`: every permission bit check passes.
    pub ipc_owner: bool,
    /// `CAP_SYS_ADMIN`: may change and remove any object.
    pub sys_admin: bool,
    /// `CAP_IPC_LOCK`: may lock any segment.
    pub ipc_lock: bool,
}

impl Requester<'_> {
    fn in_group(&self, gid: u32) -> bool {
        self.egid == gid || self.groups.contains(&gid)
    }
}

impl IpcPerm {
    /// A new object's permissions: `who` owns and created it, with the
    /// permission bits of `mode`.
    pub fn new(key: i32, who: &Requester<'_>, mode: u32) -> IpcPerm {
        IpcPerm {
            key,
            uid: who.euid,
            gid: who.egid,
            cuid: who.euid,
            cgid: who.egid,
            mode: mode & 0o777,
            seq: 0,
        }
    }

    /// Whether `who` has the access `flag` asks for (its `0o7`, `0o70`
    /// or `0o700` bits, any of them: read 4, write 2): the owner's or
    /// creator's bits for the owner or creator, the group's for a member
    /// of the owner's or creator's group, the others' otherwise, unless
    /// `who` has `CAP_IPC_OWNER` (Linux's `ipcperms`).
    pub fn may_access(&self, who: &Requester<'_>, flag: u32) -> bool {
        let requested = (flag >> 6 | flag >> 3 | flag) & 0o7;
        let granted = if who.euid == self.cuid || who.euid == self.uid {
            self.mode >> 6
        } else if who.in_group(self.cgid) || who.in_group(self.gid) {
            self.mode >> 3
        } else {
            self.mode
        };
        requested & !granted & 0o7 == 0 || who.ipc_owner
    }

    /// Whether `who` may change the owner and bits or remove the object:
    /// its owner, its creator, or a holder of `CAP_SYS_ADMIN`.
    pub fn may_change(&self, who: &Requester<'_>) -> bool {
        who.euid == self.uid || who.euid == self.cuid || who.sys_admin
    }

    /// `IPC_SET`: the new owner and permission bits; the object's flags
    /// stay.
    pub fn set(&mut self, uid: u32, gid: u32, mode: u32) {
        self.uid = uid;
        self.gid = gid;
        self.mode = (self.mode & !0o777) | (mode & 0o777);
    }
}
