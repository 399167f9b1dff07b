//! Canonical JSON is RFC 8785: the RFC's own examples (sections 3.2.2 and
//! 3.2.3, and the number serialisations of appendix B), and a byte-exact
//! Parley snapshot committed under `tests/vectors/` that any verifier, in
//! any language, can check itself against.

// Helpers outside `#[test]` functions are not covered by `allow-expect-in-tests`.
#![allow(clippy::expect_used)]

use parley_app::snapshots::{LogFacts, SnapshotFacts, canonical, payload, sign_document, verify_snapshot};
use serde_json::{Value, json};

fn canonical_string(v: &Value) -> String {
    String::from_utf8(canonical(v).expect("canonical")).expect("UTF-8")
}

/// RFC 8785 section 3.2.2: white space removed, numbers in ES6 form,
/// strings with the minimal escapes.
#[test]
fn rfc_8785_section_3_2_2() {
    let input = r#"{
      "numbers": [333333333.33333329, 1E30, 4.50,
                  2e-3, 0.000000000000000000000000001],
      "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
      "literals": [null, true, false]
    }"#;
    let value: Value = serde_json::from_str(input).expect("JSON");
    let expected = concat!(
        r#"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"#,
        "\"string\":\"\u{20ac}$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}"
    );
    assert_eq!(canonical_string(&value), expected);
    // The RFC gives the same output as bytes (hex).
    let hex = "7b226c69746572616c73223a5b6e756c6c2c747275652c66616c73655d2c226e756d62657273223a5b3333333333333333\
               332e333333333333332c31652b33302c342e352c302e3030322c31652d32375d2c22737472696e67223a22e282ac245c75\
               303030665c6e4127425c225c5c5c5c5c222f227d";
    assert_eq!(hex::encode(canonical(&value).expect("canonical")), hex);
}

/// RFC 8785 section 3.2.3: properties sorted by their UTF-16 code units,
/// not by UTF-8 bytes or code points (the emoji sorts before U+FB33).
#[test]
fn rfc_8785_section_3_2_3_sorting() {
    let input = r#"{
       "\u20ac": "Euro Sign",
       "\r": "Carriage Return",
       "\ufb33": "Hebrew Letter Dalet With Dagesh",
       "1": "One",
       "\ud83d\ude00": "Emoji: Grinning Face",
       "\u0080": "Control",
       "\u00f6": "Latin Small Letter O With Diaeresis"
    }"#;
    let value: Value = serde_json::from_str(input).expect("JSON");
    assert_eq!(
        canonical_string(&value),
        "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u{80}\":\"Control\",\"\u{f6}\":\"Latin Small Letter O With Diaeresis\",\
         \"\u{20ac}\":\"Euro Sign\",\"\u{1f600}\":\"Emoji: Grinning Face\",\"\u{fb33}\":\"Hebrew Letter Dalet With Dagesh\"}"
    );
}

/// RFC 8785 appendix B: IEEE 754 doubles (as hex) and their serialisation.
#[test]
fn rfc_8785_appendix_b_numbers() {
    let cases: &[(u64, &str)] = &[
        (0x0000000000000000, "0"),
        (0x8000000000000000, "0"),
        (0x0000000000000001, "5e-324"),
        (0x8000000000000001, "-5e-324"),
        (0x7fefffffffffffff, "1.7976931348623157e+308"),
        (0xffefffffffffffff, "-1.7976931348623157e+308"),
        (0x4340000000000000, "9007199254740992"),
        (0xc340000000000000, "-9007199254740992"),
        (0x4430000000000000, "295147905179352830000"),
        (0x44b52d02c7e14af5, "9.999999999999997e+22"),
        (0x44b52d02c7e14af6, "1e+23"),
        (0x44b52d02c7e14af7, "1.0000000000000001e+23"),
        (0x444b1ae4d6e2ef4e, "999999999999999700000"),
        (0x444b1ae4d6e2ef4f, "999999999999999900000"),
        (0x444b1ae4d6e2ef50, "1e+21"),
        (0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"),
        (0x3eb0c6f7a0b5ed8d, "0.000001"),
        (0x41b3de4355555553, "333333333.3333332"),
        (0x41b3de4355555554, "333333333.33333325"),
        (0x41b3de4355555555, "333333333.3333333"),
        (0x41b3de4355555556, "333333333.3333334"),
        (0x41b3de4355555557, "333333333.33333343"),
        (0xbecbf647612f3696, "-0.0000033333333333333333"),
    ];
    for (bits, expected) in cases {
        let value = json!(f64::from_bits(*bits));
        assert_eq!(canonical_string(&value), *expected, "{bits:016x}");
    }
}

/// Key order in the input never matters, whatever serde_json's map does.
#[test]
fn input_order_does_not_matter() {
    let a: Value = serde_json::from_str(r#"{"b":1,"a":{"d":[1,2],"c":"x"}}"#).expect("JSON");
    let b: Value = serde_json::from_str(r#"{"a":{"c":"x","d":[1,2]},"b":1}"#).expect("JSON");
    assert_eq!(canonical(&a).expect("canonical"), canonical(&b).expect("canonical"));
    assert_eq!(canonical_string(&a), r#"{"a":{"c":"x","d":[1,2]},"b":1}"#);
}

const VECTOR_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors");

/// The test vector's signing key: the Ed25519 seed of RFC 8032's test 1.
fn vector_key() -> ed25519_dalek::SigningKey {
    let seed = hex::decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60").expect("hex");
    ed25519_dalek::SigningKey::from_bytes(&seed.try_into().expect("32 bytes"))
}

fn vector_facts() -> SnapshotFacts {
    let t = |s: &str| chrono::DateTime::parse_from_rfc3339(s).expect("time").with_timezone(&chrono::Utc);
    SnapshotFacts {
        server: "https://parley.example".into(),
        poll_id: parley_core::PollId(7_197_055_872_000_001),
        status_id: parley_core::StatusId(7_197_055_872_000_000),
        status_url: "https://parley.example/@RusEmbUSA/7197055872000000".into(),
        author: "RusEmbUSA".into(),
        question: "Which US Consulate General would you close in Russia? \u{201c}Quotes\u{201d}, \u{e9}, \u{1f600}"
            .into(),
        multiple: false,
        round: 0,
        options: vec![("Vladivostok".into(), 2340), ("Yekaterinburg".into(), 4095), ("St. Petersburg".into(), 5265)],
        votes_count: 11_700,
        voters_count: 11_700,
        opened_at: t("2018-03-27T15:30:00.000Z"),
        expires_at: t("2018-03-28T15:30:00.000Z"),
        as_of: t("2018-03-27T18:00:00.000Z"),
        chain_head: "c67c3a8a4c0a1b6f7a3b2d1e9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c".into(),
        chain_length: 11_700,
        log: vector_log(),
    }
}

/// The log part of the vector: a checkpoint over the CT reference tree's
/// root, signed as a note under the vector's key.
fn vector_log() -> LogFacts {
    let root: [u8; 32] = hex::decode("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")
        .expect("hex")
        .try_into()
        .expect("32 bytes");
    let origin = "parley.example/polls/7197055872000001".to_string();
    let body = parley_core::tlog::checkpoint_body(&origin, 8, &root);
    let checkpoint = parley_app::transparency::sign_note(&body, "parley.example", &vector_key());
    LogFacts { origin, tree_size: 8, root, checkpoint }
}

/// The committed vector: the canonical bytes of a snapshot's payload and
/// the whole signed document. `PARLEY_BLESS=1` rewrites them (only when the
/// snapshot format changes on purpose, with a new `version`).
#[test]
fn the_snapshot_vector_is_byte_exact() {
    let payload = payload(&vector_facts());
    let bytes = canonical(&payload).expect("canonical");
    let document = sign_document(&vector_key(), "https://parley.example/.well-known/parley/snapshot-keys", payload)
        .expect("signed");
    let pretty = serde_json::to_string_pretty(&document).expect("JSON") + "\n";
    let canonical_path = format!("{VECTOR_DIR}/snapshot.canonical.json");
    let document_path = format!("{VECTOR_DIR}/snapshot.json");
    if std::env::var_os("PARLEY_BLESS").is_some() {
        std::fs::write(&canonical_path, &bytes).expect("write");
        std::fs::write(&document_path, &pretty).expect("write");
    }
    assert_eq!(std::fs::read(&canonical_path).expect("committed vector"), bytes, "canonical bytes");
    let committed: Value =
        serde_json::from_slice(&std::fs::read(&document_path).expect("committed vector")).expect("JSON");
    assert_eq!(committed, document, "signed document");
    // The committed file verifies as it is, and its payload's canonical form is the committed bytes.
    assert_eq!(verify_snapshot(&committed, None), Ok(()));
    assert_eq!(canonical(&committed["snapshot"]).expect("canonical"), bytes);
    let mut altered = committed.clone();
    altered["snapshot"]["options"][2]["votes_count"] = json!(5266);
    assert!(verify_snapshot(&altered, None).is_err());
}
