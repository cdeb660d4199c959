//! YuNet pre- and post-processing (the model run itself is in `engine`).

use image::RgbImage;

use crate::face::manifest::{ColourOrder, ModelSpec};
use crate::face::types::{DetectedFace, FaceBox};

/// Letterboxed model input: NCHW f32 plus the scale from photo to input pixels.
pub(crate) struct Letterbox {
    pub data: Vec<f32>,
    pub scale: f32,
    /// Input width and height in pixels (the NCHW buffer is 3 x height x width).
    pub width: u32,
    pub height: u32,
}

/// The detector input for a `w` x `h` photo: (input width, input height, scale from photo
/// pixels to input pixels).
///
/// Fixed models: the manifest's input size, the photo fitted inside it. Models with
/// `input_multiple` m: the photo at its own size — scaled down to fit `input_width` x
/// `input_height`, scaled up only until its longer side reaches `input_min_side` — with each
/// side padded up to a multiple of m. A 250x250 LFW photo with min side 320 runs at 320x320
/// (scale 1.28) instead of 640x640; 1920x1080 runs at 640x384 (scale 1/3).
pub(crate) fn input_size(w: u32, h: u32, spec: &ModelSpec) -> (u32, u32, f32) {
    let (wf, hf) = (w.max(1) as f32, h.max(1) as f32);
    let fit = (spec.input_width as f32 / wf).min(spec.input_height as f32 / hf);
    let Some(m) = spec.input_multiple.filter(|m| *m > 0) else {
        return (spec.input_width, spec.input_height, fit);
    };
    let grow = spec.input_min_side.unwrap_or(0) as f32 / wf.max(hf);
    let scale = fit.min(grow.max(1.0));
    let side = |v: f32, max: u32| -> u32 {
        let scaled = (v * scale).round().max(1.0) as u32;
        (scaled.div_ceil(m) * m).clamp(m, max.max(m))
    };
    (
        side(wf, spec.input_width),
        side(hf, spec.input_height),
        scale,
    )
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

/// Resizes `img` to fit the model input ([`input_size`]; keeping the aspect ratio,
/// anchored at the top-left corner, zero padding) and writes it as NCHW f32 in the
/// model's colour order and normalisation.
pub(crate) fn letterbox(img: &RgbImage, spec: &ModelSpec) -> Letterbox {
    let (in_w, in_h, scale) = input_size(img.width(), img.height(), spec);
    let (iw, ih) = (in_w as usize, in_h as usize);
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
    Letterbox {
        data,
        scale,
        width: in_w,
        height: in_h,
    }
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
/// `input` is the (width, height) the model ran at.
pub(crate) fn decode(
    outputs: &[StrideOutput<'_>],
    input: (u32, u32),
    letterbox_scale: f32,
    threshold: f32,
    nms_iou: f32,
    photo_w: u32,
    photo_h: u32,
) -> Vec<DetectedFace> {
    let mut faces = Vec::new();
    let inv = 1.0 / letterbox_scale;
    for o in outputs {
        let cols = (input.0 / o.stride) as usize;
        let rows = (input.1 / o.stride) as usize;
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

/// Letterboxes a photo into the detector input (for benchmarks): returns the
/// NCHW f32 buffer length.
pub fn letterbox_for_bench(
    img: &image::RgbImage,
    spec: &crate::face::manifest::ModelSpec,
) -> usize {
    letterbox(img, spec).data.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(multiple: Option<u32>, min_side: Option<u32>) -> ModelSpec {
        let toml = format!(
            "id = \"yunet\"\nversion = \"t\"\nkind = \"detector\"\nfile = \"x.onnx\"\n\
             input_name = \"input\"\ninput_width = 640\ninput_height = 640\n{}{}\
             colour_order = \"BGR\"\nmean = [0.0, 0.0, 0.0]\nstd = [1.0, 1.0, 1.0]\n",
            multiple
                .map(|m| format!("input_multiple = {m}\n"))
                .unwrap_or_default(),
            min_side
                .map(|m| format!("input_min_side = {m}\n"))
                .unwrap_or_default(),
        );
        toml::from_str(&toml).expect("spec")
    }

    #[test]
    fn a_fixed_detector_always_gets_its_own_input_size() {
        let s = spec(None, None);
        assert_eq!(input_size(250, 250, &s), (640, 640, 2.56));
        let (w, h, k) = input_size(1920, 1080, &s);
        assert_eq!((w, h), (640, 640));
        assert!((k - 1.0 / 3.0).abs() < 1e-6);
    }

    #[test]
    fn a_dynamic_detector_runs_near_the_photos_own_size() {
        let s = spec(Some(32), Some(320));
        // Small photo: grown until its longer side is 320, padded to multiples of 32.
        assert_eq!(input_size(250, 250, &s), (320, 320, 1.28));
        let (w, h, k) = input_size(250, 180, &s);
        assert_eq!((w, h), (320, 256));
        assert!((k - 1.28).abs() < 1e-6);
        // Mid-size photo: its own size, padded; never scaled.
        assert_eq!(input_size(500, 333, &s), (512, 352, 1.0));
        // Large photo: scaled down to fit 640, like the fixed model.
        let (w, h, k) = input_size(1920, 1080, &s);
        assert_eq!((w, h), (640, 384));
        assert!((k - 1.0 / 3.0).abs() < 1e-6);
        // Every side is a multiple of 32 and at least 32.
        for (pw, ph) in [(1, 1), (33, 700), (4000, 10), (641, 641)] {
            let (w, h, _) = input_size(pw, ph, &s);
            assert!(
                w % 32 == 0 && h % 32 == 0 && w >= 32 && h >= 32,
                "{pw}x{ph}"
            );
            assert!(w <= 640 && h <= 640);
        }
    }

    #[test]
    fn letterbox_fills_exactly_the_chosen_input() {
        let s = spec(Some(32), Some(320));
        let img = RgbImage::from_pixel(250, 180, image::Rgb([10, 20, 30]));
        let lb = letterbox(&img, &s);
        assert_eq!((lb.width, lb.height), (320, 256));
        assert_eq!(lb.data.len(), 3 * 320 * 256);
        // BGR order: channel 0 is blue; padding (beyond 320x230) stays 0.
        assert_eq!(lb.data[0], 30.0);
        assert_eq!(lb.data[2 * 320 * 256], 10.0);
        assert_eq!(lb.data[320 * 255 + 10], 0.0);
    }
}
