/**
 * Pure parsing for Tiny ImageNet (200 classes, 64×64 RGB JPEGs): the text files `wnids.txt`, `words.txt`,
 * `val/val_annotations.txt`, and JPEG decoding. The folder walk is in `sources.ts`.
 *
 * Some Tiny ImageNet JPEGs are grayscale; decoding always yields 3 channels (gray copied to R, G and B).
 *
 * @module
 */
import jpeg from "jpeg-js";
import type { ImageShape } from "./dataset.ts";

/** Shape of one Tiny ImageNet image. */
export const TINY_IMAGENET_SHAPE: ImageShape = [64, 64, 3];

function lines(text: string): string[] {
  return text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
}

/** The class ids (WordNet ids such as `n01443537`) of `wnids.txt`, in file order, which fixes label numbers. */
export function parseWnids(text: string, file: string): string[] {
  const wnids = lines(text);
  if (wnids.length === 0) throw new Error(`${file}: no class ids found (expected one WordNet id per line)`);
  const seen = new Set<string>();
  for (const w of wnids) {
    if (/\s/.test(w)) throw new Error(`${file}: line "${w}" is not a single WordNet id`);
    if (seen.has(w)) throw new Error(`${file}: class id ${w} is listed twice`);
    seen.add(w);
  }
  if (wnids.length > 256) {
    throw new Error(`${file}: ${wnids.length} classes do not fit uint8 labels (max 256)`);
  }
  return wnids;
}

/** The `wnid<TAB>description` lines of `words.txt` as a map. */
export function parseWords(text: string, file: string): Map<string, string> {
  const words = new Map<string, string>();
  for (const line of lines(text)) {
    const tab = line.indexOf("\t");
    if (tab < 0) throw new Error(`${file}: line "${line}" has no tab between WordNet id and description`);
    words.set(line.slice(0, tab), line.slice(tab + 1).trim());
  }
  return words;
}

/** Human-readable class names: the `words.txt` description of each wnid, or the wnid where it has none. */
export function classNames(wnids: string[], words: Map<string, string>): string[] {
  return wnids.map((w) => words.get(w) || w);
}

/**
 * The image file → wnid map of `val/val_annotations.txt` (tab-separated: file, wnid, then a bounding box that
 * is ignored).
 */
export function parseValAnnotations(text: string, file: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of lines(text)) {
    const [image, wnid] = line.split("\t");
    if (!image || !wnid) throw new Error(`${file}: line "${line}" is not "<image>\\t<wnid>\\t…"`);
    out.set(image, wnid);
  }
  return out;
}

/**
 * Decodes a JPEG to HWC RGB bytes and checks its size. Grayscale JPEGs come back with 3 equal channels.
 *
 * @example
 * ```ts
 * const rgb = decodeJpegRgb(await Deno.readFile(path), path, 64, 64); // 64·64·3 bytes
 * ```
 */
export function decodeJpegRgb(bytes: Uint8Array, file: string, height: number, width: number): Uint8Array {
  let img: { width: number; height: number; data: Uint8Array };
  try {
    img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, tolerantDecoding: false });
  } catch (e) {
    throw new Error(`${file}: cannot decode JPEG (${(e as Error).message})`);
  }
  if (img.width !== width || img.height !== height) {
    throw new Error(`${file}: image is ${img.width}x${img.height}, expected ${width}x${height}`);
  }
  return img.data;
}
