use super::*;

#[test]
fn sum_exp_matches_libm_and_ignores_far_tails() {
    let xs: Vec<f32> = (0..5000).map(|i| ((i * 7919) % 1000) as f32 / 37.0 - 20.0).collect();
    let max = xs.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exact: f64 = xs.iter().map(|&x| ((x - max) as f64).exp()).sum();
    let fast = sum_exp(&xs, max);
    assert!(((fast - exact) / exact).abs() < 1e-6, "{fast} vs {exact}");
    for x in [0.0f32, -0.5, -1.0, -10.0, -80.0] {
        let rel = ((fast_exp(x) as f64 - (x as f64).exp()) / (x as f64).exp()).abs();
        assert!(rel < 1e-6, "exp({x}): {rel}");
    }
    assert!(fast_exp(-1000.0) < 1e-37);
}

#[test]
fn four_row_scoring_equals_one_row_at_a_time() {
    let s = stride(64);
    let rows = 4 * 5 + 3; // a remainder too
    let y: Vec<f32> =
        (0..rows * s).map(|i| if i % s < 64 { ((i * 31) % 17) as f32 / 9.0 - 1.0 } else { 0.0 }).collect();
    let v: Vec<f32> = (0..s).map(|i| if i < 64 { ((i * 13) % 11) as f32 / 5.0 - 1.0 } else { 0.0 }).collect();
    let mut out = vec![0f32; rows];
    scores(&y, &v, s, 2.0, &mut out);
    for (r, &o) in out.iter().enumerate() {
        let expect: f32 = 2.0 * y[r * s..(r + 1) * s].iter().zip(&v).map(|(a, b)| a * b).sum::<f32>();
        assert!((o - expect).abs() < 1e-3, "row {r}: {o} vs {expect}");
    }
}

#[test]
fn cholesky_solves() {
    let mut a = vec![4.0, 2.0, 2.0, 3.0];
    let mut b = vec![2.0, 1.0];
    assert!(cholesky_solve(&mut a, &mut b, 2));
    assert!((b[0] - 0.5).abs() < 1e-12 && b[1].abs() < 1e-12);
    let mut a = vec![1.0, 2.0, 2.0, 1.0];
    assert!(!cholesky_solve(&mut a, &mut [1.0, 1.0], 2));
}

#[test]
fn cg_converges_to_fold_in() {
    // With many CG steps the CG row solve equals the closed-form fold-in.
    let (k, s) = (8, stride(8));
    let items = 30;
    let y = init_factors(items, s, k, 3).iter().map(|v| v * 50.0).collect::<Vec<_>>();
    let csr = Csr { indptr: vec![0, 4], indices: vec![1, 5, 7, 20], conf: vec![2.0, 1.0, 5.0, 3.0] };
    let mut x = vec![0f32; s];
    update_side(&mut x, &y, &csr, s, k, 0.1, 40);
    let g = gram(&y, s, k, 0.1);
    let hist: Vec<(u32, f32)> = csr.indices.iter().copied().zip(csr.conf.iter().copied()).collect();
    let f = fold_in(&y, &g, s, k, &hist);
    for (a, b) in x.iter().zip(&f) {
        assert!((a - b).abs() < 1e-3 * (1.0 + b.abs()), "{x:?} vs {f:?}");
    }
    assert!(x[k..].iter().all(|&v| v == 0.0));
}

/// Weak negatives (negative confidences) solve the least squares with preference 0 for them:
/// the closed form with right-hand side 0 for those entries.
#[test]
fn negative_confidences_are_entries_of_preference_zero() {
    let (k, s) = (8, stride(8));
    let y = init_factors(30, s, k, 3).iter().map(|v| v * 50.0).collect::<Vec<_>>();
    let csr = Csr { indptr: vec![0, 4], indices: vec![1, 5, 7, 20], conf: vec![2.0, -3.0, 5.0, -2.0] };
    let mut x = vec![0f32; s];
    update_side(&mut x, &y, &csr, s, k, 0.1, 40);
    let g = gram(&y, s, k, 0.1);
    let f = fold_in_rhs(&y, &g, s, k, &[(1, 2.0, 2.0), (5, 3.0, 0.0), (7, 5.0, 5.0), (20, 2.0, 0.0)]);
    for (a, b) in x.iter().zip(&f) {
        assert!((a - b).abs() < 1e-3 * (1.0 + b.abs()), "{x:?} vs {f:?}");
    }
    // The negatives pull the vector away from their items.
    let mut without = vec![0f32; s];
    let positives = Csr { indptr: vec![0, 2], indices: vec![1, 7], conf: vec![2.0, 5.0] };
    update_side(&mut without, &y, &positives, s, k, 0.1, 40);
    let score = |v: &[f32], i: usize| dot(v, &y[i * s..(i + 1) * s]);
    assert!(score(&x, 5) < score(&without, 5), "{} vs {}", score(&x, 5), score(&without, 5));
}

/// The blocked f32 gram equals a plain f64 `YᵀY + reg·I` (rows in fours and a remainder,
/// zero rows, padding columns left out of the product).
#[test]
fn gram_matches_the_plain_product() {
    let (k, s) = (13, stride(13));
    let rows = 4096 + 4 * 7 + 3;
    let mut y = init_factors(rows, s, k, 11);
    y[5 * s..6 * s].fill(0.0);
    let g = gram(&y, s, k, 0.5);
    for a in 0..s {
        for b in 0..s {
            let mut want: f64 = if a < k && b < k {
                (0..rows).map(|r| f64::from(y[r * s + a]) * f64::from(y[r * s + b])).sum()
            } else {
                0.0
            };
            if a == b {
                want += 0.5;
            }
            let got = f64::from(g[a * s + b]);
            assert!((got - want).abs() <= 1e-4 * (1.0 + want.abs()), "g[{a}][{b}] = {got}, want {want}");
        }
    }
}

#[test]
fn transpose_round_trip() {
    let csr = Csr { indptr: vec![0, 2, 3], indices: vec![0, 2, 1], conf: vec![1.0, 2.0, 3.0] };
    let t = csr.transpose(3, |_| true);
    assert_eq!(t.indptr, [0, 1, 2, 3]);
    assert_eq!(t.indices, [0, 1, 0]);
    assert_eq!(t.conf, [1.0, 3.0, 2.0]);
    let t2 = csr.transpose(3, |r| r == 1);
    assert_eq!(t2.indptr, [0, 0, 1, 1]);
}

#[test]
fn ridge_recovers_linear_map() {
    let s = LANES;
    // Two features; rows with feature 0 have target e0, with feature 1 target e1.
    let rows: Vec<&[u32]> = vec![&[0], &[0], &[1], &[1]];
    let mut t = vec![0f32; 4 * s];
    t[0] = 1.0;
    t[s] = 1.0;
    t[2 * s + 1] = 1.0;
    t[3 * s + 1] = 1.0;
    let w = ridge(&rows, &t, s, 2, 0.01, 20);
    let mut out = vec![0f32; s];
    ridge_predict(&w, s, &[0], &mut out);
    assert!((out[0] - 1.0).abs() < 0.01 && out[1].abs() < 0.01, "{out:?}");
}
