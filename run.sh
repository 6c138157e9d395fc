#!/usr/bin/env bash
# quantlab's entry point.
#   ./run.sh test [--sanitize]   install what is missing, build (Release), run every test
#   ./run.sh study [ARGS...]     install, build, and run the study (quick profile by default)
#   ./run.sh build               install and build only
set -euo pipefail
cd "$(dirname "$0")"

APT_PACKAGES=(
  build-essential cmake ninja-build pkg-config ccache
  libflatbuffers-dev flatbuffers-compiler libgemmlowp-dev
  libtorch-dev libopenblas0-pthread
  libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev nlohmann-json3-dev libfmt-dev libzip-dev zlib1g-dev
  python3-sklearn python3-torch python3-numpy
  chromium  # the study report test renders report.html headless
)

install_packages() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "run.sh: installing ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

# The debugger's charts use Chart.js from the npm registry, fetched at build time.
install_npm() {
  command -v npm >/dev/null 2>&1 && return 0
  echo "run.sh: installing nodejs and npm"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends nodejs npm
}

build() {
  local dir="$1"; shift
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
  cmake --build "$dir" -j "$(nproc)"
}

cmd="${1:-}"
[ $# -gt 0 ] && shift
case "$cmd" in
  test)
    install_packages
    install_npm
    dir=build
    extra=()
    if [ "${1:-}" = "--sanitize" ]; then dir=build-sanitize; extra=(-DQUANTLAB_SANITIZE=ON -DQUANTLAB_BUILD_BENCH=OFF); fi
    build "$dir" "${extra[@]}"
    export OPENBLAS_NUM_THREADS=1
    ctest --test-dir "$dir" --output-on-failure -j "$(nproc)"
    ;;
  study)
    install_packages
    install_npm
    build build
    export OPENBLAS_NUM_THREADS=1
    # Defaults (the quick profile into out/) unless the arguments choose.
    defaults=(--profile quick)
    out_dir=out
    prev=""
    for arg in "$@"; do
      case "$arg" in
        --config|--config=*|--profile|--profile=*|report|config) defaults=() ;;
      esac
      case "$arg" in --out=*) out_dir="${arg#--out=}" ;; esac
      [ "$prev" = "--out" ] && out_dir="$arg"
      prev="$arg"
    done
    out_args=()
    case " $* " in *" --out "*|*" --out="*) ;; *) out_args=(--out out) ;; esac
    [ "${1:-}" = "report" ] || [ "${1:-}" = "config" ] && out_args=()
    # The study exits with 1 when a pipeline failed, but the report is
    # written either way: say where it is, then pass the exit code on.
    status=0
    build/quantlab study "${defaults[@]}" "${out_args[@]}" "$@" || status=$?
    if [ "${1:-}" != "config" ] && [ -f "$out_dir/report.html" ]; then
      echo "run.sh: the report is $out_dir/report.html (and $out_dir/report.md)"
    fi
    exit "$status"
    ;;
  build)
    install_packages
    install_npm
    build build "$@"
    ;;
  *)
    echo "usage: ./run.sh test [--sanitize] | ./run.sh study | ./run.sh build" >&2
    exit 2
    ;;
esac
