#!/usr/bin/env bash
# Installs what interop/run.sh needs, each part only when it is missing:
#
#   Debian python3-torch (PyTorch 1.13)  the PyTorch checks, python/autonl_torch.py,
#                                        python/train_ddp.py under torchrun
#   Debian python3-onnx (ONNX 1.12)      onnx.checker on the exported models
#   Debian nodejs and npm                if node is missing
#   npm onnxruntime-node 1.30.0          ONNX Runtime (its CPU build ships inside the
#                                        npm package), into interop/node_modules
#
# onnxruntime-node's install script, which would fetch GPU add-ons from
# outside the npm registry, is not run. Cost on a machine with none of these
# (see interop/README.md): about 160 MB of Debian packages (760 MB
# installed) and 111 MB from npm (290 MB installed), about 2 minutes.
#
# A part that cannot be installed is reported on one line and the script
# goes on; it exits 0, and run.sh skips, saying so, the checks that need
# the missing part.
set -uo pipefail
cd "$(dirname "$0")"
ORT_VERSION=1.30.0

note() { echo "interop/install.sh: $*"; }

updated=
apt_install() {
	if [ -z "$updated" ]; then
		apt-get update -qq >/dev/null 2>&1 || note "apt-get update failed"
		updated=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >/tmp/interop-apt.log 2>&1
}

if ! /usr/bin/python3 -c 'import torch' >/dev/null 2>&1; then
	note "installing Debian python3-torch"
	apt_install python3-torch || note "cannot install python3-torch (see /tmp/interop-apt.log): the PyTorch checks will be skipped"
fi
if ! /usr/bin/python3 -c 'import onnx' >/dev/null 2>&1; then
	note "installing Debian python3-onnx"
	apt_install python3-onnx || note "cannot install python3-onnx (see /tmp/interop-apt.log): the ONNX checker will be skipped"
fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	note "installing Debian nodejs and npm"
	apt_install nodejs npm || note "cannot install nodejs and npm (see /tmp/interop-apt.log): the ONNX Runtime checks will be skipped"
fi
have=$(node -p "try { require('./node_modules/onnxruntime-node/package.json').version } catch (e) { '' }" 2>/dev/null || true)
if command -v npm >/dev/null && [ "$have" != "$ORT_VERSION" ]; then
	note "installing npm onnxruntime-node@$ORT_VERSION into interop/node_modules"
	ONNXRUNTIME_NODE_INSTALL=skip npm install --prefix . --no-save --no-package-lock --ignore-scripts \
		--no-audit --no-fund --loglevel=error "onnxruntime-node@$ORT_VERSION" >/tmp/interop-npm.log 2>&1 ||
		note "cannot install onnxruntime-node@$ORT_VERSION (see /tmp/interop-npm.log): the ONNX Runtime checks will be skipped"
fi
exit 0
