//! A file system from another crate (a tiny procfs) plugs in through
//! `FileSystem` and `Inode`, using only the defaults it does not override.

mod common;

use std::any::Any;
use std::sync::{Arc, Mutex};

use abi::{Errno, KernelResult};
use common::World;
use fs::types::mode;
use fs::{Custody, DirEntry, FileSystem, FileType, Inode, InodeId, OpenFlags, Stat};

const DEV: u64 = 50;

struct Version;
struct CwdLink(Mutex<Option<Custody>>);
struct ProcRoot {
    version: Arc<Version>,
    cwd: Arc<CwdLink>,
}

impl Inode for Version {
    fn id(&self) -> InodeId {
        InodeId { dev: DEV, ino: 2 }
    }
    fn file_type(&self) -> FileType {
        FileType::Regular
    }
    fn stat(&self) -> Stat {
        Stat {
            dev: DEV,
            ino: 2,
            mode: mode::S_IFREG | 0o444,
            nlink: 1,
            ..Stat::default()
        }
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> KernelResult<usize> {
        let text = b"Courage 0.1\n";
        let rest = text.get(offset as usize..).unwrap_or(&[]);
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        Ok(n)
    }
    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }
}

impl Inode for CwdLink {
    fn id(&self) -> InodeId {
        InodeId { dev: DEV, ino: 3 }
    }
    fn file_type(&self) -> FileType {
        FileType::Symlink
    }
    fn stat(&self) -> Stat {
        Stat {
            dev: DEV,
            ino: 3,
            mode: mode::S_IFLNK | 0o777,
            nlink: 1,
            ..Stat::default()
        }
    }
    fn readlink(&self) -> KernelResult<String> {
        Ok("(text is not used)".into())
    }
    fn magic_link(&self) -> Option<Custody> {
        self.0.lock().unwrap().clone()
    }
    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }
}

impl Inode for ProcRoot {
    fn id(&self) -> InodeId {
        InodeId { dev: DEV, ino: 1 }
    }
    fn file_type(&self) -> FileType {
        FileType::Directory
    }
    fn stat(&self) -> Stat {
        Stat {
            dev: DEV,
            ino: 1,
            mode: mode::S_IFDIR | 0o555,
            nlink: 2,
            ..Stat::default()
        }
    }
    fn lookup(&self, name: &str) -> KernelResult<Arc<dyn Inode>> {
        match name {
            "version" => Ok(self.version.clone()),
            "cwd" => Ok(self.cwd.clone()),
            _ => Err(Errno::ENOENT),
        }
    }
    fn readdir(&self, cookie: u64) -> KernelResult<Option<(DirEntry, u64)>> {
        let entries = [
            (".", 1, FileType::Directory),
            ("version", 2, FileType::Regular),
            ("cwd", 3, FileType::Symlink),
        ];
        Ok(entries.get(cookie as usize).map(|&(name, ino, file_type)| {
            (
                DirEntry {
                    ino,
                    name: name.into(),
                    file_type,
                },
                cookie + 1,
            )
        }))
    }
    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }
}

struct ProcFs(Arc<ProcRoot>);

impl FileSystem for ProcFs {
    fn root(&self) -> Arc<dyn Inode> {
        self.0.clone()
    }
    fn name(&self) -> &'static str {
        "proc"
    }
}

#[test]
fn a_foreign_file_system_mounts_reads_lists_and_refuses_what_it_lacks() {
    let w = World::new();
    let cwd = Arc::new(CwdLink(Mutex::new(None)));
    let proc_root = Arc::new(ProcRoot {
        version: Arc::new(Version),
        cwd: cwd.clone(),
    });
    w.vfs.mkdir(&w.su(), "/proc", 0o555).unwrap();
    w.vfs.mkdir(&w.su(), "/home", 0o755).unwrap();
    w.vfs
        .mount("/proc", Arc::new(ProcFs(proc_root)), &w.root_creds)
        .unwrap();

    assert_eq!(w.read_file("/proc/version"), b"Courage 0.1\n");
    let dir = w
        .vfs
        .open(&w.su(), "/proc", OpenFlags::O_DIRECTORY, 0)
        .unwrap();
    assert_eq!(common::names_in(&dir), [".", "version", "cwd"]);
    // Defaults give Linux's errnos for what procfs does not implement.
    assert_eq!(w.vfs.mkdir(&w.su(), "/proc/new", 0o755), Err(Errno::EPERM));
    assert_eq!(w.vfs.unlink(&w.su(), "/proc/version"), Err(Errno::EPERM));
    assert_eq!(
        w.vfs
            .open(&w.su(), "/proc/version", OpenFlags::O_WRONLY, 0)
            .unwrap()
            .write(b"x"),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        w.vfs.rename(&w.su(), "/proc/version", "/v"),
        Err(Errno::EXDEV)
    );

    // A magic link leads to its custody, whatever its text says.
    assert_eq!(
        w.vfs.resolve(&w.su(), "/proc/cwd", true).unwrap_err(),
        Errno::ENOENT
    );
    *cwd.0.lock().unwrap() = Some(w.vfs.resolve(&w.su(), "/home", true).unwrap());
    let home = w.vfs.resolve(&w.su(), "/proc/cwd/..", true).unwrap();
    assert!(home.is_same_file(&w.root));
    assert_eq!(
        w.vfs
            .resolve(&w.su(), "/proc/cwd", true)
            .unwrap()
            .absolute_path(&w.root),
        "/home"
    );
}
