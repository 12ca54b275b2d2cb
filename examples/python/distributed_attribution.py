#!/usr/bin/env python3
"""Distributed multi-touch attribution with Dask.

A paths CSV (ChannelAttribution format) is split into partitions.  Each
Dask worker PROCESS reads its partition straight into an attribution
partial through libfunnelcore (fnl_paths_read_partial) and returns the
partial saved as bytes (fnl_attribution_partial_save: small, versioned,
checksummed, machine independent).  The driver loads the partials, merges
them (fnl_attribution_partial_merge) and finishes each model: the result
is bit for bit the single-process result, Markov and Shapley included.

    PYTHONPATH=bindings/python python3 examples/python/distributed_attribution.py \
        [--paths FILE] [--partitions N] [--json]

Without --paths, journeys are generated deterministically.  --json prints
every row of every model with conversions and value as float.hex() (the
test compares them with a single-process run).  On a real cluster the same
code runs against distributed.Client("scheduler:8786") (see
docs/bindings.md).
"""
import argparse
import json
import os
import random
import sys
import tempfile
import time

MODELS = ["first", "last", "linear", "u_shaped", "markov", "shapley"]
VALUE_DECIMALS = 2


def partial_bytes(path, models, value_decimals):
    """Runs on a worker: one partition file -> a saved partial."""
    import funnelcore as fc  # imported in the worker process
    with fc.AttributionPartial(models, value_decimals=value_decimals) as p:
        p.read_paths(path)
        return os.getpid(), p.save()


def generate(path, n, seed=2026):
    """n deterministic journeys over six channels."""
    rnd = random.Random(seed)
    chans = ["paid_search", "email", "organic_search", "paid_social",
             "events", "direct"]
    with open(path, "w") as f:
        f.write("path,total_conversions,total_conversion_value,total_null\n")
        for _ in range(n):
            steps = [rnd.choice(chans) for _ in range(rnd.randint(1, 6))]
            conv = rnd.choice((0, 0, 1, 1, 2))
            value = f"{conv * rnd.randint(500, 90000)}.{rnd.randint(0, 99):02d}" \
                if conv else "0"
            f.write(f"{' > '.join(steps)},{conv},{value},{rnd.randint(0, 4)}\n")


def split(path, parts, outdir):
    """Partition files of the paths CSV (each with the header)."""
    with open(path) as f:
        header, *rows = f.read().splitlines()
    files = []
    size = (len(rows) + parts - 1) // parts
    for k in range(parts):
        out = os.path.join(outdir, f"part-{k:03d}.csv")
        with open(out, "w") as f:
            f.write("\n".join([header] + rows[k * size:(k + 1) * size]) + "\n")
        files.append(out)
    return files


def run(paths, parts, workdir):
    import funnelcore as fc
    from distributed import Client, LocalCluster

    files = split(paths, parts, workdir)
    t0 = time.monotonic()
    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                      dashboard_address=None) as cluster, \
            Client(cluster) as client:
        started = time.monotonic() - t0
        futures = client.map(partial_bytes, files, models=MODELS,
                             value_decimals=VALUE_DECIMALS, pure=False)
        results = client.gather(futures)
    pids = {pid for pid, _ in results}
    merged = fc.AttributionPartial.load(results[0][1])
    for _, blob in results[1:]:
        with fc.AttributionPartial.load(blob) as p:
            merged.merge(p)
    out = {m: merged.finish(m) for m in MODELS}
    merged.close()
    info = {"partitions": parts, "workers": len(pids),
            "driver_pid": os.getpid(), "worker_pids": sorted(pids),
            "partial_bytes": [len(b) for _, b in results],
            "cluster_start_s": round(started, 2)}
    return out, info


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--paths")
    ap.add_argument("--journeys", type=int, default=20000)
    ap.add_argument("--partitions", type=int, default=8)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as d:
        paths = a.paths
        if paths is None:
            paths = os.path.join(d, "paths.csv")
            generate(paths, a.journeys)
        results, info = run(paths, a.partitions, d)
    if a.json:
        json.dump({"info": info, "models": {
            m: [[r.key, r.conversions.hex(), r.value.hex()] for r in res.rows]
            for m, res in results.items()}}, sys.stdout)
        print()
        return 0
    print(f"{info['partitions']} partitions on {info['workers']} worker "
          f"processes; partials of {min(info['partial_bytes'])}-"
          f"{max(info['partial_bytes'])} bytes")
    for m, res in results.items():
        print(f"{m:10s} " + "  ".join(f"{r.key} {r.conversions:.2f}"
                                      for r in res.rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
