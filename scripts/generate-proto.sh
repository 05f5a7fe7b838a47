#!/usr/bin/env bash
# Generates the Swift code for the v1 wire contract from proto/ into Sources/SwitchboardWire/Generated/.
#
#   scripts/generate-proto.sh           regenerate (what `make proto` runs); commit the result
#   scripts/generate-proto.sh --check   fail when the committed code is stale (what `make proto-check` runs)
#
# Tools: Debian's `protoc` (package protobuf-compiler, installed by scripts/install-deps.sh) and
# `protoc-gen-swift` built from the swift-protobuf dependency in release, in its own scratch path
# (.build-protoc) so it never fights the debug build for .build/.
#
# Why --check has two modes: building protoc-gen-swift in release takes about 4 minutes on this
# project's 2-core machines (9.5 with a cold dependency cache), which `make test` cannot afford on
# every run. So:
#   * when the plugin is already built (anyone who ran `make proto`), --check regenerates into a
#     temporary directory and diffs it against the committed code: the full check;
#   * when it is not (a fresh CI clone), --check compares the SHA-256 of the inputs (the .proto files,
#     the protoc version and the swift-protobuf version) with the one recorded in
#     Sources/SwitchboardWire/Generated/.proto-sha256 by the last regeneration. Editing a .proto
#     without running `make proto` fails this check; the generated files themselves are pinned by the
#     golden-frame tests and by the build.
# Set PROTO_CHECK_FULL=1 to force the full check (it then builds the plugin if needed).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
PROTO_DIR=proto
OUT_DIR=Sources/SwitchboardWire/Generated
HASH_FILE=$OUT_DIR/.proto-sha256
SCRATCH=.build-protoc
SWIFT=${SWIFT:-swift}

mode=generate
case "${1:-}" in
    "") ;;
    --check) mode=check ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) echo "generate-proto.sh: unknown option '$1' (use --check, or nothing to regenerate)" >&2; exit 2 ;;
esac

command -v protoc >/dev/null || {
    echo "generate-proto.sh: protoc not found; install Debian's protobuf-compiler (bash scripts/install-deps.sh)" >&2
    exit 1
}

mapfile -t PROTOS < <(cd "$PROTO_DIR" && find . -name '*.proto' | sed 's|^\./||' | LC_ALL=C sort)
if ((${#PROTOS[@]} == 0)); then
    echo "generate-proto.sh: no .proto files under $PROTO_DIR/" >&2
    exit 1
fi

# The swift-protobuf version the package resolves to: the plugin's output depends on it.
swift_protobuf_version() {
    local resolved=Package.resolved
    if [ -f "$resolved" ]; then
        python3 - "$resolved" <<'EOF' 2>/dev/null && return
import json, sys
pins = json.load(open(sys.argv[1])).get("pins", [])
print(next(p["state"].get("version", p["state"].get("revision")) for p in pins if p["identity"] == "swift-protobuf"))
EOF
    fi
    # No Package.resolved yet: the minimum the manifest asks for (what a fresh resolve picks here).
    sed -n 's|.*swift-protobuf.git", from: "\([^"]*\)".*|\1|p' Package.swift
}

# SHA-256 over everything the generated code is a function of.
inputs_hash() {
    {
        for f in "${PROTOS[@]}"; do
            echo "file $f"
            cat "$PROTO_DIR/$f"
        done
        echo "protoc $(protoc --version)"
        echo "swift-protobuf $(swift_protobuf_version)"
        echo "options Visibility=Public FileNaming=DropPath"
    } | sha256sum | cut -d' ' -f1
}

plugin_path() { echo "$ROOT/$SCRATCH/release/protoc-gen-swift"; }

build_plugin() {
    echo "building protoc-gen-swift (release, --scratch-path $SCRATCH; a few minutes the first time)..." >&2
    "$SWIFT" build -c release --product protoc-gen-swift --scratch-path "$SCRATCH" >&2
}

# Runs protoc into $1.
generate_into() {
    local out=$1
    mkdir -p "$out"
    protoc \
        --plugin=protoc-gen-swift="$(plugin_path)" \
        --proto_path="$PROTO_DIR" \
        --swift_out="$out" \
        --swift_opt=Visibility=Public \
        --swift_opt=FileNaming=DropPath \
        "${PROTOS[@]}"
}

if [ "$mode" = generate ]; then
    build_plugin
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    generate_into "$tmp"
    mkdir -p "$OUT_DIR"
    find "$OUT_DIR" -maxdepth 1 -name '*.pb.swift' -delete
    cp "$tmp"/*.pb.swift "$OUT_DIR"/
    inputs_hash > "$HASH_FILE"
    echo "generated $(ls "$OUT_DIR"/*.pb.swift | wc -l) files into $OUT_DIR (inputs sha256 $(cat "$HASH_FILE"))"
    exit 0
fi

# --check
if [ ! -f "$HASH_FILE" ]; then
    echo "proto-check FAILED: $HASH_FILE is missing; run 'make proto' and commit $OUT_DIR" >&2
    exit 1
fi
expected=$(cat "$HASH_FILE")
actual=$(inputs_hash)

if [ -x "$(plugin_path)" ] || [ "${PROTO_CHECK_FULL:-0}" = 1 ]; then
    [ -x "$(plugin_path)" ] || build_plugin
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    generate_into "$tmp/generated"
    mkdir -p "$tmp/committed"
    cp "$OUT_DIR"/*.pb.swift "$tmp/committed"/ 2>/dev/null || true
    if ! diff -ru "$tmp/committed" "$tmp/generated" >"$tmp/diff" 2>&1; then
        echo "proto-check FAILED: the committed code in $OUT_DIR differs from what proto/ generates." >&2
        echo "Run 'make proto' and commit the result. Differences:" >&2
        head -n 60 "$tmp/diff" >&2
        exit 1
    fi
    if [ "$expected" != "$actual" ]; then
        echo "proto-check FAILED: generated code is current but $HASH_FILE is stale; run 'make proto' and commit it" >&2
        exit 1
    fi
    echo "proto-check ok: regenerated ${#PROTOS[@]} protos and the committed code matches (full check)"
else
    if [ "$expected" != "$actual" ]; then
        echo "proto-check FAILED: proto/ (or the protoc / swift-protobuf version) changed since the code in $OUT_DIR was generated." >&2
        echo "Run 'make proto' and commit $OUT_DIR (recorded inputs sha256 $expected, now $actual)." >&2
        exit 1
    fi
    echo "proto-check ok: inputs match the recorded hash (protoc-gen-swift not built, so no full regeneration; PROTO_CHECK_FULL=1 forces it)"
fi
