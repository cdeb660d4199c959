//! YuNet pre- and post-processing (the model run itself is in `engine`).

use image::RgbImage;

use super::manifest::{ColourOrder, ModelSpec};
use super::{DetectedFace, FaceBox};

/// Letterboxed model input: NCHW f32 plus the scale from photo to input pixels.
pub(crate) struct Letterbox {
    pub data: Vec<f32>,
    pub scale: f32,
}

/// Integer box-filter downscale by `k` (area average), used before bilinear
/// resampling when a photo is more than twice the input size, so that large
/// photos are neither aliased nor slow to resize.
pub(crate) fn box_downsample(img: &RgbImage, k: u32) -> RgbImage {
    let (w, h) = (img.width() / k, img.height() / k);
    let src = img.as_raw();
    let sw = img.width() as usize;
    let mut out = vec![0u8; (w * h * 3) as usize];
    let kk = k * k;
    let k = k as usize;
    for oy in 0..h as usize {
        let mut acc = vec![0u32; w as usize * 3];
        for dy in 0..k {
            let row = &src[(oy * k + dy) * sw * 3..];
            for ox in 0..w as usize {
                let base = ox * k * 3;
                let (mut r, mut g, mut b) = (0u32, 0u32, 0u32);
                for dx in 0..k {
                    let p = base + dx * 3;
                    r += u32::from(row[p]);
                    g += u32::from(row[p + 1]);
                    b += u32::from(row[p + 2]);
                }
                acc[ox * 3] += r;
                acc[ox * 3 + 1] += g;
                acc[ox * 3 + 2] += b;
            }
        }
        let dst = &mut out[oy * w as usize * 3..(oy + 1) * w as usize * 3];
        for (d, a) in dst.iter_mut().zip(acc) {
            *d = ((a + kk / 2) / kk) as u8;
        }
    }
    RgbImage::from_raw(w, h, out).unwrap_or_else(|| RgbImage::new(w.max(1), h.max(1)))
}

/// Resizes `img` to fit the model input (keeping the aspect ratio, anchored at
/// the top-left corner, zero padding) and writes it as NCHW f32 in the model's
/// colour order and normalisation.
pub(crate) fn letterbox(img: &RgbImage, spec: &ModelSpec) -> Letterbox {
    let (iw, ih) = (spec.input_width as usize, spec.input_height as usize);
    let scale = (iw as f32 / img.width() as f32).min(ih as f32 / img.height() as f32);
    // Pre-shrink by an integer factor when the photo is much larger than the input.
    // (never below one pixel in either direction)
    let k = ((1.0 / scale).floor() as u32)
        .min(img.width())
        .min(img.height());
    let shrunk;
    let (src, pre) = if k >= 2 {
        shrunk = box_downsample(img, k);
        (&shrunk, k as f32)
    } else {
        (img, 1.0)
    };
    let ow = ((img.width() as f32 * scale).round() as usize).clamp(1, iw);
    let oh = ((img.height() as f32 * scale).round() as usize).clamp(1, ih);
    let plane = iw * ih;
    let mut data = vec![0.0f32; 3 * plane];
    // Padding must be the normalised value of a black pixel.
    for c in 0..3 {
        let v = (0.0 - spec.mean[c]) / spec.std[c];
        if v != 0.0 {
            data[c * plane..(c + 1) * plane].fill(v);
        }
    }
    let (sw, sh) = (src.width() as usize, src.height() as usize);
    let raw = src.as_raw();
    // Scale from output pixels to `src` pixels (half-pixel centres, like OpenCV).
    let fx = 1.0 / (scale * pre);
    let order: [usize; 3] = match spec.colour_order {
        ColourOrder::Rgb => [0, 1, 2],
        ColourOrder::Bgr => [2, 1, 0],
    };
    let xs: Vec<(usize, usize, f32)> = (0..ow)
        .map(|x| {
            let sx = ((x as f32 + 0.5) * fx - 0.5).clamp(0.0, (sw - 1) as f32);
            let x0 = sx.floor() as usize;
            let x1 = (x0 + 1).min(sw - 1);
            (x0 * 3, x1 * 3, sx - x0 as f32)
        })
        .collect();
    // Separable bilinear: each source row is resampled horizontally once (in
    // the model's channel order) and cached; output rows blend two cached rows.
    let hrow = |y: usize, out: &mut Vec<f32>| {
        out.clear();
        let r = &raw[y * sw * 3..(y + 1) * sw * 3];
        for &(a, b, w) in &xs {
            for &c in &order {
                let (p, q) = (f32::from(r[a + c]), f32::from(r[b + c]));
                out.push(p + (q - p) * w);
            }
        }
    };
    let (mut top, mut bot) = (Vec::with_capacity(ow * 3), Vec::with_capacity(ow * 3));
    let (mut top_y, mut bot_y) = (usize::MAX, usize::MAX);
    let inv_std = [1.0 / spec.std[0], 1.0 / spec.std[1], 1.0 / spec.std[2]];
    for y in 0..oh {
        let sy = ((y as f32 + 0.5) * fx - 0.5).clamp(0.0, (sh - 1) as f32);
        let y0 = sy.floor() as usize;
        let y1 = (y0 + 1).min(sh - 1);
        let wy = sy - y0 as f32;
        if top_y != y0 {
            if bot_y == y0 {
                std::mem::swap(&mut top, &mut bot);
                top_y = y0;
                bot_y = usize::MAX;
            } else {
                hrow(y0, &mut top);
                top_y = y0;
            }
        }
        if bot_y != y1 {
            hrow(y1, &mut bot);
            bot_y = y1;
        }
        for c in 0..3 {
            let dst = &mut data[c * plane + y * iw..c * plane + y * iw + ow];
            let (m, k) = (spec.mean[c], inv_std[c]);
            for (x, d) in dst.iter_mut().enumerate() {
                let (t, b) = (top[x * 3 + c], bot[x * 3 + c]);
                *d = (t + (b - t) * wy - m) * k;
            }
        }
    }
    Letterbox { data, scale }
}

/// Raw YuNet outputs for one stride: `cls`, `obj` (N), `bbox` (N×4), `kps` (N×10),
/// N = (input_w/stride)·(input_h/stride), row-major over the feature map.
pub(crate) struct StrideOutput<'a> {
    pub stride: u32,
    pub cls: &'a [f32],
    pub obj: &'a [f32],
    pub bbox: &'a [f32],
    pub kps: &'a [f32],
}

/// Decodes YuNet outputs into faces in photo pixels (dividing by the letterbox
/// scale), keeps those at or above `threshold`, and applies NMS at `nms_iou`.
pub(crate) fn decode(
    outputs: &[StrideOutput<'_>],
    spec: &ModelSpec,
    letterbox_scale: f32,
    threshold: f32,
    nms_iou: f32,
    photo_w: u32,
    photo_h: u32,
) -> Vec<DetectedFace> {
    let mut faces = Vec::new();
    let inv = 1.0 / letterbox_scale;
    for o in outputs {
        let cols = (spec.input_width / o.stride) as usize;
        let rows = (spec.input_height / o.stride) as usize;
        let n = (cols * rows)
            .min(o.cls.len())
            .min(o.obj.len())
            .min(o.bbox.len() / 4)
            .min(o.kps.len() / 10);
        let s = o.stride as f32;
        for i in 0..n {
            let score = (o.cls[i].clamp(0.0, 1.0) * o.obj[i].clamp(0.0, 1.0)).sqrt();
            if score < threshold {
                continue;
            }
            let (row, col) = ((i / cols) as f32, (i % cols) as f32);
            let b = &o.bbox[i * 4..i * 4 + 4];
            let cx = (col + b[0]) * s;
            let cy = (row + b[1]) * s;
            let w = b[2].exp() * s;
            let h = b[3].exp() * s;
            let k = &o.kps[i * 10..i * 10 + 10];
            let mut landmarks = [[0.0f32; 2]; 5];
            for (j, lm) in landmarks.iter_mut().enumerate() {
                *lm = [(k[2 * j] + col) * s * inv, (k[2 * j + 1] + row) * s * inv];
            }
            let x = ((cx - w / 2.0) * inv).max(0.0);
            let y = ((cy - h / 2.0) * inv).max(0.0);
            let x2 = ((cx + w / 2.0) * inv).min(photo_w as f32);
            let y2 = ((cy + h / 2.0) * inv).min(photo_h as f32);
            if x2 <= x || y2 <= y {
                continue;
            }
            faces.push(DetectedFace {
                bbox: FaceBox {
                    x,
                    y,
                    width: x2 - x,
                    height: y2 - y,
                },
                score,
                landmarks,
            });
        }
    }
    nms(faces, nms_iou)
}

/// Greedy non-maximum suppression, highest score first.
pub(crate) fn nms(mut faces: Vec<DetectedFace>, iou: f32) -> Vec<DetectedFace> {
    faces.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut kept: Vec<DetectedFace> = Vec::new();
    for f in faces {
        if kept.iter().all(|k| k.bbox.iou(&f.bbox) <= iou) {
            kept.push(f);
        }
    }
    kept
}
