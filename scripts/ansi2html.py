#!/usr/bin/env python3
"""Turns a terminal capture with ANSI colour codes (e.g. `tmux capture-pane -e -p`) into a
self-contained HTML page, for screenshots. Usage: ansi2html.py IN.ans OUT.html [TITLE]"""
import html
import re
import sys

BG, FG = "#1e1e1e", "#d4d4d4"
BASE16 = ["#000000", "#cd3131", "#0dbc79", "#e5e510", "#2472c8", "#bc3fbc", "#11a8cd", "#e5e5e5",
          "#666666", "#f14c4c", "#23d18b", "#f5f543", "#3b8eea", "#d670d6", "#29b8db", "#ffffff"]


def xterm256(n):
    if n < 16:
        return BASE16[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return "#%02x%02x%02x" % (steps[n // 36], steps[(n // 6) % 6], steps[n % 6])
    v = 8 + (n - 232) * 10
    return "#%02x%02x%02x" % (v, v, v)


def apply(codes, st):
    i = 0
    while i < len(codes):
        c = codes[i]
        if c == 0:
            st.clear()
        elif c == 1:
            st["bold"] = True
        elif c == 2:
            st["dim"] = True
        elif c == 3:
            st["italic"] = True
        elif c == 4:
            st["underline"] = True
        elif c == 7:
            st["reverse"] = True
        elif c == 22:
            st.pop("bold", None)
            st.pop("dim", None)
        elif c == 23:
            st.pop("italic", None)
        elif c == 24:
            st.pop("underline", None)
        elif c == 27:
            st.pop("reverse", None)
        elif 30 <= c <= 37:
            st["fg"] = BASE16[c - 30]
        elif 90 <= c <= 97:
            st["fg"] = BASE16[c - 90 + 8]
        elif 40 <= c <= 47:
            st["bg"] = BASE16[c - 40]
        elif 100 <= c <= 107:
            st["bg"] = BASE16[c - 100 + 8]
        elif c == 39:
            st.pop("fg", None)
        elif c == 49:
            st.pop("bg", None)
        elif c in (38, 48) and i + 1 < len(codes):
            key = "fg" if c == 38 else "bg"
            if codes[i + 1] == 5 and i + 2 < len(codes):
                st[key] = xterm256(codes[i + 2])
                i += 2
            elif codes[i + 1] == 2 and i + 4 < len(codes):
                st[key] = "#%02x%02x%02x" % tuple(codes[i + 2:i + 5])
                i += 4
        i += 1


def css(st):
    fg, bg = st.get("fg", FG), st.get("bg")
    if st.get("reverse"):
        fg, bg = bg or BG, fg
    parts = ["color:" + fg]
    if bg:
        parts.append("background:" + bg)
    if st.get("bold"):
        parts.append("font-weight:bold")
    if st.get("dim"):
        parts.append("opacity:0.6")
    if st.get("italic"):
        parts.append("font-style:italic")
    if st.get("underline"):
        parts.append("text-decoration:underline")
    return ";".join(parts)


def convert(text):
    out, st = [], {}
    for piece in re.split(r"(\x1b\[[0-9;:]*m)", text):
        m = re.fullmatch(r"\x1b\[([0-9;:]*)m", piece)
        if m:
            codes = [int(x) if x else 0 for x in re.split(r"[;:]", m.group(1))] if m.group(1) else [0]
            apply(codes, st)
        elif piece:
            piece = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", piece)
            out.append('<span style="%s">%s</span>' % (css(st), html.escape(piece)))
    return "".join(out)


def main():
    src, dst = sys.argv[1], sys.argv[2]
    title = sys.argv[3] if len(sys.argv) > 3 else "leadq"
    with open(src, encoding="utf-8", errors="replace") as f:
        body = convert(f.read().rstrip("\n"))
    page = f"""<!doctype html><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>html,body{{margin:0;background:{BG}}}
pre{{margin:0;padding:12px 14px;font:15px/1.25 'DejaVu Sans Mono','Liberation Mono',monospace;color:{FG}}}</style>
<pre>{body}</pre>"""
    with open(dst, "w", encoding="utf-8") as f:
        f.write(page)


if __name__ == "__main__":
    main()
