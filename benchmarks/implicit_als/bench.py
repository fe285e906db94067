"""Peer benchmark: implicit's CPU ALS on a reko-synth interactions.csv.

Usage: bench.py DATA_DIR [--alpha 1.0] [--factors 64] [--iterations 15] [--threads 2] [--recommend N]

Work done (kept identical to what Reko's ALS is measured on):
* read USER_ID, ITEM_ID, EVENT_TYPE of DATA_DIR/interactions.csv (every event type counts);
* map ids to dense codes; count the events of every (user, item) pair;
* user x item CSR (float32) whose values are the confidences c_ui = 1 + alpha * count
  (alpha = 1.0 by default). implicit uses the matrix values as c_ui as they are (its own
  `alpha` parameter is left at 1.0, which means "no scaling"); absent pairs have c = 1, p = 0;
* AlternatingLeastSquares(factors=64, iterations=15, regularization=0.01, use_gpu=False,
  num_threads=2, calculate_training_loss=False), i.e. the conjugate-gradient solver with 3 CG
  steps per row (implicit's defaults, printed below), float32, random_state=42.

With `--recommend N` it then serves the first N users (ids in code order) their top 25, the items
they interacted with excluded (implicit's `filter_already_liked_items`, its default): one user per
call on one thread (latency p50/p99 and calls/s), then all N in one batch call with the bench's
threads (users/s). Printed as `implicit serving ...`.

Prints `implicit seconds_per_iteration=X total=Y` (X: mean of the per-iteration wall times
implicit reports to the fit callback; Y: wall time of the whole `fit` call, including its
transpose and initialisation), the process CPU time of the fit (all threads; robust to a shared
machine) and the peak RSS.
"""

import argparse
import os
import platform
import resource
import sys
import time


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data_dir")
    ap.add_argument("--alpha", type=float, default=1.0)
    ap.add_argument("--factors", type=int, default=64)
    ap.add_argument("--iterations", type=int, default=15)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--recommend", type=int, default=0, help="users to serve after the fit (0: none)")
    args = ap.parse_args()

    import numpy as np
    import pandas as pd
    import scipy
    import scipy.sparse as sp
    import threadpoolctl
    import implicit
    from implicit.als import AlternatingLeastSquares

    print(f"machine: {cpu_model()}, nproc={os.cpu_count()}, loadavg={os.getloadavg()}")
    print(
        f"python {platform.python_version()}, implicit {implicit.__version__}, numpy {np.__version__}, "
        f"scipy {scipy.__version__}, pandas {pd.__version__}"
    )
    for var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        print(f"env {var}={os.environ.get(var, '<unset>')}")
    print("threadpoolctl:")
    for info in threadpoolctl.threadpool_info():
        keys = ("user_api", "internal_api", "version", "architecture", "num_threads", "threading_layer", "filepath")
        print("  " + ", ".join(f"{k}={info.get(k)}" for k in keys))

    path = os.path.join(args.data_dir, "interactions.csv")
    t0 = time.perf_counter()
    df = pd.read_csv(
        path,
        usecols=["USER_ID", "ITEM_ID", "EVENT_TYPE"],
        dtype={"USER_ID": "category", "ITEM_ID": "category", "EVENT_TYPE": "category"},
        engine="c",
    )
    t_read = time.perf_counter() - t0
    t1 = time.perf_counter()
    users = df["USER_ID"].cat.codes.to_numpy().astype(np.int32)
    items = df["ITEM_ID"].cat.codes.to_numpy().astype(np.int32)
    n_users = len(df["USER_ID"].cat.categories)
    n_items = len(df["ITEM_ID"].cat.categories)
    events = {str(k): int(v) for k, v in df["EVENT_TYPE"].value_counts().items()}
    rows = len(df)
    del df
    # Duplicates are summed by tocsr(): the values are event counts per (user, item).
    counts = sp.coo_matrix((np.ones(rows, dtype=np.float32), (users, items)), shape=(n_users, n_items)).tocsr()
    counts.sum_duplicates()
    user_items = sp.csr_matrix(
        ((1.0 + args.alpha * counts.data).astype(np.float32), counts.indices, counts.indptr), shape=counts.shape
    )
    del users, items, counts
    t_csr = time.perf_counter() - t1
    print(
        f"data: {path} ({os.path.getsize(path)} bytes), rows={rows}, users={n_users}, items={n_items}, "
        f"nnz={user_items.nnz} (distinct user-item pairs), events={events}"
    )
    print(f"load: read_csv {t_read:.2f} s, codes+CSR {t_csr:.2f} s, peak RSS so far {peak_rss_mib():.0f} MiB")

    model = AlternatingLeastSquares(
        factors=args.factors,
        iterations=args.iterations,
        regularization=0.01,
        use_gpu=False,
        num_threads=args.threads,
        calculate_training_loss=False,
        random_state=42,
    )
    print(
        f"model: {type(model).__module__}.{type(model).__name__} factors={model.factors} "
        f"iterations={model.iterations} regularization={model.regularization} alpha={model.alpha} "
        f"use_native={model.use_native} use_cg={model.use_cg} cg_steps={model.cg_steps} "
        f"dtype={model.dtype} num_threads={model.num_threads}"
    )
    per_iter = []
    cpu_marks = [time.process_time()]

    def callback(iteration, elapsed, loss):
        per_iter.append(elapsed)
        cpu_marks.append(time.process_time())
        print(
            f"  iteration {iteration + 1}: {elapsed:.3f} s wall, {cpu_marks[-1] - cpu_marks[-2]:.2f} s CPU "
            f"(all threads), loadavg {os.getloadavg()[0]:.2f}",
            flush=True,
        )

    t2 = time.perf_counter()
    cpu_marks[0] = time.process_time()
    model.fit(user_items, show_progress=False, callback=callback)
    total = time.perf_counter() - t2
    cpu_total = time.process_time() - cpu_marks[0]
    assert len(per_iter) == args.iterations
    assert model.user_factors.shape == (n_users, args.factors)
    spi = sum(per_iter) / len(per_iter)
    print(
        f"per-iteration: mean {spi:.3f} s, min {min(per_iter):.3f} s, max {max(per_iter):.3f} s, "
        f"sum {sum(per_iter):.2f} s; loadavg={os.getloadavg()}"
    )
    # CPU seconds are much less sensitive to a shared machine than wall time: on an idle machine
    # the wall time per iteration is at best CPU-seconds / threads.
    print(f"CPU time of fit: {cpu_total:.1f} s, {cpu_total / args.iterations:.2f} CPU-s per iteration")
    print(f"implicit seconds_per_iteration={spi:.3f} total={total:.2f}")
    print(f"peak RSS {peak_rss_mib():.0f} MiB")
    if args.recommend > 0:
        serve(model, user_items, min(args.recommend, n_users))
    return 0


def serve(model, user_items, n):
    """implicit's serving path on the fitted model: single calls, then one batch call."""
    import numpy as np

    latencies = []
    for u in range(n):
        t = time.perf_counter()
        ids, _ = model.recommend(u, user_items[u], N=25)
        latencies.append(time.perf_counter() - t)
        assert len(ids) == 25
    latencies.sort()
    single = n / sum(latencies)
    p50 = latencies[len(latencies) // 2] * 1000.0
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000.0
    users = np.arange(n)
    t = time.perf_counter()
    ids, _ = model.recommend(users, user_items[users], N=25)
    batch = n / (time.perf_counter() - t)
    assert ids.shape == (n, 25)
    print(
        f"implicit serving items={user_items.shape[1]} single_calls_per_s={single:.0f} p50_ms={p50:.3f} "
        f"p99_ms={p99:.3f} batch_users_per_s={batch:.0f}"
    )


if __name__ == "__main__":
    sys.exit(main())
