//! Implicit-feedback alternating least squares (Hu, Koren, Volinsky 2008) with conjugate
//! gradient row solves (Takács et al. 2011, as the `implicit` library does), plus the dense
//! linear algebra the User-Personalization recipe needs (Cholesky fold-in, ridge regression).
//!
//! Factor matrices are row-major `f32` with a row stride padded to a multiple of [`LANES`]
//! (padding stays exactly zero), so every inner loop runs over whole 16-float chunks the
//! compiler turns into SIMD. On x86-64 the hot loops are compiled twice, once with AVX2 + FMA
//! (chosen at run time when the CPU has them) and once for the baseline target.

use std::ops::Range;

use rayon::prelude::*;

/// Floats per chunk of the inner loops; factor strides are multiples of it.
pub const LANES: usize = 16;

/// Row stride for `k` factors.
pub fn stride(k: usize) -> usize {
    k.div_ceil(LANES) * LANES
}

/// Compressed sparse rows: row `r` holds `indices[indptr[r]..indptr[r + 1]]` with confidences
/// `conf`: `c >= 1` is an entry of preference 1; `c <= -1` an entry of preference 0 with
/// confidence `-c` (a weak negative, e.g. an impression passed over); a missing entry has
/// preference 0 and confidence 1.
#[derive(Debug, Clone, Default)]
pub struct Csr {
    pub indptr: Vec<usize>,
    pub indices: Vec<u32>,
    pub conf: Vec<f32>,
}

impl Csr {
    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.indptr.len().saturating_sub(1)
    }
    /// Entries of row `r`.
    pub fn row(&self, r: usize) -> (&[u32], &[f32]) {
        let s = self.indptr[r]..self.indptr[r + 1];
        (&self.indices[s.clone()], &self.conf[s])
    }
    /// The transpose (`cols` columns), keeping only rows for which `keep_row` is true.
    pub fn transpose(&self, cols: usize, keep_row: impl Fn(usize) -> bool) -> Csr {
        let mut counts = vec![0usize; cols + 1];
        for r in 0..self.rows() {
            if keep_row(r) {
                for &c in self.row(r).0 {
                    counts[c as usize + 1] += 1;
                }
            }
        }
        for c in 0..cols {
            counts[c + 1] += counts[c];
        }
        let nnz = counts[cols];
        let mut indices = vec![0u32; nnz];
        let mut conf = vec![0f32; nnz];
        let mut next = counts.clone();
        for r in 0..self.rows() {
            if keep_row(r) {
                let (idx, cf) = self.row(r);
                for (&c, &v) in idx.iter().zip(cf) {
                    let p = &mut next[c as usize];
                    indices[*p] = r as u32;
                    conf[*p] = v;
                    *p += 1;
                }
            }
        }
        Csr { indptr: counts, indices, conf }
    }
}

#[inline(always)]
fn fmadd<const FMA: bool>(a: f32, b: f32, c: f32) -> f32 {
    if FMA {
        a.mul_add(b, c)
    } else {
        a * b + c
    }
}

/// Dot product of two equally long slices whose length is a multiple of [`LANES`].
#[inline(always)]
fn dot_k<const FMA: bool>(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; LANES];
    for (x, y) in a.chunks_exact(LANES).zip(b.chunks_exact(LANES)) {
        for l in 0..LANES {
            acc[l] = fmadd::<FMA>(x[l], y[l], acc[l]);
        }
    }
    let mut h = [0f32; 8];
    for l in 0..8 {
        h[l] = acc[l] + acc[l + 8];
    }
    (h[0] + h[4]) + (h[1] + h[5]) + ((h[2] + h[6]) + (h[3] + h[7]))
}

/// `y += alpha * x`.
#[inline(always)]
fn axpy_k<const FMA: bool>(alpha: f32, x: &[f32], y: &mut [f32]) {
    for (yc, xc) in y.chunks_exact_mut(LANES).zip(x.chunks_exact(LANES)) {
        for l in 0..LANES {
            yc[l] = fmadd::<FMA>(alpha, xc[l], yc[l]);
        }
    }
}

/// `out = m * v` for a symmetric `s × s` matrix `m` (sum of scaled columns: no reductions).
#[inline(always)]
fn symv_k<const FMA: bool>(m: &[f32], v: &[f32], out: &mut [f32], s: usize) {
    out.fill(0.0);
    for (j, &vj) in v.iter().enumerate() {
        if vj != 0.0 {
            axpy_k::<FMA>(vj, &m[j * s..(j + 1) * s], out);
        }
    }
}

/// Hint the CPU to fetch row `i` of `m` (stride `s`) into cache: the rows of the other side's
/// factors are gathered in index order, which hardware prefetchers cannot predict.
#[inline(always)]
pub(crate) fn prefetch_row(m: &[f32], i: usize, s: usize) {
    if let Some(row) = m.get(i * s..(i + 1) * s) {
        row.chunks(16).for_each(|line| prefetch(&line[0]));
    }
}

/// Hint the CPU to fetch the cache line holding `x`.
#[inline(always)]
pub(crate) fn prefetch<T>(x: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: prefetching is a hint and never faults; the pointer comes from a reference.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>((x as *const T).cast())
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = x;
}

/// How many entries ahead of the current one to prefetch.
pub(crate) const PREFETCH_AHEAD: usize = 6;

/// Plain dot product (any length), for serving-side code.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    if a.len() % LANES == 0 && a.len() == b.len() {
        return dot_k::<false>(a, b);
    }
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Widest SIMD level the CPU offers (0 = baseline, 1 = AVX2 + FMA, 2 = AVX-512F + FMA).
fn simd_level() -> u8 {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") && std::arch::is_x86_feature_detected!("fma") {
            return 2;
        }
    }
    u8::from(has_avx2_fma())
}

fn has_avx2_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// `YᵀY + reg·I` over the first `k` coordinates (padding rows/columns are left zero apart
/// from the diagonal, which keeps the padded coordinates of every solution at zero).
pub fn gram(y: &[f32], s: usize, k: usize, reg: f32) -> Vec<f32> {
    let rows = y.len().checked_div(s).unwrap_or(0);
    // Chunks are summed in f32 (4,096 rows: a relative error around 1e-6), the chunks in f64.
    let chunk = 4096usize;
    let level = simd_level();
    let mut g = (0..rows.div_ceil(chunk))
        .into_par_iter()
        .map(|c| {
            let mut part = vec![0f32; k * k];
            let block = &y[c * chunk * s..((c + 1) * chunk).min(rows) * s];
            #[cfg(target_arch = "x86_64")]
            if level >= 1 {
                // SAFETY: the CPU supports AVX2 and FMA (checked at run time).
                unsafe { gram_rows_avx2(block, s, k, &mut part) };
                return part;
            }
            let _ = level;
            gram_rows(block, s, k, &mut part);
            part
        })
        .fold(
            || vec![0f64; k * k],
            |mut acc, part| {
                acc.iter_mut().zip(&part).for_each(|(a, p)| *a += f64::from(*p));
                acc
            },
        )
        .reduce(
            || vec![0f64; k * k],
            |mut a, b| {
                a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
                a
            },
        );
    // Only the upper triangle was accumulated: mirror it into the `s × s` layout.
    if g.is_empty() {
        g = vec![0f64; k * k];
    }
    let mut out = vec![0f32; s * s];
    for a in 0..k {
        for b in a..k {
            let v = g[a * k + b] as f32;
            out[a * s + b] = v;
            out[b * s + a] = v;
        }
    }
    for a in 0..s {
        out[a * s + a] += reg;
    }
    out
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn gram_rows_avx2(y: &[f32], s: usize, k: usize, g: &mut [f32]) {
    gram_rows(y, s, k, g)
}

/// Adds `rowᵀ·row` of every non-zero row of `y` (stride `s`, the first `k` columns) to the upper
/// triangle of `g` (`k × k`), four rows at a time so each pass over `g` does four rows' work.
#[inline(always)]
fn gram_rows(y: &[f32], s: usize, k: usize, g: &mut [f32]) {
    // Rows of users or items without interactions are zero: they add nothing.
    let nonzero: Vec<&[f32]> = y.chunks_exact(s).map(|r| &r[..k]).filter(|r| r.iter().any(|&v| v != 0.0)).collect();
    let mut quads = nonzero.chunks_exact(4);
    for q in quads.by_ref() {
        let (r0, r1, r2, r3) = (q[0], q[1], q[2], q[3]);
        for a in 0..k {
            let (c0, c1, c2, c3) = (r0[a], r1[a], r2[a], r3[a]);
            let ga = &mut g[a * k + a..a * k + k];
            let (b0, b1, b2, b3) = (&r0[a..k], &r1[a..k], &r2[a..k], &r3[a..k]);
            let n = ga.len();
            assert!(b0.len() == n && b1.len() == n && b2.len() == n && b3.len() == n);
            for j in 0..n {
                ga[j] += c0 * b0[j] + c1 * b1[j] + c2 * b2[j] + c3 * b3[j];
            }
        }
    }
    for r in quads.remainder() {
        for a in 0..k {
            let c = r[a];
            let ga = &mut g[a * k + a..a * k + k];
            for (gv, &b) in ga.iter_mut().zip(&r[a..k]) {
                *gv += c * b;
            }
        }
    }
}

/// Per-thread scratch of the CG solver.
struct Scratch {
    r: Vec<f32>,
    p: Vec<f32>,
    ap: Vec<f32>,
}

/// The preference and the confidence above the unobserved 1 of a stored entry (see [`Csr`]);
/// without negatives (`NEG` false) the sign test compiles away.
#[inline(always)]
fn entry<const NEG: bool>(c: f32) -> (f32, f32) {
    if NEG && c < 0.0 {
        (0.0, -c - 1.0)
    } else {
        (c, c - 1.0)
    }
}

/// CG-refine rows `rows` of `x` (stored in `out`, `rows.len() × s`) against the fixed factors
/// `other`: minimises `Σ_i c_ri (p_ri − x·y_i)² + reg·|x|²` with `cg_steps` conjugate
/// gradient steps started from the current row.
#[inline(always)]
fn solve_rows<const FMA: bool, const NEG: bool>(
    rows: Range<usize>,
    out: &mut [f32],
    other: &[f32],
    csr: &Csr,
    g: &[f32],
    s: usize,
    cg_steps: usize,
) {
    let mut sc = Scratch { r: vec![0.0; s], p: vec![0.0; s], ap: vec![0.0; s] };
    for (row, x) in rows.zip(out.chunks_exact_mut(s)) {
        let (idx, conf) = csr.row(row);
        if idx.is_empty() {
            x.fill(0.0);
            continue;
        }
        let Scratch { r, p, ap } = &mut sc;
        // r = b − A x
        symv_k::<FMA>(g, x, r, s);
        for v in r.iter_mut() {
            *v = -*v;
        }
        for (j, (&i, &c)) in idx.iter().zip(conf).enumerate() {
            if let Some(&next) = idx.get(j + PREFETCH_AHEAD) {
                prefetch_row(other, next as usize, s);
            }
            let y = &other[i as usize * s..(i as usize + 1) * s];
            // c·p − (c − 1)·(y·x), with the entry's preference-weighted c and extra confidence.
            let (cp, extra) = entry::<NEG>(c);
            let coef = cp - extra * dot_k::<FMA>(y, x);
            axpy_k::<FMA>(coef, y, r);
        }
        p.copy_from_slice(r);
        let mut rsold = dot_k::<FMA>(r, r);
        if rsold < 1e-20 {
            continue;
        }
        for _ in 0..cg_steps {
            symv_k::<FMA>(g, p, ap, s);
            for (j, (&i, &c)) in idx.iter().zip(conf).enumerate() {
                if let Some(&next) = idx.get(j + PREFETCH_AHEAD) {
                    prefetch_row(other, next as usize, s);
                }
                let y = &other[i as usize * s..(i as usize + 1) * s];
                axpy_k::<FMA>(entry::<NEG>(c).1 * dot_k::<FMA>(y, p), y, ap);
            }
            let pap = dot_k::<FMA>(p, ap);
            if pap <= 0.0 || !pap.is_finite() {
                break;
            }
            let a = rsold / pap;
            axpy_k::<FMA>(a, p, x);
            axpy_k::<FMA>(-a, ap, r);
            let rsnew = dot_k::<FMA>(r, r);
            if rsnew < 1e-20 {
                break;
            }
            let beta = rsnew / rsold;
            for (pv, &rv) in p.iter_mut().zip(r.iter()) {
                *pv = rv + beta * *pv;
            }
            rsold = rsnew;
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn solve_rows_avx2<const NEG: bool>(
    rows: Range<usize>,
    out: &mut [f32],
    other: &[f32],
    csr: &Csr,
    g: &[f32],
    s: usize,
    cg_steps: usize,
) {
    solve_rows::<true, NEG>(rows, out, other, csr, g, s, cg_steps)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn solve_rows_avx512<const NEG: bool>(
    rows: Range<usize>,
    out: &mut [f32],
    other: &[f32],
    csr: &Csr,
    g: &[f32],
    s: usize,
    cg_steps: usize,
) {
    solve_rows::<true, NEG>(rows, out, other, csr, g, s, cg_steps)
}

/// One half-iteration of ALS: update every row of `x` (`csr.rows() × s`) given `other`.
pub fn update_side(x: &mut [f32], other: &[f32], csr: &Csr, s: usize, k: usize, reg: f32, cg_steps: usize) {
    if csr.conf.iter().any(|&c| c < 0.0) {
        update_side_with::<true>(x, other, csr, s, k, reg, cg_steps)
    } else {
        update_side_with::<false>(x, other, csr, s, k, reg, cg_steps)
    }
}

fn update_side_with<const NEG: bool>(
    x: &mut [f32],
    other: &[f32],
    csr: &Csr,
    s: usize,
    k: usize,
    reg: f32,
    cg_steps: usize,
) {
    let g = gram(other, s, k, reg);
    let level = simd_level();
    const BLOCK: usize = 64;
    x.par_chunks_mut(BLOCK * s).enumerate().for_each(|(b, out)| {
        let rows = b * BLOCK..b * BLOCK + out.len() / s;
        #[cfg(target_arch = "x86_64")]
        match level {
            // SAFETY: the CPU supports these features (checked at run time).
            2 => return unsafe { solve_rows_avx512::<NEG>(rows, out, other, csr, &g, s, cg_steps) },
            1 => return unsafe { solve_rows_avx2::<NEG>(rows, out, other, csr, &g, s, cg_steps) },
            _ => {}
        }
        let _ = level;
        solve_rows::<false, NEG>(rows, out, other, csr, &g, s, cg_steps);
    });
}

#[inline(always)]
fn scores_k<const FMA: bool>(y: &[f32], v: &[f32], s: usize, scale: f32, out: &mut [f32]) {
    // Four rows at a time: eight independent accumulator vectors keep the FMA units busy
    // (one row at a time is bound by the latency of its two accumulation chains).
    const ROWS: usize = 4;
    let full = out.len().min(y.len() / s) / ROWS * ROWS;
    let (out4, rest) = out.split_at_mut(full);
    for (o, y4) in out4.chunks_exact_mut(ROWS).zip(y.chunks_exact(ROWS * s)) {
        let mut acc = [[0f32; LANES]; ROWS];
        for c in (0..s).step_by(LANES) {
            let vc = &v[c..c + LANES];
            for (r, a) in acc.iter_mut().enumerate() {
                let row = &y4[r * s + c..r * s + c + LANES];
                for l in 0..LANES {
                    a[l] = fmadd::<FMA>(row[l], vc[l], a[l]);
                }
            }
        }
        for (o, a) in o.iter_mut().zip(&acc) {
            let mut h = [0f32; 8];
            for l in 0..8 {
                h[l] = a[l] + a[l + 8];
            }
            *o = scale * ((h[0] + h[4]) + (h[1] + h[5]) + ((h[2] + h[6]) + (h[3] + h[7])));
        }
    }
    for (o, row) in rest.iter_mut().zip(y[full * s..].chunks_exact(s)) {
        *o = scale * dot_k::<FMA>(row, v);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn scores_avx2(y: &[f32], v: &[f32], s: usize, scale: f32, out: &mut [f32]) {
    scores_k::<true>(y, v, s, scale, out)
}

/// `out[j] = scale · y_j · v` for every row of `y` (stride `s`; `v.len() == s`).
pub fn scores(y: &[f32], v: &[f32], s: usize, scale: f32, out: &mut [f32]) {
    if s % LANES != 0 || v.len() != s {
        for (o, row) in out.iter_mut().zip(y.chunks_exact(s.max(1))) {
            *o = scale * row.iter().zip(v).map(|(a, b)| a * b).sum::<f32>();
        }
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if has_avx2_fma() {
        // SAFETY: the CPU supports AVX2 and FMA (checked at run time).
        return unsafe { scores_avx2(y, v, s, scale, out) };
    }
    scores_k::<false>(y, v, s, scale, out)
}

/// `Σ exp(x − max)` over `xs`, with a polynomial `exp` (relative error below 2e-7 over the
/// range that matters; terms below e⁻⁸⁷ count as 0) that vectorises, unlike the libm call.
pub fn sum_exp(xs: &[f32], max: f32) -> f64 {
    #[cfg(target_arch = "x86_64")]
    if has_avx2_fma() {
        // SAFETY: the CPU supports AVX2 and FMA (checked at run time).
        return unsafe { sum_exp_avx2(xs, max) };
    }
    sum_exp_k(xs, max)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn sum_exp_avx2(xs: &[f32], max: f32) -> f64 {
    sum_exp_k(xs, max)
}

#[inline(always)]
fn sum_exp_k(xs: &[f32], max: f32) -> f64 {
    // f32 lanes per block of 1024, blocks summed in f64: accurate and vectorisable.
    let mut total = 0f64;
    let mut blocks = xs.chunks_exact(1024);
    for block in &mut blocks {
        let mut acc = [0f32; LANES];
        for part in block.chunks_exact(LANES) {
            for l in 0..LANES {
                acc[l] += fast_exp(part[l] - max);
            }
        }
        total += acc.iter().map(|&a| a as f64).sum::<f64>();
    }
    total + blocks.remainder().iter().map(|&x| fast_exp(x - max) as f64).sum::<f64>()
}

/// `exp(x)` for `x ≤ 0` (Cephes-style: 2^n · e^r with a degree-6 polynomial for e^r).
#[inline(always)]
pub fn fast_exp(x: f32) -> f32 {
    let x = if x < -87.0 { -87.0 } else { x };
    // Round to nearest by the 1.5·2²³ trick: plain adds that vectorise (`round` is a libm call).
    // The integer part is read from the bits of `t` (a saturating `as` cast would not vectorise).
    const MAGIC: f32 = 12_582_912.0;
    let t = x * std::f32::consts::LOG2_E + MAGIC;
    let n = t - MAGIC;
    let ni = (t.to_bits() as i32).wrapping_sub(MAGIC.to_bits() as i32);
    let r = x - n * 0.693_145_75 - n * 1.428_606_8e-6;
    let p = 1.0
        + r * (1.0 + r * (0.5 + r * (0.166_666_67 + r * (0.041_666_668 + r * (0.008_333_334 + r * 0.001_388_889)))));
    p * f32::from_bits((ni.wrapping_add(127) as u32) << 23)
}

/// Deterministic small random initialisation (`n × s`, padding zero), values in ±0.01·scale.
pub fn init_factors(n: usize, s: usize, k: usize, seed: u64) -> Vec<f32> {
    let mut v = vec![0f32; n * s];
    v.par_chunks_mut(s).enumerate().for_each(|(r, row)| {
        let mut z = seed ^ (r as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        for x in row[..k].iter_mut() {
            z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut h = z;
            h = (h ^ (h >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            h = (h ^ (h >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            h ^= h >> 31;
            *x = ((h >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 0.02 / (k as f32).sqrt() * 8.0;
        }
    });
    v
}

/// Solve `a x = b` for a symmetric positive definite `n × n` matrix (row-major, overwritten by
/// its Cholesky factor). Returns `false` (and leaves `b` unspecified) when `a` is not SPD.
pub fn cholesky_solve(a: &mut [f64], b: &mut [f64], n: usize) -> bool {
    for j in 0..n {
        let mut d = a[j * n + j];
        for k in 0..j {
            d -= a[j * n + k] * a[j * n + k];
        }
        if d <= 0.0 || !d.is_finite() {
            return false;
        }
        let d = d.sqrt();
        a[j * n + j] = d;
        for i in j + 1..n {
            let mut v = a[i * n + j];
            let (ri, rj) = (&a[i * n..i * n + j], &a[j * n..j * n + j]);
            for k in 0..j {
                v -= ri[k] * rj[k];
            }
            a[i * n + j] = v / d;
        }
    }
    for i in 0..n {
        let mut v = b[i];
        for k in 0..i {
            v -= a[i * n + k] * b[k];
        }
        b[i] = v / a[i * n + i];
    }
    for i in (0..n).rev() {
        let mut v = b[i];
        for k in i + 1..n {
            v -= a[k * n + i] * b[k];
        }
        b[i] = v / a[i * n + i];
    }
    true
}

/// Exact least-squares user vector for a history (the closed-form fold-in): solves
/// `(YᵀY + reg·I + Σ (c_i − 1) y_i y_iᵀ) x = Σ c_i y_i` for `(item, confidence)` pairs.
/// `g` is `YᵀY + reg·I` (`s × s`); only the first `k` coordinates are solved.
pub fn fold_in(y: &[f32], g: &[f32], s: usize, k: usize, history: &[(u32, f32)]) -> Vec<f32> {
    let h: Vec<(u32, f32, f32)> = history.iter().map(|&(i, c)| (i, c, c)).collect();
    fold_in_rhs(y, g, s, k, &h)
}

/// Like [`fold_in`] with an explicit right-hand side: solves
/// `(YᵀY + reg·I + Σ (c_i − 1) y_i y_iᵀ) x = Σ b_i y_i` for `(item, c_i, b_i)` triples.
pub fn fold_in_rhs(y: &[f32], g: &[f32], s: usize, k: usize, history: &[(u32, f32, f32)]) -> Vec<f32> {
    let mut x = vec![0f32; s];
    if history.is_empty() {
        return x;
    }
    let mut a = vec![0f64; k * k];
    for r in 0..k {
        for c in 0..k {
            a[r * k + c] = g[r * s + c] as f64;
        }
    }
    let mut b = vec![0f64; k];
    for &(i, c, rhs) in history {
        let row = &y[i as usize * s..i as usize * s + k];
        let w = (c - 1.0) as f64;
        for r in 0..k {
            let yr = row[r] as f64;
            b[r] += rhs as f64 * yr;
            if w != 0.0 && yr != 0.0 {
                let wr = w * yr;
                let ar = &mut a[r * k..r * k + k];
                for (av, &yc) in ar.iter_mut().zip(row) {
                    *av += wr * yc as f64;
                }
            }
        }
    }
    if cholesky_solve(&mut a, &mut b, k) {
        for (xv, bv) in x.iter_mut().zip(&b) {
            *xv = *bv as f32;
        }
    }
    x
}

/// Ridge regression from sparse binary features to dense targets, by conjugate gradient on
/// the normal equations (each of the `k` target columns independently):
/// `min_W Σ_rows |t_row − Σ_{f ∈ row} W_f / sqrt(|row|)|² + lambda·|W|²`.
///
/// `rows[i]` are the feature ids of training row `i`, `targets` is `rows.len() × s`. Returns
/// `W` (`num_features × s`).
pub fn ridge(rows: &[&[u32]], targets: &[f32], s: usize, num_features: usize, lambda: f32, steps: usize) -> Vec<f32> {
    let nf = num_features;
    let scale: Vec<f32> = rows.iter().map(|r| if r.is_empty() { 0.0 } else { 1.0 / (r.len() as f32).sqrt() }).collect();
    // A v = Fᵀ F v + lambda v, column-wise for all s columns at once.
    let apply = |v: &[f32], out: &mut [f32]| {
        out.iter_mut().zip(v).for_each(|(o, x)| *o = lambda * x);
        let mut t = vec![0f32; s];
        for (r, feats) in rows.iter().enumerate() {
            if feats.is_empty() {
                continue;
            }
            t.fill(0.0);
            for &f in *feats {
                axpy_k::<false>(scale[r], &v[f as usize * s..(f as usize + 1) * s], &mut t);
            }
            for &f in *feats {
                axpy_k::<false>(scale[r], &t, &mut out[f as usize * s..(f as usize + 1) * s]);
            }
        }
    };
    let mut b = vec![0f32; nf * s];
    for (r, feats) in rows.iter().enumerate() {
        let t = &targets[r * s..(r + 1) * s];
        for &f in *feats {
            axpy_k::<false>(scale[r], t, &mut b[f as usize * s..(f as usize + 1) * s]);
        }
    }
    let mut w = vec![0f32; nf * s];
    let mut r = b;
    let mut p = r.clone();
    let mut ap = vec![0f32; nf * s];
    let col_dot = |a: &[f32], b: &[f32]| -> Vec<f64> {
        let mut d = vec![0f64; s];
        for (ra, rb) in a.chunks_exact(s).zip(b.chunks_exact(s)) {
            for c in 0..s {
                d[c] += ra[c] as f64 * rb[c] as f64;
            }
        }
        d
    };
    let mut rsold = col_dot(&r, &r);
    for _ in 0..steps {
        apply(&p, &mut ap);
        let pap = col_dot(&p, &ap);
        let alpha: Vec<f32> = (0..s).map(|c| if pap[c] > 1e-30 { (rsold[c] / pap[c]) as f32 } else { 0.0 }).collect();
        for f in 0..nf {
            for c in 0..s {
                w[f * s + c] += alpha[c] * p[f * s + c];
                r[f * s + c] -= alpha[c] * ap[f * s + c];
            }
        }
        let rsnew = col_dot(&r, &r);
        let beta: Vec<f32> =
            (0..s).map(|c| if rsold[c] > 1e-30 { (rsnew[c] / rsold[c]) as f32 } else { 0.0 }).collect();
        for f in 0..nf {
            for c in 0..s {
                p[f * s + c] = r[f * s + c] + beta[c] * p[f * s + c];
            }
        }
        rsold = rsnew;
        if rsold.iter().all(|&v| v < 1e-12) {
            break;
        }
    }
    w
}

/// Predict a row from its features with ridge weights `w` (see [`ridge`]).
pub fn ridge_predict(w: &[f32], s: usize, feats: &[u32], out: &mut [f32]) {
    out.fill(0.0);
    if feats.is_empty() {
        return;
    }
    let scale = 1.0 / (feats.len() as f32).sqrt();
    for &f in feats {
        if let Some(row) = w.get(f as usize * s..(f as usize + 1) * s) {
            axpy_k::<false>(scale, row, out);
        }
    }
}

#[cfg(test)]
mod tests;
