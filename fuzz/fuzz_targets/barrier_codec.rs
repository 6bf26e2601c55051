//! Stored bytes are untrusted: whatever sits in physical storage, opening it through the
//! keyring must fail cleanly (never panic, never return plaintext for a forged entry),
//! and parsing a stored keyring must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use tresor_crypto::{codec, Keyring};

fn keyring() -> &'static Keyring {
    static RING: OnceLock<Keyring> = OnceLock::new();
    RING.get_or_init(|| Keyring::generate(0).and_then(|k| k.rotated(1)).expect("keyring"))
}

fuzz_target!(|data: &[u8]| {
    let _ = codec::parse_sealed(data);
    let _ = Keyring::from_bytes(data);
    // Random bytes must never authenticate under a real key.
    assert!(keyring().open("logical/fuzz", data).is_err());
    // A real entry with one byte of the input xor-ed in at an input-chosen place fails.
    if let (Some(&pos), Some(&flip)) = (data.first(), data.get(1)) {
        if flip != 0 {
            let mut sealed = keyring().seal("logical/fuzz", &data[2..]).expect("seal");
            let i = usize::from(pos) % sealed.len();
            sealed[i] ^= flip;
            assert!(keyring().open("logical/fuzz", &sealed).is_err());
        }
    }
});
