#!/usr/bin/env bash
# Runs every fuzz target in the tree for a short while: `make test` (CI)
# with FUZZTIME=2s each, `make fuzz` with FUZZTIME=30s each. Targets are
# found by grep (func FuzzXxx(f *testing.F) in *_test.go), so a new one is
# picked up without editing this file. go test -fuzz takes one target per
# package per run, hence the loop.
#
#   scripts/fuzz-short.sh                 every target, FUZZTIME each
#   FUZZTIME=5m scripts/fuzz-short.sh     longer
#   scripts/fuzz-short.sh ./directory     only the targets under ./directory
#   scripts/fuzz-short.sh -l              list the package:target pairs
#
# A failing input is saved by go test under the package's
# testdata/fuzz/FuzzXxx/ and printed; the script goes on with the other
# targets and exits 1 at the end.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

GO=${GO:-go}
FUZZTIME=${FUZZTIME:-2s}
# Minimizing a failing or new input can take a worker most of a short run
# (mutated workbooks above all); keep it bounded.
FUZZMINIMIZETIME=${FUZZMINIMIZETIME:-5s}

list=0
if [[ ${1:-} == -l ]]; then
  list=1
  shift
fi
roots=("${@:-.}")

# package:target pairs, sorted, from every *_test.go under the roots.
mapfile -t pairs < <(
  grep -rE --include='*_test.go' -o '^func Fuzz[A-Za-z0-9_]*\(f \*testing\.F\)' "${roots[@]}" |
    sed -E 's#^(.*)/[^/]*_test\.go:func (Fuzz[A-Za-z0-9_]*)\(.*#\1:\2#' |
    grep -v '/testdata/' | sort -u
)
if ((list)); then
  printf '%s\n' "${pairs[@]}"
  exit 0
fi
if ((${#pairs[@]} == 0)); then
  echo "fuzz: no fuzz targets under ${roots[*]}" >&2
  exit 1
fi

echo "fuzz: ${#pairs[@]} targets, ${FUZZTIME} each"
# Each package's instrumented test binary is built once (go test -c -fuzz)
# and run once per target: go test -fuzz would link it again for every
# target, which costs more than a short run itself. The binary keeps its
# corpus where go test -fuzz keeps it, so both share what they found.
module=$("$GO" list -m)
cache=$("$GO" env GOCACHE)/fuzz
bins=$(mktemp -d)
trap 'rm -rf "$bins"' EXIT
failed=()
start=$SECONDS
built=
for p in "${pairs[@]}"; do
  dir=${p%%:*}
  target=${p#*:}
  dir=${dir#./}
  [[ $dir == . ]] && dir=
  pkg=$module${dir:+/$dir}
  bin=$bins/${dir//\//_}.test
  t0=$SECONDS
  if [[ $built != "$pkg" ]]; then
    if ! out=$("$GO" test -c -fuzz "^${target}\$" -o "$bin" "./$dir" 2>&1); then
      echo "fuzz: FAIL ./$dir (build)"
      echo "$out" | tail -n 40
      failed+=("./$dir:build")
      continue
    fi
    built=$pkg
  fi
  run() {
    (cd "./$dir" && "$bin" -test.run '^$' -test.fuzz "^${target}\$" -test.fuzztime "$FUZZTIME" \
      -test.fuzzminimizetime "$FUZZMINIMIZETIME" -test.fuzzcachedir "$cache/$pkg" 2>&1)
  }
  ok=
  for try in 1 2; do
    if out=$(run); then
      ok=1
      break
    fi
    # On a busy machine a worker can run out of a short -fuzztime while
    # gathering coverage or minimizing; go test then reports "context
    # deadline exceeded" without a failing input. That says nothing about
    # the code: try once more, and count it as passed if it happens again.
    if [[ $out == *"context deadline exceeded"* && $out != *"Failing input written"* ]]; then
      ok=deadline
      continue
    fi
    ok=
    break
  done
  if [[ $ok == 1 ]]; then
    echo "fuzz: ok   ./$dir $target ($((SECONDS - t0))s)"
  elif [[ $ok == deadline ]]; then
    echo "fuzz: ok   ./$dir $target ($((SECONDS - t0))s; the fuzz time ran out before any input was tried to the end: busy machine)"
  else
    echo "fuzz: FAIL ./$dir $target"
    echo "$out" | tail -n 40
    failed+=("./$dir:$target")
  fi
done
echo "fuzz: ${#pairs[@]} targets in $((SECONDS - start))s"
if ((${#failed[@]})); then
  echo "fuzz: failed: ${failed[*]} (inputs under each package's testdata/fuzz/)" >&2
  exit 1
fi
