//! A ChaCha20 (RFC 8439) keystream generator for `/dev/urandom` and
//! `getrandom`, rekeyed after every request ("fast key erasure") so a later
//! compromise of its state does not reveal earlier output.

/// Where seed bytes come from: RDSEED/RDRAND, or TSC jitter as a fallback.
/// The arch crate implements it.
pub trait EntropySource: Send + Sync {
    /// Fills `out` with the best entropy available.
    fn fill(&self, out: &mut [u8]);
}

const CONSTANTS: [u32; 4] = [0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574];

fn quarter_round(state: &mut [u32; 16], a: usize, b: usize, c: usize, d: usize) {
    state[a] = state[a].wrapping_add(state[b]);
    state[d] = (state[d] ^ state[a]).rotate_left(16);
    state[c] = state[c].wrapping_add(state[d]);
    state[b] = (state[b] ^ state[c]).rotate_left(12);
    state[a] = state[a].wrapping_add(state[b]);
    state[d] = (state[d] ^ state[a]).rotate_left(8);
    state[c] = state[c].wrapping_add(state[d]);
    state[b] = (state[b] ^ state[c]).rotate_left(7);
}

/// One 64-byte ChaCha20 block for `key`, block `counter` and 96-bit `nonce`.
pub fn chacha20_block(key: &[u8; 32], counter: u32, nonce: &[u8; 12]) -> [u8; 64] {
    let mut input = [0u32; 16];
    input[..4].copy_from_slice(&CONSTANTS);
    for (word, bytes) in input[4..12].iter_mut().zip(key.chunks_exact(4)) {
        *word = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    }
    input[12] = counter;
    for (word, bytes) in input[13..16].iter_mut().zip(nonce.chunks_exact(4)) {
        *word = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    }
    let mut state = input;
    for _ in 0..10 {
        quarter_round(&mut state, 0, 4, 8, 12);
        quarter_round(&mut state, 1, 5, 9, 13);
        quarter_round(&mut state, 2, 6, 10, 14);
        quarter_round(&mut state, 3, 7, 11, 15);
        quarter_round(&mut state, 0, 5, 10, 15);
        quarter_round(&mut state, 1, 6, 11, 12);
        quarter_round(&mut state, 2, 7, 8, 13);
        quarter_round(&mut state, 3, 4, 9, 14);
    }
    let mut out = [0u8; 64];
    for (i, chunk) in out.chunks_exact_mut(4).enumerate() {
        chunk.copy_from_slice(&state[i].wrapping_add(input[i]).to_le_bytes());
    }
    out
}

/// The generator's state: a key that is replaced after every request.
pub struct ChaCha20Rng {
    key: [u8; 32],
}

impl ChaCha20Rng {
    /// A generator keyed by 32 bytes from `source`.
    pub fn from_entropy(source: &dyn EntropySource) -> ChaCha20Rng {
        let mut key = [0u8; 32];
        source.fill(&mut key);
        ChaCha20Rng { key }
    }

    /// A generator with a fixed key (tests, reproducible runs).
    pub fn from_seed(key: [u8; 32]) -> ChaCha20Rng {
        ChaCha20Rng { key }
    }

    /// Fills `out` with keystream and replaces the key (fast key erasure):
    /// block 0 gives the next key in its first half and the first 32
    /// bytes of output in its second, so the key that produced `out` is
    /// gone and a short request (`AT_RANDOM`'s 16 bytes at every exec,
    /// `getrandom` of a seed) costs one block.
    pub fn fill_bytes(&mut self, out: &mut [u8]) {
        let nonce = [0u8; 12];
        let first = chacha20_block(&self.key, 0, &nonce);
        let (head, rest) = out.split_at_mut(out.len().min(32));
        head.copy_from_slice(&first[32..32 + head.len()]);
        for (index, chunk) in rest.chunks_mut(64).enumerate() {
            // Blocks 1.. follow; a request of 256 GiB would wrap: stop rather than repeat.
            let Ok(counter) = u32::try_from(index + 1) else {
                break;
            };
            let block = chacha20_block(&self.key, counter, &nonce);
            chunk.copy_from_slice(&block[..chunk.len()]);
        }
        self.key.copy_from_slice(&first[..32]);
    }

    /// Mixes caller bytes (writes to `/dev/random`) into the key; they
    /// never make the output weaker because the old key stays mixed in.
    pub fn mix(&mut self, data: &[u8]) {
        for chunk in data.chunks(32) {
            for (key_byte, byte) in self.key.iter_mut().zip(chunk) {
                *key_byte ^= byte;
            }
            let block = chacha20_block(&self.key, 0, &[0xff; 12]);
            self.key.copy_from_slice(&block[..32]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_matches_rfc8439_test_vector() {
        let mut key = [0u8; 32];
        for (i, byte) in key.iter_mut().enumerate() {
            *byte = i as u8;
        }
        let nonce = [0, 0, 0, 0x09, 0, 0, 0, 0x4a, 0, 0, 0, 0];
        let block = chacha20_block(&key, 1, &nonce);
        assert_eq!(
            &block[..16],
            &[
                0x10, 0xf1, 0xe7, 0xe4, 0xd1, 0x3b, 0x59, 0x15, 0x50, 0x0f, 0xdd, 0x1f, 0xa3, 0x20,
                0x71, 0xc4
            ]
        );
        assert_eq!(&block[60..], &[0xa2, 0x50, 0x3c, 0x4e]);
    }

    #[test]
    fn block_zero_splits_into_the_next_key_and_the_first_output() {
        let seed = [7; 32];
        let nonce = [0u8; 12];
        let mut rng = ChaCha20Rng::from_seed(seed);
        let mut first = [0u8; 16];
        rng.fill_bytes(&mut first);
        let block = chacha20_block(&seed, 0, &nonce);
        assert_eq!(first, block[32..48]);
        let next_key: [u8; 32] = block[..32].try_into().unwrap();
        let mut second = [0u8; 80];
        rng.fill_bytes(&mut second);
        let next = chacha20_block(&next_key, 0, &nonce);
        assert_eq!(second[..32], next[32..]);
        assert_eq!(second[32..], chacha20_block(&next_key, 1, &nonce)[..48]);
    }

    #[test]
    fn consecutive_requests_never_repeat_output() {
        let mut rng = ChaCha20Rng::from_seed([1; 32]);
        let mut first = [0u8; 100];
        let mut second = [0u8; 100];
        rng.fill_bytes(&mut first);
        rng.fill_bytes(&mut second);
        assert_ne!(first, second);
        assert_ne!(first, [0u8; 100]);
    }
}
