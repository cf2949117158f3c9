#!/usr/bin/env bash
# Regenerates onnx.pb.go, the Go types of ONNX's protobuf schema, from
# onnx.proto beside this script (`go generate ./onnx/...` runs it).
#
# onnx.proto is ONNX's own file (Apache-2.0), copied unchanged from Debian's
# python3-onnx 1.12.0 (/usr/lib/python3/dist-packages/onnx/onnx.proto):
# IR version 8, the schema of opsets up to 17. To move to a newer schema,
# replace onnx.proto with a newer release's and rerun this script.
#
# It needs protoc (Debian's protobuf-compiler, installed if missing) and
# builds protoc-gen-go at the version of google.golang.org/protobuf that
# go.mod requires, so that the generated code matches the runtime library.
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v protoc >/dev/null; then
	apt-get install -y -q protobuf-compiler
fi
version=$(go list -m -f '{{.Version}}' google.golang.org/protobuf)
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
GOBIN="$bin" go install "google.golang.org/protobuf/cmd/protoc-gen-go@$version"
protoc --plugin=protoc-gen-go="$bin/protoc-gen-go" \
	--go_out=. --go_opt=paths=source_relative \
	--go_opt=Monnx.proto=github.com/autonl-go/autonl/onnx/internal/onnxpb \
	onnx.proto
