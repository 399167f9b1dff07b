//! Offline checks of what a Parley server published, for anyone holding the
//! files: `parley verify-receipt` and `parley verify-consistency` (the
//! snapshot's, `parley verify-snapshot`, is in `admin.rs`). No server is
//! asked: the proofs are files fetched beforehand (`docs/snapshots.md`).

use std::path::Path;

use anyhow::Context;
use parley_app::transparency::{Receipt, check_checkpoint, parse_hashes, verify_extends, verify_receipt};
use serde_json::Value;

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

fn json(path: &Path) -> anyhow::Result<Value> {
    serde_json::from_str(&read(path)?).with_context(|| format!("{} is not JSON", path.display()))
}

/// The proof hashes of a proof document (`…/log/inclusion` or `…/log/consistency`).
fn proof_of(doc: &Value, path: &Path) -> anyhow::Result<Vec<parley_core::tlog::Hash>> {
    let list = doc["proof"].as_array().with_context(|| format!("{} has no `proof` list", path.display()))?;
    Ok(parse_hashes(list.iter().filter_map(Value::as_str))?)
}

/// `parley verify-receipt RECEIPT --checkpoint NOTE --proof PROOF --key KEY`:
/// is the ballot of the receipt in the log the signed checkpoint describes?
pub fn receipt(receipt_path: &Path, checkpoint_path: &Path, proof_path: &Path, key: &str) -> anyhow::Result<bool> {
    let doc = json(receipt_path)?;
    // The vote's whole answer, or just its `parley_receipt`.
    let receipt_doc = doc.get("parley_receipt").cloned().unwrap_or(doc);
    let receipt: Receipt = serde_json::from_value(receipt_doc)
        .with_context(|| format!("{} is not a Parley receipt", receipt_path.display()))?;
    let checkpoint = match check_checkpoint(&read(checkpoint_path)?, key) {
        Ok(cp) => cp,
        Err(e) => {
            println!("INVALID checkpoint: {e}");
            return Ok(false);
        }
    };
    let proof_doc = json(proof_path)?;
    if proof_doc["tree_size"].as_u64() != Some(checkpoint.size)
        || proof_doc["leaf_index"].as_u64() != Some(receipt.leaf_index)
    {
        println!(
            "INVALID: the proof is for leaf {} in a tree of {}, not leaf {} in the checkpoint's {}",
            proof_doc["leaf_index"], proof_doc["tree_size"], receipt.leaf_index, checkpoint.size
        );
        return Ok(false);
    }
    let leaf = proof_doc["leaf"].as_str().unwrap_or_default();
    match verify_receipt(&receipt, &checkpoint, leaf.as_bytes(), &proof_of(&proof_doc, proof_path)?) {
        Ok(()) => {
            let fields: Vec<&str> = receipt.leaf.split('\n').collect();
            println!(
                "valid: ballot {} of {} (round {}, choices {}, at {} ms) is in the signed checkpoint of {} ballots",
                receipt.leaf_index,
                checkpoint.origin,
                fields.get(2).unwrap_or(&"?"),
                fields.get(3).unwrap_or(&"?"),
                fields.get(4).unwrap_or(&"?"),
                checkpoint.size
            );
            Ok(true)
        }
        Err(e) => {
            println!("INVALID: {e}");
            Ok(false)
        }
    }
}

/// `parley verify-consistency OLD NEW [--proof PROOF] --key KEY`: does the
/// newer checkpoint extend the older one (nothing before it rewritten)?
pub fn consistency(old_path: &Path, new_path: &Path, proof_path: Option<&Path>, key: &str) -> anyhow::Result<bool> {
    let (old, new) = match (check_checkpoint(&read(old_path)?, key), check_checkpoint(&read(new_path)?, key)) {
        (Ok(old), Ok(new)) => (old, new),
        (Err(e), _) | (_, Err(e)) => {
            println!("INVALID checkpoint: {e}");
            return Ok(false);
        }
    };
    let proof = match proof_path {
        Some(path) => {
            let doc = json(path)?;
            if doc["from"].as_u64() != Some(old.size) || doc["to"].as_u64() != Some(new.size) {
                println!(
                    "INVALID: the proof is from {} to {}, not {} to {}",
                    doc["from"], doc["to"], old.size, new.size
                );
                return Ok(false);
            }
            proof_of(&doc, path)?
        }
        None => Vec::new(),
    };
    match verify_extends(&old, &new, &proof) {
        Ok(()) => {
            println!(
                "valid: {} at {} ballots extends the same log at {} ballots; nothing before was changed",
                new.origin, new.size, old.size
            );
            Ok(true)
        }
        Err(e) => {
            println!("INVALID: {e}");
            Ok(false)
        }
    }
}
