//! Hostile and broken GGUF files — truncated anywhere, wrong magic or version, absurd counts
//! and string lengths, types out of range, offsets past the end, nesting bombs — each give
//! an error naming the problem, never a panic, and nothing is allocated from a count the
//! file cannot hold.

mod gguf_writer;

use gguf_writer::models::{llama, qwen3next};
use gguf_writer::{s, t, Q8_0, V};
use tokenfit::db::Db;
use tokenfit::import::load_model_file;

fn db() -> Db {
    Db::builtin().expect("databases load")
}

fn read(b: &[u8]) -> tokenfit::Result<tokenfit::import::gguf::GgufHeader> {
    static TYPES: std::sync::OnceLock<Vec<tokenfit::db::quant::TensorTypeRaw>> =
        std::sync::OnceLock::new();
    let types = TYPES.get_or_init(|| db().tensor_types);
    tokenfit::import::gguf::read_bytes(b, "hostile.gguf", types)
}

fn expect_err(b: &[u8], needle: &str) {
    match read(b) {
        Ok(_) => panic!("accepted a hostile file (wanted an error with '{needle}')"),
        Err(e) => {
            let m = e.to_string();
            assert!(m.contains(needle), "error '{m}' lacks '{needle}'");
        }
    }
}

/// `b` followed by 256 zero bytes, so that counts checked against the bytes left pass.
fn padded(mut b: Vec<u8>) -> Vec<u8> {
    b.resize(b.len() + 256, 0);
    b
}

fn preamble(version: u32, tensors: u64, kvs: u64) -> Vec<u8> {
    let mut b = b"GGUF".to_vec();
    b.extend(version.to_le_bytes());
    b.extend(tensors.to_le_bytes());
    b.extend(kvs.to_le_bytes());
    b
}

fn key(b: &mut Vec<u8>, k: &str, ty: u32) {
    b.extend((k.len() as u64).to_le_bytes());
    b.extend(k.as_bytes());
    b.extend(ty.to_le_bytes());
}

#[test]
fn every_truncation_is_an_error() {
    let (kv, ts) = llama();
    let full = gguf_writer::bytes(&kv, &ts);
    assert!(read(&full).is_ok());
    let (h, _) = gguf_writer::header(&kv, &ts);
    for k in (0..h.len()).chain([h.len() + 7, full.len() / 2, full.len() - 1]) {
        assert!(
            read(&full[..k]).is_err(),
            "truncated at {k} of {} accepted",
            full.len()
        );
    }
    expect_err(&full[..3], "truncated");
    expect_err(&full[..h.len()], "past the end of the file");
}

#[test]
fn wrong_magic_and_versions_are_errors() {
    expect_err(b"GGML\x03\0\0\0", "not a GGUF file");
    expect_err(b"", "truncated");
    expect_err(&preamble(1, 0, 0), "version 1");
    expect_err(&preamble(4, 0, 0), "unsupported GGUF version 4");
    expect_err(&preamble(3u32.swap_bytes(), 0, 0), "big-endian");
    assert!(read(&preamble(2, 0, 0)).is_ok(), "version 2 is read");
}

#[test]
fn absurd_counts_and_lengths_are_errors_without_allocating() {
    expect_err(&preamble(3, 1 << 60, 0), "tensor count 1152921504606846976");
    expect_err(&preamble(3, 0, u64::MAX), "metadata count");
    // A key whose length claims 2^62 bytes.
    let mut b = preamble(3, 0, 1);
    b.extend((1u64 << 62).to_le_bytes());
    b.extend(b"abc");
    expect_err(&padded(b), "string length 4611686018427387904 exceeds");
    // A string value of 2^62 bytes.
    let mut b = preamble(3, 0, 1);
    key(&mut b, "general.name", 8);
    b.extend((1u64 << 62).to_le_bytes());
    expect_err(&padded(b), "string length");
    // An array of 2^60 u32.
    let mut b = preamble(3, 0, 1);
    key(&mut b, "x.arr", 9);
    b.extend(4u32.to_le_bytes());
    b.extend((1u64 << 60).to_le_bytes());
    expect_err(&padded(b), "array of 1152921504606846976 u32");
    // An array of 2^40 strings.
    let mut b = preamble(3, 0, 1);
    key(&mut b, "x.arr", 9);
    b.extend(8u32.to_le_bytes());
    b.extend((1u64 << 40).to_le_bytes());
    expect_err(&padded(b), "array of");
}

#[test]
fn out_of_range_types_are_errors() {
    // Value type 999.
    let mut b = preamble(3, 0, 1);
    key(&mut b, "x.y", 999);
    b.extend([0u8; 16]);
    expect_err(&b, "value type 999");
    // Array element type 13.
    let mut b = preamble(3, 0, 1);
    key(&mut b, "x.y", 9);
    b.extend(13u32.to_le_bytes());
    b.extend(1u64.to_le_bytes());
    b.extend([0u8; 16]);
    expect_err(&b, "element type 13");
    // A bool byte of 2.
    let mut b = preamble(3, 0, 1);
    key(&mut b, "x.y", 7);
    b.push(2);
    expect_err(&b, "bool byte 2");
    // Tensor of ggml type 999.
    let (mut h, _) = gguf_writer::header(&[], &[t("w", &[32, 2], Q8_0)]);
    let at = h.len() - 12;
    h[at..at + 4].copy_from_slice(&999u32.to_le_bytes());
    h.resize(h.len() + 4096, 0);
    expect_err(&h, "ggml type 999");
    // Five dimensions.
    let (mut h, _) = gguf_writer::header(&[], &[t("w", &[32, 2], Q8_0)]);
    let at = 24 + 8 + 1;
    h[at..at + 4].copy_from_slice(&5u32.to_le_bytes());
    expect_err(&h, "5 dimensions");
    // Dimensions whose product overflows.
    let (mut h, _) = gguf_writer::header(&[], &[t("w", &[32, 2], Q8_0)]);
    let at = 24 + 8 + 1 + 4 + 8;
    h[at..at + 8].copy_from_slice(&(1u64 << 62).to_le_bytes());
    h.resize(h.len() + 4096, 0);
    expect_err(&h, "overflow");
    // A first dimension that is not a whole number of blocks.
    let mut b = gguf_writer::bytes(&[], &[t("w", &[32, 2], Q8_0)]);
    let at = 24 + 8 + 1 + 4;
    b[at..at + 8].copy_from_slice(&33u64.to_le_bytes());
    expect_err(&b, "not a multiple of the q8_0 block size 32");
}

#[test]
fn offsets_alignment_duplicates_and_nesting_are_checked() {
    // Offset past the end of the file.
    let mut b = gguf_writer::bytes(&[], &[t("w", &[32, 2], Q8_0)]);
    let at = 24 + 8 + 1 + 4 + 16 + 4;
    b[at..at + 8].copy_from_slice(&(1u64 << 40).to_le_bytes());
    expect_err(&b, "past the end of the file");
    // Offset near u64::MAX (the end overflows).
    b[at..at + 8].copy_from_slice(&(u64::MAX - 31).to_le_bytes());
    expect_err(&b, "past the end of the file");
    // A misaligned offset.
    b[at..at + 8].copy_from_slice(&1u64.to_le_bytes());
    expect_err(&b, "not a multiple of the alignment");
    // Two tensors on the same bytes.
    let two = [t("a", &[32], Q8_0), t("b", &[32], Q8_0)];
    let (h, _) = gguf_writer::header(&[], &two);
    let mut b = gguf_writer::bytes(&[], &two);
    b[h.len() - 8..h.len()].copy_from_slice(&0u64.to_le_bytes());
    expect_err(&b, "tensors 'a' and 'b' overlap");
    // Bad alignments.
    for a in [0u32, 3, 48] {
        let b = gguf_writer::bytes(&[("general.alignment", V::U32(a))], &[]);
        expect_err(&b, "general.alignment");
    }
    // Duplicate key and tensor.
    let b = gguf_writer::bytes(&[("a.b", V::U32(1)), ("a.b", V::U32(2))], &[]);
    expect_err(&b, "duplicate metadata key 'a.b'");
    let b = gguf_writer::bytes(&[], &[t("w", &[32], Q8_0), t("w", &[32], Q8_0)]);
    expect_err(&b, "duplicate tensor name 'w'");
    // Arrays nested 10 000 deep.
    let mut b = preamble(3, 0, 1);
    key(&mut b, "bomb", 9);
    for _ in 0..10_000 {
        b.extend(9u32.to_le_bytes());
        b.extend(1u64.to_le_bytes());
    }
    expect_err(&b, "nested deeper than 8");
    // Invalid UTF-8 in a key.
    let mut b = preamble(3, 0, 1);
    b.extend(2u64.to_le_bytes());
    b.extend([0xff, 0xfe]);
    b.extend(4u32.to_le_bytes());
    b.extend(1u32.to_le_bytes());
    expect_err(&b, "not valid UTF-8");
}

#[test]
fn hostile_files_on_disk_give_errors_through_every_entry_point() {
    let d = gguf_writer::dir("hostile");
    let db = db();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty.gguf", vec![]),
        ("magic.gguf", b"NOPE\x03\0\0\0\0\0\0\0".to_vec()),
        ("count.gguf", preamble(3, 1 << 60, 1 << 60)),
        (
            "vocab-only.gguf",
            gguf_writer::bytes(&[("general.name", s("x"))], &[]),
        ),
        (
            "no-layers.gguf",
            gguf_writer::bytes(
                &[
                    ("general.architecture", s("llama")),
                    ("llama.block_count", V::U32(0)),
                ],
                &[],
            ),
        ),
        (
            "huge-blocks.gguf",
            gguf_writer::bytes(
                &[
                    ("general.architecture", s("llama")),
                    ("llama.block_count", V::U64(1 << 40)),
                ],
                &[],
            ),
        ),
        ("bad-ssm.gguf", {
            let (mut kv, _) = qwen3next(false);
            kv.retain(|(k, _)| *k != "qwen3next.ssm.inner_size");
            kv.push(("qwen3next.ssm.inner_size", V::U32(255)));
            gguf_writer::bytes(&kv, &[])
        }),
    ];
    for (name, bytes) in cases {
        let p = d.join(name);
        std::fs::write(&p, &bytes).unwrap();
        let e = load_model_file(&db, &p);
        assert!(e.is_err(), "{name} accepted");
        let out = assert_cmd::Command::cargo_bin("tokenfit")
            .unwrap()
            .env_remove("TOKENFIT_DB")
            .args(["models", "import"])
            .arg(&p)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{name}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.starts_with("error: ") && !err.contains("panicked"),
            "{name}: {err}"
        );
    }
}

/// A seeded mini-fuzz in the ordinary test run (the real one is `fuzz/`): random byte
/// flips, splices and cuts of valid files go through the reader and the architecture
/// derivation without a panic.
#[test]
fn mutated_files_never_panic() {
    let (kv, ts) = llama();
    let (kv2, _) = qwen3next(false);
    let seeds = [gguf_writer::bytes(&kv, &ts), gguf_writer::bytes(&kv2, &[])];
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move |n: usize| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % n.max(1) as u64) as usize
    };
    let mut parsed = 0;
    for round in 0..3000 {
        let mut b = seeds[round % 2].clone();
        for _ in 0..1 + next(8) {
            // Mutations land in the header (the first 8 KiB), where the reader looks.
            let at = next(b.len().min(8192));
            match next(4) {
                0 => b[at] = next(256) as u8,
                1 => b[at] ^= 1 << next(8),
                2 => {
                    let v = [0u8, 1, 0x7f, 0xff][next(4)];
                    let end = (at + 8).min(b.len());
                    b[at..end].iter_mut().for_each(|c| *c = v);
                }
                _ => b.truncate(at.max(1)),
            }
            if b.len() <= 1 {
                break;
            }
        }
        if let Ok(hd) = read(&b) {
            parsed += 1;
            let g = tokenfit::import::gguf::GgufModel {
                files: Vec::new(),
                version: hd.version,
                metadata: hd.metadata,
                tensors: hd.tensors,
                file_bytes: hd.file_size,
            };
            if let Ok(m) = tokenfit::import::gguf::arch::spec(&g) {
                let _ = tokenfit::model::params::param_groups(&m).total();
            }
        }
    }
    assert!(parsed > 0, "some mutations keep the file readable");
}

/// Regression: the crash of the second fuzz run, a deepseek2 header whose MLA lengths
/// overflowed u32 arithmetic in the parameter count (tests/fixtures/README.md).
#[test]
fn fuzz_crash_mla_u32_overflow_is_an_error() {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/gguf/fuzz-mla-u32-overflow.gguf");
    let b = std::fs::read(&p).unwrap();
    let h = read(&b).expect("the header itself is well-formed");
    let g = tokenfit::import::gguf::GgufModel {
        files: Vec::new(),
        version: h.version,
        metadata: h.metadata,
        tensors: h.tensors,
        file_bytes: h.file_size,
    };
    let e = tokenfit::import::gguf::arch::spec(&g)
        .unwrap_err()
        .to_string();
    assert!(e.contains("no real model is this large"), "{e}");
    assert!(load_model_file(&db(), &p).is_err());
}
