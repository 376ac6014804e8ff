//! `execve`: building a new address space from an ELF file (and its
//! interpreter), and the initial user stack.
//!
//! The `elf` crate decides everything (what to map where, the stack bytes);
//! this module maps it with `mm`: file-backed segments as private mappings
//! of a VM object over the file (demand-loaded, copy-on-write), the tail of
//! the last file page zeroed, anonymous memory for the rest of `.bss`, an
//! 8 MiB `[stack]`. Every failure happens before the caller's address space
//! is touched, so a failed exec leaves the process running.

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;

use abi::{Errno, KernelResult};
use arch::paging::DirectMap;
use elf::{AuxValues, ExecFs, ExecPlan, LoadBases, LoadPlan, ReadAt, StackContents};
use fs::{FileDescription, PathContext};
use mm::{AddressSpaceMemory, MapRequest, Perms, Placement, UserMemory, UserSlice, VirtAddr};

use crate::memory::frames::KernelFrames;
use crate::memory::user::{UserAddressSpace, new_address_space};

/// Top of every initial stack (the end of user space).
pub const STACK_TOP: u64 = mm::USER_SPACE_END;
/// Size of the `[stack]` region.
pub const STACK_SIZE: u64 = 8 << 20;
const PAGE: u64 = 4096;

/// An executable opened for exec.
pub struct ExecFile {
    description: Arc<FileDescription>,
    size: u64,
}

impl ReadAt for ExecFile {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> KernelResult<usize> {
        let offset = i64::try_from(offset).map_err(|_| Errno::EINVAL)?;
        self.description.pread(buf, offset)
    }
}

/// Opens executables through the VFS with exec permission checks.
pub struct VfsExec<'a> {
    /// Where paths start, the root, and whose permissions count.
    pub ctx: PathContext<'a>,
    /// A file already open under a path (`execveat` of a descriptor,
    /// named `/dev/fd/N`), taken instead of a lookup of that path.
    pub opened: Option<(&'a [u8], Arc<fs::FileDescription>)>,
}

impl ExecFs for VfsExec<'_> {
    type File = ExecFile;

    fn open_executable(&mut self, path: &[u8]) -> KernelResult<ExecFile> {
        let description = match &self.opened {
            Some((name, description)) if *name == path => {
                if description.is_path_only() || !description.access_mode().readable() {
                    // An O_PATH or write-only descriptor runs too: read
                    // the program through a fresh read-only description.
                    let inode = description.inode().ok_or(Errno::EACCES)?.clone();
                    let file = Arc::new(fs::file::InodeFile::new(inode));
                    let custody = description.custody().cloned();
                    FileDescription::new(file, custody, fs::types::OpenFlags::empty())?
                } else {
                    description.clone()
                }
            }
            _ => {
                let path = core::str::from_utf8(path).map_err(|_| Errno::ENOENT)?;
                super::vfs::vfs().open(&self.ctx, path, fs::types::OpenFlags::empty(), 0)?
            }
        };
        let stat = description.stat()?;
        if stat.mode & abi::S_IFMT != abi::S_IFREG {
            return Err(Errno::EACCES);
        }
        // The one access rule, fs's: root needs some execute bit too.
        fs::credentials::check_access(&stat, self.ctx.creds, fs::credentials::Access::EXECUTE)?;
        Ok(ExecFile {
            description,
            size: stat.size.max(0) as u64,
        })
    }
}

fn perms(prot: elf::Prot) -> Perms {
    Perms::from_bits_truncate(prot.bits() as u8)
}

fn map_plan(
    space: &mut UserAddressSpace,
    plan: &LoadPlan,
    file: &ExecFile,
    name: &str,
) -> KernelResult<()> {
    let object = syscall::memory::file_object(&file.description, file.size);
    for segment in &plan.segments {
        let perms = perms(segment.prot);
        let file_end = segment.vaddr + segment.file_len;
        let file_pages_end = file_end.div_ceil(PAGE) * PAGE;
        if segment.file_len > 0 {
            space.mmap(
                MapRequest::object(
                    object.clone(),
                    segment.file_offset,
                    false,
                    file_pages_end - segment.vaddr,
                    perms,
                )
                .at(Placement::Fixed(VirtAddr(segment.vaddr)))
                .named(name),
                &mut KernelFrames,
            )?;
            if segment.zero_from < file_pages_end {
                // The rest of the last file page is .bss, not file bytes.
                let zeros = vec![0u8; (file_pages_end - segment.zero_from) as usize];
                let mut frames = KernelFrames;
                let memory = AddressSpaceMemory::new(space, &mut frames, &DirectMap);
                let slice = UserSlice::new(segment.zero_from, zeros.len())?;
                if let Err(error) = memory.copy_to_user(slice, &zeros) {
                    if segment.prot.contains(elf::Prot::WRITE) {
                        return Err(error);
                    }
                }
            }
        }
        let mem_end = (segment.vaddr + segment.mem_len).div_ceil(PAGE) * PAGE;
        let anonymous_start = if segment.file_len > 0 {
            file_pages_end
        } else {
            segment.vaddr
        };
        if mem_end > anonymous_start {
            space.mmap(
                MapRequest::anonymous(mem_end - anonymous_start, perms)
                    .at(Placement::Fixed(VirtAddr(anonymous_start))),
                &mut KernelFrames,
            )?;
        }
    }
    Ok(())
}

/// What a successful [`load`] gives the thread that will run it.
pub struct LoadedImage {
    /// The new address space.
    pub space: UserAddressSpace,
    /// The first user instruction.
    pub entry: u64,
    /// The initial stack pointer (pointing at argc).
    pub stack_pointer: u64,
    /// The command name (the file name's last component).
    pub name: String,
    /// The executable (for `/proc/<pid>/exe`).
    pub exe: Option<fs::Custody>,
    /// The auxiliary vector, as on the stack.
    pub auxv: Vec<u8>,
    /// The arguments after `#!` rewriting, as the program sees them.
    pub argv: Vec<Vec<u8>>,
}

/// The ids that go into the auxiliary vector.
pub struct ExecIds {
    /// Real and effective user and group ids.
    pub uid: u32,
    /// Effective user id.
    pub euid: u32,
    /// Real group id.
    pub gid: u32,
    /// Effective group id.
    pub egid: u32,
}

/// Builds the address space for `path` with `argv` and `envp`, without
/// touching the caller's.
pub fn load(
    ctx: PathContext<'_>,
    path: &[u8],
    opened: Option<Arc<fs::FileDescription>>,
    argv: Vec<Vec<u8>>,
    envp: Vec<Vec<u8>>,
    ids: ExecIds,
) -> KernelResult<LoadedImage> {
    let mut opener = VfsExec {
        ctx,
        opened: opened.map(|description| (path, description)),
    };
    let resolved = elf::resolve_exec(&mut opener, path, argv)?;
    let plan = ExecPlan::new(
        &resolved.program.elf,
        resolved.interpreter.as_ref().map(|i| &i.elf),
        LoadBases::default(),
    )?;
    // Regions and comm use the file's real path (a re-exec through
    // /proc/self/exe still shows /bin/busybox, as on Linux).
    let root = ctx.root.clone();
    let name_source = resolved.program.file.description.custody().map_or_else(
        || String::from_utf8_lossy(path).into_owned(),
        |c| c.absolute_path(&root),
    );
    let invoked = String::from_utf8_lossy(path).into_owned();
    let name: String = invoked
        .rsplit('/')
        .next()
        .unwrap_or("")
        .chars()
        .take(15)
        .collect();

    let mut space = new_address_space()?;
    map_plan(
        &mut space,
        &plan.program,
        &resolved.program.file,
        &name_source,
    )?;
    if let (Some(interp_plan), Some(interp)) = (&plan.interpreter, &resolved.interpreter) {
        map_plan(&mut space, interp_plan, &interp.file, "[interpreter]")?;
    }
    space.init_brk(VirtAddr(plan.brk_start));
    let stack_bottom = STACK_TOP - STACK_SIZE;
    space.mmap(
        MapRequest::anonymous(STACK_SIZE, Perms::READ | Perms::WRITE)
            .at(Placement::Fixed(VirtAddr(stack_bottom)))
            .named("[stack]"),
        &mut KernelFrames,
    )?;
    super::signals::map_trampoline(&mut space)?;
    let vdso = super::vdso::map(&mut space)?;
    space.set_mmap_top(VirtAddr(
        mm::DEFAULT_MMAP_TOP.min(stack_bottom - (64 << 20)),
    ));

    let mut random = [0u8; 16];
    super::vfs::random().fill(&mut random);
    let mut aux = AuxValues::for_plan(&plan);
    aux.uid = ids.uid;
    aux.euid = ids.euid;
    aux.gid = ids.gid;
    aux.egid = ids.egid;
    aux.secure = ids.uid != ids.euid || ids.gid != ids.egid;
    aux.hwcap = u64::from(core::arch::x86_64::__cpuid(1).edx);
    aux.sysinfo_ehdr = vdso;
    let contents = StackContents {
        argv: &resolved.argv,
        envp: &envp,
        execfn: &resolved.execfn,
        random,
    };
    let stack = elf::build_initial_stack(STACK_TOP, &contents, &aux, elf::ArgLimits::default())?;
    {
        let mut frames = KernelFrames;
        let memory = AddressSpaceMemory::new(&mut space, &mut frames, &DirectMap);
        let start = STACK_TOP - stack.bytes.len() as u64;
        memory.copy_to_user(UserSlice::new(start, stack.bytes.len())?, &stack.bytes)?;
    }
    Ok(LoadedImage {
        space,
        entry: plan.start_address,
        stack_pointer: stack.rsp,
        name,
        exe: resolved.program.file.description.custody().cloned(),
        auxv: stack.auxv_bytes().to_vec(),
        argv: resolved.argv,
    })
}
