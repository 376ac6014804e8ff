//! A regular file's bytes in memory: page-sized chunks in a map, absent pages
//! are holes that read as zeros.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::vec;

use abi::{Errno, KernelResult};

/// Size of one data chunk.
pub const PAGE_SIZE: usize = 4096;

/// Largest file size tmpfs accepts (Linux's `MAX_LFS_FILESIZE`).
pub const MAX_FILE_SIZE: u64 = i64::MAX as u64;

/// Sparse file contents.
#[derive(Default)]
pub struct SparseData {
    pages: BTreeMap<u64, Box<[u8]>>,
    size: u64,
}

impl SparseData {
    /// Logical size in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// 512-byte blocks actually allocated (holes cost nothing).
    pub fn blocks(&self) -> u64 {
        self.pages.len() as u64 * (PAGE_SIZE as u64 / 512)
    }

    /// Copies bytes from `offset` into `buf`; returns how many (0 at the end).
    pub fn read(&self, offset: u64, buf: &mut [u8]) -> usize {
        if offset >= self.size {
            return 0;
        }
        let len = buf
            .len()
            .min((self.size - offset).min(usize::MAX as u64) as usize);
        let mut done = 0;
        while done < len {
            let pos = offset + done as u64;
            let page = pos / PAGE_SIZE as u64;
            let in_page = (pos % PAGE_SIZE as u64) as usize;
            let chunk = (PAGE_SIZE - in_page).min(len - done);
            let out = &mut buf[done..done + chunk];
            match self.pages.get(&page) {
                Some(data) => out.copy_from_slice(&data[in_page..in_page + chunk]),
                None => out.fill(0),
            }
            done += chunk;
        }
        len
    }

    /// Writes `data` at `offset`, growing the file; `EFBIG` past the limit.
    pub fn write(&mut self, offset: u64, data: &[u8]) -> KernelResult<usize> {
        let end = offset.checked_add(data.len() as u64).ok_or(Errno::EFBIG)?;
        if end > MAX_FILE_SIZE {
            return Err(Errno::EFBIG);
        }
        let mut done = 0;
        while done < data.len() {
            let pos = offset + done as u64;
            let page = pos / PAGE_SIZE as u64;
            let in_page = (pos % PAGE_SIZE as u64) as usize;
            let chunk = (PAGE_SIZE - in_page).min(data.len() - done);
            let target = self
                .pages
                .entry(page)
                .or_insert_with(|| vec![0u8; PAGE_SIZE].into_boxed_slice());
            target[in_page..in_page + chunk].copy_from_slice(&data[done..done + chunk]);
            done += chunk;
        }
        self.size = self.size.max(end);
        Ok(data.len())
    }

    /// Sets the size: shrinking frees whole pages and zeroes the cut tail of
    /// the last one, so growing again reads zeros as Linux requires.
    pub fn truncate(&mut self, size: u64) -> KernelResult<()> {
        if size > MAX_FILE_SIZE {
            return Err(Errno::EFBIG);
        }
        if size < self.size {
            let first_dropped = size.div_ceil(PAGE_SIZE as u64);
            let _dropped = self.pages.split_off(&first_dropped);
            let in_page = (size % PAGE_SIZE as u64) as usize;
            if in_page != 0 {
                if let Some(page) = self.pages.get_mut(&(size / PAGE_SIZE as u64)) {
                    page[in_page..].fill(0);
                }
            }
        }
        self.size = size;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_past_end_leaves_a_hole_that_reads_as_zeros_and_costs_nothing() {
        let mut data = SparseData::default();
        data.write(3 * PAGE_SIZE as u64 + 10, b"xyz").unwrap();
        assert_eq!(data.size(), 3 * PAGE_SIZE as u64 + 13);
        assert_eq!(data.blocks(), 8);
        let mut buf = [0xffu8; 16];
        assert_eq!(data.read(3 * PAGE_SIZE as u64, &mut buf), 13);
        assert_eq!(&buf[..13], b"\0\0\0\0\0\0\0\0\0\0xyz");
        let mut hole = [0xffu8; 4];
        assert_eq!(data.read(100, &mut hole), 4);
        assert_eq!(hole, [0; 4]);
    }

    #[test]
    fn shrink_then_grow_reads_zeros_in_the_cut_range() {
        let mut data = SparseData::default();
        data.write(0, &[7u8; 6000]).unwrap();
        data.truncate(10).unwrap();
        assert_eq!(data.blocks(), 8);
        data.truncate(6000).unwrap();
        let mut buf = [0xffu8; 6000];
        assert_eq!(data.read(0, &mut buf), 6000);
        assert!(buf[..10].iter().all(|&b| b == 7));
        assert!(buf[10..].iter().all(|&b| b == 0));
    }

    #[test]
    fn write_beyond_the_size_limit_is_efbig() {
        let mut data = SparseData::default();
        assert_eq!(data.write(u64::MAX - 1, b"ab"), Err(Errno::EFBIG));
        assert_eq!(data.write(MAX_FILE_SIZE, b"a"), Err(Errno::EFBIG));
    }
}
