"""The peer of bench/eigen.ts: NumPy's eigvalsh (LAPACK) on the matrices that script wrote, one thread.

Usage: OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python3 bench/eigen_numpy.py FILE N COUNT REPS
FILE holds COUNT row-major N×N float64 matrices. Prints one JSON line: the best of REPS passes over all
matrices, in ms per matrix, and the eigenvalues of the first matrix (descending).
"""
import json
import sys
import time

import numpy as np

path, n, count, reps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
mats = np.fromfile(path, dtype=np.float64).reshape(count, n, n)
best = float("inf")
for _ in range(reps):
    t0 = time.perf_counter()
    for m in mats:
        np.linalg.eigvalsh(m)
    best = min(best, (time.perf_counter() - t0) / count * 1000)
first = np.sort(np.linalg.eigvalsh(mats[0]))[::-1]
print(json.dumps({"ms": best, "first": first.tolist()}))
