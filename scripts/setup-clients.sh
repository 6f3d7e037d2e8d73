#!/usr/bin/env bash
# Installs what the Go and Python clients need, locally and at pinned versions (no buf
# remote plugins, nothing global). Idempotent; `make setup` calls it.
#
#   .tools/bin/protoc-gen-go, protoc-gen-connect-go
#       at the versions clients/go/go.mod requires, so generated code and runtime agree.
#   .tools/venv
#       Python runtime (grpcio, protobuf), code generators (grpcio-tools, mypy-protobuf)
#       test tools (pytest, mypy) and the wheel builder (build), pinned in clients/python/requirements-dev.txt.
#   .tools/bin/python-grpc-tools-protoc, protoc-gen-grpc_python, protoc-gen-mypy, protoc-gen-mypy_grpc
#       launchers buf.gen.yaml finds on PATH.
#
# Env: RIG_PYTHON  the Python >= 3.11 to build the venv from (default python3).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/.tools"
bin="$tools/bin"
venv="$tools/venv"
mkdir -p "$bin"

# --- Go -----------------------------------------------------------------------------
export GOBIN="$bin"
(
  cd "$root/clients/go"
  go mod download
  protobuf_version=$(go list -m -f '{{.Version}}' google.golang.org/protobuf)
  connect_version=$(go list -m -f '{{.Version}}' connectrpc.com/connect)
  go install "google.golang.org/protobuf/cmd/protoc-gen-go@$protobuf_version"
  go install "connectrpc.com/connect/cmd/protoc-gen-connect-go@$connect_version"
)
(cd "$root/test/conformance/go" && go mod download)

# --- Python -------------------------------------------------------------------------
python=${RIG_PYTHON:-python3}
if [ ! -x "$venv/bin/python" ]; then
  echo "setup-clients: creating $venv with $("$python" --version)" >&2
  if ! "$python" -m venv "$venv" >/dev/null 2>&1; then
    # Debian ships ensurepip separately (python3-venv); bootstrap pip from a pip wheel
    # instead, which needs no root and no system package.
    rm -rf "$venv"
    "$python" -m venv --without-pip "$venv"
    wheels=$(mktemp -d)
    trap 'rm -rf "$wheels"' EXIT
    "$python" -m pip download --quiet --no-deps --dest "$wheels" pip==25.3
    wheel=$(ls "$wheels"/pip-*.whl)
    "$venv/bin/python" "$wheel/pip" install --quiet --no-index "$wheel"
  fi
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$root/clients/python/requirements-dev.txt"

# Launchers for buf.gen.yaml. The venv's console scripts carry absolute shebangs, so
# symlinks to them work from anywhere.
ln -sf "$venv/bin/python-grpc-tools-protoc" "$bin/python-grpc-tools-protoc"
ln -sf "$venv/bin/protoc-gen-mypy" "$bin/protoc-gen-mypy"
ln -sf "$venv/bin/protoc-gen-mypy_grpc" "$bin/protoc-gen-mypy_grpc"
cat >"$bin/protoc-gen-grpc_python" <<EOF
#!/bin/sh
# Written by scripts/setup-clients.sh: grpcio-tools' grpc_python generator as a protoc plugin.
exec "$venv/bin/python" "$root/clients/python/tools/protoc_gen_grpc_python.py" "\$@"
EOF
chmod +x "$bin/protoc-gen-grpc_python"
echo "setup-clients: Go plugins in $bin, Python venv in $venv" >&2
