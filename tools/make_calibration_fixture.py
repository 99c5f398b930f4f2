#!/usr/bin/env python3
"""Writes the fixture the calibration statistics are tested against (numpy, not our code).

Tests/Fixtures/calibration/activations.f32   the arrays, little-endian float32, back to back
Tests/Fixtures/calibration/expected.json     per array: offset, count, and what numpy computes

For each array numpy computes exactly, on the float32 values:
  - min, max;
  - percentiles of |x| (numpy's default linear interpolation);
  - the MSE-optimal symmetric int8 clipping threshold T: the T minimising the mean of
    (x - clip(round(x / s), -127, 127) * s)^2 with s = T / 127, found by a grid search
    over (0, max|x|] and a finer grid around the best point; plus that minimal MSE.
The Swift test feeds the same floats to ActivationStatistics (histogram-based) and
compares with the tolerances it states. Run: python3 tools/make_calibration_fixture.py
"""
import json
import pathlib

import numpy as np

OUT = pathlib.Path(__file__).resolve().parent.parent / "Tests" / "Fixtures" / "calibration"
COUNT = 8192
PERCENTILES = [50.0, 99.0, 99.99]
LEVELS = 127


def arrays():
    rng = np.random.default_rng(20261122)
    gaussian = rng.normal(0.3, 1.5, COUNT)
    # Heavy tails plus a few large outliers, as transformer activations have.
    laplace = rng.laplace(0.0, 0.8, COUNT)
    laplace[rng.choice(COUNT, 12, replace=False)] = rng.choice([-1, 1], 12) * rng.uniform(25, 60, 12)
    # Post-SwiGLU-like: many exact zeros... and near-zeros, one-sided bulk.
    relu = np.where(rng.random(COUNT) < 0.5, 0.0, rng.exponential(0.4, COUNT))
    relu[:: 7] *= -0.05
    return {"gaussian": gaussian, "laplace_outliers": laplace, "sparse_skewed": relu}


def mse(x, t):
    s = t / LEVELS
    q = np.clip(np.round(x / s), -LEVELS, LEVELS) * s
    return float(np.mean((x - q) ** 2))


def optimal_clip(x):
    m = float(np.max(np.abs(x)))
    grid = np.linspace(m / 4000, m, 4000)
    errors = np.array([mse(x, t) for t in grid])
    best = int(np.argmin(errors))
    step = grid[1] - grid[0]
    fine = np.linspace(max(grid[best] - 2 * step, m / 1e6), min(grid[best] + 2 * step, m), 4001)
    fine_errors = np.array([mse(x, t) for t in fine])
    i = int(np.argmin(fine_errors))
    return float(fine[i]), float(fine_errors[i])


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    blobs, entries, offset = [], [], 0
    for name, a in arrays().items():
        x = a.astype("<f4")
        xd = x.astype(np.float64)  # statistics of exactly the stored float32 values
        clip, err = optimal_clip(xd)
        entries.append({
            "name": name, "offset": offset, "count": int(x.size),
            "min": float(xd.min()), "max": float(xd.max()),
            "percentiles_abs": {str(p): float(np.percentile(np.abs(xd), p)) for p in PERCENTILES},
            "mse_clip": clip, "mse_at_clip": err,
        })
        blobs.append(x.tobytes())
        offset += x.size
    (OUT / "activations.f32").write_bytes(b"".join(blobs))
    (OUT / "expected.json").write_text(json.dumps({"levels": LEVELS, "arrays": entries}, indent=2) + "\n")
    print(json.dumps(entries, indent=2))


if __name__ == "__main__":
    main()
