//! The vDSO in this kernel: two frames made once at boot (the time data and
//! the ELF image around `arch::vdso`'s code), mapped into every new
//! address space at exec, and the data rewritten under its sequence lock
//! when the wall clock is set (or a CPU comes up with its TSC behind the
//! boot value).

use alloc::sync::Arc;
use core::sync::atomic::{Ordering, compiler_fence};

use abi::KernelResult;
use arch::paging::DirectMap;
use lock::Mutex;
use mm::{Frame, MapRequest, Perms, PhysicalMemory, Placement, VirtAddr, VmObject};
use spin::Once;
use vdso::{SequenceWrite, VdsoData};

use crate::memory::frames::KernelFrames;
use crate::memory::user::UserAddressSpace;

/// Where the data page goes; the image follows it. Below the signal
/// trampoline, with a page between them.
pub const DATA_ADDRESS: u64 = super::signals::TRAMPOLINE_ADDRESS - 3 * 4096;
/// Where the image goes (`AT_SYSINFO_EHDR`).
pub const IMAGE_ADDRESS: u64 = DATA_ADDRESS + 4096;

struct Vdso {
    /// Page 0: the data; page 1: the image. Never released.
    object: Arc<VmObject>,
    data_frame: Frame,
    /// What the data page holds now (the writer's copy).
    data: Mutex<VdsoData>,
}

static VDSO: Once<Vdso> = Once::new();

/// Builds the image and the data page; call once the clocks run. A
/// failure leaves processes without a vDSO (libc then makes system calls).
pub fn init(tsc_at_boot: u64, tsc_mult: u64, wall_offset: Option<i64>) {
    let result = (|| -> KernelResult<Vdso> {
        let image = vdso::build_image(arch::vdso::code(), &arch::vdso::functions())?;
        let object = VmObject::anonymous();
        let data_frame = object.page(0, &mut KernelFrames, &DirectMap)?;
        let image_frame = object.page(1, &mut KernelFrames, &DirectMap)?;
        DirectMap.write_frame(image_frame, 0, &image);
        let features = arch::cpu::Features::detect();
        if features.rdtscp {
            // CPU 0 on node 0, encoded as Linux does.
            arch::cpu::set_tsc_aux(0);
        }
        let data = VdsoData::new(tsc_at_boot, tsc_mult, wall_offset, features.rdtscp);
        DirectMap.write_frame(data_frame, 0, &data.to_bytes());
        Ok(Vdso {
            object,
            data_frame,
            data: Mutex::new(data),
        })
    })();
    match result {
        Ok(vdso) => {
            VDSO.call_once(|| vdso);
        }
        Err(error) => log::error!("vdso: not built ({error:?}); clocks go through system calls"),
    }
}

/// Publishes a new wall-clock offset (Unix ns at monotonic zero); `None`
/// (out of range) sends every wall-clock read to the kernel.
pub fn set_wall_offset(wall_offset: Option<i64>) {
    let Some(vdso) = VDSO.get() else {
        return;
    };
    let mut data = vdso.data.lock();
    publish(vdso, &mut data, |data| data.set_wall_offset(wall_offset));
}

/// A CPU coming up reads `tsc`: one behind the boot value sends
/// `CLOCK_MONOTONIC` through the vDSO's general path, whose every read
/// checks for that (the straight path relies on no CPU doing so).
pub fn check_tsc_order(tsc: u64) {
    let Some(vdso) = VDSO.get() else {
        return;
    };
    let mut data = vdso.data.lock();
    if !data.check_tsc_order(tsc) {
        return;
    }
    log::warn!("vdso: a CPU's TSC is behind the boot CPU's; clocks take the slower path");
    publish(vdso, &mut data, |_| {});
}

/// Rewrites the page under the sequence lock after `change`.
fn publish(vdso: &Vdso, data: &mut VdsoData, change: impl FnOnce(&mut VdsoData)) {
    let write = SequenceWrite::new(data.sequence);
    let sequence = vdso::OFFSET_SEQUENCE;
    DirectMap.write_frame(vdso.data_frame, sequence, &write.begin().to_le_bytes());
    // Readers must see the odd number before any other change.
    compiler_fence(Ordering::SeqCst);
    data.sequence = write.begin();
    change(data);
    DirectMap.write_frame(vdso.data_frame, 0, &data.to_bytes());
    compiler_fence(Ordering::SeqCst);
    data.sequence = write.end();
    // The count with the new straight-path flag.
    let word = data.sequence_word();
    DirectMap.write_frame(vdso.data_frame, sequence, &word.to_le_bytes());
}

/// Maps the data page and the image into a new address space; gives the
/// image's address for `AT_SYSINFO_EHDR`, or `None` without a vDSO.
pub fn map(space: &mut UserAddressSpace) -> KernelResult<Option<u64>> {
    let Some(vdso) = VDSO.get() else {
        return Ok(None);
    };
    // Private but never writable: every process maps the one frame the
    // kernel updates (no write can make a copy), and /proc/<pid>/maps shows
    // `r--p` as on Linux.
    space.mmap(
        MapRequest::object(vdso.object.clone(), 0, false, 4096, Perms::READ)
            .with_max_perms(Perms::READ)
            .at(Placement::Fixed(VirtAddr(DATA_ADDRESS)))
            .named("[vvar]"),
        &mut KernelFrames,
    )?;
    // Private: a debugger's breakpoint writes a copy, as on Linux.
    space.mmap(
        MapRequest::object(
            vdso.object.clone(),
            4096,
            false,
            4096,
            Perms::READ | Perms::EXEC,
        )
        .at(Placement::Fixed(VirtAddr(IMAGE_ADDRESS)))
        .named("[vdso]"),
        &mut KernelFrames,
    )?;
    Ok(Some(IMAGE_ADDRESS))
}
