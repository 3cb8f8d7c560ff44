/** Test fixture of wasm_simd_test.ts: a helper thread that never starts its loop (it exits at once). */
export {};
