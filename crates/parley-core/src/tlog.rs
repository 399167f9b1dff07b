//! The Merkle tree of a poll's transparency log, as RFC 9162 (Certificate
//! Transparency 2.0) defines it: leaf hash `SHA-256(0x00 || leaf)`, node hash
//! `SHA-256(0x01 || left || right)`, the tree over `n` leaves split at the
//! largest power of two below `n`; inclusion and consistency proofs and
//! their verification; and the C2SP `tlog-checkpoint` body. Pure: no I/O.
//!
//! Storage keeps the hash of every *complete* aligned subtree ("stored
//! hashes", as Go's `golang.org/x/mod/sumdb/tlog`): the subtree at `level`
//! and `index` covers leaves `[index << level, (index + 1) << level)`.
//! Appending a leaf adds it and the subtrees it completes (two hashes per
//! leaf on average, no read of older leaves but one sibling per level
//! completed); any root or proof is then O(log² n) lookups at most.
//!
//! What a leaf holds (`ballot_leaf`): the poll, the round, the choices, the
//! time and a commitment to a secret only the voter holds — never the voter.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use sha2::{Digest, Sha256};

/// A SHA-256 hash.
pub type Hash = [u8; 32];

/// `SHA-256(0x00 || data)`.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

/// `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The root of the empty tree: `SHA-256("")`.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// A stored hash's place: the complete subtree at `level` and `index`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Place {
    pub level: u8,
    pub index: u64,
}

/// The hashes to store when leaf number `n` (0-based) with hash `leaf` is
/// appended: the leaf itself, then each subtree it completes. `stored`
/// reads an earlier stored hash (only left siblings of the new path).
pub fn append<E>(
    n: u64,
    leaf: Hash,
    mut stored: impl FnMut(Place) -> Result<Hash, E>,
) -> Result<Vec<(Place, Hash)>, E> {
    let mut out = vec![(Place { level: 0, index: n }, leaf)];
    let (mut level, mut index, mut hash) = (0u8, n, leaf);
    while index & 1 == 1 {
        let left = stored(Place { level, index: index - 1 })?;
        hash = node_hash(&left, &hash);
        level += 1;
        index >>= 1;
        out.push((Place { level, index }, hash));
    }
    Ok(out)
}

/// The largest power of two strictly below `n` (n ≥ 2).
fn split(n: u64) -> u64 {
    1u64 << (63 - (n - 1).leading_zeros())
}

/// The hash of leaves `[lo, hi)` (RFC 9162 MTH), from stored hashes.
pub fn subtree_hash<E>(lo: u64, hi: u64, stored: &mut impl FnMut(Place) -> Result<Hash, E>) -> Result<Hash, E> {
    let size = hi - lo;
    if size == 0 {
        return Ok(empty_root());
    }
    if size.is_power_of_two() && lo.is_multiple_of(size) {
        let level = size.trailing_zeros() as u8;
        return stored(Place { level, index: lo >> level });
    }
    let k = split(size);
    let left = subtree_hash(lo, lo + k, stored)?;
    let right = subtree_hash(lo + k, hi, stored)?;
    Ok(node_hash(&left, &right))
}

/// The root of the tree of the first `n` leaves.
pub fn tree_hash<E>(n: u64, mut stored: impl FnMut(Place) -> Result<Hash, E>) -> Result<Hash, E> {
    subtree_hash(0, n, &mut stored)
}

/// Why a proof cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError<E> {
    #[error("leaf {index} is not in a tree of {size} leaves")]
    NoSuchLeaf { index: u64, size: u64 },
    #[error("a tree of {old} leaves is not a prefix of one of {new}")]
    NotAPrefix { old: u64, new: u64 },
    #[error("{0}")]
    Stored(E),
}

/// The inclusion proof of leaf `index` in the tree of `size` leaves
/// (RFC 9162 section 2.1.3.1, PATH), from the leaf up.
pub fn inclusion_proof<E>(
    index: u64,
    size: u64,
    mut stored: impl FnMut(Place) -> Result<Hash, E>,
) -> Result<Vec<Hash>, ProofError<E>> {
    if index >= size {
        return Err(ProofError::NoSuchLeaf { index, size });
    }
    let mut proof = Vec::new();
    path(index, 0, size, &mut stored, &mut proof).map_err(ProofError::Stored)?;
    Ok(proof)
}

fn path<E>(
    m: u64,
    lo: u64,
    hi: u64,
    stored: &mut impl FnMut(Place) -> Result<Hash, E>,
    out: &mut Vec<Hash>,
) -> Result<(), E> {
    let n = hi - lo;
    if n <= 1 {
        return Ok(());
    }
    let k = split(n);
    if m < k {
        path(m, lo, lo + k, stored, out)?;
        out.push(subtree_hash(lo + k, hi, stored)?);
    } else {
        path(m - k, lo + k, hi, stored, out)?;
        out.push(subtree_hash(lo, lo + k, stored)?);
    }
    Ok(())
}

/// The consistency proof between the trees of `old` and `new` leaves
/// (RFC 9162 section 2.1.4.1, PROOF).
pub fn consistency_proof<E>(
    old: u64,
    new: u64,
    mut stored: impl FnMut(Place) -> Result<Hash, E>,
) -> Result<Vec<Hash>, ProofError<E>> {
    if old > new {
        return Err(ProofError::NotAPrefix { old, new });
    }
    let mut proof = Vec::new();
    if old == 0 || old == new {
        return Ok(proof);
    }
    subproof(old, 0, new, true, &mut stored, &mut proof).map_err(ProofError::Stored)?;
    Ok(proof)
}

fn subproof<E>(
    m: u64,
    lo: u64,
    hi: u64,
    whole: bool,
    stored: &mut impl FnMut(Place) -> Result<Hash, E>,
    out: &mut Vec<Hash>,
) -> Result<(), E> {
    let n = hi - lo;
    if m == n {
        if !whole {
            out.push(subtree_hash(lo, hi, stored)?);
        }
        return Ok(());
    }
    let k = split(n);
    if m <= k {
        subproof(m, lo, lo + k, whole, stored, out)?;
        out.push(subtree_hash(lo + k, hi, stored)?);
    } else {
        subproof(m - k, lo + k, hi, false, stored, out)?;
        out.push(subtree_hash(lo, lo + k, stored)?);
    }
    Ok(())
}

/// Checks an inclusion proof (RFC 9162 section 2.1.3.2).
pub fn verify_inclusion(index: u64, size: u64, leaf: &Hash, proof: &[Hash], root: &Hash) -> bool {
    if index >= size {
        return false;
    }
    let (mut f_n, mut s_n) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if s_n == 0 {
            return false;
        }
        if f_n & 1 == 1 || f_n == s_n {
            r = node_hash(p, &r);
            if f_n & 1 == 0 {
                while f_n & 1 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    s_n == 0 && r == *root
}

/// Checks a consistency proof between two roots (RFC 9162 section 2.1.4.2).
pub fn verify_consistency(old: u64, new: u64, old_root: &Hash, new_root: &Hash, proof: &[Hash]) -> bool {
    if old > new {
        return false;
    }
    if old == new {
        return proof.is_empty() && old_root == new_root;
    }
    if old == 0 {
        return proof.is_empty();
    }
    let mut path: Vec<Hash> = proof.to_vec();
    if old.is_power_of_two() {
        path.insert(0, *old_root);
    }
    let Some((first, rest)) = path.split_first() else { return false };
    let (mut f_n, mut s_n) = (old - 1, new - 1);
    while f_n & 1 == 1 {
        f_n >>= 1;
        s_n >>= 1;
    }
    let (mut fr, mut sr) = (*first, *first);
    for c in rest {
        if s_n == 0 {
            return false;
        }
        if f_n & 1 == 1 || f_n == s_n {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if f_n & 1 == 0 {
                while f_n & 1 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    fr == *old_root && sr == *new_root && s_n == 0
}

/// The origin line of a poll's log: `<host>/polls/<poll id>`.
pub fn origin(host: &str, poll: crate::PollId) -> String {
    format!("{host}/polls/{poll}")
}

/// The body of a C2SP `tlog-checkpoint`: origin, tree size, base64 root hash,
/// each on its own line.
pub fn checkpoint_body(origin: &str, size: u64, root: &Hash) -> String {
    format!("{origin}\n{size}\n{}\n", B64.encode(root))
}

/// A checkpoint body, read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
}

/// Reads a checkpoint body (the text before a signed note's blank line).
pub fn parse_checkpoint(body: &str) -> Option<Checkpoint> {
    let mut lines = body.split('\n');
    let origin = lines.next().filter(|l| !l.is_empty())?.to_string();
    let size = lines.next()?.parse().ok()?;
    let root: Hash = B64.decode(lines.next()?).ok()?.try_into().ok()?;
    Some(Checkpoint { origin, size, root })
}

/// A ballot as the log records it: the poll, the round, the choices (sorted),
/// the time in milliseconds and the commitment `SHA-256("parley-ballot-v1:" ||
/// secret)` to a secret only the voter is given. Text, one field a line, so
/// anyone can rebuild it from a receipt.
pub fn ballot_leaf(poll: crate::PollId, round: i64, choices: &[u32], at_ms: i64, commitment: &Hash) -> Vec<u8> {
    let choices: Vec<String> = choices.iter().map(u32::to_string).collect();
    format!("parley-ballot-v1\n{poll}\n{round}\n{}\n{at_ms}\n{}\n", choices.join(","), hex::encode(commitment))
        .into_bytes()
}

/// The commitment a leaf holds to the voter's secret.
pub fn commitment(secret: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update(b"parley-ballot-v1:");
    h.update(secret);
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::convert::Infallible;

    use super::*;

    /// The leaves of Certificate Transparency's reference tests
    /// (`merkle_tree_test.cc`, reused by RFC 9162 implementations and Go's tlog).
    const LEAVES: [&str; 8] =
        ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"];

    /// Their roots for 1..=8 leaves.
    const ROOTS: [&str; 8] = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    fn h(s: &str) -> Hash {
        hex::decode(s).ok().and_then(|v| v.try_into().ok()).unwrap_or([0; 32])
    }

    /// An in-memory store built only through `append`.
    #[derive(Default)]
    struct Log {
        hashes: HashMap<Place, Hash>,
        leaves: Vec<Hash>,
    }

    impl Log {
        fn push(&mut self, data: &[u8]) {
            let n = self.leaves.len() as u64;
            let leaf = leaf_hash(data);
            let hashes = &self.hashes;
            let new = append(n, leaf, |p| Ok::<_, Infallible>(hashes[&p])).unwrap_or_default();
            self.hashes.extend(new);
            self.leaves.push(leaf);
        }
        fn get(&self) -> impl FnMut(Place) -> Result<Hash, Infallible> + '_ {
            |p| Ok(self.hashes[&p])
        }
    }

    fn ct_log() -> Log {
        let mut log = Log::default();
        for l in LEAVES {
            log.push(&hex::decode(l).unwrap_or_default());
        }
        log
    }

    /// RFC 9162's MTH computed naively from the leaves.
    fn mth(leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => empty_root(),
            1 => leaves[0],
            n => {
                let k = split(n as u64) as usize;
                node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
            }
        }
    }

    #[test]
    fn hashing_is_rfc_9162s() {
        assert_eq!(hex::encode(empty_root()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_eq!(hex::encode(leaf_hash(b"")), ROOTS[0]);
        let log = ct_log();
        for (n, root) in ROOTS.iter().enumerate() {
            assert_eq!(hex::encode(tree_hash(n as u64 + 1, log.get()).unwrap_or_default()), *root, "{} leaves", n + 1);
        }
    }

    #[test]
    fn inclusion_proofs_match_the_reference_vectors() {
        let log = ct_log();
        let cases: &[(u64, u64, &[&str])] = &[
            (0, 1, &[]),
            (
                0,
                8,
                &[
                    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
                ],
            ),
            (
                5,
                8,
                &[
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                ],
            ),
            (2, 3, &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
            (
                1,
                5,
                &[
                    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                ],
            ),
        ];
        for (index, size, want) in cases {
            let proof = inclusion_proof(*index, *size, log.get()).unwrap_or_default();
            let got: Vec<String> = proof.iter().map(hex::encode).collect();
            assert_eq!(got, *want, "leaf {index} of {size}");
            let root = h(ROOTS[*size as usize - 1]);
            assert!(verify_inclusion(*index, *size, &log.leaves[*index as usize], &proof, &root));
        }
    }

    #[test]
    fn consistency_proofs_match_the_reference_vectors() {
        let log = ct_log();
        let cases: &[(u64, u64, &[&str])] = &[
            (1, 1, &[]),
            (
                1,
                8,
                &[
                    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
                ],
            ),
            (
                6,
                8,
                &[
                    "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                ],
            ),
            (
                2,
                5,
                &[
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                ],
            ),
        ];
        for (old, new, want) in cases {
            let proof = consistency_proof(*old, *new, log.get()).unwrap_or_default();
            let got: Vec<String> = proof.iter().map(hex::encode).collect();
            assert_eq!(got, *want, "{old} → {new}");
            let (a, b) = (h(ROOTS[*old as usize - 1]), h(ROOTS[*new as usize - 1]));
            assert!(verify_consistency(*old, *new, &a, &b, &proof));
        }
    }

    /// Every proof over every tree up to 40 leaves: stored-hash answers equal
    /// the naive ones, verify, and fail when anything is changed.
    #[test]
    fn every_proof_verifies_and_every_change_is_caught() {
        let mut log = Log::default();
        for i in 0..40u32 {
            log.push(&i.to_be_bytes());
        }
        for size in 1..=40u64 {
            let root = tree_hash(size, log.get()).unwrap_or_default();
            assert_eq!(root, mth(&log.leaves[..size as usize]));
            for index in 0..size {
                let proof = inclusion_proof(index, size, log.get()).unwrap_or_default();
                let leaf = log.leaves[index as usize];
                assert!(verify_inclusion(index, size, &leaf, &proof, &root), "{index} in {size}");
                assert!(!verify_inclusion(index, size, &leaf_hash(b"forged"), &proof, &root));
                if size > 1 {
                    assert!(!verify_inclusion((index + 1) % size, size, &leaf, &proof, &root));
                    let mut bent = proof.clone();
                    bent[0][0] ^= 1;
                    assert!(!verify_inclusion(index, size, &leaf, &bent, &root));
                }
            }
            for old in 1..=size {
                let old_root = tree_hash(old, log.get()).unwrap_or_default();
                let proof = consistency_proof(old, size, log.get()).unwrap_or_default();
                assert!(verify_consistency(old, size, &old_root, &root, &proof), "{old} → {size}");
                assert!(!verify_consistency(old, size, &leaf_hash(b"rewritten"), &root, &proof));
                if old < size {
                    assert!(!verify_consistency(old, size, &old_root, &old_root, &proof));
                    let mut bent = proof.clone();
                    bent[0][31] ^= 1;
                    assert!(!verify_consistency(old, size, &old_root, &root, &bent));
                }
            }
        }
        assert!(matches!(inclusion_proof(3, 3, log.get()), Err(ProofError::NoSuchLeaf { .. })));
        assert!(matches!(consistency_proof(4, 3, log.get()), Err(ProofError::NotAPrefix { .. })));
    }

    /// A proof at 100,000 leaves reads at most a few dozen stored hashes.
    #[test]
    fn proofs_read_few_hashes() {
        let mut log = Log::default();
        for i in 0..100_000u32 {
            log.push(&i.to_be_bytes());
        }
        let stored = log.hashes.len();
        assert!(stored < 200_001, "{stored} hashes stored for 100,000 leaves");
        let mut reads = 0;
        let proof = inclusion_proof(31_337, 99_999, |p| {
            reads += 1;
            Ok::<_, Infallible>(log.hashes[&p])
        })
        .unwrap_or_default();
        assert_eq!(proof.len(), 17);
        assert!(reads <= 17 * 17, "{reads} reads");
        let root = tree_hash(99_999, log.get()).unwrap_or_default();
        assert!(verify_inclusion(31_337, 99_999, &log.leaves[31_337], &proof, &root));
    }

    #[test]
    fn checkpoints_and_leaves_read_back() {
        let root = h(ROOTS[7]);
        let body = checkpoint_body("parley.example/polls/7", 8, &root);
        assert_eq!(body, "parley.example/polls/7\n8\nXcnaeacGWamtVZy3Ad7Zoqudgjqt L0lgz+Nw7/RgQyg=\n".replace(' ', ""));
        assert_eq!(
            parse_checkpoint(&body),
            Some(Checkpoint { origin: "parley.example/polls/7".into(), size: 8, root })
        );
        assert_eq!(parse_checkpoint("x\nnot a number\nAAAA\n"), None);
        let c = commitment(b"secret");
        let leaf = ballot_leaf(crate::PollId(7), 1, &[0, 2], 1_522_173_600_000, &c);
        assert_eq!(
            String::from_utf8(leaf).unwrap_or_default(),
            format!("parley-ballot-v1\n7\n1\n0,2\n1522173600000\n{}\n", hex::encode(c))
        );
        assert_ne!(commitment(b"secret"), commitment(b"secreT"));
    }
}
