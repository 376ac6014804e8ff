//! Key/value notes a process attaches to its own coredump
//! (SerenityOS's `set_coredump_metadata`).

use alloc::string::String;

use abi::{Errno, KernelResult};

/// How many properties a process may set.
pub const COREDUMP_PROPERTY_SLOTS: usize = 4;

/// A fixed number of key/value slots, filled first come first served.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CoredumpProperties {
    slots: [Option<(String, String)>; COREDUMP_PROPERTY_SLOTS],
}

impl CoredumpProperties {
    /// Store the pair in the first free slot; `ENOBUFS` when all are taken.
    pub fn set(&mut self, key: String, value: String) -> KernelResult<()> {
        let slot = self
            .slots
            .iter_mut()
            .find(|s| s.is_none())
            .ok_or(Errno::ENOBUFS)?;
        *slot = Some((key, value));
        Ok(())
    }

    /// The stored pairs, in the order they were set.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.slots
            .iter()
            .flatten()
            .map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use alloc::string::ToString;
    use alloc::vec::Vec;

    use super::*;

    #[test]
    fn fifth_property_is_enobufs() {
        let mut props = CoredumpProperties::default();
        for i in 0..COREDUMP_PROPERTY_SLOTS {
            props.set(i.to_string(), "v".into()).unwrap();
        }
        assert_eq!(props.set("k".into(), "v".into()), Err(Errno::ENOBUFS));
        let keys: Vec<&str> = props.iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["0", "1", "2", "3"]);
    }
}
