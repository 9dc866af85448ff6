#!/usr/bin/env bash
# Screenshots of the real console (queue, lead detail with its explanation, log-outcome modal,
# kanban board, accounts, rules admin, dashboard)
# into screenshots/: runs leadq on a fresh demo book in tmux, captures the panes with colours,
# turns them into HTML and renders PNGs with headless Chromium.
# Needs: tmux, python3, chromium (or chromium-browser / google-chrome).
set -euo pipefail
cd "$(dirname "$0")/.."

COLS=${COLS:-120}
ROWS=${ROWS:-32}
OUT=screenshots
SESSION=leadq-shots-$$
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
[ -n "$browser" ] || { echo "chromium not found; install it (e.g. apt-get install chromium)" >&2; exit 1; }
command -v tmux >/dev/null || { echo "tmux not found" >&2; exit 1; }

cargo build --quiet
bin="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/debug/leadq"

work=$(mktemp -d)
trap 'tmux kill-session -t "$SESSION" 2>/dev/null || true; rm -rf "$work"' EXIT
export HOME="$work" XDG_DATA_HOME="$work/data" XDG_CONFIG_HOME="$work/config"
unset LEADQ_DB
mkdir -p "$XDG_CONFIG_HOME/leadq"
# "mine" needs to know who you are; any owner of the demo book will do.
"$bin" --db "$work/book.db" demo >/dev/null

tmux new-session -d -s "$SESSION" -x "$COLS" -y "$ROWS" "TERM=xterm-256color '$bin' --db '$work/book.db'"

# Waits (up to 30 s) until the pane shows $1.
wait_for() {
    for _ in $(seq 300); do
        if tmux capture-pane -p -t "$SESSION" | grep -qF -- "$1"; then return 0; fi
        sleep 0.1
    done
    echo "timed out waiting for: $1" >&2
    tmux capture-pane -p -t "$SESSION" >&2
    exit 1
}

shot() { # name, title
    tmux capture-pane -e -p -t "$SESSION" >"$work/$1.ans"
    python3 scripts/ansi2html.py "$work/$1.ans" "$work/$1.html" "$2"
    local w=$((COLS * 9 + 28)) h=$((ROWS * 19 + 24))
    "$browser" --headless --no-sandbox --disable-gpu --disable-background-networking \
        --hide-scrollbars --screenshot="$PWD/$OUT/$1.png" --window-size="$w,$h" \
        "file://$work/$1.html" >/dev/null 2>&1
    echo "wrote $OUT/$1.png"
}

mkdir -p "$OUT"
wait_for "sort:"
tmux send-keys -t "$SESSION" j j
sleep 0.3
shot queue "leadq — queue"
tmux send-keys -t "$SESSION" Enter
wait_for "Why this score"
shot detail "leadq — lead detail and explanation"
tmux send-keys -t "$SESSION" l
wait_for "Log outcome"
# A note and a follow-up first (a digit on an empty form logs at once), then 4 picks.
tmux send-keys -t "$SESSION" Tab "demo booked for Tuesday" Tab "tue 10:00" BTab BTab 4
sleep 0.3
shot log_outcome "leadq — log outcome"
tmux send-keys -t "$SESSION" Escape
sleep 0.3
tmux send-keys -t "$SESSION" 2
wait_for "cards by priority"
shot board "leadq — kanban board"
tmux send-keys -t "$SESSION" 3
wait_for "rank: Σp"
shot accounts "leadq — accounts"
tmux send-keys -t "$SESSION" 4
wait_for "weight history"
shot rules "leadq — rules admin"
tmux send-keys -t "$SESSION" 5
wait_for "Model health"
shot dashboard "leadq — dashboard"
tmux send-keys -t "$SESSION" q
