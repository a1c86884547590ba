//! How trace rows reach the fit: a free-text backend label's build variant and flags, rows
//! a label says no user can run, and rows left out of the fit for a stated cause.

use std::path::PathBuf;
use tokenfit::calib::map::{backend_id, map_rows};
use tokenfit::calib::run::load;
use tokenfit::calib::trace::read::read_trace_file;
use tokenfit::calib::trace::Test;
use tokenfit::calib::validate::{validate, Holdout};
use tokenfit::db::Db;

#[test]
fn a_label_naming_a_build_variant_maps_to_it() {
    // Free-text labels of the shared tables that name a build choice the database keeps.
    let cases = [
        ("ROCm/HIP + rocWMMA FA (-ub 2048)", "llama.cpp-rocm-rocwmma"),
        ("HIP + rocWMMA + FA", "llama.cpp-rocm-rocwmma"),
        ("HIP + FA (no hipBLASLt)", "llama.cpp-rocm-rocblas"),
        ("HIP + FA + hipBLASLt", "llama.cpp-rocm"),
        ("Vulkan (AMDVLK, -ub 512)", "llama.cpp-vulkan-amdvlk"),
        (
            "Container (kyuz0) / Vulkan AMDVLK",
            "llama.cpp-vulkan-amdvlk",
        ),
        ("Host native / Vulkan RADV (Mesa)", "llama.cpp-vulkan"),
        // What a label denies does not map.
        ("HIP, ROCBLAS_USE_HIPBLASLT=1", "llama.cpp-rocm"),
        ("HIP, ROCBLAS_USE_HIPBLASLT=0", "llama.cpp-rocm-rocblas"),
        ("ROCm, no rocWMMA", "llama.cpp-rocm"),
        ("ROCm, GGML_HIP_ROCWMMA_FATTN=OFF", "llama.cpp-rocm"),
        ("Vulkan RADV (not AMDVLK)", "llama.cpp-vulkan"),
    ];
    for (label, id) in cases {
        assert_eq!(backend_id(label), Some(id), "{label}");
    }
}

#[test]
fn a_development_branch_is_not_mapped_and_says_why() {
    let db = Db::builtin().unwrap();
    let text = "device,backend,model,quant,test,n_prompt,n_gen,n_depth,tok_s\n\
                strix-halo-128gb,ROCm/HIP + tuned rocWMMA branch,gpt-oss-120b,MXFP4,pp,2048,0,0,977\n\
                strix-halo-128gb,\"Vulkan (AMDVLK, -ub 512)\",gpt-oss-120b,MXFP4,pp,2048,0,0,729\n";
    let dir = std::env::temp_dir().join(format!("tokenfit-branch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("t.csv");
    std::fs::write(&p, text).unwrap();
    let tf = read_trace_file(&p).unwrap();
    let (ok, bad) = map_rows(&db, &tf.rows);
    assert_eq!(bad.len(), 1);
    assert!(
        bad[0].reason.contains("development branch"),
        "{}",
        bad[0].reason
    );
    // The label's own `-ub 512` is the row's micro-batch.
    assert_eq!(ok.len(), 1);
    assert_eq!(ok[0].backend.id, "llama.cpp-vulkan-amdvlk");
    assert_eq!(ok[0].row.n_ubatch, Some(512));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn rows_left_out_for_a_cause_are_validated_but_not_fitted() {
    let db = Db::builtin().unwrap();
    let p = PathBuf::from("calibration/traces/xiongjiedai_llama3_gpu_mac.csv");
    let loaded = load(&db, &[p.as_path()]).unwrap();
    let (out, kept): (Vec<_>, Vec<_>) = loaded
        .samples
        .iter()
        .filter(|s| s.single_stream())
        .partition(|s| s.left_out.is_some());
    // The A100 SXM's four F16 prompt rows, and nothing else of the file.
    assert_eq!(out.len(), 4);
    for s in &out {
        let m = &s.mapped;
        assert_eq!(
            (m.device.id(), m.model.id.as_str(), m.quant.id.as_str()),
            ("a100-80gb", "llama-3-8b", "f16")
        );
        assert!(!s.fitted());
        assert!(s.left_out.as_deref().unwrap().contains("A100 PCIe"));
    }
    assert!(kept
        .iter()
        .any(|s| s.mapped.device.id() == "a100-80gb" && s.fitted()));
    // Validation still predicts and counts them.
    let rows = validate(&db, &loaded.samples, Holdout::None).unwrap();
    let counted = rows
        .iter()
        .filter(|r| r.device == "a100-80gb" && r.model == "llama-3-8b" && r.quant == "f16")
        .filter(|r| r.test == Test::Pp)
        .count();
    assert_eq!(counted, 4);
}

#[test]
fn decode_rows_a_slow_host_bounds_are_left_out_and_their_prompts_kept() {
    let db = Db::builtin().unwrap();
    let p = PathBuf::from("calibration/traces/llamacpp_issues_amd_prefill.csv");
    let loaded = load(&db, &[p.as_path()]).unwrap();
    let of = |device: &str| -> Vec<&tokenfit::calib::fit::Sample> {
        loaded
            .samples
            .iter()
            .filter(|s| s.single_stream() && s.mapped.device.id() == device)
            .filter(|s| s.mapped.model.id == "llama-3.2-3b")
            .collect()
    };
    // The RX 9070 XT on a Raspberry Pi 5 and the RX 580 on a RISC-V board: their decode rows
    // (one each) are left out with the host named, their prompt rows stay fitted.
    for (device, host) in [("rx-9070-xt", "Raspberry Pi 5"), ("rx-580", "RISC-V")] {
        let rows = of(device);
        let (out, kept): (Vec<_>, Vec<_>) = rows.into_iter().partition(|s| s.left_out.is_some());
        assert_eq!(out.len(), 1, "{device}");
        assert_eq!(out[0].mapped.row.test, Test::Tg);
        assert!(out[0].left_out.as_deref().unwrap().contains(host));
        assert!(!kept.is_empty());
        assert!(kept
            .iter()
            .all(|s| s.mapped.row.test == Test::Pp && s.fitted()));
    }
}

#[test]
fn a_label_s_own_flags_are_read_in_llama_bench_s_forms() {
    use tokenfit::calib::trace::normalized::NoteHints;
    let h = NoteHints::parse_flags("Vulkan (AMDVLK, -ub 512, -fa on, -ngl -1)");
    assert_eq!(
        (h.n_ubatch, h.flash_attn, h.n_gpu_layers),
        (Some(512), Some(true), Some(-1))
    );
    assert_eq!(NoteHints::parse_flags("ROCm -ub=2048").n_ubatch, Some(2048));
    // `-fast` is not `-fa`; the later `-fa 0` is.
    assert_eq!(
        NoteHints::parse_flags("-fast build, -fa 0").flash_attn,
        Some(false)
    );
    assert_eq!(NoteHints::parse_flags("-ub sweep").n_ubatch, None);
}
