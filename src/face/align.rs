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

/// The five reference points (left eye, right eye, nose tip, left and right mouth corner) of the
/// 112×112 ArcFace crop, in crop pixels — insightface's `arcface_dst`, the alignment SFace and
/// ArcFace templates are computed on.
pub const ARCFACE_112: [[f32; 2]; 5] = [
    [38.2946, 51.6963],
    [73.5318, 51.5014],
    [56.0252, 71.7366],
    [41.5493, 92.3655],
    [70.7299, 92.2041],
];

/// Share of a comparison crop's side that the 112-px template area fills: the rest is margin,
/// so hairline, ears and chin stay in view for the examiner.
const COMPARISON_FILL: f32 = 0.625;

/// The similarity transform of a comparison crop: the five `landmarks` (photo pixels) mapped
/// onto [`ARCFACE_112`] scaled to fill [`COMPARISON_FILL`] of a `size`×`size` crop, centred.
/// The same 5-point alignment as the template crop, so a probe crop and a candidate crop of
/// equal `size` put the eyes, nose and mouth at the same place. `None` when the landmarks are
/// degenerate.
pub fn comparison_transform(landmarks: &[[f32; 2]; 5], size: u32) -> Option<Similarity> {
    let s = size as f32 * COMPARISON_FILL / 112.0;
    let offset = size as f32 * (1.0 - COMPARISON_FILL) / 2.0;
    let mut dst = ARCFACE_112;
    for p in &mut dst {
        *p = [p[0] * s + offset, p[1] * s + offset];
    }
    Similarity::estimate(landmarks, &dst)
}

/// A `size`×`size` aligned crop of a face for side-by-side comparison (see
/// [`comparison_transform`]); black outside the photo. `None` when the landmarks are degenerate.
pub fn comparison_crop(img: &RgbImage, landmarks: &[[f32; 2]; 5], size: u32) -> Option<RgbImage> {
    let t = comparison_transform(landmarks, size)?;
    Some(warp(img, &t, size, size))
}

/// A `size`×`size` crop centred on a face box `[x, y, width, height]` (photo pixels) with a
/// margin of a quarter of the box on each side, for a face stored without landmarks (probes
/// analysed before landmarks were kept). Not aligned; black outside the photo.
pub fn box_crop(img: &RgbImage, bbox: [f32; 4], size: u32) -> RgbImage {
    let [x, y, w, h] = bbox;
    let side = w.max(h) * 1.5;
    let (cx, cy) = (x + w / 2.0, y + h / 2.0);
    let a = if side > 0.0 { size as f32 / side } else { 1.0 };
    let t = Similarity {
        a,
        b: 0.0,
        tx: size as f32 / 2.0 - a * cx,
        ty: size as f32 / 2.0 - a * cy,
    };
    warp(img, &t, size, size)
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

    #[test]
    fn comparison_crops_put_the_eyes_at_the_same_place() {
        // Two faces of different size and tilt land with their eyes on the same crop pixels.
        let base = ARCFACE_112;
        let a = Similarity {
            a: 2.0,
            b: 0.3,
            tx: 40.0,
            ty: 10.0,
        };
        let b = Similarity {
            a: 0.7,
            b: -0.2,
            tx: 5.0,
            ty: 80.0,
        };
        let la: Vec<[f32; 2]> = base.iter().map(|p| a.apply(*p)).collect();
        let lb: Vec<[f32; 2]> = base.iter().map(|p| b.apply(*p)).collect();
        let la: [[f32; 2]; 5] = la.try_into().expect("5");
        let lb: [[f32; 2]; 5] = lb.try_into().expect("5");
        let ta = comparison_transform(&la, 320).expect("fit");
        let tb = comparison_transform(&lb, 320).expect("fit");
        for i in 0..5 {
            let (pa, pb) = (ta.apply(la[i]), tb.apply(lb[i]));
            assert!((pa[0] - pb[0]).abs() < 0.01 && (pa[1] - pb[1]).abs() < 0.01);
        }
        // The left eye sits at 38.29/112 of the template area inside a 320-px crop.
        let eye = ta.apply(la[0]);
        let expected = 320.0 * 0.1875 + 38.2946 * 320.0 * 0.625 / 112.0;
        assert!((eye[0] - expected).abs() < 0.01, "{eye:?}");
    }

    #[test]
    fn box_crop_centres_the_box() {
        let mut img = RgbImage::new(100, 100);
        img.put_pixel(50, 40, image::Rgb([255, 255, 255]));
        let crop = box_crop(&img, [40.0, 30.0, 20.0, 20.0], 30);
        // The box centre (50, 40) maps to the crop centre (15, 15).
        assert!(crop.get_pixel(15, 15)[0] > 0);
    }
}
