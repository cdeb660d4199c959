//! Five-point face alignment: least-squares similarity transform and bilinear warp.

use image::RgbImage;

/// A similarity transform (rotation, uniform scale, translation; 4 degrees of
/// freedom) mapping photo pixels (x, y) to crop pixels (u, v):
/// `u = a·x − b·y + tx`, `v = b·x + a·y + ty`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Similarity {
    pub a: f32,
    pub b: f32,
    pub tx: f32,
    pub ty: f32,
}

impl Similarity {
    /// Least-squares fit of `src` points onto `dst` points (closed form, the
    /// same solution as Umeyama's method without reflection).
    pub fn estimate(src: &[[f32; 2]], dst: &[[f32; 2]]) -> Option<Self> {
        let n = src.len().min(dst.len());
        if n < 2 {
            return None;
        }
        let nf = n as f64;
        let mean = |p: &[[f32; 2]]| {
            let (sx, sy) = p[..n].iter().fold((0.0f64, 0.0f64), |(ax, ay), q| {
                (ax + f64::from(q[0]), ay + f64::from(q[1]))
            });
            (sx / nf, sy / nf)
        };
        let (mx, my) = mean(src);
        let (mu, mv) = mean(dst);
        let (mut num_a, mut num_b, mut den) = (0.0f64, 0.0f64, 0.0f64);
        for i in 0..n {
            let (x, y) = (f64::from(src[i][0]) - mx, f64::from(src[i][1]) - my);
            let (u, v) = (f64::from(dst[i][0]) - mu, f64::from(dst[i][1]) - mv);
            num_a += x * u + y * v;
            num_b += x * v - y * u;
            den += x * x + y * y;
        }
        if den <= f64::EPSILON {
            return None;
        }
        let a = num_a / den;
        let b = num_b / den;
        let tx = mu - a * mx + b * my;
        let ty = mv - b * mx - a * my;
        Some(Self {
            a: a as f32,
            b: b as f32,
            tx: tx as f32,
            ty: ty as f32,
        })
    }

    /// Maps a photo point to the crop.
    pub fn apply(&self, p: [f32; 2]) -> [f32; 2] {
        [
            self.a * p[0] - self.b * p[1] + self.tx,
            self.b * p[0] + self.a * p[1] + self.ty,
        ]
    }
}

/// Warps `img` into a `width`×`height` crop through `t` (crop pixel → photo
/// pixel by the inverse transform), bilinear, black outside the photo — the
/// same convention as OpenCV's `warpAffine`.
pub fn warp(img: &RgbImage, t: &Similarity, width: u32, height: u32) -> RgbImage {
    let d = t.a * t.a + t.b * t.b;
    let mut out = RgbImage::new(width, height);
    if d <= f32::EPSILON {
        return out;
    }
    let (ia, ib) = (t.a / d, t.b / d);
    let (sw, sh) = (img.width() as i64, img.height() as i64);
    let raw = img.as_raw();
    let px = |x: i64, y: i64, c: usize| -> f32 {
        if x < 0 || y < 0 || x >= sw || y >= sh {
            0.0
        } else {
            f32::from(raw[((y * sw + x) * 3) as usize + c])
        }
    };
    let buf: &mut [u8] = &mut out;
    for v in 0..height {
        for u in 0..width {
            let (du, dv) = (u as f32 - t.tx, v as f32 - t.ty);
            let x = ia * du + ib * dv;
            let y = -ib * du + ia * dv;
            let (x0, y0) = (x.floor(), y.floor());
            let (wx, wy) = (x - x0, y - y0);
            let (x0, y0) = (x0 as i64, y0 as i64);
            let o = ((v * width + u) * 3) as usize;
            for c in 0..3 {
                let top = px(x0, y0, c) * (1.0 - wx) + px(x0 + 1, y0, c) * wx;
                let bot = px(x0, y0 + 1, c) * (1.0 - wx) + px(x0 + 1, y0 + 1, c) * wx;
                buf[o + c] = (top * (1.0 - wy) + bot * wy).round().clamp(0.0, 255.0) as u8;
            }
        }
    }
    out
}

/// Aligns a face: fits the five `landmarks` onto `template` and warps the photo
/// into a `width`×`height` crop (112×112 for SFace). Returns `None` when the
/// landmarks are degenerate (all at one point).
pub fn align_face(
    img: &RgbImage,
    landmarks: &[[f32; 2]; 5],
    template: &[[f32; 2]; 5],
    width: u32,
    height: u32,
) -> Option<RgbImage> {
    let t = Similarity::estimate(landmarks, template)?;
    Some(warp(img, &t, width, height))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_a_known_similarity() {
        let t = Similarity {
            a: 0.8,
            b: 0.3,
            tx: 5.0,
            ty: -2.0,
        };
        let src = [
            [10.0, 20.0],
            [50.0, 22.0],
            [30.0, 40.0],
            [15.0, 60.0],
            [45.0, 61.0],
        ];
        let dst: Vec<[f32; 2]> = src.iter().map(|p| t.apply(*p)).collect();
        let e = Similarity::estimate(&src, &dst).expect("fit");
        assert!((e.a - t.a).abs() < 1e-4 && (e.b - t.b).abs() < 1e-4);
        assert!((e.tx - t.tx).abs() < 1e-3 && (e.ty - t.ty).abs() < 1e-3);
    }
}
