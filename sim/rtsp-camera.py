#!/usr/bin/python3
"""A real RTSP camera for the simulated site: GStreamer's RTSP server with a test pattern.

usage: rtsp-camera.py HOST PORT [user:password]
Mounts /live (and, without credentials, /black, /frozen and /frozen-noisy); with user:password every
request needs them (basic auth), else 401.
Any other path answers 404.
Prints "READY <port>" once listening. Loopback only.
"""
import ctypes
import os
import signal
import sys
import gi
gi.require_version('Gst', '1.0')
gi.require_version('GstRtspServer', '1.0')
from gi.repository import Gst, GstRtspServer, GLib

# Dies with the process that started it: a killed test or bench leaves no camera behind.
PARENT = os.getppid()
try:
    ctypes.CDLL('libc.so.6', use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
except (OSError, AttributeError):
    pass
if os.getppid() != PARENT:
    sys.exit(0)

host, port = sys.argv[1], sys.argv[2]
if not (host.startswith('127.') or host == 'localhost'):
    sys.exit('rtsp-camera: loopback only')
creds = sys.argv[3] if len(sys.argv) > 3 else None

Gst.init(None)
server = GstRtspServer.RTSPServer()
server.set_address(host)
server.set_service(port)

# H.264 baseline at a small size: cheap to encode, decodable by ffprobe and browsers.
# /live: a small ball moving over a grey scene (little motion: most of the picture is still).
# /black: a black picture (covered lens, dead sensor). /frozen: one still picture (75% colour bars)
# encoded at a constant quantizer, as a hung encoder repeats its last frame; /frozen-noisy: the
# same at a low bitrate, its keyframes a little different each time.
ENCODE = ('! video/x-raw,width=320,height=240,framerate=10/1 '
          '! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=10 %s'
          '! video/x-h264,profile=baseline ! rtph264pay name=pay0 pt=96 config-interval=1 )')
SOURCES = {
    '/live': ('( videotestsrc is-live=true pattern=ball background-color=0xff707a80 foreground-color=0xffffe0a0 ', ''),
    '/black': ('( videotestsrc is-live=true pattern=black ', ''),
    '/frozen': ('( videotestsrc is-live=true pattern=smpte75 ', 'pass=quant quantizer=23 '),
    # The same still picture at a low bitrate: each keyframe differs a little from the frames
    # before it (encoder noise), which must not hide the freeze.
    '/frozen-noisy': ('( videotestsrc is-live=true pattern=smpte75 ', 'bitrate=32 '),
}

def factory(path='/live'):
    src, opts = SOURCES[path]
    f = GstRtspServer.RTSPMediaFactory()
    f.set_launch(src + ENCODE % opts)
    # A pipeline per client, not one shared: Debian 12's gst-rtsp-server aborts the whole camera
    # (rtsp-media.c gst_rtsp_media_get_rates: assertion failed) when clients come and go on a
    # shared media under load — 8 probes at a time beside two busy processes killed it within
    # 240 probes; unshared, 240 of 240 answered (~40 ms of CPU per client).
    f.set_shared(False)
    return f

mounts = server.get_mount_points()
live = factory()
if creds:
    # Every request needs these credentials: without them 401, as an IP camera answers.
    user, password = creds.split(':', 1)
    auth = GstRtspServer.RTSPAuth()
    token = GstRtspServer.RTSPToken()
    token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, 'viewer')
    auth.add_basic(GstRtspServer.RTSPAuth.make_basic(user, password), token)
    server.set_auth(auth)
    perms = GstRtspServer.RTSPPermissions()
    perms.add_permission_for_role('viewer', GstRtspServer.RTSP_PERM_MEDIA_FACTORY_ACCESS, True)
    perms.add_permission_for_role('viewer', GstRtspServer.RTSP_PERM_MEDIA_FACTORY_CONSTRUCT, True)
    live.set_permissions(perms)
mounts.add_factory('/live', live)
if not creds:
    for path in ('/black', '/frozen', '/frozen-noisy'):
        mounts.add_factory(path, factory(path))

if server.attach(None) == 0:
    sys.exit('rtsp-camera: cannot listen on %s:%s' % (host, port))
print('READY %d' % server.get_bound_port(), flush=True)
GLib.MainLoop().run()
