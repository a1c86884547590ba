//! Detection over captured tool outputs (tests/fixtures/machines/, see its README), the
//! machine the tests run on, and the bandwidth probe.

use tokenfit::db::hardware::DeviceKind;
use tokenfit::db::Db;
use tokenfit::machine::capture::Captured;
use tokenfit::machine::detect::detect;
use tokenfit::machine::{BandwidthSource, Detection, Part};

const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;

fn fixture(name: &str) -> Detection {
    let db = Db::builtin().expect("built-in databases load");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/machines")
        .join(name);
    assert!(dir.is_dir(), "{} exists", dir.display());
    detect(&db, &Captured::from_dir(&dir), None)
}

fn part<'a>(d: &'a Detection, id: &str) -> &'a Part {
    d.parts
        .iter()
        .find(|p| p.id == id)
        .unwrap_or_else(|| panic!("no part {id} in {:?}", d.parts))
}

#[test]
fn rtx_4090_desktop() {
    let d = fixture("rtx-4090");
    assert_eq!(d.parts.len(), 2);
    let cpu = part(&d, "cpu0");
    assert_eq!(cpu.name, "AMD Ryzen 9 9950X 16-Core Processor");
    assert_eq!(cpu.matched.as_deref(), Some("cpu-desktop-ddr5-6000-2ch"));
    assert_eq!((cpu.cores, cpu.threads), (Some(16), Some(32)));
    // MemTotal 65000000 kB, MemAvailable 58200000 kB.
    assert_eq!(cpu.capacity_bytes, Some(65_000_000 * 1024));
    assert_eq!(cpu.free_bytes, Some(58_200_000 * 1024));
    assert!(cpu.cpu_features.contains(&"avx512f".to_string()));
    let gpu = part(&d, "gpu0");
    assert_eq!(gpu.kind, DeviceKind::DiscreteGpu);
    assert_eq!(gpu.matched.as_deref(), Some("rtx-4090"));
    assert_eq!(gpu.capacity_bytes, Some(24564 * MIB));
    assert_eq!(gpu.free_bytes, Some(24083 * MIB));
    assert_eq!(gpu.power_limit_w, Some(450.0));
    assert_eq!((gpu.pcie_gen, gpu.pcie_lanes), (Some(4), Some(16)));
    assert_eq!(gpu.bandwidth_gb_s, Some(1008.0));
    assert_eq!(gpu.bandwidth_source, Some(BandwidthSource::Database));
}

#[test]
fn two_rtx_3090_are_two_parts() {
    let d = fixture("two-rtx-3090");
    let gpus: Vec<&Part> = d.parts.iter().filter(|p| p.id.starts_with("gpu")).collect();
    assert_eq!(gpus.len(), 2);
    for g in gpus {
        assert_eq!(g.matched.as_deref(), Some("rtx-3090"));
        assert_eq!(g.pcie_lanes, Some(8));
    }
    // A Zen 3 desktop: AVX2, no AVX-512; no entry for it.
    let cpu = part(&d, "cpu0");
    assert!(cpu.cpu_features.contains(&"avx2".to_string()));
    assert!(!cpu.cpu_features.contains(&"avx512f".to_string()));
    assert_eq!(cpu.matched, None);
}

#[test]
fn h100_vm() {
    let d = fixture("h100-vm");
    let gpu = part(&d, "gpu0");
    assert_eq!(gpu.matched.as_deref(), Some("h100-sxm"));
    assert_eq!(gpu.capacity_bytes, Some(81559 * MIB));
    assert_eq!((gpu.pcie_gen, gpu.power_limit_w), (Some(5), Some(700.0)));
    let cpu = part(&d, "cpu0");
    assert_eq!(
        (cpu.cores, cpu.threads, cpu.sockets),
        (Some(26), Some(26), Some(1))
    );
    assert!(cpu.cpu_features.contains(&"amx_tile".to_string()));
    // Unmatched: 26 cores × 16 lanes × 2 × 2 × 2.0 GHz (the brand has no clock; cpu MHz 2000).
    assert!((cpu.fp16_tflops.unwrap() - 3.328).abs() < 1e-9);
}

#[test]
fn dgx_spark_is_unified() {
    let d = fixture("dgx-spark");
    let gpu = part(&d, "gpu0");
    assert_eq!(gpu.kind, DeviceKind::UnifiedSoc);
    assert_eq!(gpu.matched.as_deref(), Some("dgx-spark"));
    // No dedicated memory: the host's MemTotal.
    assert_eq!(gpu.capacity_bytes, Some(125_530_000 * 1024));
    assert_eq!(gpu.free_bytes, Some(117_800_000 * 1024));
    let cpu = part(&d, "cpu0");
    assert_eq!((cpu.cores, cpu.threads), (Some(20), Some(20)));
    assert!(cpu.name.starts_with("Arm CPU"));
    assert!(cpu.cpu_features.contains(&"sve".to_string()));
}

#[test]
fn rx_7900_xtx_from_rocm_smi() {
    let d = fixture("rx-7900-xtx");
    let gpu = part(&d, "gpu0");
    assert_eq!(gpu.matched.as_deref(), Some("rx-7900-xtx"));
    assert_eq!(gpu.capacity_bytes, Some(25_753_026_560));
    assert_eq!(gpu.free_bytes, Some(25_753_026_560 - 1_156_407_296));
    assert_eq!(gpu.read_from, "rocm-smi");
}

#[test]
fn strix_halo_counts_gtt() {
    let d = fixture("strix-halo-gtt");
    let gpus: Vec<&Part> = d.parts.iter().filter(|p| p.id.starts_with("gpu")).collect();
    assert_eq!(
        gpus.len(),
        1,
        "the connector directory card1-DP-1 is not a card"
    );
    let gpu = gpus[0];
    assert_eq!(gpu.kind, DeviceKind::UnifiedSoc);
    assert_eq!(gpu.matched.as_deref(), Some("strix-halo-128gb"));
    // 512 MiB carve-out + 120 GiB GTT.
    assert_eq!(gpu.vram_bytes, Some(512 * MIB));
    assert_eq!(gpu.gtt_bytes, Some(120 * GIB));
    assert_eq!(gpu.capacity_bytes, Some(512 * MIB + 120 * GIB));
    assert_eq!(
        gpu.free_bytes,
        Some(512 * MIB + 120 * GIB - 161_480_704 - 312_672_256)
    );
}

#[test]
fn apple_m4_max_and_m2_ultra() {
    let d = fixture("m4-max");
    assert_eq!(d.parts.len(), 1);
    let soc = part(&d, "soc0");
    assert_eq!(soc.matched.as_deref(), Some("apple-m4-max"));
    assert_eq!((soc.gpu_cores, soc.cores), (Some(40), Some(16)));
    assert_eq!(soc.capacity_bytes, Some(128 * GIB));
    assert_eq!(soc.usable_bytes, None, "wired limit 0 is the default");
    let d = fixture("m2-ultra");
    let soc = part(&d, "soc0");
    assert_eq!(soc.matched.as_deref(), Some("apple-m2-ultra"));
    assert_eq!(soc.gpu_cores, Some(76));
    assert_eq!(soc.usable_bytes, Some(180_000 * MIB));
}

#[test]
fn dual_socket_epyc() {
    let d = fixture("dual-epyc-9124");
    let cpu = part(&d, "cpu0");
    assert_eq!((cpu.sockets, cpu.numa_nodes), (Some(2), Some(2)));
    assert_eq!((cpu.cores, cpu.threads), (Some(32), Some(64)));
    assert_eq!(cpu.matched, None);
    // 32 cores × 16 lanes × 2 × 2 × 3.0 GHz = 6.144 TFLOP/s.
    assert!((cpu.fp16_tflops.unwrap() - 6.144).abs() < 1e-9);
}

#[test]
fn this_machine_capture() {
    let d = fixture("this-machine-epyc-2vcpu");
    let cpu = part(&d, "cpu0");
    assert_eq!(cpu.name, "AMD EPYC");
    assert_eq!((cpu.cores, cpu.threads), (Some(2), Some(2)));
    assert!(cpu.cpu_features.contains(&"avx512f".to_string()));
    assert_eq!(cpu.capacity_bytes, Some(24_683_784 * 1024));
}

#[test]
fn unexpected_tool_output_is_a_note() {
    let db = Db::builtin().unwrap();
    let mut c = Captured::from_dir(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/machines/rx-7900-xtx"
    )));
    c.nvidia_smi = Some(
        "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\n".into(),
    );
    c.rocm_smi = Some("ERROR: GPU[0]: not supported\n".into());
    let d = detect(&db, &c, None);
    // The CPU is still there; neither GPU tool's text gave a GPU, and each said why.
    assert_eq!(d.parts.len(), 1);
    assert!(
        d.notes.iter().any(|n| n.starts_with("nvidia-smi:")),
        "{:?}",
        d.notes
    );
    assert!(
        d.notes.iter().any(|n| n.starts_with("rocm-smi:")),
        "{:?}",
        d.notes
    );
}

#[cfg(target_os = "linux")]
#[test]
fn the_machine_the_tests_run_on() {
    let db = Db::builtin().unwrap();
    let d = detect(&db, &Captured::live(), None);
    let cpu = part(&d, "cpu0");
    assert!(cpu.threads.unwrap() >= 1 && cpu.cores.unwrap() >= 1);
    assert!(cpu.cores <= cpu.threads);
    assert!(cpu.capacity_bytes.unwrap() > 256 * MIB);
    assert!(cpu.free_bytes.unwrap() <= cpu.capacity_bytes.unwrap());
}

#[test]
fn probe_gives_a_plausible_bandwidth() {
    let r = tokenfit::machine::probe::probe_host(None);
    // Positive, and below anything a host's memory reaches (12-channel DDR5-6400 × 2
    // sockets is 1229 GB/s). A debug build streams slower than a release one; any real
    // DRAM still gives more than 0.1 GB/s.
    assert!(r.read_gb_s > 0.1 && r.read_gb_s < 2000.0, "{r:?}");
    assert!(r.triad_gb_s > 0.1 && r.triad_gb_s < 2000.0, "{r:?}");
    assert!(r.bytes >= 64 * MIB);
    assert!(r.threads >= 1 && r.passes >= 1);
}
