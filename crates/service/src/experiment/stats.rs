//! The statistics of an experiment, as pure functions: distributions (normal, Student's t,
//! chi-square), the two-proportion z-test, Welch's t-test, the sample-ratio-mismatch test, the
//! sample-size calculator and the mixture sequential probability ratio test (mSPRT).
//!
//! The special functions follow Numerical Recipes (3rd ed., 6.1, 6.2, 6.4): the incomplete gamma
//! and beta functions by series and continued fractions, `ln Γ` by Lanczos' approximation; the
//! normal quantile is Acklam's with one Halley step. Reference values in the tests come from
//! mpmath 1.3.0 at 30 digits (`ncdf`, `betainc`, `gammainc`, `findroot`).

/// A 95% (or `1 - alpha`) confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
}

/// `ln Γ(x)` for `x > 0` (Lanczos, g = 7, nine coefficients; ~1e-15 relative).
fn ln_gamma(x: f64) -> f64 {
    const G: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Γ(x) Γ(1 - x) = π / sin(πx).
        return (std::f64::consts::PI / (std::f64::consts::PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let t = x + 7.5;
    let sum = G[1..].iter().enumerate().fold(G[0], |s, (i, g)| s + g / (x + i as f64 + 1.0));
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

const EPS: f64 = 1e-15;
const TINY: f64 = 1e-300;

/// The regularized upper incomplete gamma function `Q(a, x)`.
fn gamma_q(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    let front = (-x + a * x.ln() - ln_gamma(a)).exp();
    if x < a + 1.0 {
        // Series for P(a, x).
        let (mut ap, mut del, mut sum) = (a, 1.0 / a, 1.0 / a);
        for _ in 0..10_000 {
            ap += 1.0;
            del *= x / ap;
            sum += del;
            if del.abs() < sum.abs() * EPS {
                break;
            }
        }
        1.0 - sum * front
    } else {
        // Lentz's continued fraction for Q(a, x).
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / TINY;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..10_000 {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < TINY {
                d = TINY;
            }
            c = b + an / c;
            if c.abs() < TINY {
                c = TINY;
            }
            d = 1.0 / d;
            let del = d * c;
            h *= del;
            if (del - 1.0).abs() < EPS {
                break;
            }
        }
        front * h
    }
}

/// The regularized incomplete beta function `I_x(a, b)`.
fn beta_i(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let front = (ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln()).exp();
    // The continued fraction converges fast for x < (a + 1) / (a + b + 2); else by symmetry.
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_cf(a, b, x) / a
    } else {
        1.0 - front * beta_cf(b, a, 1.0 - x) / b
    }
}

fn beta_cf(a: f64, b: f64, x: f64) -> f64 {
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..10_000 {
        let m = m as f64;
        let m2 = 2.0 * m;
        for aa in [m * (b - m) * x / ((qam + m2) * (a + m2)), -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))] {
            d = 1.0 + aa * d;
            if d.abs() < TINY {
                d = TINY;
            }
            c = 1.0 + aa / c;
            if c.abs() < TINY {
                c = TINY;
            }
            d = 1.0 / d;
            h *= d * c;
        }
        if (d * c - 1.0).abs() < EPS {
            break;
        }
    }
    h
}

/// The standard normal distribution function Φ(x).
pub fn normal_cdf(x: f64) -> f64 {
    // erfc(z) = Q(1/2, z²) for z ≥ 0.
    let z = x / std::f64::consts::SQRT_2;
    let erfc_abs = gamma_q(0.5, z * z);
    if x < 0.0 {
        0.5 * erfc_abs
    } else {
        1.0 - 0.5 * erfc_abs
    }
}

/// Φ⁻¹(p) for `0 < p < 1` (Acklam's rational approximation refined by one Halley step).
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] =
        [7.784_695_709_041_462e-3, 3.224_671_290_700_398e-1, 2.445_134_137_142_996, 3.754_408_661_907_416];
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    let x = if p < 0.02425 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.02425 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    };
    let e = normal_cdf(x) - p;
    let u = e * (2.0 * std::f64::consts::PI).sqrt() * (x * x / 2.0).exp();
    x - u / (1.0 + x * u / 2.0)
}

/// Two-sided p-value of Student's t with `df` degrees of freedom: `P(|T| ≥ |t|)`.
pub fn t_two_sided_p(t: f64, df: f64) -> f64 {
    beta_i(df / 2.0, 0.5, df / (df + t * t))
}

/// The `1 - alpha / 2` quantile of Student's t (the half-width factor of a two-sided interval).
pub fn t_critical(alpha: f64, df: f64) -> f64 {
    // The two-sided p-value falls as t grows: bisect.
    let (mut lo, mut hi) = (0.0, 1.0);
    while t_two_sided_p(hi, df) > alpha {
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = (lo + hi) / 2.0;
        if t_two_sided_p(mid, df) > alpha {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (lo + hi) / 2.0
}

/// `P(X ≥ x)` for a chi-square with `df` degrees of freedom.
pub fn chi_square_sf(x: f64, df: f64) -> f64 {
    gamma_q(df / 2.0, x / 2.0)
}

/// A two-proportion z-test of arm B against control A.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProportionTest {
    /// `p_B - p_A`.
    pub difference: f64,
    pub difference_interval: Interval,
    /// `p_B / p_A - 1` (absent when the control has no conversions).
    pub relative_lift: Option<f64>,
    /// By the delta method on the ratio.
    pub relative_lift_interval: Option<Interval>,
    /// With the pooled standard error (the null hypothesis: equal rates).
    pub z: f64,
    pub p_value: f64,
}

/// Converters `x` of `n` users per arm; the interval is `1 - alpha` with the unpooled error.
pub fn two_proportion_z_test(x_a: u64, n_a: u64, x_b: u64, n_b: u64, alpha: f64) -> Option<ProportionTest> {
    if n_a == 0 || n_b == 0 {
        return None;
    }
    let (na, nb) = (n_a as f64, n_b as f64);
    let (pa, pb) = (x_a as f64 / na, x_b as f64 / nb);
    let pooled = (x_a + x_b) as f64 / (na + nb);
    let se_pooled = (pooled * (1.0 - pooled) * (1.0 / na + 1.0 / nb)).sqrt();
    let difference = pb - pa;
    let (z, p_value) = if se_pooled > 0.0 {
        let z = difference / se_pooled;
        (z, 2.0 * normal_cdf(-z.abs()))
    } else {
        (0.0, 1.0)
    };
    let (va, vb) = (pa * (1.0 - pa) / na, pb * (1.0 - pb) / nb);
    let crit = normal_quantile(1.0 - alpha / 2.0);
    let half = crit * (va + vb).sqrt();
    let lift = (pa > 0.0).then(|| pb / pa - 1.0);
    let lift_interval = (pa > 0.0 && pb > 0.0).then(|| {
        let ratio = pb / pa;
        let half = crit * ratio * (va / (pa * pa) + vb / (pb * pb)).sqrt();
        Interval { low: ratio - half - 1.0, high: ratio + half - 1.0 }
    });
    Some(ProportionTest {
        difference,
        difference_interval: Interval { low: difference - half, high: difference + half },
        relative_lift: lift,
        relative_lift_interval: lift_interval,
        z,
        p_value,
    })
}

/// A sample's size, mean and (unbiased) variance.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Sample {
    pub n: u64,
    pub mean: f64,
    pub variance: f64,
}

impl Sample {
    /// From the values' count, sum and sum of squares.
    pub fn from_sums(n: u64, sum: f64, sum_squares: f64) -> Sample {
        if n == 0 {
            return Sample::default();
        }
        let nf = n as f64;
        let mean = sum / nf;
        let variance = if n > 1 { ((sum_squares - nf * mean * mean) / (nf - 1.0)).max(0.0) } else { 0.0 };
        Sample { n, mean, variance }
    }
}

/// Welch's t-test of B's mean against control A's.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MeanTest {
    pub difference: f64,
    pub difference_interval: Interval,
    pub relative_lift: Option<f64>,
    pub relative_lift_interval: Option<Interval>,
    pub t: f64,
    pub degrees_of_freedom: f64,
    pub p_value: f64,
}

pub fn welch_t_test(a: Sample, b: Sample, alpha: f64) -> Option<MeanTest> {
    if a.n < 2 || b.n < 2 {
        return None;
    }
    let (va, vb) = (a.variance / a.n as f64, b.variance / b.n as f64);
    let se2 = va + vb;
    let difference = b.mean - a.mean;
    if se2 <= 0.0 {
        return None;
    }
    let df = se2 * se2 / (va * va / (a.n - 1) as f64 + vb * vb / (b.n - 1) as f64);
    let t = difference / se2.sqrt();
    let half = t_critical(alpha, df) * se2.sqrt();
    let lift = (a.mean != 0.0).then(|| b.mean / a.mean - 1.0);
    let lift_interval = (a.mean != 0.0 && b.mean != 0.0).then(|| {
        let ratio = b.mean / a.mean;
        let half = t_critical(alpha, df) * ratio.abs() * (va / (a.mean * a.mean) + vb / (b.mean * b.mean)).sqrt();
        Interval { low: ratio - half - 1.0, high: ratio + half - 1.0 }
    });
    Some(MeanTest {
        difference,
        difference_interval: Interval { low: difference - half, high: difference + half },
        relative_lift: lift,
        relative_lift_interval: lift_interval,
        t,
        degrees_of_freedom: df,
        p_value: t_two_sided_p(t, df),
    })
}

/// The p-value below which the arms' sizes are taken to contradict their weights (a common
/// threshold: a mismatch this unlikely points at assignment or logging, not chance).
pub const SRM_P_VALUE: f64 = 0.001;

/// The sample-ratio-mismatch check: a chi-square goodness-of-fit test of the users per arm
/// against the arms' weights.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SampleRatio {
    pub chi_square: f64,
    pub p_value: f64,
    /// `p_value < SRM_P_VALUE`.
    pub mismatch: bool,
}

pub fn sample_ratio(observed: &[u64], weights: &[f64]) -> SampleRatio {
    let total: u64 = observed.iter().sum();
    let weight_sum: f64 = weights.iter().sum();
    if total == 0 || observed.len() < 2 || weight_sum <= 0.0 {
        return SampleRatio { chi_square: 0.0, p_value: 1.0, mismatch: false };
    }
    let chi_square: f64 = observed
        .iter()
        .zip(weights)
        .map(|(&o, &w)| {
            let expected = total as f64 * w / weight_sum;
            (o as f64 - expected).powi(2) / expected
        })
        .sum();
    let p_value = chi_square_sf(chi_square, (observed.len() - 1) as f64);
    SampleRatio { chi_square, p_value, mismatch: p_value < SRM_P_VALUE }
}

/// Users per arm a two-sided two-proportion z-test at level `alpha` needs to find a relative
/// `lift` over `baseline` with probability `power` (the unpooled normal approximation).
pub fn sample_size_per_arm(baseline: f64, lift: f64, alpha: f64, power: f64) -> u64 {
    let p1 = baseline;
    let p2 = (baseline * (1.0 + lift)).min(1.0);
    let delta = (p2 - p1).abs();
    if delta <= 0.0 {
        return u64::MAX;
    }
    let z = normal_quantile(1.0 - alpha / 2.0) + normal_quantile(power);
    (z * z * (p1 * (1.0 - p1) + p2 * (1.0 - p2)) / (delta * delta)).ceil() as u64
}

/// The mSPRT's likelihood ratio for an estimated difference `difference` whose variance is
/// `variance`, mixed over a normal prior `N(0, tau2)` on the true difference (Johari, Pekelis
/// and Walsh, "Always valid inference", 2017). `1 / ratio`, taken as a running minimum over the
/// looks, is a p-value that stays valid however often it is looked at.
pub fn msprt_ratio(difference: f64, variance: f64, tau2: f64) -> f64 {
    if variance <= 0.0 || tau2 <= 0.0 {
        return 1.0;
    }
    let ln = 0.5 * (variance / (variance + tau2)).ln()
        + difference * difference * tau2 / (2.0 * variance * (variance + tau2));
    ln.exp()
}

/// One look of the mSPRT for two proportions (converters `x` of `n` per arm), with the previous
/// always-valid p-value; returns the new one (never larger).
pub fn msprt_look(previous: f64, x_a: u64, n_a: u64, x_b: u64, n_b: u64, tau2: f64) -> f64 {
    if n_a == 0 || n_b == 0 {
        return previous;
    }
    let (pa, pb) = (x_a as f64 / n_a as f64, x_b as f64 / n_b as f64);
    let variance = pa * (1.0 - pa) / n_a as f64 + pb * (1.0 - pb) / n_b as f64;
    if variance <= 0.0 {
        return previous;
    }
    previous.min(1.0 / msprt_ratio(pb - pa, variance, tau2))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(got: f64, want: f64, tol: f64) {
        assert!((got - want).abs() <= tol, "got {got}, want {want} (±{tol})");
    }

    #[test]
    fn distributions_match_mpmath() {
        close(normal_cdf(1.96), 0.975_002_104_851_779_6, 1e-12);
        close(normal_cdf(-1.0), 0.158_655_253_931_457_05, 1e-12);
        close(normal_cdf(-5.0), 2.866_515_718_791_939e-7, 1e-15);
        close(normal_quantile(0.975), 1.959_963_984_540_054, 1e-9);
        close(normal_quantile(0.8), 0.841_621_233_572_914_3, 1e-9);
        close(normal_quantile(0.05), -1.644_853_626_951_472_2, 1e-9);
        close(t_two_sided_p(2.5, 7.0), 0.040_992_218_585_752_9, 1e-10);
        close(t_two_sided_p(1.0, 3.5), 0.381_337_253_563_445_5, 1e-10);
        close(t_critical(0.05, 10.0), 2.228_138_851_964_938_5, 1e-9);
        close(t_critical(0.05, 5.0), 2.570_581_836_614_739_5, 1e-9);
        close(chi_square_sf(7.0, 3.0), 0.071_897_772_496_465_13, 1e-12);
        close(chi_square_sf(0.5, 1.0), 0.479_500_122_186_953_5, 1e-12);
        close(chi_square_sf(3.841_458_820_694_124, 1.0), 0.05, 1e-12);
    }

    #[test]
    fn z_test_of_two_proportions() {
        // 200 of 1000 against 250 of 1000 (mpmath at 30 digits).
        let t = two_proportion_z_test(200, 1000, 250, 1000, 0.05).unwrap();
        close(t.z, 2.677_397_763_008_329_5, 1e-12);
        close(t.p_value, 0.007_419_649_261_025_675, 1e-12);
        close(t.difference, 0.05, 1e-15);
        close(t.difference_interval.low, 0.013_463_621_687_539_85, 1e-9);
        close(t.difference_interval.high, 0.086_536_378_312_460_15, 1e-9);
        close(t.relative_lift.unwrap(), 0.25, 1e-12);
        let lift = t.relative_lift_interval.unwrap();
        assert!(lift.low > 0.0 && lift.high > 0.25 && lift.low < 0.25, "{lift:?}");
        // Nothing to compare yet.
        assert!(two_proportion_z_test(0, 0, 1, 10, 0.05).is_none());
        let none = two_proportion_z_test(0, 10, 0, 10, 0.05).unwrap();
        assert_eq!((none.p_value, none.relative_lift), (1.0, None));
    }

    #[test]
    fn welch_test_of_two_means() {
        // [1..5] against [2, 4, .., 12] (mpmath: Welch's statistic, df, betainc, findroot).
        let sample = |v: &[f64]| Sample::from_sums(v.len() as u64, v.iter().sum(), v.iter().map(|x| x * x).sum());
        let t = welch_t_test(sample(&[1., 2., 3., 4., 5.]), sample(&[2., 4., 6., 8., 10., 12.]), 0.05).unwrap();
        close(t.t, 2.376_354_103_144_018_3, 1e-12);
        close(t.degrees_of_freedom, 6.972_255_729_794_934, 1e-9);
        close(t.p_value, 0.049_284_338_206_730_52, 1e-10);
        close(t.difference_interval.low, 0.016_531_304_371_167_857, 1e-8);
        close(t.difference_interval.high, 7.983_468_695_628_832, 1e-8);
        close(t.relative_lift.unwrap(), 1.333_333_333_333_333_3, 1e-12);
    }

    #[test]
    fn sample_ratio_mismatch() {
        // 50/50 weights: 5000 against 5000 is fine, 5200 against 4800 is not (chi² = 16).
        assert!(!sample_ratio(&[5000, 5000], &[1.0, 1.0]).mismatch);
        let srm = sample_ratio(&[5200, 4800], &[1.0, 1.0]);
        close(srm.chi_square, 16.0, 1e-9);
        assert!(srm.mismatch && srm.p_value < 1e-4, "{srm:?}");
        // Unequal weights are what is expected.
        assert!(!sample_ratio(&[9000, 1000], &[9.0, 1.0]).mismatch);
        // Three arms: two degrees of freedom (chi² = 5 with 2 df: p = e^-2.5).
        let three = sample_ratio(&[1050, 1000, 950], &[1.0, 1.0, 1.0]);
        close(three.chi_square, 5.0, 1e-9);
        close(three.p_value, (-2.5f64).exp(), 1e-12);
    }

    #[test]
    fn sample_size_calculator() {
        // (z_.975 + z_.8)² (0.1·0.9 + 0.11·0.89) / 0.01² = 14 748.04 → 14 749.
        assert_eq!(sample_size_per_arm(0.1, 0.1, 0.05, 0.8), 14_749);
        // More power or a smaller lift needs more users.
        assert!(sample_size_per_arm(0.1, 0.1, 0.05, 0.9) > 14_749);
        assert!(sample_size_per_arm(0.1, 0.05, 0.05, 0.8) > 4 * 14_000);
    }

    #[test]
    fn msprt_grows_with_evidence() {
        // No difference: the ratio is below one, the p-value stays at 1.
        assert!(msprt_ratio(0.0, 1e-4, 1e-4) < 1.0);
        assert_eq!(msprt_look(1.0, 100, 1000, 100, 1000, 1e-4), 1.0);
        // A clear difference: the p-value drops below 0.05, and never rises again.
        let p = msprt_look(1.0, 1000, 10_000, 1300, 10_000, 1e-4);
        assert!(p < 0.05, "{p}");
        assert_eq!(msprt_look(p, 1000, 10_000, 1000, 10_000, 1e-4), p);
    }
}
