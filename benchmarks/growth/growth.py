"""Issue 19's growth curves: Reko and implicit side by side on the same reko-synth data.

Training: for 1M, 5M, 20M and 50M interactions (users = N/10, items = min(N/20, 1,000,000), seed 42),
implicit's bare 15-iteration fit (benchmarks/implicit_als/bench.py) against Reko's bare fit and its
whole training job (`cargo bench -p reko-engine --bench als` on the same CSV: self-tuning, offline
evaluation, final fit), wall time and peak memory of each process.

Serving: for 10k, 100k, 1M and 2M items (500,000 users, 5,000,000 interactions), Reko over HTTP
(`cargo bench -p reko --bench serving`: GetRecommendations with 64 connections, batch inference,
and the campaign's deployment time, which builds the serving indexes before ACTIVE) against
implicit's `recommend` on the same data (one user per call on one thread, then one batch call).

Updates the points it ran in benchmarks/growth/results.json (each point keeps the machine and date
it was measured on), then prints the tables (Markdown) and draws docs/images/growth.png from every
stored point, so the curves can be measured a few points at a time.
Usage: benchmarks/growth/run.sh [--quick] [--only train|serve] [--train-sizes N,..] [--serve-items N,..]
(--quick: tiny sizes, to try the program, into results-quick.json and docs/images/growth-quick.png)
"""

import argparse
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DATA = os.path.join(ROOT, "benchmarks", "data")
IMPLICIT = os.path.join(ROOT, "benchmarks", "implicit_als", "bench.py")


def run(cmd, env=None, cwd=ROOT):
    """Runs `cmd`, echoing its output; returns stdout + stderr as one string."""
    print("$ " + " ".join(cmd), flush=True)
    full_env = dict(os.environ)
    full_env.update(env or {})
    shown = " ".join(f"{k}={v}" for k, v in (env or {}).items())
    if shown:
        print(f"  with {shown}", flush=True)
    t = time.perf_counter()
    p = subprocess.run(cmd, env=full_env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    sys.stdout.write(p.stdout)
    if p.returncode != 0:
        raise SystemExit(f"command failed ({p.returncode}) after {time.perf_counter() - t:.0f} s: {' '.join(cmd)}")
    return p.stdout


def grab(pattern, text, what, cast=float):
    m = re.search(pattern, text)
    if not m:
        raise SystemExit(f"could not read {what} (pattern {pattern!r}) from the output above")
    return cast(m.group(1))


def duration_secs(text):
    """A Rust `Duration` debug string (`1.2s`, `350.1ms`, `12.3µs`) in seconds."""
    m = re.fullmatch(r"([0-9.]+)(s|ms|µs|us|ns)", text.strip())
    if not m:
        raise SystemExit(f"not a duration: {text!r}")
    scale = {"s": 1.0, "ms": 1e-3, "µs": 1e-6, "us": 1e-6, "ns": 1e-9}[m.group(2)]
    return float(m.group(1)) * scale


def generate(users, items, interactions, out):
    if os.path.exists(os.path.join(out, "interactions.csv")):
        return
    run(
        ["cargo", "run", "--release", "--quiet", "-p", "reko-synth", "--example", "generate", "--",
         "--users", str(users), "--items", str(items), "--interactions", str(interactions), "--seed", "42",
         "--out", out]
    )


def implicit(python, data_dir, recommend=0):
    args = [python, IMPLICIT, data_dir, "--threads", "2"]
    if recommend:
        args += ["--recommend", str(recommend)]
    out = run(args, env={"OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"})
    r = {
        "fit_s": grab(r"implicit seconds_per_iteration=[0-9.]+ total=([0-9.]+)", out, "implicit's fit time"),
        "peak_mib": grab(r"peak RSS ([0-9]+) MiB", out, "implicit's peak RSS"),
    }
    if recommend:
        r["single_calls_per_s"] = grab(r"single_calls_per_s=([0-9.]+)", out, "implicit's calls/s")
        r["p99_ms"] = grab(r"p99_ms=([0-9.]+)", out, "implicit's p99")
        r["batch_users_per_s"] = grab(r"batch_users_per_s=([0-9.]+)", out, "implicit's batch users/s")
    return r


def kib_to_mib(text):
    return float(text) / 1024.0


def reko_training(csv):
    out = run(["cargo", "bench", "--quiet", "-p", "reko-engine", "--bench", "als"], env={"REKO_BENCH_CSV": csv})
    fit = grab(r"fit: ([0-9.]+(?:s|ms|µs)) \(prepare", out, "Reko's fit time", duration_secs)
    job = grab(r"train\(\) \(evaluation fit \+ metrics \+ final fit \+ encode\): ([0-9.]+(?:s|ms|µs));", out,
               "Reko's training job time", duration_secs)
    peak = grab(r"train\(\) \(evaluation.*VmHWM ([0-9]+) kB", out, "Reko's peak memory", kib_to_mib)
    return {"fit_s": fit, "job_s": job, "peak_mib": peak}


def reko_serving(users, items, interactions, seconds, batch_users):
    bench_dir = os.path.join(DATA, f"growth-serve-reko-{items}")
    # A fresh server data directory each time: the deployment (index build included) is measured.
    subprocess.run(["rm", "-rf", bench_dir], check=True)
    out = run(
        ["cargo", "bench", "--quiet", "-p", "reko", "--bench", "serving"],
        env={
            "REKO_BENCH_DIR": bench_dir,
            "REKO_BENCH_USERS": str(users),
            "REKO_BENCH_ITEMS": str(items),
            "REKO_BENCH_INTERACTIONS": str(interactions),
            "REKO_BENCH_SECONDS": str(seconds),
            "REKO_BENCH_CONNECTIONS": "64",
            "REKO_BENCH_BATCH_USERS": str(batch_users),
        },
    )
    row = re.search(r"\| GetRecommendations \(numResults 25\) \| ([0-9.]+) req/s \| ([0-9.]+) ms \| ([0-9.]+) ms", out)
    if not row:
        raise SystemExit("could not read the GetRecommendations row from the serving benchmark's output")
    r = {
        "req_per_s": float(row.group(1)),
        "p50_ms": float(row.group(2)),
        "p99_ms": float(row.group(3)),
        "batch_users_per_s": grab(r"= ([0-9.]+) users/s \(CreateBatchInferenceJob", out, "batch users/s"),
    }
    r["deploy_s"] = grab(r"campaign ACTIVE after ([0-9.]+(?:s|ms|µs))", out, "the deployment time", duration_secs)
    r["training_s"] = grab(r"solution version \(training\) ACTIVE after ([0-9.]+(?:s|ms|µs))", out,
                           "the training time", duration_secs)
    return r


def table(rows, columns):
    lines = ["| " + " | ".join(h for h, _ in columns) + " |", "|" + "---:|" * len(columns)]
    for row in rows:
        cells = []
        for _, key in columns:
            v = key(row)
            cells.append("–" if v is None else (f"{v:,.0f}" if isinstance(v, (int, float)) and v >= 100 else
                                                 f"{v:.2f}" if isinstance(v, float) else str(v)))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    tr = results.get("training", [])
    if tr:
        n = [r["interactions"] / 1e6 for r in tr]
        ax = axes[0]
        ax.plot(n, [r["implicit"]["fit_s"] for r in tr], "o-", label="implicit: bare fit")
        ax.plot(n, [r["reko"]["fit_s"] for r in tr], "s-", label="Reko: bare fit")
        ax.plot(n, [r["reko"]["job_s"] for r in tr], "^-", label="Reko: whole training job")
        ax.set(xscale="log", yscale="log", xlabel="interactions (millions)", ylabel="seconds",
               title="Training time (2 threads)")
        ax.legend()
        ax = axes[1]
        ax.plot(n, [r["implicit"]["peak_mib"] for r in tr], "o-", label="implicit")
        ax.plot(n, [r["reko"]["peak_mib"] for r in tr], "s-", label="Reko (training job)")
        ax.set(xscale="log", yscale="log", xlabel="interactions (millions)", ylabel="peak RSS (MiB)",
               title="Training peak memory")
        ax.legend()
    sv = results.get("serving", [])
    if sv:
        items = [r["items"] for r in sv]
        ax = axes[2]
        ax.plot(items, [r["reko"]["req_per_s"] for r in sv], "s-", label="Reko: GetRecommendations over HTTP, 64 conn.")
        ax.plot(items, [r["reko"]["batch_users_per_s"] for r in sv], "^-", label="Reko: batch inference")
        ax.plot(items, [r["implicit"]["single_calls_per_s"] for r in sv], "o-", label="implicit: recommend, one user a call")
        ax.plot(items, [r["implicit"]["batch_users_per_s"] for r in sv], "x-", label="implicit: recommend, batch")
        ax.set(xscale="log", yscale="log", xlabel="items", ylabel="users served per second",
               title="Serving (top 25)")
        ax.legend(fontsize=8)
    fig.suptitle(results["machine"])
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"plot: {path}")


def cpu_model():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--python", required=True, help="the venv's python with implicit and matplotlib")
    ap.add_argument("--quick", action="store_true", help="tiny sizes, to try the program")
    ap.add_argument("--only", choices=["train", "serve"])
    ap.add_argument("--train-sizes", help="comma-separated interaction counts instead of the default ones")
    ap.add_argument("--serve-items", help="comma-separated catalogue sizes instead of the default ones")
    args = ap.parse_args()

    if args.quick:
        train_sizes, serve_items, serve_users, serve_interactions, seconds = [20_000, 60_000], [1_000, 4_000], 5_000, 50_000, 2
    else:
        train_sizes = [1_000_000, 5_000_000, 20_000_000, 50_000_000]
        serve_items, serve_users, serve_interactions, seconds = [10_000, 100_000, 1_000_000, 2_000_000], 500_000, 5_000_000, 10
    if args.train_sizes:
        train_sizes = [int(n) for n in args.train_sizes.split(",")]
    if args.serve_items:
        serve_items = [int(n) for n in args.serve_items.split(",")]
    # Each run updates the points it measured in the stored results (committed for the full
    # sizes), and the tables and the plot are drawn from every stored point, each with the
    # machine and date it was measured on.
    tag = "quick" if args.quick else "full"
    path = os.path.join(HERE, "results-quick.json" if args.quick else "results.json")
    stored = {"training": [], "serving": []}
    if os.path.exists(path):
        with open(path) as f:
            stored = json.load(f)
    machine = f"{cpu_model()}, {os.cpu_count()} cores, {time.strftime('%Y-%m-%d')}"
    results = {"machine": machine, "training": [], "serving": []}

    if args.only != "serve":
        for n in train_sizes:
            users, items = n // 10, min(n // 20, 1_000_000)
            d = os.path.join(DATA, f"growth-{tag}-train-{n}")
            generate(users, items, n, d)
            results["training"].append({
                "interactions": n, "users": users, "items": items,
                "implicit": implicit(args.python, d),
                "reko": reko_training(os.path.join(d, "interactions.csv")),
            })
    if args.only != "train":
        for items in serve_items:
            d = os.path.join(DATA, f"growth-{tag}-serve-{items}")
            generate(serve_users, items, serve_interactions, d)
            results["serving"].append({
                "items": items, "users": serve_users, "interactions": serve_interactions,
                "implicit": implicit(args.python, d, recommend=2_000 if not args.quick else 500),
                "reko": reko_serving(serve_users, items, serve_interactions, seconds, 20_000 if not args.quick else 1_000),
            })

    for kind, key in (("training", "interactions"), ("serving", "items")):
        for r in results[kind]:
            r["machine"] = machine
        fresh = {r[key] for r in results[kind]}
        kept = [r for r in stored.get(kind, []) if r[key] not in fresh]
        results[kind] = sorted(kept + results[kind], key=lambda r: r[key])
    machines = sorted({r["machine"] for kind in ("training", "serving") for r in results[kind]})
    results["machine"] = "; ".join(machines) if machines else machine
    with open(path, "w") as f:
        json.dump({"training": results["training"], "serving": results["serving"]}, f, indent=2)
    print(f"\nmachine: {results['machine']}\n")
    if results["training"]:
        print(table(results["training"], [
            ("interactions", lambda r: r["interactions"]), ("users", lambda r: r["users"]), ("items", lambda r: r["items"]),
            ("implicit fit (s)", lambda r: r["implicit"]["fit_s"]), ("Reko fit (s)", lambda r: r["reko"]["fit_s"]),
            ("Reko whole job (s)", lambda r: r["reko"]["job_s"]),
            ("job / implicit", lambda r: f"{r['reko']['job_s'] / r['implicit']['fit_s']:.2f}×"),
            ("implicit peak (MiB)", lambda r: r["implicit"]["peak_mib"]), ("Reko peak (MiB)", lambda r: r["reko"]["peak_mib"]),
            ("Reko bytes / interaction", lambda r: r["reko"]["peak_mib"] * 1048576 / r["interactions"]),
        ]))
        print()
    if results["serving"]:
        print(table(results["serving"], [
            ("items", lambda r: r["items"]),
            ("Reko req/s (64 conn.)", lambda r: r["reko"]["req_per_s"]), ("Reko p99 (ms)", lambda r: r["reko"]["p99_ms"]),
            ("Reko batch users/s", lambda r: r["reko"]["batch_users_per_s"]),
            ("Reko training (s)", lambda r: r["reko"]["training_s"]),
            ("Reko deploy incl. index (s)", lambda r: r["reko"]["deploy_s"]),
            ("implicit calls/s (1 thread)", lambda r: r["implicit"]["single_calls_per_s"]),
            ("implicit p99 (ms)", lambda r: r["implicit"]["p99_ms"]),
            ("implicit batch users/s", lambda r: r["implicit"]["batch_users_per_s"]),
        ]))
    plot(results, os.path.join(ROOT, "docs", "images", "growth.png" if tag == "full" else "growth-quick.png"))


if __name__ == "__main__":
    main()
