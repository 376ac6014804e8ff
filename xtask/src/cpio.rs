//! A reproducible cpio "newc" writer for the initramfs.
//!
//! Every header has mtime 0 and owner root, inode numbers count up in
//! order, and entries are written in the order given, so the same tree
//! always gives the same bytes.

/// One archive member.
pub enum Entry {
    /// A directory with permission bits `mode`.
    Directory {
        /// Path inside the archive, without a leading `/`.
        path: String,
        /// Permission bits.
        mode: u32,
    },
    /// A regular file.
    File {
        /// Path inside the archive.
        path: String,
        /// Permission bits.
        mode: u32,
        /// Contents.
        data: Vec<u8>,
    },
    /// A symbolic link to `target`.
    Symlink {
        /// Path inside the archive.
        path: String,
        /// Link target.
        target: String,
    },
}

fn pad4(out: &mut Vec<u8>) {
    while out.len() % 4 != 0 {
        out.push(0);
    }
}

fn member(out: &mut Vec<u8>, ino: u32, mode: u32, name: &str, data: &[u8]) {
    let fields = [
        ino,
        mode,
        0,                     // uid
        0,                     // gid
        1,                     // nlink
        0,                     // mtime
        data.len() as u32,     // filesize
        0,                     // devmajor
        0,                     // devminor
        0,                     // rdevmajor
        0,                     // rdevminor
        name.len() as u32 + 1, // namesize, with NUL
        0,                     // check
    ];
    out.extend_from_slice(b"070701");
    for field in fields {
        out.extend_from_slice(format!("{field:08X}").as_bytes());
    }
    out.extend_from_slice(name.as_bytes());
    out.push(0);
    pad4(out);
    out.extend_from_slice(data);
    pad4(out);
}

/// The archive holding `entries`, then the trailer.
pub fn archive(entries: &[Entry]) -> Vec<u8> {
    let mut out = Vec::new();
    for (index, entry) in entries.iter().enumerate() {
        let ino = index as u32 + 1;
        match entry {
            Entry::Directory { path, mode } => member(&mut out, ino, 0o040000 | mode, path, &[]),
            Entry::File { path, mode, data } => member(&mut out, ino, 0o100000 | mode, path, data),
            Entry::Symlink { path, target } => {
                member(&mut out, ino, 0o120777, path, target.as_bytes())
            }
        }
    }
    member(&mut out, 0, 0, "TRAILER!!!", &[]);
    out
}
