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
need 'command -v gzip' gzip
# Real ffprobe (ffmpeg 5.1) runs inside the simulated FireWatcher containers.
need 'command -v ffprobe' ffmpeg
# Real RTSP cameras: GStreamer's RTSP server driven by /usr/bin/python3 (the pyenv python has no gi).
gst_check="/usr/bin/python3 -c \"import gi; gi.require_version('Gst','1.0'); gi.require_version('GstRtspServer','1.0'); from gi.repository import Gst, GstRtspServer; Gst.init(None); assert all(Gst.ElementFactory.find(e) for e in ['videotestsrc','x264enc','rtph264pay'])\""
need "$gst_check" 'python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly'
# The real-OpenSSH suite: Debian's sshd and sudo (test users and a sudoers rule are made by the
# suite itself, which runs as root like CI); pgrep/ps for counting processes.
need 'test -x /usr/sbin/sshd' openssh-server
need 'command -v sudo && command -v visudo' sudo
need 'command -v pgrep' procps
need 'command -v mkfifo' coreutils
# The systemd unit is checked with systemd-analyze.
need 'command -v systemd-analyze' systemd
# The history store's suite runs on a real PostgreSQL too (a cluster of its own in a temp folder).
need 'ls /usr/lib/postgresql/*/bin/postgres' postgresql
# The alerts' SMTP receiver speaks STARTTLS with a certificate the test makes with openssl.
need 'command -v openssl' openssl
# /metrics is read back by the Prometheus project's own Python parser (an independent reader).
need "/usr/bin/python3 -c 'import prometheus_client.parser'" python3-prometheus-client
# Headless browser tests (playwright-core drives Debian's headless Chromium shell; Korean text
# needs a font).
need 'test -x /usr/bin/chromium-headless-shell' chromium-headless-shell
need 'fc-list | grep -qi nanum' fonts-nanum

if [ ${#missing[@]} -eq 0 ]; then exit 0; fi

sudo=''
if [ "$(id -u)" != 0 ]; then sudo='sudo'; fi
echo "test-deps: installing ${missing[*]} (Debian packages the test suite needs)" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2068 # entries may name several packages
$sudo apt-get install -y -qq --no-install-recommends ${missing[@]} >&2
