//! System identity reported by `uname(2)`, and `sethostname`/`setdomainname`.

use abi::{Errno, KernelResult};

use crate::credentials::Credentials;

/// Linux's `__NEW_UTS_LEN`: the longest host or domain name.
pub const UTS_NAME_LEN: usize = 64;
/// Bytes per field of `struct new_utsname` (the name plus a NUL).
pub const UTS_FIELD_LEN: usize = UTS_NAME_LEN + 1;

/// The name Courage boots with.
pub const DEFAULT_HOSTNAME: &[u8] = b"courage";

/// A bounded name: at most [`UTS_NAME_LEN`] bytes, not necessarily UTF-8.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct UtsField {
    bytes: [u8; UTS_NAME_LEN],
    len: usize,
}

impl UtsField {
    fn new(name: &[u8]) -> KernelResult<Self> {
        if name.len() > UTS_NAME_LEN {
            return Err(Errno::EINVAL);
        }
        let mut bytes = [0; UTS_NAME_LEN];
        bytes[..name.len()].copy_from_slice(name);
        Ok(Self {
            bytes,
            len: name.len(),
        })
    }

    /// For the built-in names, which are known to fit.
    fn truncated(name: &[u8]) -> Self {
        let len = name.len().min(UTS_NAME_LEN);
        let mut bytes = [0; UTS_NAME_LEN];
        bytes[..len].copy_from_slice(&name[..len]);
        Self { bytes, len }
    }

    fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// The `uname` data; the host and domain names are settable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UtsName {
    hostname: UtsField,
    domainname: UtsField,
}

impl Default for UtsName {
    fn default() -> Self {
        Self {
            hostname: UtsField::truncated(DEFAULT_HOSTNAME),
            domainname: UtsField::truncated(b"(none)"),
        }
    }
}

impl UtsName {
    /// `sysname`.
    pub const SYSNAME: &'static [u8] = b"Courage";
    /// `release`.
    pub const RELEASE: &'static [u8] = b"0.1.0";
    /// `version`.
    pub const VERSION: &'static [u8] = b"#1";
    /// `machine`.
    pub const MACHINE: &'static [u8] = b"x86_64";

    /// The host name (`nodename`).
    pub fn hostname(&self) -> &[u8] {
        self.hostname.as_bytes()
    }

    /// The NIS domain name.
    pub fn domainname(&self) -> &[u8] {
        self.domainname.as_bytes()
    }

    /// `sethostname(2)`: `CAP_SYS_ADMIN` only (`EPERM`, checked first as Linux), at most
    /// 64 bytes (`EINVAL`).
    pub fn set_hostname(&mut self, name: &[u8], credentials: &Credentials) -> KernelResult<()> {
        if !credentials.capable(abi::capability::CAP_SYS_ADMIN) {
            return Err(Errno::EPERM);
        }
        self.hostname = UtsField::new(name)?;
        Ok(())
    }

    /// `setdomainname(2)`, with the rules of [`UtsName::set_hostname`].
    pub fn set_domainname(&mut self, name: &[u8], credentials: &Credentials) -> KernelResult<()> {
        if !credentials.capable(abi::capability::CAP_SYS_ADMIN) {
            return Err(Errno::EPERM);
        }
        self.domainname = UtsField::new(name)?;
        Ok(())
    }

    /// `struct new_utsname` as `uname(2)` copies it out: six NUL-padded
    /// 65-byte fields (sysname, nodename, release, version, machine, domainname).
    pub fn to_linux_bytes(&self) -> [u8; 6 * UTS_FIELD_LEN] {
        let mut out = [0; 6 * UTS_FIELD_LEN];
        let fields: [&[u8]; 6] = [
            Self::SYSNAME,
            self.hostname(),
            Self::RELEASE,
            Self::VERSION,
            Self::MACHINE,
            self.domainname(),
        ];
        for (i, field) in fields.iter().enumerate() {
            let start = i * UTS_FIELD_LEN;
            out[start..start + field.len()].copy_from_slice(field);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostname_defaults_to_courage() {
        let uts = UtsName::default();
        assert_eq!(uts.hostname(), b"courage");
        let bytes = uts.to_linux_bytes();
        assert_eq!(&bytes[UTS_FIELD_LEN..UTS_FIELD_LEN + 8], b"courage\0");
        assert_eq!(
            &bytes[4 * UTS_FIELD_LEN..4 * UTS_FIELD_LEN + 7],
            b"x86_64\0"
        );
    }

    #[test]
    fn sethostname_needs_root() {
        let mut uts = UtsName::default();
        let user = Credentials::new(1000, 1000);
        assert_eq!(uts.set_hostname(b"box", &user), Err(Errno::EPERM));
        // EPERM wins over EINVAL, as on Linux.
        assert_eq!(uts.set_hostname(&[b'a'; 65], &user), Err(Errno::EPERM));
        assert_eq!(uts.hostname(), b"courage");
    }

    #[test]
    fn sethostname_past_64_bytes_is_einval() {
        let mut uts = UtsName::default();
        let root = Credentials::root();
        assert_eq!(uts.set_hostname(&[b'a'; 65], &root), Err(Errno::EINVAL));
        uts.set_hostname(&[b'a'; 64], &root).unwrap();
        assert_eq!(uts.hostname().len(), 64);
        uts.set_domainname(b"example", &root).unwrap();
        assert_eq!(uts.domainname(), b"example");
    }
}
