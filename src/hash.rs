//! SHA-256 in lowercase hex: what manifests record and fingerprints use
//! (standard, and checkable with `sha256sum`).

use sha2::{Digest, Sha256};

/// Lowercase hex SHA-256.
pub fn sha256(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// `name` if at most `max` characters long, otherwise its start and the
/// first 8 hex digits of its hash, joined by `separator` and `max` long in
/// all: a name cut to fit that stays apart from other long names.
pub fn shortened(name: &str, max: usize, separator: char) -> String {
    if name.len() <= max {
        return name.to_string();
    }
    let start = name[..max - 9].trim_end_matches(separator);
    format!("{start}{separator}{}", &sha256(name.as_bytes())[..8])
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from_digit(u32::from(byte >> 4), 16).expect("nibble"));
        out.push(char::from_digit(u32::from(byte & 0xf), 16).expect("nibble"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_matches_reference() {
        assert_eq!(
            sha256(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
