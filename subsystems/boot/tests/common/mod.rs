//! Fake physical memory and builders for boot information images.
#![allow(dead_code)]

use boot::{PhysicalMemoryReader, ReadError};

/// Physical memory that is one run of bytes starting at `base`.
pub struct FakeMemory {
    pub base: u64,
    pub bytes: Vec<u8>,
}

impl FakeMemory {
    pub fn new(base: u64, size: usize) -> FakeMemory {
        FakeMemory {
            base,
            bytes: vec![0; size],
        }
    }

    /// Writes `data` at physical address `addr`.
    pub fn write(&mut self, addr: u64, data: &[u8]) {
        let at = (addr - self.base) as usize;
        self.bytes[at..at + data.len()].copy_from_slice(data);
    }

    pub fn end(&self) -> u64 {
        self.base + self.bytes.len() as u64
    }
}

impl PhysicalMemoryReader for FakeMemory {
    fn read(&self, addr: u64, buf: &mut [u8]) -> Result<(), ReadError> {
        let start = addr.checked_sub(self.base).ok_or(ReadError)?;
        let end = start.checked_add(buf.len() as u64).ok_or(ReadError)?;
        if end > self.bytes.len() as u64 {
            return Err(ReadError);
        }
        buf.copy_from_slice(&self.bytes[start as usize..end as usize]);
        Ok(())
    }
}

/// A xorshift generator, so "random" tests are reproducible.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }
}

/// Builds multiboot2 information: header, tags, end tag.
pub struct Multiboot2Builder {
    pub bytes: Vec<u8>,
}

impl Multiboot2Builder {
    pub fn new() -> Self {
        Multiboot2Builder { bytes: vec![0; 8] }
    }

    /// Appends a tag with `payload`, padded to 8 bytes.
    pub fn tag(mut self, kind: u32, payload: &[u8]) -> Self {
        self.bytes.extend_from_slice(&kind.to_le_bytes());
        self.bytes
            .extend_from_slice(&(8 + payload.len() as u32).to_le_bytes());
        self.bytes.extend_from_slice(payload);
        while self.bytes.len() % 8 != 0 {
            self.bytes.push(0);
        }
        self
    }

    pub fn string_tag(self, kind: u32, text: &str) -> Self {
        let mut payload = text.as_bytes().to_vec();
        payload.push(0);
        self.tag(kind, &payload)
    }

    pub fn module(self, start: u32, end: u32, cmdline: &str) -> Self {
        let mut payload = Vec::new();
        payload.extend_from_slice(&start.to_le_bytes());
        payload.extend_from_slice(&end.to_le_bytes());
        payload.extend_from_slice(cmdline.as_bytes());
        payload.push(0);
        self.tag(3, &payload)
    }

    pub fn memory_map(self, entries: &[(u64, u64, u32)]) -> Self {
        let mut payload = Vec::new();
        payload.extend_from_slice(&24u32.to_le_bytes());
        payload.extend_from_slice(&0u32.to_le_bytes());
        for &(base, length, kind) in entries {
            payload.extend_from_slice(&base.to_le_bytes());
            payload.extend_from_slice(&length.to_le_bytes());
            payload.extend_from_slice(&kind.to_le_bytes());
            payload.extend_from_slice(&0u32.to_le_bytes());
        }
        self.tag(6, &payload)
    }

    /// Adds the end tag and fills in `total_size`.
    pub fn finish(self) -> Vec<u8> {
        let mut bytes = self.tag(0, &[]).bytes;
        let total = bytes.len() as u32;
        bytes[..4].copy_from_slice(&total.to_le_bytes());
        bytes
    }
}

/// A valid ACPI 2.0 RSDP pointing at `xsdt`.
pub fn rsdp_v2(xsdt: u64) -> [u8; 36] {
    fn sum(bytes: &[u8]) -> u8 {
        bytes.iter().fold(0u8, |s, &b| s.wrapping_add(b))
    }
    let mut b = [0u8; 36];
    b[..8].copy_from_slice(b"RSD PTR ");
    b[9..15].copy_from_slice(b"COURGE");
    b[15] = 2;
    b[16..20].copy_from_slice(&0x7fe_0000u32.to_le_bytes());
    b[20..24].copy_from_slice(&36u32.to_le_bytes());
    b[24..32].copy_from_slice(&xsdt.to_le_bytes());
    b[8] = 0u8.wrapping_sub(sum(&b[..20]));
    b[32] = 0u8.wrapping_sub(sum(&b));
    b
}

pub fn le32(v: u32) -> [u8; 4] {
    v.to_le_bytes()
}

pub fn le64(v: u64) -> [u8; 8] {
    v.to_le_bytes()
}
