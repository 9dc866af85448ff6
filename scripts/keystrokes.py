#!/usr/bin/env python3
"""Keystroke → frame in the running console, over a pseudo-terminal.

Usage: scripts/keystrokes.py LEADQ_BINARY DB [ROWSxCOLS]

Opens the console on DB in a pseudo-terminal, waits until the queue is loaded, types a fixed
workday of keys (move, page, open detail, next lead, filters, search, board, accounts, rules,
preview of a points edit, dashboard, log an outcome and undo it — the book is written to) one
at a time, and prints one JSON object:
  - "app": per keystroke, the time the console measured from reading the key to the end of
    the frame drawn after it (LEADQ_FRAME_TIMES), grouped by what the key does;
  - "waits_s": seconds until background work the next keys need was on screen (the rules
    admin's table, read on the worker);
  - "pty": per keystroke, the time from writing the key to the pseudo-terminal until the
    console's output for it has been read back (first byte, and last byte before 50 ms of
    quiet), which adds the terminal round trip to the app figure.
Run it on a copy of a book: two outcomes are logged and undone.
"""
import json, os, pty, select, signal, sys, tempfile, time

binary, db = sys.argv[1], sys.argv[2]
rows, cols = (int(x) for x in (sys.argv[3] if len(sys.argv) > 3 else "40x120").split("x"))

# (group, bytes) in the order typed. Each key waits for its frame before the next is sent.
ESC = b"\x1b"
PLAN = (
    [("move", b"j")] * 30 + [("move", b"k")] * 10
    + [("page", b"\x04")] * 5 + [("page", b"\x15")] * 3 + [("move", b"g")]
    + [("open detail", b"\r"), ("next lead", b"j"), ("next lead", b"j"), ("next lead", b"k"),
       ("back", ESC)] * 3
    + [("filter", b"m"), ("filter", b"c"), ("filter", b"s"), ("filter", b"s"), ("filter", b"c"),
       ("filter", b"o"), ("filter", b"c"), ("filter", b"t"), ("filter", b"c")]
    + [("search", b"/")] + [("search", bytes([c])) for c in b"wolf"] + [("search", ESC)]
    + [("view", b"2")] + [("board", k) for k in b"jjjkllh"]
    + [("view", b"3")] + [("accounts", k) for k in b"jjjk"]
    + [("view", b"4"), ("wait: rules admin loaded", b"learned")]
    + [("rules", k) for k in b"jjjk"]
    # Edit a rule's points, preview the draft (rank changes of the whole book), discard it.
    + [("rules", b"e"), ("rules", b"\x15"), ("rules", b"4"), ("rules", b"4"), ("rules", b"\r"),
       ("preview", b"p"), ("rules", b"X")]
    + [("view", b"5"), ("view", b"1")]
    # Log "meeting booked" on the top lead and undo it: durable write, learning, re-rank.
    + [("log outcome", b"l"), ("log outcome", b"4"), ("undo outcome", b"u")] * 2
)


def read_some(fd, timeout):
    r, _, _ = select.select([fd], [], [], timeout)
    if not r:
        return b""
    try:
        return os.read(fd, 65536)
    except OSError:
        return b""


def main():
    times = tempfile.NamedTemporaryFile(prefix="leadq-frames-", delete=False).name
    env = dict(os.environ, LEADQ_FRAME_TIMES=times, TERM="xterm-256color")
    pid, fd = pty.fork()
    if pid == 0:
        import fcntl, struct, termios
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        os.execve(binary, [binary, "--db", db], env)
    import fcntl, struct, termios
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    # Loaded when the queue header with its sort key is on screen.
    started, seen = time.perf_counter(), b""
    while b"sort: p" not in seen:
        chunk = read_some(fd, 1.0)
        seen = (seen + chunk)[-8192:]
        if time.perf_counter() - started > 900:
            raise SystemExit("the queue did not load within 15 minutes")
    loaded_s = time.perf_counter() - started
    while read_some(fd, 0.3):
        pass
    pty_first, pty_last = {}, {}
    app = {}

    def timed_lines():
        with open(times) as f:
            return [l.split("\t") for l in f.read().splitlines() if "\t" in l]

    waits = {}
    last_output = b""
    for group, key in PLAN:
        if group.startswith("wait: "):
            # Background work the next keys need (read on the worker): time until it shows,
            # counted from the end of the previous key's output (0 when that output had it).
            t, seen = time.perf_counter(), last_output
            while key not in seen and time.perf_counter() - t < 300:
                seen = (seen + read_some(fd, 0.05))[-65536:]
            waits[group[6:]] = round(time.perf_counter() - t, 3)
            continue
        k = bytes([key]) if isinstance(key, int) else key
        before = len(timed_lines())
        t = time.perf_counter()
        os.write(fd, k)
        first = last = None
        last_output = b""
        # Read the console's output until it has timed this key and gone quiet.
        while True:
            chunk = read_some(fd, 0.05)
            now = time.perf_counter()
            if chunk:
                first = first or now
                last = now
                last_output = (last_output + chunk)[-65536:]
                continue
            if len(timed_lines()) > before or now - t > 30:
                break
        lines = timed_lines()
        if len(lines) > before:
            app.setdefault(group, []).append(float(lines[before][1]))
        if first:
            pty_first.setdefault(group, []).append((first - t) * 1e3)
            pty_last.setdefault(group, []).append((last - t) * 1e3)
        time.sleep(0.05)
    # Peak (VmHWM) and what stays resident once the workday is done (VmRSS), two seconds
    # after the last key, so that memory the allocator has given back is not counted.
    settle = time.perf_counter() + 2.0
    while time.perf_counter() < settle:
        read_some(fd, 0.1)
    peak = resident = None
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmHWM:"):
                peak = int(line.split()[1]) * 1024
            if line.startswith("VmRSS:"):
                resident = int(line.split()[1]) * 1024
    except OSError:
        pass
    # Quit and let the console close the book cleanly (it saves the ranks and the first page).
    os.write(fd, b"q")
    deadline = time.perf_counter() + 120
    while time.perf_counter() < deadline:
        read_some(fd, 0.1)
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            break
    else:
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)

    os.unlink(times)

    def pct(v, p):
        v = sorted(v)
        return v[round((len(v) - 1) * p)] if v else None

    def summary(d):
        out = {g: {"n": len(v), "p50_ms": pct(v, .5), "p99_ms": pct(v, .99), "max_ms": max(v)}
               for g, v in d.items()}
        every = [x for v in d.values() for x in v]
        out["all"] = {"n": len(every), "p50_ms": pct(every, .5), "p99_ms": pct(every, .99),
                      "max_ms": max(every) if every else None}
        return out

    # The keys DESIGN.md §8 budgets at 16 ms: move, open detail, filter.
    budgeted = ("move", "page", "open detail", "next lead", "back", "filter")
    def only(d):
        return {"budgeted": [x for g in budgeted for x in d.get(g, [])]}
    print(json.dumps({"loaded_s": loaded_s, "keys_typed": len(PLAN), "peak_rss_bytes": peak,
                      "rss_bytes": resident,
                      "waits_s": waits,
                      "budgeted_app": summary(only(app))["budgeted"],
                      "budgeted_pty": summary(only(pty_last))["budgeted"],
                      "app": summary(app),
                      "pty_first_byte": summary(pty_first), "pty_settled": summary(pty_last)},
                     indent=1))


main()
