#!/usr/bin/env bash
# Installs the Debian packages the test suite needs, only those that are missing.
# When everything is there it costs a few `command -v` checks and installs nothing.
# Never a silent skip: if a package cannot be installed, the test command fails here.
set -euo pipefail

missing=()
# need <how to tell it is there> <Debian package>
need () { if ! eval "$1" >/dev/null 2>&1; then missing+=("$2"); fi; }

need 'command -v timeout' coreutils
need 'command -v ssh' openssh-client

if [ ${#missing[@]} -eq 0 ]; then exit 0; fi

sudo=''
if [ "$(id -u)" != 0 ]; then sudo='sudo'; fi
echo "test-deps: installing ${missing[*]} (Debian packages the test suite needs)" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
