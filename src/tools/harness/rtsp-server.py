#!/usr/bin/python3
"""A real RTSP server for tests and benches: GStreamer's rtsp-server (Debian's gir1.2-gst-rtsp-server-1.0)
serving one clip at /clip, repayloaded (H.264, or H.265 when the file holds it) or re-encoded audio
(AAC as is, Opus, PCMA, PCMU, or none). Each client gets its own media from the clip's start, played in
real time, as a camera or broadcast feed would send it. Optional basic auth.

Prints `READY <port>` on stdout once it listens (port 0 picks a free one). Stop it with SIGTERM
(SIGINT does not end a GLib main loop); SIGSTOP freezes it with its sockets open.

Run with Debian's interpreter: /usr/bin/python3 rtsp-server.py --clip clip.mp4 [--port N] ...
"""
import argparse
import signal
import sys

import gi

gi.require_version('Gst', '1.0')
gi.require_version('GstRtspServer', '1.0')
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

AUDIO = {
    'aac': 'aacparse ! rtpmp4gpay name=pay1 pt=97',
    'opus': 'aacparse ! avdec_aac ! audioconvert ! audioresample ! audio/x-raw,rate=48000,channels=2 ! opusenc ! rtpopuspay name=pay1 pt=97',
    'pcma': 'aacparse ! avdec_aac ! audioconvert ! audioresample ! audio/x-raw,rate=8000,channels=1 ! alawenc ! rtppcmapay name=pay1 pt=8',
    'pcmu': 'aacparse ! avdec_aac ! audioconvert ! audioresample ! audio/x-raw,rate=8000,channels=1 ! mulawenc ! rtppcmupay name=pay1 pt=0',
}
VIDEO = {
    'h264': 'h264parse ! rtph264pay name=pay0 pt=96 config-interval=1',
    'h265': 'h265parse ! rtph265pay name=pay0 pt=96 config-interval=1',
}


def launch(args: argparse.Namespace) -> str:
    parts = [f'filesrc location="{args.clip}" ! qtdemux name=d']
    payloaders = 0
    if args.video != 'none':
        parts.append(f'd.video_0 ! queue ! {VIDEO[args.video]}'.replace('pay0', f'pay{payloaders}'))
        payloaders += 1
    if args.audio != 'none':
        parts.append(f'd.audio_0 ! queue ! {AUDIO[args.audio]}'.replace('pay1', f'pay{payloaders}'))
    return '( ' + ' '.join(parts) + ' )'


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--clip', required=True)
    parser.add_argument('--port', type=int, default=0)
    parser.add_argument('--video', choices=['h264', 'h265', 'none'], default='h264')
    parser.add_argument('--audio', choices=['aac', 'opus', 'pcma', 'pcmu', 'none'], default='aac')
    parser.add_argument('--user')
    parser.add_argument('--password')
    args = parser.parse_args()

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address('127.0.0.1')
    server.set_service(str(args.port))
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(launch(args))
    # One media per client: every connection (and reconnection) starts the clip from its beginning.
    factory.set_shared(False)
    if args.user:
        auth = GstRtspServer.RTSPAuth()
        token = GstRtspServer.RTSPToken()
        token.set_string('media.factory.role', 'viewer')
        auth.add_basic(GstRtspServer.RTSPAuth.make_basic(args.user, args.password or ''), token)
        server.set_auth(auth)
        permissions = GstRtspServer.RTSPPermissions()
        permissions.add_permission_for_role('viewer', 'media.factory.access', True)
        permissions.add_permission_for_role('viewer', 'media.factory.construct', True)
        factory.set_permissions(permissions)
    server.get_mount_points().add_factory('/clip', factory)
    if server.attach(None) == 0:
        sys.stderr.write(f'cannot listen on port {args.port}\n')
        sys.exit(1)
    print(f'READY {server.get_bound_port()}', flush=True)

    loop = GLib.MainLoop()
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, lambda: (loop.quit(), False)[1])
    loop.run()


if __name__ == '__main__':
    main()
