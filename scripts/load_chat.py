#!/usr/bin/env python3
"""Chat-turn load against a running `shopclerk serve`: N concurrent sessions, each playing the
turns of a JSON-lines script ({"user": "..."} per line) through POST /v1/sessions/{id}/messages.

Prints per-turn time to products/suggestions and to the first text, p50/p95, throughput, and
every non-200 status (503 must carry Retry-After). Standard library only.

With several servers on one shared database (`--base` twice or more), each session's turns go
to the servers in turn (as a load balancer without stickiness would send them), and the check
that every acknowledged turn is stored reads each session from a server other than the one
that answered its last turn.

    python3 scripts/load_chat.py --base http://127.0.0.1:8080 --sessions 8 --turns 6
    python3 scripts/load_chat.py --base http://127.0.0.1:8081 --base http://127.0.0.1:8082 --sessions 16
"""

import argparse
import http.client
import json
import statistics
import threading
import time
import urllib.parse


def percentile(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    k = min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))
    return values[k]


def turn(host, port, session, text):
    """Runs one turn; returns (status, retry_after, ready_s, first_token_s, total_s, done)."""
    conn = http.client.HTTPConnection(host, port, timeout=120)
    started = time.monotonic()
    body = json.dumps({"text": text})
    conn.request("POST", f"/v1/sessions/{session}/messages", body,
                 {"Content-Type": "application/json"})
    resp = conn.getresponse()
    if resp.status != 200:
        retry = resp.getheader("Retry-After")
        resp.read()
        conn.close()
        return resp.status, retry, None, None, time.monotonic() - started, False
    ready = first = None
    done = False
    event = None
    for raw in resp:
        line = raw.decode("utf-8").rstrip("\r\n")
        if line.startswith("event: "):
            event = line[7:]
            now = time.monotonic() - started
            if event == "suggestions" and ready is None:
                ready = now
            if event == "token" and first is None:
                first = now
            if event == "done":
                done = True
            if event == "error":
                done = False
    conn.close()
    return 200, None, ready, first, time.monotonic() - started, done


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", action="append",
                    help="server URL; repeat for servers sharing one database")
    ap.add_argument("--sessions", type=int, default=8)
    ap.add_argument("--turns", type=int, default=6, help="turns per session")
    ap.add_argument("--script", default="benches/chat_50.jsonl")
    args = ap.parse_args()
    servers = []
    for base in args.base or ["http://127.0.0.1:8080"]:
        url = urllib.parse.urlparse(base)
        servers.append((url.hostname, url.port or 80))
    lines = [json.loads(l)["user"] for l in open(args.script, encoding="utf-8") if l.strip()]

    results = []
    lock = threading.Lock()

    sessions = {}

    def worker(n):
        host, port = servers[n % len(servers)]
        conn = http.client.HTTPConnection(host, port, timeout=30)
        conn.request("POST", "/v1/sessions")
        session = json.loads(conn.getresponse().read())["session_id"]
        conn.close()
        done = 0
        last = 0
        for t in range(args.turns):
            text = lines[(n * args.turns + t) % len(lines)]
            last = (n + t) % len(servers)
            host, port = servers[last]
            r = turn(host, port, session, text)
            done += r[0] == 200 and r[5]
            with lock:
                results.append(r)
        with lock:
            sessions[session] = (done, (last + 1) % len(servers))

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(args.sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - started

    # Every turn acknowledged with `done` must be stored, with its impressions.
    lost_turns = 0
    for session, (done, reader) in sessions.items():
        host, port = servers[reader]
        conn = http.client.HTTPConnection(host, port, timeout=30)
        conn.request("GET", f"/v1/sessions/{session}")
        stored = json.loads(conn.getresponse().read())
        conn.close()
        lost_turns += max(0, done - len(stored["turns"]))
        shown = sum(len(t["cross_sell"]) + len(t["upsell"]) for t in stored["turns"])
        impressions = sum(1 for e in stored["events"] if e["kind"] == "impression")
        lost_turns += max(0, shown - impressions)

    ok = [r for r in results if r[0] == 200 and r[5]]
    refused = [r for r in results if r[0] != 200]
    broken = [r for r in results if r[0] == 200 and not r[5]]
    ready = [r[2] * 1000 for r in ok if r[2] is not None]
    first = [r[3] * 1000 for r in ok if r[3] is not None]
    total = [r[4] * 1000 for r in ok]
    print(f"{len(servers)} server(s), {args.sessions} sessions x {args.turns} turns: {len(results)} turns in {wall:.1f} s "
          f"({len(ok) / wall:.2f} turns/s)")
    print(f"  completed {len(ok)}, refused {len(refused)}, streams ending in error {len(broken)}, "
          f"acknowledged turns or impressions missing from the store {lost_turns}")
    for status in sorted({r[0] for r in refused}):
        with_retry = sum(1 for r in refused if r[0] == status and r[1])
        n = sum(1 for r in refused if r[0] == status)
        print(f"  HTTP {status}: {n} ({with_retry} with Retry-After)")
    for name, values in (("products+suggestions", ready), ("first token", first), ("whole turn", total)):
        if values:
            print(f"  {name:22} p50 {percentile(values, 50):7.0f} ms   p95 {percentile(values, 95):7.0f} ms"
                  f"   mean {statistics.mean(values):7.0f} ms")


if __name__ == "__main__":
    main()
