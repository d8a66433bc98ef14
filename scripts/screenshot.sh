#!/usr/bin/env bash
# Regenerates the README's pictures from the real dashboard: the demo runs
# in tmux at 160x45, each view is reached with the keys a person would
# press, `tmux capture-pane -e` takes the screen with its colours and
# attributes, and scripts/ansi2png.py renders it (pyte, a terminal
# emulator, then Pillow). Run it after any change to the dashboard:
#
#   scripts/screenshot.sh          # writes assets/*.png
#
# Needs tmux and python3; pyte and Pillow are installed with pip into
# target/screenshot-py on first use.
set -euo pipefail

cd "$(dirname "$0")/.."
COLS=160
ROWS=45
PY=target/screenshot-py
if [ ! -d "$PY/pyte" ] || [ ! -d "$PY/PIL" ]; then
    python3 -m pip install --quiet --target "$PY" pyte pillow
fi
cargo build --release --quiet
BIN=$PWD/target/release/control-tower
WORK=$(mktemp -d)
SESSION=ct-screenshot-$$
trap 'tmux kill-session -t "$SESSION" 2>/dev/null || true; rm -rf "$WORK"' EXIT

# The screen, once it stopped changing for a moment (up to 10 s).
settled() {
    local last="" now
    for _ in $(seq 1 50); do
        now=$(tmux capture-pane -e -p -t "$SESSION")
        if [ "$now" = "$last" ]; then
            printf '%s\n' "$now"
            return
        fi
        last=$now
        sleep 0.2
    done
    printf '%s\n' "$last"
}

# shot NAME KEY...: press the keys, wait, render assets/NAME.png
# ($LOOK=light renders on a white terminal).
shot() {
    local name=$1
    shift
    for key in "$@"; do
        tmux send-keys -t "$SESSION" "$key"
        sleep 0.3
    done
    sleep 1
    settled >"$WORK/$name.ansi"
    PYTHONPATH=$PY python3 scripts/ansi2png.py "$WORK/$name.ansi" "assets/$name.png" $COLS $ROWS ${LOOK:-}
    echo "assets/$name.png"
}

tmux new-session -d -s "$SESSION" -x $COLS -y $ROWS \
    "TERM=xterm-256color $BIN demo --data-dir $WORK/demo --rate 8"
sleep 10 # the demo's traffic fills the table
tmux send-keys -t "$SESSION" f # freeze, so the screen holds still
shot dashboard j j
shot search / vehicle Enter
tmux send-keys -t "$SESSION" Escape
shot time-travel t Left Left Left
tmux send-keys -t "$SESSION" Escape
shot pulse p
tmux send-keys -t "$SESSION" Escape
shot attention '!'
tmux send-keys -t "$SESSION" Escape q
sleep 1

# The same demo on a white terminal with --theme light, and without colour
# (NO_COLOR): the selected row reversed, the focused pane's border thick.
for look in light no-color; do
    tmux kill-session -t "$SESSION" 2>/dev/null || true
    case $look in
    light) run="TERM=xterm-256color $BIN --theme light demo --data-dir $WORK/demo --rate 8" ;;
    no-color) run="TERM=xterm-256color NO_COLOR=1 $BIN demo --data-dir $WORK/demo --rate 8" ;;
    esac
    tmux new-session -d -s "$SESSION" -x $COLS -y $ROWS "$run"
    sleep 6
    tmux send-keys -t "$SESSION" f
    if [ "$look" = light ]; then LOOK=light; else LOOK=; fi
    shot "dashboard-$look" j j
    tmux send-keys -t "$SESSION" q
    sleep 1
done
