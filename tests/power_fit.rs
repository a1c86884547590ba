//! The power model's fit on the shipped power-cap sweep: the shipped parameters are the fit's,
//! and the fit explains the sweep.

use tokenfit::calib::power::{fit, read_sweep};
use tokenfit::db::Db;

const SWEEP: &str = include_str!("../calibration/power/power_cap_sweeps.csv");

#[test]
fn shipped_power_parameters_are_the_fit_of_the_sweep() {
    let db = Db::builtin().expect("databases load");
    let sweep =
        read_sweep(&db, "calibration/power/power_cap_sweeps.csv", SWEEP).expect("sweep maps");
    assert_eq!(sweep.device, "rtx-pro-6000-blackwell");
    assert_eq!(sweep.rows.len(), 16);
    let f = fit(&sweep);
    eprintln!("  - family: {}\n    device: {}", sweep.family, sweep.device);
    eprintln!(
        "    memory_activity_frac: {:.4}\n    compute_activity_frac: {:.4}\n    latency_activity_frac: {:.4}\n    knee_clock_frac: {:.4}",
        f.params.memory, f.params.compute, f.params.latency, f.params.knee_clock
    );
    eprintln!(
        "    rows: {}\n    mape_frac: {:.4}\n    max_err_frac: {:.4}\n    (tok/s itself: {:.4})",
        f.residuals.len(),
        f.mape_frac,
        f.max_err_frac,
        f.abs_mape_frac
    );
    for r in &f.residuals {
        eprintln!(
            "    {} {:>4} W measured {:>9.2} predicted {:>9.2} ratio {:.4} / {:.4}",
            r.test,
            r.limit_w,
            r.measured_tok_s,
            r.predicted_tok_s,
            r.measured_ratio,
            r.predicted_ratio
        );
    }
    let (shipped, fitted) = db.power_model.params_for(&sweep.family);
    assert!(
        fitted,
        "calibration/power.yaml holds the fit for {}",
        sweep.family
    );
    for (name, a, b) in [
        ("memory", shipped.memory_activity_frac, f.params.memory),
        ("compute", shipped.compute_activity_frac, f.params.compute),
        ("latency", shipped.latency_activity_frac, f.params.latency),
        ("knee", shipped.knee_clock_frac, f.params.knee_clock),
    ] {
        assert!((a - b).abs() < 2e-3, "{name}: shipped {a}, fit {b}");
    }
    // The model explains the sweep: the speed ratio within 3% on average, no row off by 10%.
    assert!(f.mape_frac < 0.03, "{}", f.mape_frac);
    assert!(f.max_err_frac < 0.10, "{}", f.max_err_frac);
}
