//! Tests of one level's fit: kernel-family ratios carried to families no row ran, the
//! superseded builds' share of matmul time and the fused per-expert read.

use super::*;
use crate::calib::features::UNIT;

#[test]
fn a_family_no_row_ran_keeps_its_ratio_to_the_ones_that_moved() {
    let row = |class, x_comp, x_comp_expert| Features {
        test: Test::Pp,
        y: 1.0,
        tokens: 512.0,
        x_mem: 0.0,
        x_attn: 0.0,
        x_comp,
        x_comp_expert,
        x_expert: 0.0,
        x_expert_read: 0.0,
        batches: 1.0,
        x_layers: 0.0,
        class,
        flash_attn: false,
        known: 0.0,
        superseded: false,
    };
    let prior = Efficiency {
        compute_frac: 0.5,
        kquant_compute_frac: 0.25,
        float_compute_frac: 0.4,
        expert_compute_frac: 0.2,
        ..UNIT
    };
    // Three rows of block quants, one of floats; no k-quant, no expert rows.
    let (b, f) = (
        row(KernelClass::Block, 1.0, 0.0),
        row(KernelClass::Float, 1.0, 0.0),
    );
    let rows = [&b, &b, &b, &f];
    // The block fraction doubled (0.5 → 1.0), the float one stayed (0.4).
    let got = carry_ratios(&rows, &prior, [1.0, 4.0, 2.5, 5.0]);
    assert_eq!((got[0], got[2]), (1.0, 0.4));
    // The others move by the rows' geometric mean: 2^(3/4).
    let shift = 2f64.powf(0.75);
    assert!((got[1] - 0.25 * shift).abs() < 1e-12, "{got:?}");
    assert!((got[3] - 0.2 * shift).abs() < 1e-12, "{got:?}");
    // No row ran anything: the solved values stand.
    assert_eq!(
        carry_ratios(&[], &prior, [2.0, 4.0, 2.5, 5.0]),
        [0.5, 0.25, 0.4, 0.2]
    );
}

#[test]
fn a_superseded_build_gets_its_own_share_only_within_one_device() {
    // Block-quant prompts at 50% of the peak on current builds, 1.8× as long on superseded
    // ones (six rows of each).
    let row = |x_comp: f64, superseded: bool| Features {
        test: Test::Pp,
        y: x_comp / 0.5 * if superseded { 1.8 } else { 1.0 },
        tokens: 512.0,
        x_mem: 0.0,
        x_attn: 0.0,
        x_comp,
        x_comp_expert: 0.0,
        x_expert: 0.0,
        x_expert_read: 0.0,
        batches: 1.0,
        x_layers: 0.0,
        class: KernelClass::Block,
        flash_attn: false,
        known: 0.0,
        superseded,
    };
    let rows: Vec<Features> = (1..=6)
        .flat_map(|i| [row(f64::from(i), false), row(f64::from(i) * 1.5, true)])
        .collect();
    let refs: Vec<&Features> = rows.iter().collect();
    let prior = Efficiency {
        compute_frac: 0.25,
        ..UNIT
    };
    // One device: the share is fitted, and current builds keep their own fraction. The
    // share's column is the row's matmul time at the last solve's fractions: the solve
    // repeats until both settle.
    let mut e = prior;
    fit_prefill(&refs, &prior, &mut e, true);
    assert!((e.compute_frac - 0.5).abs() < 1e-3, "{e:?}");
    assert!((e.superseded_compute - 0.8).abs() < 1e-3, "{e:?}");
    // Rows of several devices: the share stays 0 and the fraction takes both regimes.
    let mut e = prior;
    fit_prefill(&refs, &prior, &mut e, false);
    assert_eq!(e.superseded_compute, 0.0);
    assert!(e.compute_frac < 0.45, "{e:?}");
    // A superseded row's prediction takes 1 + the share of its matmul time.
    let one_device = Efficiency {
        compute_frac: 0.5,
        superseded_compute: 0.8,
        ..UNIT
    };
    assert!((row(2.0, true).predict(&one_device) - 7.2).abs() < 1e-9);
    assert!((row(2.0, false).predict(&one_device) - 4.0).abs() < 1e-9);
}

#[test]
fn the_fused_per_expert_read_is_fitted_where_rows_run_that_regime_and_inherited_elsewhere() {
    // Block-quant prompts at 50% of the peak; the MoE ones also read their touched experts
    // once more at peak bandwidth (ρ_e = 1.2).
    let row = |x_comp: f64, x_expert_read: f64| Features {
        test: Test::Pp,
        y: x_comp / 0.5 + 1.2 * x_expert_read,
        tokens: 16.0,
        x_mem: 0.0,
        x_attn: 0.0,
        x_comp,
        x_comp_expert: 0.0,
        x_expert: 0.0,
        x_expert_read,
        batches: 1.0,
        x_layers: 0.0,
        class: KernelClass::Block,
        flash_attn: false,
        known: 0.0,
        superseded: false,
    };
    let rows: Vec<Features> = (1..=6)
        .flat_map(|i| {
            let x = f64::from(i);
            [row(x, 0.0), row(x, 0.5 * x)]
        })
        .collect();
    let refs: Vec<&Features> = rows.iter().collect();
    let prior = Efficiency {
        compute_frac: 0.25,
        prefill_expert_read: 0.3,
        ..UNIT
    };
    // The prior counts as one observation, so the fit lands within a percent.
    let mut e = prior;
    fit_prefill(&refs, &prior, &mut e, false);
    assert!((e.compute_frac - 0.5).abs() < 5e-3, "{e:?}");
    assert!((e.prefill_expert_read - 1.2).abs() < 1e-2, "{e:?}");
    assert!((rows[1].predict(&e) - rows[1].y).abs() < 1e-2 * rows[1].y);
    // No row in the regime: the level keeps its parent's value exactly.
    let dense: Vec<&Features> = refs
        .iter()
        .copied()
        .filter(|f| f.x_expert_read == 0.0)
        .collect();
    let mut e = prior;
    fit_prefill(&dense, &prior, &mut e, false);
    assert_eq!(e.prefill_expert_read, 0.3);
}
