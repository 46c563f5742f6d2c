#!/usr/bin/env python3
"""Sequential HTTP latency of list queries against a running Clientele server.

Usage: latency.py BASE_URL API_KEY REQUESTS CASE_FILE

CASE_FILE has one case per line: `label<TAB>path-and-query`. A path may contain `{cursor900k}`,
replaced by the `meta.next_cursor` of the row at depth 900,000 of that case's order (or 90% of
the tenant for smaller ones), fetched once beforehand with `offset`; `{i}`, replaced by the
request's number (0-padded to 3 digits); and `{rep:TEXT}` / `{rep2:TEXT}`, replaced by TEXT
repeated (number mod 97) / (number / 97 mod 97) times: values that change the compiled query
but not its rows, so that every request misses the server's count cache and pays for a cold
count. Each case runs with its own parameters (count=true is the API
default) and again with `count=false`; every request is one keep-alive GET on 127.0.0.1, one at a
time, after a few warm-up requests. Prints p50/p99/max in milliseconds and the total row count.
Only the standard library is used; every loop is bounded by REQUESTS.
"""
import http.client
import json
import re
import sys
import time
import urllib.parse


def main():
    base, key, n, case_file = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    u = urllib.parse.urlparse(base)
    if u.hostname not in ("127.0.0.1", "localhost"):
        sys.exit("refusing a non-loopback target")
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    headers = {"x-api-key": key}

    def get(path):
        conn.request("GET", path, headers=headers)
        r = conn.getresponse()
        body = r.read()
        if r.status != 200:
            sys.exit(f"{path}: HTTP {r.status}: {body[:300]!r}")
        return json.loads(body)

    cases = []
    with open(case_file) as f:
        for line in f:
            line = line.rstrip("\n")
            if line and not line.startswith("#"):
                label, path = line.split("\t", 1)
                cases.append((label, path))

    total = get("/v1/clients?limit=1")["meta"]["total"]
    depth = 900_000 if total > 900_000 else int(total * 0.9)
    cursors = {}
    for label, path in cases:
        if "cursor={cursor900k}" in path:
            # The cursor of the row at `depth` in this case's own order, fetched once by offset.
            probe = path.replace("cursor={cursor900k}", f"limit=1&count=false&offset={depth - 1}")
            t = time.perf_counter()
            cursors[label] = get(probe)["meta"]["next_cursor"]
            print(f"# {label}: cursor at depth {depth} fetched once by offset in "
                  f"{(time.perf_counter() - t) * 1000:.0f} ms", flush=True)

    print(f"# {total} live clients; {n} sequential requests per case after {min(20, n)} warm-up")
    print(f"{'case':<44} {'rows':>8} | {'count=true p50':>14} {'p99':>7} {'max':>7}"
          f" | {'count=false p50':>15} {'p99':>7} {'max':>7}")
    for label, path in cases:
        path = path.replace("{cursor900k}", cursors.get(label) or "")
        row = [label]
        rows = None
        for count in ("true", "false"):
            sep = "&" if "?" in path else "?"
            p = path if "count=" in path else f"{path}{sep}count={count}"
            def vary(p, i):
                p = p.replace("{i}", f"{i % 1000:03}")
                p = re.sub(r"\{rep:([^}]*)\}", lambda m: m.group(1) * (i % 97), p)
                return re.sub(r"\{rep2:([^}]*)\}", lambda m: m.group(1) * (i // 97 % 97), p)

            for w in range(min(20, n)):
                get(vary(p, n + w))
            samples = []
            for i in range(n):
                q = vary(p, i)
                t = time.perf_counter()
                doc = get(q)
                samples.append((time.perf_counter() - t) * 1000)
                if count == "true" and rows is None:
                    rows = doc["meta"]["total"]
            samples.sort()
            pct = lambda q: samples[min(len(samples) - 1, int(q * len(samples)))]
            row += [pct(0.50), pct(0.99), samples[-1]]
        print(f"{row[0]:<44} {rows if rows is not None else '-':>8} | {row[1]:>14.2f} {row[2]:>7.2f}"
              f" {row[3]:>7.2f} | {row[4]:>15.2f} {row[5]:>7.2f} {row[6]:>7.2f}", flush=True)


if __name__ == "__main__":
    main()
