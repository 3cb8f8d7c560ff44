import assert from "node:assert/strict";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { IDX_FILES } from "../../../lib/data/catalog.ts";
import { sha256Hex } from "../../../lib/data/digest.ts";
import { downloadVerified } from "../../../lib/data/download.ts";
import {
  loadCifar10,
  loadIdxSource,
  loadTinyImagenet,
  locateFashionMnist,
} from "../../../lib/data/sources.ts";
import { encodeCifar, encodeIdx, solidJpeg } from "./helpers.ts";

const all = (n: number) => Uint32Array.from({ length: n }, (_, i) => i);

/** Serves `body` for every request on 127.0.0.1 until the returned close() is called. */
function serve(body: Uint8Array, status = 200) {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response(body as Uint8Array<ArrayBuffer>, { status }),
  );
  return { url: `http://127.0.0.1:${server.addr.port}/`, close: () => server.shutdown() };
}

Deno.test("loadIdxSource reads gz and raw files, digests content, checks pins", async () => {
  const dir = await Deno.makeTempDir();
  const trainImages = encodeIdx([2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]);
  await Deno.writeFile(join(dir, `${IDX_FILES.trainImages}.gz`), gzipSync(trainImages));
  await Deno.writeFile(join(dir, IDX_FILES.trainLabels), encodeIdx([2], [1, 0]));
  await Deno.writeFile(join(dir, IDX_FILES.testImages), encodeIdx([1, 2, 2], [9, 9, 9, 9]));
  await Deno.writeFile(join(dir, `${IDX_FILES.testLabels}.gz`), gzipSync(encodeIdx([1], [1])));
  const src = await loadIdxSource(dir, ["a", "b"]);
  assert.deepEqual(src.shape, [2, 2, 1]);
  const train = await src.train.read(Uint32Array.from([1, 0]));
  assert.deepEqual([...train.images], [5, 6, 7, 8, 1, 2, 3, 4]);
  assert.deepEqual([...train.labels], [0, 1]);
  assert.equal(src.digests.get(IDX_FILES.trainImages), await sha256Hex(trainImages));
  const pins = Object.fromEntries([...src.digests]);
  await loadIdxSource(dir, ["a", "b"], pins);
  pins[IDX_FILES.testLabels] = "0".repeat(64);
  await assert.rejects(
    loadIdxSource(dir, ["a", "b"], pins),
    /t10k-labels-idx1-ubyte\.gz: content sha256 .* does not match the pinned/,
  );
  await Deno.remove(join(dir, IDX_FILES.testImages));
  await assert.rejects(loadIdxSource(dir, ["a", "b"]), /t10k-images-idx3-ubyte\[\.gz\] not found/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("loadCifar10 concatenates the five batches in order and reads the test batch", async () => {
  const dir = await Deno.makeTempDir();
  const names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];
  await Deno.writeTextFile(join(dir, "batches.meta.txt"), names.join("\n") + "\n");
  for (let b = 1; b <= 5; b++) {
    await Deno.writeFile(
      join(dir, `data_batch_${b}.bin`),
      encodeCifar([b, b + 1], (i, c) => b * 10 + i * 3 + c),
    );
  }
  await Deno.writeFile(join(dir, "test_batch.bin"), encodeCifar([9], () => 77));
  const src = await loadCifar10(dir);
  assert.deepEqual(src.classes, names);
  assert.deepEqual([...src.train.labels], [1, 2, 2, 3, 3, 4, 4, 5, 5, 6]);
  const t = await src.train.read(Uint32Array.from([3]));
  // Record 3 is batch 2, image 1: channel c of every pixel is 2*10 + 1*3 + c.
  assert.deepEqual([...t.images.subarray(0, 6)], [23, 24, 25, 23, 24, 25]);
  assert.deepEqual([...(await src.test.read(all(1))).labels], [9]);
  assert.equal(src.digests.size, 7);
  await Deno.remove(join(dir, "data_batch_4.bin"));
  await assert.rejects(loadCifar10(dir), /data_batch_4\.bin not found \(part of the CIFAR-10 binary release/);
  await Deno.remove(dir, { recursive: true });
});

/** A two-class Tiny ImageNet tree of 64x64 solid-colour JPEGs; colour encodes class and image. */
async function tinyTree(): Promise<string> {
  const dir = await Deno.makeTempDir();
  const wnids = ["n002", "n001"];
  await Deno.writeTextFile(join(dir, "wnids.txt"), wnids.join("\n") + "\n");
  await Deno.writeTextFile(join(dir, "words.txt"), "n001\tcat, moggy\nn002\tdog\nn003\tunused\n");
  for (const [c, w] of wnids.entries()) {
    await Deno.mkdir(join(dir, "train", w, "images"), { recursive: true });
    for (let i = 0; i < 2; i++) {
      await Deno.writeFile(
        join(dir, "train", w, "images", `${w}_${i}.JPEG`),
        solidJpeg(64, 64, [c * 100, i * 100, 50]),
      );
    }
  }
  await Deno.mkdir(join(dir, "val", "images"), { recursive: true });
  await Deno.writeFile(join(dir, "val", "images", "val_0.JPEG"), solidJpeg(64, 64, [250, 0, 0]));
  await Deno.writeFile(join(dir, "val", "images", "val_1.JPEG"), solidJpeg(64, 64, [0, 0, 250]));
  await Deno.writeTextFile(
    join(dir, "val", "val_annotations.txt"),
    "val_0.JPEG\tn001\t0\t0\t63\t63\nval_1.JPEG\tn002\t0\t0\t9\t9\n",
  );
  return dir;
}

Deno.test("loadTinyImagenet walks the layout, labels by wnids.txt order, decodes only what is read", async () => {
  const dir = await tinyTree();
  const src = await loadTinyImagenet(dir);
  assert.deepEqual(src.classes, ["dog", "cat, moggy"]);
  assert.deepEqual(src.shape, [64, 64, 3]);
  assert.deepEqual([...src.train.labels], [0, 0, 1, 1]);
  assert.deepEqual([...src.test.labels], [1, 0]);
  assert.equal(src.digests.size, 3); // the text files only, so far
  const t = await src.train.read(Uint32Array.from([3]));
  const near = (got: number, want: number) => Math.abs(got - want) <= 3;
  assert.ok(
    near(t.images[0], 100) && near(t.images[1], 100) && near(t.images[2], 50),
    `${t.images.subarray(0, 3)}`,
  );
  assert.ok(src.digests.has(join("train", "n001", "images", "n001_1.JPEG")));
  const v = await src.test.read(all(2));
  assert.ok(near(v.images[0], 250) && near(v.images[64 * 64 * 3 + 2], 250));
  await Deno.writeTextFile(join(dir, "val", "val_annotations.txt"), "val_0.JPEG\tn009\t0\t0\t1\t1\n");
  await assert.rejects(
    loadTinyImagenet(dir),
    /val_annotations\.txt: no known class for val image val_0\.JPEG \(wnid n009\)/,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("downloadVerified saves only bytes whose checksum matches", async () => {
  const body = new Uint8Array(gzipSync(new TextEncoder().encode("payload")));
  const s = serve(body);
  const dir = await Deno.makeTempDir();
  try {
    await downloadVerified(`${s.url}f.gz`, join(dir, "ok.gz"), await sha256Hex(body));
    assert.deepEqual(await Deno.readFile(join(dir, "ok.gz")), body);
    await downloadVerified(`${s.url}f.gz`, join(dir, "ok2.gz"), await sha256Hex("payload"), "gunzipped");
    await assert.rejects(
      downloadVerified(`${s.url}f.gz`, join(dir, "bad.gz"), "0".repeat(64)),
      /checksum mismatch for http:\/\/127\.0\.0\.1:\d+\/f\.gz: expected sha256 0{64}, got [0-9a-f]{64}; the file was not saved/,
    );
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), ["ok.gz", "ok2.gz"]);
  } finally {
    await s.close();
  }
  const missing = serve(new Uint8Array(0), 404);
  await assert.rejects(
    downloadVerified(`${missing.url}x`, join(dir, "x"), "0".repeat(64)),
    /download of .* failed: HTTP 404/,
  );
  await missing.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("locateFashionMnist: data.dir, then Debian, then a verified download, else how to get it", async () => {
  const empty = await Deno.makeTempDir();
  await assert.rejects(
    locateFashionMnist({ dir: empty, cacheDir: empty }),
    /data\.dir .* does not hold the four Fashion-MNIST IDX files/,
  );
  // A server that returns the wrong bytes: the pinned checksum must reject them and nothing is kept.
  const s = serve(new Uint8Array(gzipSync(encodeIdx([1], [0]))));
  const cacheDir = join(empty, "cache");
  try {
    await assert.rejects(
      locateFashionMnist({ debianDir: join(empty, "no-debian"), cacheDir, baseUrl: s.url }),
      (e: Error) => {
        assert.match(
          e.message,
          /checksum mismatch for http:\/\/127\.0\.0\.1:\d+\/train-images-idx3-ubyte\.gz/,
        );
        assert.match(e.message, /apt-get install dataset-fashion-mnist/);
        assert.match(e.message, /set data\.dir/);
        return true;
      },
    );
    assert.deepEqual([...Deno.readDirSync(cacheDir)], []);
  } finally {
    await s.close();
  }
  await Deno.remove(empty, { recursive: true });
});
