#!/usr/bin/env bash
# Load test of `search-host serve` on loopback with wrk (Debian: apt-get install wrk): /search BM25 only and reranked,
# /rerank with 20 and 100 texts, at 1, 4 and 16 concurrent clients, against two servers started side by side from the
# same index and model: dynamic batching on and off. Each cell runs DURATION seconds (default 10) after a 2 s warm-up,
# each starting with the server's queue empty; 21 cells, so about 5-8 minutes. Prints a Markdown table (req/s, p50/p95/p99 ms, errors) and the load average.
#
#   eval/serve/loadtest.sh [MODEL] [DURATION]   (default models/default-reranker, 10)
#
# Loopback only; both servers are stopped (SIGTERM) on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
MODEL=${1:-models/default-reranker}
DURATION=${2:-10}
W=${WORK:-.work/serve-load}
PORT_ON=${PORT_ON:-18181}
PORT_OFF=${PORT_OFF:-18182}
command -v wrk >/dev/null || { echo "error: wrk is not installed (apt-get install -y wrk)" >&2; exit 2; }
mkdir -p "$W"
dotnet build src/Search.Host -c Release -v quiet -nologo >/dev/null
HOST="dotnet src/Search.Host/bin/Release/net10.0/search-host.dll"
[ -d "$W/idx" ] || $HOST index --corpus corpora/sample/corpus.jsonl --index "$W/idx" --embedder none >/dev/null

# Request bodies: the sample corpus's texts, cycled to 20 and 100.
python3 - "$W" <<'PY'
import json, sys
w = sys.argv[1]
docs = [json.loads(l) for l in open("corpora/sample/corpus.jsonl", encoding="utf-8")]
texts = [(d.get("title", "") + " " + d["text"]).strip() for d in docs]
for n in (20, 100):
    body = {"query": "how do vaccines train the immune system?", "texts": [texts[i % len(texts)] for i in range(n)], "truncate": True}
    json.dump(body, open(f"{w}/rerank-{n}.json", "w", encoding="utf-8"))
PY

pids=()
stop() { for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap stop EXIT
# Same flags as `search`: BM25 first stage, the top 20 reranked (a typical rescore window), 16 pairs per forward pass.
COMMON=(serve --index "$W/idx" --reranker "$MODEL" --retrieval bm25 --candidates 20 --batch-size 16 --device cpu)
$HOST "${COMMON[@]}" --urls "http://127.0.0.1:$PORT_ON" 2>"$W/server-on.log" & pids+=($!)
$HOST "${COMMON[@]}" --urls "http://127.0.0.1:$PORT_OFF" --no-dynamic-batching 2>"$W/server-off.log" & pids+=($!)
for port in $PORT_ON $PORT_OFF; do
  for _ in $(seq 1 240); do curl -sf "http://127.0.0.1:$port/ready" >/dev/null && break; sleep 0.5; done
  curl -sf "http://127.0.0.1:$port/ready" >/dev/null || { echo "error: server on $port did not start; see $W/server-*.log" >&2; exit 1; }
done

Q="q=how%20do%20vaccines%20train%20the%20immune%20system%3F&k=10"
# Waits until a server has answered everything it took (the queue gauge at 0): wrk's last requests, cut off at the end
# of a cell, are still being scored until their cancellation reaches the model between forward passes.
drain() {
  for _ in $(seq 1 600); do
    q=$(curl -s "http://127.0.0.1:$1/metrics" | awk '/^searchrerank_queue_pairs/ {print $2}')
    [ "${q:-0}" = "0" ] && return 0
    sleep 0.5
  done
  echo "warning: server on $1 still has $q pairs queued" >&2
}

run() { # name port path body clients batching
  local threads=$(( $5 < 2 ? $5 : 2 ))
  drain "$2"
  WRK_BODY_FILE="$4" wrk -t1 -c"$5" -d2s --timeout 60s -s eval/serve/report.lua "http://127.0.0.1:$2$3" >/dev/null
  local line
  drain "$2"
  line=$(WRK_BODY_FILE="$4" wrk -t"$threads" -c"$5" -d"${DURATION}s" --timeout 60s -s eval/serve/report.lua "http://127.0.0.1:$2$3" | grep '^RESULT')
  read -r _ n secs rps p50 p95 p99 errs <<<"$line"
  printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$1" "$6" "$5" "$n" "$rps" "$p50" "$p95" "$p99" "$errs"
}

echo "load before: $(uptime)"
echo "commit $(git rev-parse --short HEAD), $(nproc) cores, duration ${DURATION}s per cell, model $MODEL"
echo
echo "| endpoint | batching | clients | requests | req/s | p50 ms | p95 ms | p99 ms | errors |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
for c in 1 4 16; do run "/search BM25 only" $PORT_ON "/search?$Q&rerank=false" "" $c "n/a"; done
for spec in "/search reranked (top 20)|/search?$Q|" "/rerank 20 texts|/rerank|$W/rerank-20.json" "/rerank 100 texts|/rerank|$W/rerank-100.json"; do
  IFS='|' read -r name path body <<<"$spec"
  for c in 1 4 16; do
    run "$name" $PORT_ON "$path" "$body" $c on
    run "$name" $PORT_OFF "$path" "$body" $c off
  done
done
echo
echo "load after: $(uptime)"
# Batches the batching-on server formed (pairs per model call) and requests refused for a full queue.
curl -s "http://127.0.0.1:$PORT_ON/metrics" | grep -E '^searchrerank_(batch_pairs|batch_requests)_(sum|count)|^searchrerank_queue_rejected' || true
