#!/usr/bin/env python3
"""Findings 1 and 3 of issue 22, measured against a running release build (`make bench` runs it
after the load generator): a sign-in flood (200 at once, each its own name and address through a
trusted proxy, so no per-name or per-address limit helps) and 100 stalled uploads (headers and
1 MB of a 2 MB body, then nothing). Reports the server's RSS and how long webhooks took meanwhile.

Usage: attack.py BASE_URL PID CENTER WEBHOOK_SECRET"""
import base64
import hashlib
import hmac
import http.client
import json
import socket
import sys
import threading
import time
import urllib.parse

base, pid, center, secret = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
host, port = urllib.parse.urlsplit(base).hostname, urllib.parse.urlsplit(base).port


def rss_mib():
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def webhook(n):
    """One signed native ticket; how long the answer took, in seconds, and its status."""
    body = json.dumps({
        "ticket_number": f"ATTACK-{n}-{time.time_ns()}", "revision": 0, "type": "normal",
        "submitted_at": "2026-11-22T10:00:00-08:00", "legal_start_at": "2026-11-24T08:00:00-08:00",
        "excavator": {"name": "Bench"}, "work": {"type": "fence", "method": "hand_tools", "depth_inches": 12},
        "location": {"state": "CA", "latitude": 37.97, "longitude": -122.03},
        "members": ["PGE"],
    }).encode()
    mid, ts = f"attack-{n}-{time.time_ns()}", str(int(time.time()))
    key = base64.b64decode(secret.removeprefix("whsec_"))
    sig = base64.b64encode(hmac.new(key, f"{mid}.{ts}.".encode() + body, hashlib.sha256).digest()).decode()
    c = http.client.HTTPConnection(host, port, timeout=30)
    started = time.monotonic()
    c.request("POST", f"/v1/webhooks/{center}", body, {
        "content-type": "application/json", "webhook-id": mid, "webhook-timestamp": ts,
        "webhook-signature": f"v1,{sig}"})
    status = c.getresponse().status
    c.close()
    return time.monotonic() - started, status


def sign_in(i, name):
    c = http.client.HTTPConnection(host, port, timeout=60)
    form = urllib.parse.urlencode({"name": name or f"name-{i}", "password": "a guess that is long enough"})
    try:
        c.request("POST", "/signin", form, {
            "content-type": "application/x-www-form-urlencoded", "origin": base,
            "x-forwarded-for": f"10.9.{i // 250}.{i % 250 + 1}"})
        c.getresponse().read()
    except OSError:
        pass
    c.close()


def watch(seconds, label):
    peak, slowest, statuses = rss_mib(), 0.0, {}
    end = time.monotonic() + seconds
    n = 0
    while time.monotonic() < end:
        took, status = webhook(n)
        n += 1
        slowest = max(slowest, took)
        statuses[status] = statuses.get(status, 0) + 1
        peak = max(peak, rss_mib())
        time.sleep(0.05)
    return peak, slowest, statuses


webhook(0)
# The reporter's flood: a known name (names are not secret), each attempt from its own address;
# then one where every attempt names another user, so no per-name limit applies either.
for name, label in (("dana", "one known name"), (None, "200 different names")):
    before = rss_mib()
    started = time.monotonic()
    threads = [threading.Thread(target=sign_in, args=(i, name)) for i in range(200)]
    for t in threads:
        t.start()
    peak, slowest, statuses = watch(4, "flood")
    for t in threads:
        t.join()
    took = time.monotonic() - started
    peak = max(peak, rss_mib())
    print(f"sign-in flood, 200 at once, {label}: RSS {before:.0f} -> peak {peak:.0f} MiB (+{peak - before:.0f}); "
          f"slowest webhook meanwhile {slowest * 1000:.0f} ms; all answered in {took:.1f} s; webhook answers {statuses}")
    time.sleep(61)  # a new minute for the failure counts

time.sleep(2)
before = rss_mib()
socks = []
head = (f"POST /v1/webhooks/{center} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {2 << 20}\r\nwebhook-id: stall\r\nwebhook-timestamp: 0\r\nwebhook-signature: v1,x\r\n\r\n").encode()
chunk = b"{" * (1 << 20)
for i in range(100):
    s = socket.create_connection((host, port))
    s.setblocking(False)
    try:
        s.send(head)
        sent = 0
        deadline = time.monotonic() + 0.2
        while sent < len(chunk) and time.monotonic() < deadline:
            try:
                sent += s.send(chunk[sent:])
            except BlockingIOError:
                time.sleep(0.005)
            except OSError:
                break
    except OSError:
        pass
    socks.append(s)
time.sleep(1)
stalled = rss_mib()
took, status = webhook(1)


def still_open():
    n = 0
    for s in socks:
        try:
            s.recv(65536)  # an answer, or the end: the server let go either way
        except BlockingIOError:
            n += 1  # nothing yet: still open
        except OSError:
            pass
    return n


open_at = {}
started = time.monotonic()
for mark in (5, 10, 30):
    time.sleep(max(0, mark - (time.monotonic() - started)))
    open_at[mark] = still_open()
print(f"100 stalled uploads (1 MB of 2 MB each): RSS {before:.0f} -> {stalled:.0f} MiB (+{stalled - before:.0f}); "
      f"a webhook meanwhile {status} in {took * 1000:.0f} ms; still open after 5/10/30 s: "
      f"{open_at[5]}/{open_at[10]}/{open_at[30]}; RSS after {rss_mib():.0f} MiB")
for s in socks:
    s.close()
