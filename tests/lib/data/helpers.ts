/** Writers for test fixtures, written independently of the parsers under test. */
import jpeg from "jpeg-js";

/** An unsigned-byte IDX file: 00 00 08 ndims, big-endian dims, data. */
export function encodeIdx(dims: number[], data: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  out.set([0, 0, 0x08, dims.length]);
  dims.forEach((d, i) => new DataView(out.buffer).setUint32(4 + 4 * i, d, false));
  out.set(Array.from(data), 4 + 4 * dims.length);
  return out;
}

/** A CIFAR-10 binary record set: per image, the label then R, G, B planes of 1024 bytes each. */
export function encodeCifar(labels: number[], pixel: (i: number, c: number, y: number, x: number) => number) {
  const out = new Uint8Array(labels.length * 3073);
  labels.forEach((label, i) => {
    out[i * 3073] = label;
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < 32; y++) {
        for (let x = 0; x < 32; x++) out[i * 3073 + 1 + c * 1024 + y * 32 + x] = pixel(i, c, y, x);
      }
    }
  });
  return out;
}

/** A quality-100 JPEG of a solid RGB colour. */
export function solidJpeg(width: number, height: number, rgb: [number, number, number]): Uint8Array {
  const data = new Uint8Array(width * height * 4);
  for (let p = 0; p < width * height; p++) data.set([...rgb, 255], p * 4);
  return new Uint8Array(jpeg.encode({ data, width, height }, 100).data);
}
