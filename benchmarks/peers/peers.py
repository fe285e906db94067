"""Peer models for the quality comparison: tuned EASE and tuned implicit ALS on a given split.

Usage: peers.py DIR [DIR ...] [--models ease,implicit_als] [--als-search auto|grid|coarse]
       (normally through benchmarks/peers/run.sh, which sets up the venv and BLAS threads)

Each DIR holds one split, as written by `cargo bench -p reko-engine --bench self_tuning` with
REKO_PEERS_DIR set:
* train.csv  USER_ID,ITEM_ID,TIMESTAMP,EVENT_VALUE  training interactions (repeats allowed);
* test.csv   USER_ID,ITEM_ID  each evaluated user's relevant held-out items.

For each DIR and model:
1. a validation split is carved from train.csv only, the way Reko's temporal split cuts
   (users with >= 5 training rows lose their newest floor(20%) rows, at least 1; relevant =
   distinct held-out items not among the kept rows);
2. hyperparameters are chosen by validation NDCG@10
   - EASE (Steck 2019): lambda in LAMBDAS,
   - implicit ALS (CPU, float32, 15 iterations, random_state 42): factors x regularization x
     alpha, the full 48-point grid or a <= 16-point coordinate search on large sets;
3. the model is refitted on all of train.csv with the chosen values and scored on test.csv.

Metric, as Reko's offline evaluation: rank every item of train.csv by score, drop the user's
training items, take the top 10; NDCG@10 = sum over hits of 1/log2(1+pos) divided by the ideal
DCG of min(|relevant|, 10) hits; precision@10 = hits / 10; both averaged over test users.

Output: one JSON line per (dataset, model) on stdout, then a markdown table; progress on stderr.
JSON fields: dataset (DIR's name), model (ease | implicit_als), ndcg_at_10, precision_at_10,
tuned (chosen values), validation_ndcg_at_10 (of the chosen values), configs_tried, search (ALS),
tune_seconds, seconds (wall: tuning + refit + test scoring) and cpu_seconds (all threads; wall
times on a shared 2-core machine swing several-fold, the metrics are deterministic).
"""

import argparse
import itertools
import json
import os
import sys
import time

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.linalg import lapack
from threadpoolctl import threadpool_limits

K = 10
LAMBDAS = [10, 50, 100, 250, 500, 1000, 2000, 5000]
ALS_FACTORS = [32, 64, 128]
ALS_REGULARIZATION = [0.01, 0.1, 1, 10]
ALS_ALPHA = [1, 5, 20, 40]
ALS_ITERATIONS = 15
VALIDATION_FRACTION = 0.2
VALIDATION_MIN_ROWS = 5
# Dense score rows per batch: bounds the batch x items score matrix to ~160 MB of float64.
SCORE_CELLS = 20_000_000


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- data


class Split:
    """One fit/evaluate pair in dense indices over a fixed item catalogue (train.csv's items).

    users, items, values: every training row (repeats kept, so counts and value sums can be
    aggregated per pair); test_users: the evaluated users, ascending; relevant: sorted
    relevant_keys of their relevant items that are in the catalogue; num_relevant: per test
    user, |relevant| including items the catalogue lacks (never hit, but in the ideal DCG).
    """

    def __init__(self, n_users, n_items, users, items, values, test_users, relevant, num_relevant):
        self.n_users, self.n_items = n_users, n_items
        self.users, self.items, self.values = users, items, values
        self.test_users = test_users
        self.relevant = relevant
        self.num_relevant = num_relevant

    def counts(self):
        """user x item CSR of row counts (duplicates summed)."""
        m = sp.csr_matrix(
            (np.ones(len(self.users), dtype=np.float64), (self.users, self.items)),
            shape=(self.n_users, self.n_items),
        )
        m.sum_duplicates()
        return m

    def value_sums(self):
        """user x item CSR of summed EVENT_VALUEs (an empty value counts as 1)."""
        v = np.where(np.isnan(self.values), 1.0, self.values)
        m = sp.csr_matrix((v, (self.users, self.items)), shape=(self.n_users, self.n_items))
        m.sum_duplicates()
        return m

    def binary(self):
        m = self.counts()
        m.data[:] = 1.0
        return m


def load(dir_path):
    """Read DIR/train.csv and DIR/test.csv into the full-train Split (plus train timestamps)."""
    train = pd.read_csv(
        os.path.join(dir_path, "train.csv"),
        dtype={"USER_ID": str, "ITEM_ID": str},
        keep_default_na=False,
        na_values={"TIMESTAMP": [""], "EVENT_VALUE": [""]},
    )
    test = pd.read_csv(os.path.join(dir_path, "test.csv"), dtype=str, keep_default_na=False)
    if train["TIMESTAMP"].isna().any():
        raise SystemExit(f"{dir_path}/train.csv: empty TIMESTAMP values")

    user_codes, user_ids = pd.factorize(train["USER_ID"])
    item_codes, item_ids = pd.factorize(train["ITEM_ID"])
    # Test users unseen in training (should not happen for a temporal split) get empty rows.
    extra_users = pd.Index(test["USER_ID"].unique()).difference(user_ids)
    if len(extra_users):
        log(f"  warning: {len(extra_users)} test users have no training rows")
        user_ids = user_ids.append(extra_users)
    user_index = pd.Series(np.arange(len(user_ids)), index=user_ids)
    item_index = pd.Series(np.arange(len(item_ids)), index=item_ids)

    test = test.drop_duplicates()
    tu = user_index[test["USER_ID"]].to_numpy()
    ti = item_index.reindex(test["ITEM_ID"]).to_numpy()  # NaN: item absent from train.csv
    missing = int(np.isnan(ti).sum())
    if missing:
        log(f"  note: {missing} relevant test items never occur in train.csv (unrankable)")
    test_users, num_relevant = np.unique(tu, return_counts=True)
    known = ~np.isnan(ti)
    relevant = relevant_keys(tu[known], ti[known].astype(np.int64), len(item_ids))

    if "EVENT_VALUE" in train:
        values = pd.to_numeric(train["EVENT_VALUE"], errors="coerce").to_numpy(dtype=np.float64)
    else:
        values = np.full(len(train), np.nan)
    split = Split(
        len(user_ids),
        len(item_ids),
        user_codes.astype(np.int64),
        item_codes.astype(np.int64),
        values,
        test_users,
        relevant,
        num_relevant,
    )
    timestamps = pd.to_numeric(train["TIMESTAMP"]).to_numpy(dtype=np.float64)
    return split, timestamps


def relevant_keys(users, items, n_items):
    """Sorted user * n_items + item keys: a membership test for (user, item) by searchsorted."""
    return np.unique(users.astype(np.int64) * n_items + items)


def validation_split(full, timestamps):
    """Reko's temporal split (test_fraction 0.2, min 5 rows) applied to the training rows.

    Rows are ordered by timestamp, ties by their order in train.csv; a user with n >= 5 rows
    keeps the oldest n - h, h = clamp(floor(0.2 n), 1, n - 1), as Reko's temporal_test_count.
    """
    n_rows = len(full.users)
    order = np.lexsort((np.arange(n_rows), timestamps, full.users))
    users, items, values = full.users[order], full.items[order], full.values[order]
    n = np.bincount(users, minlength=full.n_users)
    start = np.concatenate(([0], np.cumsum(n)[:-1]))
    pos = np.arange(n_rows) - start[users]
    held = np.floor(n * VALIDATION_FRACTION + 1e-9).astype(np.int64)
    held = np.where(n >= VALIDATION_MIN_ROWS, np.clip(held, 1, np.maximum(n - 1, 1)), 0)
    out = pos >= (n - held)[users]

    kept_keys = np.unique(users[~out] * full.n_items + items[~out])
    out_keys = np.unique(users[out] * full.n_items + items[out])
    rel = out_keys[~np.isin(out_keys, kept_keys)]
    rel_users = rel // full.n_items
    test_users, num_relevant = np.unique(rel_users, return_counts=True)
    return Split(
        full.n_users,
        full.n_items,
        users[~out],
        items[~out],
        values[~out],
        test_users,
        rel,
        num_relevant,
    )


# ----------------------------------------------------------------------------- metric


def evaluate(split, history, score_batch):
    """Mean NDCG@10 and precision@10 over split.test_users.

    history: user x item CSR of the user's training items (excluded from ranking);
    score_batch(users) -> dense (len(users), n_items) scores.
    """
    n_items = split.n_items
    discounts = 1.0 / np.log2(np.arange(2, K + 2))
    ideal = np.cumsum(discounts)
    batch = max(1, SCORE_CELLS // max(n_items, 1))
    k = min(K, n_items)
    # A sentinel past every real key keeps searchsorted in range (and handles no relevant items).
    relevant = np.append(split.relevant, np.iinfo(np.int64).max)
    ndcg_sum = hits_sum = 0.0
    for s in range(0, len(split.test_users), batch):
        users = split.test_users[s : s + batch]
        scores = np.asarray(score_batch(users), dtype=np.float64)
        h = history[users]
        scores[np.repeat(np.arange(len(users)), np.diff(h.indptr)), h.indices] = -np.inf
        top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        top_scores = np.take_along_axis(scores, top, axis=1)
        top = np.take_along_axis(top, np.argsort(-top_scores, axis=1, kind="stable"), axis=1)
        # Fewer than k unseen items: the -inf tail is not a recommendation.
        valid = np.isfinite(np.take_along_axis(scores, top, axis=1))
        keys = users[:, None].astype(np.int64) * n_items + top
        hit = (relevant[np.searchsorted(relevant, keys)] == keys) & valid
        dcg = (hit * discounts[:k]).sum(axis=1)
        n_rel = split.num_relevant[s : s + batch]
        ndcg_sum += (dcg / ideal[np.minimum(n_rel, K) - 1]).sum()
        hits_sum += hit.sum()
    n = len(split.test_users)
    return ndcg_sum / n, hits_sum / (K * n)


# ----------------------------------------------------------------------------- EASE


def ease_weights(gram, lam):
    """B = P / -diag(P), P = (XᵀX + λI)⁻¹, diag(B) = 0; gram is left untouched."""
    a = gram.copy()
    a[np.diag_indices_from(a)] += lam
    # Cholesky + triangular inverse: about half the flops of a general inverse.
    c, info = lapack.dpotrf(a, lower=False, overwrite_a=True, clean=True)
    if info != 0:
        raise RuntimeError(f"dpotrf failed ({info})")
    p, info = lapack.dpotri(c, lower=False, overwrite_c=True)
    if info != 0:
        raise RuntimeError(f"dpotri failed ({info})")
    p = np.triu(p) + np.triu(p, 1).T
    d = np.diag(p).copy()
    p /= -d[None, :]
    p[np.diag_indices_from(p)] = 0.0
    return p


def ease_score(split, x, gram, lam):
    """(NDCG@10, precision@10) of EASE(lam) fitted on x (the binary matrix, gram = XᵀX)."""
    b = ease_weights(gram, lam)
    return evaluate(split, x, lambda users: x[users] @ b)


def binary_and_gram(split):
    x = split.binary()
    return x, (x.T @ x).toarray()


def run_ease(full, val, args):
    t0, c0 = time.perf_counter(), time.process_time()
    with threadpool_limits(args.ease_threads or args.threads, user_api="blas"):
        x, gram = binary_and_gram(val)
        results = []
        for lam in LAMBDAS:
            t = time.perf_counter()
            ndcg, _ = ease_score(val, x, gram, lam)
            results.append((ndcg, lam))
            log(f"  ease lambda={lam}: validation ndcg@10={ndcg:.4f} ({time.perf_counter() - t:.1f} s)")
        del x, gram
        best_ndcg, best_lam = max(results, key=lambda r: (r[0], -r[1]))
        if best_lam in (LAMBDAS[0], LAMBDAS[-1]):
            log(f"  warning: best EASE lambda {best_lam} is at the edge of the grid")
        tune_s = time.perf_counter() - t0
        ndcg, prec = ease_score(full, *binary_and_gram(full), best_lam)
    return {
        "model": "ease",
        "ndcg_at_10": ndcg,
        "precision_at_10": prec,
        "tuned": {"lambda": best_lam},
        "validation_ndcg_at_10": best_ndcg,
        "configs_tried": len(results),
        "tune_seconds": tune_s,
        "seconds": time.perf_counter() - t0,
        "cpu_seconds": time.process_time() - c0,
    }


# ----------------------------------------------------------------------------- implicit ALS


def als_matrix(split, alpha, confidence):
    """user x item float32 CSR of confidences 1 + alpha * w; implicit uses the values as c_ui
    as they are (its own alpha stays 1.0); absent pairs have c = 1, p = 0."""
    if confidence == "count":
        w = split.counts()
    elif confidence == "value":
        w = split.value_sums()
    else:  # log_value
        w = split.value_sums()
        w.data = np.log1p(np.maximum(w.data, 0.0))
    return sp.csr_matrix(((1.0 + alpha * w.data).astype(np.float32), w.indices, w.indptr), shape=w.shape)


def als_fit(split, factors, regularization, alpha, args):
    from implicit.als import AlternatingLeastSquares

    model = AlternatingLeastSquares(
        factors=factors,
        regularization=regularization,
        alpha=1.0,
        iterations=ALS_ITERATIONS,
        dtype=np.float32,
        use_gpu=False,
        num_threads=args.threads,
        calculate_training_loss=False,
        random_state=42,
    )
    model.fit(als_matrix(split, alpha, args.als_confidence), show_progress=False)
    return np.asarray(model.user_factors), np.asarray(model.item_factors)


def als_score(split, config, args):
    u, v = als_fit(split, *config, args)
    return evaluate(split, split.binary(), lambda users: u[users] @ v.T)


def coordinate_search(evaluate_config):
    """At most 15 configurations: sweep alpha, regularization, factors in turn from
    (64, 0.1, 5), each time keeping the best, then sweep alpha and regularization once more."""
    best = (64, 0.1, 5)
    for axis, values in [(2, ALS_ALPHA), (1, ALS_REGULARIZATION), (0, ALS_FACTORS), (2, ALS_ALPHA), (1, ALS_REGULARIZATION)]:
        candidates = [best[:axis] + (v,) + best[axis + 1 :] for v in values]
        best = max(candidates, key=lambda c: (evaluate_config(c), -candidates.index(c)))
    return best


def run_als(full, val, args):
    t0, c0 = time.perf_counter(), time.process_time()
    search = args.als_search
    if search == "auto":
        search = "grid" if len(val.users) <= args.als_grid_max_rows else "coarse"
    cache = {}

    def evaluate_config(config):
        if config not in cache:
            t = time.perf_counter()
            cache[config] = als_score(val, config, args)[0]
            f, r, a = config
            log(
                f"  implicit_als factors={f} regularization={r} alpha={a}: "
                f"validation ndcg@10={cache[config]:.4f} ({time.perf_counter() - t:.1f} s)"
            )
        return cache[config]

    # implicit parallelises over rows itself; a threaded BLAS underneath only slows it down.
    with threadpool_limits(1, user_api="blas"):
        if search == "grid":
            grid = list(itertools.product(ALS_FACTORS, ALS_REGULARIZATION, ALS_ALPHA))
            best = max(grid, key=lambda c: (evaluate_config(c), -grid.index(c)))
        else:
            best = coordinate_search(evaluate_config)
        tune_s = time.perf_counter() - t0
        ndcg, prec = als_score(full, best, args)
    f, r, a = best
    axes = [("factors", f, ALS_FACTORS), ("regularization", r, ALS_REGULARIZATION), ("alpha", a, ALS_ALPHA)]
    edges = [name for name, v, grid in axes if v in (grid[0], grid[-1])]
    if edges:
        log(f"  note: best implicit ALS {', '.join(edges)} at the edge of the grid")
    return {
        "model": "implicit_als",
        "ndcg_at_10": ndcg,
        "precision_at_10": prec,
        "tuned": {"factors": f, "regularization": r, "alpha": a, "confidence": args.als_confidence},
        "validation_ndcg_at_10": cache[best],
        "search": search,
        "configs_tried": len(cache),
        "tune_seconds": tune_s,
        "seconds": time.perf_counter() - t0,
        "cpu_seconds": time.process_time() - c0,
    }


# ----------------------------------------------------------------------------- main


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dirs", nargs="+", metavar="DIR")
    ap.add_argument("--models", default="ease,implicit_als", help="comma-separated: ease, implicit_als")
    ap.add_argument("--threads", type=int, default=2, help="BLAS threads for EASE, implicit's num_threads")
    ap.add_argument(
        "--als-search",
        choices=["auto", "grid", "coarse"],
        default="auto",
        help="grid: all 48 configurations; coarse: <= 15 by coordinate search; "
        "auto: grid when the validation training part has <= --als-grid-max-rows rows",
    )
    ap.add_argument("--als-grid-max-rows", type=int, default=2_000_000)
    ap.add_argument(
        "--als-confidence",
        choices=["count", "value", "log_value"],
        default="count",
        help="w in c = 1 + alpha * w: rows per pair, summed EVENT_VALUE (empty = 1), or log1p of it",
    )
    # OpenBLAS's threads spin while waiting for each other: on a 2-core machine that other work
    # also loads, 2 threads made ML-100K's EASE ~25x slower than 1 (same result).
    ap.add_argument("--ease-threads", type=int, default=0, help="BLAS threads for EASE (0: --threads)")
    ap.add_argument("--ease-max-items", type=int, default=20_000, help="skip EASE above this (dense items^2)")
    args = ap.parse_args()
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    unknown = set(models) - {"ease", "implicit_als"}
    if unknown:
        ap.error(f"unknown models: {sorted(unknown)}")

    import implicit
    import scipy

    log(
        f"numpy {np.__version__}, scipy {scipy.__version__}, pandas {pd.__version__}, "
        f"implicit {implicit.__version__}; OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', '<unset>')}"
    )
    rows = []
    for d in args.dirs:
        name = os.path.basename(os.path.normpath(d))
        t = time.perf_counter()
        full, timestamps = load(d)
        val = validation_split(full, timestamps)
        log(
            f"{name}: {len(full.users)} train rows, {full.n_users} users, {full.n_items} items, "
            f"{len(full.test_users)} test users; validation: {len(val.users)} rows, "
            f"{len(val.test_users)} users ({time.perf_counter() - t:.1f} s to load)"
        )
        for m in models:
            if m == "ease" and full.n_items > args.ease_max_items:
                log(f"  skipping EASE: {full.n_items} items > --ease-max-items {args.ease_max_items}")
                continue
            r = (run_ease if m == "ease" else run_als)(full, val, args)
            r = {"dataset": name, **r}
            print(json.dumps(r), flush=True)
            rows.append(r)

    print()
    print("| dataset | model | NDCG@10 | precision@10 | tuned | validation NDCG@10 | seconds |")
    print("|---|---|---:|---:|---|---:|---:|")
    for r in rows:
        tuned = ", ".join(f"{k}={v}" for k, v in r["tuned"].items())
        print(
            f"| {r['dataset']} | {r['model']} | {r['ndcg_at_10']:.4f} | {r['precision_at_10']:.4f} | "
            f"{tuned} | {r['validation_ndcg_at_10']:.4f} | {r['seconds']:.1f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
