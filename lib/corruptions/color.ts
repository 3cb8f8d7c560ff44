/**
 * HSV-based corruptions in closed form (docs/method.md §4.3.3 items 13–14, §6 item 10), exact for every pixel
 * including black and gray ones. HSV: V = max(R,G,B), S = (V − min)/V (0 when V = 0 or max = min), hue 0 for
 * gray pixels. On gray images these run through RGB replication and come back as luma (see `viaRgb`).
 *
 * @module
 */
import { clamp01, type Img, viaRgb } from "./image.ts";

function perPixel(img: Img, f: (r: number, g: number, b: number, out: Float32Array, o: number) => void): Img {
  return viaRgb(img, (rgb) => {
    const out = new Float32Array(rgb.data.length);
    for (let o = 0; o < out.length; o += 3) f(rgb.data[o], rgb.data[o + 1], rgb.data[o + 2], out, o);
    return { ...rgb, data: out };
  });
}

/**
 * brightness: V ← clip(V + c) with hue and saturation kept: x′ = x·min(V + c, 1)/V, and (c, c, c) for black
 * pixels. On gray images this is clip(x + c).
 */
export function brightness(img: Img, c: number): Img {
  return perPixel(img, (r, g, b, out, o) => {
    const v = Math.max(r, g, b);
    const v2 = clamp01(v + c);
    if (v === 0) out.fill(v2, o, o + 3);
    else {
      out[o] = clamp01((r * v2) / v);
      out[o + 1] = clamp01((g * v2) / v);
      out[o + 2] = clamp01((b * v2) / v);
    }
  });
}

/**
 * saturate (extra): S ← clip(S·mult + add) with hue and value kept: x′_k = V − (V − x_k)·S′/S for S > 0;
 * pixels with S = 0 have hue 0 (red), so they become (V, V(1−S′), V(1−S′)).
 */
export function saturate(img: Img, mult: number, add: number): Img {
  return perPixel(img, (r, g, b, out, o) => {
    const v = Math.max(r, g, b);
    const mn = Math.min(r, g, b);
    const s = v === 0 || v === mn ? 0 : (v - mn) / v;
    const s2 = clamp01(s * mult + add);
    if (s === 0) {
      out[o] = v;
      out[o + 1] = out[o + 2] = v * (1 - s2);
    } else {
      out[o] = clamp01(v - ((v - r) * s2) / s);
      out[o + 1] = clamp01(v - ((v - g) * s2) / s);
      out[o + 2] = clamp01(v - ((v - b) * s2) / s);
    }
  });
}
