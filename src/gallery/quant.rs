//! int8 compact templates: per-vector symmetric quantisation, the bound on its error, and the
//! SIMD scan kernel.
//!
//! A gallery row `x` (f32, `dim` values) is stored as codes `q_i = round(x_i / s)` in
//! `-127..=127` with one scale per row, `s = max|x_i| / 127` (symmetric, per vector). A probe
//! `y` is quantised the same way: `p_j = round(y_j / t)`. The scan computes the integer dot
//! product `D = q·p` and the approximate similarity score `a = s·t·D`.
//!
//! **Error bound.** With `g = y − t·p` (the probe's rounding residual) and `e = x − s·q` (the
//! row's), exactly `x·y = s·t·(q·p) + (s·q)·g + e·y`, so by Cauchy–Schwarz
//! `|x·y − a| ≤ ‖s·q‖·‖g‖ + ‖e‖·‖y‖`. The index keeps the largest `‖s·q‖` and `‖e‖` over its
//! rows; [`ProbeCodes::bound`] adds a margin for f32 rounding (of `a` and of the exact f32 dot
//! product the re-rank computes). Every row whose `a + bound` could reach the exact score of the
//! k-th subject is re-scored in f32, so the candidate list equals the exact f32 scan's.
//!
//! **Layout.** Codes are stored offset by 128 (`u8`, 1..=255) in blocks of [`LANES`] rows,
//! interleaved by groups of 4 dimensions: block `b`, dimension group `g`, row lane `l`, byte `j`
//! sits at `b·LANES·dim_p + g·4·LANES + l·4 + j` (`dim_p` = `dim` rounded up to a multiple of
//! 4, padded with code 128 = 0). One AVX-512 VNNI `vpdpbusd` then adds 4 dimensions of 16 rows
//! (`u8 × i8`, 64 bytes) into 16 row sums with no horizontal reduction; the offset is removed
//! with `128·Σp`. Without AVX-512 VNNI, AVX2 does the same block with `vpmaddubsw` on the
//! signed codes (`|p| × ±q`, at most 2·127·127 per 16-bit pair: no saturation) and `vpmaddwd`;
//! without AVX2 a portable loop over the same layout is used. All three give identical integer
//! sums (a unit test checks them on every CPU that has them).

/// Rows per interleaved block.
pub const LANES: usize = 16;

/// `dim` rounded up to a multiple of 4 (the kernel's dimension group).
pub fn padded_dim(dim: usize) -> usize {
    dim.next_multiple_of(4)
}

/// Bytes of one block of [`LANES`] rows.
pub fn block_bytes(dim: usize) -> usize {
    LANES * padded_dim(dim)
}

/// Which kernel the scan uses on this CPU (detected once at run time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernel {
    /// AVX-512 VNNI (`vpdpbusd`, 16 rows × 4 dimensions per instruction).
    Avx512Vnni,
    /// AVX2 (`vpmaddubsw` + `vpmaddwd`, 8 rows × 4 dimensions per pair of instructions).
    Avx2,
    /// Plain Rust over the same layout (the compiler vectorises what it can).
    Portable,
}

impl Kernel {
    /// The best kernel this CPU supports.
    pub fn detect() -> Kernel {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f")
                && std::arch::is_x86_feature_detected!("avx512vnni")
            {
                return Kernel::Avx512Vnni;
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                return Kernel::Avx2;
            }
        }
        Kernel::Portable
    }

    /// Every kernel this CPU can run (the detected one first), for tests and benchmarks.
    pub fn available() -> Vec<Kernel> {
        let mut all = vec![Kernel::detect()];
        #[cfg(target_arch = "x86_64")]
        if all[0] == Kernel::Avx512Vnni && std::arch::is_x86_feature_detected!("avx2") {
            all.push(Kernel::Avx2);
        }
        if all[0] != Kernel::Portable {
            all.push(Kernel::Portable);
        }
        all
    }

    /// A short name for benchmarks and logs.
    pub fn name(self) -> &'static str {
        match self {
            Kernel::Avx512Vnni => "avx512-vnni",
            Kernel::Avx2 => "avx2",
            Kernel::Portable => "portable",
        }
    }
}

/// Quantises one row into `codes` (`padded_dim(x.len())` bytes, row-major, offset 128).
/// Returns `(s, ‖s·q‖, ‖x − s·q‖)`: the scale and the two norms the error bound needs (computed
/// in f64 from the f32 scale the scan uses).
pub fn quantise_row(x: &[f32], codes: &mut [u8]) -> (f32, f64, f64) {
    let m = x.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    let s = if m > 0.0 && m.is_finite() {
        m / 127.0
    } else {
        0.0
    };
    let (mut nq, mut ne) = (0.0f64, 0.0f64);
    for (i, c) in codes.iter_mut().enumerate() {
        let v = x.get(i).copied().unwrap_or(0.0);
        let q = if s > 0.0 {
            (v / s).round().clamp(-127.0, 127.0)
        } else {
            0.0
        };
        *c = (q as i32 + 128) as u8;
        let sq = f64::from(s) * f64::from(q);
        nq += sq * sq;
        let e = f64::from(v) - sq;
        ne += e * e;
    }
    (s, nq.sqrt(), ne.sqrt())
}

/// Writes a row's row-major codes into lane `lane` of an interleaved block.
pub fn put_lane(block: &mut [u8], lane: usize, row: &[u8]) {
    for (g, four) in row.chunks_exact(4).enumerate() {
        let at = g * 4 * LANES + lane * 4;
        block[at..at + 4].copy_from_slice(four);
    }
}

/// Reads a row's row-major codes back from lane `lane` of an interleaved block.
pub fn get_lane(block: &[u8], lane: usize, row: &mut [u8]) {
    for (g, four) in row.chunks_exact_mut(4).enumerate() {
        let at = g * 4 * LANES + lane * 4;
        four.copy_from_slice(&block[at..at + 4]);
    }
}

/// A quantised probe.
#[derive(Debug, Clone)]
pub struct ProbeCodes {
    /// `padded_dim` codes, `-127..=127`, packed 4 per `i32` (little-endian), one per group.
    groups: Vec<i32>,
    /// Scale `t`.
    pub scale: f32,
    /// `128·Σp`: removes the rows' code offset.
    pub offset: i32,
    /// `‖y − t·p‖`.
    pub residual: f64,
    /// `‖y‖`.
    pub norm: f64,
}

impl ProbeCodes {
    /// Quantises a probe of `dim` values.
    pub fn new(y: &[f32]) -> ProbeCodes {
        let dp = padded_dim(y.len());
        let mut codes = vec![0u8; dp];
        let (t, _, residual) = quantise_row(y, &mut codes);
        let signed: Vec<i8> = codes.iter().map(|c| (i32::from(*c) - 128) as i8).collect();
        let offset = 128 * signed.iter().map(|p| i32::from(*p)).sum::<i32>();
        let groups = signed
            .chunks_exact(4)
            .map(|c| i32::from_le_bytes([c[0] as u8, c[1] as u8, c[2] as u8, c[3] as u8]))
            .collect();
        let norm = y
            .iter()
            .map(|v| f64::from(*v) * f64::from(*v))
            .sum::<f64>()
            .sqrt();
        ProbeCodes {
            groups,
            scale: t,
            offset,
            residual,
            norm,
        }
    }

    /// Largest possible `|exact f32 score − approximate score|` for any row of an index whose
    /// rows have `‖s·q‖ ≤ code_norm_max` and `‖x − s·q‖ ≤ residual_max` (see the module docs),
    /// plus a margin for f32 rounding (relative 1e-4 and absolute 1e-4, far above the ~1e-5
    /// that 128-term f32 sums and the `s·t·D` product can contribute).
    pub fn bound(&self, code_norm_max: f64, residual_max: f64) -> f32 {
        let b = code_norm_max * self.residual + residual_max * self.norm;
        (b * (1.0 + 1e-4) + 1e-4) as f32
    }

    /// Integer dot products `Σ (q+128)·p` of every row of `codes` (whole blocks) with this
    /// probe, one per row into `out` (`out.len()` = rows in `codes`).
    pub fn dots(&self, kernel: Kernel, codes: &[u8], out: &mut [i32]) {
        match kernel {
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx512Vnni => {
                // SAFETY: `Kernel::Avx512Vnni` is only returned by `detect` when the CPU has
                // AVX-512F and AVX-512 VNNI; the kernel reads only within `codes` and writes only
                // within `out` (both bounded by whole blocks, checked inside).
                unsafe { dots_avx512_vnni(&self.groups, codes, out) }
            }
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2 => {
                // SAFETY: `Kernel::Avx2` is only returned by `detect`/`available` when the CPU
                // has AVX2; the kernel reads only within `codes` and writes only within `out`
                // (both bounded by whole blocks, checked inside).
                unsafe { dots_avx2(&self.groups, self.offset, codes, out) }
            }
            _ => dots_portable(&self.groups, codes, out),
        }
    }
}

/// The approximate score `s·t·(D − offset)` of a row from its integer dot product.
#[inline]
pub fn approx_score(row_scale: f32, probe: &ProbeCodes, dot: i32) -> f32 {
    row_scale * (probe.scale * (dot - probe.offset) as f32)
}

fn dots_portable(groups: &[i32], codes: &[u8], out: &mut [i32]) {
    let bb = groups.len() * 4 * LANES;
    if bb == 0 {
        return;
    }
    for (blk, o) in codes.chunks_exact(bb).zip(out.chunks_mut(LANES)) {
        let mut acc = [0i32; LANES];
        for (g, p) in groups.iter().enumerate() {
            let p = p.to_le_bytes().map(|b| i32::from(b as i8));
            let grp = &blk[g * 4 * LANES..(g + 1) * 4 * LANES];
            for (a, c) in acc.iter_mut().zip(grp.chunks_exact(4)) {
                *a += i32::from(c[0]) * p[0]
                    + i32::from(c[1]) * p[1]
                    + i32::from(c[2]) * p[2]
                    + i32::from(c[3]) * p[3];
            }
        }
        let n = o.len();
        o.copy_from_slice(&acc[..n]);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512vnni")]
unsafe fn dots_avx512_vnni(groups: &[i32], codes: &[u8], out: &mut [i32]) {
    use std::arch::x86_64::*;
    let ng = groups.len();
    let bb = ng * 4 * LANES;
    if bb == 0 {
        return;
    }
    let blocks = (codes.len() / bb).min(out.len().div_ceil(LANES));
    let bcast: Vec<__m512i> = groups.iter().map(|p| _mm512_set1_epi32(*p)).collect();
    for b in 0..blocks {
        let blk = &codes[b * bb..(b + 1) * bb];
        let mut acc = [_mm512_setzero_si512(); 4];
        for (g, p) in bcast.iter().enumerate() {
            // SAFETY: `g·64 + 64 ≤ bb = blk.len()`; unaligned load.
            let v = unsafe { _mm512_loadu_si512(blk.as_ptr().add(g * 64).cast::<__m512i>()) };
            acc[g & 3] = _mm512_dpbusd_epi32(acc[g & 3], v, *p);
        }
        let sum = _mm512_add_epi32(
            _mm512_add_epi32(acc[0], acc[1]),
            _mm512_add_epi32(acc[2], acc[3]),
        );
        let o = &mut out[b * LANES..];
        if o.len() >= LANES {
            // SAFETY: 16 i32 fit in `o`; unaligned store.
            unsafe { _mm512_storeu_si512(o.as_mut_ptr().cast::<__m512i>(), sum) };
        } else {
            let mut tmp = [0i32; LANES];
            // SAFETY: `tmp` holds 16 i32; unaligned store.
            unsafe { _mm512_storeu_si512(tmp.as_mut_ptr().cast::<__m512i>(), sum) };
            let n = o.len();
            o.copy_from_slice(&tmp[..n]);
        }
    }
}

/// AVX2: per dimension group, two 32-byte loads (rows 0–7 and 8–15, 4 codes each). The codes
/// are made signed (`u8 ^ 0x80` = `q`), `vpsignb` moves the probe's sign onto them, `vpmaddubsw`
/// multiplies by `|p|` and adds pairs (`|p|·(±q)` ≤ 127·127, a pair ≤ 32,258: no saturation),
/// `vpmaddwd` by ones adds the pairs into one i32 per row. That gives `Σ q·p`; adding `offset`
/// (`128·Σp`) gives `Σ (q+128)·p`, what the other kernels return.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn dots_avx2(groups: &[i32], offset: i32, codes: &[u8], out: &mut [i32]) {
    use std::arch::x86_64::*;
    let ng = groups.len();
    let bb = ng * 4 * LANES;
    if bb == 0 {
        return;
    }
    let blocks = (codes.len() / bb).min(out.len().div_ceil(LANES));
    let probe: Vec<(__m256i, __m256i)> = groups
        .iter()
        .map(|p| {
            let v = _mm256_set1_epi32(*p);
            (v, _mm256_abs_epi8(v))
        })
        .collect();
    let flip = _mm256_set1_epi8(-128);
    let ones = _mm256_set1_epi16(1);
    let off = _mm256_set1_epi32(offset);
    for b in 0..blocks {
        let blk = &codes[b * bb..(b + 1) * bb];
        let (mut lo, mut hi) = (off, off);
        for (g, (p, abs_p)) in probe.iter().enumerate() {
            // SAFETY: `g·64 + 64 ≤ bb = blk.len()`; unaligned loads.
            let (a, c) = unsafe {
                (
                    _mm256_loadu_si256(blk.as_ptr().add(g * 64).cast::<__m256i>()),
                    _mm256_loadu_si256(blk.as_ptr().add(g * 64 + 32).cast::<__m256i>()),
                )
            };
            let qa = _mm256_sign_epi8(_mm256_xor_si256(a, flip), *p);
            let qc = _mm256_sign_epi8(_mm256_xor_si256(c, flip), *p);
            lo = _mm256_add_epi32(
                lo,
                _mm256_madd_epi16(_mm256_maddubs_epi16(*abs_p, qa), ones),
            );
            hi = _mm256_add_epi32(
                hi,
                _mm256_madd_epi16(_mm256_maddubs_epi16(*abs_p, qc), ones),
            );
        }
        let mut tmp = [0i32; LANES];
        // SAFETY: `tmp` holds 16 i32; unaligned stores of 8 each.
        unsafe {
            _mm256_storeu_si256(tmp.as_mut_ptr().cast::<__m256i>(), lo);
            _mm256_storeu_si256(tmp.as_mut_ptr().add(8).cast::<__m256i>(), hi);
        }
        let o = &mut out[b * LANES..];
        let n = o.len().min(LANES);
        o[..n].copy_from_slice(&tmp[..n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn unit(rng: &mut impl Rng, dim: usize) -> Vec<f32> {
        let v: Vec<f32> = (0..dim).map(|_| rng.r#gen::<f32>() - 0.5).collect();
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter().map(|x| x / n).collect()
    }

    #[test]
    fn kernels_agree_and_the_bound_holds() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for dim in [128usize, 130, 3] {
            let rows = 37usize;
            let bb = block_bytes(dim);
            let mut codes = vec![128u8; rows.div_ceil(LANES) * bb];
            let mut row = vec![0u8; padded_dim(dim)];
            let mut xs = Vec::new();
            let (mut nq_max, mut ne_max) = (0.0f64, 0.0f64);
            let mut scales = Vec::new();
            for r in 0..rows {
                let x = unit(&mut rng, dim);
                let (s, nq, ne) = quantise_row(&x, &mut row);
                nq_max = nq_max.max(nq);
                ne_max = ne_max.max(ne);
                put_lane(&mut codes[(r / LANES) * bb..], r % LANES, &row);
                let mut back = vec![0u8; row.len()];
                get_lane(&codes[(r / LANES) * bb..], r % LANES, &mut back);
                assert_eq!(back, row);
                scales.push(s);
                xs.push(x);
            }
            let y = unit(&mut rng, dim);
            let p = ProbeCodes::new(&y);
            let mut a = vec![0i32; rows];
            p.dots(Kernel::Portable, &codes, &mut a);
            for k in Kernel::available() {
                let mut b = vec![0i32; rows];
                p.dots(k, &codes, &mut b);
                assert_eq!(a, b, "{}", k.name());
            }
            let bound = p.bound(nq_max, ne_max);
            for r in 0..rows {
                let exact = crate::face::dot(&y, &xs[r]);
                let approx = approx_score(scales[r], &p, a[r]);
                assert!((exact - approx).abs() <= bound, "{exact} {approx} {bound}");
            }
        }
    }
}
