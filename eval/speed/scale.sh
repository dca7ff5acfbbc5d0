#!/usr/bin/env bash
# Issue 15, goal 4: cost against corpus size. For synthetic corpora of 10k, 100k and 1M documents (eval/speed/scale-corpus.py:
# sentences of the shared corpora resampled with a seeded generator), measures the BM25 index build (`search-host index
# --embedder none`: docs/s, peak RSS, size on disk), BM25 latency over the SciFact test queries at depth 100 and 1000, and
# exact dense search over random unit vectors written in the index's vector format (load time, memory, scan latency; query
# embedding with the real model timed apart); then the index-time embedding rate on a prefix of the corpus (real model; the
# 100k and 1M figures are extrapolated from it) and the default reranker's time against the number of candidates
# (20, 50, 100, 200) on SciFact. Outside CI; about 30-40 minutes on 2 loaded cores.
#
#   eval/speed/scale.sh [OUT_DIR]        (default .work/scale; writes OUT_DIR/report.md, results.tsv, loads.tsv)
#
# Environment: SIZES (default "10000 100000 1000000"), DATASETS (default /work/shared/datasets, read in place), SEED (15),
# QUERIES (SciFact test queries timed for BM25, default 300 = all), DENSE_QUERIES (default 100), RERANK_QUERIES (default 5),
# EMBED_DOCS (documents embedded for the rate, default 500), BUILD_TIMEOUT (seconds per index build, default 900),
# NICE (default 0), KEEP (1 keeps the generated corpora and indexes; default 0 deletes them at the end).
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mkdir -p "${1:-$here/.work/scale}" && cd "${1:-$here/.work/scale}" && pwd)
datasets=${DATASETS:-/work/shared/datasets}
sizes=${SIZES:-10000 100000 1000000}
seed=${SEED:-15}
queries=${QUERIES:-300}
dense_queries=${DENSE_QUERIES:-100}
rerank_queries=${RERANK_QUERIES:-5}
embed_docs=${EMBED_DOCS:-500}
build_timeout=${BUILD_TIMEOUT:-900}
results=$out/results.tsv
loads=$out/loads.tsv
log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >> "$results"; }
now() { date +%s.%N; }
# timed STEP COMMAND...: runs under /usr/bin/time -v (peak RSS into $out/time-STEP.txt), load average before and after into loads.tsv.
timed() {
  local step=$1 before rc=0; shift
  before=$(load)
  /usr/bin/time -v -o "$out/time-$step.txt" nice -n "${NICE:-0}" "$@" || rc=$?
  printf '%s\t%s\t%s\n' "$step" "$before" "$(load)" >> "$loads"
  return $rc
}
peak_mib() { awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$out/time-$1.txt"; }

: > "$results"; : > "$loads"
mkdir -p "$out/corpora" "$out/idx"
log "building search-host and rerank-bench (Release)"
. "$here/eval/programs.sh" && programs "$out" host bench
host=(dotnet "$out/host/search-host.dll")
bench=(dotnet "$out/bench/rerank-bench.dll" --seed "$seed" --scifact "$datasets/scifact" --scale-results "$results")
commit=$(git -C "$here" rev-parse --short HEAD)$(git -C "$here" diff --quiet HEAD -- src benchmarks eval || echo "+uncommitted")

largest=$(tr ' ' '\n' <<< "$sizes" | sort -n | tail -1)
if [ ! -s "$out/corpora/s$largest.jsonl" ]; then
  log "generating $largest synthetic documents (seed $seed)"
  python3 "$here/eval/speed/scale-corpus.py" "$largest" "$out/corpora/s$largest.jsonl" "$seed" "$datasets"
fi
for n in $sizes; do
  # The generator is sequential and seeded: the first n documents of the largest corpus are the n-document corpus.
  [ "$n" = "$largest" ] || [ -s "$out/corpora/s$n.jsonl" ] || head -n "$n" "$out/corpora/s$largest.jsonl" > "$out/corpora/s$n.jsonl"
done

for n in $sizes; do
  corpus=$out/corpora/s$n.jsonl idx=$out/idx/s$n
  log "$n: index build (BM25, --embedder none, timeout ${build_timeout}s)"
  start=$(now) rc=0
  timed "index-$n" timeout "$build_timeout" "${host[@]}" index --corpus "$corpus" --index "$idx" --embedder none --overwrite \
    > "$out/index-$n.log" 2>&1 || rc=$?
  seconds=$(echo "$(now) - $start" | bc)
  record "$n" "index build" seconds "$seconds"
  record "$n" "index build" peak_rss_mib "$(peak_mib "index-$n")"
  if [ $rc -ne 0 ]; then
    record "$n" "index build" failed_rc "$rc"
    log "$n: index build failed or timed out (exit $rc); see $out/index-$n.log"
    continue
  fi
  record "$n" "index build" docs_per_s "$(echo "$n / $seconds" | bc -l)"
  record "$n" "index on disk" mib "$(du -sb "$idx" | awk '{ printf "%.1f", $1 / 1048576 }')"
  record "$n" "corpus" mib "$(du -sb "$corpus" | awk '{ printf "%.1f", $1 / 1048576 }')"

  log "$n: BM25 latency"
  timed "bm25-$n" "${bench[@]}" --sections scale-bm25 --index "$idx" --scale-queries "$queries" --out "$out/bm25-$n.md" > /dev/null
  record "$n" "bm25 process" time_peak_rss_mib "$(peak_mib "bm25-$n")"
  log "$n: random vectors"
  timed "vectors-$n" "${bench[@]}" --sections scale-vectors --index "$idx" --out "$out/vectors-$n.md" > /dev/null
  record "$n" "vectors on disk" mib "$(du -sb "$idx/embeddings.f32" | awk '{ printf "%.1f", $1 / 1048576 }')"
  log "$n: dense latency"
  timed "dense-$n" "${bench[@]}" --sections scale-dense --index "$idx" --scale-queries "$dense_queries" --out "$out/dense-$n.md" > /dev/null
  record "$n" "dense process" time_peak_rss_mib "$(peak_mib "dense-$n")"
done

log "index-time embedding rate ($embed_docs documents, bundled MiniLM, real index build)"
head -n "$embed_docs" "$out/corpora/s$largest.jsonl" > "$out/corpora/embed.jsonl"
timed "embed" "${host[@]}" index --corpus "$out/corpora/embed.jsonl" --index "$out/idx/embed" --overwrite > "$out/embed.log" 2>&1
rate=$(sed -n 's/.*(\([0-9.]*\) docs\/s).*/\1/p' "$out/embed.log")
record "$embed_docs" "index-time embedding" docs_per_s "$rate"

log "reranking against the number of candidates (default reranker, SciFact, $rerank_queries queries)"
timed "scifact-index" "${host[@]}" index --corpus "$datasets/scifact/corpus.jsonl" --index "$out/idx/scifact" --embedder none --overwrite > "$out/scifact-index.log" 2>&1
timed "rerank" "${bench[@]}" --sections scale-rerank --index "$out/idx/scifact" --model "$here/models/default-reranker" --queries "$rerank_queries" \
  --out "$out/rerank.md" > /dev/null

python3 - "$results" "$loads" "$sizes" "$embed_docs" > "$out/table.md" <<'PY'
import sys
from collections import defaultdict
results, loads, sizes, embed_docs = sys.argv[1], sys.argv[2], [int(s) for s in sys.argv[3].split()], int(sys.argv[4])
v = defaultdict(dict)
for line in open(results):
    size, cell, stat, value = line.rstrip("\n").split("\t")
    v[(int(size), cell)][stat] = float(value)
ld = {step: (before, after) for step, before, after in (l.rstrip("\n").split("\t") for l in open(loads))}
def g(size, cell, stat, fmt="{:.1f}"):
    x = v.get((size, cell), {}).get(stat)
    return "-" if x is None else fmt.format(x)
def mp(size, cell):
    return f"{g(size, cell, 'mean_ms', '{:.2f}')} / {g(size, cell, 'p95_ms', '{:.2f}')}"
print("| documents | build s | build docs/s | build peak RSS MiB | index MiB | BM25 @100 ms mean / p95 | BM25 @1000 mean / p95 | BM25 search@100 with text mean / p95 | BM25 peak RSS MiB | vectors MiB | vectors load ms | dense scan+top1 ms mean / p95 | dense scan+top100 ms mean / p95 | dense scan+top1000 mean / p95 | vectors+ids held MiB | dense peak RSS MiB | load avg before / after (build; bm25; dense) |")
print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
for n in sizes:
    lds = "; ".join(f"{ld[s][0].split()[0]} / {ld[s][1].split()[0]}" for s in (f"index-{n}", f"bm25-{n}", f"dense-{n}") if s in ld)
    build = g(n, "index build", "seconds") + (" (failed, exit " + g(n, "index build", "failed_rc", "{:.0f}") + ")" if "failed_rc" in v.get((n, "index build"), {}) else "")
    print(f"| {n:,} | {build} | {g(n, 'index build', 'docs_per_s', '{:.0f}')} | {g(n, 'index build', 'peak_rss_mib', '{:.0f}')} | {g(n, 'index on disk', 'mib')} | "
          f"{mp(n, 'bm25 rank@100')} | {mp(n, 'bm25 rank@1000')} | {mp(n, 'bm25 search@100 (with stored text)')} | {g(n, 'bm25 process', 'time_peak_rss_mib', '{:.0f}')} | {g(n, 'vectors on disk', 'mib')} | "
          f"{g(n, 'dense load', 'ms', '{:.0f}')} | {mp(n, 'dense scan + top 1')} | {mp(n, 'dense scan + top 100')} | {mp(n, 'dense scan + top 1000')} | {g(n, 'dense vectors+ids', 'managed_mib', '{:.0f}')} | "
          f"{g(n, 'dense process', 'time_peak_rss_mib', '{:.0f}')} | {lds} |")
print()
emb = [v[(n, 'query embedding')] for n in sizes if (n, 'query embedding') in v]
if emb:
    print("Query embedding (bundled MiniLM, real SciFact queries), per dense run: "
          + ", ".join(f"{e['mean_ms']:.1f} / {e['p95_ms']:.1f} ms" for e in emb) + " (mean / p95).")
rate = v.get((embed_docs, "index-time embedding"), {}).get("docs_per_s")
if rate:
    print(f"\nIndex-time embedding, measured on {embed_docs:,} documents: {rate:.1f} docs/s. **Extrapolated** at that rate: "
          + ", ".join(f"{n:,} documents {n / rate / 3600:.1f} h" for n in sizes) + ".")
print("\n| candidates | (query, passage) pairs per query | rerank ms per query, mean / p95 | ms per candidate |")
print("| ---: | ---: | ---: | ---: |")
for (n, cell), s in sorted(v.items()):
    if cell == "rerank":
        t = v.get((0, f"rerank top {n}"), {})
        if t:
            print(f"| {n} | {s['pairs_per_query']:.1f} | {t['mean_ms']:.0f} / {t['p95_ms']:.0f} | {t['mean_ms'] / n:.1f} |")
print("\nLoad average (1, 5, 15 min) before / after each step:\n")
for step, (before, after) in ld.items():
    print(f"- {step}: {before} / {after}")
PY

{
  echo "# Cost against corpus size ($(date -u '+%Y-%m-%d %H:%M') UTC, commit $commit)"
  echo
  echo "Machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; \`eval/speed/scale.sh\` with SIZES=\"$sizes\" SEED=$seed QUERIES=$queries DENSE_QUERIES=$dense_queries RERANK_QUERIES=$rerank_queries EMBED_DOCS=$embed_docs."
  echo
  cat "$out/table.md"
  for f in "$out"/bm25-*.md "$out"/vectors-*.md "$out"/dense-*.md "$out/rerank.md"; do [ -f "$f" ] && { echo; cat "$f"; }; done
} > "$out/report.md"
if [ "${KEEP:-0}" != 1 ]; then
  log "deleting the generated corpora and indexes (KEEP=1 keeps them)"
  rm -rf "$out/corpora" "$out/idx"
fi
log "done: $out/report.md"
