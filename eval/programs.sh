# Sourced by the eval scripts. `programs OUT NAME...` builds the programs named (host = search-host,
# train = rerank-train, bench = rerank-bench) and copies each build to OUT/NAME, so that rebuilding the
# working tree while a long run goes on cannot change the programs between its steps. It also writes the
# commit the programs were built from to OUT/commit.txt (with "+changes" when the working tree differs).
programs() {
  local out=$1; shift
  local repo; repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  local name project bin
  mkdir -p "$out"
  for name in "$@"; do
    case $name in
      host)  project=src/Search.Host;                bin=src/Search.Host/bin/Release/net10.0 ;;
      train) project=src/Rerank.Training;            bin=src/Rerank.Training/bin/Release/net10.0 ;;
      bench) project=benchmarks/Rerank.Benchmarks;   bin=benchmarks/Rerank.Benchmarks/bin/Release/net10.0 ;;
      *) echo "programs: unknown program '$name' (host, train or bench)" >&2; return 2 ;;
    esac
    dotnet build "$repo/$project" -c Release -v q -nologo >/dev/null || return
    rm -rf "${out:?}/$name" && cp -r "$repo/$bin" "$out/$name" || return
  done
  { git -C "$repo" rev-parse --short HEAD | tr -d '\n'; git -C "$repo" diff --quiet HEAD -- src benchmarks || printf '+changes'; echo; } > "$out/commit.txt"
}
